// `shoal controllers`: the controllers standalone, against any Kubernetes API server.
#pragma once

#include <string>

namespace shoal::cmd {

struct ControllersFlags {
  std::string kubeconfig;
};

// Runs until SIGINT/SIGTERM; returns the exit code (errors as one line on stderr).
int RunControllers(const ControllersFlags& flags);

}  // namespace shoal::cmd
