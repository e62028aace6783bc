#include "agent/health.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "agent/gpus.h"
#include "base/strings.h"

namespace shoal::agent {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxOutput = 64 * 1024;
constexpr double kMinFreeDisk = 0.10;           // kubelet: nodefs.available<10%
constexpr int64_t kMinMemoryKi = 100 * 1024;    // kubelet: memory.available<100Mi

std::string FirstLine(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line.size() > 512 ? line.substr(0, 512) : line;
}

}  // namespace

int64_t MemInfoKi(std::string_view field) {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  int64_t kb = 0;
  while (in >> key >> kb >> unit) {
    if (key.size() == field.size() + 1 && key.starts_with(field) && key.back() == ':') return kb;
  }
  return -1;
}

std::string HealthReport::Summary() const {
  std::vector<std::string> parts;
  for (const CheckFailure& f : failures) parts.push_back(base::StrCat(f.check, ": ", f.message));
  return base::StrJoin(parts, "; ");
}

ProgramResult RunProgram(const std::string& path, std::chrono::seconds timeout) {
  ProgramResult r;
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    r.exit_code = -1;
    r.output = strerror(errno);
    return r;
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(out[0]);
    close(out[1]);
    r.exit_code = -1;
    r.output = strerror(errno);
    return r;
  }
  if (pid == 0) {
    setsid();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, 0);
    dup2(out[1], 1);
    dup2(null_fd, 2);
    execl(path.c_str(), path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      break;
    }
    pollfd p{.fd = out[0], .events = POLLIN, .revents = 0};
    int n = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    ssize_t got = read(out[0], buf, sizeof(buf));
    if (got <= 0) break;  // EOF: the program (and its group) closed stdout
    if (r.output.size() < kMaxOutput) r.output.append(buf, static_cast<size_t>(got));
  }
  close(out[0]);
  if (r.timed_out) kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  kill(-pid, SIGKILL);  // nothing of a check program outlives it
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.exit_code = 128 + WTERMSIG(status);
  return r;
}

std::vector<CheckFailure> RunPrograms(const std::string& dir, std::chrono::seconds timeout) {
  std::vector<CheckFailure> out;
  if (dir.empty()) return out;
  std::error_code ec;
  std::vector<fs::path> programs;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file(ec) || access(e.path().c_str(), X_OK) != 0) continue;
    programs.push_back(e.path());
  }
  std::sort(programs.begin(), programs.end());
  for (const fs::path& p : programs) {
    ProgramResult r = RunProgram(p.string(), timeout);
    if (r.exit_code == 0 && !r.timed_out) continue;
    std::string msg = FirstLine(r.output);
    if (r.timed_out) {
      msg = base::StrCat("timed out after ", timeout.count(), "s", msg.empty() ? "" : ": ", msg);
    } else if (msg.empty()) {
      msg = base::StrCat("exit code ", r.exit_code);
    }
    out.push_back({p.filename().string(), msg});
  }
  return out;
}

std::vector<std::string> FindXidErrors(const std::string& records) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < records.size()) {
    size_t nl = records.find('\n', start);
    if (nl == std::string::npos) nl = records.size();
    std::string_view line(records.data() + start, nl - start);
    if (size_t at = line.find("NVRM: Xid"); at != std::string_view::npos) {
      out.emplace_back(line.substr(at));
    }
    start = nl + 1;
  }
  return out;
}

HealthMonitor::HealthMonitor(HealthOptions options) : options_(std::move(options)) {
  // Only errors logged from now on count: an Xid from before the agent started was handled
  // (or not) by whoever ran then.
  kmsg_fd_ = open(options_.kmsg_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (kmsg_fd_ >= 0) lseek(kmsg_fd_, 0, SEEK_END);
}

HealthMonitor::~HealthMonitor() {
  if (kmsg_fd_ >= 0) close(kmsg_fd_);
}

HealthReport HealthMonitor::Check() {
  HealthReport report;
  if (!options_.nvidia_smi.empty()) {
    auto gpus = DiscoverGpus(-1, options_.nvidia_smi);
    if (!gpus.ok()) {
      report.failures.push_back({"gpu-count", std::string(gpus.status().message())});
    } else if (static_cast<int>(gpus->size()) < options_.expected_gpus) {
      report.failures.push_back(
          {"gpu-count", base::StrCat("expected ", options_.expected_gpus,
                                     " GPUs, nvidia-smi reports ", gpus->size())});
    }
    auto ecc = UncorrectedEccErrors(options_.nvidia_smi);
    if (!ecc.ok()) {
      report.failures.push_back({"ecc", std::string(ecc.status().message())});
    } else {
      for (const auto& [index, count] : *ecc) {
        if (count > 0) {
          report.failures.push_back(
              {"ecc", base::StrCat("GPU ", index, " has ", count, " uncorrectable ECC errors")});
        }
      }
    }
  }
  if (kmsg_fd_ >= 0) {
    std::string records;
    char buf[8192];
    for (;;) {
      ssize_t n = read(kmsg_fd_, buf, sizeof(buf));  // one record per read
      if (n < 0 && errno == EPIPE) continue;          // overwritten records: skip ahead
      if (n <= 0) break;
      records.append(buf, static_cast<size_t>(n));
      if (records.back() != '\n') records += '\n';
    }
    for (std::string& x : FindXidErrors(records)) {
      if (std::find(xid_seen_.begin(), xid_seen_.end(), x) == xid_seen_.end()) {
        xid_seen_.push_back(std::move(x));
      }
    }
  }
  if (!xid_seen_.empty()) report.failures.push_back({"xid", xid_seen_.back()});
  struct statvfs fsinfo {};
  if (!options_.data_dir.empty() && statvfs(options_.data_dir.c_str(), &fsinfo) == 0 &&
      fsinfo.f_blocks > 0) {
    double free = static_cast<double>(fsinfo.f_bavail) / static_cast<double>(fsinfo.f_blocks);
    if (free < kMinFreeDisk) {
      report.disk_pressure = true;
      report.failures.push_back(
          {"disk-pressure", base::StrCat(static_cast<int>(free * 100), "% free on ",
                                         options_.data_dir)});
    }
  }
  if (int64_t avail = MemInfoKi("MemAvailable"); avail >= 0 && avail < kMinMemoryKi) {
    report.memory_pressure = true;
    report.failures.push_back({"memory-pressure", base::StrCat(avail, "Ki available")});
  }
  for (CheckFailure& f : RunPrograms(options_.check_dir, options_.program_timeout)) {
    report.failures.push_back(std::move(f));
  }
  return report;
}

std::vector<CheckFailure> HealthMonitor::Preflight() {
  return RunPrograms(options_.preflight_dir, options_.program_timeout);
}

}  // namespace shoal::agent
