#include "bench/bench.h"
#include "bench/chart.h"

#include <cstdio>
#include <fstream>
#include <memory>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdlib.h>

#include <filesystem>

#include "bench/api_load.h"
#include "bench/pod_startup.h"
#include "bench/queues.h"
#include "bench/heartbeat.h"
#include "bench/recovery.h"
#include "bench/smoke.h"
#include "client/kubeconfig.h"
#include "bench/server_process.h"

namespace shoal::bench {

namespace json = boost::json;
using client::Kubeconfig;
using client::ReadKubeconfig;

namespace {

// Indented JSON, so that reports read well in a diff.
void Pretty(std::string& out, const json::value& v, int indent) {
  const std::string pad(indent + 2, ' ');
  if (const json::object* o = v.if_object(); o != nullptr && !o->empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& [k, child] : *o) {
      if (!first) out += ",\n";
      first = false;
      out += pad + json::serialize(json::string_view(k)) + ": ";
      Pretty(out, child, indent + 2);
    }
    out += '\n';
    out.append(indent, ' ');
    out += '}';
  } else if (const json::array* a = v.if_array(); a != nullptr && !a->empty()) {
    out += "[\n";
    for (size_t i = 0; i < a->size(); ++i) {
      if (i > 0) out += ",\n";
      out += pad;
      Pretty(out, (*a)[i], indent + 2);
    }
    out += '\n';
    out.append(indent, ' ');
    out += ']';
  } else {
    out += json::serialize(v);
  }
}

absl::StatusOr<json::object> RunApiLoadScenario(const Kubeconfig& kc, const BenchFlags& flags,
                                                pid_t server_pid) {
  ApiLoadOptions options;
  options.clients = flags.clients;
  options.duration_s = flags.duration_s;
  options.pods = flags.pods;
  options.list_pods = flags.list_pods;
  options.list_clients = flags.list_clients;
  options.list_repeats = flags.list_repeats;
  options.list_limit = flags.list_limit;
  options.client_threads = flags.client_threads;
  options.server_pid = server_pid;
  return RunApiLoad(kc, options);
}

}  // namespace

