// `shoal controllers`: the controllers that run inside `shoal server`, over HTTPS.
#include "cmd/controllers.h"

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "client/http_transport.h"
#include "client/kubeconfig.h"
#include "controllers/podgroup_status.h"

namespace shoal::cmd {

namespace asio = boost::asio;

int RunControllers(const ControllersFlags& flags) {
  auto kc = client::ReadKubeconfig(flags.kubeconfig);
  if (!kc.ok()) {
    fmt::print(stderr, "error: {}\n", kc.status().ToString());
    return 1;
  }
  asio::io_context io(1);
  auto transport = client::HttpTransport::Create(io.get_executor(), *kc);
  if (!transport.ok()) {
    fmt::print(stderr, "error: {}\n", transport.status().ToString());
    return 1;
  }
  controllers::PodGroupStatusController podgroups(io.get_executor(), **transport);
  podgroups.Start();
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int sig) {
    spdlog::info("received signal {}, shutting down", sig);
    io.stop();
  });
  spdlog::info("shoal controllers started against {}", kc->server);
  io.run();
  spdlog::info("shoal controllers stopped");
  return 0;
}

}  // namespace shoal::cmd
