#include "scheduler/cluster_state.h"

#include <algorithm>

namespace shoal::scheduler {

int ClusterState::DomainIndex(std::vector<Domain>& domains, std::map<std::string, int>& index,
                              const std::string& key, const std::string& name) {
  auto [it, added] = index.emplace(key, static_cast<int>(domains.size()));
  if (added) domains.push_back(Domain{name, -1, {}, 0, 0});
  return it->second;
}

int ClusterState::FindNode(const std::string& name) const {
  auto it = node_index_.find(name);
  return it == node_index_.end() ? -1 : it->second;
}

void ClusterState::UpsertNode(NodeInfo info) {
  const int gpu = names_.gpu();
  int n = FindNode(info.name);
  if (n >= 0) {
    // Leave the old leaf and spine; rejoin below with the new labels and allocatable.
    NodeState& old = nodes_[n];
    Domain& leaf = leaves_[old.leaf];
    leaf.nodes.erase(std::find(leaf.nodes.begin(), leaf.nodes.end(), n));
    leaf.gpu_allocatable -= old.info.allocatable[gpu];
    leaf.gpu_requested -= old.requested[gpu];
    spines_[old.spine].gpu_allocatable -= old.info.allocatable[gpu];
    spines_[old.spine].gpu_requested -= old.requested[gpu];
    Domain& spine = spines_[old.spine];
    spine.nodes.erase(std::find(spine.nodes.begin(), spine.nodes.end(), n));
  } else {
    if (!free_slots_.empty()) {
      n = free_slots_.back();
      free_slots_.pop_back();
    } else {
      n = static_cast<int>(nodes_.size());
      nodes_.emplace_back();
    }
    node_index_[info.name] = n;
    nodes_[n] = NodeState{};
    nodes_[n].live = true;
    ++live_nodes_;
  }
  NodeState& ns = nodes_[n];
  const std::string name = info.name;
  ns.info = std::move(info);
  ns.spine = DomainIndex(spines_, spine_index_, ns.info.spine, ns.info.spine);
  // Leaf names need only be unique within their spine ("leaf-1" under every spine).
  ns.leaf = DomainIndex(leaves_, leaf_index_, ns.info.spine + "/" + ns.info.leaf, ns.info.leaf);
  leaves_[ns.leaf].parent = ns.spine;
  for (Domain* d : {&leaves_[ns.leaf], &spines_[ns.spine]}) {
    d->nodes.push_back(n);
    d->gpu_allocatable += ns.info.allocatable[gpu];
    d->gpu_requested += ns.requested[gpu];
  }
  // Pods bound to this node before it was known now count here.
  if (auto it = orphans_.find(name); it != orphans_.end()) {
    for (const std::string& key : it->second) {
      auto p = pods_.find(key);
      // Skip pods deleted or moved since, and keys listed twice (a pod updated again while
      // its node was unknown): each is charged once.
      if (p == pods_.end() || p->second.info.node_name != name || p->second.node >= 0) continue;
      p->second.node = n;
      if (HoldsResources(p->second)) Charge(n, p->second, +1);
    }
    orphans_.erase(it);
  }
  Rebucket(n);
}

void ClusterState::RemoveNode(const std::string& name) {
  int n = FindNode(name);
  if (n < 0) return;
  NodeState& ns = nodes_[n];
  const int gpu = names_.gpu();
  for (Domain* d : {&leaves_[ns.leaf], &spines_[ns.spine]}) {
    d->nodes.erase(std::find(d->nodes.begin(), d->nodes.end(), n));
    d->gpu_allocatable -= ns.info.allocatable[gpu];
    d->gpu_requested -= ns.requested[gpu];
  }
  for (const std::string& key : ns.pods) {
    auto p = pods_.find(key);
    if (p == pods_.end()) continue;
    p->second.node = -1;
    if (!p->second.assumed) orphans_[name].push_back(key);
  }
  // Reservations here end with the node (its `requested`, which counts them, goes below).
  for (auto r = reservations_.begin(); r != reservations_.end();) {
    PodState& p = pods_.at(r->second);
    if (p.reserved != n) {
      ++r;
      continue;
    }
    p.reserved = -1;
    r = reservations_.erase(r);
  }
  ns.live = false;
  ns.requested = Resources{};
  ns.pods.clear();
  Rebucket(n);
  node_index_.erase(name);
  free_slots_.push_back(n);
  --live_nodes_;
}

void ClusterState::Rebucket(int n) {
  NodeState& ns = nodes_[n];
  const int gpu = names_.gpu();
  int want = -1;
  if (ns.live && ns.info.allocatable[gpu] > 0) {
    want = static_cast<int>(std::clamp<int64_t>(ns.Free(gpu), 0, kMaxGpuBucket));
  }
  if (want == ns.bucket) return;
  if (ns.bucket >= 0) {
    std::vector<int>& b = buckets_[ns.bucket];
    int moved = b.back();
    b[ns.bucket_pos] = moved;
    nodes_[moved].bucket_pos = ns.bucket_pos;
    b.pop_back();
  }
  ns.bucket = want;
  ns.bucket_pos = -1;
  if (want >= 0) {
    ns.bucket_pos = static_cast<int>(buckets_[want].size());
    buckets_[want].push_back(n);
  }
}

void ClusterState::Charge(int n, const PodState& p, int sign) {
  NodeState& ns = nodes_[n];
  if (sign > 0) {
    ns.pods.push_back(p.info.key);
  } else {
    auto it = std::find(ns.pods.begin(), ns.pods.end(), p.info.key);
    if (it != ns.pods.end()) {
      *it = ns.pods.back();
      ns.pods.pop_back();
    }
  }
  Count(n, p.info.requests, sign);
}

void ClusterState::Count(int n, const Resources& requests, int sign) {
  NodeState& ns = nodes_[n];
  if (sign > 0) {
    ns.requested += requests;
  } else {
    ns.requested -= requests;
  }
  int64_t g = sign * requests[names_.gpu()];
  leaves_[ns.leaf].gpu_requested += g;
  spines_[ns.spine].gpu_requested += g;
  Rebucket(n);
}

bool ClusterState::TakeOffForWhatIf(const std::string& key) {
  auto it = pods_.find(key);
  if (it == pods_.end() || !HoldsResources(it->second)) return false;
  Count(it->second.node, it->second.info.requests, -1);
  return true;
}

void ClusterState::PutBackForWhatIf(const std::string& key) {
  auto it = pods_.find(key);
  if (it == pods_.end() || !HoldsResources(it->second)) return;  // not taken off
  Count(it->second.node, it->second.info.requests, 1);
}

namespace {

// Pending and not yet placed anywhere: the only pods that can hold a reservation.
bool Unplaced(const PodState& p) {
  return p.node < 0 && p.info.node_name.empty() && !p.info.terminal;
}

}  // namespace

void ClusterState::Unreserve(PodState& p) {
  if (p.reserved < 0) return;
  Count(p.reserved, p.info.requests, -1);
  reservations_.erase({p.info.priority, p.info.key});
  p.reserved = -1;
}

void ClusterState::Reserve(const std::string& key, int n) {
  if (!aside_.empty()) {  // a decision in the attempt: not to be undone at its end
    std::erase_if(aside_, [&](const auto& a) { return a.first == key; });
  }
  auto it = pods_.find(key);
  if (it == pods_.end() || it->second.reserved == n) return;
  PodState& p = it->second;
  Unreserve(p);
  if (n < 0 || !Unplaced(p) || !nodes_[n].live) return;
  Count(n, p.info.requests, 1);
  reservations_.insert({p.info.priority, p.info.key});
  p.reserved = n;
}

void ClusterState::BeginAttempt(const std::vector<const PodInfo*>& own, int32_t priority) {
  aside_.clear();
  if (reservations_.empty()) return;
  for (const PodInfo* p : own) {
    auto it = pods_.find(p->key);
    if (it != pods_.end() && it->second.reserved >= 0) {
      aside_.emplace_back(p->key, it->second.reserved);
    }
  }
  // An own pod of lower priority is listed twice: harmless (both undo and redo are idempotent).
  for (auto r = reservations_.begin(); r != reservations_.end() && r->first < priority; ++r) {
    aside_.emplace_back(r->second, pods_.at(r->second).reserved);
  }
  for (const auto& [key, n] : aside_) Unreserve(pods_.at(key));
}

void ClusterState::EndAttempt() {
  std::vector<std::pair<std::string, int>> aside;
  aside.swap(aside_);
  for (const auto& [key, n] : aside) {
    auto it = pods_.find(key);
    if (it != pods_.end() && it->second.reserved < 0) Reserve(key, n);
  }
}

void ClusterState::UpsertPod(PodInfo info) {
  auto it = pods_.find(info.key);
  if (it != pods_.end()) {
    PodState& p = it->second;
    // The reservation follows changes of status.nominatedNodeName; while the API repeats the
    // old value (events from before the scheduler's own nomination landed), it stays.
    int reserve = p.reserved;
    if (info.nominated_node != p.info.nominated_node) {
      reserve = info.nominated_node.empty() ? -1 : FindNode(info.nominated_node);
    }
    Unreserve(p);
    if (p.info.gang != info.gang) {
      auto& old = gang_members_[GangKey(p.info)];
      old.erase(std::remove(old.begin(), old.end(), p.info.key), old.end());
    }
    if (HoldsResources(p)) Charge(p.node, p, -1);
    const bool was_assumed = p.assumed;
    const int assumed_node = p.node;
    p.info = std::move(info);
    p.node = -1;
    p.assumed = false;
    if (!p.info.node_name.empty()) {
      p.node = FindNode(p.info.node_name);
      if (p.node < 0) orphans_[p.info.node_name].push_back(p.info.key);
    } else if (was_assumed) {
      // Our binding is still in flight: keep counting the pod where we put it.
      p.node = assumed_node;
      p.assumed = true;
    }
    if (HoldsResources(p)) Charge(p.node, p, +1);
    if (reserve >= 0) Reserve(p.info.key, reserve);
    if (!p.info.gang.empty()) {
      auto& members = gang_members_[GangKey(p.info)];
      if (std::find(members.begin(), members.end(), p.info.key) == members.end()) {
        members.push_back(p.info.key);
      }
    }
    return;
  }
  PodState p;
  p.info = std::move(info);
  if (!p.info.node_name.empty()) {
    p.node = FindNode(p.info.node_name);
    if (p.node < 0) orphans_[p.info.node_name].push_back(p.info.key);
  }
  if (!p.info.gang.empty()) gang_members_[GangKey(p.info)].push_back(p.info.key);
  auto [ins, _] = pods_.emplace(p.info.key, std::move(p));
  if (HoldsResources(ins->second)) Charge(ins->second.node, ins->second, +1);
  if (!ins->second.info.nominated_node.empty()) {
    Reserve(ins->first, FindNode(ins->second.info.nominated_node));
  }
}

void ClusterState::RemovePod(const std::string& key) {
  auto it = pods_.find(key);
  if (it == pods_.end()) return;
  PodState& p = it->second;
  if (HoldsResources(p)) Charge(p.node, p, -1);
  Unreserve(p);
  if (!p.info.gang.empty()) {
    auto g = gang_members_.find(GangKey(p.info));
    if (g != gang_members_.end()) {
      auto& v = g->second;
      v.erase(std::remove(v.begin(), v.end(), key), v.end());
      if (v.empty()) gang_members_.erase(g);
    }
  }
  pods_.erase(it);
}

const PodState* ClusterState::FindPod(const std::string& key) const {
  auto it = pods_.find(key);
  return it == pods_.end() ? nullptr : &it->second;
}

void ClusterState::Assume(const std::string& key, int n) {
  auto it = pods_.find(key);
  if (it == pods_.end() || it->second.node >= 0) return;
  Unreserve(it->second);
  it->second.node = n;
  it->second.assumed = true;
  if (HoldsResources(it->second)) Charge(n, it->second, +1);
}

void ClusterState::Forget(const std::string& key) {
  auto it = pods_.find(key);
  if (it == pods_.end() || !it->second.assumed) return;
  if (HoldsResources(it->second)) Charge(it->second.node, it->second, -1);
  it->second.node = -1;
  it->second.assumed = false;
}

const PodGroupInfo* ClusterState::FindPodGroup(const std::string& key) const {
  auto it = groups_.find(key);
  return it == groups_.end() ? nullptr : &it->second;
}

std::vector<std::string> ClusterState::GangMembers(const std::string& group_key) const {
  auto it = gang_members_.find(group_key);
  return it == gang_members_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace shoal::scheduler
