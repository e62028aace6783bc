// Placement: the decisions of the scheduling cycle, on a ClusterState snapshot.
//   - PlaceOne: the best node for one pod (filters, then scores on a bounded sample of
//     feasible nodes; GPU pods under packing search the free-GPU buckets tightest first).
//   - PlaceGang: nodes for `need` pods of a gang at once, or none: the fewest leaves, then
//     spines, then the tightest fit (DESIGN.md "Topology"); a PodGroup may require one leaf or
//     one spine.
//   - Explain*: kube-scheduler style messages for pods and gangs that do not fit.
// Nothing here changes the state; the scheduler assumes the result afterwards.
//
// Threading: used on the scheduler's thread; holds references to the profile and the state.
#pragma once

#include <string>
#include <vector>

#include "scheduler/cluster_state.h"
#include "scheduler/framework.h"

namespace shoal::scheduler {

struct PlacementOptions {
  // Feasible nodes scored per decision (kube-scheduler samples too: percentageOfNodesToScore).
  int max_scored_nodes = 64;
  ScoringStrategy strategy = ScoringStrategy::kPack;
};

struct GangPlan {
  bool ok = false;
  std::vector<int> nodes;  // per pod, in the order given
  int leaves = 0, spines = 0;  // how many the placement spans
  std::string why;         // when !ok: one line, for the PodGroup and its Event
};

class Placer {
 public:
  Placer(const Profile& profile, const ClusterState& state, PlacementOptions options = {})
      : profile_(profile), state_(state), options_(options) {}

  // The chosen node index, or -1 when no node fits.
  int PlaceOne(const PodInfo& pod);

  // "0/7500 nodes are available: 7400 Insufficient nvidia.com/gpu, 100 node(s) had
  // untolerated taint {shoal.io/unhealthy: }." (reasons by count, largest first).
  std::string ExplainOne(const PodInfo& pod) const;

  // Places `pods` (the members to place now) all or none. `locality` from the PodGroup.
  GangPlan PlaceGang(const std::vector<const PodInfo*>& pods, PodGroupInfo::Locality locality);

 private:
  // How many pods like `rep` fit on each node (0 where a filter other than resources fails).
  std::vector<int64_t> Capacities(const PodInfo& rep) const;
  // Assigns pods to the nodes of `domain_nodes` (tightest first), checking each pod's own
  // requests and filters; false if some pod does not fit.
  bool Assign(const std::vector<const PodInfo*>& pods, std::vector<int> domain_nodes,
              const std::vector<int64_t>& capacity, std::vector<int>& out) const;
  std::string NodeReasons(const PodInfo& pod) const;

  const Profile& profile_;
  const ClusterState& state_;
  const PlacementOptions options_;
  size_t rotation_ = 0;  // where the next full scan starts, to spread the sampling
};

}  // namespace shoal::scheduler
