#include "bench/smoke.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
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
#include "base/status_macros.h"
#include "base/strings.h"
#include "bench/chart.h"
#include "bench/hollow_cluster.h"
#include "bench/latency.h"
#include "bench/server_metrics.h"
#include "bench/server_process.h"
#include "client/http_transport.h"

namespace shoal::bench {

namespace asio = boost::asio;
namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr const char* kNamespace = "smoke";
constexpr const char* kBalloonClass = "shoal-balloon";
constexpr std::string_view kBalloonPrefix = "balloon-";

bool IsBalloon(std::string_view name) {
  return name.substr(0, kBalloonPrefix.size()) == kBalloonPrefix;
}

struct PodSeen {
  SteadyClock::time_point seen{}, bound{}, running{};  // first event, bound, Running
  std::string gang;  // the Job name of a gang member
  int64_t gpus = 0;
  bool finished = false;
};

json::array ToArray(const std::vector<double>& v) {
  json::array out;
  out.reserve(v.size());
  for (double x : v) out.push_back(x);
  return out;
}

struct Run {
  client::Transport* transport = nullptr;
  SmokeOptions options;
  pid_t sim_pid = -1;
  std::string metrics_start, metrics_end;  // /metrics when the workload starts and ends
  absl::Status error;
  bool watching = true;
  std::map<std::string, PodSeen> pods;                    // pod name -> what was seen
  std::map<std::string, SteadyClock::time_point> created;  // small pod name -> create sent
  std::map<std::string, SteadyClock::time_point> answered;  // pod name -> its 201 received
  std::map<std::string, SteadyClock::time_point> gang_created;
  std::map<std::string, int> gang_size;                    // gang Job name -> its pods
  std::set<std::string> balloons_displaced;                // balloon pods deleted by preemption
  std::map<std::string, LatencyRecorder> api;             // "VERB resource" -> latencies
  std::vector<double> gpu_share;                          // sampled every second
  std::vector<double> balloon_share;                      // GPUs held by balloons
  std::vector<int64_t> bound_per_second;
  std::vector<double> running_per_second;                 // pods first seen Running
  std::vector<double> startup_p99_per_second;            // of those, create -> Running (ms)
  std::vector<double> server_cores_per_second;            // a local server's CPU
  std::vector<double> server_rss_mib_per_second;          // and its resident memory
  std::vector<double> sim_cores_per_second;  // the hollow nodes' CPU, on the same machine
  std::optional<ProcessStats> last_server, last_sim;
  SteadyClock::time_point last_sample{};
  SteadyClock::time_point start;
  int64_t total_gpus = 0;
  int64_t transport_retries = 0;  // creates sent again after a transport failure

  // `what` must be a string literal ("VERB resource"); callers pass `req` as a named local
  // (GCC 12 and temporaries in co_await expressions, see docs/architecture.md).
  asio::awaitable<absl::StatusOr<client::Response>> Timed(const char* what, client::Request req) {
    const auto t0 = SteadyClock::now();
    auto r = co_await transport->Call(std::move(req));
    api[what].Add(SteadyClock::now() - t0);
    co_return r;
  }

