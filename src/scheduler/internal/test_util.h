// Helpers for the scheduler's unit tests and benchmarks: GPU nodes and pods built directly as
// the scheduler's typed views (NodeInfo, PodInfo), without going through JSON.
//
// Header-only; stateless functions, safe from any thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/resources.h"
#include "scheduler/types.h"

namespace shoal::scheduler::internal {

inline constexpr int64_t kGi = int64_t{1} << 30;

// A GPU node like a DGX: 96 cpu, 1.5Ti memory, 110 pods and `gpus` nvidia.com/gpu, labelled
// with kubernetes.io/hostname and, when given, its leaf and spine (default TopologyKeys).
inline NodeInfo GpuNode(const ResourceNames& names, const std::string& name, int64_t gpus,
                        const std::string& leaf = "", const std::string& spine = "") {
  NodeInfo n;
  n.name = name;
  n.leaf = leaf;
  n.spine = spine;
  n.allocatable[kCpu] = 96'000;
  n.allocatable[kMemory] = 1536 * kGi;
  n.allocatable[kPods] = 110;
  n.allocatable[names.gpu()] = gpus;
  const TopologyKeys keys;
  n.labels.emplace_back("kubernetes.io/hostname", name);
  if (!leaf.empty()) n.labels.emplace_back(keys.leaf, leaf);
  if (!spine.empty()) n.labels.emplace_back(keys.spine, spine);
  std::sort(n.labels.begin(), n.labels.end());
  return n;
}

// A pending pod "ns/name" asking for `gpus` GPUs with 11 cpu and 160Gi memory per GPU (so that a
// whole 8-GPU node fits one 8-GPU pod, and GPUs run out before cpu or memory), or 1 cpu and 1Gi
// when it asks for none.
inline PodInfo GpuPod(const ResourceNames& names, const std::string& name, int64_t gpus,
                      int32_t priority = 0, const std::string& gang = "",
                      const std::string& ns = "default") {
  PodInfo p;
  p.ns = ns;
  p.name = name;
  p.uid = "uid-" + name;
  p.key = ns + "/" + name;
  p.scheduler_name = "default-scheduler";
  p.priority = priority;
  p.gang = gang;
  p.requests[kCpu] = gpus > 0 ? 11'000 * gpus : 1'000;
  p.requests[kMemory] = gpus > 0 ? 160 * kGi * gpus : kGi;
  p.requests[kPods] = 1;
  p.requests[names.gpu()] = gpus;
  return p;
}

// The same pod, bound to `node`.
inline PodInfo BoundTo(PodInfo p, std::string node) {
  p.node_name = std::move(node);
  return p;
}

// Pointers to `pods`, as PlaceGang and PlanPreemption take them.
inline std::vector<const PodInfo*> PodPtrs(const std::vector<PodInfo>& pods) {
  std::vector<const PodInfo*> out;
  out.reserve(pods.size());
  for (const PodInfo& p : pods) out.push_back(&p);
  return out;
}

}  // namespace shoal::scheduler::internal
