// `shoal scheduler`: the scheduler standalone, against any Kubernetes API server.
#pragma once

#include <string>

namespace shoal::cmd {

struct SchedulerFlags {
  std::string kubeconfig;
  std::string scheduler_name = "default-scheduler";
  std::string scoring = "pack";  // pack | spread
  std::string leaf_key = "topology.shoal.io/leaf";
  std::string spine_key = "topology.shoal.io/spine";
};

// Runs until SIGINT/SIGTERM; returns the exit code (errors as one line on stderr).
int RunScheduler(const SchedulerFlags& flags);

}  // namespace shoal::cmd