  asio::awaitable<void> Watch() {
    client::Request req =
        client::MakeRequest("GET", base::StrCat("/api/v1/namespaces/", kNamespace, "/pods"));
    req.query["watch"] = "1";
    req.query["timeoutSeconds"] = "3600";
    co_await transport->Watch(std::move(req), [this](std::string_view line) {
      auto ev = api::ParseJson(line);
      if (!ev.ok() || !ev->is_object()) return watching;
      const json::value* obj = ev->get_object().if_contains("object");
      if (obj == nullptr || !obj->is_object()) return watching;
      std::string_view name = api::StringAt(*obj, "metadata.name");
      PodSeen& p = pods[std::string(name)];
      const auto now = SteadyClock::now();
      if (IsBalloon(name) && (api::StringAt(*ev, "type") == "DELETED" ||
                              !api::StringAt(*obj, "metadata.deletionTimestamp").empty())) {
        balloons_displaced.insert(std::string(name));
      }
      if (p.seen == SteadyClock::time_point{}) p.seen = now;
      if (p.gang.empty()) {
        const json::value* labels = api::FindPath(*obj, "metadata.labels");
        const json::value* job = labels != nullptr && labels->is_object()
                                     ? labels->get_object().if_contains(
                                           "batch.kubernetes.io/job-name")
                                     : nullptr;
        if (job != nullptr && job->is_string()) p.gang = std::string(job->get_string());
      }
      if (p.bound == SteadyClock::time_point{} && !api::StringAt(*obj, "spec.nodeName").empty()) {
        p.bound = now;
      }
      std::string_view phase = api::StringAt(*obj, "status.phase");
      if (p.running == SteadyClock::time_point{} &&
          (phase == "Running" || phase == "Succeeded")) {
        p.running = now;
      }
      p.finished = phase == "Succeeded" || phase == "Failed" ||
                   api::StringAt(*ev, "type") == "DELETED";
      return watching;
    });
  }

  // One sample: the GPU share (GPUs of pods bound and not finished / all GPUs) and the pods
  // bound since the last sample.
  size_t bound_before = 0;
  void SampleOnce() {
    int64_t used = 0, balloon_gpus = 0;
    size_t bound = 0;
    for (const auto& [name, p] : pods) {
      if (p.bound != SteadyClock::time_point{}) ++bound;
      if (p.bound != SteadyClock::time_point{} && !p.finished) {
        if (IsBalloon(name)) {
          balloon_gpus += 8;
        } else {
          used += p.gang.empty() ? options.pod_gpus : 8;
        }
      }
    }
    gpu_share.push_back(total_gpus > 0 ? static_cast<double>(used) / total_gpus : 0);
    balloon_share.push_back(total_gpus > 0 ? static_cast<double>(balloon_gpus) / total_gpus : 0);
    bound_per_second.push_back(static_cast<int64_t>(bound - bound_before));
    bound_before = bound;
    // Pods that became Running since the last sample, and how long each took.
    const auto now = SteadyClock::now();
    LatencyRecorder started;
    for (const auto& [name, sent] : created) {
      const PodSeen& p = pods[name];
      if (p.running > last_sample && p.running <= now) started.Add(p.running - sent);
    }
    LatencySummary st = started.Summarize();
    running_per_second.push_back(static_cast<double>(st.count));
    startup_p99_per_second.push_back(st.count > 0 ? st.p99_ms : 0);
    const double secs = last_sample == SteadyClock::time_point{}
                            ? 1.0
                            : std::chrono::duration<double>(now - last_sample).count();
    // A process's cores since the last sample (0 the first time), `last` moved on; nullopt
    // when it cannot be read.
    auto cores = [secs](pid_t pid, std::optional<ProcessStats>& last) -> std::optional<double> {
      absl::StatusOr<ProcessStats> ps = ReadProcessStats(pid);
      if (!ps.ok()) return std::nullopt;
      const double c = last ? (ps->cpu_s() - last->cpu_s()) / secs : 0;
      last = *ps;
      return c;
    };
    if (options.server_pid > 0) {
      if (std::optional<double> c = cores(options.server_pid, last_server)) {
        server_cores_per_second.push_back(*c);
        server_rss_mib_per_second.push_back(static_cast<double>(last_server->rss_bytes) /
                                            (1 << 20));
      }
    }
    // The sim shares the machine with a local server: a second where both want more than
    // the cores there are shows here (the hollow nodes' own latency then grows too).
    if (sim_pid > 0) {
      if (std::optional<double> c = cores(sim_pid, last_sim)) sim_cores_per_second.push_back(*c);
    }
    last_sample = now;
  }
  asio::awaitable<void> Sample() {
    for (int n = 1;; ++n) {
      co_await SleepFor(std::chrono::milliseconds(1000));
      if (!watching) co_return;
      SampleOnce();
      if (n % 10 == 0) Progress();
    }
  }

