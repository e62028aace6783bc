// The queues scenario (issue 8): fair sharing of a GPU cluster between teams through shoal's
// Kueue API. It starts `shoal sim --nodes N` (8 GPUs each) as a child, creates one
// ResourceFlavor `gpu` and, per team, a namespace team-I, a ClusterQueue team-I in cohort
// `org` covering only nvidia.com/gpu (nominal quotas in proportion to the team weights
// T, T-1, ..., 1 and summing to the cluster's GPUs, fairSharing.weight the same weight,
// reclaimWithinCohort from --reclaim, default Any: a lender takes its quota back at once, by
// preemption, and stranded gangs are defragmented for) and a LocalQueue team-I; with
// --topology-aware the flavor names a topology (spec.topologyName), so that work is admitted
// only where its pods fit on nodes. For --duration seconds each team then submits queued Jobs
// at up to --rate per second whenever its queued (not admitted) GPU demand is below its
// nominal quota, so that every team stays oversubscribed: one-GPU single-pod Jobs and
// whole-node gangs (shoal.io/gang), plus one large gang per team a third of the way in, all
// with simulated run times drawn uniformly from --run-seconds (default 5-20 s) by a seeded
// RNG. Pods request only nvidia.com/gpu.
//
// It watches the Workloads and the pods and reports, every second: the share of the cluster's
// GPUs held by bound, unfinished pods (counted towards the >95 % goal only when the queued and
// not-yet-running demand covers the free GPUs, after a warm-up); each team's GPU-seconds (by
// pods, and by the quota its admitted Workloads reserve) against its entitled share; admission
// latency (Workload seen -> QuotaReserved=True seen, by job class); preemptions; and the
// server's CPU and memory when the bench started it. The goals are reported as MET/MISS
// figures, never asserted.
//
// Threading: RunQueues blocks; it runs its own I/O thread. The pure helpers below are
// stateless and safe from any thread.
#pragma once

#include <sys/types.h>

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/kubeconfig.h"

namespace shoal::bench {

struct QueuesOptions {
  std::string kubeconfig_path;  // for the sim
  std::string work_dir;
  int nodes = 200;      // hollow nodes, 8 GPUs each
  int teams = 4;        // weights teams, teams-1, ..., 1
  int duration_s = 60;  // seconds of load
  double rate = 4;      // Jobs per second per team at most
  uint64_t seed = 1;
  int min_run_s = 5, max_run_s = 20;  // each Job's simulated run time, uniform
  std::string reclaim = "Any";       // the ClusterQueues' preemption.reclaimWithinCohort
  bool topology_aware = false;       // the flavor gets spec.topologyName: admission by node room
  pid_t server_pid = -1;  // -1: not ours
  int settle_s = 10;      // after every node is Ready, before the load (`shoal bench --settle`)
};

absl::StatusOr<boost::json::object> RunQueues(const client::Kubeconfig& kc,
                                              const QueuesOptions& options);
// The readable summary of a report, with the two goals marked MET or MISS.
std::string QueuesSummary(const boost::json::object& report);

// Splits `total` in proportion to `weights` (all > 0), rounding down and giving what is left
// to the first entries, one each, so that the parts sum to `total`.
std::vector<int64_t> SplitByWeight(int64_t total, const std::vector<int64_t>& weights);

struct TeamShare {
  double entitled = 0;     // the team's fraction of the whole
  double used_share = 0;   // its fraction of all that was used (0 when nothing was)
  double abs_diff_pp = 0;  // |used_share - entitled| in percentage points
};
// Each team's share of `used` (e.g. GPU-seconds) against its share of `entitled` (e.g. nominal
// quota); the two vectors have one entry per team.
std::vector<TeamShare> SharesOf(const std::vector<double>& used,
                                const std::vector<int64_t>& entitled);

struct AllocationSummary {
  int64_t samples = 0;  // samples counted
  double mean = 0, p5 = 0, min = 0;
  double above_goal = 0;  // fraction of the samples at or above the goal
};
// Summarizes allocation samples (fractions 0..1); p5 is the nearest-rank 5th percentile.
AllocationSummary SummarizeAllocation(std::vector<double> samples, double goal);

}  // namespace shoal::bench
