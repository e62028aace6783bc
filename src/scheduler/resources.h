// Resources: the scheduler's fixed-size resource vector, and ResourceNames, which maps
// resource names ("cpu", "memory", "nvidia.com/gpu", ...) to its slots.
//
// A pod's requests and a node's allocatable/requested amounts are Resources: an array of
// int64 (milli-cpu, bytes, counts), so that fit checks in the scheduling loop never allocate
// or compare strings. cpu, memory, ephemeral-storage and pods have fixed slots; extended
// resources get the next free slot the first time they are seen.
//
// Threading: not thread-safe; owned by the scheduler's single thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace shoal::scheduler {

inline constexpr int kMaxResources = 12;
inline constexpr int kCpu = 0;        // millicores
inline constexpr int kMemory = 1;     // bytes
inline constexpr int kEphemeral = 2;  // bytes
inline constexpr int kPods = 3;       // count
inline constexpr int kFirstExtended = 4;

struct Resources {
  std::array<int64_t, kMaxResources> v{};

  int64_t& operator[](int i) { return v[i]; }
  int64_t operator[](int i) const { return v[i]; }
  Resources& operator+=(const Resources& o) {
    for (int i = 0; i < kMaxResources; ++i) v[i] += o.v[i];
    return *this;
  }
  Resources& operator-=(const Resources& o) {
    for (int i = 0; i < kMaxResources; ++i) v[i] -= o.v[i];
    return *this;
  }
  // Element-wise maximum (Kubernetes' rule for init containers).
  void MaxWith(const Resources& o) {
    for (int i = 0; i < kMaxResources; ++i) v[i] = std::max(v[i], o.v[i]);
  }
  bool IsZero() const {
    for (int64_t x : v) {
      if (x != 0) return false;
    }
    return true;
  }
  friend bool operator==(const Resources&, const Resources&) = default;
};

class ResourceNames {
 public:
  ResourceNames();

  // The slot of `name`, assigning one to a new extended resource. ResourceExhausted when more
  // than kMaxResources - kFirstExtended extended resources are in use.
  absl::StatusOr<int> Slot(std::string_view name);
  // The slot of `name`, or -1 if it was never seen.
  int Find(std::string_view name) const;
  const std::string& Name(int slot) const { return names_[slot]; }
  int size() const { return static_cast<int>(names_.size()); }
  // The slot of nvidia.com/gpu (always assigned).
  int gpu() const { return gpu_; }

 private:
  std::vector<std::string> names_;
  int gpu_ = -1;
};

}  // namespace shoal::scheduler
