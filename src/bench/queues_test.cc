#include "bench/queues.h"

#include <gtest/gtest.h>

namespace shoal::bench {
namespace {

TEST(SplitByWeightTest, PartsFollowTheWeightsAndSumToTheTotal) {
  EXPECT_EQ(SplitByWeight(1600, {4, 3, 2, 1}), (std::vector<int64_t>{640, 480, 320, 160}));
  // 161 / 10 does not divide: the first teams get the GPU left over.
  EXPECT_EQ(SplitByWeight(161, {4, 3, 2, 1}), (std::vector<int64_t>{65, 48, 32, 16}));
  EXPECT_EQ(SplitByWeight(10, {1, 1, 1}), (std::vector<int64_t>{4, 3, 3}));
  EXPECT_EQ(SplitByWeight(8, {5}), (std::vector<int64_t>{8}));
}

TEST(SharesOfTest, UsedShareAgainstEntitlementInPercentagePoints) {
  std::vector<TeamShare> s = SharesOf({380, 310, 200, 110}, {640, 480, 320, 160});
  ASSERT_EQ(s.size(), 4u);
  EXPECT_DOUBLE_EQ(s[0].entitled, 0.4);
  EXPECT_DOUBLE_EQ(s[0].used_share, 0.38);
  EXPECT_NEAR(s[0].abs_diff_pp, 2.0, 1e-9);
  EXPECT_NEAR(s[1].abs_diff_pp, 1.0, 1e-9);
  EXPECT_NEAR(s[2].abs_diff_pp, 0.0, 1e-9);
  EXPECT_NEAR(s[3].abs_diff_pp, 1.0, 1e-9);
  // Nothing used: every share is 0, so each team is its entitlement away.
  s = SharesOf({0, 0}, {3, 1});
  EXPECT_DOUBLE_EQ(s[0].used_share, 0);
  EXPECT_NEAR(s[0].abs_diff_pp, 75, 1e-9);
}

TEST(SummarizeAllocationTest, MeanNearestRankP5MinAndTheFractionAtTheGoal) {
  std::vector<double> samples;
  for (int i = 1; i <= 100; ++i) samples.push_back(i / 100.0);
  AllocationSummary a = SummarizeAllocation(samples, 0.95);
  EXPECT_EQ(a.samples, 100);
  EXPECT_DOUBLE_EQ(a.mean, 0.505);
  EXPECT_DOUBLE_EQ(a.p5, 0.05);
  EXPECT_DOUBLE_EQ(a.min, 0.01);
  EXPECT_DOUBLE_EQ(a.above_goal, 0.06);  // 0.95 ... 1.00
  EXPECT_EQ(SummarizeAllocation({}, 0.95).samples, 0);
}

}  // namespace
}  // namespace shoal::bench
