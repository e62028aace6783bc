#include "controllers/node_room_tracker.h"

#include <boost/json.hpp>

#include "api/object.h"
#include "base/strings.h"
#include "controllers/queue_objects.h"

namespace shoal::controllers {

namespace json = boost::json;
using client::InformerEvent;
using kueue::KeyOf;
using kueue::Str;

std::string WorkloadKeyOfPod(const json::object& pod) {
  const std::string ns = Str(pod, "metadata.namespace");
  if (const json::value* refs = api::FindPath(pod, "metadata.ownerReferences");
      refs && refs->is_array()) {
    for (const json::value& r : refs->get_array()) {
      if (Str(r, "kind") == "Job" && Str(r, "apiVersion") == "batch/v1") {
        return KeyOf(ns, WorkloadNameForJob(Str(r, "name"), Str(r, "uid")));
      }
    }
  }
  if (kueue::LabelOf(pod, kQueueNameLabel).empty()) return "";
  return QueuedPodWorkloadKey(pod);
}

bool NodeRoomTracker::OnNode(InformerEvent&& e) {
  const std::string name = Str(e.object(), "metadata.name");
  if (e.type == InformerEvent::Type::kDeleted) {
    nodes_.erase(name);
    return false;
  }
  Node& n = nodes_[name];
  n.labels = kueue::StringMap(api::FindPath(e.object(), "metadata.labels"));
  n.taints = ParseTaints(api::FindPath(e.object(), "spec.taints"), n.taints, {});
  n.unschedulable = api::BoolAt(e.object(), "spec.unschedulable");
  n.allocatable.clear();
  if (const json::value* a = api::FindPath(e.object(), "status.allocatable"); a && a->is_object()) {
    for (const auto& [r, q] : a->get_object()) {
      absl::StatusOr<int64_t> amount = AmountOf(std::string(r), q);
      if (amount.ok()) n.allocatable[std::string(r)] = *amount;
    }
  }
  return true;
}

bool NodeRoomTracker::OnPod(InformerEvent&& e) {
  const std::string key =
      KeyOf(Str(e.object(), "metadata.namespace"), Str(e.object(), "metadata.name"));
  const std::string node = Str(e.object(), "spec.nodeName");
  const std::string phase = Str(e.object(), "status.phase");
  const bool deleted = e.type == InformerEvent::Type::kDeleted;
  if (auto g = going_.find(key); g != going_.end()) {
    // Its room was counted free when its workload was evicted; its deletion, or its end (a
    // pod that finished meanwhile is not deleted by the eviction), tells that the node really
    // has it now (a preemptor may wait for that).
    if (!deleted && phase != "Succeeded" && phase != "Failed") return false;
    if (auto c = going_count_.find(g->second); c != going_count_.end() && --c->second <= 0) {
      going_count_.erase(c);
    }
    going_.erase(g);
    return true;
  }
  auto held = pods_.find(key);
  // An event of a pod already holding room on its node changes nothing but its phase.
  const bool known = held != pods_.end() && held->second.node == node;
  const bool placed_may_change = !node.empty() && (!known || deleted);
  const bool succeeded_may_change = phase == "Succeeded" || deleted;
  // The Workload it belongs to ("" for work no queue admits), worked out once, and only when
  // a count below may change.
  std::string workload;
  if (placed_may_change || succeeded_may_change) {
    workload = known ? held->second.workload : WorkloadKeyOfPod(e.object());
  }
  if (!workload.empty() && succeeded_may_change) {
    // Succeeded pods per Workload, until they are deleted.
    std::string index = kueue::LabelOf(e.object(), "batch.kubernetes.io/job-completion-index");
    std::string entry = index.empty() ? key : base::StrCat("#", index);
    if (!deleted && !node.empty()) {
      succeeded_[workload].insert(std::move(entry));
    } else if (auto it = succeeded_.find(workload);
               it != succeeded_.end() && it->second.erase(entry) > 0 && it->second.empty()) {
      succeeded_.erase(it);
    }
  }
  if (!workload.empty() && placed_may_change) {
    // Placed pods per Workload, finished ones included, until they are deleted.
    if (!deleted) {
      placed_[workload].insert(key);
    } else if (auto it = placed_.find(workload);
               it != placed_.end() && it->second.erase(key) > 0 && it->second.empty()) {
      placed_.erase(it);
    }
  }
  // A pod that is finished, or on its way out, holds no room that reclaim has to free.
  if (deleted || node.empty() || phase == "Succeeded" || phase == "Failed" ||
      api::FindPath(e.object(), "metadata.deletionTimestamp") != nullptr) {
    if (held == pods_.end()) return false;
    pods_.erase(held);
    return true;
  }
  if (known) return false;  // requests and owner do not change once bound
  Pod& p = pods_[key];
  p.node = node;
  p.workload = std::move(workload);
  const json::value* spec = e.object().if_contains("spec");
  p.requests = spec && spec->is_object() ? PodRequests(spec->get_object()) : ResourceAmounts{};
  return false;
}

int32_t NodeRoomTracker::PlacedPods(const std::string& key) const {
  auto it = placed_.find(key);
  return it == placed_.end() ? 0 : static_cast<int32_t>(it->second.size());
}

int32_t NodeRoomTracker::SucceededPods(const std::string& key) const {
  auto it = succeeded_.find(key);
  return it == succeeded_.end() ? 0 : static_cast<int32_t>(it->second.size());
}

int32_t NodeRoomTracker::GoingPods(const std::string& key) const {
  auto it = going_count_.find(key);
  return it == going_count_.end() ? 0 : it->second;
}

void NodeRoomTracker::Evicted(const std::string& key) {
  auto it = placed_.find(key);
  if (it == placed_.end()) return;
  for (const std::string& pod : it->second) {
    // Only pods that hold room are waited for: a finished pod is not deleted by the eviction.
    if (pods_.erase(pod) > 0 && going_.emplace(pod, key).second) ++going_count_[key];
  }
  placed_.erase(it);
}

std::vector<NodeRoom> NodeRoomTracker::Rooms() const {
  std::vector<NodeRoom> out;
  std::map<std::string, size_t> index;
  for (const auto& [name, n] : nodes_) {
    if (n.unschedulable) continue;
    index[name] = out.size();
    out.push_back(NodeRoom{name, n.labels, n.taints, n.allocatable, {}});
  }
  for (const auto& [key, p] : pods_) {
    auto it = index.find(p.node);
    if (it == index.end()) continue;
    NodeRoom& room = out[it->second];
    for (const auto& [r, v] : p.requests) {
      room.free[r] -= v;
      if (!p.workload.empty()) room.held[p.workload][r] += v;
    }
  }
  return out;
}

}  // namespace shoal::controllers
