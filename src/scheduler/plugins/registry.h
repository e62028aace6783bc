// The explicit plugin registry: which plugins a scheduler profile runs, in order.
#pragma once

#include "scheduler/framework.h"

namespace shoal::scheduler::plugins {

// NodeUnschedulable, NodeAffinity, TaintToleration and NodeResourcesFit filters; resource
// scoring by `strategy` (packing fills partly used nodes and leaves first), preferred node
// affinity and PreferNoSchedule taints.
Profile DefaultProfile(ScoringStrategy strategy);

}  // namespace shoal::scheduler::plugins
