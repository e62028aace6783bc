// Real `shoal agent` children for bench scenarios (this binary, --fake-gpus 8, --port 0, a data
// dir and a log each under a work dir), and waiting for their nodes to be Ready and out of
// preflight.
//
// Threading: SpawnAgents/StopAgents block briefly; NodesReady is a coroutine on the caller's
// executor.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/transport.h"

namespace shoal::bench {

// Starts one agent per node name, with `extra_args` appended. On error the ones already
// started are stopped.
absl::StatusOr<std::vector<pid_t>> SpawnAgents(const std::string& kubeconfig_path,
                                               const std::vector<std::string>& nodes,
                                               const std::string& work_dir,
                                               const std::vector<std::string>& extra_args = {});
// Stops every agent still running (pid -1 = already stopped).
void StopAgents(std::vector<pid_t>& pids);

// Waits until every node is Ready=True with no taints; DeadlineExceeded after `timeout`.
boost::asio::awaitable<absl::Status> NodesReady(client::Transport& transport,
                                                std::vector<std::string> nodes,
                                                std::chrono::seconds timeout);

}  // namespace shoal::bench
