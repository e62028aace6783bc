// ServerProcess: a `shoal server` child process that a bench scenario starts for itself (when
// no --kubeconfig is given): the same binary (/proc/self/exe), a fresh temporary data dir, a
// free port (--port 0; the port is read back from the kubeconfig the server writes), and its
// output in DIR/server.log. Stop() ends it by PID (SIGTERM, then SIGKILL after a grace period)
// and removes the data dir (kept when SHOAL_BENCH_KEEP is set in the environment). The child
// also gets SIGTERM if the bench process dies first.
//
// ProcessStats reads a process's CPU time and memory from /proc, for any PID.
//
// Threading: ServerProcess is owned and used by one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "client/kubeconfig.h"

namespace shoal::bench {

struct ProcessStats {
  double user_cpu_s = 0;
  double system_cpu_s = 0;
  int64_t rss_bytes = 0;       // VmRSS
  int64_t peak_rss_bytes = 0;  // VmHWM
  int nice = 0;                // of the main thread (SetOwnNice)
  double cpu_s() const { return user_cpu_s + system_cpu_s; }
};

// The whole machine's CPU time since boot, from /proc/stat's "cpu" line, in seconds: what
// every process used (busy: user, nice, system, irq, softirq), and what the hypervisor gave
// to other guests while this one wanted the CPU (steal). On a shared virtual machine, steal
// explains runs that are slower for no reason of their own.
struct MachineCpu {
  double busy_s = 0;
  double steal_s = 0;
};
// Parses /proc/stat's text (the first "cpu " line); zeros if absent.
MachineCpu ParseProcStat(std::string_view text, double ticks_per_second);
MachineCpu ReadMachineCpu();

// CPU time and memory of `pid` (NotFound if it is gone).
absl::StatusOr<ProcessStats> ReadProcessStats(pid_t pid);
// CPU time of this process (getrusage); memory fields of this process from /proc/self.
ProcessStats SelfStats();

// Starts this binary (/proc/self/exe) with `args`, output to `log_path`; the child gets
// SIGTERM if the bench process dies first.
absl::StatusOr<pid_t> SpawnShoal(const std::vector<std::string>& args,
                                 const std::string& log_path);
// SIGTERM, up to 15 s, then SIGKILL; sets `pid` to -1. Says how the child ended.
std::string StopChild(pid_t& pid);

// The bench's own scheduling priority: sets the nice value of the calling thread (call it
// before the bench starts any thread; they inherit it) and remembers the value it had, which
// every SpawnShoal child gets back before it execs. On a machine that the bench shares with
// the server and the hollow nodes, the observer then is not starved by what it observes
// (Kubernetes' clusterloader2 runs on a machine of its own). Lowering the nice value needs
// root (CAP_SYS_NICE); the error says why it failed, and nothing changed then.
absl::Status SetOwnNice(int nice);

class ServerProcess {
 public:
  // Starts the server and waits (up to `timeout`) until GET /readyz answers 200. `extra_args`
  // are appended to `shoal server --data-dir DIR --bind 127.0.0.1 --port 0`. Errors: Internal
  // if the child cannot be started, Unavailable if it exits or does not become ready in time
  // (the message carries the tail of its log).
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::vector<std::string>& extra_args, std::chrono::seconds timeout);
  ~ServerProcess();  // Stop()

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // SIGTERM, wait up to 15 s, then SIGKILL; removes the data dir. Idempotent. Returns how
  // the child ended ("exited 0", "killed by SIGKILL after the grace period", ...).
  std::string Stop();

  pid_t pid() const { return pid_; }
  const std::string& data_dir() const { return dir_; }
  const client::Kubeconfig& kubeconfig() const { return kubeconfig_; }
  // The last `bytes` of the server's log.
  std::string LogTail(size_t bytes) const;

 private:
  ServerProcess() = default;

  pid_t pid_ = -1;
  std::string dir_;
  client::Kubeconfig kubeconfig_;
};

}  // namespace shoal::bench
