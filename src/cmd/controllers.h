// `shoal controllers`: the controllers standalone, against any Kubernetes API server; and the
// controller flags that `shoal server` shares.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "controllers/controllers.h"

namespace shoal::cmd {

struct ControllersFlags {
  std::string kubeconfig;
  controllers::ControllerOptions options;
};

// Adds the controller flags (--node-monitor-grace-period, ...) to `app`, writing into `options`.
void AddControllerFlags(CLI::App* app, controllers::ControllerOptions& options);

// Runs until SIGINT/SIGTERM; returns the exit code (errors as one line on stderr).
int RunControllers(const ControllersFlags& flags);

}  // namespace shoal::cmd
