// OpenAPI schemas of the types shoal serves, and what the API server does with them:
//   - publish them (OpenAPI v3 components for /openapi/v3/<group-version>, a swagger 2.0
//     document for /openapi/v2), so that `kubectl explain` and clients see the real types;
//   - check request bodies as kube-apiserver does for fieldValidation=Strict|Warn|Ignore:
//     unknown fields (optionally pruned), duplicate fields, values of the wrong JSON type;
//   - build the schema of a custom resource from its CRD's openAPIV3Schema, with the structural
//     checks CRDs get (required fields, enum, bounds) and pruning of unknown fields.
//
// A Schema is an immutable tree; it is safe to share and read from any thread. The built-in
// set is parsed once, on first use, from the definitions in schema_data_*.cc (see
// schema_data.h for their format). Schemas made at run time (CRDs) are separate immutable
// values held by std::shared_ptr: the caller keeps its own map of them and replaces entries
// as CRDs change; there is no global mutable registry.
//
// Paths in results are written the Kubernetes way: `spec.containers[0].image`,
// `metadata.labels.app`. Messages in FieldIssues::invalid follow Kubernetes' field errors:
//   spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"
//   spec.foo: Required value
//   spec.mode: Unsupported value: "x": supported values: "a", "b"
//   spec.size: Invalid value: 12: spec.size in body should be less than or equal to 10
// (the quoted value after "Invalid value:" is the JSON type that was found, as Kubernetes
// prints it for type errors). JSON null is accepted wherever a value may appear, as unset.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace shoal::api {

namespace internal {
struct SchemaArena;
class SchemaBuilder;
class DefinitionParser;
class CrdBuilder;
}  // namespace internal

// The JSON shape a schema node accepts.
enum class SchemaType : uint8_t {
  kAny,     // anything (free-form; x-kubernetes-preserve-unknown-fields without a type)
  kObject,  // an object: properties and/or additionalProperties
  kArray,   // an array of items()
  kString,
  kInteger,  // a JSON integer (an integral double like 3.0 is accepted)
  kNumber,
  kBoolean,
  kIntOrString,  // x-kubernetes-int-or-string (IntOrString)
  kQuantity,     // resource.Quantity: a string, or a JSON number
};

struct GroupVersionKind {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
};

// One node of a schema tree. A node is either a named definition
// (`io.k8s.api.core.v1.PodSpec`), an anonymous node (an array, a map, a scalar field), or a
// reference to a named definition that carries its own description (a field whose type is a
// named definition). Use Resolved() to get past a reference.
class Schema {
 public:
  struct Property {
    std::string name;
    const Schema* schema;  // never null; owned by the same tree (or a longer-lived one)
  };

  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;

  // The definition a reference node points to, or this node.
  const Schema& Resolved() const { return ref_ != nullptr ? *ref_ : *this; }
  // For a reference node, the named definition; nullptr otherwise.
  const Schema* ref() const { return ref_; }
  // Definition name ("io.k8s.api.core.v1.Pod"), or "" for anonymous and reference nodes.
  const std::string& name() const { return name_; }
  SchemaType type() const { return type_; }
  const std::string& description() const { return description_; }
  const std::string& format() const { return format_; }  // "int32", "date-time", "byte"...
  // Properties sorted by name; FindProperty is a binary search.
  const std::vector<Property>& properties() const { return properties_; }
  const Schema* FindProperty(std::string_view name) const;
  const std::vector<std::string>& required() const { return required_; }
  const Schema* items() const { return items_; }                       // kArray
  const Schema* additional_properties() const { return additional_; }  // map values
  // Fields not described are kept as they are (x-kubernetes-preserve-unknown-fields).
  bool preserve_unknown_fields() const { return preserve_unknown_; }
  // The kinds this definition is the schema of (top-level kinds only).
  const std::vector<GroupVersionKind>& group_version_kinds() const { return gvks_; }
  // Other OpenAPI keywords and extensions, emitted as they are: x-kubernetes-patch-merge-key,
  // x-kubernetes-list-type, x-kubernetes-map-type, enum, minimum, pattern...
  const boost::json::object& extensions() const { return extensions_; }

 private:
  friend struct internal::SchemaArena;
  friend class internal::SchemaBuilder;
  friend class internal::DefinitionParser;
  friend class internal::CrdBuilder;
  friend class SchemaChecker;
  Schema() = default;

  std::string name_;
  SchemaType type_ = SchemaType::kAny;
  const Schema* ref_ = nullptr;
  std::string description_;
  std::string format_;
  std::vector<Property> properties_;
  std::vector<std::string> required_;
  const Schema* items_ = nullptr;
  const Schema* additional_ = nullptr;
  bool preserve_unknown_ = false;
  std::vector<GroupVersionKind> gvks_;
  boost::json::object extensions_;
  // Value checks, only in schemas made from CRDs (built-in types are checked by validation.cc).
  bool enforce_ = false;  // check required_, enum, bounds
  std::optional<double> minimum_, maximum_;
  bool exclusive_minimum_ = false, exclusive_maximum_ = false;
  std::optional<int64_t> min_length_, max_length_, min_items_, max_items_;
  std::optional<int64_t> min_properties_, max_properties_;
  boost::json::array enum_;  // allowed values; empty: any
};

// A kind and its schema, as OpenAPI output takes them.
struct KindSchema {
  GroupVersionKind gvk;
  std::shared_ptr<const Schema> schema;
};

