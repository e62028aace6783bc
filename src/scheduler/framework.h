// The scheduling framework, after kube-scheduler's: named plugins at extension points. Filter
// plugins say whether a pod may run on a node; score plugins rank the nodes that pass. A
// Profile is the ordered set of plugins a scheduler runs (plugins/registry.h builds it).
//
// Filters are called in the hot loop (thousands of nodes per decision): Filter must not
// allocate. Reasons, which builds kube-scheduler's texts ("Insufficient nvidia.com/gpu"), is
// called only to explain a failure.
//
// Threading: plugins are immutable after construction and may be shared.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler/cluster_state.h"

namespace shoal::scheduler {

class FilterPlugin {
 public:
  virtual ~FilterPlugin() = default;
  virtual std::string_view Name() const = 0;
  // Whether `pod` fits `node` as it is now (its requested resources included).
  virtual bool Filter(const PodInfo& pod, const NodeState& node) const = 0;
  // Why `pod` does not fit `node` (after Filter said no), in kube-scheduler's words.
  virtual void Reasons(const PodInfo& pod, const NodeState& node, const ResourceNames& names,
                       std::vector<std::string>& out) const = 0;
  // True when removing pods from the node can make Filter pass (resources only): preemption
  // considers a node only if every failing filter is resolvable.
  virtual bool ResolvableByPreemption() const { return false; }
};

class ScorePlugin {
 public:
  virtual ~ScorePlugin() = default;
  virtual std::string_view Name() const = 0;
  // A score in [0, 100] for placing `pod` on `node` (which passed every filter); higher wins.
  virtual int64_t Score(const PodInfo& pod, const NodeState& node,
                        const ClusterState& state) const = 0;
  virtual int64_t weight() const { return 1; }
};

enum class ScoringStrategy { kPack, kSpread };

struct Profile {
  std::vector<std::unique_ptr<FilterPlugin>> filters;
  std::vector<std::unique_ptr<ScorePlugin>> scorers;

  // Whether every filter passes.
  bool Feasible(const PodInfo& pod, const NodeState& node) const {
    for (const auto& f : filters) {
      if (!f->Filter(pod, node)) return false;
    }
    return true;
  }
  // Whether every filter that fails could pass after preemption.
  bool FeasibleIgnoringResources(const PodInfo& pod, const NodeState& node) const {
    for (const auto& f : filters) {
      if (!f->ResolvableByPreemption() && !f->Filter(pod, node)) return false;
    }
    return true;
  }
  int64_t Score(const PodInfo& pod, const NodeState& node, const ClusterState& state) const {
    int64_t total = 0;
    for (const auto& s : scorers) total += s->weight() * s->Score(pod, node, state);
    return total;
  }
};

}  // namespace shoal::scheduler
