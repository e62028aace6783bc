#include "agent/process_runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <linux/close_range.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "absl/status/status.h"
#include "agent/cgroups.h"
#include "base/strings.h"

namespace shoal::agent {

namespace asio = boost::asio;

namespace {

constexpr auto kSweep = std::chrono::seconds(1);

// Every prefix directory of `path` ("/a", "/a/b", ...), for mkdir -p after fork.
std::vector<std::string> Prefixes(const std::string& path) {
  std::vector<std::string> out;
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') out.push_back(path.substr(0, i));
  }
  return out;
}

// In the child, before exec: only async-signal-safe calls (the agent may have threads).
// Reports an errno through `err_fd` and exits on failure.
[[noreturn]] void ChildFail(int err_fd, int stage, int err) {
  int msg[2] = {stage, err};
  (void)!write(err_fd, msg, sizeof(msg));
  _exit(127);
}

enum Stage { kSetsid = 1, kMounts, kChdir, kExec, kCgroup };

}  // namespace

ProcessRuntime::ProcessRuntime(asio::any_io_executor executor, int64_t max_log_bytes)
    : executor_(executor),
      max_log_bytes_(max_log_bytes),
      sigchld_(executor, SIGCHLD),
      sweep_(executor) {
  WaitSignals();
  sweep_.expires_after(kSweep);
  sweep_.async_wait([this](boost::system::error_code ec) {
    if (!ec) Reap();
  });
}

ProcessRuntime::~ProcessRuntime() = default;

void ProcessRuntime::WaitSignals() {
  sigchld_.async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;
    Reap();
    WaitSignals();
  });
}

void ProcessRuntime::Reap() {
  for (const auto& [pid, p] : running_) {
    if (p->exit) continue;
    int status = 0;
    pid_t r = waitpid(static_cast<pid_t>(pid), &status, WNOHANG);
    if (r != pid) continue;
    ExitInfo info;
    if (WIFEXITED(status)) {
      info.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      info.signal = WTERMSIG(status);
      info.exit_code = 128 + info.signal;
    }
    // The kernel's OOM killer sends SIGKILL; the cgroup counts it.
    info.oom_killed = info.signal == SIGKILL && !p->cgroup.empty() &&
                      Cgroups::OomKills(p->cgroup) > 0;
    p->exit = info;
    // The main process is gone: what it left in its group goes too (as when a container's
    // PID 1 exits).
    kill(-static_cast<pid_t>(pid), SIGKILL);
    if (!p->eof) {
      // Something outside the group may hold the pipe: stop waiting for its end after 2 s.
      p->drain = std::make_unique<asio::steady_timer>(executor_, std::chrono::seconds(2));
      p->drain->async_wait([p](boost::system::error_code ec) {
        if (!ec && p->output) p->output->close();
      });
    }
    asio::post(executor_, [this, pid = pid, p = p] { MaybeFinish(pid, p); });
  }
  sweep_.expires_after(kSweep);
  sweep_.async_wait([this](boost::system::error_code ec) {
    if (!ec) Reap();
  });
}

void ProcessRuntime::ReadOutput(int64_t pid, std::shared_ptr<Proc> p) {
  p->output->async_read_some(
      asio::buffer(p->buffer), [this, pid, p](boost::system::error_code ec, size_t n) {
        auto now = std::chrono::system_clock::now();
        if (n > 0) p->log->Write(std::string_view(p->buffer.data(), n), now);
        if (ec) {
          p->log->Flush(now);
          p->eof = true;
          if (p->drain) p->drain->cancel();
          MaybeFinish(pid, p);
          return;
        }
        ReadOutput(pid, p);
      });
}

void ProcessRuntime::MaybeFinish(int64_t pid, const std::shared_ptr<Proc>& p) {
  if (!p->exit || !p->eof) return;
  auto it = running_.find(pid);
  if (it == running_.end() || it->second != p) return;
  running_.erase(it);
  auto cb = std::move(p->on_exit);
  ExitInfo info = *p->exit;
  cb(info);
}

