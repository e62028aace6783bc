// server_process: reading the machine's CPU time from /proc/stat.
#include "bench/server_process.h"

#include <gtest/gtest.h>

namespace shoal::bench {
namespace {

TEST(ParseProcStatTest, BusyLeavesOutIdleAndIowaitAndStealIsItsOwn) {
  // user nice system idle iowait irq softirq steal guest guest_nice, in ticks of 1/100 s.
  const MachineCpu m = ParseProcStat(
      "cpu  1000 200 300 9000 400 10 90 250 0 0\ncpu0 500 100 150 4500 200 5 45 125 0 0\n", 100);
  EXPECT_DOUBLE_EQ(m.busy_s, (1000 + 200 + 300 + 10 + 90) / 100.0);
  EXPECT_DOUBLE_EQ(m.steal_s, 2.5);
}

TEST(ParseProcStatTest, SomethingElseReadsAsZero) {
  for (const char* text : {"", "cpu0 1 2 3 4 5 6 7 8\n", "cpu  1 2 3\n", "intr 5\n"}) {
    const MachineCpu m = ParseProcStat(text, 100);
    EXPECT_EQ(m.busy_s, 0) << text;
    EXPECT_EQ(m.steal_s, 0) << text;
  }
}

TEST(ParseProcStatTest, ThisMachineHasBeenBusy) {
  EXPECT_GT(ReadMachineCpu().busy_s, 0);
}

}  // namespace
}  // namespace shoal::bench