  // A line every 10 s, so that a long run shows what it is doing.
  void Progress() const {
    size_t bound = 0, running = 0;
    for (const auto& [name, p] : pods) {
      bound += p.bound != SteadyClock::time_point{} ? 1 : 0;
      running += p.running != SteadyClock::time_point{} ? 1 : 0;
    }
    const std::string when =
        start == SteadyClock::time_point{}
            ? "setting up"
            : fmt::format("{:4.0f} s", std::chrono::duration<double>(SteadyClock::now() - start).count());
    fmt::print("{}: {}  small pods created {}/{}  pods bound {}  running {}  GPUs {:.1f}% "
               "(balloons {:.1f}%)  balloons displaced {}\n",
               options.scenario, when, created.size(),
               options.pods, bound, running, 100 * gpu_share.back(), 100 * balloon_share.back(),
               balloons_displaced.size());
    std::fflush(stdout);
  }

  json::object Job(int g) {
    // The tightest topology the gang fits in on the bench's layout (StartHollowNodes: 16
    // nodes per leaf, 16 leaves per spine); a larger gang spans spines.
    const int size = options.gang_sizes[g];
    json::object annotations{{"shoal.io/gang", "true"}};
    if (size <= kBenchNodesPerLeaf) {
      annotations["shoal.io/topology"] = "leaf";
    } else if (size <= kBenchNodesPerLeaf * 16) {
      annotations["shoal.io/topology"] = "spine";
    }
    json::object container{
        {"name", "w"},
        {"image", "none"},
        {"command", json::array{"train"}},
        {"resources", json::object{{"limits", json::object{{"nvidia.com/gpu", "8"}}}}}};
    return json::object{
        {"apiVersion", "batch/v1"},
        {"kind", "Job"},
        {"metadata", json::object{{"name", fmt::format("gang-{}", g)},
                                  {"annotations", std::move(annotations)}}},
        {"spec",
         json::object{
             {"completionMode", "Indexed"},
             {"completions", size},
             {"parallelism", size},
             {"template",
              json::object{
                  {"metadata",
                   json::object{{"annotations",
                                 json::object{{"shoal.io/sim-duration",
                                               fmt::format("{}s", options.gang_run_s)}}}}},
                  {"spec", json::object{{"restartPolicy", "Never"},
                                        {"containers", json::array{container}}}}}}}}};
  }

  json::object SmallPod(int64_t i) {
    json::object container{{"name", "c"}, {"image", "none"}, {"command", json::array{"run"}}};
    if (options.pod_gpus > 0) {
      container["resources"] = json::object{
          {"limits", json::object{{"nvidia.com/gpu", std::to_string(options.pod_gpus)}}}};
    }
    json::object meta{{"name", fmt::format("p-{:06d}", i)},
                      {"labels", json::object{{"team", fmt::format("team-{}", i % options.teams)}}}};
    if (options.pods_finish) {
      // Spread over [min, max] by a fixed stride, so that every run gets the same mix.
      const int64_t span = options.max_run_s - options.min_run_s + 1;
      meta["annotations"] = json::object{
          {"shoal.io/sim-duration", fmt::format("{}s", options.min_run_s + (i * 7919) % span)}};
    }
    return json::object{{"apiVersion", "v1"},
                        {"kind", "Pod"},
                        {"metadata", std::move(meta)},
                        {"spec", json::object{{"restartPolicy", "Never"},
                                              {"terminationGracePeriodSeconds", 0},
                                              {"containers", json::array{container}}}}};
  }

