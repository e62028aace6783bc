// Admission steps that read other objects: the namespace lifecycle check and the Priority
// plugin (pods get spec.priority from their PriorityClass).
#include <optional>

#include <boost/json.hpp>

#include "api/object.h"
#include "apiserver/errors.h"
#include "apiserver/internal/rest.h"
#include "base/strings.h"

namespace shoal::apiserver::internal {

namespace json = boost::json;

// Checks that the namespace of a new object exists and accepts new content.
absl::Status CheckNamespace(ApiServer& s, const std::string& ns) {
  const api::ResourceType* nst = s.registry().Find("", "v1", "namespaces");
  ObjectPtr n = s.CacheFor(*nst)->Get(nst->Key("", ns));
  if (!n) return NotFound("namespaces", ns);
  auto parsed = api::ParseJson(*n->json);
  if (parsed.ok() && !api::StringAt(*parsed, "metadata.deletionTimestamp").empty()) {
    return Forbidden(base::StrCat("unable to create new content in namespace ", ns,
                                  " because it is being terminated"));
  }
  return absl::OkStatus();
}

// The Priority admission plugin: spec.priority (and preemptionPolicy) come from the pod's
// PriorityClass, or from the global default class, or are 0. An unknown class is rejected
// (422 on shoal; kube-apiserver answers 403), as is a spec.priority that disagrees.
absl::Status AdmitPodPriority(ApiServer& s, json::object& pod) {
  const api::ResourceType* pct = s.registry().Find("scheduling.k8s.io", "v1", "priorityclasses");
  WatchCache& classes = *s.CacheFor(*pct);
  std::string name(api::StringAt(pod, "spec.priorityClassName"));
  std::optional<json::value> cls;
  if (!name.empty()) {
    ObjectPtr c = classes.Get(pct->Key("", name));
    if (!c) {
      return Invalid("Pod", api::StringAt(pod, "metadata.name"),
                     {{"FieldValueNotFound",
                       base::StrCat("Not found: \"", name, "\": no PriorityClass with name ",
                                    name, " was found"),
                       "spec.priorityClassName"}});
    }
    auto parsed = api::ParseJson(*c->json);
    if (parsed.ok()) cls = std::move(*parsed);
  } else {
    ListOptions all;
    auto list = classes.List(all);
    int64_t best = 0;
    if (list.ok()) {
      for (const ObjectPtr& c : list->items) {
        auto parsed = api::ParseJson(*c->json);
        if (!parsed.ok()) continue;
        const json::value* v = api::FindPath(*parsed, "value");
        if (!api::BoolAt(*parsed, "globalDefault") || v == nullptr || !v->is_int64()) {
          continue;
        }
        if (!cls || v->get_int64() > best) {
          best = v->get_int64();
          cls = std::move(*parsed);
        }
      }
    }
  }
  int64_t priority = 0;
  std::string policy = "PreemptLowerPriority";
  if (cls) {
    const json::value* v = api::FindPath(*cls, "value");
    if (v != nullptr && v->is_int64()) priority = v->get_int64();
    std::string_view p = api::StringAt(*cls, "preemptionPolicy");
    if (!p.empty()) policy = std::string(p);
  }
  json::value& spec_value = pod["spec"];
  if (!spec_value.is_object()) spec_value = json::object();  // DefaultPod made it one
  json::object& spec = spec_value.get_object();
  if (const json::value* given = spec.if_contains("priority");
      given != nullptr && !given->is_null() && (!given->is_int64() || given->get_int64() != priority)) {
    return Forbidden(base::StrCat(
        "pods \"", api::StringAt(pod, "metadata.name"), "\" is forbidden: the integer value of "
        "priority (", json::serialize(*given), ") must not be provided in pod spec; priority "
        "admission controller computed ", priority, " from the given PriorityClass name"));
  }
  spec["priority"] = priority;
  if (cls && name.empty()) spec["priorityClassName"] = api::StringAt(*cls, "metadata.name");
  if (!spec.contains("preemptionPolicy")) spec["preemptionPolicy"] = policy;
  return absl::OkStatus();
}

bool NamespaceTerminating(ApiServer& s, const std::string& ns) {
  const api::ResourceType* nst = s.registry().Find("", "v1", "namespaces");
  ObjectPtr n = s.CacheFor(*nst)->Get(nst->Key("", ns));
  if (!n) return false;
  auto parsed = api::ParseJson(*n->json);
  return parsed.ok() && !api::StringAt(*parsed, "metadata.deletionTimestamp").empty();
}

}  // namespace shoal::apiserver::internal
