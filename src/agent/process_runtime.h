// ProcessRuntime: runs containers as real processes on this machine, each main process in its
// own session and process group (setsid), its stdout and stderr read through a pipe by the agent
// and written to the log file with a timestamp per line (log_file.h). When the
// container has volume mounts and the agent may (root), the process gets a private mount
// namespace in which each volume directory is bind-mounted at its mountPath; otherwise mounts
// are skipped and the process sees each volume's directory through SHOAL_VOLUME_<NAME> (set by
// the caller). Exits are noticed through SIGCHLD and waitpid on the processes it started (it
// never reaps other children of the agent). When a main process ends, the rest of its process
// group is killed: no process outlives its container. The exit callback runs once the output is
// drained too (or 2 s after the exit, if something outside the group still holds the pipe).
//
// Threading: one executor (single-threaded use); exit callbacks run on it.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/log_file.h"
#include "agent/runtime.h"

namespace shoal::agent {

class ProcessRuntime : public Runtime {
 public:
  static constexpr int64_t kDefaultMaxLogBytes = 10 << 20;

  explicit ProcessRuntime(boost::asio::any_io_executor executor,
                          int64_t max_log_bytes = kDefaultMaxLogBytes);
  ~ProcessRuntime() override;

  absl::StatusOr<ProcessHandle> Start(const ProcessSpec& spec,
                                      std::function<void(ExitInfo)> on_exit) override;
  void Signal(const ProcessHandle& process, int sig) override;
  bool KillLeftover(const ProcessHandle& process) override;

  // The start time of `pid` in clock ticks since boot (/proc/PID/stat field 22), or 0.
  static uint64_t StartTicks(int64_t pid);

 private:
  struct Proc {
    std::function<void(ExitInfo)> on_exit;
    std::unique_ptr<boost::asio::posix::stream_descriptor> output;
    std::unique_ptr<LogWriter> log;
    std::array<char, 16384> buffer;
    std::optional<ExitInfo> exit;
    bool eof = false;
    std::unique_ptr<boost::asio::steady_timer> drain;
    std::string cgroup;  // to read OOM kills from
  };
  void WaitSignals();
  void Reap();
  void ReadOutput(int64_t pid, std::shared_ptr<Proc> p);
  void MaybeFinish(int64_t pid, const std::shared_ptr<Proc>& p);

  boost::asio::any_io_executor executor_;
  const int64_t max_log_bytes_;
  boost::asio::signal_set sigchld_;
  boost::asio::steady_timer sweep_;  // a periodic reap, in case a SIGCHLD was coalesced away
  std::unordered_map<int64_t, std::shared_ptr<Proc>> running_;  // by pid, until on_exit ran
};

}  // namespace shoal::agent
