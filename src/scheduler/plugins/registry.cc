#include "scheduler/plugins/registry.h"

#include "scheduler/plugins/node_affinity.h"
#include "scheduler/plugins/node_resources.h"
#include "scheduler/plugins/node_unschedulable.h"
#include "scheduler/plugins/taint_toleration.h"

namespace shoal::scheduler::plugins {

Profile DefaultProfile(ScoringStrategy strategy) {
  Profile p;
  // Cheap, selective filters first: most nodes are rejected before the resource check.
  p.filters.push_back(std::make_unique<NodeUnschedulable>());
  p.filters.push_back(std::make_unique<NodeAffinity>());
  p.filters.push_back(std::make_unique<TaintToleration>());
  p.filters.push_back(std::make_unique<NodeResourcesFit>());
  p.scorers.push_back(std::make_unique<NodeResourcesScore>(strategy));
  p.scorers.push_back(std::make_unique<NodeAffinityScore>());
  p.scorers.push_back(std::make_unique<TaintTolerationScore>());
  return p;
}

}  // namespace shoal::scheduler::plugins
