// Binding pods to nodes: the shared mutation of pods/binding and the namespaced `bindings`
// collection, whose BindingList form binds a gang in one store transaction.
#include <algorithm>

#include <boost/json.hpp>

#include "api/object.h"
#include "apiserver/errors.h"
#include "apiserver/internal/async_write.h"
#include "apiserver/internal/rest.h"
#include "base/strings.h"

namespace shoal::apiserver::internal {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr int kMaxTxnAttempts = 5;

absl::Status BindingsBadRequest(std::string_view why) {
  return BadRequest(base::StrCat("BindingList in version \"v1\" cannot be handled: ", why));
}

}  // namespace

absl::StatusOr<json::object> BindPod(const json::object& pod, std::string_view pod_name,
                                     std::string_view node, const std::string& now) {
  if (!api::StringAt(pod, "metadata.deletionTimestamp").empty()) {
    return Conflict("pods/binding", pod_name, "pod is being deleted, cannot be assigned to a host");
  }
  std::string_view cur = api::StringAt(pod, "spec.nodeName");
  if (!cur.empty()) {
    return Conflict("pods/binding", pod_name,
                    base::StrCat("pod ", pod_name, " is already assigned to node \"", cur, "\""));
  }
  json::object obj = pod;
  json::value& spec = obj["spec"];
  if (!spec.is_object()) spec = json::object();
  spec.get_object()["nodeName"] = node;
  json::value& status = obj["status"];
  if (!status.is_object()) status = json::object();
  json::value& conds = status.get_object()["conditions"];
  if (!conds.is_array()) conds = json::array();
  json::array& arr = conds.get_array();
  json::object cond{{"type", "PodScheduled"}, {"status", "True"},
                    {"lastProbeTime", nullptr}, {"lastTransitionTime", now}};
  auto it = std::find_if(arr.begin(), arr.end(), [](const json::value& c) {
    return c.is_object() && api::StringAt(c, "type") == "PodScheduled";
  });
  if (it != arr.end()) {
    *it = cond;
  } else {
    arr.push_back(cond);
  }
  return obj;
}

asio::awaitable<Response> HandleBindings(ApiServer& s, const Request& req, const std::string& ns) {
  auto body = DecodeRequestBody(req, nullptr);
  if (!body.ok() && HttpCode(body.status()) != 400) co_return ErrorResponse(body.status());
  if (!body.ok() || !body->is_object()) {
    co_return ErrorResponse(BindingsBadRequest("the request body must be a JSON object"));
  }
  // One Binding, or a BindingList of them.
  std::vector<const json::object*> bindings;
  const json::object& top = body->get_object();
  if (api::StringAt(top, "kind") == "BindingList") {
    const json::value* items = top.if_contains("items");
    if (items == nullptr || !items->is_array()) {
      co_return ErrorResponse(BindingsBadRequest("items must be a list of Bindings"));
    }
    for (const json::value& item : items->get_array()) {
      if (!item.is_object()) co_return ErrorResponse(BindingsBadRequest("items must be objects"));
      bindings.push_back(&item.get_object());
    }
  } else {
    bindings.push_back(&top);
  }
  const api::ResourceType* pods = s.registry().Find("", "v1", "pods");
  WatchCache& cache = *s.CacheFor(*pods);
  if (auto st = CheckNamespace(s, ns); !st.ok() && !absl::IsNotFound(st)) {
    co_return ErrorResponse(st);
  }
  const std::string now = base::FormatRfc3339(s.clock().Now());
  std::string first_name;
  for (int attempt = 0; attempt < kMaxTxnAttempts; ++attempt) {
    std::vector<store::WriteOp> ops;
    ops.reserve(bindings.size());
    for (size_t i = 0; i < bindings.size(); ++i) {
      const json::object& b = *bindings[i];
      std::string name(api::StringAt(b, "metadata.name"));
      std::string node(api::StringAt(b, "target.name"));
      if (name.empty() || node.empty()) {
        co_return ErrorResponse(Invalid(
            "Binding", name,
            {{"FieldValueRequired", "Required value",
              base::StrCat(bindings.size() > 1 ? base::StrCat("items[", i, "].") : "",
                           name.empty() ? "metadata.name" : "target.name")}}));
      }
      if (i == 0) first_name = name;
      ObjectPtr cur = cache.Get(pods->Key(ns, name));
      if (!cur) co_return ErrorResponse(NotFound(pods->QualifiedResource(), name));
      auto old = api::ParseJson(*cur->json);
      if (!old.ok() || !old->is_object()) co_return ErrorResponse(absl::InternalError("bad pod"));
      auto bound = BindPod(old->get_object(), name, node, now);
      if (!bound.ok()) co_return ErrorResponse(bound.status());
      ops.push_back(store::WriteOp{store::WriteOp::Kind::kUpdate, pods->Key(ns, name),
                                   api::SerializeForStore(*bound), cur->rv});
      HintFields(ops.back(), *pods, *bound);
    }
    auto kvs = co_await AsyncTxn(s, *pods, std::move(ops));
    if (kvs.ok()) {
      Response r;
      r.code = 201;
      r.body = SuccessStatusJson(first_name, "", "pods", "");
      co_return r;
    }
    if (absl::IsAborted(kvs.status())) continue;  // a pod changed meanwhile: read again
    if (absl::IsNotFound(kvs.status())) {
      co_return ErrorResponse(absl::NotFoundError(kvs.status().message()));
    }
    co_return ErrorResponse(kvs.status());
  }
  co_return ErrorResponse(ConflictModified(pods->QualifiedResource(), first_name));
}

}  // namespace shoal::apiserver::internal