  asio::awaitable<void> CreatePod(std::string name, std::string path, std::string body,
                                  int* in_flight) {
    absl::StatusOr<client::Response> r;
    // A transport failure (an overloaded server refusing a new connection) is retried; a
    // create that did land meanwhile answers 409, which counts as created.
    for (int attempt = 0; attempt < 3; ++attempt) {
      client::Request req = client::MakeRequest("POST", path, body);
      r = co_await Timed("POST pods", std::move(req));
      if (r.ok()) break;
      ++transport_retries;
    }
    const bool created = r.ok() && (r->code == 201 || r->code == 409);
    if (r.ok() && r->code == 201) answered[name] = SteadyClock::now();
    if (!created && error.ok()) {
      error = absl::InternalError("creating a pod: " +
                                 (r.ok() ? r->Text() : r.status().ToString()));
    }
    --*in_flight;
  }

  int64_t GangPods() const {
    int64_t n = 0;
    for (int s : options.gang_sizes) n += s;
    return n;
  }

  // The balloons: PriorityClass shoal-balloon (-10, never preempting) and options.balloons
  // 8-GPU pods in it that run until displaced; waits until all are bound (at most 300 s), so
  // that the measured work starts on a cluster they fill.
  asio::awaitable<absl::Status> CreateBalloons(std::string pod_path) {
    json::object pc{{"apiVersion", "scheduling.k8s.io/v1"},
                    {"kind", "PriorityClass"},
                    {"metadata", json::object{{"name", kBalloonClass}}},
                    {"value", -10},
                    {"preemptionPolicy", "Never"},
                    {"description", "shoal bench balloons: placeholders displaced by real work"}};
    client::Request create_pc = client::MakeRequest(
        "POST", "/apis/scheduling.k8s.io/v1/priorityclasses", json::serialize(pc));
    auto r = co_await Timed("POST priorityclasses", std::move(create_pc));
    if (!r.ok() || (r->code != 201 && r->code != 409)) {
      co_return absl::InternalError("creating PriorityClass " + std::string(kBalloonClass) +
                                    ": " + (r.ok() ? r->Text() : r.status().ToString()));
    }
    auto ex = co_await asio::this_coro::executor;
    constexpr int kMaxInFlight = 16;
    int in_flight = 0;
    json::object quantity{{"nvidia.com/gpu", "8"}};
    for (int64_t i = 0; i < options.balloons && error.ok(); ++i) {
      while (in_flight >= kMaxInFlight) co_await SleepFor(std::chrono::milliseconds(1));
      std::string name = fmt::format("{}{:05d}", kBalloonPrefix, i);
      json::object pod{
          {"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", json::object{{"name", name}, {"labels", json::object{{"role", "balloon"}}}}},
          {"spec", json::object{{"priorityClassName", kBalloonClass},
                                {"terminationGracePeriodSeconds", 0},
                                {"containers", json::array{json::object{
                                                   {"name", "balloon"},
                                                   {"image", "none"},
                                                   {"command", json::array{"sleep"}},
                                                   {"resources", json::object{
                                                                     {"limits", quantity}}}}}}}}};
      ++in_flight;
      asio::co_spawn(ex, CreatePod(name, pod_path, json::serialize(pod), &in_flight),
                     asio::detached);
    }
    while (in_flight > 0) co_await SleepFor(std::chrono::milliseconds(1));
    if (!error.ok()) co_return error;
    const auto deadline = SteadyClock::now() + std::chrono::seconds(300);
    for (;;) {
      int64_t bound = 0;
      for (const auto& [name, p] : pods) {
        bound += IsBalloon(name) && p.bound != SteadyClock::time_point{} ? 1 : 0;
      }
      if (bound >= options.balloons) break;
      if (SteadyClock::now() > deadline) {
        co_return absl::DeadlineExceededError(
            fmt::format("only {} of {} balloons bound after 300 s", bound, options.balloons));
      }
      co_await SleepFor(std::chrono::milliseconds(200));
    }
    fmt::print("{}: {} balloons bound\n", options.scenario, options.balloons);
    std::fflush(stdout);
    co_return absl::OkStatus();
  }

