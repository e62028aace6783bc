#include "scheduler/plugins/node_unschedulable.h"

namespace shoal::scheduler::plugins {

bool NodeUnschedulable::Filter(const PodInfo& pod, const NodeState& node) const {
  if (!node.info.unschedulable) return true;
  static const Taint kCordon{"node.kubernetes.io/unschedulable", "", TaintEffect::kNoSchedule};
  for (const Toleration& t : pod.tolerations) {
    if (t.Tolerates(kCordon)) return true;
  }
  return false;
}

void NodeUnschedulable::Reasons(const PodInfo&, const NodeState&, const ResourceNames&,
                                std::vector<std::string>& out) const {
  out.emplace_back("node(s) were unschedulable");
}

}  // namespace shoal::scheduler::plugins
