#include "controllers/node_room_tracker.h"

#include <boost/json.hpp>

#include "api/object.h"
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
  const std::string name = Str(e.object, "metadata.name");
  if (e.type == InformerEvent::Type::kDeleted) {
    nodes_.erase(name);
    return false;
  }
  Node& n = nodes_[name];
  n.labels = kueue::StringMap(api::FindPath(e.object, "metadata.labels"));
  n.taints = ParseTaints(api::FindPath(e.object, "spec.taints"), n.taints, {});
  n.unschedulable = api::BoolAt(e.object, "spec.unschedulable");
  n.allocatable.clear();
  if (const json::value* a = api::FindPath(e.object, "status.allocatable"); a && a->is_object()) {
    for (const auto& [r, q] : a->get_object()) {
      absl::StatusOr<int64_t> amount = AmountOf(std::string(r), q);
      if (amount.ok()) n.allocatable[std::string(r)] = *amount;
    }
  }
  return true;
}

bool NodeRoomTracker::OnPod(InformerEvent&& e) {
  const std::string key = KeyOf(Str(e.object, "metadata.namespace"), Str(e.object, "metadata.name"));
  const std::string node = Str(e.object, "spec.nodeName");
  const std::string phase = Str(e.object, "status.phase");
  // A pod that is finished, or on its way out, holds no room that reclaim has to free.
  if (e.type == InformerEvent::Type::kDeleted || node.empty() || phase == "Succeeded" ||
      phase == "Failed" || api::FindPath(e.object, "metadata.deletionTimestamp") != nullptr) {
    return pods_.erase(key) > 0;
  }
  Pod& p = pods_[key];
  if (p.node == node) return false;  // requests and owner do not change once bound
  p.node = node;
  p.workload = WorkloadKeyOfPod(e.object);
  const json::value* spec = e.object.if_contains("spec");
  p.requests = spec && spec->is_object() ? PodRequests(spec->get_object()) : ResourceAmounts{};
  return false;
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
