#include "controllers/controllers.h"

#include <utility>
#include <vector>

#include "base/strings.h"
#include "controllers/garbage_collector.h"
#include "controllers/job_controller.h"
#include "controllers/node_lifecycle.h"
#include "controllers/pod_gc.h"
#include "controllers/podgroup_status.h"
#include "controllers/queue_controller.h"

namespace shoal::controllers {

std::string ControllerNamesText() {
  std::string names;
  for (std::string_view n : kControllerNames) {
    base::StrAppend(&names, names.empty() ? "" : ", ", n);
  }
  return names;
}

absl::StatusOr<std::set<std::string>> EnabledControllers(const std::vector<std::string>& list) {
  const std::set<std::string> known(std::begin(kControllerNames), std::end(kControllerNames));
  std::set<std::string> on, off;
  bool all = false;
  for (const std::string& item : list) {
    if (item == "*") {
      all = true;
      continue;
    }
    const bool negated = !item.empty() && item[0] == '-';
    std::string name = negated ? item.substr(1) : item;
    if (!known.contains(name)) {
      return absl::InvalidArgumentError(
          base::StrCat("unknown controller \"", name, "\" (known: ", ControllerNamesText(), ")"));
    }
    (negated ? off : on).insert(std::move(name));
  }
  std::set<std::string> enabled = all ? known : on;
  for (const std::string& name : off) enabled.erase(name);
  return enabled;
}

namespace {
// Starts one controller of type T if it is enabled.
template <typename T, typename... Args>
void StartIf(const ControllerOptions& options, std::string_view name,
             std::vector<std::shared_ptr<void>>& all, Args&&... args) {
  if (!options.enabled.contains(std::string(name))) return;
  auto c = std::make_shared<T>(std::forward<Args>(args)...);
  c->Start();
  all.push_back(std::move(c));
}
}  // namespace

std::shared_ptr<void> StartControllers(boost::asio::any_io_executor executor,
                                       client::Transport& transport,
                                       const ControllerOptions& options) {
  auto all = std::make_shared<std::vector<std::shared_ptr<void>>>();
  StartIf<PodGroupStatusController>(options, "podgroup", *all, executor, transport);
  StartIf<JobController>(options, "job", *all, executor, transport, options);
  StartIf<NodeLifecycleController>(options, "nodelifecycle", *all, executor, transport, options);
  StartIf<PodGCController>(options, "podgc", *all, executor, transport, options);
  StartIf<GarbageCollector>(options, "garbagecollector", *all, executor, transport);
  StartIf<QueueController>(options, "queue", *all, executor, transport);
  return all;
}

}  // namespace shoal::controllers
