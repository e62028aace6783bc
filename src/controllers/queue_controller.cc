#include "controllers/queue_controller.h"

#include <algorithm>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "absl/strings/numbers.h"
#include "api/labels.h"
#include "api/object.h"
#include "base/clock.h"
#include "base/strings.h"

namespace shoal::controllers {

namespace asio = boost::asio;
namespace json = boost::json;
using client::InformerEvent;

namespace {

constexpr auto kPendingRefresh = std::chrono::seconds(30);

std::string Now() { return base::FormatRfc3339(std::chrono::system_clock::now()); }

}  // namespace

using kueue::ConditionOf;
using kueue::ConditionsOf;
using kueue::ConditionTrue;
using kueue::JobFinished;
using kueue::KeyOf;
using kueue::kAdmissionGate;
using kueue::kGroupTotalAnnotation;
using kueue::kKueue;
using kueue::kPodGroupLabel;
using kueue::kWorkloadPriorityClassLabel;
using kueue::LabelOf;
using kueue::SetCondition;
using kueue::Str;
using kueue::WorkloadForPods;

QueueController::QueueController(asio::any_io_executor executor, client::Transport& transport,
                                 std::chrono::milliseconds min_pass_interval,
                                 std::chrono::milliseconds defragment_after)
    : executor_(executor),
      transport_(transport),
      events_(executor, transport, "kueue-controller"),
      min_pass_interval_(min_pass_interval),
      defragment_after_(defragment_after),
      wake_(executor),
      status_writer_(executor, transport, "queues", [this] { Changed(); }) {}

void QueueController::Watch(client::InformerOptions options, bool* synced,
                            std::function<void(InformerEvent&&)> on_event) {
  client::SpawnInformer(executor_, transport_, std::move(options),
                        [this, synced, on_event = std::move(on_event)](InformerEvent&& e) {
                          if (e.type == InformerEvent::Type::kSynced) {
                            *synced = true;
                            Changed();
                            return;
                          }
                          on_event(std::move(e));
                        });
}

void QueueController::Start() {
  // Queued Jobs and pods only: the label selects them on the server.
  auto watch = [this](std::string path, auto handler, int index, bool queued_only = false) {
    client::InformerOptions options;
    options.path = std::move(path);
    if (queued_only) options.label_selector = std::string(kQueueNameLabel);
    Watch(std::move(options), &synced_[index],
          [this, handler](InformerEvent&& e) { (this->*handler)(std::move(e)); });
  };
  watch(base::StrCat(kKueue, "/resourceflavors"), &QueueController::OnFlavor, 0);
  watch(base::StrCat(kKueue, "/clusterqueues"), &QueueController::OnClusterQueue, 1);
  watch(base::StrCat(kKueue, "/localqueues"), &QueueController::OnLocalQueue, 2);
  watch(base::StrCat(kKueue, "/workloads"), &QueueController::OnWorkload, 3);
  watch("/apis/batch/v1/jobs", &QueueController::OnJob, 4, true);
  watch("/apis/scheduling.k8s.io/v1/priorityclasses", &QueueController::OnPriorityClass, 5);
  watch("/api/v1/pods", &QueueController::OnPod, 6, true);
  watch("/api/v1/namespaces", &QueueController::OnNamespace, 7);
  watch(base::StrCat(kKueue, "/workloadpriorityclasses"),
        &QueueController::OnWorkloadPriorityClass, 8);
  asio::co_spawn(executor_, PassLoop(), asio::detached);
}

namespace {
// Keeps `map` in step with an informer event, keyed by `key`.
void Track(std::map<std::string, json::object>& map, const std::string& key, InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kDeleted) {
    map.erase(key);
  } else {
    map[key] = e.TakeObject();
  }
}
}  // namespace

void QueueController::OnFlavor(InformerEvent&& e) {
  if (!placement_started_ && e.type != InformerEvent::Type::kDeleted &&
      ParseResourceFlavor(e.object()).topology_aware) {
    StartPlacementWatches();
  }
  Track(flavors_, Str(e.object(), "metadata.name"), std::move(e));
  Changed();
}
void QueueController::OnClusterQueue(InformerEvent&& e) {
  if (!placement_started_ && e.type != InformerEvent::Type::kDeleted) StartPlacementWatches();
  Track(cluster_queues_, Str(e.object(), "metadata.name"), std::move(e));
  Changed();
}

