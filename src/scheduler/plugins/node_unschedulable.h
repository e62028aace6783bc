// NodeUnschedulable: a cordoned node (spec.unschedulable) takes no new pods unless they
// tolerate node.kubernetes.io/unschedulable:NoSchedule.
#pragma once

#include "scheduler/framework.h"

namespace shoal::scheduler::plugins {

class NodeUnschedulable : public FilterPlugin {
 public:
  std::string_view Name() const override { return "NodeUnschedulable"; }
  bool Filter(const PodInfo& pod, const NodeState& node) const override;
  void Reasons(const PodInfo& pod, const NodeState& node, const ResourceNames& names,
               std::vector<std::string>& out) const override;
};

}  // namespace shoal::scheduler::plugins
