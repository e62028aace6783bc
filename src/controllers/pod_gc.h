// PodGCController: kube-controller-manager's pod garbage collector. Every pod_gc_period:
//  - terminated pods (phase Succeeded or Failed) beyond terminated_pod_gc_threshold are
//    deleted, oldest creationTimestamp first;
//  - orphaned pods (bound to a node missing for two periods - kube's 40 s quarantine at the
//    default period - and confirmed gone with a GET of the node) are marked Failed with the
//    condition DisruptionTarget (DeletionByPodGC) and deleted;
//  - terminating pods on a not-Ready node with the node.kubernetes.io/out-of-service taint,
//    and terminating pods that were never bound, are marked Failed and deleted.
// Every deletion is forced (gracePeriodSeconds 0, with the pod's uid as precondition), as
// kube's podgc does: nobody is left to finish a graceful one.
//
// Memory: per pod its node, uid, creation time and two flags; per node two flags.
//
// Threading: everything runs on the executor given to the constructor (one thread).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "base/clock.h"
#include "client/informer.h"
#include "client/transport.h"
#include "controllers/controllers.h"

namespace shoal::controllers {

class PodGCController {
 public:
  // `transport` and `clock` must outlive the controller.
  PodGCController(boost::asio::any_io_executor executor, client::Transport& transport,
                  const ControllerOptions& options,
                  const base::Clock& clock = base::RealClock::Get());

  // Starts the informers (pods, nodes) and the collection loop.
  void Start();

  // Tests: the informers only, and one collection pass that returns when its writes are done.
  void StartInformersForTest();
  boost::asio::awaitable<void> CollectForTest() { co_await Collect(); }
  bool SyncedForTest() const { return pods_synced_ && nodes_synced_; }
  size_t PodCountForTest() const { return pods_.size(); }

 private:
  struct PodInfo {
    std::string node;
    std::string uid;
    int64_t created = 0;       // creationTimestamp, seconds since the epoch
    bool terminated = false;   // phase Succeeded or Failed
    bool terminating = false;  // deletionTimestamp set
  };
  struct NodeInfo {
    bool ready = false;
    bool out_of_service = false;  // tainted node.kubernetes.io/out-of-service (any effect)
  };

  void OnPod(client::InformerEvent&& e);
  void OnNode(client::InformerEvent&& e);
  boost::asio::awaitable<void> Loop();
  boost::asio::awaitable<void> Collect();
  // Marks the pod Failed (with a DisruptionTarget condition when `reason` is not empty) unless
  // it already finished, then force-deletes it.
  boost::asio::awaitable<void> Delete(std::string key, std::string reason, std::string message);

  boost::asio::any_io_executor executor_;
  client::Transport& transport_;
  const ControllerOptions options_;
  const base::Clock& clock_;
  bool pods_synced_ = false, nodes_synced_ = false;
  std::unordered_map<std::string, PodInfo> pods_;  // "ns/name"
  std::unordered_map<std::string, NodeInfo> nodes_;
  std::unordered_map<std::string, std::chrono::system_clock::time_point>
      missing_since_;  // nodes that pods name
};

}  // namespace shoal::controllers