void QueueController::StartPlacementWatches() {
  placement_started_ = true;
  // A pod or node change starts a pass only when it may have freed room (work may wait for
  // it); passes are at least min_pass_interval apart, so a burst costs one.
  Watch({.path = "/api/v1/nodes"}, &placement_synced_[0], [this](InformerEvent&& e) {
    if (rooms_.OnNode(std::move(e))) Changed();
  });
  Watch({.path = "/api/v1/pods"}, &placement_synced_[1], [this](InformerEvent&& e) {
    if (rooms_.OnPod(std::move(e))) Changed();
  });
}
void QueueController::OnLocalQueue(InformerEvent&& e) {
  Track(local_queues_, client::ObjectKey(e.object()), std::move(e));
  Changed();
}
void QueueController::OnWorkload(InformerEvent&& e) {
  std::string key = client::ObjectKey(e.object());
  creating_.erase(key);
  if (e.type == InformerEvent::Type::kDeleted) {
    pending_written_.erase(key);
    start_sent_.erase(key);
    stop_sent_.erase(key);
  }
  Track(workloads_, key, std::move(e));
  Changed();
}
void QueueController::OnJob(InformerEvent&& e) {
  Track(jobs_, client::ObjectKey(e.object()), std::move(e));
  Changed();
}
void QueueController::OnPod(InformerEvent&& e) {
  Track(pods_, client::ObjectKey(e.object()), std::move(e));
  Changed();
}
void QueueController::OnNamespace(InformerEvent&& e) {
  Track(namespaces_, Str(e.object(), "metadata.name"), std::move(e));
  Changed();
}
void QueueController::OnWorkloadPriorityClass(InformerEvent&& e) {
  std::string name = Str(e.object(), "metadata.name");
  if (e.type == InformerEvent::Type::kDeleted) {
    workload_priority_classes_.erase(name);
  } else {
    const json::value* v = e.object().if_contains("value");
    workload_priority_classes_[name] =
        v && v->is_int64() ? static_cast<int32_t>(v->get_int64()) : 0;
  }
  Changed();
}
void QueueController::OnPriorityClass(InformerEvent&& e) {
  std::string name = Str(e.object(), "metadata.name");
  if (e.type == InformerEvent::Type::kDeleted) {
    priority_classes_.erase(name);
  } else {
    const json::value* v = e.object().if_contains("value");
    priority_classes_[name] = {v && v->is_int64() ? static_cast<int32_t>(v->get_int64()) : 0,
                               api::BoolAt(e.object(), "globalDefault")};
  }
  Changed();
}

void QueueController::Changed() {
  if (dirty_) return;
  dirty_ = true;
  wake_.cancel();
}

