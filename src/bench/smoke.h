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
// The ml-7500 scenario is the same run at cluster scale (issue 7): 7,500 nodes, two 1,024-node
// gangs, ten 128-node gangs and fifty 16-node gangs (MlGangSizes scales the mix to --nodes),
// 20,000 one-GPU pods from 20 teams with run times of seconds to minutes arriving at a fixed
// rate, and balloons: 8-GPU placeholder pods at priority -10 (PriorityClass shoal-balloon)
// created first on the nodes the gangs will not need, which small pods displace (scheduler
// preemption) once the free GPUs run out. It also reports each pod's create answered -> first
// watch event (watch delivery as a client sees it) and the balloons displaced.
//
// Threading: RunSmoke blocks; it runs its own I/O thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

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
  std::vector<int> gang_sizes{8, 8, 8, 8};  // one gang Job of that many whole-node pods each
  int gang_run_s = 10;     // the gangs' simulated run time
  int teams = 3;           // small pods are labelled team=team-<i % teams>
  int min_run_s = 2, max_run_s = 5;  // the small pods' run times, uniform (seeded)
  int64_t balloons = 0;    // 8-GPU balloon pods at priority -10, created before the rest
  int pod_gpus = 1;        // GPUs of each small pod (0: none)
  bool pods_finish = true;  // small pods run seconds; false: until the namespace goes
  pid_t server_pid = -1;   // -1: not ours
  bool sim_http1 = false;  // `shoal sim --http1` (two HTTP/1.1 connections per node)
  int settle_s = 10;       // after every node is Ready, before the load (`shoal bench --settle`)
};

absl::StatusOr<boost::json::object> RunSmoke(const client::Kubeconfig& kc,
                                             const SmokeOptions& options);
std::string SmokeSummary(const boost::json::object& report);

// ml-7500's gangs for `nodes` nodes: 2 x 1024, 10 x 128 and 50 x 16 at 7,500 nodes; below, the
// counts and sizes shrink in proportion (at least one gang of each kind, at least 2 pods).
std::vector<int> MlGangSizes(int nodes);
// Balloons for ml-7500: the nodes the gangs leave, less a headroom of 400 nodes at 7,500 (in
// proportion below), so that small pods find free GPUs first and then displace balloons.
int64_t MlBalloons(int nodes, const std::vector<int>& gang_sizes);

}  // namespace shoal::bench
