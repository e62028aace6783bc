// RaiseOpenFilesLimit: raises the process's soft RLIMIT_NOFILE to its hard limit. `shoal
// server` holds a connection per client (two per node agent) and `shoal sim` one or two per
// hollow node, so both start with it.
#pragma once

#include <sys/resource.h>

namespace shoal::base {

// The soft limit after the attempt (it stays as it was when raising fails).
inline rlim_t RaiseOpenFilesLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    const rlim_t was = lim.rlim_cur;
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) return was;
  }
  return lim.rlim_cur;
}

}  // namespace shoal::base
