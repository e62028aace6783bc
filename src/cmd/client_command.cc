#include "cmd/client_command.h"

#include <signal.h>

#include <boost/asio/signal_set.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "client/http_transport.h"
#include "client/kubeconfig.h"

namespace shoal::cmd {

namespace asio = boost::asio;

int RunApiClientUntilSignal(
    const std::string& kubeconfig, const std::string& name,
    const std::function<std::shared_ptr<void>(asio::io_context& io,
                                              client::Transport& transport)>& start) {
  auto kc = client::ReadKubeconfig(kubeconfig);
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
  std::shared_ptr<void> component = start(io, **transport);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int sig) {
    spdlog::info("received signal {}, shutting down", sig);
    io.stop();
  });
  spdlog::info("{} started against {}", name, kc->server);
  io.run();
  spdlog::info("{} stopped", name);
  return 0;
}

}  // namespace shoal::cmd
