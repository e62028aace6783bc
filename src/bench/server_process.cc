#include "bench/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/beast/http/verb.hpp>

#include "base/status_macros.h"
#include "base/strings.h"
#include "client/https_client.h"

namespace shoal::bench {

using client::HttpResult;
using client::Kubeconfig;
using client::ReadKubeconfig;
using client::SendOnce;

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// "VmRSS:    12345 kB" -> bytes.
int64_t StatusKb(const std::string& status, std::string_view field) {
  size_t at = status.find(field);
  if (at == std::string::npos) return 0;
  return std::strtoll(status.c_str() + at + field.size(), nullptr, 10) * 1024;
}

std::string DescribeWait(int wstatus) {
  if (WIFEXITED(wstatus)) return base::StrCat("exited ", WEXITSTATUS(wstatus));
  if (WIFSIGNALED(wstatus)) return base::StrCat("killed by signal ", WTERMSIG(wstatus));
  return "ended";
}

}  // namespace

MachineCpu ParseProcStat(std::string_view text, double ticks_per_second) {
  MachineCpu m;
  if (text.substr(0, 4) != "cpu ") return m;
  // cpu  user nice system idle iowait irq softirq steal [guest guest_nice]
  std::istringstream in(std::string(text.substr(4, text.find('\n') - 4)));
  double v[8] = {};
  for (double& x : v) {
    if (!(in >> x)) return MachineCpu{};
  }
  m.busy_s = (v[0] + v[1] + v[2] + v[5] + v[6]) / ticks_per_second;
  m.steal_s = v[7] / ticks_per_second;
  return m;
}

MachineCpu ReadMachineCpu() {
  return ParseProcStat(ReadFile("/proc/stat"), static_cast<double>(sysconf(_SC_CLK_TCK)));
}

absl::StatusOr<ProcessStats> ReadProcessStats(pid_t pid) {
  std::string base_path = base::StrCat("/proc/", pid);
  std::string stat = ReadFile(base_path + "/stat");
  std::string status = ReadFile(base_path + "/status");
  size_t paren = stat.rfind(')');
  if (stat.empty() || status.empty() || paren == std::string::npos) {
    return absl::NotFoundError(base::StrCat("process ", pid, " is gone"));
  }
  // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15, nice 19.
  std::istringstream in(stat.substr(paren + 2));
  std::string field;
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  ProcessStats s;
  for (int i = 3; i <= 19 && (in >> field); ++i) {
    if (i == 14) s.user_cpu_s = std::strtod(field.c_str(), nullptr) / ticks;
    if (i == 15) s.system_cpu_s = std::strtod(field.c_str(), nullptr) / ticks;
    if (i == 19) s.nice = std::atoi(field.c_str());
  }
  s.rss_bytes = StatusKb(status, "VmRSS:");
  s.peak_rss_bytes = StatusKb(status, "VmHWM:");
  return s;
}

ProcessStats SelfStats() {
  ProcessStats s;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  s.user_cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  s.system_cpu_s = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  s.nice = getpriority(PRIO_PROCESS, 0);
  std::string status = ReadFile("/proc/self/status");
  s.rss_bytes = StatusKb(status, "VmRSS:");
  s.peak_rss_bytes = StatusKb(status, "VmHWM:");
  return s;
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::vector<std::string>& extra_args, std::chrono::seconds timeout) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "shoal-bench.XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(base::StrCat("cannot create a temp dir: ", strerror(errno)));
  }
  std::unique_ptr<ServerProcess> p(new ServerProcess());
  p->dir_ = pattern;
  std::vector<std::string> args = {"server",    "--data-dir", p->dir_ + "/data", "--bind",
                                   "127.0.0.1", "--port",     "0"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  ASSIGN_OR_RETURN(pid_t pid, SpawnShoal(args, p->dir_ + "/server.log"));
  p->pid_ = pid;

  const std::string kubeconfig_path = p->dir_ + "/data/admin.kubeconfig";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int wstatus = 0;
    if (waitpid(pid, &wstatus, WNOHANG) == pid) {
      p->pid_ = -1;
      return absl::UnavailableError(base::StrCat("shoal server ", DescribeWait(wstatus),
                                                 " before it was ready; its log ends with: ",
                                                 p->LogTail(600)));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::UnavailableError(base::StrCat("shoal server was not ready after ",
                                                 timeout.count(), " s; its log ends with: ",
                                                 p->LogTail(600)));
    }
    // The kubeconfig is written atomically once the port is bound.
    absl::StatusOr<Kubeconfig> kc = ReadKubeconfig(kubeconfig_path);
    if (kc.ok()) {
      absl::StatusOr<HttpResult> ready = SendOnce(*kc, boost::beast::http::verb::get, "/readyz");
      if (ready.ok() && ready->status == 200) {
        p->kubeconfig_ = *kc;
        return p;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

ServerProcess::~ServerProcess() { Stop(); }

std::string ServerProcess::Stop() {
  std::string how = StopChild(pid_);
  if (!dir_.empty() && getenv("SHOAL_BENCH_KEEP") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
  return how;
}

namespace {

// The nice value SpawnShoal's children get back (SetOwnNice), or kNoNice.
constexpr int kNoNice = 100;
int children_nice = kNoNice;

}  // namespace

absl::Status SetOwnNice(int nice) {
  errno = 0;
  const int was = getpriority(PRIO_PROCESS, 0);
  if (errno != 0) return absl::InternalError(base::StrCat("getpriority: ", strerror(errno)));
  if (setpriority(PRIO_PROCESS, 0, nice) != 0) {
    return absl::PermissionDeniedError(
        base::StrCat("setpriority(", nice, "): ", strerror(errno)));
  }
  children_nice = was;
  return absl::OkStatus();
}

absl::StatusOr<pid_t> SpawnShoal(const std::vector<std::string>& args,
                                 const std::string& log_path) {
  std::vector<std::string> all = {std::filesystem::read_symlink("/proc/self/exe").string()};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError(base::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    if (children_nice != kNoNice) setpriority(PRIO_PROCESS, 0, children_nice);
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

std::string StopChild(pid_t& pid) {
  if (pid <= 0) return "not running";
  std::string how;
  kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  int wstatus = 0;
  bool done = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &wstatus, WNOHANG) == pid) {
      done = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (done) {
    how = DescribeWait(wstatus);
  } else {
    kill(pid, SIGKILL);
    waitpid(pid, &wstatus, 0);
    how = "killed by SIGKILL after the 15 s grace period";
  }
  pid = -1;
  return how;
}

std::string ServerProcess::LogTail(size_t bytes) const {
  std::string log = ReadFile(dir_ + "/server.log");
  if (log.size() > bytes) log = log.substr(log.size() - bytes);
  return log;
}

}  // namespace shoal::bench
