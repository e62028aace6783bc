// The controller manager: which controllers `shoal server` and `shoal controllers` run, and the
// options they share (durations named after kube-controller-manager's flags, so that tests can
// shorten them). Each controller is a class of its own in this folder; StartControllers builds
// and starts them all on one executor.
//
// Threading: every controller lives on the executor given to StartControllers (one thread).
#pragma once

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "absl/status/statusor.h"
#include "client/transport.h"

namespace shoal::controllers {

using Millis = std::chrono::milliseconds;

// Every controller by name, kube-controller-manager's name where it has the controller.
inline constexpr std::string_view kControllerNames[] = {
    "job", "nodelifecycle", "podgc", "garbagecollector", "podgroup", "queue"};

// kControllerNames as text: "job, nodelifecycle, ...".
std::string ControllerNamesText();

// Resolves a --controllers list as kube-controller-manager does: "*" turns on every
// controller, "name" turns one on, "-name" turns one off (whatever the order). An unknown
// name is an error.
absl::StatusOr<std::set<std::string>> EnabledControllers(const std::vector<std::string>& list);

struct ControllerOptions {
  // Which controllers run (EnabledControllers); all by default.
  std::set<std::string> enabled{std::begin(kControllerNames), std::end(kControllerNames)};
  // Node lifecycle (kube-controller-manager's names).
  Millis node_monitor_grace_period{40'000};  // lease not renewed for this long: Ready=Unknown
  Millis node_monitor_period{5'000};         // how often node health is checked
  double node_eviction_rate = 10;            // pods evicted per second, cluster-wide
  double unhealthy_zone_threshold = 0.55;    // above this share unreachable: stop evicting
  // Pod garbage collection.
  int terminated_pod_gc_threshold = 12'500;  // terminated pods kept before the oldest go
  Millis pod_gc_period{20'000};
  // Jobs: the first delay before a failed pod is replaced, doubled per failure up to 6 min
  // (kube's DefaultJobPodFailureBackOff, a constant there; a flag here so tests can shorten it).
  Millis job_pod_failure_backoff{10'000};
  // Jobs: pod events (and the Job's own status changes) within this period are answered by one
  // reconcile, as kube's syncJobBatchPeriod (1 s there, a constant); a Job's spec change is
  // answered at once. 0 reconciles on every event. A 1,024-pod gang's start is about 4,000 pod
  // events, and each reconcile reads every pod of its Job.
  Millis job_sync_batch_period{100};
};

// Starts the enabled controllers on `executor`, talking through `transport` (both must outlive the
// returned handle). Returns what must live while they run.
std::shared_ptr<void> StartControllers(boost::asio::any_io_executor executor,
                                       client::Transport& transport,
                                       const ControllerOptions& options);

}  // namespace shoal::controllers
