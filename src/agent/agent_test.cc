// The agent's interval jitter (Lease renewals and node-status writes of hollow nodes).
#include "agent/agent.h"

#include <gtest/gtest.h>

namespace shoal::agent {
namespace {

TEST(JitterFactorTest, ExactWithoutJitter) {
  EXPECT_DOUBLE_EQ(JitterFactor(0, true, 0.3), 1.0);
  EXPECT_DOUBLE_EQ(JitterFactor(0, false, 0.9), 1.0);
}

TEST(JitterFactorTest, FirstWaitIsARandomPartThenWithinTheBand) {
  // The first wait spreads nodes started together over the whole interval ...
  EXPECT_DOUBLE_EQ(JitterFactor(0.1, true, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(JitterFactor(0.1, true, 0.75), 0.75);
  // ... later ones stay within [1 - jitter, 1 + jitter].
  EXPECT_DOUBLE_EQ(JitterFactor(0.1, false, 0.0), 0.9);
  EXPECT_DOUBLE_EQ(JitterFactor(0.1, false, 0.5), 1.0);
  EXPECT_NEAR(JitterFactor(0.1, false, 1.0), 1.1, 1e-12);
}

}  // namespace
}  // namespace shoal::agent
