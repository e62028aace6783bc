#include "base/clock.h"

#include <gtest/gtest.h>

namespace shoal::base {
namespace {

using std::chrono::milliseconds;

TEST(ParseRfc3339Test, SecondsAndMicros) {
  auto t = ParseRfc3339("2026-11-23T08:03:58Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatRfc3339(*t), "2026-11-23T08:03:58Z");
  auto m = ParseRfc3339("2026-11-23T08:03:58.123456Z");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::microseconds>(*m - *t).count(), 123456);
  auto n = ParseRfc3339("2026-11-23T08:03:58.5Z");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(*n - *t).count(), 500);
}

TEST(ParseRfc3339Test, RejectsMalformed) {
  for (const char* bad : {"", "2026-11-23", "2026-11-23T08:03:58", "2026-13-23T08:03:58Z",
                          "2026-11-23T08:03:58+01:00", "2026-11-23T08:03:58.Z",
                          "2026-11-23T08:0x:58Z", "2026-11-23T08:03:58.12a4Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

TEST(ParseDurationTest, GoForms) {
  EXPECT_EQ(ParseDuration("40s"), milliseconds(40'000));
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("5m"), milliseconds(300'000));
  EXPECT_EQ(ParseDuration("1h30m"), milliseconds(5'400'000));
  EXPECT_EQ(ParseDuration("1.5s"), milliseconds(1'500));
  EXPECT_EQ(ParseDuration("40"), milliseconds(40'000));
  EXPECT_EQ(ParseDuration("0s"), milliseconds(0));
}

TEST(ParseDurationTest, RejectsMalformed) {
  for (const char* bad : {"", "s", "-1s", "10x", "1s5", "1..2s", "ms"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace shoal::base
