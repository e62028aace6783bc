// Where the queues' admitted work runs, for reclaim that frees room on nodes and not only
// quota (issue 8). Preemption by quota alone (Kueue's order: lowest priority, most recently
// admitted first) often evicts small workloads scattered over many nodes: the reclaimer's
// quota comes back, but no node has room for its whole-node pods, and its gang waits for
// unrelated pods to finish while the freed GPUs stay idle. RoomModel answers "do these pods
// fit once those workloads are gone?" and, when they do not, chooses victims node by node so
// that they do.
//
// Built by the QueueController from its node and pod informers for one scheduling pass;
// pure value types and functions otherwise, no I/O. Not thread-safe; one pass owns it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controllers/taints.h"

namespace shoal::controllers {

using ResourceAmounts = std::map<std::string, int64_t>;  // resource name -> amount

// m[r], or 0 when `m` has no `r`.
int64_t AmountIn(const ResourceAmounts& m, const std::string& r);

// One schedulable node as reclaim sees it.
struct NodeRoom {
  std::string name;
  std::map<std::string, std::string> labels;
  std::vector<Taint> taints;  // NoSchedule and NoExecute taints keep untolerating pods off
  // Allocatable minus the requests of every pod bound here that has not finished or been
  // deleted (queued or not).
  ResourceAmounts free;
  // Admitted workload key -> the requests of its pods bound here.
  std::map<std::string, ResourceAmounts> held;
};

// The pods of one pod set, as placement sees them (amounts in queue_quota.h's units).
struct PodsToPlace {
  int32_t count = 0;
  ResourceAmounts per_pod;
  std::map<std::string, std::string> node_selector;  // the pod set's and its flavors' labels
  std::vector<Toleration> tolerations;               // the pod set's and its flavors'
};

// A workload reclaim may evict, with its priority and what its admission holds in total.
struct VictimCandidate {
  std::string key;
  int32_t priority = 0;
  ResourceAmounts usage;
};

class RoomModel {
 public:
  explicit RoomModel(std::vector<NodeRoom> nodes);

  // Whether every pod fits in the nodes' free room once the pods of the workloads in
  // `evicted` are gone (first fit, largest pod sets first). With `commit`, the room the pods
  // take is used up for the rest of the pass, and `evicted` freed for good.
  bool Fits(const std::vector<PodsToPlace>& pods, const std::set<std::string>& evicted,
            bool commit);

  // Uses up room for as many of `pods` as fit (first fit), for pods that will take room
  // soon: those of admitted workloads that are not bound yet.
  void Reserve(const std::vector<PodsToPlace>& pods);

  // Frees the room of workload `key`'s pods for the rest of the pass (they are on their way
  // out: the workload was evicted).
  void Release(const std::string& key);

  // What the pods of workload `key` hold on all nodes together.
  ResourceAmounts Held(const std::string& key) const;

  // Victims among `candidates` (preferred first) whose eviction leaves room for every pod:
  // node by node, the node that needs the cheapest eviction to take one more pod (lowest
  // highest-priority among the new victims, then the least of their usage counted in pods of
  // the reclaimer's size). `allowed(i)` says whether candidate i may still be taken (e.g. its
  // ClusterQueue still borrows); `take(i)` is called for each one taken, in order. Indexes
  // into `candidates`, in the order taken (empty: the pods fit as things are); nullopt when
  // even every allowed candidate does not make room.
  std::optional<std::vector<size_t>> VictimsForRoom(
      const std::vector<PodsToPlace>& pods, const std::vector<VictimCandidate>& candidates,
      const std::function<bool(size_t)>& allowed, const std::function<void(size_t)>& take) const;

 private:
  // What the pods of the workloads in `keys` hold on `node`.
  ResourceAmounts Held(const std::set<std::string>& keys, size_t node) const;

  std::vector<NodeRoom> nodes_;
  // Workload key -> (node index, what its pods hold there).
  std::map<std::string, std::vector<std::pair<size_t, const ResourceAmounts*>>> where_;
};

}  // namespace shoal::controllers