  asio::awaitable<void> Main() {
    absl::Status ready =
        co_await StartHollowNodes(*transport, options.kubeconfig_path, options.work_dir,
                                  options.nodes, std::chrono::seconds(120),
                                  std::chrono::seconds(options.settle_s), &sim_pid,
                                  options.sim_http1);
    if (!ready.ok()) {
      error = ready;
      co_return;
    }
    total_gpus = static_cast<int64_t>(options.nodes) * 8;
    json::object ns{{"apiVersion", "v1"},
                    {"kind", "Namespace"},
                    {"metadata", json::object{{"name", kNamespace}}}};
    client::Request create_ns =
        client::MakeRequest("POST", "/api/v1/namespaces", json::serialize(ns));
    co_await Timed("POST namespaces", std::move(create_ns));
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, Watch(), asio::detached);
    asio::co_spawn(ex, Sample(), asio::detached);
    const std::string jobs = base::StrCat("/apis/batch/v1/namespaces/", kNamespace, "/jobs");
    const std::string pod_path = base::StrCat("/api/v1/namespaces/", kNamespace, "/pods");
    if (options.balloons > 0) {
      absl::Status st = co_await CreateBalloons(pod_path);
      if (!st.ok()) {
        error = st;
        co_return;
      }
    }
    metrics_start = co_await ScrapeMetrics(*transport);
    start = SteadyClock::now();
    for (int g = 0; g < static_cast<int>(options.gang_sizes.size()); ++g) {
      gang_created[fmt::format("gang-{}", g)] = SteadyClock::now();
      gang_size[fmt::format("gang-{}", g)] = options.gang_sizes[g];
      client::Request create = client::MakeRequest("POST", jobs, json::serialize(Job(g)));
      auto r = co_await Timed("POST jobs", std::move(create));
      if (!r.ok() || r->code != 201) {
        error = absl::InternalError("creating a gang Job: " +
                                    (r.ok() ? r->Text() : r.status().ToString()));
        co_return;
      }
    }
    // Each create is sent at its due time on its own coroutine (HttpTransport's pool opens
    // more connections as needed), so that a slow answer does not hold back the arrival rate;
    // at most kMaxInFlight at once.
    constexpr int kMaxInFlight = 16;
    int in_flight = 0;
    for (int64_t i = 0; i < options.pods && error.ok(); ++i) {
      auto due = start + std::chrono::duration_cast<SteadyClock::duration>(
                             std::chrono::duration<double>(static_cast<double>(i) / options.rate));
      asio::steady_timer t(ex, due);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      while (in_flight >= kMaxInFlight) co_await SleepFor(std::chrono::milliseconds(1));
      json::object pod = SmallPod(i);
      std::string name(api::StringAt(pod, "metadata.name"));
      created[name] = SteadyClock::now();
      ++in_flight;
      asio::co_spawn(ex, CreatePod(name, pod_path, json::serialize(pod), &in_flight),
                     asio::detached);
    }
    while (in_flight > 0) co_await SleepFor(std::chrono::milliseconds(1));
    if (!error.ok()) co_return;
    // Wait for every small pod and gang member to have run (or 60 s).
    const auto deadline = SteadyClock::now() + std::chrono::seconds(60);
    fmt::print("{}: all {} pods created; waiting for them to run\n", options.scenario,
               options.pods);
    std::fflush(stdout);
    for (;;) {
      size_t ran = 0;
      for (const auto& [name, p] : pods) ran += p.running != SteadyClock::time_point{} ? 1 : 0;
      if (ran >= static_cast<size_t>(options.pods + GangPods() + options.balloons)) break;
      if (SteadyClock::now() > deadline) break;
      co_await SleepFor(std::chrono::milliseconds(100));
    }
    SampleOnce();  // the last, partial second
    metrics_end = co_await ScrapeMetrics(*transport);
    client::Request list = client::MakeRequest("GET", pod_path);
    co_await Timed("LIST pods", std::move(list));
    client::Request del =
        client::MakeRequest("DELETE", base::StrCat("/api/v1/namespaces/", kNamespace));
    co_await Timed("DELETE namespaces", std::move(del));
    watching = false;
  }
};

}  // namespace

