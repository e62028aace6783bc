// Runtime: how the agent runs a container. ProcessRuntime (process_runtime.h) runs it as a
// real process group on this machine; `shoal sim` puts a simulated one (sim/hollow_runtime.h)
// behind the same interface, so that a hollow node is the agent's own code (DESIGN.md).
//
// Threading: a runtime belongs to one executor; Start and Signal are called on it and exit
// callbacks run on it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace shoal::agent {

// What to run for one container (already resolved: env values, paths on this machine).
struct ProcessSpec {
  std::vector<std::string> argv;  // command then args; argv[0] is looked up in PATH
  std::vector<std::string> env;   // "NAME=value"
  std::string working_dir;        // empty: the runtime's default ("/")
  std::string log_path;           // stdout and stderr are appended here
  struct Mount {
    std::string source;  // a directory on this machine
    std::string target;  // the container's mountPath
    bool read_only = false;
  };
  std::vector<Mount> mounts;
  std::string cgroup;  // a cgroup v2 directory the process joins before exec ("" = none)
  // The pod's annotations: a simulated runtime reads how long to "run" from them
  // (shoal.io/sim-duration); the process runtime ignores them.
  std::map<std::string, std::string> annotations;
};

// How a container's main process ended.
struct ExitInfo {
  int exit_code = 0;   // the exit status, or 128 + signal when killed by a signal
  int signal = 0;      // the signal that killed it, or 0
  bool oom_killed = false;
};

// Identifies a started process (group) for Signal and for recovery after an agent restart.
struct ProcessHandle {
  int64_t pid = 0;
  uint64_t start_ticks = 0;  // the process start time, to tell a reused pid apart
};

class Runtime {
 public:
  virtual ~Runtime() = default;

  // Starts `spec`. `on_exit` runs once, on the runtime's executor, after the main process
  // ended and the rest of its process group was killed. Errors: NotFound (the command does not
  // exist), FailedPrecondition (working dir, mounts), Internal (fork failed).
  virtual absl::StatusOr<ProcessHandle> Start(const ProcessSpec& spec,
                                              std::function<void(ExitInfo)> on_exit) = 0;
  // Sends `sig` to the whole process group of a started process (no-op once it ended).
  virtual void Signal(const ProcessHandle& process, int sig) = 0;
  // Kills what is left of a process group started by an earlier agent instance (after the
  // agent itself was killed). Returns true if it was still running.
  virtual bool KillLeftover(const ProcessHandle& process) = 0;
  // Whether its processes need the pod's files on disk: log directories and the process
  // records an agent restarted after a crash kills leftovers by. A runtime that runs nothing
  // real (the hollow nodes') needs neither, and skips a dozen file-system calls per start.
  virtual bool NeedsPodFiles() const { return true; }
};

}  // namespace shoal::agent
