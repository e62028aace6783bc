#include "bench/queues.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/object.h"
#include "api/quantity.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "bench/hollow_cluster.h"
#include "bench/latency.h"
#include "bench/server_process.h"
#include "client/http_transport.h"

namespace shoal::bench {

namespace asio = boost::asio;
namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr int64_t kGpusPerNode = 8;  // `shoal sim`'s default
constexpr const char* kGpu = "nvidia.com/gpu";
constexpr const char* kKueue = "/apis/kueue.x-k8s.io/v1beta1";
constexpr const char* kScenarioLabel = "bench.shoal.io/scenario";
constexpr double kAllocationGoal = 0.95;
constexpr double kShareGoalPp = 5;
constexpr double kSmallFraction = 0.6;  // of the Jobs a team submits (by count)
constexpr int kMaxInFlight = 16;        // creates in flight at once

enum JobClass { kSmall = 0, kGang = 1, kLarge = 2, kClasses = 3 };
constexpr const char* kClassNames[kClasses] = {"small", "gang", "large"};

enum class JobState { kQueued, kAdmitted, kFinished };

struct JobRecord {
  int team = 0;
  JobClass cls = kSmall;
  int64_t gpus = 0;
  int64_t pods = 1, pods_bound = 0, pods_done = 0;
  JobState state = JobState::kQueued;
  SteadyClock::time_point sent{}, workload_seen{}, first_admitted{}, admitted{}, pods_done_at{};
};

struct PodRecord {
  std::string job;  // "namespace/job"
  int team = 0;
  int64_t gpus = 0;
  bool bound = false;  // spec.nodeName seen
  bool holds = false;  // bound and not finished
  bool done = false;   // Succeeded or Failed seen
};

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

// A gauge and its integral over time while it is on (GPU-seconds from GPUs).
struct Gauge {
  int64_t value = 0;
  double integral = 0;
  SteadyClock::time_point since{};
  bool on = false;

  void Add(int64_t delta, SteadyClock::time_point now) {
    if (on) integral += static_cast<double>(value) * Seconds(now - since);
    since = now;
    value += delta;
  }
  void Start(SteadyClock::time_point now) {
    since = now;
    on = true;
  }
  void Stop(SteadyClock::time_point now) {
    Add(0, now);
    on = false;
  }
  // The integral up to `now`.
  double IntegralAt(SteadyClock::time_point now) const {
    return on ? integral + static_cast<double>(value) * Seconds(now - since) : integral;
  }
};

struct TeamState {
  std::string name;  // its namespace, ClusterQueue and LocalQueue
  int64_t weight = 1;
  int64_t nominal = 0;  // GPUs
  int64_t gang_nodes = 1, large_nodes = 2;
  int64_t queued_gpus = 0;  // Jobs created, not admitted (nor finished)
  int64_t queued_jobs = 0;
  Gauge used;      // GPUs of bound, unfinished pods
  Gauge reserved;  // GPUs of admitted, unfinished Workloads
  int64_t submitted[kClasses] = {}, admitted[kClasses] = {};
  int64_t preempted = 0, finished = 0;
  int64_t queue_empty_samples = 0;  // load samples with nothing queued
  std::mt19937_64 rng;
};

bool ConditionTrue(const json::value& obj, std::string_view type) {
  const json::value* conds = api::FindPath(obj, "status.conditions");
  if (conds == nullptr || !conds->is_array()) return false;
  for (const json::value& c : conds->get_array()) {
    if (api::StringAt(c, "type") == type) return api::StringAt(c, "status") == "True";
  }
  return false;
}

// GPUs a pod requests (the sum over its containers).
int64_t PodGpus(const json::value& pod) {
  int64_t out = 0;
  const json::value* cs = api::FindPath(pod, "spec.containers");
  if (cs == nullptr || !cs->is_array()) return 0;
  for (const json::value& c : cs->get_array()) {
    const json::value* req = api::FindPath(c, "resources.requests");
    const json::value* q =
        req != nullptr && req->is_object() ? req->get_object().if_contains(kGpu) : nullptr;
    if (q == nullptr) continue;
    auto quantity = api::QuantityFromJson(*q);
    if (quantity.ok()) out += quantity->Value();
  }
  return out;
}

struct Sample {
  double t = 0;          // seconds since the load started
  double allocated = 0;  // GPUs of bound, unfinished pods / all GPUs, at the sample's instant
  double allocated_avg = 0;  // the same, averaged over the second before it (GPU-seconds)
  double reserved = 0;   // quota of admitted Workloads / all GPUs
  int64_t pending_gpus = 0;
  bool enough_pending = false;
  // Where reserved quota is not bound pods: admitted Jobs' pods not bound yet, and admitted
  // Jobs' pods finished while their Workload still holds the quota.
  int64_t unbound_gpus = 0, done_reserved_gpus = 0;
};

struct Run {
  client::Transport* transport = nullptr;
  QueuesOptions options;
  pid_t sim_pid = -1;
  absl::Status error;
  bool watching = true;
  int64_t total_gpus = 0;
  std::vector<TeamState> teams;
  std::map<std::string, int> team_of_namespace;
  std::map<std::string, JobRecord> jobs;  // "namespace/job" -> record
  std::map<std::string, PodRecord> pods;  // "namespace/pod" -> record
  std::vector<Sample> samples;
  LatencyRecorder admission[kClasses];          // Workload seen -> QuotaReserved=True seen
  LatencyRecorder create_to_admitted;           // Job create sent -> QuotaReserved=True seen
  LatencyRecorder admitted_to_bound[kClasses];  // QuotaReserved seen -> the last pod bound
  double unplaced_gpu_seconds[kClasses] = {};   // the same, times the Job's GPUs
  int64_t workload_events = 0;
  // A Job's last pod seen finished (its GPUs idle) while a queued Workload would fit in what
  // it frees -> the next admission seen: the Job controller, the queue controller and both
  // watches.
  LatencyRecorder free_to_admit;
  // An admitted Job's last pod seen finished -> its Workload seen Finished (the quota held
  // by pods that no longer run), by class.
  LatencyRecorder done_to_released[kClasses];
  std::multiset<int64_t> queued_sizes;  // GPUs of each queued Job
  SteadyClock::time_point freed_at{};   // unset: no freed GPUs wait for an admission
  SteadyClock::time_point start{}, end{};
  SteadyClock::time_point last_sample_at{};
  double last_used_integral = 0;  // all teams' GPU-seconds at the last sample
  double fill_time_s = -1;
  int64_t create_errors = 0, watch_restarts = 0, in_flight = 0, next_job = 0;