absl::StatusOr<json::object> RunSmoke(const client::Kubeconfig& kc, const SmokeOptions& options) {
  Run run;
  run.options = options;
  ASSIGN_OR_RETURN(ScenarioRunEnd end, RunScenario(kc, options.server_pid, run));
  if (!run.error.ok()) return run.error;

  // Startup, and its first part (scheduling): create sent -> bound, as the watch shows them.
  LatencyRecorder startup, to_bound;
  int64_t never_ran = 0;
  for (const auto& [name, sent] : run.created) {
    const PodSeen& p = run.pods[name];
    if (p.running == SteadyClock::time_point{}) {
      ++never_ran;
    } else {
      startup.Add(p.running - sent);
    }
    if (p.bound != SteadyClock::time_point{}) to_bound.Add(p.bound - sent);
  }
  // Watch delivery as a client sees it: the create's answer -> the pod's first watch event
  // (0 when the event came first; the watch has no server-side send time to compare with).
  LatencyRecorder watch_lag;
  for (const auto& [name, t] : run.answered) {
    const PodSeen& p = run.pods[name];
    if (p.seen == SteadyClock::time_point{}) continue;
    watch_lag.Add(p.seen > t ? p.seen - t : SteadyClock::duration::zero());
  }
  json::array gang_sizes;
  for (int s : options.gang_sizes) gang_sizes.push_back(s);
  json::array gangs;
  int64_t gangs_incomplete = 0;
  for (const auto& [gang, sent] : run.gang_created) {
    SteadyClock::time_point all_bound{}, all_running{}, last_seen{};
    int members = 0;
    bool complete = true;
    for (const auto& [name, p] : run.pods) {
      if (p.gang != gang) continue;
      ++members;
      if (p.bound == SteadyClock::time_point{} || p.running == SteadyClock::time_point{}) {
        complete = false;
        continue;
      }
      all_bound = std::max(all_bound, p.bound);
      all_running = std::max(all_running, p.running);
      last_seen = std::max(last_seen, p.seen);
    }
    complete = complete && members == run.gang_size[gang];
    if (!complete) ++gangs_incomplete;
    auto ms = [&](SteadyClock::time_point t) {
      return complete ? std::chrono::duration<double, std::milli>(t - sent).count() : -1.0;
    };
    gangs.push_back(json::object{{"job", gang},
                                 {"members", members},
                                 {"create_to_all_bound_ms", ms(all_bound)},
                                 {"create_to_all_running_ms", ms(all_running)},
                                 // issue 7's gang goal: from the last member's creation (its
                                 // first watch event) to every member bound
                                 {"last_member_created_to_all_bound_ms",
                                  complete ? std::chrono::duration<double, std::milli>(
                                                 all_bound - last_seen)
                                                 .count()
                                           : -1.0}});
  }
  json::object api;
  for (auto& [what, rec] : run.api) api[what] = ToJson(rec.Summarize());
  json::array share, bound;
  double peak_share = 0;
  for (double s : run.gpu_share) {
    share.push_back(s);
    peak_share = std::max(peak_share, s);
  }
  for (int64_t b : run.bound_per_second) bound.push_back(b);
  json::object report{{"scenario", options.scenario},
                      {"nodes", options.nodes},
                      {"settle_s", options.settle_s},
                      {"gpus", run.total_gpus},
                      {"small_pods", options.pods},
                      {"rate_per_s", options.rate},
                      {"gang_jobs", static_cast<int64_t>(options.gang_sizes.size())},
                      {"gang_sizes", std::move(gang_sizes)},
                      {"gang_pods", run.GangPods()},
                      {"teams", options.teams},
                      {"small_pod_run_seconds", json::array{options.min_run_s, options.max_run_s}},
                      {"balloons", options.balloons},
                      {"balloons_displaced", static_cast<int64_t>(run.balloons_displaced.size())},
                      {"balloon_share_per_second", ToArray(run.balloon_share)},
                      {"create_answered_to_watch_event", ToJson(watch_lag.Summarize())},
                      {"pod_startup", ToJson(startup.Summarize())},
                      {"small_pod_create_to_bound", ToJson(to_bound.Summarize())},
                      {"small_pods_never_running", never_ran},
                      {"gangs", std::move(gangs)},
                      {"gangs_incomplete", gangs_incomplete},
                      {"api_latency", std::move(api)},
                      {"gpu_share_per_second", std::move(share)},
                      {"gpu_share_peak", peak_share},
                      {"pods_bound_per_second", std::move(bound)},
                      {"pods_running_per_second", ToArray(run.running_per_second)},
                      {"startup_p99_ms_per_second", ToArray(run.startup_p99_per_second)},
                      {"server_cores_per_second", ToArray(run.server_cores_per_second)},
                      {"server_rss_mib_per_second", ToArray(run.server_rss_mib_per_second)},
                      {"sim_cores_per_second", ToArray(run.sim_cores_per_second)},
                      {"create_transport_retries", run.transport_retries},
                      {"sim_stopped", end.sim_end},
                      {"hollow_node_api_latency", end.hollow_node_api_latency},
                      {"server_api_latency",
                       ServerLatencyBetween(run.metrics_start, run.metrics_end)},
                      {"server_watch_delivery",
                       ServerWatchDeliveryBetween(run.metrics_start, run.metrics_end)},
                      {"server_storage_latency",
                       ServerStorageLatencyBetween(run.metrics_start, run.metrics_end)},
                      {"server_api_latency_covers",
                       "apiserver_request_duration_seconds from the server's /metrics, from the "
                       "first gang's creation until every pod ran"}};
  if (options.server_pid > 0) {
    report["server"] = json::object{
        {"cpu_cores", (end.server_after.cpu_s() - end.server_before.cpu_s()) / end.elapsed_s},
        {"rss_bytes", end.server_after.rss_bytes}};
  }
  return report;
}

