#include "bench/latency.h"

#include <gtest/gtest.h>

namespace shoal::bench {
namespace {

TEST(LatencyRecorderTest, NearestRankPercentiles) {
  LatencyRecorder r;
  for (int i = 100; i >= 1; --i) r.Add(std::chrono::milliseconds(i));
  LatencySummary s = r.Summarize();
  EXPECT_EQ(s.count, 100);
  EXPECT_DOUBLE_EQ(s.p50_ms, 50);
  EXPECT_DOUBLE_EQ(s.p90_ms, 90);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99);
  EXPECT_DOUBLE_EQ(s.max_ms, 100);
  EXPECT_DOUBLE_EQ(s.mean_ms, 50.5);
  EXPECT_EQ(LatencyRecorder().Summarize().count, 0);
}

}  // namespace
}  // namespace shoal::bench
