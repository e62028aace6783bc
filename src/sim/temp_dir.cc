#include "sim/temp_dir.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <system_error>

#include <spdlog/spdlog.h>

#include "base/strings.h"

namespace shoal::sim {

namespace {

constexpr std::string_view kPrefix = "shoal-sim.";
constexpr std::string_view kOwnerFile = "owner";

// The pid in `dir`/owner, or 0 when there is none.
pid_t OwnerOf(const std::filesystem::path& dir) {
  std::ifstream in(dir / kOwnerFile);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return 0;
  return static_cast<pid_t>(pid);
}

}  // namespace

int RemoveStaleSimTempDirs(const std::filesystem::path& base) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
    if (!entry.path().filename().string().starts_with(kPrefix)) continue;
    std::error_code type_ec;
    if (!entry.is_directory(type_ec) || entry.is_symlink(type_ec)) continue;
    const pid_t owner = OwnerOf(entry.path());
    if (owner == 0 || owner == getpid()) continue;
    if (kill(owner, 0) == 0 || errno != ESRCH) continue;  // alive (EPERM: someone else's)
    std::error_code rm_ec;
    std::filesystem::remove_all(entry.path(), rm_ec);
    if (rm_ec) {
      spdlog::warn("shoal sim: cannot remove {}, left by process {}: {}", entry.path().string(),
                   owner, rm_ec.message());
      continue;
    }
    spdlog::info("shoal sim: removed {}, left by process {} that no longer runs",
                 entry.path().string(), owner);
    ++removed;
  }
  return removed;
}

absl::StatusOr<std::string> MakeSimTempDir(const std::filesystem::path& base) {
  RemoveStaleSimTempDirs(base);
  std::string pattern = (base / base::StrCat(kPrefix, "XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(base::StrCat("cannot create a directory in ", base.string(), ": ",
                                            std::generic_category().message(errno)));
  }
  std::ofstream owner(std::filesystem::path(pattern) / kOwnerFile);
  owner << getpid() << "\n";
  owner.close();
  if (!owner) {
    std::error_code ec;
    std::filesystem::remove_all(pattern, ec);
    return absl::InternalError(base::StrCat("cannot write ", pattern, "/", kOwnerFile));
  }
  return pattern;
}

}  // namespace shoal::sim
