// QueueController's writes (queue_controller.h): Workload status patches, starting an admitted
// Workload's Job (admission gates, node selectors, suspend) and stopping an evicted one, and
// the waits around them (victims going, displaced pods placed). Pass() in queue_controller.cc
// decides; these carry the decisions out.
#include <algorithm>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "api/object.h"
#include "base/strings.h"
#include "controllers/queue_controller.h"

namespace shoal::controllers {

namespace json = boost::json;

namespace {

// The longest a victim of defragmentation waits for the pods it made room for to be placed.
constexpr auto kDisplacedHold = std::chrono::seconds(30);
// The longest an admitted preemptor waits for its victims' pods to go before it starts anyway
// (a pod stuck terminating on a lost node must not hold it forever).
constexpr auto kVictimWait = std::chrono::seconds(10);

}  // namespace

using kueue::kAdmissionGate;
using kueue::kKueue;
using kueue::Str;

void QueueController::PatchWorkloadStatus(const std::string& key, json::object status) {
  const size_t slash = key.find('/');
  std::string path = base::StrCat(kKueue, "/namespaces/", key.substr(0, slash), "/workloads/",
                                  key.substr(slash + 1), "/status");
  // Keep the local copy in step at once, so the next pass does not decide again.
  if (auto it = workloads_.find(key); it != workloads_.end()) {
    json::value& st = it->second["status"];
    if (!st.is_object()) st = json::object();
    for (const auto& [k, v] : status) {
      if (v.is_null()) {
        st.get_object().erase(k);
      } else {
        st.get_object()[k] = v;
      }
    }
  }
  json::object patch{{"status", std::move(status)}};
  // The local copy already shows the write: if it fails, read the object back.
  Spawn(Call("PATCH", std::move(path), json::serialize(patch), "application/merge-patch+json",
             base::StrCat("status of Workload ", key), [this, key](bool ok) {
               if (!ok) Spawn(Resync(key));
             }));
}

void QueueController::PatchJob(const std::string& ns, const std::string& name,
                               json::object patch) {
  std::string path = base::StrCat("/apis/batch/v1/namespaces/", ns, "/jobs/", name);
  Spawn(Call("PATCH", std::move(path), json::serialize(patch), "application/merge-patch+json",
             base::StrCat("Job ", ns, "/", name)));
}

// Starts an admitted workload on its flavors: unsuspends its Job, or removes its pods'
// admission gate, adding the flavors' node labels to the nodeSelector and their tolerations.
void QueueController::StartWorkload(const std::string& key, const Assignment& a,
                                    const json::object* job,
                                    const std::vector<const json::object*>* pods) {
  const json::object* spec_of = nullptr;  // the pod spec to extend
  if (job != nullptr) {
    const json::value* t = api::FindPath(*job, "spec.template.spec");
    if (t && t->is_object()) spec_of = &t->get_object();
  } else if (pods != nullptr && !pods->empty()) {
    const json::value* t = pods->front()->if_contains("spec");
    if (t && t->is_object()) spec_of = &t->get_object();
  }
  if (spec_of == nullptr) return;
  start_sent_[key] = std::chrono::steady_clock::now();
  json::object selector;
  if (const json::value* ns = spec_of->if_contains("nodeSelector"); ns && ns->is_object()) {
    selector = ns->get_object();
  }
  json::array tolerations;
  if (const json::value* t = spec_of->if_contains("tolerations"); t && t->is_array()) {
    tolerations = t->get_array();
  }
  std::set<std::string> used;
  for (const auto& [set, per_resource] : a.flavors) {
    for (const auto& [r, f] : per_resource) used.insert(f);
  }
  for (const std::string& f : used) {
    auto fit = flavors_.find(f);
    if (fit == flavors_.end()) continue;
    if (const json::value* nl = api::FindPath(fit->second, "spec.nodeLabels");
        nl && nl->is_object()) {
      for (const auto& [k, v] : nl->get_object()) selector[k] = v;
    }
    if (const json::value* ts = api::FindPath(fit->second, "spec.tolerations");
        ts && ts->is_array()) {
      for (const json::value& t : ts->get_array()) {
        if (std::find(tolerations.begin(), tolerations.end(), t) == tolerations.end()) {
          tolerations.push_back(t);
        }
      }
    }
  }
  json::object tspec{{"nodeSelector", std::move(selector)}};
  if (!tolerations.empty()) tspec["tolerations"] = std::move(tolerations);
  if (job != nullptr) {
    PatchJob(Str(*job, "metadata.namespace"), Str(*job, "metadata.name"),
             json::object{{"spec", json::object{{"suspend", false},
                                                {"template", json::object{{"spec", tspec}}}}}});
    return;
  }
  for (const json::object* p : *pods) {
    json::array gates;
    if (const json::value* g = api::FindPath(*p, "spec.schedulingGates"); g && g->is_array()) {
      for (const json::value& gate : g->get_array()) {
        if (api::StringAt(gate, "name") != kAdmissionGate) gates.push_back(gate);
      }
    }
    json::object pspec = tspec;
    pspec["schedulingGates"] = std::move(gates);
    std::string path = base::StrCat("/api/v1/namespaces/", Str(*p, "metadata.namespace"),
                                    "/pods/", Str(*p, "metadata.name"));
    Spawn(Call("PATCH", std::move(path),
               json::serialize(json::object{{"spec", std::move(pspec)}}),
               "application/merge-patch+json",
               base::StrCat("ungate pod ", Str(*p, "metadata.name"))));
  }
}

// Stops an evicted workload: suspends its Job (the Job controller removes the pods), or
// deletes its bare pods (they cannot be suspended).
void QueueController::StopWorkload(const std::string& key, const json::object* job,
                                   const std::vector<const json::object*>* pods) {
  if (job != nullptr) {
    stop_sent_[key] = std::chrono::steady_clock::now();
    PatchJob(Str(*job, "metadata.namespace"), Str(*job, "metadata.name"),
             json::object{{"spec", json::object{{"suspend", true}}}});
    return;
  }
  if (pods == nullptr) return;
  for (const json::object* p : *pods) {
    Spawn(Call("DELETE",
               base::StrCat("/api/v1/namespaces/", Str(*p, "metadata.namespace"), "/pods/",
                            Str(*p, "metadata.name")),
               "", "application/json", base::StrCat("evict pod ", Str(*p, "metadata.name"))));
  }
}

std::map<std::string, int32_t> QueueController::Overdue(
    const std::vector<WorkloadInfo>& infos, const std::map<std::string, ClusterQueueSpec>& queues,
    std::chrono::steady_clock::time_point t) {
  std::map<std::string, int32_t> overdue;
  std::map<std::string, std::chrono::steady_clock::time_point> unplaced;
  recheck_at_.reset();
  if (placement_synced_[0] && placement_synced_[1]) {
    for (const WorkloadInfo& info : infos) {
      if (!info.admitted || victims_of_.contains(info.key)) continue;
      int32_t pods = 0;
      for (const PodSet& ps : info.pod_sets) pods += ps.count;
      const int32_t waiting = pods - rooms_.PlacedPods(info.key);
      if (waiting <= 0) continue;
      auto since = unplaced_since_.try_emplace(info.key, t).first->second;
      unplaced[info.key] = since;
      auto q = queues.find(info.cluster_queue);
      if (q == queues.end() || !MayPreempt(q->second)) continue;  // it may not evict anything
      if (t - since >= defragment_after_) {
        overdue[info.key] = waiting;
      } else if (!recheck_at_ || since + defragment_after_ < *recheck_at_) {
        recheck_at_ = since + defragment_after_;
      }
    }
  }
  unplaced_since_ = std::move(unplaced);
  std::erase_if(displaced_, [&](const auto& entry) {
    return !unplaced_since_.contains(entry.second.first) ||
           t - entry.second.second > kDisplacedHold;
  });
  return overdue;
}

bool QueueController::StartDeferred(const std::string& key,
                                    std::chrono::steady_clock::time_point t) {
  auto it = victims_of_.find(key);
  if (it == victims_of_.end()) return false;
  std::erase_if(it->second.first,
                [&](const std::string& victim) { return rooms_.GoingPods(victim) == 0; });
  if (!it->second.first.empty() && t - it->second.second < kVictimWait) return true;
  for (const std::string& victim : it->second.first) {
    spdlog::info("queues: starting {} though {} pods of {}, preempted for it, are not gone",
                 key, rooms_.GoingPods(victim), victim);
  }
  victims_of_.erase(it);
  return false;
}

bool QueueController::SucceededPodsComplete(const json::object& job,
                                            const std::string& workload) const {
  // Succeeded pods reach the Job's completions: it is done, whatever its status says yet.
  // (The Job controller writes that a moment later; Kueue frees such pods' quota through
  // reclaimablePods.) Only pods this controller saw succeed count, so it may be late, never
  // early.
  const json::value* completions = api::FindPath(job, "spec.completions");
  if (!placement_synced_[1] || completions == nullptr || !completions->is_int64() ||
      completions->get_int64() <= 0) {
    return false;
  }
  return rooms_.SucceededPods(workload) >= completions->get_int64();
}

}  // namespace shoal::controllers
