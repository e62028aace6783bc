// The frame of a standalone component (`shoal scheduler`, `shoal controllers`): read the
// kubeconfig, build an HTTPS transport on a one-thread io_context, start the component, run
// until SIGINT/SIGTERM.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "client/transport.h"

namespace shoal::cmd {

// `start` starts the component on `io` and returns what must live while it runs. Returns the
// exit code; errors (bad kubeconfig, transport) go to stderr as one line.
int RunApiClientUntilSignal(
    const std::string& kubeconfig, const std::string& name,
    const std::function<std::shared_ptr<void>(boost::asio::io_context& io,
                                              client::Transport& transport)>& start);

}  // namespace shoal::cmd
