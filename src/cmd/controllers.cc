// `shoal controllers`: the controllers that run inside `shoal server`, over HTTPS.
#include "cmd/controllers.h"

#include <fmt/core.h>

#include "base/clock.h"
#include "cmd/client_command.h"
#include "cmd/flags.h"

namespace shoal::cmd {

void AddControllerFlags(CLI::App* app, controllers::ControllerOptions& o) {
  app->add_option_function<std::vector<std::string>>(
         "--controllers",
         [&o](const std::vector<std::string>& list) {
           absl::StatusOr<std::set<std::string>> enabled = controllers::EnabledControllers(list);
           if (!enabled.ok()) {
             throw CLI::ValidationError("--controllers", std::string(enabled.status().message()));
           }
           o.enabled = *std::move(enabled);
         },
         fmt::format("Controllers to run, comma separated, as kube-controller-manager's flag: "
                     "'*' all, 'name' one, '-name' not that one (e.g. *,-job). Known: {} "
                     "(default *)",
                     controllers::ControllerNamesText()))
      ->delimiter(',');
  AddDuration(app, "--node-monitor-grace-period", o.node_monitor_grace_period,
              "A node whose Lease is not renewed for this long becomes Ready=Unknown and gets "
              "the node.kubernetes.io/unreachable taints");
  AddDuration(app, "--node-monitor-period", o.node_monitor_period,
              "How often the node lifecycle controller checks node health");
  app->add_option("--node-eviction-rate", o.node_eviction_rate,
                  "Pods evicted per second from NoExecute-tainted nodes, cluster-wide")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app->add_option("--unhealthy-zone-threshold", o.unhealthy_zone_threshold,
                  "When more than this share of the nodes is unreachable at once, the control "
                  "plane is assumed to be the one cut off and no pod is evicted")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app->add_option("--terminated-pod-gc-threshold", o.terminated_pod_gc_threshold,
                  "Terminated (Succeeded/Failed) pods kept; beyond it the oldest are deleted")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000'000));
  AddDuration(app, "--pod-gc-period", o.pod_gc_period,
              "How often the pod garbage collector runs");
  AddDuration(app, "--job-pod-failure-backoff", o.job_pod_failure_backoff,
              "Delay before a Job replaces a failed pod, doubled per failure up to 6m (a "
              "constant in Kubernetes; shoal makes it a flag)");
  AddDuration(app, "--job-sync-batch-period", o.job_sync_batch_period,
              "A Job's pod events within this period are handled by one reconcile (kube's "
              "syncJobBatchPeriod, 1s there and a constant); a change to a Job's spec is "
              "handled at once; 0s handles every event at once");
}

int RunControllers(const ControllersFlags& flags) {
  const controllers::ControllerOptions options = flags.options;
  return RunApiClientUntilSignal(
      flags.kubeconfig, "shoal controllers",
      [options](boost::asio::io_context& io, client::Transport& transport) {
        return controllers::StartControllers(io.get_executor(), transport, options);
      });
}

}  // namespace shoal::cmd
