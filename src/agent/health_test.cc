// Health checks: check programs (exit codes, output, timeouts, their process groups), Xid
// lines in kernel log records, nvidia-smi's ECC output, and the monitor's report.
#include "agent/health.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/gpus.h"
#include "base/strings.h"

namespace shoal::agent {
namespace {

namespace fs = std::filesystem;

class HealthTest : public ::testing::Test {
 protected:
  HealthTest()
      : dir_(fs::temp_directory_path() /
             base::StrCat("shoal-health-", getpid(), "-",
                          ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::create_directories(dir_);
  }
  ~HealthTest() override { fs::remove_all(dir_); }
  std::string Script(const std::string& name, const std::string& body, bool executable = true) {
    fs::path p = dir_ / name;
    std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
    chmod(p.c_str(), executable ? 0755 : 0644);
    return p.string();
  }
  fs::path dir_;
};

TEST_F(HealthTest, RunProgramReportsExitCodeAndOutput) {
  ProgramResult ok = RunProgram(Script("ok", "echo fine"), std::chrono::seconds(5));
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.output, "fine\n");
  ProgramResult bad = RunProgram(Script("bad", "echo 'gpu 3 is hot'; exit 2"),
                                 std::chrono::seconds(5));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_FALSE(bad.timed_out);
}

TEST_F(HealthTest, RunProgramKillsAHangingProgramAndItsChildren) {
  std::string pidfile = (dir_ / "child.pid").string();
  ProgramResult r = RunProgram(
      Script("hang", base::StrCat("sleep 100 & echo $! > ", pidfile, "; sleep 100")),
      std::chrono::seconds(1));
  EXPECT_TRUE(r.timed_out);
  int child = 0;
  std::ifstream(pidfile) >> child;
  ASSERT_GT(child, 0);
  usleep(100'000);
  // Gone, or a zombie nobody reaps (its parent was killed too).
  std::ifstream stat(base::StrCat("/proc/", child, "/stat"));
  std::string line;
  std::getline(stat, line);
  EXPECT_TRUE(line.empty() || line.substr(line.rfind(')') + 2, 1) == "Z")
      << "the program's background child survived: " << line;
}

TEST_F(HealthTest, RunProgramsReportsFailuresInNameOrderAndSkipsNonExecutables) {
  Script("20-fails", "echo 'ib0 link down'; exit 1");
  Script("10-passes", "exit 0");
  Script("30-silent", "exit 3");
  Script("40-not-executable", "exit 1", /*executable=*/false);
  auto failures = RunPrograms(dir_.string(), std::chrono::seconds(5));
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0].check, "20-fails");
  EXPECT_EQ(failures[0].message, "ib0 link down");
  EXPECT_EQ(failures[1].check, "30-silent");
  EXPECT_EQ(failures[1].message, "exit code 3");
  EXPECT_TRUE(RunPrograms((dir_ / "none").string(), std::chrono::seconds(5)).empty());
}

TEST(Xid, FindsXidLinesInKernelRecords) {
  std::string records =
      "6,1234,5678,-;usb 1-1: new device\n"
      "4,1235,5679,-;NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, GPU has fallen off the bus.\n";
  auto xids = FindXidErrors(records);
  ASSERT_EQ(xids.size(), 1u);
  EXPECT_EQ(xids[0], "NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, GPU has fallen off the bus.");
  EXPECT_TRUE(FindXidErrors("6,1,2,-;all good\n").empty());
}

TEST(Ecc, ParsesCountsAndNotAvailable) {
  auto ecc = ParseEccCsv("0, 0\n1, 3\n2, [N/A]\n");
  ASSERT_TRUE(ecc.ok());
  EXPECT_EQ(*ecc, (std::vector<std::pair<int, int64_t>>{{0, 0}, {1, 3}, {2, 0}}));
  EXPECT_FALSE(ParseEccCsv("garbage\n").ok());
}

TEST(Gpus, ParsesNvidiaSmiAndAllocatesDisjointDevices) {
  auto gpus = ParseNvidiaSmi("1, GPU-bbb, NVIDIA H100\n0, GPU-aaa, NVIDIA H100\n");
  ASSERT_TRUE(gpus.ok());
  ASSERT_EQ(gpus->size(), 2u);
  EXPECT_EQ((*gpus)[0].uuid, "GPU-aaa");
  GpuAllocator alloc(*DiscoverGpus(4));
  EXPECT_EQ(*alloc.Allocate("a", 2), (std::vector<int>{0, 1}));
  EXPECT_EQ(*alloc.Allocate("b", 1), (std::vector<int>{2}));
  EXPECT_FALSE(alloc.Allocate("c", 2).has_value());
  EXPECT_EQ(*alloc.Allocate("a", 2), (std::vector<int>{0, 1}));  // idempotent
  alloc.Release("a");
  EXPECT_EQ(*alloc.Allocate("c", 2), (std::vector<int>{0, 1}));
  EXPECT_EQ(alloc.free(), 1u);
}

TEST_F(HealthTest, MonitorAsksTheGivenNvidiaSmiForTheGpuCountAndEcc) {
  const std::string smi = (dir_ / "smi").string();
  auto write_smi = [&](const std::string& gpus, const std::string& ecc) {
    std::ofstream(smi) << "#!/bin/sh\ncase \"$1\" in\n  --query-gpu=index,uuid,name) printf '"
                       << gpus << "' ;;\n  *) printf '" << ecc << "' ;;\nesac\n";
    chmod(smi.c_str(), 0755);
  };
  write_smi("0, GPU-a, NVIDIA H200\\n1, GPU-b, NVIDIA H200\\n", "0, 0\\n1, 0\\n");
  auto gpus = DiscoverGpus(-1, smi);
  ASSERT_TRUE(gpus.ok()) << gpus.status();
  ASSERT_EQ(gpus->size(), 2u);
  EXPECT_EQ((*gpus)[1].name, "NVIDIA H200");
  HealthOptions o;
  o.nvidia_smi = smi;
  o.expected_gpus = 2;
  o.kmsg_path = (dir_ / "no-kmsg").string();
  HealthMonitor m(o);
  EXPECT_EQ(m.Check().Summary(), "");
  write_smi("0, GPU-a, NVIDIA H200\\n", "0, 0\\n1, 5\\n");
  EXPECT_EQ(m.Check().Summary(),
            "gpu-count: expected 2 GPUs, nvidia-smi reports 1; ecc: GPU 1 has 5 uncorrectable ECC "
            "errors");
  // Without a program (fake GPUs), nothing is asked.
  o.nvidia_smi = "";
  HealthMonitor quiet(o);
  EXPECT_EQ(quiet.Check().Summary(), "");
}

TEST_F(HealthTest, MonitorReportsCheckProgramsAndXidFromTheKernelLog) {
  fs::create_directories(dir_ / "checks");
  std::ofstream(dir_ / "checks" / "nic") << "#!/bin/sh\necho 'nic down'\nexit 1\n";
  chmod((dir_ / "checks" / "nic").c_str(), 0755);
  std::string kmsg = (dir_ / "kmsg").string();
  std::ofstream(kmsg) << "6,1,1,-;before the agent: NVRM: Xid (PCI:0): 13, old\n";
  HealthOptions o;
  o.check_dir = (dir_ / "checks").string();
  o.data_dir = dir_.string();
  o.kmsg_path = kmsg;
  HealthMonitor m(o);
  HealthReport r = m.Check();
  ASSERT_EQ(r.failures.size(), 1u) << r.Summary();  // the old Xid does not count
  EXPECT_EQ(r.Summary(), "nic: nic down");
  std::ofstream(kmsg, std::ios::app) << "4,2,2,-;NVRM: Xid (PCI:0000:3b:00): 79, fell off\n";
  r = m.Check();
  EXPECT_EQ(r.Summary(), "xid: NVRM: Xid (PCI:0000:3b:00): 79, fell off; nic: nic down");
  fs::remove(dir_ / "checks" / "nic");
  // An Xid stays reported: the GPU needs attention even once the log is quiet.
  EXPECT_EQ(m.Check().Summary(), "xid: NVRM: Xid (PCI:0000:3b:00): 79, fell off");
}

}  // namespace
}  // namespace shoal::agent
