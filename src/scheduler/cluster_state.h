// ClusterState: the scheduler's picture of the cluster - nodes with what their pods request,
// pods (pending, bound and assumed), pod groups, and the network topology (leaves, spines) -
// kept current from watch events and by the scheduler's own assumptions (a pod it decided to
// bind counts on its node before the binding is confirmed, as kube-scheduler's cache does).
//
// Indexes for the scheduling loop: nodes are dense indices; GPU nodes are bucketed by free
// GPUs so that packing finds the tightest nodes without scanning all of them; leaves and
// spines keep their GPU totals.
//
// Threading: not thread-safe; owned by the scheduler's thread.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "scheduler/resources.h"
#include "scheduler/types.h"

namespace shoal::scheduler {

struct NodeState {
  NodeInfo info;
  bool live = false;       // false for a free slot (deleted node)
  Resources requested;     // of the non-terminal pods bound or assumed here
  std::vector<std::string> pods;  // keys of those pods
  int leaf = -1, spine = -1;
  int bucket = -1, bucket_pos = -1;  // place in the free-GPU index

  int64_t Free(int slot) const { return info.allocatable[slot] - requested[slot]; }
};

struct Domain {  // a leaf or a spine
  std::string name;
  int parent = -1;  // a leaf's spine
  std::vector<int> nodes;
  int64_t gpu_allocatable = 0, gpu_requested = 0;
};

struct PodState {
  PodInfo info;
  int node = -1;         // bound or assumed node, -1 while pending
  bool assumed = false;  // placed by this scheduler, binding not yet seen
  int reserved = -1;     // pending and nominated: the node its requests are reserved on
};

class ClusterState {
 public:
  explicit ClusterState(TopologyKeys keys = {}) : keys_(std::move(keys)) {}

  ResourceNames& names() { return names_; }
  const ResourceNames& names() const { return names_; }
  const TopologyKeys& topology_keys() const { return keys_; }

  // Nodes.
  void UpsertNode(NodeInfo info);
  void RemoveNode(const std::string& name);
  int FindNode(const std::string& name) const;  // -1 if unknown
  const std::vector<NodeState>& nodes() const { return nodes_; }
  const NodeState& node(int i) const { return nodes_[i]; }
  int live_nodes() const { return live_nodes_; }
  const std::vector<Domain>& leaves() const { return leaves_; }
  const std::vector<Domain>& spines() const { return spines_; }
  // Nodes whose free GPUs are exactly `n` (n capped at kMaxGpuBucket).
  static constexpr int kMaxGpuBucket = 64;
  const std::vector<int>& GpuBucket(int n) const { return buckets_[n]; }

  // Pods. A pod holds resources on its node while bound or assumed and not terminal.
  void UpsertPod(PodInfo info);
  void RemovePod(const std::string& key);
  const PodState* FindPod(const std::string& key) const;
  const std::unordered_map<std::string, PodState>& pods() const { return pods_; }
  // Counts `key` (pending) on node `n` until Forget or until its binding is observed.
  void Assume(const std::string& key, int n);
  // Undoes Assume (a failed bind): the pod is pending again.
  void Forget(const std::string& key);
  // What-if removal, for preemption planning: takes the requests of pod `key` off its node,
  // leaf and spine (what placement reads) as if it were gone; the pod itself stays known, on
  // its node's list. Returns false, doing nothing, if it holds no resources. Every pod taken
  // off must be put back (PutBackForWhatIf) before any other change to the state; the free-GPU
  // buckets may then list their nodes in another order.
  bool TakeOffForWhatIf(const std::string& key);
  void PutBackForWhatIf(const std::string& key);

  // Nominated pods. A pending pod nominated to a node (after its preemption chose that node, or
  // status.nominatedNodeName seen changing through the API) has its requests reserved there,
  // so that the room its victims free is not taken by another pod of its priority or lower:
  // kube-scheduler likewise counts nominated pods of priority >= the pod's on each node it
  // filters. The reservation ends when the pod is placed, bound, ends or goes, or is
  // nominated elsewhere. Reserved room counts in `requested` (a node can be over-full while
  // the victims terminate). Reserve(key, -1) ends a reservation.
  void Reserve(const std::string& key, int n);
  size_t reservations() const { return reservations_.size(); }
  // One scheduling attempt: BeginAttempt takes off the reservations of `own` (the pods being
  // placed) and of every pod of lower priority than `priority`; EndAttempt puts back those
  // whose pods are still unplaced and were not given another node (Reserve) in between.
  void BeginAttempt(const std::vector<const PodInfo*>& own, int32_t priority);
  void EndAttempt();

  // Pod groups.
  void UpsertPodGroup(PodGroupInfo g) { groups_[g.key] = std::move(g); }
  void RemovePodGroup(const std::string& key) { groups_.erase(key); }
  const PodGroupInfo* FindPodGroup(const std::string& key) const;
  // Keys of the pods that name the group (pending, bound and assumed).
  std::vector<std::string> GangMembers(const std::string& group_key) const;

 private:
  void Charge(int n, const PodState& p, int sign);
  // Adds (sign 1) or subtracts (-1) `requests` on node `n`, its leaf and its spine.
  void Count(int n, const Resources& requests, int sign);
  void Rebucket(int n);
  void Unreserve(PodState& p);
  int DomainIndex(std::vector<Domain>& domains, std::map<std::string, int>& index,
                  const std::string& key, const std::string& name);

  TopologyKeys keys_;
  ResourceNames names_;
  std::vector<NodeState> nodes_;
  std::unordered_map<std::string, int> node_index_;
  std::vector<int> free_slots_;
  int live_nodes_ = 0;
  std::vector<Domain> leaves_, spines_;
  std::map<std::string, int> leaf_index_, spine_index_;  // by "spine/leaf" and spine name
  std::vector<std::vector<int>> buckets_ = std::vector<std::vector<int>>(kMaxGpuBucket + 1);
  std::unordered_map<std::string, PodState> pods_;
  std::unordered_map<std::string, std::vector<std::string>> gang_members_;  // group key -> pods
  std::unordered_map<std::string, PodGroupInfo> groups_;
  std::set<std::pair<int32_t, std::string>> reservations_;  // (priority, pod key)
  std::vector<std::pair<std::string, int>> aside_;          // (pod key, node) in an attempt
  // Pods bound to nodes not (yet) known, by node name: charged when the node appears.
  std::unordered_map<std::string, std::vector<std::string>> orphans_;
};

// The key of a pod's group ("ns/name"); "" for a pod outside any group.
inline std::string GangKey(const PodInfo& p) {
  return p.gang.empty() ? std::string() : p.ns + "/" + p.gang;
}

// Whether the pod counts against its node's resources.
inline bool HoldsResources(const PodState& p) { return p.node >= 0 && !p.info.terminal; }

}  // namespace shoal::scheduler
