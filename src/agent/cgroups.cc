#include "agent/cgroups.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/status/status.h"
#include "base/strings.h"

namespace shoal::agent {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kCpuPeriodUs = 100'000;  // kubelet's CFS period

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteFile(const std::string& path, const std::string& value) {
  std::ofstream out(path, std::ios::trunc);
  out << value;
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace

std::string CpuMax(int64_t cpu_milli) {
  if (cpu_milli <= 0) return base::StrCat("max ", kCpuPeriodUs);
  int64_t quota = std::max<int64_t>(1000, cpu_milli * kCpuPeriodUs / 1000);
  return base::StrCat(quota, " ", kCpuPeriodUs);
}

std::unique_ptr<Cgroups> Cgroups::Open(const std::string& root, std::string* why) {
  auto fail = [&](std::string reason) -> std::unique_ptr<Cgroups> {
    if (why != nullptr) *why = std::move(reason);
    return nullptr;
  };
  const std::string controllers = Slurp(root + "/cgroup.controllers");
  std::istringstream words(controllers);
  bool cpu = false, memory = false;
  for (std::string w; words >> w;) {
    cpu = cpu || w == "cpu";
    memory = memory || w == "memory";
  }
  if (!cpu || !memory) {
    return fail(base::StrCat(root, " is not a cgroup v2 root with the cpu and memory "
                                   "controllers (controllers: \"",
                             controllers.empty() ? "none" : controllers, "\")"));
  }
  const std::string parent = root + "/shoal.pods";
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return fail(base::StrCat("cannot create ", parent, ": ", ec.message()));
  // Children of <root> and of shoal.pods may then use both controllers.
  if (!WriteFile(root + "/cgroup.subtree_control", "+cpu +memory") ||
      !WriteFile(parent + "/cgroup.subtree_control", "+cpu +memory")) {
    return fail(base::StrCat("cannot enable the cpu and memory controllers under ", root));
  }
  return std::unique_ptr<Cgroups>(new Cgroups(parent));
}

absl::StatusOr<std::string> Cgroups::Create(const std::string& name, int64_t cpu_milli,
                                            int64_t memory_bytes) {
  const std::string dir = base::StrCat(parent_, "/", name);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(base::StrCat("cgroup ", dir, ": ", ec.message()));
  if (!WriteFile(dir + "/cpu.max", CpuMax(cpu_milli)) ||
      !WriteFile(dir + "/memory.max",
                 memory_bytes > 0 ? std::to_string(memory_bytes) : std::string("max"))) {
    return absl::InternalError(base::StrCat("cannot set the limits of cgroup ", dir));
  }
  return dir;
}

int64_t Cgroups::OomKills(const std::string& dir) {
  std::istringstream in(Slurp(dir + "/memory.events"));
  std::string key;
  int64_t value = 0;
  while (in >> key >> value) {
    if (key == "oom_kill") return value;
  }
  return 0;
}

void Cgroups::Remove(const std::string& dir) {
  // cgroup.kill (Linux 5.14) ends whatever is left; rmdir then succeeds once it is empty.
  WriteFile(dir + "/cgroup.kill", "1");
  for (int i = 0; i < 50; ++i) {
    if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::error_code ec;
  fs::remove_all(dir, ec);  // a plain directory (tests)
}

}  // namespace shoal::agent
