// TaintToleration: a node's NoSchedule and NoExecute taints must each be tolerated by the
// pod; PreferNoSchedule taints the pod does not tolerate lower the node's score.
#pragma once

#include "scheduler/framework.h"

namespace shoal::scheduler::plugins {

class TaintToleration : public FilterPlugin {
 public:
  std::string_view Name() const override { return "TaintToleration"; }
  bool Filter(const PodInfo& pod, const NodeState& node) const override;
  // "node(s) had untolerated taint {key: value}" for the first untolerated taint.
  void Reasons(const PodInfo& pod, const NodeState& node, const ResourceNames& names,
               std::vector<std::string>& out) const override;
};

class TaintTolerationScore : public ScorePlugin {
 public:
  std::string_view Name() const override { return "TaintTolerationScore"; }
  int64_t Score(const PodInfo& pod, const NodeState& node,
                const ClusterState& state) const override;
};

}  // namespace shoal::scheduler::plugins
