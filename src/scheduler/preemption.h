// Preemption: when a pod or a gang fits nowhere, find lower-priority pods whose removal makes
// room. Rules (kube-scheduler's, plus gangs): only pods of strictly lower priority are
// victims; a preemptor with preemptionPolicy Never preempts nothing; a victim that belongs to
// a gang takes its whole gang with it (a gang is never left broken), so a gang with any
// member of equal or higher priority is not preemptible; among candidate nodes, a single pod
// takes the one whose victims have the least total priority, then the fewest. A gang is
// placed as if every preemptible pod were gone (with its topology rules), then only the
// victims its chosen nodes need are kept (kube's "reprieve").
//
// Threading: scheduler thread. Planning a gang's preemption changes the state while it runs
// (what-if removals) and puts it back before returning; nothing else may touch it meanwhile.
#pragma once

#include <string>
#include <vector>

#include "scheduler/cluster_state.h"
#include "scheduler/framework.h"
#include "scheduler/placement.h"

namespace shoal::scheduler {

struct PreemptionPlan {
  bool ok = false;
  std::vector<int> nodes;            // nominated node per preemptor pod
  std::vector<std::string> victims;  // pod keys, whole gangs included
};

PreemptionPlan PlanPreemption(const Profile& profile, ClusterState& state,
                              const std::vector<const PodInfo*>& pods,
                              PodGroupInfo::Locality locality, PlacementOptions options = {});

}  // namespace shoal::scheduler