  void SetState(JobRecord& j, JobState s, SteadyClock::time_point now) {
    TeamState& t = teams[j.team];
    if (j.state == JobState::kQueued) {
      t.queued_gpus -= j.gpus;
      --t.queued_jobs;
      queued_sizes.erase(queued_sizes.find(j.gpus));
    }
    if (j.state == JobState::kAdmitted) t.reserved.Add(-j.gpus, now);
    j.state = s;
    if (s == JobState::kQueued) {
      t.queued_gpus += j.gpus;
      ++t.queued_jobs;
      queued_sizes.insert(j.gpus);
    }
    if (s == JobState::kAdmitted) t.reserved.Add(j.gpus, now);
  }

  void OnWorkload(std::string_view type, const json::value& w) {
    const json::value* owners = api::FindPath(w, "metadata.ownerReferences");
    if (owners == nullptr || !owners->is_array() || owners->get_array().empty()) return;
    auto it = jobs.find(base::StrCat(api::StringAt(w, "metadata.namespace"), "/",
                                     api::StringAt(owners->get_array()[0], "name")));
    if (it == jobs.end() || type == "DELETED") return;
    ++workload_events;
    JobRecord& j = it->second;
    TeamState& team = teams[j.team];
    const auto now = SteadyClock::now();
    if (j.workload_seen == SteadyClock::time_point{}) j.workload_seen = now;
    if (j.state == JobState::kFinished) return;
    if (ConditionTrue(w, "Finished")) {
      ++team.finished;
      if (j.state == JobState::kAdmitted && j.pods_done_at != SteadyClock::time_point{}) {
        done_to_released[j.cls].Add(now - j.pods_done_at);
      }
      SetState(j, JobState::kFinished, now);
    } else if (ConditionTrue(w, "QuotaReserved")) {
      if (j.state != JobState::kQueued) return;
      SetState(j, JobState::kAdmitted, now);
      j.admitted = now;
      // Pods are counted per admission: a preempted Job's pods went with its eviction.
      j.pods_bound = 0;
      j.pods_done = 0;
      if (freed_at != SteadyClock::time_point{}) {
        free_to_admit.Add(now - freed_at);
        freed_at = {};
      }
      if (j.first_admitted != SteadyClock::time_point{}) return;  // again, after eviction
      j.first_admitted = now;
      ++team.admitted[j.cls];
      admission[j.cls].Add(now - j.workload_seen);
      create_to_admitted.Add(now - j.sent);
    } else if (j.state == JobState::kAdmitted) {
      // Admission taken back: preempted (Evicted), waiting in its queue again.
      ++team.preempted;
      SetState(j, JobState::kQueued, now);
    }
  }

