// The resource registry: every served resource type, described once (group, version, kind,
// plural, scope, short names, subresources, selectable fields, and the per-type behaviour
// the API server needs). Adding a resource to shoal is one entry here plus its schema.
//
// The registry is immutable after construction and safe to read from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shoal::api {

struct ResourceType {
  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::string kind;     // "Pod"
  std::string plural;   // "pods"
  std::string singular;  // "pod"
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;  // e.g. {"all"}
  bool has_status = false;   // status is a subresource: main-resource writes ignore it
  bool has_binding = false;  // pods/binding
  bool uses_generation = false;  // metadata.generation bumped on spec changes
  bool create_keeps_status = false;  // Node: may be created with its status
  // Field selectors accepted beyond metadata.name and metadata.namespace.
  std::vector<std::string> selectable_fields;
  // A field whose `=` selector is indexed for watch fan-out (pods: spec.nodeName), or "".
  std::string index_field;

  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
  std::string ListKind() const { return kind + "List"; }
  // "pods" or "jobs.batch": the name kubectl and error messages use.
  std::string QualifiedResource() const { return group.empty() ? plural : plural + "." + group; }
  // Store key prefix for every object of this type: "/registry/<group>/<plural>/".
  std::string KeyPrefix() const;
  // Store key of one object ("" namespace for cluster-scoped types).
  std::string Key(std::string_view ns, std::string_view name) const;
};

class Registry {
 public:
  // The built-in resource types of shoal.
  static const Registry& Default();

  explicit Registry(std::vector<ResourceType> types) : types_(std::move(types)) {}

  // Finds a type by group, version and plural, or nullptr.
  const ResourceType* Find(std::string_view group, std::string_view version,
                           std::string_view plural) const;
  // Finds a type by its store key (KeyPrefix match), or nullptr.
  const ResourceType* FindByKey(std::string_view key) const;
  const std::vector<ResourceType>& types() const { return types_; }
  // Group names in a stable order (core "" first), and the versions served for a group.
  std::vector<std::string> Groups() const;
  std::vector<std::string> Versions(std::string_view group) const;

 private:
  std::vector<ResourceType> types_;
};

}  // namespace shoal::api
