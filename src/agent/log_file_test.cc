// LogWriter and ReadLog on temporary files: line splitting, partial lines, rotation, and the
// containerLogs options (timestamps, tailLines, limitBytes, sinceSeconds).
#include "agent/log_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "base/strings.h"

namespace shoal::agent {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using Clock = std::chrono::system_clock;

class LogFileTest : public ::testing::Test {
 protected:
  LogFileTest()
      : dir_(fs::temp_directory_path() /
             base::StrCat("shoal-log-", getpid(), "-",
                          ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        t0_(Clock::from_time_t(1'800'000'000)) {
    fs::create_directories(dir_);
    path_ = (dir_ / "0.log").string();
  }
  ~LogFileTest() override { fs::remove_all(dir_); }

  std::string Read(LogOptions o = {}, Clock::time_point now = {}) {
    int64_t end = -1;
    auto r = ReadLog(path_, o, now == Clock::time_point{} ? t0_ + seconds(100) : now, &end);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : "";
  }

  fs::path dir_;
  std::string path_;
  Clock::time_point t0_;
};

TEST(FormatLogTime, HasNanoseconds) {
  auto t = Clock::from_time_t(1'800'000'000) + std::chrono::nanoseconds(1500);
  EXPECT_EQ(FormatLogTime(t), "2027-01-15T08:00:00.000001500Z");
}

TEST_F(LogFileTest, SplitsLinesAndKeepsPartialOnesUntilTheirEnd) {
  LogWriter w(path_, 1 << 20);
  ASSERT_TRUE(w.ok());
  w.Write("one\ntw", t0_);
  EXPECT_EQ(Read(), "one\n");
  w.Write("o\nthree", t0_ + seconds(1));
  w.Flush(t0_ + seconds(2));
  EXPECT_EQ(Read(), "one\ntwo\nthree\n");
  EXPECT_EQ(Read({.timestamps = true}),
            "2027-01-15T08:00:00.000000000Z one\n2027-01-15T08:00:01.000000000Z two\n"
            "2027-01-15T08:00:02.000000000Z three\n");
}

TEST_F(LogFileTest, TailLimitAndSince) {
  LogWriter w(path_, 1 << 20);
  for (int i = 0; i < 5; ++i) w.Write(base::StrCat("line", i, "\n"), t0_ + seconds(10 * i));
  EXPECT_EQ(Read({.tail_lines = 2}), "line3\nline4\n");
  EXPECT_EQ(Read({.tail_lines = 0}), "");
  EXPECT_EQ(Read({.limit_bytes = 8}), "line0\nli");
  // Now = t0 + 45 s: sinceSeconds=20 keeps lines stamped at 30 s and 40 s.
  EXPECT_EQ(Read({.since_seconds = 20}, t0_ + seconds(45)), "line3\nline4\n");
}

TEST_F(LogFileTest, RotatesAtTheLimitAndReadsBothParts) {
  LogWriter w(path_, 100);  // about two stamped lines per file
  for (int i = 0; i < 5; ++i) w.Write(base::StrCat("line", i, "\n"), t0_);
  EXPECT_TRUE(fs::exists(path_ + ".1"));
  EXPECT_LE(fs::file_size(path_), 100u);
  // The oldest lines went with the earlier rotation; what is kept is in order.
  std::string all = Read();
  EXPECT_EQ(all.substr(all.size() - 12), "line3\nline4\n");
  EXPECT_EQ(all.find("line0"), std::string::npos);
}

TEST_F(LogFileTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadLog((dir_ / "none.log").string(), {}, t0_, nullptr).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace shoal::agent
