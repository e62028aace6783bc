// Recovery scenarios: how fast the controllers react to failures, with real `shoal agent`
// children (this binary, --fake-gpus 8) on this machine.
//
//   gang-restart  --nodes N agents; one Indexed gang Job (shoal.io/gang) of N whole-node pods
//                 (8 GPUs each). Each round makes member 0 exit 1 and measures, from that
//                 moment: the failure observed (pod Failed), every old member gone, the new
//                 gang bound, the new gang Running (all N, new uids). --rounds rounds.
//   node-failure  one agent (--node-lease-duration-seconds 2) holds --pods pods that tolerate node.kubernetes.io/unreachable for
//                 0 s; the agent is SIGKILLed; measured from the moment its Lease expired
//                 (last renewTime + the grace period): the node tainted unreachable:NoExecute,
//                 and every pod evicted (deletionTimestamp set).
//
// The server's delays are part of the figures: run the scenario against a server started with
// the flags it prints (bench.cc starts its own with them).
//
// Threading: the Run functions block; each runs its own I/O thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "client/kubeconfig.h"

namespace shoal::bench {

struct RecoveryOptions {
  std::string kubeconfig_path;  // for the agents
  std::string work_dir;         // agents' data dirs, logs, the pods' trigger files
  int nodes = 4;                // gang-restart: agents and gang size
  int rounds = 5;               // gang-restart: failures injected
  int64_t pods = 50;            // node-failure: pods on the failing node
  std::chrono::milliseconds grace{4000};  // node-failure: the server's node monitor grace
};

// The server flags each scenario is measured with (bench.cc passes them to its own server).
std::vector<std::string> RecoveryServerArgs(const std::string& scenario);

absl::StatusOr<boost::json::object> RunGangRestart(const client::Kubeconfig& kc,
                                                   const RecoveryOptions& options);
absl::StatusOr<boost::json::object> RunNodeFailure(const client::Kubeconfig& kc,
                                                   const RecoveryOptions& options);
std::string RecoverySummary(const boost::json::object& report);

}  // namespace shoal::bench
