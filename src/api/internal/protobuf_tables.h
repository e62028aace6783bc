// The descriptor tables of the protobuf decoder (api/protobuf.h): for each Kubernetes message
// type shoal decodes, its fields with their numbers, JSON names, wire types and Go JSON
// emptiness rules, and the kinds that may arrive as a request body. Static data; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace shoal::api::internal {

// ---------------------------------------------------------------------------------------------
// Descriptor tables: the fields of release 1.32, with the numbers of the generated.proto files of
// k8s.io/api and k8s.io/apimachinery (a number is never reused), and pointer-ness and omitempty
// from the Go types.go. Each message lists its fields in Go struct order, the order in which
// Go's encoding/json writes them and in which they are written here.

// How a field's payload is decoded and written.
enum class T : uint8_t {
  kString,       // string
  kBytes,        // []byte, written in base64 as Go's encoding/json does
  kInt32,        // varint; negative values are sign-extended to 10 bytes on the wire
  kInt64,        // varint
  kBool,         // varint
  kMessage,      // nested message -> object
  kInline,       // embedded struct with `json:",inline"`: its fields join the enclosing object
  kMapString,    // map<string, string>
  kMapBytes,     // map<string, bytes>, values in base64
  kMapQuantity,  // map<string, resource.Quantity>
  kQuantity,     // resource.Quantity {string string = 1} -> "500m"
  kTime,         // metav1.Time {int64 seconds = 1, int32 nanos = 2} -> "2006-01-02T15:04:05Z"
  kMicroTime,    // metav1.MicroTime -> "2006-01-02T15:04:05.000000Z"
  kIntOrString,  // intstr.IntOrString {int64 type = 1, int32 intVal = 2, string strVal = 3}
  kRawJson,      // runtime.RawExtension / metav1.FieldsV1 {bytes raw = 1} holding JSON
};

// Field flags.
constexpr uint8_t kPtr = 1;   // Go pointer: written whenever present, even as 0, false, "" or {}
constexpr uint8_t kRep = 2;   // repeated (Go slice)
constexpr uint8_t kKeep = 4;  // json tag without omitempty: written even when zero

// The tables below are laid out by hand, several fields to a line; clang-format would put one
// field on each line and triple their length.
// clang-format off

// Message types. The k*Entry, kQuantityMsg, kTimeMsg, kIntOrStringMsg and kRawMsg types
// describe the wire form of map entries and of the special types above.
enum class M : uint8_t {
  // meta/v1, runtime, resource, intstr
  kObjectMeta, kOwnerReference, kManagedFieldsEntry, kLabelSelector, kSelectorRequirement,
  kDeleteOptions, kPreconditions, kTypeMeta, kQuantityMsg, kTimeMsg, kIntOrStringMsg, kRawMsg,
  kStringEntry, kBytesEntry, kQuantityEntry,
  // core/v1 kinds and their parts
  kNamespace, kNamespaceSpec, kNamespaceStatus, kNamespaceCondition, kConfigMap, kSecret,
  kEvent, kEventSource, kEventSeries, kObjectReference, kBinding, kNode, kNodeSpec,
  kNodeConfigSource, kConfigMapNodeConfigSource, kTaint, kNodeStatus, kNodeCondition,
  kNodeAddress, kNodeDaemonEndpoints, kDaemonEndpoint, kNodeSystemInfo, kContainerImage,
  kAttachedVolume, kNodeFeatures, kPod, kPodStatus, kPodCondition, kIP,
  // core/v1 PodSpec
  kPodTemplateSpec, kPodSpec, kContainer, kEphemeralContainer, kContainerPort, kEnvFromSource,
  kEnvFromRef, kEnvVar, kEnvVarSource, kKeySelector, kObjectFieldSelector,
  kResourceFieldSelector, kResourceRequirements, kResourceClaim, kContainerResizePolicy,
  kVolumeMount, kVolumeDevice, kProbe, kProbeHandler, kLifecycle, kLifecycleHandler,
  kExecAction, kHTTPGetAction, kHTTPHeader, kTCPSocketAction, kGRPCAction, kSleepAction,
  kSecurityContext, kCapabilities, kSELinuxOptions, kWindowsOptions, kSecurityProfile,
  kPodSecurityContext, kSysctl, kLocalObjectReference, kAffinity, kNodeAffinity, kNodeSelector,
  kNodeSelectorTerm, kPreferredSchedulingTerm, kPodAffinity, kPodAffinityTerm,
  kWeightedPodAffinityTerm, kToleration, kHostAlias, kPodDNSConfig, kPodDNSConfigOption,
  kPodReadinessGate, kTopologySpreadConstraint, kPodResourceClaim,
  // core/v1 volumes
  kVolume, kVolumeSource, kHostPathVolumeSource, kEmptyDirVolumeSource, kGitRepoVolumeSource,
  kSecretVolumeSource, kKeyToPath, kNFSVolumeSource, kPVCVolumeSource, kDownwardAPIVolumeSource,
  kDownwardAPIVolumeFile, kConfigMapVolumeSource, kProjectedVolumeSource, kVolumeProjection,
  kKeyProjection, kDownwardAPIProjection, kServiceAccountTokenProjection,
  kClusterTrustBundleProjection, kCSIVolumeSource, kEphemeralVolumeSource, kPVCTemplate,
  kPVCSpec, kVolumeResourceRequirements, kTypedObjectReference, kImageVolumeSource,
  // other groups
  kEviction, kLease, kLeaseSpec, kPriorityClass, kJob, kJobSpec, kPodFailurePolicy,
  kPodFailurePolicyRule, kOnExitCodes, kOnPodConditions, kSuccessPolicy, kSuccessPolicyRule,
  kNone,
};

