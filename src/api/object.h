// Helpers for Kubernetes objects held as JSON documents (boost::json): path lookup,
// metadata access, the field values used by field selectors, and the canonical encoding
// used for storage and responses. Objects stay JSON end to end so that every field of the
// schema survives; components extract small typed views with these helpers.
//
// Stateless functions; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "api/fields.h"
#include "api/labels.h"
#include "api/registry.h"

namespace shoal::api {

namespace json = boost::json;

// The value at a dotted path ("spec.nodeName"), or nullptr if any step is missing or not an
// object.
const json::value* FindPath(const json::value& root, std::string_view dotted_path);
// Same, starting from an object (avoids an implicit, dangling json::value copy).
const json::value* FindPath(const json::object& root, std::string_view dotted_path);

// The string at a dotted path, or "" when absent or not a string.
std::string_view StringAt(const json::value& root, std::string_view dotted_path);
std::string_view StringAt(const json::object& root, std::string_view dotted_path);
// True only when the value at a dotted path is the boolean true.
bool BoolAt(const json::value& root, std::string_view dotted_path);
bool BoolAt(const json::object& root, std::string_view dotted_path);
// metadata.resourceVersion as a number (shoal's are decimal revisions), 0 when absent or not
// one: what controllers compare to keep the newest of two copies of an object.
int64_t ResourceVersionAt(const json::object& object);

// The field-selector view of an object: metadata.name, metadata.namespace and every field in
// type.selectable_fields, as strings (booleans as "true"/"false", absent as "").
Fields ExtractFields(const ResourceType& type, const json::value& object);
Fields ExtractFields(const ResourceType& type, const json::object& object);

// metadata.labels as a sorted Labels list.
Labels ExtractLabels(const json::value& object);
Labels ExtractLabels(const json::object& object);

// Canonical JSON encoding: apiVersion, kind and metadata come first (in that order), then the
// remaining fields in their existing order. The stored form additionally omits
// metadata.resourceVersion, which the watch cache injects from the store revision.
std::string Serialize(const json::object& object);
std::string SerializeForStore(const json::object& object);

// JSON as Go's encoding/json writes an unstructured object (map[string]interface{}): object
// keys sorted by byte value at every level, `<`, `>`, `&`, U+2028 and U+2029 escaped as
// \u003c..., integers as integers and floats in their shortest form. This is the text of
// Kubernetes' kubectl.kubernetes.io/last-applied-configuration annotation (plus a newline).
std::string SerializeSortedLikeGo(const json::value& value);

// Puts `"resourceVersion":"<rv>"` first in the metadata of a document produced by
// SerializeForStore (replacing a resourceVersion already there), without reparsing it. Falls
// back to parse-and-reencode if the document is not in canonical form.
std::string InjectResourceVersion(std::string_view stored, int64_t rv);

// `doc` (a serialized object) with its apiVersion set to `api_version`, or nullopt when it
// already has it. A document in canonical form is patched in place of its first member;
// another is parsed and re-encoded. Serves a custom resource stored through one version of
// its CRD from another (the "None" conversion strategy only changes apiVersion).
std::optional<std::string> WithApiVersion(std::string_view doc, std::string_view api_version);

// True if `doc` is in canonical form and InjectResourceVersion(doc, rv) would return it
// unchanged, so that it can be served as it is.
bool HasResourceVersion(std::string_view doc, int64_t rv);

// True if `stamped` is `stored` (SerializeForStore's form) stamped with `rv` by
// InjectResourceVersion: what an update compares to skip writing an unchanged object,
// without building either string again. False when `stamped` is not in that form.
bool StampedFrom(std::string_view stamped, int64_t rv, std::string_view stored);

// Parses a request body. Returns InvalidArgument with the parser's message (naming the
// offset) when it is not valid JSON.
absl::StatusOr<json::value> ParseJson(std::string_view text);

}  // namespace shoal::api
