#include "bench/recovery.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <signal.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/object.h"
#include "base/clock.h"
#include "base/strings.h"
#include "bench/agents.h"
#include "bench/latency.h"
#include "bench/server_process.h"
#include "client/http_transport.h"

namespace shoal::bench {

namespace asio = boost::asio;
namespace json = boost::json;
using client::MakeRequest;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr const char* kNamespace = "recovery";
// node-failure: the agent renews every 500 ms, well inside the server's 4 s grace period.
const std::vector<std::string> kLeaseArgs{"--node-lease-duration-seconds", "2"};

json::object Summary(LatencyRecorder& r) { return ToJson(r.Summarize()); }

asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

// What the scenario's pod watch has seen.
struct PodView {
  std::string name, phase, node;
  bool deleting = false;
  bool gone = false;
};

struct Watcher {
  client::Transport* transport = nullptr;
  std::map<std::string, PodView> pods;  // uid -> view
  bool watching = true;

  asio::awaitable<void> Run() {
    client::Request req =
        MakeRequest("GET", base::StrCat("/api/v1/namespaces/", kNamespace, "/pods"));
    req.query["watch"] = "1";
    req.query["timeoutSeconds"] = "3600";
    co_await transport->Watch(std::move(req), [this](std::string_view line) {
      auto ev = api::ParseJson(line);
      if (!ev.ok() || !ev->is_object()) return watching;
      const json::value* obj = ev->get_object().if_contains("object");
      if (obj == nullptr || !obj->is_object()) return watching;
      PodView& v = pods[std::string(api::StringAt(*obj, "metadata.uid"))];
      v.name = std::string(api::StringAt(*obj, "metadata.name"));
      v.phase = std::string(api::StringAt(*obj, "status.phase"));
      v.node = std::string(api::StringAt(*obj, "spec.nodeName"));
      v.deleting = !api::StringAt(*obj, "metadata.deletionTimestamp").empty();
      v.gone = api::StringAt(*ev, "type") == "DELETED";
      return watching;
    });
  }
};

asio::awaitable<absl::Status> CreateNamespace(client::Transport& t) {
  json::object ns{{"apiVersion", "v1"},
                  {"kind", "Namespace"},
                  {"metadata", json::object{{"name", kNamespace}}}};
  auto r = co_await t.Call(MakeRequest("POST", "/api/v1/namespaces", json::serialize(ns)));
  if (!r.ok()) co_return r.status();
  if (r->code != 201) co_return absl::InternalError("creating the namespace: " + r->Text());
  co_return absl::OkStatus();
}

asio::awaitable<absl::Status> Create(client::Transport& t, std::string path, json::object obj) {
  auto r = co_await t.Call(MakeRequest("POST", std::move(path), json::serialize(obj)));
  if (!r.ok()) co_return r.status();
  if (r->code != 201) co_return absl::InternalError("create: " + r->Text());
  co_return absl::OkStatus();
}

json::object Container(std::string script, int gpus) {
  json::object c{{"name", "main"},
                 {"image", "none"},
                 {"command", json::array{"sh", "-c", std::move(script)}}};
  if (gpus > 0) {
    c["resources"] = json::object{
        {"limits", json::object{{"nvidia.com/gpu", std::to_string(gpus)}}}};
  }
  return c;
}

// Waits for the agents' nodes, creates the namespace and starts `watch` on it.
asio::awaitable<absl::Status> Prepare(client::Transport& t, std::vector<std::string> nodes,
                                      Watcher& watch) {
  absl::Status st = co_await NodesReady(t, std::move(nodes), std::chrono::seconds(60));
  if (!st.ok()) co_return st;
  st = co_await CreateNamespace(t);
  if (!st.ok()) co_return st;
  watch.transport = &t;
  asio::co_spawn(co_await asio::this_coro::executor, watch.Run(), asio::detached);
  co_return absl::OkStatus();
}

// Deletes the namespace and waits until the agents have stopped every pod in it (an agent
// that is stopped leaves its pods running, by design).
asio::awaitable<void> CleanUp(client::Transport& t, Watcher& watch) {
  co_await t.Call(MakeRequest("DELETE", base::StrCat("/api/v1/namespaces/", kNamespace)));
  const auto deadline = SteadyClock::now() + std::chrono::seconds(60);
  for (;;) {
    bool left = false;
    for (const auto& [uid, p] : watch.pods) left = left || !p.gone;
    if (!left || SteadyClock::now() > deadline) break;
    co_await Sleep(std::chrono::milliseconds(20));
  }
  watch.watching = false;
}

// ---- gang-restart --------------------------------------------------------------------------

struct GangRun {
  client::Transport* transport = nullptr;
  RecoveryOptions options;
  Watcher watch;
  absl::Status error;
  LatencyRecorder to_failed, to_old_gone, to_bound, to_running, first_running;

