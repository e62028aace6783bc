// ForwardingTransport: a Transport that passes every call and watch on to another one.
// Decorators derive from it and override only what they change: LimitedTransport caps calls
// in flight; tests inject failures or count requests.
#pragma once

#include <functional>
#include <string_view>
#include <utility>

#include "client/transport.h"

namespace shoal::client {

class ForwardingTransport : public Transport {
 public:
  // `next` must outlive this object.
  explicit ForwardingTransport(Transport& next) : next_(next) {}

  boost::asio::awaitable<absl::StatusOr<Response>> Call(Request req) override {
    co_return co_await next_.Call(std::move(req));
  }
  boost::asio::awaitable<absl::Status> Watch(
      Request req, std::function<bool(std::string_view event)> on_event) override {
    co_return co_await next_.Watch(std::move(req), std::move(on_event));
  }
  boost::asio::awaitable<absl::Status> WatchObjects(
      Request req, std::function<bool(ObjectEvent&&)> on_event) override {
    co_return co_await next_.WatchObjects(std::move(req), std::move(on_event));
  }

 protected:
  Transport& next() { return next_; }

 private:
  Transport& next_;
};

}  // namespace shoal::client
