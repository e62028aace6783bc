// The smoke scenario (issue 7): a CI-sized mixed workload on hollow nodes. The density
// scenario (Kubernetes' density test: 30 pods per node created at a fixed rate, running until
// the end) is the same run with no gangs, no GPUs and pods that do not finish. It starts
// `shoal sim --nodes N` (default 100 x 8 GPUs) as a child, then creates four gang Jobs
// (8 whole-node pods each, shoal.io/gang) and --pods one-GPU pods from three teams at --rate
// per second, all with short simulated run times (shoal.io/sim-duration), and watches every pod.
// It reports pod startup latency (create -> Running seen by the watch) p50/p99/max, each gang's
// time from creation to all members bound and to all Running, pods bound per second, the GPU
// allocation share sampled every second, the latency of the bench's own API calls by verb and
// resource, and the server's CPU and memory when the bench started the server.
//
// Threading: RunSmoke blocks; it runs its own I/O thread.
#pragma once

#include <sys/types.h>

#include <string>

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "client/kubeconfig.h"

namespace shoal::bench {

struct SmokeOptions {
  std::string scenario = "smoke";  // the report's name: smoke or density
  std::string kubeconfig_path;     // for the sim
  std::string work_dir;
  int nodes = 100;
  int64_t pods = 300;
  double rate = 50;        // small pods created per second
  int gangs = 4;           // gang Jobs of gang_size whole-node pods
  int gang_size = 8;
  int pod_gpus = 1;        // GPUs of each small pod (0: none)
  bool pods_finish = true;  // small pods run seconds; false: until the namespace goes
  pid_t server_pid = -1;   // -1: not ours
};

absl::StatusOr<boost::json::object> RunSmoke(const client::Kubeconfig& kc,
                                             const SmokeOptions& options);
std::string SmokeSummary(const boost::json::object& report);

}  // namespace shoal::bench
