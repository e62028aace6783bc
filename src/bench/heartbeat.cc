#include "bench/heartbeat.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

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
#include "bench/hollow_cluster.h"
#include "bench/server_metrics.h"
#include "bench/server_process.h"
#include "client/http_transport.h"

namespace shoal::bench {

namespace asio = boost::asio;
namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Run {
  client::Transport* transport = nullptr;
  HeartbeatOptions options;
  std::set<std::string> ready;
  bool watching = true;
  absl::Status error;
  double to_all_ready_s = -1;
  double to_all_up_s = -1;  // every node also listed its pods (the sim's ready file)
  ProcessStats server_before, server_after, sim_before, sim_after;
  pid_t sim_pid = -1;
  // /metrics at the sim's start, when the window opens and when it ends ("" if unreadable).
  std::string metrics_start, metrics_window, metrics_end;
  // The machine's CPU at the same three moments (the window's: with the processes' stats).
  MachineCpu machine_start, machine_window, machine_end;
  SteadyClock::time_point started, window_opened;
  // Nodes Ready through the window: the fewest at any moment, and at its end (a node whose
  // renewals come too late is marked not Ready by node lifecycle, and this shows it).
  bool in_window = false;
  size_t fewest_ready_in_window = 0, ready_at_window_end = 0;

  asio::awaitable<void> WatchNodes() {
    while (watching) {
      client::Request req = client::MakeRequest("GET", "/api/v1/nodes");
      req.query["watch"] = "1";
      req.query["timeoutSeconds"] = "3600";
      // Without a resourceVersion the watch starts with every existing node (ADDED).
      co_await transport->Watch(std::move(req), [this](std::string_view line) {
        auto ev = api::ParseJson(line);
        if (!ev.ok() || !ev->is_object()) return watching;
        const json::value* obj = ev->get_object().if_contains("object");
        if (obj == nullptr || !obj->is_object()) return watching;
        std::string name(api::StringAt(*obj, "metadata.name"));
        bool is_ready = false;
        if (const json::value* cs = api::FindPath(*obj, "status.conditions");
            cs != nullptr && cs->is_array()) {
          for (const json::value& c : cs->get_array()) {
            if (api::StringAt(c, "type") == "Ready") {
              is_ready = api::StringAt(c, "status") == "True";
            }
          }
        }
        if (is_ready && api::StringAt(*ev, "type") != "DELETED") {
          ready.insert(std::move(name));
        } else {
          ready.erase(name);
        }
        if (in_window) fewest_ready_in_window = std::min(fewest_ready_in_window, ready.size());
        return watching;
      });
    }
  }

  asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  }

  std::string StartupLatencyFile() const {
    return options.work_dir + "/sim-startup-api-latency.json";
  }