int RunBench(const BenchFlags& flags) {
  if (flags.scenario != "api-load" && flags.scenario != "pod-startup" &&
      flags.scenario != "gang-restart" && flags.scenario != "node-failure" &&
      flags.scenario != "heartbeat" && flags.scenario != "smoke" &&
      flags.scenario != "density" && flags.scenario != "queues" &&
      flags.scenario != "ml-7500") {
    fmt::print(stderr,
               "error: --scenario: Unsupported value: \"{}\": supported values: \"api-load\", "
               "\"pod-startup\", \"gang-restart\", \"node-failure\", \"heartbeat\", "
               "\"smoke\", \"density\", \"queues\", \"ml-7500\"\n",
               flags.scenario);
    return 1;
  }
  if (flags.scenario == "gang-restart" && flags.nodes > 64) {
    fmt::print(stderr, "error: --nodes: gang-restart runs one real agent per node: at most 64\n");
    return 1;
  }
  if (flags.run_seconds.first > flags.run_seconds.second) {
    fmt::print(stderr, "error: --run-seconds MIN MAX needs MIN <= MAX\n");
    return 1;
  }

  // The observer's priority, before any thread starts (server_process.h, SetOwnNice).
  if (flags.nice != 0) {
    if (absl::Status st = SetOwnNice(flags.nice); !st.ok()) {
      fmt::print(stderr,
                 "warning: --nice {}: {}; the bench runs at its inherited priority, and on a "
                 "busy machine its own watch may lag behind what it measures\n",
                 flags.nice, std::string(st.message()));
    }
  }

  // Fail before the long run if the report cannot be written.
  {
    std::ofstream probe(flags.out, std::ios::app);
    if (!probe) {
      fmt::print(stderr, "error: cannot write the report to {}\n", flags.out);
      return 1;
    }
  }
  std::unique_ptr<ServerProcess> server;
  Kubeconfig kc;
  if (flags.kubeconfig.empty()) {
    std::vector<std::string> args = RecoveryServerArgs(flags.scenario);
    // api-load measures the API server (issue 2's goals). Its 150,000 pods have no node to
    // go to: an in-process scheduler would write each one's Unschedulable condition (a
    // second write per create, and 409s for the PUT phase) and the controllers would hold
    // them all; docs/performance.md gives that full-server figure separately.
    if (flags.scenario == "api-load") args = {"--disable", "scheduler,controllers"};
    if (flags.server_threads > 0) {
      args.insert(args.end(), {"--threads", std::to_string(flags.server_threads)});
    }
    // The server flags the bench passes on; -1: the server's default.
    for (const auto& [flag, value] :
         {std::pair{"--max-requests-inflight", flags.server_max_requests_inflight},
          std::pair{"--max-mutating-requests-inflight",
                    flags.server_max_mutating_requests_inflight},
          std::pair{"--tls-handshake-threads", flags.server_tls_handshake_threads},
          std::pair{"--store-commit-delay-us", flags.server_store_commit_delay_us},
          std::pair{"--watch-threads", flags.server_watch_threads}}) {
      if (value >= 0) args.insert(args.end(), {flag, std::to_string(value)});
    }
    if (!args.empty()) fmt::print("server flags: {}\n", fmt::join(args, " "));
    auto started = ServerProcess::Start(args, std::chrono::seconds(60));
    if (!started.ok()) {
      fmt::print(stderr, "error: starting shoal server: {}\n", std::string(started.status().message()));
      return 1;
    }
    server = std::move(*started);
    kc = server->kubeconfig();
    fmt::print("started shoal server (pid {}) at {} in {}\n", server->pid(), kc.server,
               server->data_dir());
  } else {
    auto read = ReadKubeconfig(flags.kubeconfig);
    if (!read.ok()) {
      fmt::print(stderr, "error: {}\n", std::string(read.status().message()));
      return 1;
    }
    kc = *read;
  }
  std::fflush(stdout);

  absl::StatusOr<json::object> report;
  std::string summary;
  const std::string kubeconfig_path =
      server ? server->data_dir() + "/data/admin.kubeconfig" : flags.kubeconfig;
  std::string work_dir =
      (std::filesystem::temp_directory_path() / "shoal-bench.XXXXXX").string();
  if (flags.scenario != "api-load" && mkdtemp(work_dir.data()) == nullptr) {
    fmt::print(stderr, "error: cannot create a temp dir\n");
    return 1;
  }
  if (flags.scenario == "pod-startup") {
    PodStartupOptions options;
    options.kubeconfig_path = kubeconfig_path;
    options.pods = flags.pods > 0 ? flags.pods : 1000;
    options.rate = flags.rate;
    options.work_dir = work_dir;
    report = RunPodStartup(kc, options);
    if (report.ok()) summary = PodStartupSummary(*report);
  } else if (flags.scenario == "smoke" || flags.scenario == "density" ||
             flags.scenario == "ml-7500") {
    SmokeOptions options;
    options.scenario = flags.scenario;
    options.kubeconfig_path = kubeconfig_path;
    options.work_dir = work_dir;
    options.nodes = flags.nodes_set ? flags.nodes : 100;
    options.pods = flags.pods > 0 ? flags.pods : 300;
    options.rate = flags.rate_set ? flags.rate : 50;
    if (flags.gangs >= 0) options.gang_sizes.assign(flags.gangs, flags.gang_size);
    if (flags.scenario == "density") {
      options.pods = flags.pods > 0 ? flags.pods : 30 * int64_t{options.nodes};
      options.rate = flags.rate_set ? flags.rate : 100;
      options.gang_sizes.clear();
      options.pod_gpus = 0;
      options.pods_finish = false;
    } else if (flags.scenario == "ml-7500") {
      options.nodes = flags.nodes_set ? flags.nodes : 7500;
      options.pods = flags.pods > 0 ? flags.pods : 20000;
      options.rate = flags.rate_set ? flags.rate : 100;
      options.gang_sizes = flags.gangs >= 0 ? std::vector<int>(flags.gangs, flags.gang_size)
                                            : MlGangSizes(options.nodes);
      options.gang_run_s = 120;
      options.teams = 20;
      options.min_run_s = 5;
      options.max_run_s = 180;
      options.balloons = MlBalloons(options.nodes, options.gang_sizes);
    }
    options.server_pid = server ? server->pid() : -1;
    options.settle_s = flags.settle_s;
    options.sim_http1 = flags.sim_http1;
    report = RunSmoke(kc, options);
    if (report.ok()) summary = SmokeSummary(*report);
  } else if (flags.scenario == "queues") {
    QueuesOptions options;
    options.kubeconfig_path = kubeconfig_path;
    options.work_dir = work_dir;
    options.nodes = flags.nodes_set ? flags.nodes : 200;
    options.teams = flags.teams;
    options.duration_s = flags.duration_set ? flags.duration_s : 60;
    options.rate = flags.rate_set ? flags.rate : 4;
    options.seed = flags.seed;
    options.min_run_s = flags.run_seconds.first;
    options.max_run_s = flags.run_seconds.second;
    options.reclaim = flags.reclaim;
    options.topology_aware = flags.topology_aware;
    options.server_pid = server ? server->pid() : -1;
    options.settle_s = flags.settle_s;
    report = RunQueues(kc, options);
    if (report.ok()) summary = QueuesSummary(*report);
  } else if (flags.scenario == "heartbeat") {
    HeartbeatOptions options;
    options.kubeconfig_path = kubeconfig_path;
    options.work_dir = work_dir;
    options.nodes = flags.nodes;
    options.duration_s = flags.duration_s;
    options.server_pid = server ? server->pid() : -1;
    options.shared_pod_watch = flags.shared_pod_watch;
    options.sim_http1 = flags.sim_http1;
    options.shared_connections = flags.shared_connections;
    options.settle_s = flags.settle_s;
    if (flags.rate_set) options.start_rate = flags.rate;
    report = RunHeartbeat(kc, options);
    if (report.ok()) summary = HeartbeatSummary(*report);
  } else if (flags.scenario == "gang-restart" || flags.scenario == "node-failure") {
    RecoveryOptions options;
    options.kubeconfig_path = kubeconfig_path;
    options.work_dir = work_dir;
    options.nodes = flags.nodes;
    options.rounds = flags.rounds;
    options.pods = flags.pods > 0 ? flags.pods : 50;
    report = flags.scenario == "gang-restart" ? RunGangRestart(kc, options)
                                              : RunNodeFailure(kc, options);
    if (report.ok()) summary = RecoverySummary(*report);
  } else {
    report = RunApiLoadScenario(kc, flags, server ? server->pid() : -1);
    if (report.ok()) summary = ApiLoadSummary(*report);
  }
  if (flags.scenario != "api-load") {
    if (getenv("SHOAL_BENCH_KEEP") == nullptr) {
      std::error_code ec;
      std::filesystem::remove_all(work_dir, ec);
    } else {
      fmt::print("kept the bench's own files (sim.log, ...) in {}\n", work_dir);
    }
  }
  // The priorities the run had: the bench's own and its server's (SetOwnNice).
  json::object nice{{"bench", SelfStats().nice}};
  if (server) {
    if (auto st = ReadProcessStats(server->pid()); st.ok()) nice["server"] = st->nice;
  }
  std::string server_end;
  if (server) server_end = server->Stop();
  if (!report.ok()) {
    fmt::print(stderr, "error: {}\n", std::string(report.status().message()));
    return 1;
  }
  if (server) {
    json::value& srv = (*report)["server"];
    if (!srv.is_object()) srv = json::object();
    srv.as_object()["stopped"] = server_end;
  }
  (*report)["nice"] = std::move(nice);
  std::string text;
  Pretty(text, *report, 0);
  text += "\n";
  std::ofstream f(flags.out, std::ios::trunc);
  f << text;
  f.close();
  if (!f) {
    fmt::print(stderr, "error: writing the report to {} failed\n", flags.out);
    return 1;
  }
  fmt::print("{}", summary);
  if (server) fmt::print("\nserver {}\n", server_end);
  fmt::print("report: {}\n", flags.out);
  // The report's per-second series as a chart beside it (x.json -> x.svg).
  std::vector<ChartSeries> series = PerSecondSeries(*report);
  if (!series.empty()) {
    std::string svg_path = flags.out.ends_with(".json")
                               ? flags.out.substr(0, flags.out.size() - 5) + ".svg"
                               : flags.out + ".svg";
    std::ofstream svg(svg_path, std::ios::trunc);
    svg << ChartSvg(fmt::format("shoal bench --scenario {}", flags.scenario), series);
    svg.close();
    if (svg) fmt::print("chart: {}\n", svg_path);
  }
  return 0;
}

}  // namespace shoal::bench
