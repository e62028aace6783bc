// Internal to api/managed_fields.cc: structured-merge-diff's operations on objects
// (managed_fields_ops.cc). Not for other callers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/field_set.h"
#include "api/patch.h"

namespace shoal::api::internal {

// "f:name": the path element of an object's member.
std::string FieldPe(std::string_view name);

// The path element of a list item, or nullopt when it has none (a list-map item that is not
// an object or lacks a key field without default).
std::optional<std::string> ItemPe(const boost::json::value& item, const ApplyListSchema& schema);

// The path elements of every item of a set or list-map, or an error naming the first bad
// item (Kubernetes' wording).
absl::StatusOr<std::vector<std::string>> ItemPes(const boost::json::array& items,
                                                 const ApplyListSchema& schema,
                                                 std::string_view field);

// What a write changed, as structured-merge-diff's Comparison.
struct Comparison {
  FieldSet added, modified, removed;
};

// Compares two objects of `kind`, `old_object` nullptr meaning "created" (Go's zero object:
// its value structs exist). metadata.managedFields is never compared.
Comparison CompareObjects(const boost::json::object* old_object,
                          const boost::json::object& updated, std::string_view kind);

// Merges an apply configuration into `target` (the live value at `field` of an object of
// `kind`), with Kubernetes' list semantics. Errors: a list-map item without its keys, or a
// duplicate key.
absl::Status MergeInto(boost::json::value& target, const boost::json::value& config,
                       std::string_view field, std::string_view kind);

// Removes from `node` what `last` (the applier's previous set) has and `owned` (every
// manager's set now, the new config's included) does not.
void Prune(boost::json::value& node, const FieldSet& last, const FieldSet* owned,
           std::string_view field, std::string_view kind);

}  // namespace shoal::api::internal