asio::awaitable<void> QueueController::PassLoop() {
  for (;;) {
    if (!dirty_) {
      wake_.expires_after(std::chrono::seconds(30));  // also a periodic pass
      if (recheck_at_ && *recheck_at_ < wake_.expiry()) wake_.expires_at(*recheck_at_);
      boost::system::error_code ec;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    dirty_ = false;
    if (std::all_of(std::begin(synced_), std::end(synced_), [](bool b) { return b; })) Pass();
    wake_.expires_after(min_pass_interval_);
    boost::system::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

int32_t QueueController::PriorityOf(const json::object& owner, std::string_view pod_spec,
                                    std::string* class_name, std::string* source) const {
  std::string wpc = LabelOf(owner, kWorkloadPriorityClassLabel);
  if (!wpc.empty()) {
    *class_name = wpc;
    *source = "kueue.x-k8s.io/workloadpriorityclass";
    auto it = workload_priority_classes_.find(wpc);
    return it == workload_priority_classes_.end() ? 0 : it->second;
  }
  *source = "scheduling.k8s.io/priorityclass";
  std::string name = Str(owner, base::StrCat(pod_spec, ".priorityClassName"));
  if (!name.empty()) {
    auto it = priority_classes_.find(name);
    *class_name = name;
    return it == priority_classes_.end() ? 0 : it->second.first;
  }
  for (const auto& [n, pc] : priority_classes_) {
    if (pc.second) return pc.first;  // the globalDefault class
  }
  return 0;
}

void QueueController::Spawn(asio::awaitable<void> work) {
  asio::co_spawn(executor_, std::move(work), asio::detached);
}

asio::awaitable<void> QueueController::Call(std::string method, std::string path,
                                            std::string body, std::string content_type,
                                            std::string what, std::function<void(bool)> done) {
  client::Request req = client::MakeRequest(std::move(method), std::move(path), std::move(body),
                                            std::move(content_type));
  auto resp = co_await transport_.Call(std::move(req));
  bool ok = true;
  if (!resp.ok()) {
    spdlog::warn("queues: {}: {}", what, std::string(resp.status().message()));
    ok = false;
  } else if (resp->code >= 300 && resp->code != 404 && resp->code != 409) {
    spdlog::warn("queues: {}: HTTP {}: {}", what, resp->code, resp->body.substr(0, 300));
    ok = false;
  }
  if (done) done(ok);
  if (!ok) Changed();
}

asio::awaitable<void> QueueController::Resync(std::string key) {
  const size_t slash = key.find('/');
  client::Request req = client::MakeRequest(
      "GET", base::StrCat(kKueue, "/namespaces/", key.substr(0, slash), "/workloads/",
                          key.substr(slash + 1)));
  auto resp = co_await transport_.Call(std::move(req));
  if (!resp.ok()) co_return;
  if (resp->code == 404) {
    workloads_.erase(key);
  } else if (resp->code == 200) {
    boost::system::error_code ec;
    json::value v = json::parse(resp->body, ec);
    if (!ec && v.is_object()) workloads_[key] = std::move(v.get_object());
  }
  Changed();
}

void QueueController::Pass() {
  const std::string now = Now();
  // 1. A Workload for every queued Job; Finished when the Job is.
  std::map<std::string, const json::object*> job_of;  // workload key -> its Job
  // Workloads found finished in this pass: their quota is free now, not only once their
  // Finished condition comes back from the API server.
  std::set<std::string> done;
  for (const auto& [key, job] : jobs_) {
    std::string ns = Str(job, "metadata.namespace");
    std::string wl = KeyOf(ns, WorkloadNameForJob(Str(job, "metadata.name"),
                                                  Str(job, "metadata.uid")));
    job_of[wl] = &job;
    auto it = workloads_.find(wl);
    if (it == workloads_.end()) {
      if (creating_.contains(wl) || !JobFinished(job).empty()) continue;
      creating_.insert(wl);
      std::string class_name, source;
      int32_t priority = PriorityOf(job, "spec.template.spec", &class_name, &source);
      json::object w = WorkloadForJob(job, priority, class_name, source);
      Spawn(Call("POST", base::StrCat(kKueue, "/namespaces/", ns, "/workloads"),
                 json::serialize(w), "application/json", base::StrCat("create Workload ", wl),
                 [this, wl](bool ok) {
                   if (!ok) creating_.erase(wl);
                 }));
      continue;
    }
    std::string finished = JobFinished(job);
    if (finished.empty() && SucceededPodsComplete(job, wl)) finished = "Succeeded";
    if (!finished.empty()) done.insert(wl);
    if (!finished.empty() && !ConditionTrue(it->second, "Finished")) {
      json::array conds = ConditionsOf(it->second);
      SetCondition(conds, "Finished", "True", finished,
                   finished == "Succeeded" ? "Job finished successfully" : "Job failed", now);
      PatchWorkloadStatus(wl, json::object{{"conditions", std::move(conds)}});
      events_.Record(it->second, "Normal", "Finished",
                     base::StrCat("Workload finished: ", finished, "; quota released"));
    }
  }

  // Queued bare pods: one Workload per pod, or per pod group once the group is complete.
  std::map<std::string, std::vector<const json::object*>> pods_of;  // workload key -> pods
  {
    std::map<std::string, std::vector<const json::object*>> groups;  // workload key -> pods
    std::map<std::string, int64_t> want;                             // workload key -> count
    for (const auto& [key, pod] : pods_) {
      const std::string wl = QueuedPodWorkloadKey(pod);
      groups[wl].push_back(&pod);
      const json::value* total = api::FindPath(pod, "metadata.annotations");
      if (total && total->is_object()) {
        if (const json::value* t = total->get_object().if_contains(kGroupTotalAnnotation);
            t && t->is_string()) {
          int64_t n = 0;
          if (absl::SimpleAtoi(base::AbslView(std::string_view(t->get_string())), &n)) {
            want[wl] = n;
          }
        }
      }
    }
    for (auto& [wl, pods] : groups) {
      pods_of[wl] = pods;
      auto it = workloads_.find(wl);
      bool all_done = std::all_of(pods.begin(), pods.end(), [](const json::object* p) {
        std::string_view phase = api::StringAt(*p, "status.phase");
        return phase == "Succeeded" || phase == "Failed";
      });
      if (it == workloads_.end()) {
        int64_t count = want.contains(wl) ? want[wl] : static_cast<int64_t>(pods.size());
        if (creating_.contains(wl) || all_done || static_cast<int64_t>(pods.size()) < count) {
          continue;
        }
        creating_.insert(wl);
        std::string class_name, source;
        int32_t priority = PriorityOf(*pods.front(), "spec", &class_name, &source);
        json::object w = WorkloadForPods(wl.substr(wl.find('/') + 1), pods, count, priority,
                                         class_name, source);
        Spawn(Call("POST", base::StrCat(kKueue, "/namespaces/", wl.substr(0, wl.find('/')),
                                        "/workloads"),
                   json::serialize(w), "application/json", base::StrCat("create Workload ", wl),
                   [this, wl](bool ok) {
                     if (!ok) creating_.erase(wl);
                   }));
        continue;
      }
      if (all_done) done.insert(wl);
      if (all_done && !ConditionTrue(it->second, "Finished")) {
        json::array conds = ConditionsOf(it->second);
        SetCondition(conds, "Finished", "True", "Succeeded", "Pods finished", now);
        PatchWorkloadStatus(wl, json::object{{"conditions", std::move(conds)}});
      }
    }
  }

  // 2. The quota pass.
  std::map<std::string, ClusterQueueSpec> queues;
  for (const auto& [name, cq] : cluster_queues_) queues[name] = ParseClusterQueue(cq);
  std::map<std::string, ResourceFlavorSpec> flavors;
  for (const auto& [name, f] : flavors_) flavors[name] = ParseResourceFlavor(f);
  std::map<std::string, std::string> refused;  // workload key -> why its queue refuses it
  std::map<std::string, absl::StatusOr<api::LabelSelector>> ns_selectors;
  std::set<std::string> draining;  // stopPolicy HoldAndDrain: admitted work is evicted
  for (auto& [name, q] : queues) {
    for (const ResourceGroup& g : q.groups) {
      for (const FlavorQuotas& f : g.flavors) q.active = q.active && flavors.contains(f.flavor);
    }
    const json::object& obj = cluster_queues_[name];
    std::string_view stop = api::StringAt(obj, "spec.stopPolicy");
    if (stop == "Hold" || stop == "HoldAndDrain") q.active = false;
    if (stop == "HoldAndDrain") draining.insert(name);
    const json::value* sel = api::FindPath(obj, "spec.namespaceSelector");
    ns_selectors.emplace(name, api::FromLabelSelectorJson(sel ? *sel : json::value(nullptr)));
  }
  std::vector<WorkloadInfo> infos;
  std::map<std::string, std::string> local_queue_of;  // workload key -> "ns/localqueue"
  for (const auto& [key, w] : workloads_) {
    if (done.contains(key) || ConditionTrue(w, "Finished")) continue;
    if (api::FindPath(w, "spec.active") && !api::BoolAt(w, "spec.active")) continue;
    WorkloadInfo info = ParseWorkload(w);
    std::string lq = KeyOf(Str(w, "metadata.namespace"), Str(w, "spec.queueName"));
    local_queue_of[key] = lq;
    if (info.cluster_queue.empty()) {
      if (auto it = local_queues_.find(lq); it != local_queues_.end()) {
        info.cluster_queue = Str(it->second, "spec.clusterQueue");
      }
      // Kueue's namespaceSelector: the ClusterQueue serves only the namespaces it selects.
      auto sel = ns_selectors.find(info.cluster_queue);
      if (sel != ns_selectors.end()) {
        std::string ns = Str(w, "metadata.namespace");
        auto nso = namespaces_.find(ns);
        api::Labels labels = api::LabelsFromJson(
            nso == namespaces_.end() ? nullptr : api::FindPath(nso->second, "metadata.labels"));
        if (!sel->second.ok() || !sel->second->Matches(labels)) {
          refused[key] = base::StrCat("the namespace ", ns, " is not selected by ClusterQueue ",
                                      info.cluster_queue, "'s namespaceSelector");
          continue;
        }
      }
    }
    infos.push_back(std::move(info));
  }
  std::map<std::string, const WorkloadInfo*> info_of;
  for (const WorkloadInfo& info : infos) info_of[info.key] = &info;
  // Where admitted work runs, built at most once per pass and only when preemption needs it
  // (once the placement informers have synced; until then reclaim goes by quota alone).
  std::optional<RoomModel> room;
  auto room_of_pass = [&]() -> RoomModel* {
    if (!placement_synced_[0] || !placement_synced_[1]) return nullptr;
    if (!room) room.emplace(rooms_.Rooms());
    return &*room;
  };
  const auto t = std::chrono::steady_clock::now();
  const std::map<std::string, int32_t> overdue = Overdue(infos, queues, t);
  for (WorkloadInfo& info : infos) {
    if (info.admitted) continue;
    if (auto it = displaced_.find(info.key); it != displaced_.end()) {
      info.makes_room_for = it->second.first;
    }
    info.stopping_pods = rooms_.GoingPods(info.key);
  }
  Decisions d = Schedule(queues, flavors, infos, room_of_pass, overdue);
  for (const auto& [victim, beneficiary] : d.displaced) displaced_[victim] = {beneficiary, t};
  std::erase_if(victims_of_, [&](const auto& entry) { return !info_of.contains(entry.first); });
  if (placement_synced_[1]) {
    for (const auto& [victim, preemptor] : d.preempted_for) {
      auto& [victims, since] = victims_of_[preemptor];
      victims.insert(victim);
      since = t;
    }
  }
  d.waiting.insert(refused.begin(), refused.end());
  for (const WorkloadInfo& info : infos) {
    if (info.admitted && draining.contains(info.cluster_queue)) {
      d.preempt[info.key] = base::StrCat("Evicted: ClusterQueue ", info.cluster_queue,
                                         " is stopped with stopPolicy HoldAndDrain");
    }
  }

  // Keep Jobs and pods in step with their Workloads (a write that failed, a restart between
  // the Workload's admission and the Job's start): admitted work runs, evicted work stops.
  const auto resend_after = std::chrono::seconds(5);
  for (const WorkloadInfo& info : infos) {
    auto job = job_of.find(info.key);
    auto pods = pods_of.find(info.key);
    if (info.admitted) {
      bool waiting_to_start = false;
      if (job != job_of.end()) {
        waiting_to_start = api::BoolAt(*job->second, "spec.suspend");
      } else if (pods != pods_of.end()) {
        for (const json::object* p : pods->second) {
          const json::value* g = api::FindPath(*p, "spec.schedulingGates");
          waiting_to_start = waiting_to_start || (g && g->is_array() && !g->get_array().empty());
        }
      }
      auto sent = start_sent_.find(info.key);
      if (waiting_to_start && (sent == start_sent_.end() || t - sent->second > resend_after) &&
          !StartDeferred(info.key, t)) {
        StartWorkload(info.key, *info.admitted, job == job_of.end() ? nullptr : job->second,
                      pods == pods_of.end() ? nullptr : &pods->second);
      }
    } else if (job != job_of.end() && !api::BoolAt(*job->second, "spec.suspend") &&
               ConditionTrue(workloads_[info.key], "Evicted")) {
      auto sent = stop_sent_.find(info.key);
      if (sent == stop_sent_.end() || t - sent->second > resend_after) {
        StopWorkload(info.key, job->second, nullptr);
      }
    }
  }

  for (const Decisions::Admit& a : d.admit) {
    pending_written_.erase(a.workload);
    auto wit = workloads_.find(a.workload);
    if (wit == workloads_.end()) continue;
    json::array assignments;
    for (const auto& [set, per_resource] : a.assignment.flavors) {
      json::object fl, usage;
      int64_t count = 1;
      for (const PodSet& ps : info_of.at(a.workload)->pod_sets) {
        if (ps.name != set) continue;
        count = ps.count;
        for (const auto& [r, f] : per_resource) {
          fl[r] = f;
          usage[r] = AmountText(r, ps.per_pod.at(r) * ps.count);
        }
      }
      assignments.push_back(json::object{{"name", set}, {"flavors", std::move(fl)},
                                         {"resourceUsage", std::move(usage)},
                                         {"count", count}});
    }
    json::array conds = ConditionsOf(wit->second);
    std::string msg = base::StrCat("Quota reserved in ClusterQueue ", a.cluster_queue);
    SetCondition(conds, "QuotaReserved", "True", "QuotaReserved", msg, now);
    SetCondition(conds, "Admitted", "True", "Admitted", "The workload is admitted", now);
    if (ConditionOf(wit->second, "Evicted")) {
      SetCondition(conds, "Evicted", "False", "QuotaReserved", "Admitted again", now);
    }
    PatchWorkloadStatus(a.workload,
                        json::object{{"admission", json::object{{"clusterQueue", a.cluster_queue},
                                                                {"podSetAssignments",
                                                                 std::move(assignments)}}},
                                     {"conditions", std::move(conds)}});
    events_.Record(wit->second, "Normal", "QuotaReserved", msg);
    // A preemptor starts once its victims' pods are gone (a later pass, on their deletion):
    // pods made earlier would find the nodes still taken and back off in the scheduler. A
    // start sent for an earlier admission must not delay that one (the resend pace).
    start_sent_.erase(a.workload);
    if (StartDeferred(a.workload, t)) continue;
    auto job = job_of.find(a.workload);
    auto pods = pods_of.find(a.workload);
    StartWorkload(a.workload, a.assignment, job == job_of.end() ? nullptr : job->second,
                  pods == pods_of.end() ? nullptr : &pods->second);
  }

  for (const auto& [victim, why] : d.preempt) {
    auto wit = workloads_.find(victim);
    if (wit == workloads_.end()) continue;
    json::array conds = ConditionsOf(wit->second);
    const std::string_view reason =
        draining.contains(info_of.at(victim)->cluster_queue) ? "ClusterQueueStopped"
                                                              : "Preempted";
    spdlog::info("queues: evicting {}: {}", victim, why);
    rooms_.Evicted(victim);
    SetCondition(conds, "Evicted", "True", reason, why, now);
    SetCondition(conds, "QuotaReserved", "False", reason, why, now);
    SetCondition(conds, "Admitted", "False", reason, why, now);
    events_.Record(wit->second, "Normal", reason, why);
    PatchWorkloadStatus(victim, json::object{{"admission", nullptr},
                                             {"conditions", std::move(conds)}});
    auto job = job_of.find(victim);
    auto pods = pods_of.find(victim);
    StopWorkload(victim, job == job_of.end() ? nullptr : job->second,
                 pods == pods_of.end() ? nullptr : &pods->second);
  }

  for (const auto& [key, why] : d.waiting) {
    auto wit = workloads_.find(key);
    if (wit == workloads_.end()) continue;
    const json::object* c = ConditionOf(wit->second, "QuotaReserved");
    const bool pending = c != nullptr && api::StringAt(*c, "status") == "False" &&
                         api::StringAt(*c, "reason") == "Pending";
    if (pending && api::StringAt(*c, "message") == why) continue;
    // In a busy cohort the figures in the message change with every pass; a workload that
    // already says why it waits is told again at most every kPendingRefresh, so that
    // waiting work does not cost a write and an Event per pass.
    auto last = pending_written_.find(key);
    if (pending && last != pending_written_.end() && t - last->second < kPendingRefresh) continue;
    pending_written_[key] = t;
    json::array conds = ConditionsOf(wit->second);
    SetCondition(conds, "QuotaReserved", "False", "Pending", why, now);
    PatchWorkloadStatus(key, json::object{{"conditions", std::move(conds)}});
    events_.Record(wit->second, "Warning", "Pending", why);
  }

  // 3. ClusterQueue and LocalQueue status.
  std::vector<WorkloadInfo> after;
  for (const auto& [key, w] : workloads_) {
    if (!done.contains(key) && !ConditionTrue(w, "Finished")) after.push_back(ParseWorkload(w));
  }
  Usage usage = UsageOf(after);
  std::map<std::string, std::pair<int64_t, int64_t>> cq_counts, lq_counts;  // pending, admitted
  for (const WorkloadInfo& info : after) {
    std::string lq = local_queue_of[info.key];
    std::string cq = info.cluster_queue;
    if (cq.empty()) {
      if (auto it = local_queues_.find(lq); it != local_queues_.end()) {
        cq = Str(it->second, "spec.clusterQueue");
      }
    }
    auto& c = cq_counts[cq];
    auto& l = lq_counts[lq];
    (info.admitted ? c.second : c.first)++;
    (info.admitted ? l.second : l.first)++;
  }
  auto write_status = [&](const std::string& key, std::string path, json::object status) {
    status_writer_.Write(key, std::move(path), json::serialize(status));
  };
  for (const auto& [name, q] : queues) {
    json::array flavors_usage;
    for (const ResourceGroup& g : q.groups) {
      for (const FlavorQuotas& fq : g.flavors) {
        json::array resources;
        for (const auto& [r, quota] : fq.resources) {
          int64_t used = 0;
          if (auto u = usage.find(name); u != usage.end()) {
            if (auto f = u->second.find(fq.flavor); f != u->second.end()) {
              auto x = f->second.find(r);
              used = x == f->second.end() ? 0 : x->second;
            }
          }
          resources.push_back(json::object{
              {"name", r}, {"total", AmountText(r, used)},
              {"borrowed", AmountText(r, std::max<int64_t>(0, used - quota.nominal))}});
        }
        flavors_usage.push_back(json::object{{"name", fq.flavor}, {"resources", resources}});
      }
    }
    auto counts = cq_counts[name];
    json::array conds = ConditionsOf(cluster_queues_[name]);
    SetCondition(conds, "Active", q.active ? "True" : "False",
                 q.active ? "Ready" : "FlavorNotFound",
                 q.active ? "Can admit new workloads"
                          : "Can't admit new workloads: references missing ResourceFlavor(s)",
                 now);
    write_status(base::StrCat("clusterqueue/", name),
                 base::StrCat(kKueue, "/clusterqueues/", name, "/status"),
                 json::object{{"pendingWorkloads", counts.first},
                              {"reservingWorkloads", counts.second},
                              {"admittedWorkloads", counts.second},
                              {"flavorsUsage", flavors_usage},
                              {"flavorsReservation", flavors_usage},
                              {"conditions", std::move(conds)}});
  }
  for (const auto& [key, lq] : local_queues_) {
    auto counts = lq_counts[key];
    const size_t slash = key.find('/');
    write_status(base::StrCat("localqueue/", key),
                 base::StrCat(kKueue, "/namespaces/", key.substr(0, slash), "/localqueues/",
                              key.substr(slash + 1), "/status"),
                 json::object{{"pendingWorkloads", counts.first},
                              {"reservingWorkloads", counts.second},
                              {"admittedWorkloads", counts.second}});
  }
}

}  // namespace shoal::controllers
