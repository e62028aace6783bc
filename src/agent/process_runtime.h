// ProcessRuntime: runs containers as real processes on this machine, each main process in its
// own session and process group (setsid), stdout and stderr appended to a log file. When the
// container has volume mounts and the agent may (root), the process gets a private mount
// namespace in which each volume directory is bind-mounted at its mountPath; otherwise mounts
// are skipped and the process sees each volume's directory through SHOAL_VOLUME_<NAME> (set by
// the caller). Exits are noticed through SIGCHLD and waitpid on the processes it started (it
// never reaps other children of the agent). When a main process ends, the rest of its process
// group is killed: no process outlives its container.
//
// Threading: one executor (single-threaded use); exit callbacks run on it.
#pragma once

#include <memory>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/runtime.h"

namespace shoal::agent {

class ProcessRuntime : public Runtime {
 public:
  explicit ProcessRuntime(boost::asio::any_io_executor executor);
  ~ProcessRuntime() override;

  absl::StatusOr<ProcessHandle> Start(const ProcessSpec& spec,
                                      std::function<void(ExitInfo)> on_exit) override;
  void Signal(const ProcessHandle& process, int sig) override;
  bool KillLeftover(const ProcessHandle& process) override;

  // The start time of `pid` in clock ticks since boot (/proc/PID/stat field 22), or 0.
  static uint64_t StartTicks(int64_t pid);

 private:
  void WaitSignals();
  void Reap();

  boost::asio::any_io_executor executor_;
  boost::asio::signal_set sigchld_;
  boost::asio::steady_timer sweep_;  // a periodic reap, in case a SIGCHLD was coalesced away
  std::unordered_map<int64_t, std::function<void(ExitInfo)>> running_;  // pid -> on_exit
};

}  // namespace shoal::agent
