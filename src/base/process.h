// Process and thread settings shared by the subcommands.
//  - RaiseOpenFilesLimit: raises the process's soft RLIMIT_NOFILE to its hard limit. `shoal
//    server` holds a connection per client (two per node agent) and `shoal sim` one or two per
//    hollow node, so both start with it.
//  - NameThisThread: the name `top -H`, /proc/<pid>/task/<tid>/comm and perf show for the
//    calling thread (at most 15 characters are kept), so that a profile says which of the
//    server's threads spends the time.
#pragma once

#include <pthread.h>
#include <sys/resource.h>

#include <string>
#include <string_view>

namespace shoal::base {

inline void NameThisThread(std::string_view name) {
  std::string n(name.substr(0, 15));
  pthread_setname_np(pthread_self(), n.c_str());
}

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
