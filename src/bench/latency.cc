#include "bench/latency.h"

#include <algorithm>
#include <cmath>

namespace shoal::bench {

boost::json::object ToJson(const LatencySummary& s) {
  return boost::json::object{{"count", s.count},   {"mean_ms", s.mean_ms},
                             {"p50_ms", s.p50_ms}, {"p90_ms", s.p90_ms},
                             {"p99_ms", s.p99_ms}, {"max_ms", s.max_ms}};
}

LatencySummary LatencyRecorder::Summarize() {
  LatencySummary s;
  s.count = count();
  if (samples_ns_.empty()) return s;
  std::sort(samples_ns_.begin(), samples_ns_.end());
  auto rank = [&](double q) {
    // Nearest rank: the smallest sample with at least q of the samples at or below it.
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(samples_ns_.size())));
    return static_cast<double>(samples_ns_[std::clamp<size_t>(i, 1, samples_ns_.size()) - 1]) / 1e6;
  };
  double sum = 0;
  for (int64_t v : samples_ns_) sum += static_cast<double>(v);
  s.mean_ms = sum / static_cast<double>(samples_ns_.size()) / 1e6;
  s.p50_ms = rank(0.50);
  s.p90_ms = rank(0.90);
  s.p99_ms = rank(0.99);
  s.max_ms = static_cast<double>(samples_ns_.back()) / 1e6;
  return s;
}

}  // namespace shoal::bench