  void OnPod(std::string_view type, const json::value& pod) {
    std::string ns(api::StringAt(pod, "metadata.namespace"));
    auto team = team_of_namespace.find(ns);
    if (team == team_of_namespace.end()) return;
    std::string key = base::StrCat(ns, "/", api::StringAt(pod, "metadata.name"));
    auto [it, added] = pods.try_emplace(key);
    PodRecord& p = it->second;
    if (added) {
      p.team = team->second;
      p.gpus = PodGpus(pod);
      p.job = base::StrCat(ns, "/", api::StringAt(pod, "metadata.labels.job-name"));
    }
    auto j = jobs.find(p.job);
    if (!p.bound && !api::StringAt(pod, "spec.nodeName").empty()) {
      p.bound = true;
      if (j != jobs.end() && ++j->second.pods_bound == j->second.pods &&
          j->second.admitted != SteadyClock::time_point{}) {
        const auto wait = SteadyClock::now() - j->second.admitted;
        admitted_to_bound[j->second.cls].Add(wait);
        unplaced_gpu_seconds[j->second.cls] += Seconds(wait) * static_cast<double>(j->second.gpus);
      }
    }
    std::string_view phase = api::StringAt(pod, "status.phase");
    if (!p.done && (phase == "Succeeded" || phase == "Failed")) {
      p.done = true;
      if (j != jobs.end() && j->second.pods_done + 1 == j->second.pods) {
        j->second.pods_done_at = SteadyClock::now();
      }
      if (j != jobs.end() && ++j->second.pods_done == j->second.pods && !queued_sizes.empty() &&
          *queued_sizes.begin() <= j->second.gpus && freed_at == SteadyClock::time_point{}) {
        freed_at = SteadyClock::now();
      }
    }
    const bool holds = type != "DELETED" && !api::StringAt(pod, "spec.nodeName").empty() &&
                       phase != "Succeeded" && phase != "Failed";
    if (holds != p.holds) {
      teams[p.team].used.Add(holds ? p.gpus : -p.gpus, SteadyClock::now());
      p.holds = holds;
    }
    if (type == "DELETED") pods.erase(it);
  }

  // Watches `path` until the run ends, resuming from the last resourceVersion after a
  // transport failure (from a fresh list after 410 Gone; objects deleted in between are then
  // missed, which `watch_restarts` in the report makes visible).
  asio::awaitable<void> WatchLoop(std::string path, std::string label_selector,
                                  void (Run::*handler)(std::string_view, const json::value&)) {
    std::string rv;
    std::function<bool(std::string_view)> on_event = [&](std::string_view line) {
      auto ev = api::ParseJson(line);
      if (!ev.ok() || !ev->is_object()) return watching;
      std::string_view type = api::StringAt(*ev, "type");
      const json::value* obj = ev->get_object().if_contains("object");
      if (obj == nullptr || !obj->is_object()) return watching;
      if (type == "ERROR") {
        rv.clear();
        return false;
      }
      rv = std::string(api::StringAt(*obj, "metadata.resourceVersion"));
      (this->*handler)(type, *obj);
      return watching;
    };
    while (watching) {
      client::Request req = client::MakeRequest("GET", path);
      req.query["watch"] = "1";
      req.query["timeoutSeconds"] = "3600";
      if (!label_selector.empty()) req.query["labelSelector"] = label_selector;
      if (!rv.empty()) req.query["resourceVersion"] = rv;
      absl::Status st = co_await transport->Watch(std::move(req), on_event);
      if (!watching) break;
      ++watch_restarts;
      // A refused watch (410 Gone is OutOfRange) starts again from a fresh list; a transport
      // failure (Unavailable) resumes where it was.
      if (!st.ok() && !absl::IsUnavailable(st)) rv.clear();
      co_await SleepFor(std::chrono::milliseconds(200));
    }
  }

