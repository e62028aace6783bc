// SharedPodWatch: `shoal sim --shared-pod-watch`. One informer of every bound pod (fieldSelector
// spec.nodeName!=) serves all the hollow nodes of a sim: each event goes to the node the pod is
// bound to, through `deliver` (the sim posts it to that node's agent, on the agent's loop).
// kSynced goes to every node. A deletion found by a re-list names the pod only, so the node of
// every pod seen is remembered; a pod bound to a node not in the list is dropped.
//
// Threading: Start spawns the informer on one executor; Dispatch runs there.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "client/informer.h"
#include "client/transport.h"

namespace shoal::sim {

class SharedPodWatch {
 public:
  // `deliver(i, event)`: an event for node_names[i].
  using Deliver = std::function<void(size_t node, client::InformerEvent&& event)>;

  // `transport` must outlive the watch.
  SharedPodWatch(client::Transport& transport, std::vector<std::string> node_names,
                 Deliver deliver);

  // Starts the informer on `executor`.
  void Start(boost::asio::any_io_executor executor);

  // One informer event (public for tests).
  void Dispatch(client::InformerEvent&& e);

 private:
  client::Transport& transport_;
  const std::vector<std::string> names_;
  Deliver deliver_;
  std::unordered_map<std::string_view, size_t> by_name_;  // views of names_
  std::unordered_map<std::string, size_t> node_of_;        // pod key -> its node
};

}  // namespace shoal::sim
