// JobController: its informers, the batching of a Job's syncs, timers, and the pod and
// PodGroup calls; Reconcile itself is in job_reconcile.cc.
#include "controllers/job_controller.h"

#include <memory>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "api/object.h"
#include "base/strings.h"
#include "controllers/internal/job_support.h"

namespace shoal::controllers {

namespace asio = boost::asio;
namespace json = boost::json;
using client::InformerEvent;
using internal::IntAt;
using internal::KeepNewer;
using std::chrono::system_clock;

namespace {

// Calls in flight at once, over all Jobs (client::LimitedTransport): 62 gangs created together
// (ml-7500) no longer queue 4,000 pod writes ahead of every other client's. At 64 the burst
// itself slowed (the second 1,024-pod gang was all bound 11 s after its Job, not 1.6 s).
constexpr int kMaxCallsInFlight = 256;

std::string PodPath(const JobPod& p) {
  return base::StrCat("/api/v1/namespaces/", p.ns, "/pods/", p.name);
}

}  // namespace

JobController::JobController(asio::any_io_executor executor, client::Transport& transport,
                             const ControllerOptions& options, const base::Clock& clock)
    : executor_(executor),
      transport_(transport, executor, kMaxCallsInFlight),
      options_(options),
      clock_(clock),
      events_(executor, transport, "job-controller") {}

void JobController::Start() {
  client::SpawnInformer(executor_, transport_, "/apis/batch/v1/jobs",
                        [this](InformerEvent&& e) { OnJob(std::move(e)); });
  client::SpawnInformer(executor_, transport_, "/api/v1/pods",
                        [this](InformerEvent&& e) { OnPod(std::move(e)); });
  client::SpawnInformer(executor_, transport_, "/api/v1/nodes",
                        [this](InformerEvent&& e) { OnNode(std::move(e)); });
}

void JobController::OnJob(InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kSynced) {
    jobs_synced_ = true;
    if (pods_synced_) {
      for (auto& [key, job] : jobs_) Sync(key);
    }
    return;
  }
  const std::string key = client::ObjectKey(e.object());
  const std::string uid(api::StringAt(e.object(), "metadata.uid"));
  if (e.type == InformerEvent::Type::kDeleted) {
    // The Job is gone: its pods must not stay behind because of our finalizer.
    if (auto p = pods_.find(uid); p != pods_.end()) {
      for (auto& [pod_uid, pod] : p->second) {
        if (pod.tracked) {
          asio::co_spawn(executor_, [this, pod]() -> asio::awaitable<void> {
            co_await Untrack(pod);
          }, asio::detached);
        }
      }
    }
    job_by_uid_.erase(uid);
    jobs_.erase(key);
    return;
  }
  // A new Job or a new spec (generation) is handled at once; the Job's status changes (our own
  // writes among them) are batched like its pods' events, as kube's controller does.
  auto known = jobs_.find(key);
  const bool spec_changed =
      known == jobs_.end() || IntAt(known->second.obj, "metadata.generation", 0) !=
                                  IntAt(e.object(), "metadata.generation", 0);
  // Our own write may be newer than this event; keep the newer one.
  KeepNewer(jobs_[key].obj, e.TakeObject());
  job_by_uid_[uid] = key;
  if (spec_changed) {
    Sync(key);
  } else {
    SyncBatched(key);
  }
}

void JobController::OnPod(InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kSynced) {
    pods_synced_ = true;
    if (jobs_synced_) {
      for (auto& [key, job] : jobs_) Sync(key);
    }
    return;
  }
  JobPod pod = ParseJobPod(e.object());
  if (pod.job_uid.empty()) return;
  auto& pods = pods_[pod.job_uid];
  auto owner = job_by_uid_.find(pod.job_uid);
  if (e.type == InformerEvent::Type::kDeleted) {
    pods.erase(pod.uid);
    if (pods.empty()) pods_.erase(pod.job_uid);
  } else {
    if (e.type == InformerEvent::Type::kAdded && owner != job_by_uid_.end()) {
      Job& job = jobs_[owner->second];
      if (job.expected_creates > 0 && !pods.count(pod.uid)) --job.expected_creates;
    }
    pods[pod.uid] = pod;
  }
  if (owner != job_by_uid_.end()) {
    SyncBatched(owner->second);
  } else if (jobs_synced_ && pod.tracked && e.type != InformerEvent::Type::kDeleted) {
    // An orphan of a deleted Job: release it.
    asio::co_spawn(executor_, [this, pod]() -> asio::awaitable<void> { co_await Untrack(pod); },
                   asio::detached);
  }
}