  // POSTs one object; 201 is success. Errors name `what`.
  asio::awaitable<absl::Status> Create(std::string path, json::object obj, std::string what) {
    client::Request req = client::MakeRequest("POST", std::move(path), json::serialize(obj));
    auto r = co_await transport->Call(std::move(req));
    if (r.ok() && r->code == 201) co_return absl::OkStatus();
    co_return absl::InternalError(base::StrCat(
        "creating ", what, ": ",
        r.ok() ? base::StrCat("HTTP ", std::to_string(r->code), ": ", r->Text().substr(0, 300))
               : std::string(r.status().message())));
  }

  asio::awaitable<absl::Status> Setup() {
    std::vector<int64_t> weights;
    for (int i = 0; i < options.teams; ++i) weights.push_back(options.teams - i);
    std::vector<int64_t> nominal = SplitByWeight(total_gpus, weights);
    for (int i = 0; i < options.teams; ++i) {
      TeamState t;
      t.name = fmt::format("team-{}", i);
      t.weight = weights[i];
      t.nominal = nominal[i];
      // Gangs of whole nodes, at most half of the team's quota: 8 nodes, and one large gang
      // of up to 32 nodes, on a cluster of hundreds.
      const int64_t quota_nodes = t.nominal / kGpusPerNode;
      t.gang_nodes = std::clamp<int64_t>(quota_nodes / 2, 1, 8);
      t.large_nodes = std::clamp<int64_t>(quota_nodes / 2, 2, 32);
      t.rng.seed(options.seed * 1000003 + static_cast<uint64_t>(i));
      team_of_namespace[t.name] = i;
      teams.push_back(std::move(t));
    }
    json::object flavor{{"apiVersion", "kueue.x-k8s.io/v1beta1"},
                        {"kind", "ResourceFlavor"},
                        {"metadata", json::object{{"name", "gpu"}}},
                        {"spec", json::object{}}};
    if (options.topology_aware) flavor["spec"].as_object()["topologyName"] = "default";
    std::string path = base::StrCat(kKueue, "/resourceflavors");
    absl::Status st = co_await Create(path, std::move(flavor), "ResourceFlavor gpu");
    if (!st.ok()) co_return st;
    for (const TeamState& t : teams) {
      json::object cq{
          {"apiVersion", "kueue.x-k8s.io/v1beta1"},
          {"kind", "ClusterQueue"},
          {"metadata", json::object{{"name", t.name}}},
          {"spec",
           json::object{
               {"namespaceSelector", json::object{}},
               {"cohort", "org"},
               {"queueingStrategy", "BestEffortFIFO"},
               {"preemption", json::object{{"reclaimWithinCohort", options.reclaim}}},
               {"fairSharing", json::object{{"weight", std::to_string(t.weight)}}},
               {"resourceGroups",
                json::array{json::object{
                    {"coveredResources", json::array{kGpu}},
                    {"flavors",
                     json::array{json::object{
                         {"name", "gpu"},
                         {"resources", json::array{json::object{
                                           {"name", kGpu}, {"nominalQuota", t.nominal}}}}}}}}}}}}};
      path = base::StrCat(kKueue, "/clusterqueues");
      st = co_await Create(path, std::move(cq), "ClusterQueue " + t.name);
      if (!st.ok()) co_return st;
      json::object ns{{"apiVersion", "v1"},
                      {"kind", "Namespace"},
                      {"metadata", json::object{{"name", t.name}}}};
      path = "/api/v1/namespaces";
      st = co_await Create(path, std::move(ns), "namespace " + t.name);
      if (!st.ok()) co_return st;
      json::object lq{{"apiVersion", "kueue.x-k8s.io/v1beta1"},
                      {"kind", "LocalQueue"},
                      {"metadata", json::object{{"name", t.name}, {"namespace", t.name}}},
                      {"spec", json::object{{"clusterQueue", t.name}}}};
      path = base::StrCat(kKueue, "/namespaces/", t.name, "/localqueues");
      st = co_await Create(path, std::move(lq), "LocalQueue " + t.name);
      if (!st.ok()) co_return st;
    }
    co_return absl::OkStatus();
  }

