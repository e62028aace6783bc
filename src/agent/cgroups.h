// Cgroups: CPU and memory limits for containers through cgroup v2, when the agent can use it.
// Each container run gets <root>/shoal.pods/<name>/ with cpu.max (limits.cpu) and memory.max
// (limits.memory); its process joins before exec; an OOM kill is read from memory.events.
// Where cgroup v2 has no cpu and memory controllers or is not writable (cgroup v1 machines,
// unprivileged agents), Open says why and limits are not enforced (the Node says so).
//
// Threading: used on the agent's executor; the child side (JoinCgroup) is async-signal-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace shoal::agent {

class Cgroups {
 public:
  // Usable when `root` is a cgroup2 root listing cpu and memory in cgroup.controllers, the
  // agent can create <root>/shoal.pods and enable both controllers below it. Otherwise
  // nullptr and `why` (if given) says what is missing.
  static std::unique_ptr<Cgroups> Open(const std::string& root = "/sys/fs/cgroup",
                                       std::string* why = nullptr);

  // Creates (or reuses) the cgroup `name` with the limits: cpu_milli <= 0 and memory_bytes <= 0
  // mean none ("max"). Returns its directory.
  absl::StatusOr<std::string> Create(const std::string& name, int64_t cpu_milli,
                                     int64_t memory_bytes);
  // How many times the kernel OOM-killed a process of the cgroup at `dir`.
  static int64_t OomKills(const std::string& dir);
  // Kills what is left in the cgroup and removes it.
  static void Remove(const std::string& dir);

  const std::string& parent() const { return parent_; }

 private:
  explicit Cgroups(std::string parent) : parent_(std::move(parent)) {}
  std::string parent_;  // <root>/shoal.pods
};

// cpu.max for a CPU limit in millicores: "<quota> 100000" (quota = milli * 100, at least
// 1000, kubelet's minimum), or "max 100000".
std::string CpuMax(int64_t cpu_milli);

}  // namespace shoal::agent