  // The uids of the live generation once all `n` members run (none terminating).
  std::set<std::string> Running(const std::set<std::string>& exclude) {
    std::set<std::string> out;
    for (const auto& [uid, p] : watch.pods) {
      if (exclude.count(uid) || p.gone || p.deleting) continue;
      if (p.phase == "Running") out.insert(uid);
    }
    return out;
  }

  asio::awaitable<void> Main() {
    std::vector<std::string> nodes;
    for (int i = 0; i < options.nodes; ++i) nodes.push_back(fmt::format("gang-node-{}", i));
    error = co_await Prepare(*transport, nodes, watch);
    if (!error.ok()) co_return;

    const std::string trigger = options.work_dir + "/fail";
    // Member 0 exits 1 when the trigger file appears (and removes it); the others run.
    std::string script = fmt::format(
        "if [ $JOB_COMPLETION_INDEX = 0 ]; then while [ ! -e {0} ]; do sleep 0.01; done; "
        "rm -f {0}; exit 1; fi; exec sleep 100000",
        trigger);
    json::object job{
        {"apiVersion", "batch/v1"},
        {"kind", "Job"},
        {"metadata", json::object{{"name", "gang"},
                                  {"annotations", json::object{{"shoal.io/gang", "true"}}}}},
        {"spec",
         json::object{
             {"completions", options.nodes},
             {"parallelism", options.nodes},
             {"completionMode", "Indexed"},
             {"backoffLimit", options.rounds + 10},
             {"template",
              json::object{{"spec", json::object{{"restartPolicy", "Never"},
                                                 {"terminationGracePeriodSeconds", 0},
                                                 {"containers",
                                                  json::array{Container(script, 8)}}}}}}}}};
    const auto created = SteadyClock::now();
    error = co_await Create(*transport,
                            base::StrCat("/apis/batch/v1/namespaces/", kNamespace, "/jobs"),
                            std::move(job));
    if (!error.ok()) co_return;
    const size_t n = static_cast<size_t>(options.nodes);
    std::set<std::string> old;
    auto wait = [&](auto done, const char* what) -> asio::awaitable<bool> {
      const auto deadline = SteadyClock::now() + std::chrono::seconds(120);
      while (!done()) {
        if (SteadyClock::now() > deadline) {
          error = absl::DeadlineExceededError(base::StrCat("timed out waiting for ", what));
          co_return false;
        }
        co_await Sleep(std::chrono::milliseconds(2));
      }
      co_return true;
    };
    if (!co_await wait([&] { return Running({}).size() == n; }, "the first gang")) co_return;
    first_running.Add(SteadyClock::now() - created);
    for (int round = 0; round < options.rounds; ++round) {
      old = Running({});
      std::ofstream(trigger).put('x');
      const auto t0 = SteadyClock::now();
      auto failed = [&] {
        for (const std::string& uid : old) {
          const PodView& p = watch.pods[uid];
          if (p.phase == "Failed" || p.gone || p.deleting) return true;
        }
        return false;
      };
      if (!co_await wait(failed, "the member failure")) co_return;
      to_failed.Add(SteadyClock::now() - t0);
      auto old_gone = [&] {
        for (const std::string& uid : old) {
          const PodView& p = watch.pods[uid];
          if (!p.gone && p.phase != "Failed") return false;
        }
        return true;
      };
      if (!co_await wait(old_gone, "the old gang to go")) co_return;
      to_old_gone.Add(SteadyClock::now() - t0);
      auto bound = [&] {
        size_t c = 0;
        for (const auto& [uid, p] : watch.pods) {
          if (!old.count(uid) && !p.gone && !p.deleting && !p.node.empty() &&
              p.phase != "Failed") {
            ++c;
          }
        }
        return c == n;
      };
      if (!co_await wait(bound, "the new gang to be bound")) co_return;
      to_bound.Add(SteadyClock::now() - t0);
      if (!co_await wait([&] { return Running(old).size() == n; }, "the new gang to run")) {
        co_return;
      }
      to_running.Add(SteadyClock::now() - t0);
      // Forget pods of earlier rounds that are gone for good.
      for (auto it = watch.pods.begin(); it != watch.pods.end();) {
        it = it->second.gone ? watch.pods.erase(it) : std::next(it);
      }
    }
    co_await CleanUp(*transport, watch);
  }
};

// ---- node-failure --------------------------------------------------------------------------

struct NodeRun {
  client::Transport* transport = nullptr;
  RecoveryOptions options;
  std::vector<pid_t>* agents = nullptr;
  Watcher watch;
  absl::Status error;
  double expire_to_taint_ms = -1, expire_to_all_evicted_ms = -1, kill_to_expire_ms = -1;
  double first_to_last_eviction_ms = -1;