  // A queued Job of `pods` pods with `gpus` GPUs each (a gang when more than one pod).
  static json::object JobObject(const std::string& name, const std::string& queue, JobClass cls,
                                int64_t pods, int64_t gpus, int run_s) {
    json::object quantity{{kGpu, std::to_string(gpus)}};
    json::object container{
        {"name", "w"},
        {"image", "none"},
        {"command", json::array{"train"}},
        {"resources", json::object{{"requests", quantity}, {"limits", quantity}}}};
    json::object labels{{"kueue.x-k8s.io/queue-name", queue},
                        {kScenarioLabel, "queues"},
                        {"bench.shoal.io/class", kClassNames[cls]}};
    json::object meta{{"name", name}, {"labels", labels}};
    json::object spec{
        {"parallelism", pods},
        {"completions", pods},
        {"backoffLimit", 0},
        {"template",
         json::object{
             {"metadata", json::object{{"labels", json::object{{kScenarioLabel, "queues"}}},
                                       {"annotations", json::object{{"shoal.io/sim-duration",
                                                                     fmt::format("{}s", run_s)}}}}},
             {"spec", json::object{{"restartPolicy", "Never"},
                                   {"terminationGracePeriodSeconds", 0},
                                   {"containers", json::array{container}}}}}}};
    if (pods > 1) {
      meta["annotations"] = json::object{{"shoal.io/gang", "true"}};
      spec["completionMode"] = "Indexed";
    }
    return json::object{{"apiVersion", "batch/v1"},
                        {"kind", "Job"},
                        {"metadata", std::move(meta)},
                        {"spec", std::move(spec)}};
  }

  asio::awaitable<void> CreateJob(std::string key, std::string path, std::string body) {
    absl::StatusOr<client::Response> r;
    // A transport failure is retried; a create that did land meanwhile answers 409.
    for (int attempt = 0; attempt < 3; ++attempt) {
      client::Request req = client::MakeRequest("POST", path, body);
      r = co_await transport->Call(std::move(req));
      if (r.ok()) break;
    }
    --in_flight;
    if (r.ok() && (r->code == 201 || r->code == 409)) co_return;
    ++create_errors;
    auto it = jobs.find(key);
    if (it != jobs.end() && it->second.state == JobState::kQueued) {
      SetState(it->second, JobState::kFinished, SteadyClock::now());
    }
  }

  // Team `i`'s Jobs: at most --rate per second, one whenever its queued GPU demand is below
  // its nominal quota (so that it stays oversubscribed), and its large gang a third of the way.
  asio::awaitable<void> Submit(int i) {
    auto ex = co_await asio::this_coro::executor;
    const auto interval = std::chrono::duration<double>(1.0 / options.rate);
    const auto offset = interval * (static_cast<double>(i) / options.teams);
    const auto large_at = start + std::chrono::seconds(options.duration_s) / 3;
    bool large_sent = false;
    TeamState& team = teams[i];
    for (int64_t k = 0;; ++k) {
      const auto due =
          start + std::chrono::duration_cast<SteadyClock::duration>(interval * k + offset);
      if (due >= end || !watching) co_return;
      asio::steady_timer timer(ex, due);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      JobClass cls;
      if (!large_sent && due >= large_at) {
        cls = kLarge;
        large_sent = true;
      } else if (team.queued_gpus >= team.nominal) {
        continue;
      } else {
        cls = std::uniform_real_distribution<double>(0, 1)(team.rng) < kSmallFraction ? kSmall
                                                                                      : kGang;
      }
      const int run_s = std::uniform_int_distribution<int>(options.min_run_s, options.max_run_s)(team.rng);
      const int64_t pods = cls == kSmall ? 1 : cls == kGang ? team.gang_nodes : team.large_nodes;
      const int64_t gpus = cls == kSmall ? 1 : kGpusPerNode;
      while (in_flight >= kMaxInFlight) co_await SleepFor(std::chrono::milliseconds(1));
      std::string name = fmt::format("q-{:06d}", next_job++);
      std::string key = base::StrCat(team.name, "/", name);
      JobRecord& j = jobs[key];
      j.team = i;
      j.cls = cls;
      j.gpus = pods * gpus;
      j.pods = pods;
      j.sent = SteadyClock::now();
      j.state = JobState::kFinished;
      SetState(j, JobState::kQueued, j.sent);
      ++team.submitted[cls];
      ++in_flight;
      std::string path = base::StrCat("/apis/batch/v1/namespaces/", team.name, "/jobs");
      std::string body = json::serialize(JobObject(name, team.name, cls, pods, gpus, run_s));
      asio::co_spawn(ex, CreateJob(std::move(key), std::move(path), std::move(body)),
                     asio::detached);
    }
  }

