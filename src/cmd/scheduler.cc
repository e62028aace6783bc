// `shoal scheduler`: the same Scheduler that runs inside `shoal server`, over HTTPS.
#include "cmd/scheduler.h"

#include "cmd/client_command.h"
#include "scheduler/scheduler.h"

namespace shoal::cmd {

int RunScheduler(const SchedulerFlags& flags) {
  scheduler::SchedulerOptions opts;
  opts.scheduler_name = flags.scheduler_name;
  opts.strategy = flags.scoring == "spread" ? scheduler::ScoringStrategy::kSpread
                                            : scheduler::ScoringStrategy::kPack;
  opts.topology.leaf = flags.leaf_key;
  opts.topology.spine = flags.spine_key;
  return RunApiClientUntilSignal(
      flags.kubeconfig, "shoal scheduler " + flags.scheduler_name,
      [&opts](boost::asio::io_context& io, client::Transport& transport) {
        auto sched = std::make_shared<scheduler::Scheduler>(io.get_executor(), transport, opts);
        sched->Start();
        return std::shared_ptr<void>(sched);
      });
}

}  // namespace shoal::cmd
