// GPUs of this node: discovery (nvidia-smi when present, else N fake devices) and the
// allocator that gives each container specific device indices. A device belongs to at most one
// running container; it returns to the pool when that container ends.
//
// Threading: GpuAllocator is used on the agent's executor only (no locks). DiscoverGpus blocks
// (it runs nvidia-smi) and is called once at start.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace shoal::agent {

struct GpuDevice {
  int index = 0;
  std::string uuid;  // "GPU-..." from nvidia-smi; "fake-N" for fake devices
  std::string name;  // e.g. "NVIDIA H100 80GB HBM3"
};

// `nvidia-smi --query-gpu=index,uuid,name --format=csv,noheader` output -> devices.
absl::StatusOr<std::vector<GpuDevice>> ParseNvidiaSmi(const std::string& csv);

// With fake_count >= 0: that many fake devices. Otherwise runs nvidia-smi (`smi` is its path or
// name): no nvidia-smi on PATH means no GPUs; a failing nvidia-smi is an error.
absl::StatusOr<std::vector<GpuDevice>> DiscoverGpus(int fake_count,
                                                    const std::string& smi = "nvidia-smi");

// `nvidia-smi --query-gpu=index,ecc.errors.uncorrected.volatile.total --format=csv,noheader`
// output -> (index, count); "[N/A]" (ECC off or unsupported) counts as 0.
absl::StatusOr<std::vector<std::pair<int, int64_t>>> ParseEccCsv(const std::string& csv);
// Runs that query.
absl::StatusOr<std::vector<std::pair<int, int64_t>>> UncorrectedEccErrors(
    const std::string& smi = "nvidia-smi");

class GpuAllocator {
 public:
  explicit GpuAllocator(std::vector<GpuDevice> devices);

  // `count` free devices for `owner` (lowest indices first), or nullopt if fewer are free.
  // An owner that already holds devices gets the same ones again (idempotent restarts).
  std::optional<std::vector<int>> Allocate(const std::string& owner, int count);
  // Returns `owner`'s devices to the pool.
  void Release(const std::string& owner);

  size_t total() const { return devices_.size(); }
  size_t free() const;
  const std::vector<GpuDevice>& devices() const { return devices_; }

 private:
  std::vector<GpuDevice> devices_;
  std::map<int, std::string> owner_of_;  // device index -> owner
};

}  // namespace shoal::agent
