// Command-line helpers shared by shoal's subcommands.
#pragma once

#include <chrono>
#include <string>

#include <CLI/CLI.hpp>

namespace shoal::cmd {

// A Go-style duration flag ("40s", "500ms", "5m"), as Kubernetes components take them; the
// help shows `into`'s current value as the default.
void AddDuration(CLI::App* app, const std::string& name, std::chrono::milliseconds& into,
                 const std::string& help);

}  // namespace shoal::cmd