void JobController::OnNode(InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kSynced) {
    nodes_synced_ = true;
    return;
  }
  const std::string name(api::StringAt(e.object(), "metadata.name"));
  if (e.type == InformerEvent::Type::kDeleted) {
    node_ready_.erase(name);
  } else {
    bool ready = false;
    const json::value* conds = api::FindPath(e.object(), "status.conditions");
    if (conds != nullptr && conds->is_array()) {
      for (const json::value& c : conds->get_array()) {
        if (c.is_object() && api::StringAt(c.get_object(), "type") == "Ready") {
          ready = api::StringAt(c.get_object(), "status") == "True";
        }
      }
    }
    bool changed = node_ready_.count(name) == 0 || node_ready_[name] != ready;
    node_ready_[name] = ready;
    if (!changed || ready) return;
  }
  // A node went away or stopped being Ready: gangs with a member there must restart.
  for (auto& [job_uid, pods] : pods_) {
    for (auto& [uid, pod] : pods) {
      if (pod.node == name && pod.Active()) {
        if (auto j = job_by_uid_.find(job_uid); j != job_by_uid_.end()) Sync(j->second);
        break;
      }
    }
  }
}

bool JobController::NodeLost(const std::string& node) const {
  if (node.empty() || !nodes_synced_) return false;
  auto it = node_ready_.find(node);
  return it == node_ready_.end() || !it->second;
}

void JobController::Sync(const std::string& key) {
  if (!jobs_synced_ || !pods_synced_) return;
  auto it = jobs_.find(key);
  if (it == jobs_.end()) return;
  if (it->second.in_flight) {
    it->second.dirty = true;
    return;
  }
  it->second.in_flight = true;
  asio::co_spawn(executor_, Run(key), asio::detached);
}

void JobController::SyncBatched(const std::string& key) {
  if (options_.job_sync_batch_period <= Millis(0)) {
    Sync(key);
    return;
  }
  if (!jobs_synced_ || !pods_synced_) return;
  auto it = jobs_.find(key);
  if (it == jobs_.end() || it->second.batch_pending) return;
  Job& job = it->second;
  job.batch_pending = true;
  if (!job.batch) job.batch = std::make_unique<asio::steady_timer>(executor_);
  job.batch->expires_after(options_.job_sync_batch_period);
  // The timer dies with its Job (deleted meanwhile): the handler then only sees the abort.
  job.batch->async_wait([this, key](boost::system::error_code ec) {
    if (ec) return;
    auto it = jobs_.find(key);
    if (it == jobs_.end()) return;
    it->second.batch_pending = false;
    Sync(key);
  });
}

asio::awaitable<void> JobController::Run(std::string key) {
  for (;;) {
    auto it = jobs_.find(key);
    if (it == jobs_.end()) co_return;
    it->second.dirty = false;
    co_await Reconcile(key);
    it = jobs_.find(key);
    if (it == jobs_.end()) co_return;
    if (!it->second.dirty) {
      it->second.in_flight = false;
      co_return;
    }
  }
}

void JobController::WakeAt(const std::string& key, system_clock::time_point when) {
  auto it = jobs_.find(key);
  if (it == jobs_.end()) return;
  Job& job = it->second;
  if (!job.timer) job.timer = std::make_unique<asio::steady_timer>(executor_);
  auto delay = when - clock_.Now();
  if (delay < std::chrono::milliseconds(10)) delay = std::chrono::milliseconds(10);
  auto expiry = std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay);
  // Keep an earlier wake-up that is still pending.
  if (job.timer->expiry() > std::chrono::steady_clock::now() && job.timer->expiry() <= expiry) {
    return;
  }
  job.timer->expires_at(expiry);
  job.timer->async_wait([this, key](boost::system::error_code ec) {
    if (!ec) Sync(key);
  });
}

asio::awaitable<bool> JobController::Untrack(const JobPod& pod) {
  // A JSON patch that tests the finalizer is still where it was read, so that a concurrent
  // change of the list is never clobbered.
  auto resp = co_await transport_.Call(client::MakeRequest("GET", PodPath(pod)));
  for (int attempt = 0; attempt < 5 && resp.ok() && resp->code == 200; ++attempt) {
    auto obj = api::ParseJson(resp->Text());
    if (!obj.ok() || !obj->is_object()) co_return false;
    const json::value* f = api::FindPath(obj->get_object(), "metadata.finalizers");
    if (f == nullptr || !f->is_array()) co_return true;
    json::array keep;
    for (const json::value& v : f->get_array()) {
      if (!(v.is_string() && v.get_string() == kJobTrackingFinalizer)) keep.push_back(v);
    }
    if (keep.size() == f->get_array().size()) co_return true;
    json::array patch{
        json::object{{"op", "test"},
                     {"path", "/metadata/resourceVersion"},
                     {"value", api::StringAt(obj->get_object(), "metadata.resourceVersion")}},
        json::object{{"op", "replace"}, {"path", "/metadata/finalizers"}, {"value", keep}}};
    auto r = co_await transport_.Call(client::MakeRequest(
        "PATCH", PodPath(pod), json::serialize(patch), "application/json-patch+json"));
    if (!r.ok()) co_return false;
    if (r->code == 200 || r->code == 404) co_return true;
    if (r->code != 422 && r->code != 409) {
      spdlog::warn("job-controller: finalizer of pod {}/{} not removed: {}", pod.ns, pod.name,
                   r->Text());
      co_return false;
    }
    resp = co_await transport_.Call(client::MakeRequest("GET", PodPath(pod)));
  }
  co_return resp.ok() && resp->code == 404;
}

