// Node health: what the agent checks to take its node out of scheduling before work lands on a
// bad machine.
//   - passive checks: fewer GPUs than at start (nvidia-smi), GPU Xid errors in the kernel log
//     (/dev/kmsg, read from the agent's start on), uncorrectable ECC errors (nvidia-smi), disk
//     pressure on the data dir (under 10% free, kubelet's nodefs.available default) and memory
//     pressure (under 100Mi available, kubelet's memory.available default);
//   - operator check programs: every executable in a directory; a non-zero exit (or a timeout)
//     is a failure and its first line of stdout the message;
//   - preflight programs: run until they all pass once (e.g. a short GPU burn-in); until then
//     the node keeps its `shoal.io/preflight` taint.
// The agent turns the reports into node conditions, taints and Events (agent.cc).
//
// Threading: the calls block (they run programs); the agent calls them from its health thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::agent {

struct HealthOptions {
  std::string check_dir;      // operator check programs ("" = none)
  std::string preflight_dir;  // preflight programs ("" = none)
  std::string data_dir;       // for disk pressure
  int expected_gpus = 0;      // from discovery at start
  // Real GPUs: the nvidia-smi to ask for the GPU count and ECC errors ("" = no such checks,
  // for fake GPUs or none).
  std::string nvidia_smi;
  std::string kmsg_path = "/dev/kmsg";  // the kernel log, read for Xid errors
  std::chrono::seconds program_timeout{60};
};

struct CheckFailure {
  std::string check;    // "gpu-count", "xid", "ecc", "disk-pressure", "memory-pressure", or the
                        // program's file name
  std::string message;  // one line
};

struct HealthReport {
  std::vector<CheckFailure> failures;
  bool memory_pressure = false;
  bool disk_pressure = false;
  // "check: message; check: message" (empty when healthy).
  std::string Summary() const;
};

struct ProgramResult {
  int exit_code = 0;  // 128 + signal if killed; -1 if it could not be started
  bool timed_out = false;
  std::string output;  // stdout, at most 64 KiB
};

// Runs `path` with no arguments, stdin from /dev/null, in its own process group, killed (the
// whole group) after `timeout`.
ProgramResult RunProgram(const std::string& path, std::chrono::seconds timeout);

// Runs every executable regular file of `dir`, in name order; a failure per program that exits
// non-zero or times out. A missing directory has no programs.
std::vector<CheckFailure> RunPrograms(const std::string& dir, std::chrono::seconds timeout);

// A field of /proc/meminfo in KiB ("MemTotal", "MemAvailable"), or -1.
int64_t MemInfoKi(std::string_view field);

// Xid lines ("NVRM: Xid (PCI:0000:3b:00): 79, ...") among kernel log records.
std::vector<std::string> FindXidErrors(const std::string& kmsg_records);

class HealthMonitor {
 public:
  explicit HealthMonitor(HealthOptions options);
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // Every passive check and check program, now.
  HealthReport Check();
  // The preflight programs that fail now (empty: preflight passed).
  std::vector<CheckFailure> Preflight();

 private:
  HealthOptions options_;
  int kmsg_fd_ = -1;
  std::vector<std::string> xid_seen_;  // Xid errors stay reported until the agent restarts
};

}  // namespace shoal::agent
