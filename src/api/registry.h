// The resource registry: every served resource type, described once (group, version, kind,
// plural, scope, short names, subresources, selectable fields, and the per-type behaviour
// the API server needs). Adding a built-in resource to shoal is one entry here plus its
// schema; custom resources (CRDs) are added and removed while the server runs.
//
// Thread-safe: reads and writes may come from any thread. A ResourceType, once added, is
// never destroyed or changed while the registry lives, so pointers to it stay valid even
// after Remove() (a CRD deleted while a request still uses its type).
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::api {

class Schema;

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
  bool has_eviction = false;  // pods/eviction (policy/v1 Eviction)
  bool uses_generation = false;  // metadata.generation bumped on spec changes
  bool create_keeps_status = false;  // Node: may be created with its status
  // Field selectors accepted beyond metadata.name and metadata.namespace.
  std::vector<std::string> selectable_fields;
  // A field whose `=` selector is indexed for watch fan-out (pods: spec.nodeName), or "".
  std::string index_field;
  // Custom resources: the Table columns of the CRD version (additionalPrinterColumns).
  struct PrinterColumn {
    std::string name;
    std::string type;  // integer, number, string, boolean, date
    std::string json_path;  // ".spec.replicas"
    std::string description;
    int priority = 0;
  };
  bool custom = false;  // served from a CustomResourceDefinition
  std::vector<PrinterColumn> printer_columns;
  // Custom resources: the schema of the CRD version (built-in types use BuiltinSchemas()).
  std::shared_ptr<const Schema> schema;

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

  explicit Registry(std::vector<ResourceType> types);
  // A new registry serving the same types as `other` (the API server starts from Default()).
  Registry(const Registry& other);
  Registry& operator=(const Registry&) = delete;

  // Serves `type`, replacing a served type with the same group, version and plural.
  // Returns the stored type (valid for the registry's lifetime).
  const ResourceType* Add(ResourceType type);
  // Stops serving a type (no-op if not served). Pointers to it stay valid.
  void Remove(std::string_view group, std::string_view version, std::string_view plural);

  // Finds a served type by group, version and plural, or nullptr.
  const ResourceType* Find(std::string_view group, std::string_view version,
                           std::string_view plural) const;
  // Finds the served type that owns a store key ("/registry/<group>/<plural>/..."), or
  // nullptr. Where several versions share the key space, the first one added wins.
  const ResourceType* FindByKey(std::string_view key) const;
  // Changes with every Add and Remove (for caches of documents derived from the registry).
  uint64_t generation() const;
  // The served types, in the order they were added (a snapshot).
  std::vector<const ResourceType*> Types() const;
  // Group names in a stable order (core "" first), and the versions served for a group.
  std::vector<std::string> Groups() const;
  std::vector<std::string> Versions(std::string_view group) const;

 private:
  mutable std::shared_mutex mu_;
  std::vector<std::unique_ptr<const ResourceType>> all_;  // every type ever added
  std::vector<const ResourceType*> served_;
  uint64_t generation_ = 0;
};

}  // namespace shoal::api
