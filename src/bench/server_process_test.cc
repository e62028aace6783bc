// server_process: reading the machine's CPU time from /proc/stat; the bench's own nice value.
#include "bench/server_process.h"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

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

// SetOwnNice changes the calling thread only (here a thread of its own, raised by one, which
// needs no privilege), and ReadProcessStats reads a process's value from /proc.
TEST(NiceTest, SetOwnNiceChangesTheCallingThreadAndReadProcessStatsReadsIt) {
  const int before = getpriority(PRIO_PROCESS, 0);
  ASSERT_TRUE(ReadProcessStats(getpid()).ok());
  EXPECT_EQ(ReadProcessStats(getpid())->nice, before);
  EXPECT_EQ(SelfStats().nice, before);
  int in_thread = -100;
  std::thread([&] {
    ASSERT_TRUE(SetOwnNice(std::min(before + 1, 19)).ok());
    in_thread = getpriority(PRIO_PROCESS, 0);
  }).join();
  EXPECT_EQ(in_thread, std::min(before + 1, 19));
  EXPECT_EQ(getpriority(PRIO_PROCESS, 0), before);  // the test's own thread is unchanged
  // A child at another nice value.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    setpriority(PRIO_PROCESS, 0, std::min(before + 3, 19));
    pause();
    _exit(0);
  }
  int seen = -100;
  for (int i = 0; i < 200 && seen != std::min(before + 3, 19); ++i) {
    if (auto st = ReadProcessStats(child); st.ok()) seen = st->nice;
    usleep(5000);
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(seen, std::min(before + 3, 19));
  EXPECT_FALSE(ReadProcessStats(child).ok());  // reaped: gone
}

}  // namespace
}  // namespace shoal::bench
