#include "controllers/job_controller.h"

#include <algorithm>
#include <optional>
#include <tuple>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "api/object.h"
#include "base/strings.h"
#include "client/await_all.h"

namespace shoal::controllers {

namespace asio = boost::asio;
namespace json = boost::json;
using client::InformerEvent;
using std::chrono::system_clock;

namespace {

constexpr std::string_view kPodGroupLabel = "scheduling.x-k8s.io/pod-group";
constexpr auto kMaxBackoff = std::chrono::minutes(6);  // kube's MaxJobPodFailureBackOff
constexpr auto kExpectationTimeout = std::chrono::minutes(5);
constexpr size_t kMaxCreateBatch = 500;  // kube's maxPodCreateDeletePerSync
// Calls in flight at once, over all Jobs (client::LimitedTransport): 62 gangs created together
// (ml-7500) no longer queue 4,000 pod writes ahead of every other client's. At 64 the burst
// itself slowed (the second 1,024-pod gang was all bound 11 s after its Job, not 1.6 s).
constexpr int kMaxCallsInFlight = 256;

// Replaces `have` by `got` unless `have` is a newer version of the same Job (a higher
// resourceVersion): the informer's events and the controller's write answers interleave.
void KeepNewer(json::object& have, json::object got) {
  if (have.empty() || api::ResourceVersionAt(got) >= api::ResourceVersionAt(have) ||
      api::StringAt(have, "metadata.uid") != api::StringAt(got, "metadata.uid")) {
    have = std::move(got);
  }
}

int64_t IntAt(const json::object& o, std::string_view path, int64_t fallback) {
  const json::value* v = api::FindPath(o, path);
  return v != nullptr && v->is_int64() ? v->get_int64() : fallback;
}

bool Present(const json::object& o, std::string_view path) {
  const json::value* v = api::FindPath(o, path);
  return v != nullptr && !v->is_null();
}

std::string JobPath(const std::string& ns, const std::string& name) {
  return base::StrCat("/apis/batch/v1/namespaces/", ns, "/jobs/", name);
}

std::string PodPath(const JobPod& p) {
  return base::StrCat("/api/v1/namespaces/", p.ns, "/pods/", p.name);
}

json::object* Condition(json::array& conds, std::string_view type) {
  for (json::value& c : conds) {
    if (c.is_object() && api::StringAt(c.get_object(), "type") == type) return &c.get_object();
  }
  return nullptr;
}

bool ConditionTrue(const json::object& job, std::string_view type) {
  const json::value* conds = api::FindPath(job, "status.conditions");
  if (conds == nullptr || !conds->is_array()) return false;
  for (const json::value& c : conds->get_array()) {
    if (c.is_object() && api::StringAt(c.get_object(), "type") == type &&
        api::StringAt(c.get_object(), "status") == "True") {
      return true;
    }
  }
  return false;
}

// Sets (or changes) a condition; lastTransitionTime moves only when the status changes.
void SetCondition(json::array& conds, std::string_view type, std::string_view status,
                  std::string_view reason, const std::string& message, const std::string& now) {
  json::object* c = Condition(conds, type);
  if (c == nullptr) {
    conds.push_back(json::object{{"type", type}});
    c = &conds.back().get_object();
  }
  if (api::StringAt(*c, "status") != status) (*c)["lastTransitionTime"] = now;
  (*c)["status"] = status;
  (*c)["reason"] = reason;
  (*c)["message"] = message;
  (*c)["lastProbeTime"] = now;
}

std::set<std::string> UidSet(const json::object& status, std::string_view list) {
  std::set<std::string> out;
  const json::value* v =
      api::FindPath(status, base::StrCat("uncountedTerminatedPods.", list));
  if (v == nullptr || !v->is_array()) return out;
  for (const json::value& u : v->get_array()) {
    if (u.is_string()) out.insert(std::string(u.get_string()));
  }
  return out;
}

json::array UidArray(const std::set<std::string>& uids) {
  json::array a;
  for (const std::string& u : uids) a.push_back(json::string(u));
  return a;
}

std::string PodPlace(const JobPod& p) {
  std::string where = base::StrCat("pod ", p.ns, "/", p.name);
  if (!p.node.empty()) base::StrAppend(&where, " on node ", p.node);
  return where;
}

std::string FailureText(const JobPod& p) {
  for (const ContainerExit& e : p.exits) {
    if (e.exit_code != 0) {
      return base::StrCat("container ", e.name, " exited with code ", e.exit_code);
    }
  }
  if (!p.reason.empty()) return base::StrCat(p.reason, p.message.empty() ? "" : ": ", p.message);
  if (p.terminating) return "it was deleted";
  return "it failed";
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
  const std::string key = client::ObjectKey(e.object);
  const std::string uid(api::StringAt(e.object, "metadata.uid"));
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
                                  IntAt(e.object, "metadata.generation", 0);
  // Our own write may be newer than this event; keep the newer one.
  KeepNewer(jobs_[key].obj, std::move(e.object));
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
  JobPod pod = ParseJobPod(e.object);
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
  const std::string name(api::StringAt(e.object, "metadata.name"));
  if (e.type == InformerEvent::Type::kDeleted) {
    node_ready_.erase(name);
  } else {
    bool ready = false;
    const json::value* conds = api::FindPath(e.object, "status.conditions");
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

asio::awaitable<void> JobController::Reconcile(const std::string& key) {
  auto jit = jobs_.find(key);
  if (jit == jobs_.end()) co_return;
  const json::object job = jit->second.obj;
  const std::string ns(api::StringAt(job, "metadata.namespace"));
  const std::string name(api::StringAt(job, "metadata.name"));
  const std::string uid(api::StringAt(job, "metadata.uid"));
  const json::object empty;
  const json::value* spec_v = job.if_contains("spec");
  const json::object& spec = spec_v != nullptr && spec_v->is_object() ? spec_v->get_object()
                                                                       : empty;
  const auto now = clock_.Now();
  const std::string now_text = base::FormatRfc3339(now);

  std::vector<JobPod> pods;
  if (auto p = pods_.find(uid); p != pods_.end()) {
    for (auto& [pod_uid, pod] : p->second) pods.push_back(pod);
  }
  std::sort(pods.begin(), pods.end(), [](const JobPod& a, const JobPod& b) {
    return a.created != b.created ? a.created < b.created : a.name < b.name;
  });

  if (!api::StringAt(job, "metadata.deletionTimestamp").empty()) {
    for (const JobPod& p : pods) {
      if (p.tracked) co_await Untrack(p);
    }
    co_return;
  }

  const bool indexed = api::StringAt(spec, "completionMode") == "Indexed";
  const bool has_completions = Present(spec, "completions");
  const int64_t completions = IntAt(spec, "completions", 1);
  const int64_t parallelism = IntAt(spec, "parallelism", 1);
  const int64_t backoff_limit = IntAt(spec, "backoffLimit", 6);
  const bool suspended = api::FindPath(spec, "suspend") != nullptr &&
                         api::FindPath(spec, "suspend")->is_bool() &&
                         api::FindPath(spec, "suspend")->get_bool();
  const bool gang = [&] {
    const json::value* a = api::FindPath(job, "metadata.annotations");
    if (a == nullptr || !a->is_object()) return false;
    const json::value* g = a->get_object().if_contains(kGangAnnotation);
    return g != nullptr && g->is_string() && g->get_string() == "true";
  }();
  const bool finished = ConditionTrue(job, "Complete") || ConditionTrue(job, "Failed");

  json::object status;
  if (const json::value* s = job.if_contains("status"); s != nullptr && s->is_object()) {
    status = s->get_object();
  }
  json::array conds;
  if (const json::value* c = status.if_contains("conditions"); c && c->is_array()) {
    conds = c->get_array();
  }
  int64_t succeeded = IntAt(status, "succeeded", 0);
  int64_t failed = IntAt(status, "failed", 0);
  std::set<int64_t> completed =
      ParseIndexes(api::StringAt(status, "completedIndexes"), completions);
  std::set<std::string> unc_succeeded = UidSet(status, "succeeded");
  std::set<std::string> unc_failed = UidSet(status, "failed");

  // 1. Counting. Uncounted pods whose finalizer is gone (or that are gone) move into the
  // counters; newly finished tracked pods become uncounted.
  std::map<std::string, const JobPod*> by_uid;
  for (const JobPod& p : pods) by_uid[p.uid] = &p;
  for (auto* set : {&unc_succeeded, &unc_failed}) {
    for (auto it = set->begin(); it != set->end();) {
      auto p = by_uid.find(*it);
      if (p == by_uid.end() || !p->second->tracked) {
        (set == &unc_succeeded ? succeeded : failed) += 1;
        it = set->erase(it);
      } else {
        ++it;
      }
    }
  }
  Job& state = jit->second;
  std::vector<JobPod> to_untrack;     // remove the finalizer after the status write
  std::vector<JobPod> newly_failed;   // counted failures of this pass
  std::string fail_reason, fail_message;
  bool gang_failure = false;
  std::string gang_failure_text;
  for (const JobPod& p : pods) {
    if (!p.tracked || !p.Finished()) continue;
    if (unc_succeeded.count(p.uid) || unc_failed.count(p.uid)) {
      to_untrack.push_back(p);
      continue;
    }
    if (state.deleting.count(p.uid)) {
      to_untrack.push_back(p);  // ours to delete: not a failure of the job
      continue;
    }
    if (p.Succeeded()) {
      unc_succeeded.insert(p.uid);
      if (indexed && p.index >= 0 && p.index < completions) completed.insert(p.index);
      to_untrack.push_back(p);
      continue;
    }
    FailurePolicyMatch m = MatchPodFailurePolicy(spec, p);
    to_untrack.push_back(p);
    if (m.action == FailurePolicyMatch::Action::kIgnore) {
      if (gang && !finished) {
        gang_failure = true;  // the gang still restarts, uncounted
        if (gang_failure_text.empty()) {
          gang_failure_text = base::StrCat(PodPlace(p), " failed (", FailureText(p),
                                           "; ignored by podFailurePolicy)");
        }
      }
      continue;
    }
    if (m.action == FailurePolicyMatch::Action::kFailJob && fail_reason.empty()) {
      fail_reason = "PodFailurePolicy";
      fail_message = m.message;
    }
    if (gang && (state.gang_teardown || gang_failure)) continue;  // one failure per gang
    unc_failed.insert(p.uid);
    newly_failed.push_back(p);
    if (gang) {
      gang_failure = true;
      gang_failure_text = base::StrCat(PodPlace(p), " failed (", FailureText(p), ")");
    }
  }
  if (!newly_failed.empty()) state.last_failure = now;

  // Pods of this Job that still run or still exist.
  std::vector<JobPod> active, terminating;
  for (const JobPod& p : pods) {
    if (p.terminating || state.deleting.count(p.uid)) {
      if (!p.Finished() || p.terminating) terminating.push_back(p);
    } else if (p.Active()) {
      active.push_back(p);
    }
  }
  // A gang member on a lost node: the gang restarts, counted as one failure.
  std::vector<JobPod> lost;
  for (const JobPod& p : active) {
    if (NodeLost(p.node)) lost.push_back(p);
  }
  if (gang && !finished && !lost.empty() && !gang_failure && !state.gang_teardown) {
    gang_failure = true;
    gang_failure_text =
        base::StrCat(PodPlace(lost.front()), " was lost (node not Ready or gone)");
    unc_failed.insert(lost.front().uid);  // counted once its finalizer is removed
  }

  // 2. The Job's fate.
  const int64_t failed_total = failed + static_cast<int64_t>(unc_failed.size());
  if (fail_reason.empty()) {
    if (const json::object* ft = Condition(conds, "FailureTarget");
        ft != nullptr && api::StringAt(*ft, "status") == "True") {
      fail_reason = std::string(api::StringAt(*ft, "reason"));
      fail_message = std::string(api::StringAt(*ft, "message"));
    }
  }
  if (fail_reason.empty() && !finished && failed_total > backoff_limit) {
    fail_reason = "BackoffLimitExceeded";
    fail_message = "Job has reached the specified backoff limit";
  }
  if (fail_reason.empty() && !finished &&
      api::StringAt(spec, "template.spec.restartPolicy") == "OnFailure") {
    // Containers restart in place: kube's pastBackoffLimitOnFailure counts the restarts of
    // the pods still running or pending.
    int64_t restarts = 0;
    for (const JobPod& p : pods) {
      if (p.phase == "Running" || p.phase == "Pending" || p.phase.empty()) restarts += p.restarts;
    }
    if (backoff_limit == 0 ? restarts > 0 : restarts >= backoff_limit) {
      fail_reason = "BackoffLimitExceeded";
      fail_message = "Job has reached the specified backoff limit";
    }
  }
  std::optional<system_clock::time_point> start =
      base::ParseRfc3339(api::StringAt(status, "startTime"));
  if (fail_reason.empty() && !finished && !suspended && start &&
      Present(spec, "activeDeadlineSeconds")) {
    auto deadline = *start + std::chrono::seconds(IntAt(spec, "activeDeadlineSeconds", 0));
    if (now >= deadline) {
      fail_reason = "DeadlineExceeded";
      fail_message = "Job was active longer than specified deadline";
    } else {
      WakeAt(key, deadline);
    }
  }
  const int64_t succeeded_total =
      indexed ? static_cast<int64_t>(completed.size())
              : succeeded + static_cast<int64_t>(unc_succeeded.size());
  const bool work_done = indexed ? succeeded_total >= completions
                         : has_completions ? succeeded_total >= completions
                                           : succeeded_total > 0;
  const bool failing = !fail_reason.empty() && !ConditionTrue(job, "Complete");

  // 3. What to delete.
  std::vector<std::pair<JobPod, bool>> to_delete;  // pod, force (its node is lost)
  auto delete_all_active = [&] {
    for (const JobPod& p : active) to_delete.emplace_back(p, NodeLost(p.node));
    active.clear();
  };
  if (finished || failing || suspended || (work_done && !has_completions) ||
      (work_done && indexed)) {
    delete_all_active();
  } else if (gang_failure) {
    state.gang_teardown = true;
    delete_all_active();
  } else if (indexed) {
    // Duplicates of an index, indexes out of range or already complete.
    std::set<int64_t> seen;
    std::vector<JobPod> keep;
    for (const JobPod& p : active) {
      if (p.index < 0 || p.index >= completions || completed.count(p.index) ||
          seen.count(p.index)) {
        to_delete.emplace_back(p, false);
      } else {
        seen.insert(p.index);
        keep.push_back(p);
      }
    }
    active = keep;
  } else {
    int64_t want = has_completions ? std::min(parallelism, completions - succeeded_total)
                                   : parallelism;
    while (static_cast<int64_t>(active.size()) > std::max<int64_t>(want, 0)) {
      to_delete.emplace_back(active.back(), false);  // the newest go first
      active.pop_back();
    }
  }
  // Terminating pods on lost nodes never finish by themselves: remove them.
  for (const JobPod& p : terminating) {
    if (NodeLost(p.node)) to_delete.emplace_back(p, true);
  }

  // 4. What to create.
  std::vector<int64_t> create_indexes;  // -1 for NonIndexed
  if (!finished && !failing && !suspended && !work_done) {
    bool expecting = state.expected_creates > 0 &&
                     std::chrono::steady_clock::now() < state.expect_until;
    // A gang is recreated whole, once every pod of the old one is gone.
    bool gang_waits =
        gang && state.gang_teardown && (!terminating.empty() || !to_delete.empty());
    system_clock::time_point ready_at{};
    if (failed_total > 0 && state.last_failure != system_clock::time_point{}) {
      auto delay = options_.job_pod_failure_backoff;
      for (int64_t i = 1; i < std::min<int64_t>(failed_total, 20) && delay < kMaxBackoff; ++i) {
        delay *= 2;
      }
      delay = std::min<Millis>(delay, std::chrono::duration_cast<Millis>(kMaxBackoff));
      ready_at = state.last_failure + delay;
    }
    if (!expecting && !gang_waits) {
      if (now < ready_at) {
        WakeAt(key, ready_at);
      } else if (gang && !active.empty()) {
        // A live gang is never topped up pod by pod.
      } else if (indexed) {
        std::set<int64_t> running;
        for (const JobPod& p : active) running.insert(p.index);
        int64_t room = parallelism - static_cast<int64_t>(active.size());
        for (int64_t i = 0; i < completions && room > 0; ++i) {
          if (!completed.count(i) && !running.count(i)) {
            create_indexes.push_back(i);
            --room;
          }
        }
      } else {
        int64_t want = has_completions ? std::min(parallelism, completions - succeeded_total)
                                       : parallelism;
        for (int64_t i = static_cast<int64_t>(active.size()); i < want; ++i) {
          create_indexes.push_back(-1);
        }
      }
    }
  }
  if (!create_indexes.empty()) state.gang_teardown = false;

  // 5. The new status.
  const int64_t active_after = static_cast<int64_t>(active.size() + create_indexes.size());
  int64_t terminating_after = static_cast<int64_t>(terminating.size() + to_delete.size());
  int64_t ready = 0;
  for (const JobPod& p : active) ready += p.ready ? 1 : 0;
  json::object ns_status = status;
  ns_status["active"] = active_after;
  ns_status["ready"] = ready;
  ns_status["terminating"] = terminating_after;
  ns_status["succeeded"] = succeeded;
  if (indexed) {
    // Indexed Jobs count succeeded by their completed indexes, as kube does.
    ns_status["succeeded"] = static_cast<int64_t>(completed.size());
    ns_status["completedIndexes"] = FormatIndexes(completed);
  }
  ns_status["failed"] = failed;
  ns_status["uncountedTerminatedPods"] =
      json::object{{"succeeded", UidArray(unc_succeeded)}, {"failed", UidArray(unc_failed)}};
  std::vector<std::tuple<std::string, std::string, std::string>> job_events;  // type, reason, msg
  if (suspended) {
    if (!ConditionTrue(job, "Suspended") && !finished) {
      SetCondition(conds, "Suspended", "True", "JobSuspended", "Job suspended", now_text);
      job_events.emplace_back("Normal", "Suspended", "Job suspended");
    }
  } else if (!finished) {
    if (ConditionTrue(job, "Suspended")) {
      SetCondition(conds, "Suspended", "False", "JobResumed", "Job resumed", now_text);
      job_events.emplace_back("Normal", "Resumed", "Job resumed");
      ns_status["startTime"] = now_text;  // kube restarts the deadline clock on resume
    } else if (!ns_status.contains("startTime")) {
      ns_status["startTime"] = now_text;
    }
  }
  if (failing && !finished) {
    if (Condition(conds, "FailureTarget") == nullptr) {
      SetCondition(conds, "FailureTarget", "True", fail_reason, fail_message, now_text);
    }
    if (active_after == 0 && terminating_after == 0 && unc_succeeded.empty() &&
        unc_failed.empty()) {
      SetCondition(conds, "Failed", "True", fail_reason, fail_message, now_text);
      job_events.emplace_back("Warning", fail_reason, fail_message);
    }
  } else if (work_done && !finished && !failing) {
    if (active_after == 0 && unc_succeeded.empty() && unc_failed.empty()) {
      SetCondition(conds, "Complete", "True", "CompletionsReached",
                   "Reached expected number of succeeded pods", now_text);
      ns_status["completionTime"] = now_text;
      job_events.emplace_back("Normal", "Completed", "Job completed");
    }
  }
  if (!conds.empty()) ns_status["conditions"] = conds;
  if (gang_failure && !to_delete.empty()) {
    job_events.emplace_back(
        "Warning", "GangRestart",
        base::StrCat(gang_failure_text, "; restarting all ", parallelism,
                     " pods of the gang (failures: ", failed_total, ", backoffLimit ",
                     backoff_limit, ")"));
  }

  // 6. Write: status first (uncounted pods are recorded before their finalizers go).
  if (json::serialize(ns_status) != json::serialize(status)) {
    json::object updated = job;
    updated["status"] = ns_status;
    std::string body = json::serialize(updated);
    client::Request put =
        client::MakeRequest("PUT", base::StrCat(JobPath(ns, name), "/status"), std::move(body));
    put.query["fieldManager"] = "shoal-controllers";  // kube's is kube-controller-manager
    auto resp = co_await transport_.Call(std::move(put));
    if (!resp.ok() || resp->code != 200) {
      if (!resp.ok() || resp->code != 409) {
        spdlog::warn("job-controller: status of job {} not written: {}", key,
                     resp.ok() ? resp->Text() : resp.status().ToString());
        WakeAt(key, now + std::chrono::seconds(1));
      }
      co_return;  // a conflict: the informer brings the newer Job and another pass
    }
    auto written = api::ParseJson(resp->Text());
    jit = jobs_.find(key);
    if (jit == jobs_.end()) co_return;
    // An event newer than our write (the Job suspended meanwhile, say) may have come in while
    // the write was answered: keep it. Replaced by the older write, the suspension went
    // unseen until the Job's next change, and its pods ran on.
    if (written.ok() && written->is_object()) {
      KeepNewer(jit->second.obj, std::move(written->get_object()));
    }
  }
  for (const auto& [type, reason, message] : job_events) {
    events_.Record(job, type, reason, message);
  }
  // Finalizers and deletions go out concurrently, at most kMaxCreateBatch at a time, as kube's
  // controller fans them out: a suspended or finished gang's pods go together, and whoever
  // waits for their room (a preemptor) gets it sooner.
  for (size_t i = 0; i < to_untrack.size();) {
    std::vector<asio::awaitable<void>> untracks;
    for (; i < to_untrack.size() && untracks.size() < kMaxCreateBatch; ++i) {
      untracks.push_back([](JobController* self, JobPod p) -> asio::awaitable<void> {
        (void)co_await self->Untrack(p);
      }(this, to_untrack[i]));
    }
    co_await client::AwaitAll(executor_, std::move(untracks));
  }
  for (size_t i = 0; i < to_delete.size();) {
    jit = jobs_.find(key);
    if (jit == jobs_.end()) co_return;
    std::vector<asio::awaitable<void>> deletes;
    for (; i < to_delete.size() && deletes.size() < kMaxCreateBatch; ++i) {
      jit->second.deleting.insert(to_delete[i].first.uid);
      deletes.push_back(DeletePod(key, to_delete[i].first, to_delete[i].second));
    }
    co_await client::AwaitAll(executor_, std::move(deletes));
  }
  // A gang's PodGroup is made as soon as its Job exists, suspended ones included, so that a
  // queued gang's pods are not held back by one more round trip when it is admitted.
  if (gang && !finished && !failing) {
    std::string group(name);
    const json::value* tl = api::FindPath(spec, "template.metadata.labels");
    if (tl != nullptr && tl->is_object()) {
      if (const json::value* g = tl->get_object().if_contains(kPodGroupLabel);
          g != nullptr && g->is_string()) {
        group = std::string(g->get_string());
      }
    }
    co_await EnsurePodGroup(key, group, parallelism);
  }
  // Pods are created in batches of 1, 2, 4, ... (at most kMaxCreateBatch), each batch at
  // once, as kube's slowStartBatch does: a Job that cannot create pods (quota, a bad
  // template) fails on one request. A gang, which starts only when all its pods exist, sends
  // the rest at once after the first: a gang of 1,024 pods takes 4 rounds (1, 500, 500, 23)
  // instead of 11, one of 8 pods 2 instead of 4.
  auto create_failed = std::make_shared<bool>(false);
  for (size_t i = 0, batch = 1; i < create_indexes.size() && !*create_failed;
       batch = gang ? kMaxCreateBatch : std::min(batch * 2, kMaxCreateBatch)) {
    std::vector<asio::awaitable<void>> creates;
    for (size_t n = 0; n < batch && i < create_indexes.size(); ++n, ++i) {
      jit = jobs_.find(key);
      if (jit == jobs_.end()) co_return;
      ++jit->second.expected_creates;
      jit->second.expect_until = std::chrono::steady_clock::now() + kExpectationTimeout;
      creates.push_back(CreatePod(key, NewJobPod(job, create_indexes[i], gang), create_failed));
    }
    co_await client::AwaitAll(executor_, std::move(creates));
  }

  // 7. Finished: delete after ttlSecondsAfterFinished.
  jit = jobs_.find(key);
  if (jit == jobs_.end()) co_return;
  const json::object& cur = jit->second.obj;
  if (Present(spec, "ttlSecondsAfterFinished") &&
      (ConditionTrue(cur, "Complete") || ConditionTrue(cur, "Failed"))) {
    std::string_view done = api::StringAt(cur, "status.completionTime");
    if (done.empty()) {
      const json::value* cs = api::FindPath(cur, "status.conditions");
      if (cs != nullptr && cs->is_array()) {
        for (const json::value& c : cs->get_array()) {
          if (c.is_object() && api::StringAt(c.get_object(), "type") == "Failed") {
            done = api::StringAt(c.get_object(), "lastTransitionTime");
          }
        }
      }
    }
    auto at = base::ParseRfc3339(done).value_or(now) +
              std::chrono::seconds(IntAt(spec, "ttlSecondsAfterFinished", 0));
    if (clock_.Now() >= at) {
      json::object opts{{"kind", "DeleteOptions"},
                        {"apiVersion", "v1"},
                        {"propagationPolicy", "Background"},
                        {"preconditions", json::object{{"uid", uid}}}};
      auto resp = co_await transport_.Call(
          client::MakeRequest("DELETE", JobPath(ns, name), json::serialize(opts)));
      if (resp.ok() && resp->code == 200) {
        spdlog::info("job-controller: deleted job {} (ttlSecondsAfterFinished)", key);
      }
    } else {
      WakeAt(key, at);
    }
  }
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
