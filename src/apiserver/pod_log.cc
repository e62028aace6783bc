// pods/log: which node agent serves a container's log (the front end then relays it).
#include <boost/json.hpp>

#include "api/object.h"
#include "apiserver/api_server.h"
#include "apiserver/errors.h"
#include "apiserver/internal/rest.h"
#include "apiserver/watch_cache.h"
#include "base/strings.h"

namespace shoal::apiserver::internal {

namespace json = boost::json;

namespace {

absl::StatusOr<json::value> GetObject(ApiServer& s, std::string_view plural, std::string_view ns,
                                      std::string_view name) {
  const api::ResourceType* type = s.registry().Find("", "v1", plural);
  ObjectPtr obj = type == nullptr ? nullptr : s.CacheFor(*type)->Get(type->Key(ns, name));
  if (!obj) return NotFound(plural, name);
  return api::ParseJson(*obj->json);
}

}  // namespace

std::optional<absl::StatusOr<PodLogTarget>> ResolvePodLog(ApiServer& server, const Request& req) {
  // /api/v1/namespaces/{ns}/pods/{name}/log
  constexpr std::string_view kPrefix = "/api/v1/namespaces/";
  if (req.method != "GET" || !req.path.starts_with(kPrefix) || !req.path.ends_with("/log")) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(req.path).substr(kPrefix.size());
  rest.remove_suffix(4);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || rest.substr(slash + 1, 5) != "pods/") return std::nullopt;
  std::string ns(rest.substr(0, slash));
  std::string name(rest.substr(slash + 6));
  if (name.empty() || name.find('/') != std::string::npos) return std::nullopt;

  auto pod = GetObject(server, "pods", ns, name);
  if (!pod.ok()) return pod.status();
  std::vector<std::string> names;
  for (const char* list : {"spec.containers", "spec.initContainers"}) {
    const json::value* cs = api::FindPath(*pod, list);
    if (cs == nullptr || !cs->is_array()) continue;
    for (const json::value& c : cs->get_array()) names.emplace_back(api::StringAt(c, "name"));
  }
  std::string container = req.Param("container");
  if (container.empty()) {
    const json::value* cs = api::FindPath(*pod, "spec.containers");
    if (cs == nullptr || !cs->is_array() || cs->get_array().size() != 1) {
      return BadRequest(base::StrCat("a container name must be specified for pod ", name,
                                     ", choose one of: [", base::StrJoin(names, " "), "]"));
    }
    container = std::string(api::StringAt(cs->get_array()[0], "name"));
  } else if (std::find(names.begin(), names.end(), container) == names.end()) {
    return BadRequest(
        base::StrCat("container ", container, " is not valid for pod ", name));
  }
  std::string node(api::StringAt(*pod, "spec.nodeName"));
  if (node.empty()) {
    return BadRequest(base::StrCat("container \"", container, "\" in pod \"", name,
                                   "\" is waiting to start: the pod is not scheduled"));
  }
  auto n = GetObject(server, "nodes", "", node);
  if (!n.ok()) return BadRequest(base::StrCat("node \"", node, "\" of pod ", name, " not found"));
  PodLogTarget t;
  const json::value* port = api::FindPath(*n, "status.daemonEndpoints.kubeletEndpoint.Port");
  if (port != nullptr && port->is_int64()) t.port = static_cast<int>(port->get_int64());
  if (const json::value* addrs = api::FindPath(*n, "status.addresses");
      addrs != nullptr && addrs->is_array()) {
    for (const json::value& a : addrs->get_array()) {
      if (api::StringAt(a, "type") == "InternalIP") t.host = std::string(api::StringAt(a, "address"));
    }
  }
  if (t.port <= 0 || t.host.empty()) {
    return BadRequest(base::StrCat("node \"", node,
                                   "\" has no agent endpoint (no shoal agent serves its logs)"));
  }
  t.path = base::StrCat("/containerLogs/", ns, "/", name, "/", container);
  for (const char* q : {"follow", "previous", "timestamps", "tailLines", "limitBytes",
                        "sinceSeconds"}) {
    if (req.Has(q)) t.query[q] = req.Param(q);
  }
  return t;
}

}  // namespace shoal::apiserver::internal