namespace {
// One line on the CPU the hollow nodes and a local server used, per second of the run.
std::string CpuPerSecondSummary(const json::object& report) {
  std::vector<double> server, sim;
  for (ChartSeries& s : PerSecondSeries(report)) {
    if (s.name == "server_cores_per_second") server = std::move(s.values);
    if (s.name == "sim_cores_per_second") sim = std::move(s.values);
  }
  if (sim.empty()) return "";
  auto mean_max = [](const std::vector<double>& v) {
    double sum = 0, max = 0;
    for (double x : v) {
      sum += x;
      max = std::max(max, x);
    }
    return std::pair{v.empty() ? 0 : sum / static_cast<double>(v.size()), max};
  };
  const auto [sim_mean, sim_max] = mean_max(sim);
  std::string out = fmt::format("CPU per second: hollow nodes mean {:.2f}, max {:.2f} cores",
                                sim_mean, sim_max);
  if (server.size() == sim.size()) {
    const auto [server_mean, server_max] = mean_max(server);
    std::vector<double> both(sim.size());
    for (size_t i = 0; i < sim.size(); ++i) both[i] = server[i] + sim[i];
    out += fmt::format("; server mean {:.2f}, max {:.2f}; together max {:.2f}", server_mean,
                       server_max, mean_max(both).second);
  }
  return out + "\n";
}
}  // namespace

