// Agent: shoal's node agent (kubelet's job) as an API client. It registers its Node (capacity,
// labels, addresses, nodeInfo), renews its Lease in kube-node-lease every 10 s, writes node
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

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "absl/status/status.h"
#include "agent/gpus.h"
#include "agent/log_server.h"
#include "agent/pod_worker.h"
#include "agent/runtime.h"
#include "client/informer.h"
#include "client/transport.h"

namespace shoal::agent {

struct AgentOptions {
  std::string node_name;
  std::string node_ip = "127.0.0.1";  // pods use the host network: this is their podIP too
  std::string data_dir;
  std::map<std::string, std::string> labels;  // added to the standard ones
  std::chrono::seconds lease_duration{40};
  std::chrono::seconds lease_renew{10};
  std::chrono::seconds status_interval{60};
  // The log endpoint (kubelet's port); no cert_path: no endpoint (hollow nodes).
  LogServerOptions log_server;
};

class Agent {
 public:
  Agent(boost::asio::any_io_executor executor, client::Transport& transport, Runtime& runtime,
        std::vector<GpuDevice> gpus, AgentOptions options);
  ~Agent();

  // Kills leftovers of an earlier instance (blocking, before anything is reported), starts the
  // log endpoint, then spawns registration, the lease and status loops and the pod informer.
  // Errors: the data dir cannot be created; the log endpoint cannot listen.
  absl::Status Start();

 private:
  void KillLeftovers();
  boost::json::object NodeObject() const;
  boost::json::object NodeStatus() const;
  boost::asio::awaitable<void> Register();
  boost::asio::awaitable<void> LeaseLoop();
  boost::asio::awaitable<void> StatusLoop();
  void OnPod(client::InformerEvent&& e);
  absl::StatusOr<LogSource> LocateLog(const std::string& ns, const std::string& pod,
                                      const std::string& container, bool previous);

  boost::asio::any_io_executor executor_;
  client::Transport& transport_;
  Runtime& runtime_;
  AgentOptions options_;
  GpuAllocator gpus_;
  AgentContext ctx_;
  std::string boot_time_;
  bool registered_ = false;
  std::unique_ptr<LogServer> log_server_;
  std::unordered_map<std::string, std::shared_ptr<PodWorker>> workers_;  // by pod uid
  std::map<std::string, std::set<std::string>> killed_;  // pod uid -> containers killed at start
};

}  // namespace shoal::agent
