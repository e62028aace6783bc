// Cgroups against a fake cgroup v2 root (a directory with the files the kernel would show):
// what Open requires, the limits Create writes, OOM kills read back, and a process joining its
// cgroup before exec (ProcessRuntime). Enforcement itself is the kernel's and needs a machine
// with the cgroup v2 cpu and memory controllers (this one has them on cgroup v1).
#include "agent/cgroups.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <boost/asio/io_context.hpp>

#include "agent/process_runtime.h"
#include "base/strings.h"

namespace shoal::agent {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CgroupsTest : public ::testing::Test {
 protected:
  CgroupsTest()
      : root_(fs::temp_directory_path() /
              base::StrCat("shoal-cgroup-", getpid(), "-",
                           ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::create_directories(root_);
    std::ofstream(root_ / "cgroup.controllers") << "cpuset cpu io memory pids\n";
  }
  ~CgroupsTest() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST(CpuMax, MillicoresToQuotaPerPeriod) {
  EXPECT_EQ(CpuMax(500), "50000 100000");
  EXPECT_EQ(CpuMax(2000), "200000 100000");
  EXPECT_EQ(CpuMax(1), "1000 100000");  // kubelet's minimum quota
  EXPECT_EQ(CpuMax(0), "max 100000");
}

TEST_F(CgroupsTest, OpenNeedsCpuAndMemoryControllers) {
  std::ofstream(root_ / "cgroup.controllers", std::ios::trunc) << "hugetlb\n";
  std::string why;
  EXPECT_EQ(Cgroups::Open(root_.string(), &why), nullptr);
  EXPECT_NE(why.find("cpu and memory"), std::string::npos) << why;
  EXPECT_EQ(Cgroups::Open((root_ / "missing").string(), &why), nullptr);
}

TEST_F(CgroupsTest, CreateWritesLimitsAndEnablesControllers) {
  auto cg = Cgroups::Open(root_.string());
  ASSERT_NE(cg, nullptr);
  EXPECT_EQ(Slurp(root_ / "cgroup.subtree_control"), "+cpu +memory");
  EXPECT_EQ(Slurp(root_ / "shoal.pods" / "cgroup.subtree_control"), "+cpu +memory");
  auto dir = cg->Create("uid_main", 1500, int64_t{1} << 30);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(Slurp(*dir + "/cpu.max"), "150000 100000");
  EXPECT_EQ(Slurp(*dir + "/memory.max"), "1073741824");
  auto unlimited = cg->Create("uid_side", 0, 0);
  ASSERT_TRUE(unlimited.ok());
  EXPECT_EQ(Slurp(*unlimited + "/cpu.max"), "max 100000");
  EXPECT_EQ(Slurp(*unlimited + "/memory.max"), "max");
  std::ofstream(*dir + "/memory.events") << "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n";
  EXPECT_EQ(Cgroups::OomKills(*dir), 1);
  EXPECT_EQ(Cgroups::OomKills(*unlimited), 0);
  Cgroups::Remove(*dir);
  EXPECT_FALSE(fs::exists(*dir));
}

TEST_F(CgroupsTest, ProcessJoinsItsCgroupBeforeExecAndAnOomKillIsReported) {
  auto cg = Cgroups::Open(root_.string());
  ASSERT_NE(cg, nullptr);
  auto dir = cg->Create("uid_main", 500, 1 << 20);
  ASSERT_TRUE(dir.ok());
  std::ofstream(*dir + "/cgroup.procs").flush();
  std::ofstream(*dir + "/memory.events") << "oom_kill 1\n";
  boost::asio::io_context io;
  ProcessRuntime runtime(io.get_executor());
  ProcessSpec spec;
  spec.argv = {"sleep", "100"};
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.log_path = (root_ / "log").string();
  spec.cgroup = *dir;
  std::optional<ExitInfo> exit;
  auto h = runtime.Start(spec, [&](ExitInfo e) { exit = e; });
  ASSERT_TRUE(h.ok()) << h.status();
  // The child wrote "0" (itself) to cgroup.procs before exec.
  EXPECT_EQ(Slurp(*dir + "/cgroup.procs"), "0");
  runtime.Signal(*h, SIGKILL);  // what the OOM killer does
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!exit && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(20));
    io.restart();
  }
  ASSERT_TRUE(exit);
  EXPECT_TRUE(exit->oom_killed);
  EXPECT_EQ(exit->exit_code, 137);
}

TEST_F(CgroupsTest, AMissingCgroupFailsTheStartWithAReason) {
  boost::asio::io_context io;
  ProcessRuntime runtime(io.get_executor());
  ProcessSpec spec;
  spec.argv = {"true"};
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.log_path = (root_ / "log").string();
  spec.cgroup = (root_ / "nope").string();
  auto h = runtime.Start(spec, [](ExitInfo) {});
  EXPECT_EQ(h.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(h.status().message().find("joining cgroup"), std::string::npos);
}

}  // namespace
}  // namespace shoal::agent