std::string SmokeSummary(const json::object& report) {
  const json::object& s = report.at("pod_startup").as_object();
  std::string out = fmt::format(
      "{} small pods: create -> Running p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms; {} never "
      "ran\n",
      s.at("count").to_number<int64_t>(), s.at("p50_ms").to_number<double>(),
      s.at("p99_ms").to_number<double>(), s.at("max_ms").to_number<double>(),
      report.at("small_pods_never_running").to_number<int64_t>());
  const json::object& b = report.at("small_pod_create_to_bound").as_object();
  out += fmt::format("{} small pods: create -> bound p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms\n",
                     b.at("count").to_number<int64_t>(), b.at("p50_ms").to_number<double>(),
                     b.at("p99_ms").to_number<double>(), b.at("max_ms").to_number<double>());
  for (const json::value& g : report.at("gangs").as_array()) {
    out += fmt::format(
        "{}: {} members, all bound {:.1f} ms, all Running {:.1f} ms after create; all bound "
        "{:.1f} ms after the last member's creation\n",
        std::string(g.at("job").as_string()), g.at("members").to_number<int64_t>(),
        g.at("create_to_all_bound_ms").to_number<double>(),
        g.at("create_to_all_running_ms").to_number<double>(),
        g.at("last_member_created_to_all_bound_ms").to_number<double>());
  }
  out += fmt::format("peak GPU allocation {:.0f}% of {} GPUs\n",
                     100 * report.at("gpu_share_peak").to_number<double>(),
                     report.at("gpus").to_number<int64_t>());
  if (report.at("balloons").to_number<int64_t>() > 0) {
    out += fmt::format("balloons: {} created, {} displaced by real work\n",
                       report.at("balloons").to_number<int64_t>(),
                       report.at("balloons_displaced").to_number<int64_t>());
  }
  const json::object& lag = report.at("create_answered_to_watch_event").as_object();
  out += fmt::format("create answered -> first watch event: n={} p50 {:.1f} ms, p99 {:.1f} ms, "
                     "max {:.1f} ms\n",
                     lag.at("count").to_number<int64_t>(), lag.at("p50_ms").to_number<double>(),
                     lag.at("p99_ms").to_number<double>(), lag.at("max_ms").to_number<double>());
  for (const auto& [what, v] : report.at("api_latency").as_object()) {
    out += fmt::format("{:<18} n={:<5} p50 {:.1f} ms  p99 {:.1f} ms\n", std::string(what),
                       v.at("count").to_number<int64_t>(), v.at("p50_ms").to_number<double>(),
                       v.at("p99_ms").to_number<double>());
  }
  out += HollowNodeApiLatencySummary(report);
  out += HollowNodeApiLatencySummary(report, "server_api_latency", "server");
  out += ServerStorageSummary(report, "server_storage_latency");
  out += CpuPerSecondSummary(report);
  const json::object& watch = report.at("server_watch_delivery").as_object();
  for (const auto& [series, v] : watch.at("delivery").as_object()) {
    out += fmt::format("server watch delivery {:<16} n={:<7} p50 {:.1f} ms  p99 {:.1f} ms\n",
                       std::string(series), v.at("count").to_number<int64_t>(),
                       v.at("p50_ms").to_number<double>(), v.at("p99_ms").to_number<double>());
  }
  return out;
}

std::vector<int> MlGangSizes(int nodes) {
  const double f = std::min(1.0, static_cast<double>(nodes) / 7500.0);
  std::vector<int> out;
  for (auto [count, size] : {std::pair{2, 1024}, std::pair{10, 128}, std::pair{50, 16}}) {
    const int n = std::max(1, static_cast<int>(std::lround(count * f)));
    const int s = std::max(2, static_cast<int>(std::lround(size * f)));
    for (int i = 0; i < n; ++i) out.push_back(s);
  }
  return out;
}

int64_t MlBalloons(int nodes, const std::vector<int>& gang_sizes) {
  int64_t left = nodes;
  for (int s : gang_sizes) left -= s;
  const int64_t headroom = std::lround(400.0 * std::min(1.0, static_cast<double>(nodes) / 7500.0));
  return std::max<int64_t>(0, left - headroom);
}

}  // namespace shoal::bench
