#include "controllers/queue_objects.h"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

#include "api/object.h"
#include "base/strings.h"

namespace shoal::controllers {

namespace json = boost::json;

namespace kueue {

std::string Str(const json::value& v, std::string_view path) {
  return std::string(api::StringAt(v, path));
}

const json::object* ConditionOf(const json::object& obj, std::string_view type) {
  const json::value* conds = api::FindPath(obj, "status.conditions");
  if (conds == nullptr || !conds->is_array()) return nullptr;
  for (const json::value& c : conds->get_array()) {
    if (c.is_object() && api::StringAt(c, "type") == type) return &c.get_object();
  }
  return nullptr;
}

bool ConditionTrue(const json::object& obj, std::string_view type) {
  const json::object* c = ConditionOf(obj, type);
  return c != nullptr && api::StringAt(*c, "status") == "True";
}

// Sets a condition in `conditions`, keeping lastTransitionTime when the status is unchanged.
void SetCondition(json::array& conditions, std::string_view type, std::string_view status,
                  std::string_view reason, std::string_view message, const std::string& now) {
  for (json::value& c : conditions) {
    if (!c.is_object() || api::StringAt(c, "type") != type) continue;
    json::object& o = c.get_object();
    if (api::StringAt(o, "status") != status) o["lastTransitionTime"] = now;
    o["status"] = status;
    o["reason"] = reason;
    o["message"] = message;
    return;
  }
  conditions.push_back(json::object{{"type", type}, {"status", status},
                                    {"lastTransitionTime", now}, {"reason", reason},
                                    {"message", message}});
}

json::array ConditionsOf(const json::object& obj) {
  const json::value* conds = api::FindPath(obj, "status.conditions");
  return conds != nullptr && conds->is_array() ? conds->get_array() : json::array();
}

std::map<std::string, std::string> StringMap(const json::value* m) {
  std::map<std::string, std::string> out;
  if (m == nullptr || !m->is_object()) return out;
  for (const auto& [k, v] : m->get_object()) {
    if (v.is_string()) out[std::string(k)] = std::string(v.get_string());
  }
  return out;
}

static PreemptionPolicy Policy(std::string_view s) {
  if (s == "Any") return PreemptionPolicy::kAny;
  if (s == "LowerPriority" || s == "LowerOrNewerEqualPriority") {
    return PreemptionPolicy::kLowerPriority;
  }
  return PreemptionPolicy::kNever;
}

std::string KeyOf(const std::string& ns, const std::string& name) {
  return base::StrCat(ns, "/", name);
}

std::string JobFinished(const json::object& job) {
  if (ConditionTrue(job, "Complete")) return "Succeeded";
  if (ConditionTrue(job, "Failed")) return "Failed";
  // Reached its completions with no pod left running or terminating: the Job controller
  // writes Complete once the last finalizers are gone, but no pod holds resources any more
  // (Kueue frees such pods' quota through reclaimablePods). Indexed Jobs count an uncounted
  // success in `succeeded` already (its index is in completedIndexes); NonIndexed ones do not.
  const json::value* completions = api::FindPath(job, "spec.completions");
  if (completions == nullptr || !completions->is_int64() || ConditionTrue(job, "FailureTarget")) {
    return "";
  }
  auto count = [&](std::string_view path) {
    const json::value* v = api::FindPath(job, path);
    return v != nullptr && v->is_int64() ? v->get_int64() : 0;
  };
  if (count("status.active") > 0 || count("status.terminating") > 0) return "";
  int64_t succeeded = count("status.succeeded");
  if (api::StringAt(job, "spec.completionMode") != "Indexed") {
    const json::value* unc = api::FindPath(job, "status.uncountedTerminatedPods.succeeded");
    if (unc != nullptr && unc->is_array()) succeeded += static_cast<int64_t>(unc->get_array().size());
  }
  return succeeded >= completions->get_int64() ? "Succeeded" : "";
}


std::string LabelOf(const json::object& obj, std::string_view label) {
  const json::value* l = api::FindPath(obj, "metadata.labels");
  if (l == nullptr || !l->is_object()) return "";
  const json::value* v = l->get_object().if_contains(label);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : "";
}

// The Workload of queued bare pods: one per pod, or one per pod group (a gang).
json::object WorkloadForPods(const std::string& name, const std::vector<const json::object*>& pods,
                             int64_t count, int32_t priority, std::string_view priority_class,
                             std::string_view source) {
  const json::object& first = *pods.front();
  json::array owners;
  for (const json::object* p : pods) {
    owners.push_back(json::object{{"apiVersion", "v1"}, {"kind", "Pod"},
                                  {"name", Str(*p, "metadata.name")},
                                  {"uid", Str(*p, "metadata.uid")}});
  }
  json::object tmpl{{"spec", first.contains("spec") ? first.at("spec") : json::object()}};
  if (const json::value* l = api::FindPath(first, "metadata.labels")) {
    tmpl["metadata"] = json::object{{"labels", *l}};
  }
  json::object spec{{"queueName", LabelOf(first, kQueueNameLabel)}, {"priority", priority},
                    {"active", true},
                    {"podSets", json::array{json::object{
                                    {"name", "main"}, {"count", count}, {"template", tmpl}}}}};
  if (!priority_class.empty()) {
    spec["priorityClassName"] = priority_class;
    spec["priorityClassSource"] = source;
  }
  return json::object{{"apiVersion", kKueueVersion},
                      {"kind", "Workload"},
                      {"metadata", json::object{{"name", name},
                                                {"namespace", Str(first, "metadata.namespace")},
                                                {"ownerReferences", std::move(owners)}}},
                      {"spec", std::move(spec)}};
}

}  // namespace kueue

using namespace kueue;  // NOLINT: the helpers above

std::string WorkloadName(std::string_view prefix, std::string_view name, std::string_view uid) {
  std::string suffix;
  for (char c : uid) {
    if (std::isxdigit(static_cast<unsigned char>(c))) suffix.push_back(c);
    if (suffix.size() == 5) break;
  }
  return base::StrCat(prefix, "-", name, "-", suffix);
}

std::string QueuedPodWorkloadKey(const json::object& pod) {
  const std::string ns = Str(pod, "metadata.namespace");
  const std::string group = LabelOf(pod, kPodGroupLabel);
  if (!group.empty()) return KeyOf(ns, base::StrCat("podgroup-", group));
  return KeyOf(ns, WorkloadName("pod", Str(pod, "metadata.name"), Str(pod, "metadata.uid")));
}

json::object WorkloadForJob(const json::object& job, int32_t priority,
                            std::string_view priority_class, std::string_view source) {
  std::string name = Str(job, "metadata.name");
  std::string uid = Str(job, "metadata.uid");
  int64_t count = 1;
  if (const json::value* p = api::FindPath(job, "spec.parallelism"); p && p->is_int64()) {
    count = p->get_int64();
  }
  if (const json::value* c = api::FindPath(job, "spec.completions"); c && c->is_int64()) {
    count = std::min(count, c->get_int64());
  }
  const json::value* labels = api::FindPath(job, "metadata.labels");
  std::string queue = labels && labels->is_object()
                          ? Str(*labels, std::string(kQueueNameLabel))
                          : std::string();
  if (labels && labels->is_object()) {
    if (const json::value* q = labels->get_object().if_contains(kQueueNameLabel);
        q && q->is_string()) {
      queue = std::string(q->get_string());
    }
  }
  const json::value* tmpl = api::FindPath(job, "spec.template");
  json::object spec{{"queueName", queue}, {"priority", priority}, {"active", true},
                    {"podSets", json::array{json::object{
                                    {"name", "main"},
                                    {"count", count},
                                    {"template", tmpl ? *tmpl : json::object()}}}}};
  if (!priority_class.empty()) {
    spec["priorityClassName"] = priority_class;
    spec["priorityClassSource"] = source;
  }
  return json::object{
      {"apiVersion", kKueueVersion},
      {"kind", "Workload"},
      {"metadata",
       json::object{{"name", WorkloadNameForJob(name, uid)},
                    {"namespace", Str(job, "metadata.namespace")},
                    {"labels", json::object{{kJobUidLabel, uid}}},
                    {"ownerReferences",
                     json::array{json::object{{"apiVersion", "batch/v1"},
                                              {"kind", "Job"},
                                              {"name", name},
                                              {"uid", uid},
                                              {"controller", true},
                                              {"blockOwnerDeletion", true}}}}}},
      {"spec", std::move(spec)}};
}

ClusterQueueSpec ParseClusterQueue(const json::object& cq) {
  ClusterQueueSpec out;
  out.name = Str(cq, "metadata.name");
  out.cohort = Str(cq, "spec.cohort");
  out.strict_fifo = api::StringAt(cq, "spec.queueingStrategy") == "StrictFIFO";
  out.reclaim_within_cohort = Policy(api::StringAt(cq, "spec.preemption.reclaimWithinCohort"));
  out.within_cluster_queue = Policy(api::StringAt(cq, "spec.preemption.withinClusterQueue"));
  if (out.within_cluster_queue == PreemptionPolicy::kAny) {
    out.within_cluster_queue = PreemptionPolicy::kLowerPriority;
  }
  if (const json::value* w = api::FindPath(cq, "spec.fairSharing.weight")) {
    absl::StatusOr<int64_t> milli = AmountOf("cpu", *w);  // a quantity, read in milli-units
    if (milli.ok() && *milli > 0) out.weight = static_cast<double>(*milli) / 1000;
  }
  const json::value* groups = api::FindPath(cq, "spec.resourceGroups");
  if (groups == nullptr || !groups->is_array()) return out;
  for (const json::value& g : groups->get_array()) {
    ResourceGroup group;
    if (const json::value* cov = api::FindPath(g, "coveredResources"); cov && cov->is_array()) {
      for (const json::value& r : cov->get_array()) {
        if (r.is_string()) group.covered.emplace_back(r.get_string());
      }
    }
    if (const json::value* fls = api::FindPath(g, "flavors"); fls && fls->is_array()) {
      for (const json::value& f : fls->get_array()) {
        FlavorQuotas fq;
        fq.flavor = Str(f, "name");
        if (const json::value* rs = api::FindPath(f, "resources"); rs && rs->is_array()) {
          for (const json::value& r : rs->get_array()) {
            std::string name = Str(r, "name");
            ResourceQuota q;
            if (const json::value* v = api::FindPath(r, "nominalQuota")) {
              q.nominal = AmountOf(name, *v).value_or(0);
            }
            if (const json::value* v = api::FindPath(r, "borrowingLimit")) {
              q.borrowing_limit = AmountOf(name, *v).value_or(0);
            }
            if (const json::value* v = api::FindPath(r, "lendingLimit")) {
              q.lending_limit = AmountOf(name, *v).value_or(0);
            }
            fq.resources[name] = q;
          }
        }
        group.flavors.push_back(std::move(fq));
      }
    }
    out.groups.push_back(std::move(group));
  }
  return out;
}

ResourceFlavorSpec ParseResourceFlavor(const json::object& flavor) {
  ResourceFlavorSpec out;
  out.name = Str(flavor, "metadata.name");
  out.node_labels = StringMap(api::FindPath(flavor, "spec.nodeLabels"));
  if (const json::value* ts = api::FindPath(flavor, "spec.nodeTaints"); ts && ts->is_array()) {
    for (const json::value& t : ts->get_array()) {
      out.node_taints.push_back({Str(t, "key"), Str(t, "value"), Str(t, "effect"), {}});
    }
  }
  out.tolerations = ParseTolerations(api::FindPath(flavor, "spec.tolerations"));
  out.topology_aware = !Str(flavor, "spec.topologyName").empty();
  return out;
}

WorkloadInfo ParseWorkload(const json::object& w) {
  WorkloadInfo out;
  out.key = KeyOf(Str(w, "metadata.namespace"), Str(w, "metadata.name"));
  if (const json::value* p = api::FindPath(w, "spec.priority"); p && p->is_int64()) {
    out.priority = static_cast<int32_t>(p->get_int64());
  }
  out.created = Str(w, "metadata.creationTimestamp");
  if (const json::value* sets = api::FindPath(w, "spec.podSets"); sets && sets->is_array()) {
    for (const json::value& s : sets->get_array()) {
      PodSet ps;
      ps.name = Str(s, "name");
      if (const json::value* c = api::FindPath(s, "count"); c && c->is_int64()) {
        ps.count = static_cast<int32_t>(c->get_int64());
      }
      if (const json::value* spec = api::FindPath(s, "template.spec"); spec && spec->is_object()) {
        ps.per_pod = PodRequests(spec->get_object());
        ps.tolerations = ParseTolerations(spec->get_object().if_contains("tolerations"));
        ps.node_selector = StringMap(spec->get_object().if_contains("nodeSelector"));
      }
      out.pod_sets.push_back(std::move(ps));
    }
  }
  const json::value* admission = api::FindPath(w, "status.admission");
  if (admission != nullptr && admission->is_object() && ConditionTrue(w, "QuotaReserved") &&
      !ConditionTrue(w, "Finished")) {
    Assignment a;
    if (const json::value* psa = admission->get_object().if_contains("podSetAssignments");
        psa && psa->is_array()) {
      for (const json::value& p : psa->get_array()) {
        std::string set = Str(p, "name");
        std::map<std::string, std::string> fl = StringMap(api::FindPath(p, "flavors"));
        a.flavors[set] = fl;
        if (const json::value* use = api::FindPath(p, "resourceUsage"); use && use->is_object()) {
          for (const auto& [r, q] : use->get_object()) {
            std::string res(r);
            a.usage[fl[res]][res] += AmountOf(res, q).value_or(0);
          }
        }
      }
    }
    out.admitted = std::move(a);
    out.cluster_queue = Str(*admission, "clusterQueue");
    if (const json::object* c = ConditionOf(w, "QuotaReserved")) {
      out.admitted_at = Str(*c, "lastTransitionTime");
    }
  } else if (const json::object* c = ConditionOf(w, "Evicted");
             c != nullptr && Str(*c, "status") == "True") {
    out.evicted_at = Str(*c, "lastTransitionTime");
  }
  return out;
}

}  // namespace shoal::controllers
