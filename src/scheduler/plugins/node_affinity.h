// NodeAffinity: spec.nodeSelector and required node affinity (terms ORed, requirements ANDed;
// In, NotIn, Exists, DoesNotExist, Gt, Lt; matchFields on metadata.name) filter nodes;
// preferred node affinity scores them by the summed weights of matching terms.
#pragma once

#include "scheduler/framework.h"

namespace shoal::scheduler::plugins {

// Whether `node` satisfies one node selector term.
bool TermMatches(const NodeSelectorTerm& term, const NodeInfo& node);

class NodeAffinity : public FilterPlugin {
 public:
  std::string_view Name() const override { return "NodeAffinity"; }
  bool Filter(const PodInfo& pod, const NodeState& node) const override;
  void Reasons(const PodInfo& pod, const NodeState& node, const ResourceNames& names,
               std::vector<std::string>& out) const override;
};

class NodeAffinityScore : public ScorePlugin {
 public:
  std::string_view Name() const override { return "NodeAffinityScore"; }
  // The matching preferred weights as a share of all of them, scaled to 0..100.
  int64_t Score(const PodInfo& pod, const NodeState& node,
                const ClusterState& state) const override;
  int64_t weight() const override { return 2; }
};

}  // namespace shoal::scheduler::plugins
