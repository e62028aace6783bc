// Request routing: kube's RequestInfo (group, version, namespace, resource, name,
// subresource, verb) from the URL and method, and list filters from the query.
#include <boost/json.hpp>

#include "absl/strings/str_split.h"
#include "apiserver/errors.h"
#include "apiserver/internal/rest.h"
#include "base/strings.h"

namespace shoal::apiserver::internal {

std::optional<absl::StatusOr<RequestInfo>> ParseRequestInfo(const Request& req,
                                                            const api::Registry& registry) {
  std::vector<std::string> parts = absl::StrSplit(req.path, '/', absl::SkipEmpty());
  RequestInfo info;
  size_t i = 0;
  if (parts.size() >= 3 && parts[0] == "api") {
    info.version = parts[1];
    i = 2;
  } else if (parts.size() >= 4 && parts[0] == "apis") {
    info.group = parts[1];
    info.version = parts[2];
    i = 3;
  } else {
    return std::nullopt;
  }
  std::vector<std::string> rest(parts.begin() + i, parts.end());
  std::string plural;
  // /namespaces/{ns}/{plural}[/{name}[/{sub}]] for namespaced resources.
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    info.ns = rest[1];
    plural = rest[2];
    if (rest.size() >= 4) info.name = rest[3];
    if (rest.size() >= 5) info.subresource = rest[4];
    if (rest.size() > 5) return absl::StatusOr<RequestInfo>(absl::NotFoundError("the server could not find the requested resource"));
  } else {
    plural = rest[0];
    if (rest.size() >= 2) info.name = rest[1];
    if (rest.size() >= 3) info.subresource = rest[2];
    if (rest.size() > 3) return absl::StatusOr<RequestInfo>(absl::NotFoundError("the server could not find the requested resource"));
  }
  info.type = registry.Find(info.group, info.version, plural);
  if (info.type == nullptr) {
    return absl::StatusOr<RequestInfo>(
        absl::NotFoundError("the server could not find the requested resource"));
  }
  if (!info.type->namespaced && !info.ns.empty()) {
    return absl::StatusOr<RequestInfo>(
        absl::NotFoundError("the server could not find the requested resource"));
  }
  if (!info.subresource.empty() && info.subresource != "status" &&
      !(info.subresource == "binding" && info.type->has_binding) &&
      !(info.subresource == "eviction" && info.type->has_eviction) &&
      !(info.subresource == "finalize" && plural == "namespaces")) {
    return absl::StatusOr<RequestInfo>(
        absl::NotFoundError("the server could not find the requested resource"));
  }
  const std::string& m = req.method;
  if (m == "GET") {
    info.verb = !info.name.empty() ? "get" : (ApiServer::IsWatch(req) ? "watch" : "list");
  } else if (m == "POST") {
    info.verb = "create";
    if (!info.name.empty() && info.subresource.empty()) {
      return absl::StatusOr<RequestInfo>(MethodNotAllowed(
          "the server does not allow this method on the requested resource"));
    }
  } else if (m == "PUT") {
    info.verb = "update";
    if (info.subresource == "finalize") info.subresource = "";
  } else if (m == "PATCH") {
    info.verb = "patch";
  } else if (m == "DELETE") {
    info.verb = info.name.empty() ? "deletecollection" : "delete";
  } else {
    return absl::StatusOr<RequestInfo>(
        MethodNotAllowed("the server does not allow this method on the requested resource"));
  }
  if (info.name.empty() && (info.verb == "update" || info.verb == "patch")) {
    return absl::StatusOr<RequestInfo>(
        MethodNotAllowed("the server does not allow this method on the requested resource"));
  }
  return absl::StatusOr<RequestInfo>(std::move(info));
}

absl::StatusOr<Filter> ParseFilter(const Request& req, const api::ResourceType& type,
                                   const std::string& ns) {
  Filter f;
  f.ns = ns;
  auto labels = api::LabelSelector::Parse(req.Param("labelSelector"));
  if (!labels.ok()) {
    // The parser's messages are kube-apiserver's (labels.Parse), prefixes included.
    return BadRequest(labels.status().message());
  }
  f.labels = std::move(*labels);
  auto fields = api::FieldSelector::Parse(req.Param("fieldSelector"));
  if (!fields.ok()) {
    return BadRequest(fields.status().message());
  }
  for (const std::string& name : fields->FieldNames()) {
    bool ok = name == "metadata.name" || name == "metadata.namespace" ||
              std::find(type.selectable_fields.begin(), type.selectable_fields.end(), name) !=
                  type.selectable_fields.end();
    if (!ok) {
      return BadRequest(base::StrCat("field label not supported: ", name));
    }
  }
  f.fields = std::move(*fields);
  return f;
}

}  // namespace shoal::apiserver::internal
