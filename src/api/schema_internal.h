// Internals of the schema library shared by schema*.cc: the arena that owns the nodes of a
// schema tree, and the builder that fills nodes (it has access to Schema's private fields).
// Not for use outside src/api/schema*.cc.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/schema.h"

namespace shoal::api::internal {

// Owns every node of one schema tree (the built-in set, or one CRD's schema). Nodes never move.
struct SchemaArena {
  std::vector<std::unique_ptr<Schema>> nodes;
  std::map<std::string, Schema*, std::less<>> definitions;  // named nodes
  // An arena whose nodes this one points into (a CRD's metadata is the built-in ObjectMeta).
  std::shared_ptr<const SchemaArena> parent;

  Schema* New() {
    nodes.push_back(std::unique_ptr<Schema>(new Schema()));
    return nodes.back().get();
  }
};

class SchemaBuilder {
 public:
  // Parses the definition texts (format: schema_data.h) into a set. Errors: InvalidArgument
  // naming the line.
  static absl::StatusOr<std::shared_ptr<const SchemaSet>> ParseDefinitions(
      const std::vector<const char*>& texts);

  // See SchemaFromCrd in schema.h.
  static absl::StatusOr<std::shared_ptr<const Schema>> FromCrd(const boost::json::object& root,
                                                               std::string_view group,
                                                               std::string_view version,
                                                               std::string_view kind);

  // The arena that owns a set's nodes.
  static std::shared_ptr<const SchemaArena> ArenaOf(const SchemaSet& set);
};

}  // namespace shoal::api::internal
