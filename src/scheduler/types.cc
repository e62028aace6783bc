#include "scheduler/types.h"

#include <algorithm>

#include <boost/json.hpp>

#include "absl/strings/numbers.h"
#include "api/object.h"
#include "api/quantity.h"
#include "base/strings.h"

namespace shoal::scheduler {

namespace json = boost::json;

namespace {

const json::array* ArrayAt(const json::object& o, std::string_view path) {
  const json::value* v = api::FindPath(o, path);
  return v != nullptr && v->is_array() ? &v->get_array() : nullptr;
}

const json::object* ObjectAt(const json::value& o, std::string_view path) {
  const json::value* v = api::FindPath(o, path);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}
// The overload for a pod or node object: without it, passing a json::object would bind a
// temporary json::value copy and return a pointer into it.
const json::object* ObjectAt(const json::object& o, std::string_view path) {
  const json::value* v = api::FindPath(o, path);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

LabelMap LabelsOf(const json::object* m) {
  LabelMap out;
  if (m == nullptr) return out;
  out.reserve(m->size());
  for (const auto& [k, v] : *m) {
    if (v.is_string()) out.emplace_back(std::string(k), std::string(v.get_string()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

TaintEffect EffectOf(std::string_view e) {
  if (e == "PreferNoSchedule") return TaintEffect::kPreferNoSchedule;
  if (e == "NoExecute") return TaintEffect::kNoExecute;
  return TaintEffect::kNoSchedule;
}

// Adds a resource list (requests or limits) into `out`. cpu in millicores, the rest in units.
absl::Status AddResourceList(const json::object* list, ResourceNames& names, Resources& out) {
  if (list == nullptr) return absl::OkStatus();
  for (const auto& [name, value] : *list) {
    auto q = api::QuantityFromJson(value);
    if (!q.ok()) {
      return absl::InvalidArgumentError(base::StrCat("resource ", std::string_view(name), ": ",
                                                     q.status().message()));
    }
    auto slot = names.Slot(std::string_view(name));
    if (!slot.ok()) return slot.status();
    out[*slot] += *slot == kCpu ? q->MilliValue() : q->Value();
  }
  return absl::OkStatus();
}

// A container's requests (admission defaulted requests from limits already; a foreign server
// may not have, so limits stand in for missing requests as Kubernetes' defaulting does).
absl::StatusOr<Resources> ContainerRequests(const json::value& c, ResourceNames& names) {
  Resources r;
  const json::object* req = ObjectAt(c, "resources.requests");
  const json::object* lim = ObjectAt(c, "resources.limits");
  if (auto st = AddResourceList(req, names, r); !st.ok()) return st;
  if (lim != nullptr) {
    for (const auto& [name, value] : *lim) {
      if (req != nullptr && req->contains(name)) continue;
      json::object one{{name, value}};
      if (auto st = AddResourceList(&one, names, r); !st.ok()) return st;
    }
  }
  return r;
}

absl::StatusOr<NodeSelectorRequirement> RequirementOf(const json::value& v) {
  NodeSelectorRequirement r;
  r.key = std::string(api::StringAt(v, "key"));
  std::string_view op = api::StringAt(v, "operator");
  using Op = NodeSelectorRequirement::Op;
  if (op == "In") r.op = Op::kIn;
  else if (op == "NotIn") r.op = Op::kNotIn;
  else if (op == "Exists") r.op = Op::kExists;
  else if (op == "DoesNotExist") r.op = Op::kDoesNotExist;
  else if (op == "Gt") r.op = Op::kGt;
  else if (op == "Lt") r.op = Op::kLt;
  else return absl::InvalidArgumentError(base::StrCat("node selector operator \"", op, "\""));
  if (const json::value* vals = api::FindPath(v, "values"); vals != nullptr && vals->is_array()) {
    for (const json::value& s : vals->get_array()) {
      if (s.is_string()) r.values.emplace_back(s.get_string());
    }
  }
  if (r.op == Op::kGt || r.op == Op::kLt) {
    if (r.values.size() != 1 || !absl::SimpleAtoi(r.values[0], &r.number)) {
      return absl::InvalidArgumentError(
          base::StrCat("node selector ", op, " on ", r.key, " needs one integer value"));
    }
  }
  return r;
}

absl::StatusOr<NodeSelectorTerm> TermOf(const json::value& v) {
  NodeSelectorTerm t;
  for (auto [field, out] : {std::pair{"matchExpressions", &t.match_expressions},
                            std::pair{"matchFields", &t.match_fields}}) {
    const json::value* list = api::FindPath(v, field);
    if (list == nullptr || !list->is_array()) continue;
    for (const json::value& r : list->get_array()) {
      auto req = RequirementOf(r);
      if (!req.ok()) return req.status();
      out->push_back(*std::move(req));
    }
  }
  return t;
}

}  // namespace

std::string Taint::Describe() const { return base::StrCat("{", key, ": ", value, "}"); }

bool Toleration::Tolerates(const Taint& t) const {
  if (!any_effect && effect != t.effect) return false;
  if (key.empty()) return exists;  // an empty key with Exists tolerates everything
  if (key != t.key) return false;
  return exists || value == t.value;
}

const std::string* FindLabel(const LabelMap& labels, std::string_view key) {
  auto it = std::lower_bound(labels.begin(), labels.end(), key,
                             [](const auto& kv, std::string_view k) { return kv.first < k; });
  return it != labels.end() && it->first == key ? &it->second : nullptr;
}

absl::StatusOr<PodInfo> PodInfoFromJson(const json::object& pod, ResourceNames& names) {
  PodInfo p;
  p.ns = std::string(api::StringAt(pod, "metadata.namespace"));
  p.name = std::string(api::StringAt(pod, "metadata.name"));
  p.uid = std::string(api::StringAt(pod, "metadata.uid"));
  p.key = base::StrCat(p.ns, "/", p.name);
  p.creation = std::string(api::StringAt(pod, "metadata.creationTimestamp"));
  p.resource_version = api::ResourceVersionAt(pod);
  p.deleting = !api::StringAt(pod, "metadata.deletionTimestamp").empty();
  std::string_view sched = api::StringAt(pod, "spec.schedulerName");
  p.scheduler_name = sched.empty() ? "default-scheduler" : std::string(sched);
  p.node_name = std::string(api::StringAt(pod, "spec.nodeName"));
  p.nominated_node = std::string(api::StringAt(pod, "status.nominatedNodeName"));
  std::string_view phase = api::StringAt(pod, "status.phase");
  p.terminal = phase == "Succeeded" || phase == "Failed";
  if (const json::value* pr = api::FindPath(pod, "spec.priority"); pr != nullptr) {
    if (pr->is_int64()) p.priority = static_cast<int32_t>(pr->get_int64());
    if (pr->is_uint64()) p.priority = static_cast<int32_t>(pr->get_uint64());
  }
  p.preempt_never = api::StringAt(pod, "spec.preemptionPolicy") == "Never";
  if (const json::array* gates = ArrayAt(pod, "spec.schedulingGates")) p.gated = !gates->empty();
  if (const json::object* labels = ObjectAt(pod, "metadata.labels")) {
    if (const json::value* g = labels->if_contains(kPodGroupLabel); g && g->is_string()) {
      p.gang = std::string(g->get_string());
    }
  }

  // Requests: sum of containers, at least the largest init container, plus overhead.
  Resources sum;
  if (const json::array* cs = ArrayAt(pod, "spec.containers")) {
    for (const json::value& c : *cs) {
      auto r = ContainerRequests(c, names);
      if (!r.ok()) return r.status();
      sum += *r;
    }
  }
  if (const json::array* cs = ArrayAt(pod, "spec.initContainers")) {
    for (const json::value& c : *cs) {
      auto r = ContainerRequests(c, names);
      if (!r.ok()) return r.status();
      sum.MaxWith(*r);
    }
  }
  if (auto st = AddResourceList(ObjectAt(pod, "spec.overhead"), names, sum); !st.ok()) return st;
  sum[kPods] = 1;
  p.requests = sum;

  p.node_selector = LabelsOf(ObjectAt(pod, "spec.nodeSelector"));
  if (const json::array* terms = ArrayAt(
          pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
               "nodeSelectorTerms")) {
    for (const json::value& t : *terms) {
      auto term = TermOf(t);
      if (!term.ok()) return term.status();
      p.required_terms.push_back(*std::move(term));
    }
  }
  if (const json::array* prefs = ArrayAt(
          pod, "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution")) {
    for (const json::value& t : *prefs) {
      PreferredSchedulingTerm pt;
      if (const json::value* w = api::FindPath(t, "weight"); w && w->is_int64()) {
        pt.weight = static_cast<int32_t>(w->get_int64());
      }
      if (const json::value* pref = api::FindPath(t, "preference"); pref != nullptr) {
        auto term = TermOf(*pref);
        if (!term.ok()) return term.status();
        pt.term = *std::move(term);
      }
      p.preferred_terms.push_back(std::move(pt));
    }
  }
  if (const json::array* tols = ArrayAt(pod, "spec.tolerations")) {
    for (const json::value& t : *tols) {
      Toleration tol;
      tol.key = std::string(api::StringAt(t, "key"));
      tol.exists = api::StringAt(t, "operator") == "Exists";
      tol.value = std::string(api::StringAt(t, "value"));
      std::string_view effect = api::StringAt(t, "effect");
      tol.any_effect = effect.empty();
      tol.effect = EffectOf(effect);
      p.tolerations.push_back(std::move(tol));
    }
  }
  return p;
}

absl::StatusOr<NodeInfo> NodeInfoFromJson(const json::object& node, ResourceNames& names,
                                          const TopologyKeys& keys) {
  NodeInfo n;
  n.name = std::string(api::StringAt(node, "metadata.name"));
  n.labels = LabelsOf(ObjectAt(node, "metadata.labels"));
  if (const std::string* leaf = FindLabel(n.labels, keys.leaf)) n.leaf = *leaf;
  if (const std::string* spine = FindLabel(n.labels, keys.spine)) n.spine = *spine;
  n.unschedulable = api::BoolAt(node, "spec.unschedulable");
  if (const json::array* taints = ArrayAt(node, "spec.taints")) {
    for (const json::value& t : *taints) {
      n.taints.push_back(Taint{std::string(api::StringAt(t, "key")),
                               std::string(api::StringAt(t, "value")),
                               EffectOf(api::StringAt(t, "effect"))});
    }
  }
  if (const json::array* conds = ArrayAt(node, "status.conditions")) {
    for (const json::value& c : *conds) {
      if (api::StringAt(c, "type") == "Ready") n.ready = api::StringAt(c, "status") == "True";
    }
  }
  if (auto st = AddResourceList(ObjectAt(node, "status.allocatable"), names, n.allocatable);
      !st.ok()) {
    return st;
  }
  return n;
}

PodGroupInfo PodGroupInfoFromJson(const json::object& pg) {
  PodGroupInfo g;
  g.ns = std::string(api::StringAt(pg, "metadata.namespace"));
  g.name = std::string(api::StringAt(pg, "metadata.name"));
  g.key = base::StrCat(g.ns, "/", g.name);
  g.uid = std::string(api::StringAt(pg, "metadata.uid"));
  if (const json::value* m = api::FindPath(pg, "spec.minMember"); m && m->is_int64()) {
    g.min_member = static_cast<int32_t>(std::max<int64_t>(1, m->get_int64()));
  }
  if (const json::value* t = api::FindPath(pg, "spec.scheduleTimeoutSeconds"); t && t->is_int64()) {
    g.schedule_timeout_seconds = static_cast<int32_t>(t->get_int64());
  }
  std::string_view loc;
  if (const json::value* anns = api::FindPath(pg, "metadata.annotations"); anns && anns->is_object()) {
    if (const json::value* v = anns->get_object().if_contains(kTopologyAnnotation);
        v != nullptr && v->is_string()) {
      loc = v->get_string();
    }
  }
  if (loc == "leaf") g.locality = PodGroupInfo::Locality::kLeaf;
  if (loc == "spine") g.locality = PodGroupInfo::Locality::kSpine;
  return g;
}

}  // namespace shoal::scheduler