absl::StatusOr<ProcessHandle> ProcessRuntime::Start(const ProcessSpec& spec,
                                                    std::function<void(ExitInfo)> on_exit) {
  if (spec.argv.empty()) return absl::InvalidArgumentError("no command to run");
  // Everything the child needs is prepared here: after fork only syscalls.
  std::vector<char*> argv, envp;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string dir = spec.working_dir.empty() ? "/" : spec.working_dir;
  const bool mount_ns = !spec.mounts.empty() && geteuid() == 0;
  std::vector<std::vector<std::string>> mount_dirs;
  for (const ProcessSpec::Mount& m : spec.mounts) mount_dirs.push_back(Prefixes(m.target));
  std::vector<std::string> dir_prefixes = Prefixes(dir);
  const std::string cgroup_procs = spec.cgroup.empty() ? "" : spec.cgroup + "/cgroup.procs";

  auto proc = std::make_shared<Proc>();
  proc->log = std::make_unique<LogWriter>(spec.log_path, max_log_bytes_);
  if (!proc->log->ok()) {
    return absl::FailedPreconditionError(
        base::StrCat("cannot open log file ", spec.log_path, ": ", strerror(errno)));
  }
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(base::StrCat("pipe: ", strerror(errno)));
  }
  const int log_fd = out_pipe[1];
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(log_fd);
    close(null_fd);
    return absl::InternalError(base::StrCat("pipe: ", strerror(errno)));
  }
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(out_pipe[0]);
    close(log_fd);
    close(null_fd);
    close(err_pipe[0]);
    close(err_pipe[1]);
    return absl::InternalError(base::StrCat("fork: ", strerror(err)));
  }
  if (pid == 0) {
    const int err_fd = err_pipe[1];
    if (setsid() < 0) ChildFail(err_fd, kSetsid, errno);
    if (!cgroup_procs.empty()) {
      // "0" moves the writer itself: the container is limited from its first instruction.
      int fd = open(cgroup_procs.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write(fd, "0", 1) != 1) ChildFail(err_fd, kCgroup, errno);
      close(fd);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    if (mount_ns) {
      if (unshare(CLONE_NEWNS) != 0) ChildFail(err_fd, kMounts, errno);
      if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        ChildFail(err_fd, kMounts, errno);
      }
      for (size_t i = 0; i < spec.mounts.size(); ++i) {
        for (const std::string& d : mount_dirs[i]) mkdir(d.c_str(), 0755);
        const char* target = spec.mounts[i].target.c_str();
        if (mount(spec.mounts[i].source.c_str(), target, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
          ChildFail(err_fd, kMounts, errno);
        }
        if (spec.mounts[i].read_only &&
            mount(nullptr, target, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
          ChildFail(err_fd, kMounts, errno);
        }
      }
    }
    for (const std::string& d : dir_prefixes) mkdir(d.c_str(), 0755);  // kubelet creates it
    if (chdir(dir.c_str()) != 0) ChildFail(err_fd, kChdir, errno);
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    // Nothing else of the agent's (its listening socket, its API connections) goes to the
    // container: every other descriptor closes at exec.
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    execvpe(argv[0], argv.data(), envp.data());
    ChildFail(err_fd, kExec, errno);
  }
  close(log_fd);
  close(null_fd);
  close(err_pipe[1]);
  int msg[2] = {0, 0};
  ssize_t n;
  do {
    n = read(err_pipe[0], msg, sizeof(msg));
  } while (n < 0 && errno == EINTR);
  close(err_pipe[0]);
  if (n == sizeof(msg)) {
    waitpid(pid, nullptr, 0);
    close(out_pipe[0]);
    const int stage = msg[0], err = msg[1];
    switch (stage) {
      case kExec:
        if (err == ENOENT) {
          return absl::NotFoundError(base::StrCat("exec: \"", spec.argv[0],
                                                  "\": executable file not found in $PATH"));
        }
        return absl::FailedPreconditionError(
            base::StrCat("exec: \"", spec.argv[0], "\": ", strerror(err)));
      case kChdir:
        return absl::FailedPreconditionError(
            base::StrCat("chdir to ", dir, ": ", strerror(err)));
      case kMounts:
        return absl::FailedPreconditionError(base::StrCat("mounting volumes: ", strerror(err)));
      case kCgroup:
        return absl::FailedPreconditionError(
            base::StrCat("joining cgroup ", spec.cgroup, ": ", strerror(err)));
      default:
        return absl::InternalError(base::StrCat("setsid: ", strerror(err)));
    }
  }
  proc->on_exit = std::move(on_exit);
  proc->cgroup = spec.cgroup;
  proc->output = std::make_unique<asio::posix::stream_descriptor>(executor_, out_pipe[0]);
  running_.emplace(pid, proc);
  ReadOutput(pid, proc);
  return ProcessHandle{.pid = pid, .start_ticks = StartTicks(pid)};
}

void ProcessRuntime::Signal(const ProcessHandle& process, int sig) {
  auto it = running_.find(process.pid);
  if (it == running_.end() || it->second->exit) return;
  kill(-static_cast<pid_t>(process.pid), sig);
}

bool ProcessRuntime::KillLeftover(const ProcessHandle& process) {
  if (process.pid <= 0) return false;
  const uint64_t ticks = StartTicks(process.pid);
  // The group leader may be gone while members remain: kill the group either way, unless the
  // pid now belongs to an unrelated process.
  const bool leader_alive = ticks != 0 && ticks == process.start_ticks;
  if (ticks != 0 && !leader_alive) return false;  // pid reused by someone else
  const bool group_alive = kill(-static_cast<pid_t>(process.pid), 0) == 0;
  if (group_alive) kill(-static_cast<pid_t>(process.pid), SIGKILL);
  return leader_alive || group_alive;
}

uint64_t ProcessRuntime::StartTicks(int64_t pid) {
  std::ifstream in(base::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(in, line)) return 0;
  // Field 2 (comm) may contain spaces; the fields after it start after the last ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) return std::stoull(field);
  }
  return 0;
}

}  // namespace shoal::agent
