// `shoal server` entry point: flags and the function that runs the server until SIGTERM.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "controllers/controllers.h"

namespace shoal::cmd {

struct ServerFlags {
  std::string data_dir;
  std::string bind_address = "0.0.0.0";
  uint16_t port = 6443;
  std::vector<std::string> extra_sans;
  int threads = 2;
  int example_nodes = 0;
  std::chrono::seconds compaction_interval{300};
  std::vector<std::string> disable;  // parts not to run: "scheduler"
  std::string scoring = "pack";      // scheduler scoring: pack | spread
  int max_requests_inflight = 400;           // 0 = no limit (with the next: no flow control)
  int max_mutating_requests_inflight = 200;  // 0 = no limit
  int tls_handshake_threads = 1;  // 0 = handshakes on the I/O threads
  int watch_threads = 1;  // 0 = watches on the I/O threads
  int store_commit_delay_us = 2000;  // 0 = no wait for more writes before a commit
  controllers::ControllerOptions controllers;
};

// Runs until SIGINT/SIGTERM. Returns the process exit code; errors are printed to stderr as
// one line.
int RunServer(const ServerFlags& flags);

}  // namespace shoal::cmd
