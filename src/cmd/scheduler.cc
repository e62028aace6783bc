// `shoal scheduler`: the same Scheduler that runs inside `shoal server`, over HTTPS.
#include "cmd/scheduler.h"

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "client/http_transport.h"
#include "client/kubeconfig.h"
#include "scheduler/scheduler.h"

namespace shoal::cmd {

namespace asio = boost::asio;

int RunScheduler(const SchedulerFlags& flags) {
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
  scheduler::SchedulerOptions opts;
  opts.scheduler_name = flags.scheduler_name;
  opts.strategy = flags.scoring == "spread" ? scheduler::ScoringStrategy::kSpread
                                            : scheduler::ScoringStrategy::kPack;
  opts.topology.leaf = flags.leaf_key;
  opts.topology.spine = flags.spine_key;
  scheduler::Scheduler sched(io.get_executor(), **transport, opts);
  sched.Start();
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int sig) {
    spdlog::info("received signal {}, shutting down", sig);
    io.stop();
  });
  spdlog::info("shoal scheduler {} started against {}", flags.scheduler_name, kc->server);
  io.run();
  spdlog::info("shoal scheduler stopped");
  return 0;
}

}  // namespace shoal::cmd
