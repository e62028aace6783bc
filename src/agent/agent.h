// Agent: shoal's node agent (kubelet's job) as an API client. It registers its Node (capacity,
// labels, addresses, nodeInfo), renews its Lease in kube-node-lease (every 10 s by default), writes node
// status on change and at least every minute, watches only the pods bound to it (field
// selector spec.nodeName) and runs each through a PodWorker on the Runtime.
//
// After a crash: Start first kills whatever container processes an earlier instance left
// (recorded under data_dir/pods/<uid>/procs/), so nothing is orphaned; their pods are then
// reported truthfully (the containers ended with exit 137) and restarted by policy.
//
// Threading: everything on one executor; Start spawns onto it. Many agents may share one
// executor (`shoal sim`).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "absl/status/status.h"
#include "agent/gpus.h"
#include "agent/health.h"
#include "agent/log_server.h"
#include "agent/pod_worker.h"
#include "agent/runtime.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/transport.h"

namespace shoal::agent {

struct AgentOptions {
  std::string node_name;
  std::string node_ip = "127.0.0.1";  // pods use the host network: this is their podIP too
  std::string data_dir;
  std::map<std::string, std::string> labels;  // added to the standard ones
  std::chrono::seconds lease_duration{40};  // kubelet's nodeLeaseDurationSeconds
  std::chrono::milliseconds lease_renew{10'000};  // kubelet renews at a quarter of it
  std::chrono::seconds status_interval{60};
  // Each Lease renewal and node-status write waits its interval (lease_renew,
  // status_interval) scaled by a random factor in [1 - jitter, 1 + jitter] (seeded by the node
  // name), and the first one a random part of it (JitterFactor), so that thousands of hollow
  // nodes started together do not write in lockstep. 0: exact.
  double lease_jitter = 0;
  // Overrides of the reported capacity (= allocatable), e.g. {"cpu", "96"} for a hollow node;
  // the rest is read from this machine.
  std::map<std::string, std::string> capacity;
  // The log endpoint (kubelet's port); no cert_path: no endpoint (hollow nodes).
  LogServerOptions log_server;
  // Health checks on a thread of their own, and the preflight taint until preflight passes
  // (off for hollow nodes).
  bool health_checks = false;
  HealthOptions health;
  std::chrono::seconds health_interval{10};
  // CPU and memory limits through cgroup v2 (nullptr: not enforced; the Node says so).
  Cgroups* cgroups = nullptr;
  // Waited after a pod's volumes and environment are ready, before its first container
  // starts: the image pull and container creation of a real node, for hollow nodes
  // (`shoal sim --running-delay`). 0 for a real agent.
  std::chrono::milliseconds start_delay{0};
  // Called once, on the agent's executor, when its pod informer has first listed: the node is
  // registered and up to date with its pods (`shoal sim --ready-file` counts these).
  std::function<void()> on_pods_listed;
  // Pods come from whoever runs the agent (`shoal sim --shared-pod-watch`: one watch of every
  // bound pod for all hollow nodes) through DeliverPodEvent, instead of from the agent's own
  // watch of spec.nodeName=<node>. on_pods_listed then waits for registration and kSynced.
  bool external_pod_watch = false;
};

// The factor an interval is scaled by: 1 without jitter; else `u` (uniform in [0, 1)) for the
// first wait and 1 - jitter + 2 * jitter * u after.
double JitterFactor(double jitter, bool first, double u);

class Agent {
 public:
  Agent(boost::asio::any_io_executor executor, client::Transport& transport, Runtime& runtime,
        std::vector<GpuDevice> gpus, AgentOptions options);
  ~Agent();

  // Kills leftovers of an earlier instance (blocking, before anything is reported), starts the
  // log endpoint, then spawns registration, the lease and status loops and the pod informer.
  // Errors: the data dir cannot be created; the log endpoint cannot listen.
  absl::Status Start();

  // Stops renewing the Lease and writing node status, as a node that lost power would
  // (`shoal sim --fail-nodes`); pods are left as they are.
  void StopHeartbeats() { heartbeats_stopped_ = true; }

  // With external_pod_watch: one event of the shared watch about a pod bound to this node
  // (kSynced: the watch has listed every pod). Must run on the agent's executor.
  void DeliverPodEvent(client::InformerEvent&& e) { OnPod(std::move(e)); }

 private:
  void KillLeftovers();
  boost::json::object NodeObject() const;
  boost::json::object NodeStatus() const;
  boost::asio::awaitable<void> Register();
  boost::asio::awaitable<void> LeaseLoop();
  boost::asio::awaitable<void> StatusLoop();
  boost::asio::awaitable<void> PatchNodeStatus();
  // Health (reports come from the health thread, posted to the executor).
  void HealthLoop();
  void OnPreflight(std::vector<CheckFailure> failures);
  void OnHealth(HealthReport report);
  // Makes the node's shoal.io/preflight and shoal.io/unhealthy taints match (GET, PUT, retried
  // on conflict; other taints are kept).
  void ReconcileTaints();
  boost::asio::awaitable<void> TaintWriter();
  void RecordEvent(std::string_view type, std::string_view reason, std::string message);
  void OnPod(client::InformerEvent&& e);
  // Calls on_pods_listed once, when the node is registered and its pods have been listed.
  void MaybePodsListed();
  absl::StatusOr<LogSource> LocateLog(const std::string& ns, const std::string& pod,
                                      const std::string& container, bool previous);

  boost::asio::any_io_executor executor_;
  client::Transport& transport_;
  Runtime& runtime_;
  AgentOptions options_;
  GpuAllocator gpus_;
  AgentContext ctx_;
  std::string boot_time_;
  client::EventRecorder events_;
  bool registered_ = false;
  bool heartbeats_stopped_ = false;
  bool pods_listed_ = false;
  bool pods_synced_ = false;  // the pod watch (own or external) has listed
  std::unique_ptr<LogServer> log_server_;
  bool preflight_pending_ = false;
  bool unhealthy_ = false;
  HealthReport report_;
  std::string healthy_since_;
  std::string last_preflight_message_;
  bool taints_busy_ = false, taints_dirty_ = false;
  std::thread health_thread_;
  std::mutex health_mu_;
  std::condition_variable health_cv_;
  bool health_stop_ = false;  // guarded by health_mu_
  std::unordered_map<std::string, std::shared_ptr<PodWorker>> workers_;  // by pod uid
  std::map<std::string, std::set<std::string>> killed_;  // pod uid -> containers killed at start
};

}  // namespace shoal::agent
