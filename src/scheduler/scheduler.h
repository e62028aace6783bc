// Scheduler: shoal's scheduler as an API client. It keeps a ClusterState from informers on
// nodes, pods and PodGroups, takes pending pods whose spec.schedulerName is its name from a
// SchedulingQueue, places single pods (Placer::PlaceOne) and gangs (Placer::PlaceGang, all or
// none), preempts lower-priority pods when nothing fits, binds through the API, and explains
// every wait (PodScheduled=False with a kube-style message and a FailedScheduling Event; for a
// gang also the PodGroup's status and an Event).
//
// Runs the same code inside `shoal server` (InProcessTransport; gangs bound by a BindingList in
// one store transaction) and as `shoal scheduler --kubeconfig` (HttpTransport; a gang's
// bindings are sent one by one and rolled back - bound members deleted and recreated - if
// some fail).
//
// Threading: everything runs on one single-threaded executor passed at construction (its
// state needs no locks); Start only spawns coroutines on it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/transport.h"
#include "scheduler/cluster_state.h"
#include "scheduler/framework.h"
#include "scheduler/placement.h"
#include "scheduler/queue.h"

namespace shoal::scheduler {

struct SchedulerOptions {
  std::string scheduler_name = "default-scheduler";
  ScoringStrategy strategy = ScoringStrategy::kPack;
  TopologyKeys topology;
  // Bind a gang with one BindingList request (shoal's API server only: all or none in one
  // transaction). Otherwise one pods/binding per member, rolled back on partial failure.
  bool atomic_gang_binding = false;
};

class Scheduler {
 public:
  Scheduler(boost::asio::any_io_executor executor, client::Transport& transport,
            SchedulerOptions options);
  ~Scheduler();

  // Spawns the informers and the scheduling loop on the executor.
  void Start();

  // Scheduling attempts so far: a pending pod or gang taken from the queue and tried (any
  // thread may read it).
  uint64_t AttemptsForTest() const { return attempts_.load(); }

 private:
  using Clock = SchedulingQueue::Clock;
  static std::string GangItem(const std::string& group_key) { return "gang:" + group_key; }

  // Informer handlers.
  void OnPod(client::InformerEvent&& e);
  void OnNode(client::InformerEvent&& e);
  void OnPodGroup(client::InformerEvent&& e);
  // Queues the item that schedules `p` (the pod, or its gang) if it is ours and pending.
  void Enqueue(const PodInfo& p);
  bool Pending(const PodState& p) const;
  void Wake();

  boost::asio::awaitable<void> Loop();
  void ScheduleOne(const std::string& key);
  void ScheduleGang(const std::string& group_key);
  // Nothing fits: try preemption, then report. Returns true if victims are being evicted.
  bool TryPreempt(const std::vector<const PodInfo*>& pods, PodGroupInfo::Locality locality);

  // API writes (spawned; failures are logged and fed back into the queue).
  boost::asio::awaitable<void> BindOne(std::string key, std::string node);
  boost::asio::awaitable<void> BindGang(std::string item, std::vector<std::string> keys,
                                        std::vector<std::string> nodes);
  boost::asio::awaitable<bool> PostBinding(const PodInfo& pod, const std::string& node);
  boost::asio::awaitable<void> RollBack(const std::vector<PodInfo>& bound);
  boost::asio::awaitable<void> Evict(std::string key, std::string preemptor);
  boost::asio::awaitable<void> Nominate(std::string key, std::string node);
  // Retries a failing gang when its scheduleTimeoutSeconds runs out (unless it was placed or
  // started a new failure streak since `first_failure`), so that the timeout is reported on
  // time even when no cluster event wakes the gang.
  boost::asio::awaitable<void> RetryGangAt(std::string group_key, int32_t priority,
                                           Clock::time_point first_failure);
  // PodScheduled=False + FailedScheduling Event, only when the message changed.
  void ReportUnschedulable(const PodInfo& pod, const std::string& message);
  void ReportGang(const PodGroupInfo& group, bool scheduled, const std::string& message);
  // Through the EventRecorder: repeats (a pod that stays unschedulable) bump one Event's count.
  void RecordEvent(std::string ns, boost::json::object involved, std::string_view type,
                   std::string_view reason, const std::string& message);
  // Sends `req`; returns its HTTP status code, 0 when no answer came.
  boost::asio::awaitable<int> Send(client::Request req);
  // Sends a report (a condition write) remembered in reported_[key]. A pod's report holds
  // only while the pod is unchanged: one bound (or otherwise changed) meanwhile refuses it with
  // 409, and the next report is then sent afresh.
  boost::asio::awaitable<void> SendReport(std::string key, client::Request req);
  // Starts `work` on the executor after the current handler returns.
  void Spawn(boost::asio::awaitable<void> work);

  boost::asio::any_io_executor executor_;
  client::Transport& transport_;
  const SchedulerOptions options_;
  ClusterState state_;
  Profile profile_;
  Placer placer_;
  SchedulingQueue queue_;
  boost::asio::steady_timer wake_;
  client::EventRecorder events_;
  int synced_ = 0;  // informers that completed their first list (pods and nodes needed)
  std::atomic<uint64_t> attempts_{0};
  std::unordered_map<std::string, std::string> reported_;  // pod/group key -> last message
  std::unordered_map<std::string, Clock::time_point> gang_first_failure_;
  // Gang key -> when it was last told that it waits for its members (ScheduleGang).
  std::unordered_map<std::string, Clock::time_point> waiting_reported_;
  static constexpr std::chrono::seconds kWaitingReportEvery{5};
  // Node name -> queue items (pods, gangs) that preempted pods there. When a pod on the node
  // gives its resources back, they are retried at once instead of after their back-off (kube
  // waits out the back-off, 1 s at least), so that a preemptor, e.g. real work displacing a
  // balloon, starts as soon as its victim is gone.
  std::unordered_map<std::string, std::unordered_set<std::string>> preemptors_on_;
  // A pod on node index `n` gave its resources back.
  void RoomMadeOn(int n);
  // The victims of each preemptor's (pod or gang item's) last preemption. While one of them
  // still holds its resources (terminating, or not yet seen terminating within
  // kVictimDeleteSeen of the plan), the preemptor waits for them instead of choosing more:
  // kube's PodEligibleToPreemptOthers. A gang's what-if placement does not count terminating
  // pods as room, so a retry would otherwise evict a second set of pods elsewhere.
  struct Victims {
    std::vector<std::string> keys;
    Clock::time_point when;
  };
  static constexpr std::chrono::seconds kVictimDeleteSeen{10};
  std::unordered_map<std::string, Victims> victims_of_;
  bool WaitsForItsVictims(const std::string& item);
};

}  // namespace shoal::scheduler
