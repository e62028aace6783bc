// The shoal binary: one executable, subcommands in the k3s style (see DESIGN.md).
#include <cstdio>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "cmd/server.h"

int main(int argc, char** argv) {
  CLI::App app{"shoal: a Kubernetes-compatible control plane for machine-learning clusters"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");

  shoal::cmd::ServerFlags server;
  int compaction_seconds = 300;
  CLI::App* srv = app.add_subcommand(
      "server",
      "Run the API server with its embedded durable store (SQLite in --data-dir). Serves HTTPS "
      "and writes DIR/admin.kubeconfig for kubectl.");
  srv->add_option("--data-dir", server.data_dir,
                  "Directory for all state: the SQLite store, the CA and certificates, the admin "
                  "token and admin.kubeconfig")
      ->required();
  srv->add_option("--bind", server.bind_address, "Address to listen on")
      ->capture_default_str();
  srv->add_option("--port", server.port, "HTTPS port (0 picks a free port)")
      ->capture_default_str();
  srv->add_option("--tls-san", server.extra_sans,
                  "Extra names or IPs for the serving certificate (repeatable)");
  srv->add_option("--threads", server.threads, "I/O threads")->capture_default_str()
      ->check(CLI::Range(1, 64));
  srv->add_option("--example-nodes", server.example_nodes,
                  "Create N example Node objects (no agent runs pods on them) so that a fresh "
                  "cluster shows nodes")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  srv->add_option("--compaction-interval", compaction_seconds,
                  "Seconds between store compactions (history older than one interval is "
                  "dropped)")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  if (srv->parsed()) {
    server.compaction_interval = std::chrono::seconds(compaction_seconds);
    return shoal::cmd::RunServer(server);
  }
  return 1;
}