  void TakeSample(SteadyClock::time_point now) {
    Sample s;
    s.t = Seconds(now - start);
    int64_t used = 0, reserved = 0, queued = 0;
    for (TeamState& t : teams) {
      used += t.used.value;
      reserved += t.reserved.value;
      queued += t.queued_gpus;
      if (t.queued_jobs == 0) ++t.queue_empty_samples;
    }
    s.allocated = static_cast<double>(used) / static_cast<double>(total_gpus);
    double used_integral = 0;
    for (const TeamState& t : teams) used_integral += t.used.IntegralAt(now);
    const double span = Seconds(now - (samples.empty() ? start : last_sample_at));
    s.allocated_avg = span > 0 ? (used_integral - last_used_integral) /
                                     (static_cast<double>(total_gpus) * span)
                               : s.allocated;
    last_used_integral = used_integral;
    last_sample_at = now;
    s.reserved = static_cast<double>(reserved) / static_cast<double>(total_gpus);
    // Demand not running yet: queued Workloads, and admitted ones whose pods are not all bound.
    s.pending_gpus = queued + std::max<int64_t>(0, reserved - used);
    s.enough_pending = s.pending_gpus >= total_gpus - used;
    for (const auto& [key, j] : jobs) {
      if (j.state != JobState::kAdmitted) continue;
      const int64_t per_pod = j.gpus / j.pods;
      s.unbound_gpus += per_pod * std::max<int64_t>(0, j.pods - j.pods_bound);
      s.done_reserved_gpus += per_pod * std::min(j.pods, j.pods_done);
    }
    if (fill_time_s < 0 && s.allocated >= kAllocationGoal) fill_time_s = s.t;
    samples.push_back(s);
  }

  void Progress(const Sample& s, SteadyClock::time_point now) {
    std::string shares;
    double all = 0;
    for (const TeamState& t : teams) all += t.used.IntegralAt(now);
    for (const TeamState& t : teams) {
      shares += fmt::format("{}{:.1f}", shares.empty() ? "" : "/",
                            all > 0 ? 100 * t.used.IntegralAt(now) / all : 0.0);
    }
    int64_t admitted = 0;
    for (const TeamState& t : teams) admitted += t.admitted[0] + t.admitted[1] + t.admitted[2];
    fmt::print(
        "queues: {:4.0f} s  allocated {:5.1f}%  reserved {:5.1f}% (unbound {}, done {})  "
        "pending {} GPUs  jobs {} admitted {}  GPU-time shares {} %\n",
        s.t, 100 * s.allocated, 100 * s.reserved, s.unbound_gpus, s.done_reserved_gpus,
        s.pending_gpus, jobs.size(), admitted, shares);
    std::fflush(stdout);
  }

