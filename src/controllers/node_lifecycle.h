// NodeLifecycleController: kube-controller-manager's node lifecycle controller and its
// taint-eviction controller (the "taint manager") in one class, for one zone (the cluster).
//
//  - Health: a node is alive while its Lease in kube-node-lease is renewed (or, without a
//    Lease, while the agent posts its Ready condition's lastHeartbeatTime). As in kube, what
//    counts is when this controller *observed* a renewal, with the first sight of a node
//    counting as one (a restarted controller does not declare every node dead). A node silent
//    for longer than node_monitor_grace_period gets its agent-owned conditions set to Unknown
//    (reason NodeStatusUnknown) and its pods' Ready condition set to False (MarkPodsNotReady).
//  - Taints: Ready=Unknown gives node.kubernetes.io/unreachable:NoSchedule and :NoExecute,
//    Ready=False gives node.kubernetes.io/not-ready:NoSchedule and :NoExecute (NoExecute
//    with timeAdded); Ready=True removes them. Other taints are never touched.
//  - Eviction: a pod on a node with a NoExecute taint that it does not tolerate is deleted at
//    once; one that tolerates it with tolerationSeconds is deleted that long after the taint's
//    timeAdded. Before the DELETE (a normal, graceful one) the pod gets the condition
//    DisruptionTarget (DeletionByTaintManager). Deletions are rate limited cluster-wide to
//    node_eviction_rate pods/s (a token bucket, burst 1).
//  - Disruption guard: with at least 3 nodes and more than unhealthy_zone_threshold of them
//    not Ready at once, the control plane is probably the one cut off: evictions stop (taints
//    are still applied) until the share falls back; each change is logged and recorded as an
//    Event (EvictionsPaused / EvictionsResumed).
// Pods bound to a deleted node are PodGCController's business (pod_gc.h), as in kube.
//
// Memory: nodes keep a small typed view (conditions, taints, probe time); pods keep their
// node, uid, a few flags and an interned toleration set - never whole objects.
//
// Threading: everything runs on the executor given to the constructor (one thread); Start and
// the ForTest hooks spawn onto it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/clock.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/transport.h"
#include "controllers/controllers.h"
#include "controllers/taints.h"

namespace shoal::controllers {



// When a pod with `tolerations` must leave a node with `taints` (only NoExecute ones count):
// the earliest over the taints of since + the shortest tolerationSeconds among the
// tolerations matching that taint (a taint matched by none: its `since`, i.e. at once).
// nullopt when every NoExecute taint is tolerated forever (or there is none).
std::optional<TimePoint> EvictionTime(const std::vector<Taint>& taints,
                                      const std::vector<Toleration>& tolerations);

class NodeLifecycleController {
 public:
  // `transport` and `clock` must outlive the controller.
  NodeLifecycleController(boost::asio::any_io_executor executor, client::Transport& transport,
                          const ControllerOptions& options,
                          const base::Clock& clock = base::RealClock::Get());

  // Starts the informers (nodes, leases, pods), the monitor loop (every
  // node_monitor_period, once the informers have synced) and the eviction worker.
  void Start();

  // Tests: the informers only; passes run when TickForTest says so.
  void StartInformersForTest();
  // Tests: one monitor pass at the clock's now, then the evictions due now (as many as the
  // rate limiter allows); returns when every write it caused has been answered.
  boost::asio::awaitable<void> TickForTest();
  // Tests: whether the informers have synced and what they have seen.
  bool SyncedForTest() const { return nodes_synced_ && leases_synced_ && pods_synced_; }
  size_t NodeCountForTest() const { return nodes_.size(); }
  size_t PodCountForTest() const { return pods_.size(); }
  // The last lease renewTime seen for `node`.
  std::optional<TimePoint> LeaseRenewForTest(const std::string& node) const;
  // The Ready status last seen or written for `node` ("" if unknown).
  std::string ReadyForTest(const std::string& node) const;
  // "<node>" plus " ready" (Ready=True) and " terminating" for a bound pod ("ns/name"); ""
  // for a pod not known.
  std::string PodStateForTest(const std::string& key) const;
  bool EvictionsPausedForTest() const { return paused_; }

