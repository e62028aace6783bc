// `shoal controllers`: the controllers that run inside `shoal server`, over HTTPS.
#include "cmd/controllers.h"

#include "cmd/client_command.h"
#include "controllers/podgroup_status.h"

namespace shoal::cmd {

int RunControllers(const ControllersFlags& flags) {
  return RunApiClientUntilSignal(
      flags.kubeconfig, "shoal controllers",
      [](boost::asio::io_context& io, client::Transport& transport) {
        auto podgroups =
            std::make_shared<controllers::PodGroupStatusController>(io.get_executor(), transport);
        podgroups->Start();
        return std::shared_ptr<void>(podgroups);
      });
}

}  // namespace shoal::cmd