  asio::awaitable<void> Main() {
    absl::Status st =
        co_await StartHollowNodes(*transport, options.kubeconfig_path, options.work_dir,
                                  options.nodes, std::chrono::seconds(300),
                                  std::chrono::seconds(options.settle_s), &sim_pid);
    if (!st.ok()) {
      error = st;
      co_return;
    }
    total_gpus = int64_t{options.nodes} * kGpusPerNode;
    st = co_await Setup();
    if (!st.ok()) {
      error = st;
      co_return;
    }
    auto ex = co_await asio::this_coro::executor;
    const std::string selector = base::StrCat(kScenarioLabel, "=queues");
    asio::co_spawn(ex, WatchLoop(base::StrCat(kKueue, "/workloads"), "", &Run::OnWorkload),
                   asio::detached);
    asio::co_spawn(ex, WatchLoop("/api/v1/pods", selector, &Run::OnPod), asio::detached);
    fmt::print("queues: {} hollow nodes Ready ({} GPUs); {} teams, nominal quotas", options.nodes,
               total_gpus, options.teams);
    for (const TeamState& t : teams) fmt::print(" {}", t.nominal);
    fmt::print("; {} s of load\n", options.duration_s);
    std::fflush(stdout);
    start = SteadyClock::now();
    end = start + std::chrono::seconds(options.duration_s);
    for (TeamState& t : teams) {
      t.used.Start(start);
      t.reserved.Start(start);
    }
    for (int i = 0; i < options.teams; ++i) asio::co_spawn(ex, Submit(i), asio::detached);
    for (int64_t n = 1;; ++n) {
      const auto due = std::min(end, start + std::chrono::seconds(n));
      asio::steady_timer timer(ex, due);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      TakeSample(due);
      if (n % 5 == 0 || due == end) Progress(samples.back(), due);
      if (due == end) break;
    }
    for (TeamState& t : teams) {
      t.used.Stop(end);
      t.reserved.Stop(end);
    }
    watching = false;
    if (options.server_pid > 0) co_return;  // our own server goes away with everything in it
    // Someone else's cluster: remove what the run made (not waited for).
    for (const TeamState& t : teams) {
      client::Request del =
          client::MakeRequest("DELETE", base::StrCat(kKueue, "/clusterqueues/", t.name));
      co_await transport->Call(std::move(del));
      client::Request del_ns = client::MakeRequest("DELETE", "/api/v1/namespaces/" + t.name);
      co_await transport->Call(std::move(del_ns));
    }
    client::Request del =
        client::MakeRequest("DELETE", base::StrCat(kKueue, "/resourceflavors/gpu"));
    co_await transport->Call(std::move(del));
  }
};

json::object AllocationJson(const AllocationSummary& a, int64_t samples_total) {
  return json::object{{"mean", a.mean},
                      {"p5", a.p5},
                      {"min", a.min},
                      {"fraction_at_or_above_95", a.above_goal},
                      {"samples_with_pending", a.samples},
                      {"samples", samples_total}};
}

}  // namespace

