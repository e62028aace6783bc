// The sim's temporary directory: "shoal-sim.XXXXXX" under a base (/dev/shm when writable), with
// a file `owner` naming the sim's pid. A sim that dies without cleaning up (SIGKILL, a crash)
// leaves its directory behind, one subdirectory per hollow node; the next sim removes those.
//
// Threading: plain functions; call before the sim's threads start.
#pragma once

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace shoal::sim {

// Removes the "shoal-sim.*" directories under `base` whose `owner` file names a process that
// no longer exists (kill(pid, 0) says ESRCH). Directories without an owner file (being made,
// or left by an older sim) and those of live processes are kept. Returns how many it removed.
int RemoveStaleSimTempDirs(const std::filesystem::path& base);

// Removes the stale directories under `base`, then makes a new "shoal-sim.XXXXXX" there with
// this process's pid in its `owner` file. Errors: the directory or its owner file cannot be
// made.
absl::StatusOr<std::string> MakeSimTempDir(const std::filesystem::path& base);

}  // namespace shoal::sim