 private:
  struct Condition {
    std::string type, status;
  };
  struct NodeHealth {
    std::string uid;
    std::string ready;            // Ready condition status: True, False, Unknown, "" (none)
    std::string ready_heartbeat;  // its lastHeartbeatTime
    std::string created;          // metadata.creationTimestamp
    std::vector<Condition> conditions;
    std::vector<Taint> taints;
    int64_t resource_version = 0;  // of the newest copy seen (watch or a write's answer)
    TimePoint probe{};  // when it was last seen alive (controller clock)
    bool busy = false;  // an update of this node is in flight
  };
  struct PodInfo {
    std::string node;
    std::string uid;
    std::shared_ptr<const std::vector<Toleration>> tolerations;
    bool terminating = false;  // deletionTimestamp set (or deleted by us)
    bool ready_true = false;   // has the Ready condition, status True
  };

  void OnNode(client::InformerEvent&& e);
  // Takes in a copy of a node, from the watch or from the answer of a write (`known_only`: a
  // node no longer known, deleted meanwhile, is not added back); one older than the copy
  // already seen is ignored.
  void ObserveNode(const boost::json::object& object, bool known_only = false);
  void OnLease(client::InformerEvent&& e);
  void OnPod(client::InformerEvent&& e);
  // Records the Ready status of a node seen or written, with the NodeNotReady Event on a
  // transition away from True.
  void SetReady(const std::string& name, NodeHealth& node, const std::string& ready);
  std::shared_ptr<const std::vector<Toleration>> Intern(const boost::json::value* tolerations);

  boost::asio::awaitable<void> MonitorLoop();
  // One health pass over every node: spawns the node updates it needs, updates the
  // disruption state.
  void MonitorPass();
  // Writes Ready=Unknown (when `mark_unknown`) and the taints that `ready` calls for.
  boost::asio::awaitable<void> UpdateNode(std::string name, bool mark_unknown, std::string ready);
  boost::asio::awaitable<bool> MarkConditionsUnknown(const std::string& name);
  boost::asio::awaitable<void> ReconcileTaints(const std::string& name, std::string ready);
  boost::asio::awaitable<void> MarkPodsNotReady(std::string node);

  // Eviction scheduling: (re)computes when pods must go and queues them.
  void EvaluateNodePods(const std::string& node);
  void EvaluatePod(const std::string& pod_key);
  std::optional<TimePoint> PodEvictionTime(const PodInfo& pod) const;
  boost::asio::awaitable<void> EvictionLoop();
  // Moves due pods to the ready queue and evicts as many as the limiter allows.
  boost::asio::awaitable<void> DrainEvictions();
  boost::asio::awaitable<void> Evict(std::string pod_key);
  bool TakeToken(TimePoint now);
  void Wake();

  boost::asio::any_io_executor executor_;
  client::Transport& transport_;
  const ControllerOptions options_;
  const base::Clock& clock_;
  client::EventRecorder recorder_;
  boost::asio::steady_timer wake_;  // the eviction worker's sleep

  bool nodes_synced_ = false, leases_synced_ = false, pods_synced_ = false;
  std::unordered_map<std::string, NodeHealth> nodes_;
  std::unordered_map<std::string, TimePoint> lease_renew_;  // node name -> renewTime seen
  std::unordered_map<std::string, PodInfo> pods_;           // "ns/name"
  std::unordered_map<std::string, std::unordered_set<std::string>> pods_on_node_;
  std::unordered_map<std::string, std::shared_ptr<const std::vector<Toleration>>> tolerations_;
  int in_flight_ = 0;  // node updates and pod writes not yet answered

  // Evictions: `scheduled_` by time (an entry is live while `eviction_at_` agrees), then
  // `ready_` in order, limited by the token bucket.
  std::multimap<TimePoint, std::string> scheduled_;
  std::unordered_map<std::string, TimePoint> eviction_at_;
  std::deque<std::string> ready_;
  std::unordered_set<std::string> in_ready_;
  double tokens_ = 1;
  TimePoint tokens_at_{};
  bool paused_ = false;
  bool draining_ = false;
};

}  // namespace shoal::controllers
