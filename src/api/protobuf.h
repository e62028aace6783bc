// Decoding of Kubernetes protobuf request bodies (Content-Type
// application/vnd.kubernetes.protobuf), as kubectl's typed generators send them (`kubectl create
// namespace|configmap|secret|job|priorityclass`, ...), into the JSON object a JSON client would
// have sent for the same Go object, so that the API server can treat the body like a JSON one.
// Only the kinds shoal serves are described (see IsKubernetesProtobufKindSupported); shoal never
// writes protobuf.
//
// Stateless functions over static tables; safe from any thread.
#pragma once

#include <boost/json.hpp>
#include <string_view>

#include "absl/status/statusor.h"

namespace shoal::api {

// Decodes `body`: the 4 magic bytes "k8s\0", then a runtime.Unknown message (typeMeta
// {apiVersion, kind}, raw, contentEncoding, contentType). Returns the object decoded from `raw`
// for typeMeta's apiVersion and kind, with "apiVersion" and "kind" as its first two members.
// Fields are emitted as a Go JSON client emits them: pointer fields whenever set (0, false, ""
// and {} included), other fields only when not zero or empty unless their json tag has no
// omitempty; unknown field numbers are skipped.
// Errors: InvalidArgument for malformed input, naming the problem and where ("protobuf:
// truncated varint at byte 17", "protobuf: missing k8s magic prefix", "protobuf: field
// spec.template (6) has wire type 0, want 2"); Unimplemented for a kind without a table
// ("protobuf bodies of v1, Kind=Service are not supported; send JSON").
absl::StatusOr<boost::json::object> DecodeKubernetesProtobuf(std::string_view body);

// True when DecodeKubernetesProtobuf knows how to decode objects of this apiVersion and kind
// ("v1"/"Pod", "batch/v1"/"Job", ...).
bool IsKubernetesProtobufKindSupported(std::string_view api_version, std::string_view kind);

}  // namespace shoal::api
