// RemoveStaleSimTempDirs and MakeSimTempDir in a temporary base directory of the test's own;
// a dead pid is that of a child the test has reaped.
#include "sim/temp_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace shoal::sim {
namespace {

namespace fs = std::filesystem;

class SimTempDirTest : public ::testing::Test {
 protected:
  SimTempDirTest() {
    std::string pattern = (fs::temp_directory_path() / "temp_dir_test.XXXXXX").string();
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    base_ = pattern;
  }
  ~SimTempDirTest() override {
    std::error_code ec;
    fs::remove_all(base_, ec);
  }
  // A directory under base_ with a node directory inside and, when owner > 0, an owner file.
  fs::path Make(const std::string& name, pid_t owner) {
    fs::path d = base_ / name;
    fs::create_directories(d / "node-0" / "pods");
    if (owner > 0) std::ofstream(d / "owner") << owner << "\n";
    return d;
  }
  static pid_t DeadPid() {
    pid_t child = fork();
    if (child == 0) _exit(0);
    int status = 0;
    waitpid(child, &status, 0);
    return child;
  }

  fs::path base_;
};

TEST_F(SimTempDirTest, RemovesOnlyTheDirectoriesOfSimsThatNoLongerRun) {
  const pid_t dead = DeadPid();
  const fs::path stale = Make("shoal-sim.stale1", dead);
  const fs::path live = Make("shoal-sim.live01", getppid());
  const fs::path mine = Make("shoal-sim.mine01", getpid());
  const fs::path unowned = Make("shoal-sim.new001", 0);
  const fs::path other = Make("other.dead01", dead);
  std::ofstream(base_ / "shoal-sim.file01") << dead << "\n";

  EXPECT_EQ(RemoveStaleSimTempDirs(base_), 1);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live / "node-0" / "pods"));
  EXPECT_TRUE(fs::exists(mine / "node-0"));
  EXPECT_TRUE(fs::exists(unowned / "node-0"));
  EXPECT_TRUE(fs::exists(other / "node-0"));
  EXPECT_TRUE(fs::exists(base_ / "shoal-sim.file01"));
  EXPECT_EQ(RemoveStaleSimTempDirs(base_), 0);
}

TEST_F(SimTempDirTest, MakesADirectoryOwnedByThisProcessAfterRemovingStaleOnes) {
  const fs::path stale = Make("shoal-sim.stale2", DeadPid());
  auto made = MakeSimTempDir(base_);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_FALSE(fs::exists(stale));
  const fs::path dir(*made);
  EXPECT_EQ(dir.parent_path(), base_);
  EXPECT_TRUE(dir.filename().string().starts_with("shoal-sim."));
  long owner = 0;
  std::ifstream(dir / "owner") >> owner;
  EXPECT_EQ(owner, getpid());
  // A second sim (here: the same process) keeps the first one's directory.
  auto second = MakeSimTempDir(base_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(*second, *made);
  EXPECT_TRUE(fs::exists(dir));
}

TEST_F(SimTempDirTest, AMissingBaseIsAnError) {
  auto made = MakeSimTempDir(base_ / "missing");
  EXPECT_FALSE(made.ok());
  EXPECT_EQ(RemoveStaleSimTempDirs(base_ / "missing"), 0);
}

}  // namespace
}  // namespace shoal::sim
