// ProcessRuntime with real processes (sh) on a one-thread io_context: exit codes, signals, the
// process group, log files, a missing command, and killing what an earlier agent left.
#include "agent/process_runtime.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "base/strings.h"

namespace shoal::agent {
namespace {

namespace fs = std::filesystem;

bool Alive(int64_t pid) {
  std::ifstream in(base::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(in, line)) return false;
  size_t close = line.rfind(')');
  return close != std::string::npos && line.substr(close + 2, 1) != "Z";
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ProcessRuntimeTest : public ::testing::Test {
 protected:
  ProcessRuntimeTest() : runtime_(io_.get_executor()) {
    dir_ = fs::temp_directory_path() / base::StrCat("shoal-runtime-", getpid(), "-",
                                                     ::testing::UnitTest::GetInstance()
                                                         ->current_test_info()
                                                         ->name());
    fs::create_directories(dir_);
  }
  ~ProcessRuntimeTest() override { fs::remove_all(dir_); }

  ProcessSpec Sh(const std::string& script) {
    ProcessSpec s;
    s.argv = {"sh", "-c", script};
    s.env = {"PATH=/usr/bin:/bin", "GREETING=hi"};
    s.log_path = (dir_ / "log").string();
    s.working_dir = dir_.string();
    return s;
  }
  // Runs the io_context until `exit` is set (up to 10 s).
  void RunUntil(const std::optional<ExitInfo>& exit) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!exit && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(std::chrono::milliseconds(20));
      io_.restart();
    }
  }

  boost::asio::io_context io_;
  ProcessRuntime runtime_;
  fs::path dir_;
};

TEST_F(ProcessRuntimeTest, ReportsExitCodeAndWritesTheLogInItsWorkingDir) {
  std::optional<ExitInfo> exit;
  auto h = runtime_.Start(Sh("echo $GREETING; pwd; echo oops >&2; exit 7"),
                          [&](ExitInfo e) { exit = e; });
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_GT(h->start_ticks, 0u);
  RunUntil(exit);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->exit_code, 7);
  EXPECT_EQ(exit->signal, 0);
  // Every line carries the time it was read ("2026-...Z "); the text follows.
  const std::string raw = Slurp(dir_ / "log");
  EXPECT_EQ(FormatLogLines(raw, false), base::StrCat("hi\n", dir_.string(), "\noops\n"));
  EXPECT_EQ(raw[4], '-');
  EXPECT_EQ(raw.find("Z hi\n"), 29u);  // 30 characters of time, then a space
}

TEST_F(ProcessRuntimeTest, TheContainerInheritsNoDescriptorOfTheAgent) {
  int fd = open("/dev/null", O_RDONLY);  // not close-on-exec, like an Asio socket
  ASSERT_GE(fd, 3);
  std::optional<ExitInfo> exit;
  auto h = runtime_.Start(Sh("ls /proc/self/fd | wc -l > fds"), [&](ExitInfo e) { exit = e; });
  ASSERT_TRUE(h.ok());
  RunUntil(exit);
  close(fd);
  // stdin, stdout, stderr, and the descriptor `ls` opens to read /proc/self/fd.
  EXPECT_EQ(std::stoi(Slurp(dir_ / "fds")), 4);
}

TEST_F(ProcessRuntimeTest, MissingCommandIsNotFound) {
  ProcessSpec s = Sh("");
  s.argv = {"/no/such/command"};
  auto h = runtime_.Start(s, [](ExitInfo) {});
  EXPECT_EQ(h.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(h.status().message().find("/no/such/command"), std::string::npos);
}

TEST_F(ProcessRuntimeTest, TermIsDeliveredToTheGroupAndATrapGetsItsTime) {
  std::optional<ExitInfo> exit;
  const std::string done = (dir_ / "done").string();
  auto h = runtime_.Start(
      Sh(base::StrCat("trap 'sleep 0.3; echo done > ", done, "; exit 0' TERM; "
                      "echo ready > ready; while true; do sleep 0.05; done")),
      [&](ExitInfo e) { exit = e; });
  ASSERT_TRUE(h.ok()) << h.status();
  while (!fs::exists(dir_ / "ready")) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  runtime_.Signal(*h, SIGTERM);
  RunUntil(exit);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->exit_code, 0);
  EXPECT_EQ(Slurp(done), "done\n");
}

TEST_F(ProcessRuntimeTest, SignalledProcessReportsTheSignal) {
  std::optional<ExitInfo> exit;
  auto h = runtime_.Start(Sh("exec sleep 100"), [&](ExitInfo e) { exit = e; });
  ASSERT_TRUE(h.ok());
  runtime_.Signal(*h, SIGKILL);
  RunUntil(exit);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->signal, SIGKILL);
  EXPECT_EQ(exit->exit_code, 137);
}

TEST_F(ProcessRuntimeTest, WhatTheMainProcessLeavesInItsGroupIsKilled) {
  std::optional<ExitInfo> exit;
  auto h = runtime_.Start(Sh("sleep 100 & echo $! > child; exit 0"),
                          [&](ExitInfo e) { exit = e; });
  ASSERT_TRUE(h.ok());
  RunUntil(exit);
  ASSERT_TRUE(exit);
  int64_t child = std::stoll(Slurp(dir_ / "child"));
  for (int i = 0; i < 100 && Alive(child); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(Alive(child));
}

TEST_F(ProcessRuntimeTest, KillLeftoverKillsAGroupButNotAReusedPid) {
  // A process group from "an earlier agent": started here, then forgotten.
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    execlp("sleep", "sleep", "100", nullptr);
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ProcessHandle h{.pid = pid, .start_ticks = ProcessRuntime::StartTicks(pid)};
  ProcessHandle wrong = h;
  wrong.start_ticks += 1;  // the pid now names another process
  EXPECT_FALSE(runtime_.KillLeftover(wrong));
  EXPECT_TRUE(Alive(pid));
  EXPECT_TRUE(runtime_.KillLeftover(h));
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_FALSE(runtime_.KillLeftover(h));  // gone now
}

}  // namespace
}  // namespace shoal::agent
