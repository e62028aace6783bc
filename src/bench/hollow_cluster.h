// Hollow-node clusters for bench scenarios (smoke, density, queues): starting `shoal sim` as a
// child of the bench (this binary, its log and data dir under a work dir) and waiting until
// its nodes are Ready. The child is stopped with StopChild (server_process.h).
//
// Threading: both functions are coroutines on the caller's executor (starting the child
// blocks briefly).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "absl/status/status.h"
#include "client/transport.h"

namespace shoal::bench {

// Starts `shoal sim --nodes N --nodes-per-leaf 16` (8 GPUs per node) against the server of
// `kubeconfig_path` (its data in WORK_DIR/sim, its output in WORK_DIR/sim.log) and polls the
// node list until at least `nodes` nodes are Ready=True. `*sim_pid` is set as soon as the
// child runs, also when the wait fails: the caller stops it. Errors: those of SpawnShoal;
// DeadlineExceeded when the nodes are not Ready within `timeout`.
boost::asio::awaitable<absl::Status> StartHollowNodes(client::Transport& transport,
                                                      const std::string& kubeconfig_path,
                                                      const std::string& work_dir, int nodes,
                                                      std::chrono::seconds timeout,
                                                      pid_t* sim_pid);

// Waits `d` on the caller's executor.
boost::asio::awaitable<void> SleepFor(std::chrono::steady_clock::duration d);

}  // namespace shoal::bench
