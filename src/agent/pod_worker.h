// PodWorker: runs one pod bound to this node, as kubelet's pod worker does. It prepares the
// pod's volumes and environment, runs the init containers in order and then the containers
// through the Runtime, restarts them by restartPolicy with kubelet's back-off (the first
// restart at once, then 10 s doubling to 5 min: CrashLoopBackOff), hands out GPUs, reports
// phase, conditions and container statuses as kubelet does (merge patches of pods/status,
// coalesced), and on deletion sends SIGTERM, waits the grace period, sends SIGKILL and removes
// the pod object.
//
// Threading: everything runs on the agent's executor; the worker is shared (timers and
// requests hold it) and stops doing anything once Deleted() or finalized.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include "agent/cgroups.h"
#include "agent/gpus.h"
#include "agent/log_server.h"
#include "agent/pod_spec.h"
#include "agent/runtime.h"
#include "client/transport.h"

namespace shoal::agent {

// What every pod worker of one agent shares.
struct AgentContext {
  boost::asio::any_io_executor executor;
  client::Transport* transport = nullptr;
  Runtime* runtime = nullptr;
  GpuAllocator* gpus = nullptr;
  Cgroups* cgroups = nullptr;  // nullptr: limits are not enforced
  std::string node_name;
  std::string node_ip;
  std::string data_dir;  // pods live under data_dir/pods/<uid>/
  std::chrono::milliseconds initial_backoff{10'000};
  std::chrono::milliseconds max_backoff{300'000};
  std::chrono::milliseconds start_delay{0};  // AgentOptions::start_delay
};

class PodWorker : public std::enable_shared_from_this<PodWorker> {
 public:
  // `killed` names containers whose processes an earlier agent instance left and this one
  // killed at start (reported as terminated, then restarted by policy).
  PodWorker(AgentContext& ctx, boost::json::object pod, std::set<std::string> killed = {});
  ~PodWorker();

  // Starts running the pod (spawns on the executor).
  void Start();
  // A newer version of the pod object (a deletionTimestamp starts graceful termination).
  void Update(boost::json::object pod);
  // The pod object is gone (force deletion): kill every process now, write nothing.
  void Deleted();
  // Nothing runs and nothing is left to do; the agent may drop the worker.
  bool done() const { return gone_; }
  const std::string& uid() const { return spec_.uid; }
  // Where the current (or, with `previous`, the last ended) run of `container` logs.
  // NotFound for an unknown container; FailedPrecondition when it has not started, or has no
  // previous run (kubelet's messages).
  absl::StatusOr<LogSource> Log(const std::string& container, bool previous);
  const std::string& ns() const { return spec_.ns; }
  const std::string& name() const { return spec_.name; }

 private:
  enum class State { kWaiting, kRunning, kTerminated };
  struct Container {
    ContainerSpec spec;
    bool init = false;
    State state = State::kWaiting;
    std::string reason = "ContainerCreating", message;  // waiting / terminated
    std::string started_at, finished_at;
    std::chrono::steady_clock::time_point started;  // of the current or last run
    int exit_code = 0, signal = 0;
    boost::json::object last_state;  // {"terminated": {...}} of the previous run
    int restarts = 0;
    bool ever_started = false;
    bool done = false;      // terminated and will not run again
    bool in_backoff = false;
    std::chrono::milliseconds backoff{0};
    std::optional<ProcessHandle> process;
    std::vector<int> gpus;
    std::string cgroup;  // the current run's cgroup directory
    std::vector<std::string> env;  // resolved "NAME=value"
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  boost::asio::awaitable<void> Setup();
  // Fetches a ConfigMap's or Secret's data (Secret values decoded), memoised per pod.
  boost::asio::awaitable<std::optional<std::map<std::string, std::string>>> FetchData(
      bool secret, std::string name);
  boost::asio::awaitable<absl::Status> PrepareVolumes();
  boost::asio::awaitable<absl::Status> ResolveEnv(Container& c);
  void RecoverFromStatus();

  // Starts whatever should run now; writes status.
  void Advance();
  void StartContainer(Container& c);
  void OnExit(Container* c, ExitInfo info);
  void Restart(Container& c);
  bool WillRestart(const Container& c) const;
  void Terminate();
  void KillAll(int sig);
  void Finalize();

  std::string PodDir() const;
  std::string Phase() const;
  boost::json::object BuildStatus() const;
  boost::json::object ContainerStatus(const Container& c) const;
  void WriteStatus();
  boost::asio::awaitable<void> StatusWriter();
  boost::asio::awaitable<void> DeleteObject();

  AgentContext& ctx_;
  boost::json::object pod_;
  PodSpecView spec_;
  std::string spec_error_;  // the pod cannot be run as given (reported, not retried)
  std::set<std::string> killed_;
  std::vector<std::unique_ptr<Container>> containers_;  // init containers first
  std::map<std::string, std::optional<std::map<std::string, std::string>>> fetched_;
  std::string start_time_;
  bool ready_to_run_ = false;  // volumes and env prepared
  bool init_failed_ = false;
  bool terminating_ = false;
  bool finalized_ = false;
  bool gone_ = false;
  bool writing_ = false, dirty_ = false;
  std::unique_ptr<boost::asio::steady_timer> grace_timer_;
};

}  // namespace shoal::agent
