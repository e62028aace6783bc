// LimitedTransport on a one-thread io_context, over a transport whose calls each take 10 ms:
// never more than the limit in flight, waiters served in arrival order, every call answered,
// and watches not counted.
#include "client/limited_transport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "client/await_all.h"

namespace shoal::client {
namespace {

namespace asio = boost::asio;

class SlowTransport : public Transport {
 public:
  int in_flight = 0, most = 0;
  std::vector<std::string> started;

  asio::awaitable<absl::StatusOr<Response>> Call(Request req) override {
    started.push_back(req.path);
    most = std::max(most, ++in_flight);
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(10));
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    --in_flight;
    Response r;
    r.code = 200;
    r.body = req.path;
    co_return r;
  }
  asio::awaitable<absl::Status> Watch(Request, std::function<bool(std::string_view)>) override {
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return absl::OkStatus();
  }
};

TEST(LimitedTransportTest, AtMostTheLimitInFlightServedInArrivalOrder) {
  asio::io_context io;
  SlowTransport slow;
  LimitedTransport limited(slow, io.get_executor(), 3);
  std::vector<std::string> answers;
  auto call = [&](std::string path) -> asio::awaitable<void> {
    absl::StatusOr<Response> r = co_await limited.Call(MakeRequest("GET", path));
    answers.push_back(r.ok() ? r->body : r.status().ToString());
  };
  auto main = [&]() -> asio::awaitable<void> {
    std::vector<asio::awaitable<void>> calls;
    for (int i = 0; i < 10; ++i) calls.push_back(call("/" + std::to_string(i)));
    co_await AwaitAll(io.get_executor(), std::move(calls));
  };
  auto done = asio::co_spawn(io, main(), asio::use_future);
  io.run();
  done.get();
  EXPECT_EQ(slow.most, 3);
  ASSERT_EQ(answers.size(), 10u);
  std::vector<std::string> in_order;
  for (int i = 0; i < 10; ++i) in_order.push_back("/" + std::to_string(i));
  EXPECT_EQ(slow.started, in_order);
  std::sort(answers.begin(), answers.end());
  std::sort(in_order.begin(), in_order.end());
  EXPECT_EQ(answers, in_order);
  EXPECT_EQ(limited.in_flight(), 0);
}

TEST(LimitedTransportTest, WatchesDoNotTakeASlot) {
  asio::io_context io;
  SlowTransport slow;
  LimitedTransport limited(slow, io.get_executor(), 1);
  int in_flight_during_watch = -1;
  bool called = false;
  auto watch = [&]() -> asio::awaitable<void> {
    (void)co_await limited.Watch(MakeRequest("GET", "/w"), [](std::string_view) { return true; });
  };
  auto call = [&]() -> asio::awaitable<void> {
    in_flight_during_watch = limited.in_flight();
    absl::StatusOr<Response> r = co_await limited.Call(MakeRequest("GET", "/c"));
    called = r.ok();
  };
  auto main = [&]() -> asio::awaitable<void> {
    std::vector<asio::awaitable<void>> tasks;
    tasks.push_back(watch());
    tasks.push_back(call());
    co_await AwaitAll(io.get_executor(), std::move(tasks));
  };
  auto done = asio::co_spawn(io, main(), asio::use_future);
  io.run();
  done.get();
  EXPECT_EQ(in_flight_during_watch, 0);
  EXPECT_TRUE(called);
}

// A process that stops its event loop and destroys its transports before their io_context (as
// `shoal sim` does at exit) destroys the calls still suspended in them last. Those calls must
// not touch the destroyed transport: releasing their slots into it crashed the sim at exit
// (signal 11 in five ml-7500 runs). The transport lives in a buffer that is overwritten once
// it is destroyed, so that any later write into it shows.
TEST(LimitedTransportTest, CallsDestroyedAfterTheTransportTouchNothingOfIt) {
  SlowTransport slow;
  auto io = std::make_unique<asio::io_context>();
  alignas(LimitedTransport) unsigned char memory[sizeof(LimitedTransport)];
  auto* limited = new (memory) LimitedTransport(slow, io->get_executor(), 1);
  for (int i = 0; i < 2; ++i) {
    asio::co_spawn(
        *io,
        [limited, i]() -> asio::awaitable<void> {
          co_await limited->Call(MakeRequest("GET", "/" + std::to_string(i)));
        },
        asio::detached);
  }
  // The first call holds the slot (inside the 10 ms call); the second waits for it.
  io->run_for(std::chrono::milliseconds(3));
  ASSERT_EQ(slow.in_flight, 1);
  ASSERT_EQ(limited->in_flight(), 1);
  limited->~LimitedTransport();
  std::memset(memory, 0xAB, sizeof(memory));
  io.reset();  // destroys both suspended calls
  EXPECT_TRUE(std::all_of(std::begin(memory), std::end(memory),
                          [](unsigned char b) { return b == 0xAB; }));
}

}  // namespace
}  // namespace shoal::client