asio::awaitable<void> JobController::DeletePod(std::string key, JobPod pod, bool force) {
  if (pod.tracked && !co_await Untrack(pod)) co_return;
  json::object opts{{"kind", "DeleteOptions"},
                    {"apiVersion", "v1"},
                    {"preconditions", json::object{{"uid", pod.uid}}}};
  if (force) opts["gracePeriodSeconds"] = 0;
  auto resp = co_await transport_.Call(
      client::MakeRequest("DELETE", PodPath(pod), json::serialize(opts)));
  if (!resp.ok() || (resp->code != 200 && resp->code != 404)) {
    spdlog::warn("job-controller: pod {}/{} not deleted: {}", pod.ns, pod.name,
                 resp.ok() ? resp->Text() : resp.status().ToString());
    if (auto it = jobs_.find(key); it != jobs_.end()) it->second.deleting.erase(pod.uid);
    co_return;
  }
  if (resp->code == 200 && !pod.terminating) {
    if (auto it = jobs_.find(key); it != jobs_.end()) {
      events_.Record(it->second.obj, "Normal", "SuccessfulDelete",
                     base::StrCat("Deleted pod: ", pod.name));
    }
  }
}

asio::awaitable<void> JobController::CreatePod(std::string key, json::object pod,
                                              std::shared_ptr<bool> failed) {
  const std::string ns(api::StringAt(pod, "metadata.namespace"));
  auto resp = co_await transport_.Call(client::MakeRequest(
      "POST", base::StrCat("/api/v1/namespaces/", ns, "/pods"), json::serialize(pod)));
  auto it = jobs_.find(key);
  if (!resp.ok() || resp->code != 201) {
    *failed = true;
    if (it != jobs_.end()) {
      --it->second.expected_creates;
      std::string why = resp.ok() ? resp->Text() : resp.status().ToString();
      spdlog::warn("job-controller: pod for job {} not created: {}", key, why);
      if (resp.ok()) {
        auto st = api::ParseJson(why);
        std::string msg = st.ok() && st->is_object()
                              ? std::string(api::StringAt(st->get_object(), "message"))
                              : why;
        events_.Record(it->second.obj, "Warning", "FailedCreate",
                       base::StrCat("Error creating: ", msg));
      }
      WakeAt(key, clock_.Now() + std::chrono::seconds(1));
    }
    co_return;
  }
  if (it == jobs_.end()) co_return;
  auto created = api::ParseJson(resp->Text());
  std::string pod_name = created.ok() && created->is_object()
                             ? std::string(api::StringAt(created->get_object(), "metadata.name"))
                             : "";
  events_.Record(it->second.obj, "Normal", "SuccessfulCreate",
                 base::StrCat("Created pod: ", pod_name));
}

asio::awaitable<void> JobController::EnsurePodGroup(std::string key, std::string group,
                                                    int64_t min_member) {
  auto it = jobs_.find(key);
  if (it == jobs_.end() || it->second.podgroup_ready) co_return;
  const json::object& job = it->second.obj;
  const std::string ns(api::StringAt(job, "metadata.namespace"));
  json::object pg{
      {"apiVersion", "scheduling.x-k8s.io/v1alpha1"},
      {"kind", "PodGroup"},
      {"metadata",
       json::object{{"name", group},
                    {"namespace", ns},
                    {"ownerReferences",
                     json::array{json::object{{"apiVersion", "batch/v1"},
                                              {"kind", "Job"},
                                              {"name", api::StringAt(job, "metadata.name")},
                                              {"uid", api::StringAt(job, "metadata.uid")},
                                              {"controller", true},
                                              {"blockOwnerDeletion", true}}}}}},
      {"spec", json::object{{"minMember", min_member}}}};
  // The gang's placement wish travels with it (shoal.io/topology: leaf | spine).
  if (const json::value* a = api::FindPath(job, "metadata.annotations"); a && a->is_object()) {
    if (const json::value* t = a->get_object().if_contains("shoal.io/topology");
        t != nullptr && t->is_string()) {
      pg["metadata"].get_object()["annotations"] = json::object{{"shoal.io/topology", *t}};
    }
  }
  auto resp = co_await transport_.Call(client::MakeRequest(
      "POST", base::StrCat("/apis/scheduling.x-k8s.io/v1alpha1/namespaces/", ns, "/podgroups"),
      json::serialize(pg)));
  it = jobs_.find(key);
  if (it == jobs_.end()) co_return;
  if (resp.ok() && (resp->code == 201 || resp->code == 409)) {
    it->second.podgroup_ready = true;
  } else {
    spdlog::warn("job-controller: PodGroup {}/{} not created: {}", ns, group,
                 resp.ok() ? resp->Text() : resp.status().ToString());
  }
}

}  // namespace shoal::controllers
