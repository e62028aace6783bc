// NodeRoomTracker: what the queue controller knows of where pods run, for reclaim that frees
// room on nodes (queue_placement.h). It keeps, from a node informer and an informer of every
// pod, a slim record of each schedulable node (labels, taints, allocatable) and of each bound
// pod that still holds room (its node, its requests and the Workload it belongs to), and
// builds the NodeRooms of one scheduling pass from them.
//
// Owned by the QueueController; used on its executor only.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "client/informer.h"
#include "controllers/queue_placement.h"

namespace shoal::controllers {

// The key ("ns/name") of the Workload a pod belongs to: its Job's (owner reference of kind
// Job), its pod group's (label scheduling.x-k8s.io/pod-group) or its own when it is queued
// (label kueue.x-k8s.io/queue-name); "" for any other pod.
std::string WorkloadKeyOfPod(const boost::json::object& pod);

class NodeRoomTracker {
 public:
  // Both return true when room may have been freed (a node added or changed, a bound pod
  // gone, finished or deleting, an evicted workload's pod deleted): work waiting for room
  // should be looked at again.
  bool OnNode(client::InformerEvent&& e);
  bool OnPod(client::InformerEvent&& e);

  // Every schedulable node (spec.unschedulable unset), with its free room and what each
  // Workload holds there.
  std::vector<NodeRoom> Rooms() const;

  // How many of Workload `key`'s pods have been bound to a node and not deleted since,
  // finished ones included: its pods that are not waiting for a node.
  int32_t PlacedPods(const std::string& key) const;

  // How many of Workload `key`'s pods have succeeded and are not deleted; for Indexed Jobs,
  // how many distinct completion indexes they cover.
  int32_t SucceededPods(const std::string& key) const;

  // Workload `key` was evicted: its pods are on their way out and hold no room from now on
  // (nor count as placed), though their deletion is not seen yet; were it readmitted at once,
  // its old pods would otherwise look like room taken by its new admission.
  void Evicted(const std::string& key);

  // How many pods of evicted Workload `key` that held room when it was evicted (bound, not
  // finished) have not been seen deleted yet: they may still hold their nodes (a pod being
  // deleted keeps its room until it is gone).
  int32_t GoingPods(const std::string& key) const;

  size_t pods_for_test() const { return pods_.size(); }

 private:
  struct Node {
    std::map<std::string, std::string> labels;
    std::vector<Taint> taints;
    ResourceAmounts allocatable;
    bool unschedulable = false;
  };
  struct Pod {
    std::string node;
    std::string workload;
    ResourceAmounts requests;
  };
  std::map<std::string, Node> nodes_;  // name -> node
  std::map<std::string, Pod> pods_;    // "ns/name" -> a bound pod that holds room
  // Workload key -> its pods ("ns/name") that were bound and are not deleted.
  std::map<std::string, std::set<std::string>> placed_;
  // Workload key -> its succeeded pods ("ns/name"), or their completion indexes ("#3").
  std::map<std::string, std::set<std::string>> succeeded_;
  // Pods of evicted workloads, until their deletion is seen -> their workload; and how many
  // each such workload has.
  std::map<std::string, std::string> going_;
  std::map<std::string, int32_t> going_count_;
};

}  // namespace shoal::controllers
