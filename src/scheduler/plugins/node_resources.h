// NodeResourcesFit: the pod's requests (cpu, memory, ephemeral-storage, pod count, extended
// resources such as nvidia.com/gpu) must fit the node's allocatable minus what its
// non-terminated pods request. Scoring: packing (MostAllocated on GPUs, and a bonus for
// partly used leaves, so that whole nodes and leaves stay free for gangs) or spreading
// (LeastAllocated).
#pragma once

#include "scheduler/framework.h"

namespace shoal::scheduler::plugins {

class NodeResourcesFit : public FilterPlugin {
 public:
  std::string_view Name() const override { return "NodeResourcesFit"; }
  bool Filter(const PodInfo& pod, const NodeState& node) const override;
  void Reasons(const PodInfo& pod, const NodeState& node, const ResourceNames& names,
               std::vector<std::string>& out) const override;
  bool ResolvableByPreemption() const override { return true; }
};

// How many pods requesting `requests` fit in `free` (INT32_MAX-capped for zero requests).
int64_t FitCount(const Resources& requests, const Resources& free);
// Whether `requests` fit in `free`.
bool Fits(const Resources& requests, const Resources& free);

class NodeResourcesScore : public ScorePlugin {
 public:
  explicit NodeResourcesScore(ScoringStrategy strategy) : strategy_(strategy) {}
  std::string_view Name() const override { return "NodeResourcesScore"; }
  int64_t Score(const PodInfo& pod, const NodeState& node,
                const ClusterState& state) const override;
  int64_t weight() const override { return 3; }

 private:
  ScoringStrategy strategy_;
};

}  // namespace shoal::scheduler::plugins
