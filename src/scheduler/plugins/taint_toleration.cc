#include "scheduler/plugins/taint_toleration.h"

#include <algorithm>

namespace shoal::scheduler::plugins {

namespace {

bool Tolerated(const PodInfo& pod, const Taint& taint) {
  return std::any_of(pod.tolerations.begin(), pod.tolerations.end(),
                     [&](const Toleration& t) { return t.Tolerates(taint); });
}

}  // namespace

bool TaintToleration::Filter(const PodInfo& pod, const NodeState& node) const {
  for (const Taint& t : node.info.taints) {
    if (t.effect != TaintEffect::kPreferNoSchedule && !Tolerated(pod, t)) return false;
  }
  return true;
}

void TaintToleration::Reasons(const PodInfo& pod, const NodeState& node, const ResourceNames&,
                              std::vector<std::string>& out) const {
  for (const Taint& t : node.info.taints) {
    if (t.effect != TaintEffect::kPreferNoSchedule && !Tolerated(pod, t)) {
      out.push_back("node(s) had untolerated taint " + t.Describe());
      return;
    }
  }
}

int64_t TaintTolerationScore::Score(const PodInfo& pod, const NodeState& node,
                                    const ClusterState&) const {
  int64_t bad = 0;
  for (const Taint& t : node.info.taints) {
    if (t.effect == TaintEffect::kPreferNoSchedule && !Tolerated(pod, t)) ++bad;
  }
  return std::max<int64_t>(0, 100 - 25 * bad);
}

}  // namespace shoal::scheduler::plugins
