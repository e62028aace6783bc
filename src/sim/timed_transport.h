// TimedTransport: a client::Transport that times every call it passes on, by "VERB resource"
// ("PATCH leases", "PATCH pods/status"), so that `shoal sim` can report the API latency its
// hollow nodes saw (issue 7: latency as seen by the clients, as Kubernetes' SLOs state it).
// Watches pass through untimed: they last as long as the node.
//
// Threading: one per hollow node; the recorders it writes belong to the node's event loop and
// must only be read after that loop has stopped.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "bench/latency.h"
#include "client/transport.h"

namespace shoal::sim {

using ApiLatency = std::map<std::string, bench::LatencyRecorder>;

class TimedTransport : public client::Transport {
 public:
  TimedTransport(client::Transport& inner, ApiLatency& latency)
      : inner_(inner), latency_(latency) {}

  boost::asio::awaitable<absl::StatusOr<client::Response>> Call(client::Request req) override;
  boost::asio::awaitable<absl::Status> Watch(
      client::Request req, std::function<bool(std::string_view event)> on_event) override {
    return inner_.Watch(std::move(req), std::move(on_event));
  }

 private:
  client::Transport& inner_;
  ApiLatency& latency_;
};

}  // namespace shoal::sim
