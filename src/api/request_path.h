// Reading an API path as kube's RequestInfo does, for labels (metrics, latency reports): the
// resource and subresource it addresses, without group, version, namespace or name.
#pragma once

#include <string>
#include <string_view>

namespace shoal::api {

// "pods", "pods/status", "leases", "nodes", "namespaces" ... from an API path
// (/api/v1/... or /apis/GROUP/VERSION/...); "" for other paths.
std::string ResourceOfPath(std::string_view path);

}  // namespace shoal::api
