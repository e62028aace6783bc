// JobController: kube's Job controller for batch/v1 Jobs, plus gang Jobs.
//
// Runs each Job's pods to completion: parallelism and completions, completionMode NonIndexed
// and Indexed (the index in the annotation and label batch.kubernetes.io/job-completion-index,
// env JOB_COMPLETION_INDEX and hostname <job>-<index>), backoffLimit with exponential delay
// before replacing a failed pod, activeDeadlineSeconds, suspend, ttlSecondsAfterFinished,
// podFailurePolicy (FailJob, Ignore, Count), and status (active, ready, terminating, succeeded,
// failed, completedIndexes, startTime, completionTime, conditions FailureTarget, Failed,
// Complete, Suspended).
//
// Counting is exactly-once across restarts, as in kube: every pod carries the finalizer
// batch.kubernetes.io/job-tracking; a finished pod's uid is first written to
// status.uncountedTerminatedPods, then its finalizer is removed, then it moves into the
// counters. A restart at any step finds the state it needs in the Job's status and the pods.
//
// Gang Jobs (annotation shoal.io/gang: "true"): the controller creates a PodGroup named after
// the Job (minMember = parallelism, owned by the Job, with the Job's shoal.io/topology
// annotation), labels the pods into it so that the
// scheduler places them all at once, and when any pod fails or its node is lost, tears the
// whole gang down and creates it anew once every old pod is gone: one failure against
// backoffLimit for the whole gang.
//
// Threading: one executor; every member is touched only there.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include "base/clock.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/limited_transport.h"
#include "client/transport.h"
#include "controllers/controllers.h"
#include "controllers/job_pod.h"

namespace shoal::controllers {

inline constexpr std::string_view kGangAnnotation = "shoal.io/gang";

class JobController {
 public:
  JobController(boost::asio::any_io_executor executor, client::Transport& transport,
                const ControllerOptions& options,
                const base::Clock& clock = base::RealClock::Get());
  void Start();

 private:
  struct Job {
    boost::json::object obj;  // the Job as last read or written
    bool in_flight = false;   // a reconcile is running
    bool dirty = false;       // another reconcile was asked for meanwhile
    int expected_creates = 0;  // pods created but not yet seen by the informer
    std::chrono::steady_clock::time_point expect_until;
    std::set<std::string> deleting;  // uids this controller deleted
    std::chrono::system_clock::time_point last_failure{};
    bool gang_teardown = false;     // a gang is being torn down; recreate once all are gone
    bool podgroup_ready = false;    // the gang's PodGroup exists
    bool was_suspended = false;
    std::unique_ptr<boost::asio::steady_timer> timer;  // next backoff/deadline/ttl wake-up
    std::unique_ptr<boost::asio::steady_timer> batch;  // a batched sync is due (SyncBatched)
    bool batch_pending = false;
  };

  void OnJob(client::InformerEvent&& e);
  void OnPod(client::InformerEvent&& e);
  void OnNode(client::InformerEvent&& e);
  void Sync(const std::string& key);
  // Sync after options_.job_sync_batch_period, once for every call made meanwhile.
  void SyncBatched(const std::string& key);
  boost::asio::awaitable<void> Run(std::string key);
  boost::asio::awaitable<void> Reconcile(const std::string& key);
  // Removes the tracking finalizer (all pods of a deleted Job, or one finished pod).
  boost::asio::awaitable<bool> Untrack(const JobPod& pod);
  boost::asio::awaitable<void> DeletePod(std::string key, JobPod pod, bool force);
  // Creates one pod of the Job; sets *failed when the API server refuses it.
  boost::asio::awaitable<void> CreatePod(std::string key, boost::json::object pod,
                                         std::shared_ptr<bool> failed);
  boost::asio::awaitable<void> EnsurePodGroup(std::string key, std::string group,
                                              int64_t min_member);
  void WakeAt(const std::string& key, std::chrono::system_clock::time_point when);
  bool NodeLost(const std::string& node) const;

  boost::asio::any_io_executor executor_;
  // Every call of this controller, at most kMaxCallsInFlight (256) at once: a burst of Jobs (62
  // gangs created together) must not fill the API server's queue ahead of everyone else's.
  client::LimitedTransport transport_;
  ControllerOptions options_;
  const base::Clock& clock_;
  client::EventRecorder events_;
  std::map<std::string, Job> jobs_;                               // "ns/name"
  std::map<std::string, std::string> job_by_uid_;                 // uid -> key
  std::map<std::string, std::map<std::string, JobPod>> pods_;     // job uid -> pod uid -> pod
  std::map<std::string, bool> node_ready_;                        // node -> Ready=True
  bool jobs_synced_ = false, pods_synced_ = false, nodes_synced_ = false;
};

}  // namespace shoal::controllers