  asio::awaitable<void> Main() {
    asio::co_spawn(co_await asio::this_coro::executor, WatchNodes(), asio::detached);
    const auto start = SteadyClock::now();
    std::vector<std::string> sim_args = {"--threads", "2"};
    if (options.shared_pod_watch) sim_args.push_back("--shared-pod-watch");
    if (options.sim_http1) sim_args.push_back("--http1");
    if (options.shared_connections > 0) {
      sim_args.insert(sim_args.end(), {"--shared-connections",
                                       std::to_string(options.shared_connections)});
    }
    if (options.start_rate > 0) {
      sim_args.insert(sim_args.end(), {"--start-rate", fmt::format("{}", options.start_rate)});
    }
    sim_args.insert(sim_args.end(), {"--startup-api-latency-out", StartupLatencyFile()});
    metrics_start = co_await ScrapeMetrics(*transport);
    machine_start = ReadMachineCpu();
    started = SteadyClock::now();
    auto sim = SpawnSim(options.kubeconfig_path, options.work_dir, options.nodes, sim_args);
    if (!sim.ok()) {
      error = sim.status();
      watching = false;
      co_return;
    }
    sim_pid = *sim;
    auto last_progress = start;
    while (static_cast<int>(ready.size()) < options.nodes) {
      if (SteadyClock::now() - start > std::chrono::seconds(300)) {
        error = absl::DeadlineExceededError(
            fmt::format("only {} of {} nodes Ready after 300 s", ready.size(), options.nodes));
        watching = false;
        co_return;
      }
      if (SteadyClock::now() - last_progress > std::chrono::seconds(5)) {
        last_progress = SteadyClock::now();
        fmt::print("heartbeat: {}/{} nodes Ready after {:.0f} s\n", ready.size(), options.nodes,
                   std::chrono::duration<double>(last_progress - start).count());
        std::fflush(stdout);
      }
      co_await Sleep(std::chrono::milliseconds(50));
    }
    to_all_ready_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
    fmt::print("heartbeat: all {} nodes Ready after {:.1f} s\n", options.nodes, to_all_ready_s);
    std::fflush(stdout);
    // Steady state starts when every hollow node has also listed its pods (the sim says so)
    // and the registration burst has settled: a window opened while the sim still works
    // through its start-up backlog measures that backlog, not the heartbeats.
    if (!co_await WaitForSimReady(options.work_dir, start + std::chrono::seconds(300))) {
      error = absl::DeadlineExceededError("the hollow nodes did not all list their pods in 300 s");
      watching = false;
      co_return;
    }
    to_all_up_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
    fmt::print("heartbeat: every node listed its pods after {:.1f} s; sampling {} s of heartbeats "
               "after {} s more\n", to_all_up_s, options.duration_s, options.settle_s);
    std::fflush(stdout);
    co_await Sleep(std::chrono::seconds(options.settle_s));
    auto stats = [](pid_t pid) {
      return pid > 0 ? ReadProcessStats(pid).value_or(ProcessStats{}) : ProcessStats{};
    };
    // The hollow nodes' latency records start again here: the report's
    // hollow_node_api_latency covers the steady heartbeats, not the registration burst.
    if (sim_pid > 0) kill(sim_pid, SIGUSR1);
    server_before = stats(options.server_pid);
    sim_before = stats(sim_pid);
    machine_window = ReadMachineCpu();
    window_opened = SteadyClock::now();
    in_window = true;
    fewest_ready_in_window = ready.size();
    metrics_window = co_await ScrapeMetrics(*transport);
    co_await Sleep(std::chrono::seconds(options.duration_s));
    in_window = false;
    ready_at_window_end = ready.size();
    server_after = stats(options.server_pid);
    sim_after = stats(sim_pid);
    machine_end = ReadMachineCpu();
    metrics_end = co_await ScrapeMetrics(*transport);
    watching = false;
  }
};

}  // namespace

absl::StatusOr<json::object> RunHeartbeat(const client::Kubeconfig& kc,
                                          const HeartbeatOptions& options) {
  Run run;
  run.options = options;
  // The server's CPU is read by the run itself, over the heartbeat window only.
  ASSIGN_OR_RETURN(ScenarioRunEnd end, RunScenario(kc, -1, run));
  if (!run.error.ok()) return run.error;
  const double window = options.duration_s;
  json::object report{{"scenario", "heartbeat"},
                      {"nodes", options.nodes},
                      {"pod_watch", options.shared_pod_watch ? "shared" : "per node"},
                      {"protocol", options.sim_http1 ? "HTTP/1.1" : "HTTP/2"},
                      {"shared_connections", options.shared_connections},
                      {"start_to_all_nodes_ready_s", run.to_all_ready_s},
                      {"start_to_all_nodes_listed_pods_s", run.to_all_up_s},
                      {"settle_s", options.settle_s},
                      {"window_s", window},
                      {"fewest_nodes_ready_in_window",
                       static_cast<int64_t>(run.fewest_ready_in_window)},
                      {"nodes_ready_at_window_end", static_cast<int64_t>(run.ready_at_window_end)},
                      {"sim", json::object{{"cpu_cores", (run.sim_after.cpu_s() -
                                                          run.sim_before.cpu_s()) / window},
                                           {"rss_bytes", run.sim_after.rss_bytes},
                                           {"stopped", end.sim_end}}},
                      {"start_rate_per_s", options.start_rate > 0 ? options.start_rate : 1000.0},
                      {"hollow_node_api_latency_startup",
                       ReadJsonObjectFile(run.StartupLatencyFile())},
                      {"hollow_node_api_latency_startup_covers",
                       "from the sim's start until the heartbeat window opened: registration, "
                       "first lists and watches"},
                      {"hollow_node_api_latency", end.hollow_node_api_latency},
                      {"hollow_node_api_latency_covers",
                       "the heartbeat window (the sim's records are reset after registration)"},
                      {"server_api_latency_startup",
                       ServerLatencyBetween(run.metrics_start, run.metrics_window)},
                      {"server_api_latency",
                       ServerLatencyBetween(run.metrics_window, run.metrics_end)},
                      {"server_storage_latency_startup",
                       ServerStorageLatencyBetween(run.metrics_start, run.metrics_window)},
                      {"server_storage_latency",
                       ServerStorageLatencyBetween(run.metrics_window, run.metrics_end)},
                      {"server_storage_latency_covers",
                       "the server's store calls (etcd_request_duration_seconds: handed to the "
                       "store -> the handler running again; resume: shoal_store_resume_seconds, "
                       "the part after the store answered), over the start-up and the window"},
                      {"server_api_latency_covers",
                       "apiserver_request_duration_seconds from the server's /metrics (from "
                       "reading a request to writing its answer), differenced over the start-up "
                       "and over the window; quantiles interpolated within kube's buckets"}};
  // Busy and stolen cores of the whole machine (server, sim, bench and anything else).
  auto machine = [](const MachineCpu& a, const MachineCpu& b, double seconds) {
    return json::object{{"busy_cores", seconds > 0 ? (b.busy_s - a.busy_s) / seconds : 0.0},
                        {"steal_cores", seconds > 0 ? (b.steal_s - a.steal_s) / seconds : 0.0}};
  };
  report["machine"] = json::object{
      {"cpus", static_cast<int64_t>(std::thread::hardware_concurrency())},
      {"startup", machine(run.machine_start, run.machine_window,
                          std::chrono::duration<double>(run.window_opened - run.started).count())},
      {"window", machine(run.machine_window, run.machine_end, window)}};
  if (options.server_pid > 0) {
    report["server"] = json::object{
        {"cpu_cores", (run.server_after.cpu_s() - run.server_before.cpu_s()) / window},
        {"rss_bytes", run.server_after.rss_bytes}};
  }
  return report;
}

