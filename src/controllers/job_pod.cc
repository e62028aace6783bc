#include "controllers/job_pod.h"

#include <absl/strings/numbers.h>
#include <boost/json.hpp>

#include "api/object.h"
#include "base/strings.h"

namespace shoal::controllers {

namespace json = boost::json;

namespace {

constexpr std::string_view kPodGroupLabel = "scheduling.x-k8s.io/pod-group";

const json::array* ArrayAt(const json::object& o, std::string_view path) {
  const json::value* v = api::FindPath(o, path);
  return v != nullptr && v->is_array() ? &v->get_array() : nullptr;
}

std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

JobPod ParseJobPod(const json::object& pod) {
  JobPod p;
  p.ns = std::string(api::StringAt(pod, "metadata.namespace"));
  p.name = std::string(api::StringAt(pod, "metadata.name"));
  p.uid = std::string(api::StringAt(pod, "metadata.uid"));
  p.phase = std::string(api::StringAt(pod, "status.phase"));
  p.node = std::string(api::StringAt(pod, "spec.nodeName"));
  p.created = std::string(api::StringAt(pod, "metadata.creationTimestamp"));
  p.terminating = !api::StringAt(pod, "metadata.deletionTimestamp").empty();
  p.reason = std::string(api::StringAt(pod, "status.reason"));
  p.message = std::string(api::StringAt(pod, "status.message"));
  if (const json::array* refs = ArrayAt(pod, "metadata.ownerReferences")) {
    for (const json::value& r : *refs) {
      if (!r.is_object()) continue;
      const json::value* c = r.get_object().if_contains("controller");
      if (c != nullptr && c->is_bool() && c->get_bool() && Str(r.get_object(), "kind") == "Job") {
        p.job_uid = Str(r.get_object(), "uid");
      }
    }
  }
  if (const json::array* f = ArrayAt(pod, "metadata.finalizers")) {
    for (const json::value& v : *f) {
      if (v.is_string() && v.get_string() == kJobTrackingFinalizer) p.tracked = true;
    }
  }
  const json::value* ann = api::FindPath(pod, "metadata.annotations");
  if (ann != nullptr && ann->is_object()) {
    std::string idx = Str(ann->get_object(), kCompletionIndexKey);
    int64_t i;
    if (!idx.empty() && absl::SimpleAtoi(base::AbslView(idx), &i) && i >= 0) p.index = i;
  }
  if (const json::array* conds = ArrayAt(pod, "status.conditions")) {
    for (const json::value& c : *conds) {
      if (!c.is_object()) continue;
      std::string type = Str(c.get_object(), "type"), status = Str(c.get_object(), "status");
      if (type == "Ready" && status == "True") p.ready = true;
      p.conditions.emplace_back(std::move(type), std::move(status));
    }
  }
  for (const char* list : {"status.initContainerStatuses", "status.containerStatuses"}) {
    const json::array* statuses = ArrayAt(pod, list);
    if (statuses == nullptr) continue;
    for (const json::value& s : *statuses) {
      if (!s.is_object()) continue;
      const json::value* rc = s.get_object().if_contains("restartCount");
      if (rc != nullptr && rc->is_int64()) p.restarts += rc->get_int64();
      const json::value* code = api::FindPath(s.get_object(), "state.terminated.exitCode");
      if (code == nullptr || !code->is_int64()) continue;
      p.exits.push_back({Str(s.get_object(), "name"), static_cast<int32_t>(code->get_int64())});
    }
  }
  return p;
}

std::set<int64_t> ParseIndexes(std::string_view text, int64_t limit) {
  std::set<int64_t> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view part = text.substr(start, comma - start);
    start = comma + 1;
    if (part.empty()) continue;
    size_t dash = part.find('-');
    int64_t lo, hi;
    if (dash == std::string_view::npos) {
      if (!absl::SimpleAtoi(base::AbslView(part), &lo)) continue;
      hi = lo;
    } else if (!absl::SimpleAtoi(base::AbslView(part.substr(0, dash)), &lo) ||
               !absl::SimpleAtoi(base::AbslView(part.substr(dash + 1)), &hi)) {
      continue;
    }
    if (lo < 0 || hi < lo) continue;
    if (limit >= 0) hi = std::min(hi, limit - 1);
    for (int64_t i = lo; i <= hi; ++i) out.insert(i);
  }
  return out;
}

std::string FormatIndexes(const std::set<int64_t>& indexes) {
  std::string out;
  auto it = indexes.begin();
  while (it != indexes.end()) {
    int64_t lo = *it, hi = lo;
    for (++it; it != indexes.end() && *it == hi + 1; ++it) hi = *it;
    if (!out.empty()) out += ',';
    out += std::to_string(lo);
    if (hi > lo) base::StrAppend(&out, "-", hi);
  }
  return out;
}

namespace {

FailurePolicyMatch::Action ActionOf(std::string_view a) {
  using A = FailurePolicyMatch::Action;
  if (a == "FailJob") return A::kFailJob;
  if (a == "Ignore") return A::kIgnore;
  if (a == "Count") return A::kCount;
  if (a == "FailIndex") return A::kFailIndex;
  return A::kNone;
}

// onExitCodes: the first container (optionally only `containerName`) whose non-zero exit code
// is In / NotIn the values (kube ignores exit code 0 for both operators).
const ContainerExit* MatchExitCodes(const json::object& req, const JobPod& pod) {
  std::string container = Str(req, "containerName");
  std::string op = Str(req, "operator");
  std::set<int64_t> values;
  if (const json::value* v = req.if_contains("values"); v != nullptr && v->is_array()) {
    for (const json::value& x : v->get_array()) {
      if (x.is_int64()) values.insert(x.get_int64());
    }
  }
  for (const ContainerExit& e : pod.exits) {
    if (e.exit_code == 0) continue;
    if (!container.empty() && e.name != container) continue;
    bool in = values.count(e.exit_code) > 0;
    if ((op == "In" && in) || (op == "NotIn" && !in)) return &e;
  }
  return nullptr;
}

}  // namespace

FailurePolicyMatch MatchPodFailurePolicy(const json::object& job_spec, const JobPod& pod) {
  FailurePolicyMatch m;
  const json::array* rules = ArrayAt(job_spec, "podFailurePolicy.rules");
  if (rules == nullptr || pod.phase != "Failed") return m;
  for (size_t i = 0; i < rules->size(); ++i) {
    if (!(*rules)[i].is_object()) continue;
    const json::object& rule = (*rules)[i].get_object();
    const std::string action = Str(rule, "action");
    if (const json::value* codes = rule.if_contains("onExitCodes");
        codes != nullptr && codes->is_object()) {
      if (const ContainerExit* e = MatchExitCodes(codes->get_object(), pod)) {
        m.action = ActionOf(action);
        m.rule = static_cast<int>(i);
        m.message = base::StrCat("Container ", e->name, " for pod ", pod.ns, "/", pod.name,
                                 " failed with exit code ", e->exit_code, " matching ", action,
                                 " rule at index ", i);
        return m;
      }
      continue;
    }
    const json::value* conds = rule.if_contains("onPodConditions");
    if (conds == nullptr || !conds->is_array()) continue;
    for (const json::value& c : conds->get_array()) {
      if (!c.is_object()) continue;
      std::string type = Str(c.get_object(), "type"), status = Str(c.get_object(), "status");
      if (status.empty()) status = "True";
      for (const auto& [t, s] : pod.conditions) {
        if (t == type && s == status) {
          m.action = ActionOf(action);
          m.rule = static_cast<int>(i);
          m.message = base::StrCat("Pod ", pod.ns, "/", pod.name, " has condition ", type,
                                   " matching ", action, " rule at index ", i);
          return m;
        }
      }
    }
  }
  return m;
}

json::object NewJobPod(const json::object& job, int64_t index, bool gang) {
  const std::string ns(api::StringAt(job, "metadata.namespace"));
  const std::string name(api::StringAt(job, "metadata.name"));
  const std::string uid(api::StringAt(job, "metadata.uid"));
  static const json::object kNoSpec;
  const json::value* sv = job.if_contains("spec");
  const json::object& spec = sv != nullptr && sv->is_object() ? sv->get_object() : kNoSpec;
  json::object pod{{"apiVersion", "v1"}, {"kind", "Pod"}};
  json::object meta, labels, annotations;
  json::array finalizers;  // the template's, as kube's GetPodFromTemplate copies them
  if (const json::value* tm = api::FindPath(spec, "template.metadata"); tm && tm->is_object()) {
    if (const json::value* v = tm->get_object().if_contains("finalizers"); v && v->is_array()) {
      for (const json::value& f : v->get_array()) {
        if (f.is_string() && f.get_string() != kJobTrackingFinalizer) finalizers.push_back(f);
      }
    }
    if (const json::value* v = tm->get_object().if_contains("labels"); v && v->is_object()) {
      labels = v->get_object();
    }
    if (const json::value* v = tm->get_object().if_contains("annotations");
        v && v->is_object()) {
      annotations = v->get_object();
    }
  }
  meta["namespace"] = ns;
  meta["generateName"] =
      index >= 0 ? base::StrCat(name, "-", index, "-") : base::StrCat(name, "-");
  meta["ownerReferences"] = json::array{json::object{{"apiVersion", "batch/v1"},
                                                     {"kind", "Job"},
                                                     {"name", name},
                                                     {"uid", uid},
                                                     {"controller", true},
                                                     {"blockOwnerDeletion", true}}};
  finalizers.push_back(json::string(kJobTrackingFinalizer));
  meta["finalizers"] = std::move(finalizers);
  if (gang && !labels.contains(kPodGroupLabel)) labels[kPodGroupLabel] = name;
  json::object pod_spec;
  if (const json::value* ts = api::FindPath(spec, "template.spec"); ts && ts->is_object()) {
    pod_spec = ts->get_object();
  }
  if (index >= 0) {
    const std::string idx = std::to_string(index);
    annotations[kCompletionIndexKey] = idx;
    labels[kCompletionIndexKey] = idx;
    if (!pod_spec.contains("hostname")) pod_spec["hostname"] = base::StrCat(name, "-", idx);
    json::object env_var{
        {"name", "JOB_COMPLETION_INDEX"},
        {"valueFrom",
         json::object{{"fieldRef",
                       json::object{{"fieldPath",
                                     base::StrCat("metadata.annotations['",
                                                  kCompletionIndexKey, "']")}}}}}};
    for (const char* list : {"initContainers", "containers"}) {
      json::value* cs = pod_spec.if_contains(list);
      if (cs == nullptr || !cs->is_array()) continue;
      for (json::value& c : cs->get_array()) {
        if (!c.is_object()) continue;
        json::value& env = c.get_object()["env"];
        if (!env.is_array()) env = json::array();
        env.get_array().push_back(env_var);
      }
    }
  }
  meta["labels"] = std::move(labels);
  if (!annotations.empty()) meta["annotations"] = std::move(annotations);
  pod["metadata"] = std::move(meta);
  pod["spec"] = std::move(pod_spec);
  return pod;
}

}  // namespace shoal::controllers
