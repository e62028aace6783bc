#include "controllers/controllers.h"

#include <vector>

#include "controllers/garbage_collector.h"
#include "controllers/job_controller.h"
#include "controllers/node_lifecycle.h"
#include "controllers/pod_gc.h"
#include "controllers/podgroup_status.h"
#include "controllers/queue_controller.h"

namespace shoal::controllers {

std::shared_ptr<void> StartControllers(boost::asio::any_io_executor executor,
                                       client::Transport& transport,
                                       const ControllerOptions& options) {
  auto all = std::make_shared<std::vector<std::shared_ptr<void>>>();
  auto podgroups = std::make_shared<PodGroupStatusController>(executor, transport);
  podgroups->Start();
  all->push_back(podgroups);
  auto jobs = std::make_shared<JobController>(executor, transport, options);
  jobs->Start();
  all->push_back(jobs);
  auto node_lifecycle = std::make_shared<NodeLifecycleController>(executor, transport, options);
  node_lifecycle->Start();
  all->push_back(node_lifecycle);
  auto pod_gc = std::make_shared<PodGCController>(executor, transport, options);
  pod_gc->Start();
  all->push_back(pod_gc);
  auto garbage_collector = std::make_shared<GarbageCollector>(executor, transport);
  garbage_collector->Start();
  all->push_back(garbage_collector);
  auto queues = std::make_shared<QueueController>(executor, transport);
  queues->Start();
  all->push_back(queues);
  return all;
}

}  // namespace shoal::controllers
