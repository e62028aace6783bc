// JobController::Reconcile: one pass over a Job and its pods (counting, the Job's fate, what
// to delete and create, the status write, finalizer removal). The events that trigger it, its
// batching and the controller's pod calls are in job_controller.cc.
#include <algorithm>
#include <optional>
#include <tuple>
#include <vector>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "api/object.h"
#include "base/strings.h"
#include "client/await_all.h"
#include "controllers/internal/job_support.h"
#include "controllers/job_controller.h"

namespace shoal::controllers {

namespace asio = boost::asio;
namespace json = boost::json;
using internal::IntAt;
using internal::KeepNewer;
using std::chrono::system_clock;

namespace {

constexpr std::string_view kPodGroupLabel = "scheduling.x-k8s.io/pod-group";
constexpr auto kMaxBackoff = std::chrono::minutes(6);  // kube's MaxJobPodFailureBackOff
constexpr auto kExpectationTimeout = std::chrono::minutes(5);
constexpr size_t kMaxCreateBatch = 500;  // kube's maxPodCreateDeletePerSync

bool Present(const json::object& o, std::string_view path) {
  const json::value* v = api::FindPath(o, path);
  return v != nullptr && !v->is_null();
}

std::string JobPath(const std::string& ns, const std::string& name) {
  return base::StrCat("/apis/batch/v1/namespaces/", ns, "/jobs/", name);
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

}  // namespace shoal::controllers
