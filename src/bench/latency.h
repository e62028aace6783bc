// LatencyRecorder: per-operation latency samples and their summary (count, mean, p50, p90,
// p99, max) with nearest-rank percentiles, as the Kubernetes API-call SLOs state them.
//
// Threading: a recorder is written by one client coroutine; recorders are merged after the
// clients are done.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include <boost/json/object.hpp>

namespace shoal::bench {

struct LatencySummary {
  int64_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

// {"count", "mean_ms", "p50_ms", "p90_ms", "p99_ms", "max_ms"}: a summary as reports write it.
boost::json::object ToJson(const LatencySummary& s);

class LatencyRecorder {
 public:
  void Add(std::chrono::steady_clock::duration d) {
    samples_ns_.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  }
  void Merge(const LatencyRecorder& other) {
    samples_ns_.insert(samples_ns_.end(), other.samples_ns_.begin(), other.samples_ns_.end());
  }
  int64_t count() const { return static_cast<int64_t>(samples_ns_.size()); }
  // Sorts the samples (hence not const).
  LatencySummary Summarize();

 private:
  std::vector<int64_t> samples_ns_;
};

}  // namespace shoal::bench
