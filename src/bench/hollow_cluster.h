// Hollow-node clusters for bench scenarios (smoke, density, queues, heartbeat): starting
// `shoal sim` as a child of the bench (this binary, its log and data dir under a work dir)
// and waiting until its nodes are Ready, and RunScenario, which runs a scenario on its own
// I/O thread and stops the child afterwards (StopChild, server_process.h).
//
// Threading: StartHollowNodes and SleepFor are coroutines on the caller's executor (starting
// the child blocks briefly); RunScenario blocks the calling thread, which runs the I/O.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/server_process.h"
#include "client/http_transport.h"
#include "client/kubeconfig.h"
#include "client/transport.h"

namespace shoal::bench {

// The leaf size of the hollow clusters the bench starts (`shoal sim --nodes-per-leaf`).
inline constexpr int kBenchNodesPerLeaf = 16;

// Starts `shoal sim --nodes N --nodes-per-leaf 16` (with --http1 when `sim_http1`; 8 GPUs per
// node) against the server of
// `kubeconfig_path` (its data in WORK_DIR/sim, its output in WORK_DIR/sim.log), waits for its
// --ready-file (every node registered and listed its pods) and then polls the node list until
// at least `nodes` nodes are Ready=True. `*sim_pid` is set as soon as the
// child runs, also when the wait fails: the caller stops it. Errors: those of SpawnShoal;
// DeadlineExceeded when the nodes are not Ready within `timeout`. Then it waits `settle` more
// (`shoal bench --settle`): each new node renews its Lease and writes its status in its first
// 10 s, and a workload started at once is measured inside that backlog of the registration.
boost::asio::awaitable<absl::Status> StartHollowNodes(client::Transport& transport,
                                                      const std::string& kubeconfig_path,
                                                      const std::string& work_dir, int nodes,
                                                      std::chrono::seconds timeout,
                                                      std::chrono::seconds settle,
                                                      pid_t* sim_pid, bool sim_http1 = false);

// Starts `shoal sim --nodes N` plus `extra_args` against `kubeconfig_path`, with the work-dir
// layout the helpers below read: its data in WORK_DIR/sim, its output in WORK_DIR/sim.log, its
// API latency in WORK_DIR/sim-api-latency.json, its --ready-file in WORK_DIR/sim.ready.
// Errors: those of SpawnShoal.
absl::StatusOr<pid_t> SpawnSim(const std::string& kubeconfig_path, const std::string& work_dir,
                               int nodes, const std::vector<std::string>& extra_args);

// Polls every 100 ms until the ready file of a sim that SpawnSim started in `work_dir` exists
// (every node has registered and listed its pods); false when `deadline` passes first.
boost::asio::awaitable<bool> WaitForSimReady(const std::string& work_dir,
                                             std::chrono::steady_clock::time_point deadline);

// Waits `d` on the caller's executor.
boost::asio::awaitable<void> SleepFor(std::chrono::steady_clock::duration d);

// How a scenario's run went, for its report: how long it took, what the local server (if any)
// had used before and after, and how the `shoal sim` child ended.
struct ScenarioRunEnd {
  double elapsed_s = 0;
  ProcessStats server_before, server_after;  // zero without a local server
  std::string sim_end;                       // StopChild's answer, or "not started"
  // The API latency the hollow nodes saw, by "VERB resource" (`shoal sim --api-latency-out`,
  // written when it stops); empty when the sim did not run or wrote nothing.
  boost::json::object hollow_node_api_latency;
};

// Reads what `shoal sim --api-latency-out` wrote under `work_dir` (empty if nothing).
boost::json::object ReadHollowNodeApiLatency(const std::string& work_dir);
// Summary lines for a report's "hollow_node_api_latency", or another `key` of the same form
// ("server_api_latency": no max), each line starting with `label` (none when it is absent or
// empty).
std::string HollowNodeApiLatencySummary(const boost::json::object& report,
                                        std::string_view key = "hollow_node_api_latency",
                                        std::string_view label = "hollow nodes");
// The "server store<when>: ..." and "server resume<when>: ..." lines of the report's `key`, a
// ServerStorageLatencyBetween summary (none when it is absent); `when` is "" or ", start-up".
std::string ServerStorageSummary(const boost::json::object& report, std::string_view key,
                                 std::string_view when = "");
// Reads a JSON object from a file (empty if it is missing or not one).
boost::json::object ReadJsonObjectFile(const std::string& path);

// Runs `run.Main()` to its end on a private I/O thread (this one) with an HTTPS transport to
// `kc` (set in `run.transport` for the run), reading `server_pid`'s stats (-1: none) around it,
// then stops `run.sim_pid`'s child if one was started. A `run.watching` flag, where the run
// has one, is cleared when Main ends. Errors: the transport's creation.
template <typename Run>
absl::StatusOr<ScenarioRunEnd> RunScenario(const client::Kubeconfig& kc, pid_t server_pid,
                                           Run& run) {
  boost::asio::io_context io(1);
  auto transport = client::HttpTransport::Create(io.get_executor(), kc);
  if (!transport.ok()) return transport.status();
  run.transport = transport->get();
  auto stats = [&] {
    return server_pid > 0 ? ReadProcessStats(server_pid).value_or(ProcessStats{})
                          : ProcessStats{};
  };
  ScenarioRunEnd end;
  end.server_before = stats();
  const auto t0 = std::chrono::steady_clock::now();
  boost::asio::co_spawn(io, run.Main(), [&](std::exception_ptr) {
    if constexpr (requires { run.watching = false; }) run.watching = false;
    io.stop();
  });
  io.run();
  run.transport = nullptr;
  end.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  end.server_after = stats();
  const bool sim_ran = run.sim_pid > 0;
  end.sim_end = sim_ran ? StopChild(run.sim_pid) : "not started";  // clears run.sim_pid
  if constexpr (requires { run.options.work_dir; }) {
    if (sim_ran) end.hollow_node_api_latency = ReadHollowNodeApiLatency(run.options.work_dir);
  }
  return end;
}

}  // namespace shoal::bench