// A set of named definitions and the kinds they describe. Immutable; thread-safe.
class SchemaSet {
 public:
  // The schema of a kind, or nullptr if the set has none. The pointer keeps the set alive.
  std::shared_ptr<const Schema> ForKind(std::string_view group, std::string_view version,
                                        std::string_view kind) const;
  // A definition by full name ("io.k8s.api.core.v1.PodSpec"), or nullptr.
  const Schema* Definition(std::string_view name) const;
  // Every kind of the set, or those of one group-version, in a stable order.
  const std::vector<KindSchema>& kinds() const { return kinds_; }
  std::vector<KindSchema> KindsOf(std::string_view group, std::string_view version) const;

 private:
  friend class internal::SchemaBuilder;
  std::shared_ptr<const internal::SchemaArena> arena_;
  std::vector<KindSchema> kinds_;
};

// The built-in schemas: meta/v1, core/v1 (Namespace, Node, Pod, Event, ConfigMap, Secret,
// Binding), policy/v1 Eviction, coordination.k8s.io/v1 Lease, batch/v1 Job,
// scheduling.k8s.io/v1 PriorityClass, scheduling.x-k8s.io/v1alpha1 PodGroup,
// apiextensions.k8s.io/v1 CustomResourceDefinition. Parsed on first call (about a
// millisecond); aborts if the compiled-in definitions are malformed (a build defect that
// schema_test catches).
const SchemaSet& BuiltinSchemas();

// ---- OpenAPI output ----

// The OpenAPI v3 `components.schemas` object for these kinds: each kind's definition (with
// x-kubernetes-group-version-kind) and every definition it references, with refs as
// `#/components/schemas/<name>`, a ref with a description wrapped as allOf: [{$ref}] the way
// Kubernetes publishes v3. Put it under {"openapi":"3.0.0","info":...,"paths":...,
// "components":{"schemas": <this>}} for /openapi/v3/api/v1 and /openapi/v3/apis/<g>/<v>.
// kubectl explain finds a resource's kind through `paths`: one of /api/v1/<plural>,
// /api/v1/namespaces/{namespace}/<plural> (or .../{name}) must have an operation carrying
// x-kubernetes-group-version-kind {group, version, kind}; then it looks the kind up here.
boost::json::object OpenApiV3Schemas(std::span<const KindSchema> kinds);
// Same for the built-in kinds of one group-version ("" for core).
boost::json::object OpenApiV3Schemas(const SchemaSet& set, std::string_view group,
                                     std::string_view version);

// A whole swagger 2.0 document for these kinds: {"swagger":"2.0","info":...,"paths":{},
// "definitions":...} with refs as `#/definitions/<name>`. Paths are left empty.
boost::json::object OpenApiV2Document(std::span<const KindSchema> kinds);
boost::json::object OpenApiV2Document(const SchemaSet& set);

// ---- Custom resources ----

// Builds the schema of a custom resource kind from `spec.versions[*].schema.openAPIV3Schema`.
// apiVersion and kind are always allowed and metadata is always ObjectMeta, whatever the CRD
// says. Understands type, properties, items, required, additionalProperties (a schema or true),
// enum, minimum/maximum (and exclusive*), min/maxLength, min/maxItems, min/maxProperties,
// nullable, format, description, x-kubernetes-preserve-unknown-fields,
// x-kubernetes-int-or-string, x-kubernetes-embedded-resource and the list/map extensions;
// keeps pattern, default, allOf/anyOf/oneOf/not and x-kubernetes-validations for output
// without enforcing them. The definition is named like Kubernetes names it:
// "com.example.stable.v1.CronTab" for group stable.example.com.
// Errors: InvalidArgument naming the path of a malformed node (unknown type, a property that
// is not an object, nesting deeper than 64 levels).
absl::StatusOr<std::shared_ptr<const Schema>> SchemaFromCrd(
    const boost::json::object& open_api_v3_schema, std::string_view group, std::string_view version,
    std::string_view kind);

// ---- Checking request bodies ----

struct FieldIssues {
  std::vector<std::string> unknown;    // paths of fields the schema does not know
  std::vector<std::string> duplicate;  // paths of repeated keys (from ParseJsonWithDuplicates)
  std::vector<std::string> invalid;    // full messages (wrong types; for CRDs also required,
                                       // enum and bounds), see the top of this file
  bool empty() const { return unknown.empty() && duplicate.empty() && invalid.empty(); }
};

// Walks `object` against `schema` (the kind's top-level schema). Reports every unknown field,
// in document order, and with prune_unknown removes them from `object` (the order of the
// remaining fields is kept). Maps (additionalProperties: labels, annotations, resource lists,
// ConfigMap data...) and x-kubernetes-preserve-unknown-fields subtrees (managedFields[*].fieldsV1,
// RawExtension...) have no unknown fields. Values of the wrong type are reported in `invalid`
// and left as they are; below them nothing is checked. kube-apiserver treats unknown and
// duplicate fields by fieldValidation (Strict: 400 listing them; Warn: warnings, pruned;
// Ignore: pruned silently), and invalid values as errors in every mode. Never fails.
FieldIssues CheckFields(const Schema& schema, boost::json::value& object, bool prune_unknown);

// Parses a request body like ParseJson (object.h), and also reports each key that appears
// twice in one object by its path (`metadata.name`, `spec.containers[1].image`), in document
// order. The value keeps the last of the duplicates, as Kubernetes' decoder does.
// `duplicate_paths` may be null. Errors: InvalidArgument "invalid JSON at offset N: ...".
absl::StatusOr<boost::json::value> ParseJsonWithDuplicates(
    std::string_view text, std::vector<std::string>* duplicate_paths);

// The texts kube-apiserver uses for these issues, in Strict errors and Warn warnings:
// `unknown field "spec.foo"` and `duplicate field "metadata.name"`.
std::string UnknownFieldMessage(std::string_view path);
std::string DuplicateFieldMessage(std::string_view path);

}  // namespace shoal::api