  asio::awaitable<std::optional<std::chrono::system_clock::time_point>> RenewTime() {
    auto r = co_await transport->Call(
        MakeRequest("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/"
                           "failing-node"));
    if (!r.ok() || r->code != 200) co_return std::nullopt;
    auto doc = api::ParseJson(r->Text());
    if (!doc.ok()) co_return std::nullopt;
    co_return base::ParseRfc3339(api::StringAt(*doc, "spec.renewTime"));
  }

  asio::awaitable<bool> Tainted() {
    auto r = co_await transport->Call(MakeRequest("GET", "/api/v1/nodes/failing-node"));
    if (!r.ok() || r->code != 200) co_return false;
    auto doc = api::ParseJson(r->Text());
    if (!doc.ok()) co_return false;
    const json::value* taints = api::FindPath(*doc, "spec.taints");
    if (taints == nullptr || !taints->is_array()) co_return false;
    for (const json::value& t : taints->get_array()) {
      if (api::StringAt(t, "key") == "node.kubernetes.io/unreachable" &&
          api::StringAt(t, "effect") == "NoExecute") {
        co_return true;
      }
    }
    co_return false;
  }

  asio::awaitable<void> Main() {
    std::vector<std::string> nodes{"failing-node"};
    error = co_await Prepare(*transport, nodes, watch);
    if (!error.ok()) co_return;
    json::array tolerations;
    for (const char* key : {"node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready"}) {
      tolerations.push_back(json::object{{"key", key},
                                         {"operator", "Exists"},
                                         {"effect", "NoExecute"},
                                         {"tolerationSeconds", 0}});
    }
    const std::string path = base::StrCat("/api/v1/namespaces/", kNamespace, "/pods");
    for (int64_t i = 0; i < options.pods; ++i) {
      json::object pod{
          {"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", json::object{{"name", fmt::format("p-{:04d}", i)}}},
          {"spec", json::object{{"restartPolicy", "Never"},
                                {"terminationGracePeriodSeconds", 1},
                                {"tolerations", tolerations},
                                {"containers", json::array{Container("exec sleep 100000", 0)}}}}};
      error = co_await Create(*transport, path, std::move(pod));
      if (!error.ok()) co_return;
    }
    const auto deadline = SteadyClock::now() + std::chrono::seconds(120);
    auto running = [&] {
      int64_t c = 0;
      for (const auto& [uid, p] : watch.pods) c += p.phase == "Running" ? 1 : 0;
      return c;
    };
    while (running() < options.pods) {
      if (SteadyClock::now() > deadline) {
        error = absl::DeadlineExceededError("the pods did not all start in 120 s");
        co_return;
      }
      co_await Sleep(std::chrono::milliseconds(20));
    }
    // Let a renewal land so that the expiry is measured from a known renewTime.
    co_await Sleep(std::chrono::milliseconds(500));
    kill(agents->front(), SIGKILL);
    const auto killed_at = std::chrono::system_clock::now();
    std::optional<std::chrono::system_clock::time_point> renewed = co_await RenewTime();
    if (!renewed) {
      error = absl::InternalError("the node's Lease has no renewTime");
      co_return;
    }
    const auto expired_at = *renewed + options.grace;
    kill_to_expire_ms =
        std::chrono::duration<double, std::milli>(expired_at - killed_at).count();
    std::optional<std::chrono::system_clock::time_point> tainted, first_evicted, all_evicted;
    const auto end = SteadyClock::now() + options.grace + std::chrono::seconds(120);
    while (SteadyClock::now() < end && !all_evicted) {
      const auto now = std::chrono::system_clock::now();
      if (!tainted && co_await Tainted()) tainted = now;
      int64_t evicted = 0;
      for (const auto& [uid, p] : watch.pods) evicted += (p.deleting || p.gone) ? 1 : 0;
      if (evicted > 0 && !first_evicted) first_evicted = now;
      if (evicted >= options.pods) all_evicted = now;
      co_await Sleep(std::chrono::milliseconds(10));
    }
    if (!tainted || !all_evicted) {
      error = absl::DeadlineExceededError(
          tainted ? "the pods were not all evicted in 120 s" : "the node was never tainted");
      co_return;
    }
    auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    expire_to_taint_ms = ms(*tainted - expired_at);
    expire_to_all_evicted_ms = ms(*all_evicted - expired_at);
    first_to_last_eviction_ms = ms(*all_evicted - *first_evicted);
    // A new agent for the node kills what the dead one left and finishes the deletions.
    StopAgents(*agents);
    auto again = SpawnAgents(options.kubeconfig_path, nodes, options.work_dir, kLeaseArgs);
    if (again.ok()) *agents = std::move(*again);
    co_await CleanUp(*transport, watch);
  }
};

template <typename R>
absl::Status RunOnOwnThread(const client::Kubeconfig& kc, R& run) {
  asio::io_context io(1);
  auto transport = client::HttpTransport::Create(io.get_executor(), kc);
  if (!transport.ok()) return transport.status();
  run.transport = transport->get();
  asio::co_spawn(io, run.Main(), [&](std::exception_ptr) {
    run.watch.watching = false;
    io.stop();
  });
  io.run();
  return run.error;
}

}  // namespace

