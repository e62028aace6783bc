// QueueController: shoal's native Kueue (issue 8). It serves the kueue.x-k8s.io API that the
// server installs as CRDs (ResourceFlavor, ClusterQueue, LocalQueue, Workload):
//  - a batch/v1 Job labelled `kueue.x-k8s.io/queue-name` (created suspended by admission)
//    gets a Workload owned by it: one pod set of `parallelism` pods, with the priority of the
//    WorkloadPriorityClass its label kueue.x-k8s.io/priority-class names, or else of its pod
//    template's PriorityClass;
//  - a bare pod with that label (created behind the scheduling gate kueue.x-k8s.io/admission)
//    gets a Workload of its own; pods sharing the label scheduling.x-k8s.io/pod-group are one
//    Workload (a gang), made once the group has as many pods as the annotation
//    kueue.x-k8s.io/pod-group-total-count says (or, without it, the pods present);
//    admission removes the gates (and adds the flavor's node labels and tolerations), and
//    preemption deletes the pods;
//  - each pass of the quota arithmetic (queue_quota.h) admits whole workloads: the Workload's
//    status gets its admission (flavor per resource) and the QuotaReserved and Admitted
//    conditions, and the Job is unsuspended with the flavor's node labels in its pod
//    template's nodeSelector and the flavor's tolerations added;
//  - a workload that waits has QuotaReserved=False (reason Pending) with a message saying why,
//    and a Pending Event;
//  - a preempted workload is evicted (condition Evicted, reason Preempted; its admission
//    removed) and its Job suspended again, which removes its pods; it waits in its queue;
//  - a finished Job's Workload gets Finished=True and releases its quota in the same pass; a
//    Job whose succeeded pods (as the pod watch saw them) reach its completions is finished
//    before its status says so;
//  - a ClusterQueue admits only workloads of namespaces its namespaceSelector matches (null
//    matches none, {} all, as in Kueue) and nothing while its stopPolicy is Hold or
//    HoldAndDrain (which also evicts what it has admitted: reason ClusterQueueStopped);
//  - ClusterQueue and LocalQueue status: pending, reserving and admitted workload counts and
//    the flavors' usage;
//  - once a ClusterQueue or a ResourceFlavor with a topologyName exists, it also watches
//    nodes and pods, so that reclaim chooses victims whose eviction leaves room on nodes for
//    the preemptor's pods, and work is admitted to a topology-aware flavor only when its pods
//    fit in the free room of the flavor's nodes (queue_placement.h), not by quota alone;
//  - an admitted workload of a ClusterQueue that may preempt, whose pods have waited for nodes
//    longer than `defragment_after`, gets room: smaller work is evicted for it (Schedule's
//    `overdue`).
//
// Threading: one executor; informers and writes run on it. A pass runs at most every
// `min_pass_interval` after a change, so a burst of events costs one pass.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/transport.h"
#include "controllers/node_room_tracker.h"
#include "controllers/queue_objects.h"
#include "controllers/queue_quota.h"
#include "controllers/status_writer.h"

namespace shoal::controllers {

class QueueController {
 public:
  // `defragment_after`: how long an admitted workload's pods may wait for nodes before the
  // pass evicts smaller work to make room for them (queue_quota.h, Schedule's `overdue`).
  QueueController(boost::asio::any_io_executor executor, client::Transport& transport,
                  std::chrono::milliseconds min_pass_interval = std::chrono::milliseconds(50),
                  std::chrono::milliseconds defragment_after = std::chrono::milliseconds(50));
  void Start();

 private:
  void OnFlavor(client::InformerEvent&& e);
  void OnClusterQueue(client::InformerEvent&& e);
  void OnLocalQueue(client::InformerEvent&& e);
  void OnWorkload(client::InformerEvent&& e);
  void OnJob(client::InformerEvent&& e);
  void OnPod(client::InformerEvent&& e);
  void OnNamespace(client::InformerEvent&& e);
  void OnWorkloadPriorityClass(client::InformerEvent&& e);
  void OnPriorityClass(client::InformerEvent&& e);
  // Starts an informer whose kSynced sets `*synced` and starts a pass; every other event goes
  // to `on_event`.
  void Watch(client::InformerOptions options, bool* synced,
             std::function<void(client::InformerEvent&&)> on_event);
  // Starts the node and pod informers that reclaim's node-aware victim choice,
  // defragmentation, topology-aware flavors, finishing Jobs by their pods and a preemptor's
  // wait for its victims read, once a ClusterQueue or a flavor with a topologyName exists
  // (without one they would cost every pod event a parse for nothing).
  void StartPlacementWatches();
  // Admitted workloads of a ClusterQueue that may preempt whose pods have waited for nodes
  // longer than defragment_after_ (once the placement informers have synced), each with how
  // many of its pods are not placed; notes when the next one comes due (recheck_at_), and
  // ends the hold of victims whose beneficiary is placed or gone (displaced_).
  std::map<std::string, int32_t> Overdue(const std::vector<WorkloadInfo>& infos,
                                         const std::map<std::string, ClusterQueueSpec>& queues,
                                         std::chrono::steady_clock::time_point t);
  void Changed();
  boost::asio::awaitable<void> PassLoop();
  void Pass();
  // Whether admitted workload `key` must not start yet: pods of the workloads preempted for
  // it still hold nodes (forgets it once they are gone or kVictimWait has passed).
  bool StartDeferred(const std::string& key, std::chrono::steady_clock::time_point t);
  bool SucceededPodsComplete(const boost::json::object& job, const std::string& workload) const;
  // The priority of a queued Job or pod (`owner`, whose pod spec is at `pod_spec`:
  // "spec.template.spec" or "spec"): its WorkloadPriorityClass, else its PriorityClass (or
  // the global default). Sets the class and its source.
  int32_t PriorityOf(const boost::json::object& owner, std::string_view pod_spec,
                     std::string* class_name, std::string* source) const;

