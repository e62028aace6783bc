// Syntax checks for names, label keys and label values, matching k8s.io/apimachinery
// pkg/util/validation (IsDNS1123Subdomain, IsDNS1123Label, IsQualifiedName / IsLabelKey,
// IsValidLabelValue). Stateless free functions, safe from any thread.
//
// Each check returns OK or absl::InvalidArgumentError whose message is Kubernetes' text for the
// rule that failed; when several rules fail the texts are joined with "; " exactly as
// apimachinery does (e.g. "must be no more than 63 characters; a valid label must be ...").
// The message carries no field path or value: callers prefix it, Kubernetes style, e.g.
// `metadata.labels: Invalid value: "a b": <message>`.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace shoal::api {

// Maximum lengths, as in apimachinery.
inline constexpr size_t kDns1123LabelMaxLength = 63;
inline constexpr size_t kDns1123SubdomainMaxLength = 253;
inline constexpr size_t kLabelKeyNameMaxLength = 63;
inline constexpr size_t kLabelValueMaxLength = 63;

// A lowercase RFC 1123 subdomain: at most 253 characters matching
// [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)* (object names, namespaces'
// DNS prefixes, label key prefixes). Returns InvalidArgument otherwise.
[[nodiscard]] absl::Status ValidateDns1123Subdomain(std::string_view value);

// A lowercase RFC 1123 label: at most 63 characters matching [a-z0-9]([-a-z0-9]*[a-z0-9])?
// (namespace names, service names). A valid subdomain with dots is reported as
// "must not contain dots". Returns InvalidArgument otherwise.
[[nodiscard]] absl::Status ValidateDns1123Label(std::string_view value);

// A label key (Kubernetes "qualified name"): an optional DNS-1123 subdomain prefix and '/',
// then a name part of 1..63 characters of [A-Za-z0-9._-] that starts and ends alphanumeric.
// Returns InvalidArgument otherwise.
[[nodiscard]] absl::Status ValidateLabelKey(std::string_view key);

// A label value: empty, or at most 63 characters of [A-Za-z0-9._-] that start and end
// alphanumeric. Returns InvalidArgument otherwise.
[[nodiscard]] absl::Status ValidateLabelValue(std::string_view value);

// Any text made a valid label value: characters a label value cannot hold become '-', it is
// cut to 63 characters and trimmed to begin and end alphanumeric ("NVIDIA H100 80GB HBM3"
// -> "NVIDIA-H100-80GB-HBM3", as NVIDIA's GPU feature discovery writes nvidia.com/gpu.product).
std::string ToLabelValue(std::string_view text);

}  // namespace shoal::api