absl::StatusOr<json::object> RunQueues(const client::Kubeconfig& kc, const QueuesOptions& options) {
  Run run;
  run.options = options;
  ASSIGN_OR_RETURN(ScenarioRunEnd end, RunScenario(kc, options.server_pid, run));
  if (!run.error.ok()) return run.error;

  // Allocation over the samples with enough pending work, after the warm-up (the cluster
  // filling from empty).
  const double warmup_s = std::min(10.0, options.duration_s / 4.0);
  // The goal is judged on each second's allocation (GPU-seconds of bound pods over the
  // second); the instant sampled at its end is reported beside it, and is noisier: an 8-node
  // gang between two jobs is 4 % of 200 nodes for a few hundred milliseconds.
  std::vector<double> allocated, instant, reserved;
  json::array per_second;
  json::array allocated_per_second, reserved_per_second, pending_per_second;  // for the chart
  for (const Sample& s : run.samples) {
    per_second.push_back(
        json::array{s.t, s.allocated_avg, s.reserved, s.pending_gpus, s.allocated});
    allocated_per_second.push_back(s.allocated_avg);
    reserved_per_second.push_back(s.reserved);
    pending_per_second.push_back(s.pending_gpus);
    if (s.t <= warmup_s || !s.enough_pending) continue;
    allocated.push_back(s.allocated_avg);
    instant.push_back(s.allocated);
    reserved.push_back(s.reserved);
  }
  const int64_t samples_total = static_cast<int64_t>(run.samples.size());
  AllocationSummary alloc = SummarizeAllocation(allocated, kAllocationGoal);
  AllocationSummary alloc_instant = SummarizeAllocation(instant, kAllocationGoal);
  AllocationSummary quota = SummarizeAllocation(reserved, kAllocationGoal);

  std::vector<double> used, reserved_s;
  std::vector<int64_t> nominal;
  for (const TeamState& t : run.teams) {
    used.push_back(t.used.integral);
    reserved_s.push_back(t.reserved.integral);
    nominal.push_back(t.nominal);
  }
  std::vector<TeamShare> shares = SharesOf(used, nominal);
  std::vector<TeamShare> quota_shares = SharesOf(reserved_s, nominal);
  json::array teams;
  double worst_pp = 0;
  for (size_t i = 0; i < run.teams.size(); ++i) {
    const TeamState& t = run.teams[i];
    json::object submitted, admitted;
    for (int c = 0; c < kClasses; ++c) {
      submitted[kClassNames[c]] = t.submitted[c];
      admitted[kClassNames[c]] = t.admitted[c];
    }
    worst_pp = std::max(worst_pp, shares[i].abs_diff_pp);
    teams.push_back(json::object{{"name", t.name},
                                 {"weight", t.weight},
                                 {"nominal_gpus", t.nominal},
                                 {"gang_nodes", t.gang_nodes},
                                 {"large_gang_nodes", t.large_nodes},
                                 {"entitled", shares[i].entitled},
                                 {"used_share", shares[i].used_share},
                                 {"abs_diff_pp", shares[i].abs_diff_pp},
                                 {"reserved_share", quota_shares[i].used_share},
                                 {"gpu_seconds", t.used.integral},
                                 {"submitted", std::move(submitted)},
                                 {"admitted", std::move(admitted)},
                                 {"preempted", t.preempted},
                                 {"finished", t.finished},
                                 {"pending_at_end", t.queued_jobs},
                                 {"pending_gpus_at_end", t.queued_gpus},
                                 {"queue_empty_samples", t.queue_empty_samples}});
  }
  json::object latency;
  LatencyRecorder all;
  for (int c = 0; c < kClasses; ++c) {
    all.Merge(run.admission[c]);
    latency[kClassNames[c]] = ToJson(run.admission[c].Summarize());
  }
  latency["all"] = ToJson(all.Summarize());
  json::object to_bound, unplaced, released;
  for (int c = 0; c < kClasses; ++c) {
    to_bound[kClassNames[c]] = ToJson(run.admitted_to_bound[c].Summarize());
    released[kClassNames[c]] = ToJson(run.done_to_released[c].Summarize());
    unplaced[kClassNames[c]] = run.unplaced_gpu_seconds[c];
  }
  const bool alloc_met = alloc.samples > 0 && alloc.min >= kAllocationGoal;
  json::object report{{"scenario", "queues"},
                      {"nodes", options.nodes},
                      {"settle_s", options.settle_s},
                      {"gpus", run.total_gpus},
                      {"teams_count", options.teams},
                      {"duration_s", options.duration_s},
                      {"rate_per_team", options.rate},
                      {"seed", options.seed},
                      {"run_seconds", json::array{options.min_run_s, options.max_run_s}},
                      {"reclaim_within_cohort", options.reclaim},
                      {"topology_aware", options.topology_aware},
                      {"warmup_s", warmup_s},
                      {"teams", std::move(teams)},
                      {"allocation", AllocationJson(alloc, samples_total)},
                      {"allocation_at_sample_instants", AllocationJson(alloc_instant, samples_total)},
                      {"quota_reserved", AllocationJson(quota, samples_total)},
                      {"fill_time_s", run.fill_time_s},
                      {"admission_latency_ms", std::move(latency)},
                      {"job_create_to_admitted_ms", ToJson(run.create_to_admitted.Summarize())},
                      {"admitted_to_all_pods_bound_ms", std::move(to_bound)},
                      {"gpu_seconds_admitted_before_bound", std::move(unplaced)},
                      {"pods_finished_to_quota_released_ms", std::move(released)},
                      {"workload_watch_events", run.workload_events},
                      {"quota_freed_to_next_admission_ms", ToJson(run.free_to_admit.Summarize())},
                      {"goals", json::object{{"allocation_above_95_whenever_pending", alloc_met},
                                             {"max_share_diff_pp", worst_pp},
                                             {"each_team_within_5pp",
                                              worst_pp <= kShareGoalPp && all.count() > 0}}},
                      {"per_second_t_allocated_reserved_pending_instant", std::move(per_second)},
                      {"gpu_allocated_share_per_second", std::move(allocated_per_second)},
                      {"gpu_reserved_share_per_second", std::move(reserved_per_second)},
                      {"pending_gpus_per_second", std::move(pending_per_second)},
                      {"jobs_created", static_cast<int64_t>(run.jobs.size())},
                      {"create_errors", run.create_errors},
                      {"watch_restarts", run.watch_restarts},
                      {"sim_stopped", end.sim_end},
                      {"hollow_node_api_latency", end.hollow_node_api_latency}};
  if (options.server_pid > 0) {
    report["server"] =
        json::object{{"cpu_cores",
                      (end.server_after.cpu_s() - end.server_before.cpu_s()) / end.elapsed_s},
                     {"rss_bytes", end.server_after.rss_bytes},
                     {"peak_rss_bytes", end.server_after.peak_rss_bytes}};
  }
  return report;
}

}  // namespace shoal::bench