std::vector<std::string> RecoveryServerArgs(const std::string& scenario) {
  if (scenario == "gang-restart") return {"--job-pod-failure-backoff", "0s"};
  if (scenario == "node-failure") return {"--node-monitor-grace-period", "4s"};
  return {};
}

absl::StatusOr<json::object> RunGangRestart(const client::Kubeconfig& kc,
                                            const RecoveryOptions& options) {
  std::filesystem::create_directories(options.work_dir);
  std::vector<std::string> nodes;
  for (int i = 0; i < options.nodes; ++i) nodes.push_back(fmt::format("gang-node-{}", i));
  auto agents = SpawnAgents(options.kubeconfig_path, nodes, options.work_dir);
  if (!agents.ok()) return agents.status();
  GangRun run;
  run.options = options;
  absl::Status st = RunOnOwnThread(kc, run);
  StopAgents(*agents);
  if (!st.ok()) return st;
  return json::object{{"scenario", "gang-restart"},
                      {"nodes", options.nodes},
                      {"rounds", options.rounds},
                      {"create_to_first_gang_running", Summary(run.first_running)},
                      {"failure_to_failed_observed", Summary(run.to_failed)},
                      {"failure_to_old_gang_gone", Summary(run.to_old_gone)},
                      {"failure_to_new_gang_bound", Summary(run.to_bound)},
                      {"failure_to_new_gang_running", Summary(run.to_running)}};
}

absl::StatusOr<json::object> RunNodeFailure(const client::Kubeconfig& kc,
                                            const RecoveryOptions& options) {
  std::filesystem::create_directories(options.work_dir);
  auto agents =
      SpawnAgents(options.kubeconfig_path, {"failing-node"}, options.work_dir, kLeaseArgs);
  if (!agents.ok()) return agents.status();
  NodeRun run;
  run.options = options;
  run.agents = &*agents;
  absl::Status st = RunOnOwnThread(kc, run);
  StopAgents(*agents);
  if (!st.ok()) return st;
  return json::object{{"scenario", "node-failure"},
                      {"pods", options.pods},
                      {"node_monitor_grace_ms", options.grace.count()},
                      {"agent_killed_to_lease_expired_ms", run.kill_to_expire_ms},
                      {"lease_expired_to_tainted_ms", run.expire_to_taint_ms},
                      {"lease_expired_to_all_pods_evicted_ms", run.expire_to_all_evicted_ms},
                      {"first_to_last_eviction_ms", run.first_to_last_eviction_ms}};
}

std::string RecoverySummary(const json::object& report) {
  std::string out;
  if (report.at("scenario").as_string() == "gang-restart") {
    for (const char* key : {"create_to_first_gang_running", "failure_to_failed_observed",
                            "failure_to_old_gang_gone", "failure_to_new_gang_bound",
                            "failure_to_new_gang_running"}) {
      const json::object& s = report.at(key).as_object();
      out += fmt::format("{:<30} n={:<4} p50={:8.1f} ms  p90={:8.1f} ms  max={:8.1f} ms\n", key,
                         s.at("count").to_number<int64_t>(), s.at("p50_ms").to_number<double>(),
                         s.at("p90_ms").to_number<double>(), s.at("max_ms").to_number<double>());
    }
    return out;
  }
  for (const char* key : {"agent_killed_to_lease_expired_ms", "lease_expired_to_tainted_ms",
                          "lease_expired_to_all_pods_evicted_ms", "first_to_last_eviction_ms"}) {
    out += fmt::format("{:<40} {:9.1f} ms\n", key, report.at(key).to_number<double>());
  }
  return out;
}

}  // namespace shoal::bench
