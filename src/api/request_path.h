// Reading an API path as kube's RequestInfo does, for labels (metrics, latency reports): the
// resource and subresource it addresses, and whether it names one object.
#pragma once

#include <string>
#include <string_view>

namespace shoal::api {

struct ApiPath {
  std::string group;        // "" for the core group (/api/v1), else /apis/GROUP
  std::string ns;           // the namespace of a namespaced resource, else ""
  std::string resource;     // "pods"; "" when the path is not /api/v1/... or /apis/G/V/...
  std::string subresource;  // "status", or ""
  bool named = false;       // names one object (or its subresource), not a collection
};

// /api/v1/[namespaces/NS/]RESOURCE[/NAME[/SUBRESOURCE]] and the same under /apis/GROUP/VERSION.
// A path of exactly /api/v1/namespaces/NAME[/SUB] is the namespace NAME itself.
ApiPath ParseApiPath(std::string_view path);

// "pods", "pods/status", "leases", "nodes", "namespaces" ...; "" for other paths.
std::string ResourceOfPath(std::string_view path);

}  // namespace shoal::api
