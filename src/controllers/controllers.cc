#include "controllers/controllers.h"

#include <vector>

#include "controllers/podgroup_status.h"

namespace shoal::controllers {

std::shared_ptr<void> StartControllers(boost::asio::any_io_executor executor,
                                       client::Transport& transport,
                                       const ControllerOptions& options) {
  (void)options;
  auto all = std::make_shared<std::vector<std::shared_ptr<void>>>();
  auto podgroups = std::make_shared<PodGroupStatusController>(executor, transport);
  podgroups->Start();
  all->push_back(podgroups);
  return all;
}

}  // namespace shoal::controllers
