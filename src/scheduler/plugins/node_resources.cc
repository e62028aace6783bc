#include "scheduler/plugins/node_resources.h"

#include <algorithm>
#include <climits>

namespace shoal::scheduler::plugins {

bool Fits(const Resources& requests, const Resources& free) {
  for (int i = 0; i < kMaxResources; ++i) {
    if (requests[i] > 0 && requests[i] > free[i]) return false;
  }
  return true;
}

int64_t FitCount(const Resources& requests, const Resources& free) {
  int64_t n = INT32_MAX;
  for (int i = 0; i < kMaxResources; ++i) {
    if (requests[i] <= 0) continue;
    n = std::min(n, free[i] <= 0 ? 0 : free[i] / requests[i]);
  }
  return n;
}

bool NodeResourcesFit::Filter(const PodInfo& pod, const NodeState& node) const {
  for (int i = 0; i < kMaxResources; ++i) {
    if (pod.requests[i] > 0 && pod.requests[i] > node.Free(i)) return false;
  }
  return true;
}

void NodeResourcesFit::Reasons(const PodInfo& pod, const NodeState& node,
                               const ResourceNames& names, std::vector<std::string>& out) const {
  for (int i = 0; i < names.size(); ++i) {
    if (pod.requests[i] <= 0 || pod.requests[i] <= node.Free(i)) continue;
    out.push_back(i == kPods ? std::string("Too many pods") : "Insufficient " + names.Name(i));
  }
}

int64_t NodeResourcesScore::Score(const PodInfo& pod, const NodeState& node,
                                  const ClusterState& state) const {
  // Utilisation after placing the pod, averaged over the resources it asks for.
  int64_t sum = 0, count = 0;
  for (int i = 0; i < kMaxResources; ++i) {
    if (i == kPods || pod.requests[i] <= 0 || node.info.allocatable[i] <= 0) continue;
    int64_t used = std::min(node.requested[i] + pod.requests[i], node.info.allocatable[i]);
    sum += used * 100 / node.info.allocatable[i];
    ++count;
  }
  int64_t util = count == 0 ? 0 : sum / count;
  if (strategy_ == ScoringStrategy::kSpread) return 100 - util;
  // Packing: also prefer the leaf whose GPUs are most used, so that empty leaves stay empty.
  const int gpu = state.names().gpu();
  if (pod.requests[gpu] > 0 && node.leaf >= 0) {
    const Domain& leaf = state.leaves()[node.leaf];
    int64_t leaf_util =
        leaf.gpu_allocatable > 0 ? leaf.gpu_requested * 100 / leaf.gpu_allocatable : 0;
    return (2 * util + leaf_util) / 3;
  }
  return util;
}

}  // namespace shoal::scheduler::plugins