// clang-format on

struct Field {
  std::string_view json;  // JSON name; empty for kInline
  uint32_t number;
  T type;
  uint8_t flags;
  M message;  // kMessage, kInline
};

constexpr Field F(uint32_t n, std::string_view j, T t, uint8_t fl = 0, M m = M::kNone) {
  return {j, n, t, fl, m};
}
constexpr Field Str(uint32_t n, std::string_view j, uint8_t fl = 0) {
  return F(n, j, T::kString, fl);
}
constexpr Field Bytes(uint32_t n, std::string_view j) { return F(n, j, T::kBytes); }
constexpr Field I32(uint32_t n, std::string_view j, uint8_t fl = 0) {
  return F(n, j, T::kInt32, fl);
}
constexpr Field I64(uint32_t n, std::string_view j, uint8_t fl = 0) {
  return F(n, j, T::kInt64, fl);
}
constexpr Field Bool(uint32_t n, std::string_view j, uint8_t fl = 0) {
  return F(n, j, T::kBool, fl);
}
constexpr Field Msg(uint32_t n, std::string_view j, M m, uint8_t fl = 0) {
  return F(n, j, T::kMessage, fl, m);
}
constexpr Field Inline(uint32_t n, M m) { return F(n, "", T::kInline, 0, m); }
constexpr Field MapStr(uint32_t n, std::string_view j) { return F(n, j, T::kMapString); }
constexpr Field MapBytes(uint32_t n, std::string_view j) { return F(n, j, T::kMapBytes); }
constexpr Field MapQty(uint32_t n, std::string_view j) { return F(n, j, T::kMapQuantity); }
constexpr Field Qty(uint32_t n, std::string_view j, uint8_t fl = 0) {
  return F(n, j, T::kQuantity, fl);
}
constexpr Field Time(uint32_t n, std::string_view j, uint8_t fl = 0) {
  return F(n, j, T::kTime, fl);
}
constexpr Field MicroTime(uint32_t n, std::string_view j, uint8_t fl = 0) {
  return F(n, j, T::kMicroTime, fl);
}
constexpr Field IntStr(uint32_t n, std::string_view j) { return F(n, j, T::kIntOrString); }
constexpr Field RawJson(uint32_t n, std::string_view j, uint8_t fl = 0) {
  return F(n, j, T::kRawJson, fl);
}

struct KindEntry {
  std::string_view api_version;
  std::string_view kind;
  M message;
};

// The fields of a message type; empty for kNone.
std::span<const Field> FieldsOf(M m);
// The message type of a kind sent as a request body, or nullptr when it has no table.
const KindEntry* FindKind(std::string_view api_version, std::string_view kind);

}  // namespace shoal::api::internal
