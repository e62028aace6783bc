#include "sim/timed_transport.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace shoal::sim {
namespace {

namespace asio = boost::asio;

// A transport that answers every call with 200 after nothing.
class Answering : public client::Transport {
 public:
  asio::awaitable<absl::StatusOr<client::Response>> Call(client::Request req) override {
    ++calls;
    client::Response r;
    r.code = req.method == "PATCH" ? 200 : 201;
    co_return r;
  }
  asio::awaitable<absl::Status> Watch(client::Request,
                                      std::function<bool(std::string_view)>) override {
    ++watches;
    co_return absl::OkStatus();
  }
  int calls = 0, watches = 0;
};

TEST(TimedTransportTest, TimesCallsByVerbAndResourceAndPassesWatchesOn) {
  asio::io_context io;
  Answering inner;
  ApiLatency latency;
  TimedTransport t(inner, latency);
  auto run = [&]() -> asio::awaitable<void> {
    client::Request lease = client::MakeRequest(
        "PATCH", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1", "{}");
    auto r1 = co_await t.Call(std::move(lease));
    EXPECT_EQ(r1->code, 200);
    client::Request lease2 = client::MakeRequest(
        "PATCH", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1", "{}");
    co_await t.Call(std::move(lease2));
    client::Request status =
        client::MakeRequest("PATCH", "/api/v1/namespaces/a/pods/p/status", "{}");
    co_await t.Call(std::move(status));
    client::Request watch = client::MakeRequest("GET", "/api/v1/pods");
    co_await t.Watch(std::move(watch), [](std::string_view) { return true; });
  };
  auto done = asio::co_spawn(io, run(), asio::use_future);
  io.run();
  done.get();
  EXPECT_EQ(inner.calls, 3);
  EXPECT_EQ(inner.watches, 1);
  ASSERT_EQ(latency.size(), 2u);
  EXPECT_EQ(latency["PATCH leases"].count(), 2);
  EXPECT_EQ(latency["PATCH pods/status"].count(), 1);
}

}  // namespace
}  // namespace shoal::sim