  // Writes, fire-and-forget on the executor (a failure is logged; the next pass retries).
  void Spawn(boost::asio::awaitable<void> work);
  // `done` (may be empty) learns whether the write succeeded (404 and 409 count as done:
  // the object went or changed meanwhile, and the next pass decides again).
  boost::asio::awaitable<void> Call(std::string method, std::string path, std::string body,
                                    std::string content_type, std::string what,
                                    std::function<void(bool)> done = {});
  // Replaces the local copy of a Workload with the server's (after a failed write).
  boost::asio::awaitable<void> Resync(std::string key);
  void StartWorkload(const std::string& key, const Assignment& assignment,
                     const boost::json::object* job,
                     const std::vector<const boost::json::object*>* pods);
  void StopWorkload(const std::string& key, const boost::json::object* job,
                    const std::vector<const boost::json::object*>* pods);
  void PatchWorkloadStatus(const std::string& key, boost::json::object status);
  void PatchJob(const std::string& ns, const std::string& name, boost::json::object patch);

  boost::asio::any_io_executor executor_;
  client::Transport& transport_;
  client::EventRecorder events_;
  std::chrono::milliseconds min_pass_interval_;
  std::chrono::milliseconds defragment_after_;
  boost::asio::steady_timer wake_;
  // When the next pass is due without any change: an admitted workload's pods become overdue.
  std::optional<std::chrono::steady_clock::time_point> recheck_at_;
  // Admitted workloads whose pods are not all placed -> since when (first pass that saw it).
  std::map<std::string, std::chrono::steady_clock::time_point> unplaced_since_;
  // Victims of defragmentation -> the workload they made room for, and when: they wait until
  // its pods are placed (or kDisplacedHold passes).
  std::map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>> displaced_;
  bool dirty_ = false;
  bool synced_[9] = {};

  std::map<std::string, boost::json::object> flavors_;         // name -> object
  std::map<std::string, boost::json::object> cluster_queues_;  // name -> object
  std::map<std::string, boost::json::object> local_queues_;    // "ns/name" -> object
  std::map<std::string, boost::json::object> workloads_;       // "ns/name" -> object
  std::map<std::string, boost::json::object> jobs_;            // "ns/name" -> object
  std::map<std::string, boost::json::object> pods_;            // queued pods, "ns/name"
  std::map<std::string, boost::json::object> namespaces_;      // name -> object
  std::map<std::string, std::pair<int32_t, bool>> priority_classes_;  // name -> value, default
  std::map<std::string, int32_t> workload_priority_classes_;          // name -> value
  std::set<std::string> creating_;  // workloads being created ("ns/name")
  // When a workload's Job was last started or stopped (writes are repeated at most every few
  // seconds while the Job does not show them, e.g. after a failed write or a restart).
  std::map<std::string, std::chrono::steady_clock::time_point> start_sent_, stop_sent_;
  // When each waiting workload's Pending message was last written.
  std::map<std::string, std::chrono::steady_clock::time_point> pending_written_;
  // ClusterQueue and LocalQueue status, by object key: one write in flight per queue (two in
  // flight at once could commit out of order and leave an older status for good); a failed
  // one asks for a pass, which writes it again.
  StatusWriter status_writer_;
  // Preemptors -> the workloads preempted for them whose pods may still hold nodes, and when
  // they were preempted. An admitted preemptor's Job starts (its pods are made) only once
  // those pods are gone (StartDeferred), at most kVictimWait after the preemption.
  std::map<std::string, std::pair<std::set<std::string>, std::chrono::steady_clock::time_point>>
      victims_of_;
  NodeRoomTracker rooms_;  // nodes and bound pods, once StartPlacementWatches ran
  bool placement_started_ = false;
  bool placement_synced_[2] = {};  // nodes, pods
};

}  // namespace shoal::controllers