std::string HeartbeatSummary(const json::object& report) {
  std::string out = fmt::format(
      "{} nodes ({} pod watch) Ready {:.1f} s after the sim started, all pods listed after "
      "{:.1f} s\n",
      report.at("nodes").to_number<int64_t>(), std::string(report.at("pod_watch").as_string()),
      report.at("start_to_all_nodes_ready_s").to_number<double>(),
      report.at("start_to_all_nodes_listed_pods_s").to_number<double>());
  out += fmt::format("nodes Ready through the window: at least {}, at its end {}\n",
                     report.at("fewest_nodes_ready_in_window").to_number<int64_t>(),
                     report.at("nodes_ready_at_window_end").to_number<int64_t>());
  for (const char* who : {"server", "sim"}) {
    if (!report.contains(who)) continue;
    const json::object& s = report.at(who).as_object();
    out += fmt::format("{:<7} heartbeats cost {:.3f} cores; RSS {:.0f} MiB\n", who,
                       s.at("cpu_cores").to_number<double>(),
                       s.at("rss_bytes").to_number<double>() / (1 << 20));
  }
  if (const json::value* m = report.if_contains("machine")) {
    const json::object& mo = m->as_object();
    auto cores = [&](const char* part, const char* what) {
      return mo.at(part).as_object().at(what).to_number<double>();
    };
    out += fmt::format(
        "machine ({} CPUs): {:.2f} cores busy and {:.2f} stolen by the hypervisor in the "
        "start-up, {:.2f} busy and {:.2f} stolen in the window\n",
        mo.at("cpus").to_number<int64_t>(), cores("startup", "busy_cores"),
        cores("startup", "steal_cores"), cores("window", "busy_cores"),
        cores("window", "steal_cores"));
  }
  out += HollowNodeApiLatencySummary(
      report, "hollow_node_api_latency_startup",
      fmt::format("start-up ({:.0f} nodes/s)", report.at("start_rate_per_s").to_number<double>()));
  out += HollowNodeApiLatencySummary(report);
  out += HollowNodeApiLatencySummary(report, "server_api_latency_startup", "server, start-up");
  out += HollowNodeApiLatencySummary(report, "server_api_latency", "server, window");
  out += ServerStorageSummary(report, "server_storage_latency_startup", ", start-up");
  out += ServerStorageSummary(report, "server_storage_latency", ", window");
  return out;
}

}  // namespace shoal::bench
