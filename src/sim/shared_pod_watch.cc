#include "sim/shared_pod_watch.h"

#include <utility>

#include "api/object.h"

namespace shoal::sim {

SharedPodWatch::SharedPodWatch(client::Transport& transport, std::vector<std::string> node_names,
                               Deliver deliver)
    : transport_(transport), names_(std::move(node_names)), deliver_(std::move(deliver)) {
  for (size_t i = 0; i < names_.size(); ++i) by_name_.emplace(names_[i], i);
}

void SharedPodWatch::Start(boost::asio::any_io_executor executor) {
  client::InformerOptions informer;
  informer.path = "/api/v1/pods";
  informer.field_selector = "spec.nodeName!=";
  client::SpawnInformer(std::move(executor), transport_, informer,
                        [this](client::InformerEvent&& e) { Dispatch(std::move(e)); });
}

void SharedPodWatch::Dispatch(client::InformerEvent&& e) {
  if (e.type == client::InformerEvent::Type::kSynced) {
    for (size_t i = 0; i < names_.size(); ++i) {
      deliver_(i, client::InformerEvent(client::InformerEvent::Type::kSynced));
    }
    return;
  }
  const std::string key = client::ObjectKey(e.object());
  const size_t none = names_.size();
  size_t node = none;
  if (auto it = by_name_.find(api::StringAt(e.object(), "spec.nodeName")); it != by_name_.end()) {
    node = it->second;
  } else if (auto p = node_of_.find(key); p != node_of_.end()) {
    node = p->second;
  }
  if (e.type == client::InformerEvent::Type::kDeleted) {
    node_of_.erase(key);
  } else if (node != none) {
    node_of_[key] = node;
  }
  if (node == none) return;  // a pod of a node that is not ours
  deliver_(node, std::move(e));
}

}  // namespace shoal::sim
