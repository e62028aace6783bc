// StatusWriter over a fake transport whose PATCHes each take 10 ms on a one-thread io_context:
// one write in flight per object, only the latest status written after it, no write of a
// status already written, a failure written again, and Erase while a write is in flight.
#include "controllers/status_writer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace shoal::controllers {
namespace {

namespace asio = boost::asio;

class SlowTransport : public client::Transport {
 public:
  std::vector<std::string> bodies;  // "path body" of every PATCH, in order
  int in_flight = 0, most = 0;
  int fail_next = 0;  // answer the next N calls with 500

  asio::awaitable<absl::StatusOr<client::Response>> Call(client::Request req) override {
    bodies.push_back(req.path + " " + req.body);
    most = std::max(most, ++in_flight);
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(10));
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    --in_flight;
    client::Response r;
    r.code = fail_next > 0 ? 500 : 200;
    if (fail_next > 0) --fail_next;
    co_return r;
  }
  asio::awaitable<absl::Status> Watch(client::Request,
                                      std::function<bool(std::string_view)>) override {
    co_return absl::OkStatus();
  }
};

// Runs handlers until `done()` (a write is only in flight once its coroutine has run).
template <class Done>
void RunUntil(asio::io_context& io, Done done) {
  io.restart();
  while (!done() && io.run_one() > 0) {
  }
  ASSERT_TRUE(done());
}

TEST(StatusWriterTest, OneWriteInFlightPerObjectAndTheLatestAfterIt) {
  asio::io_context io;
  SlowTransport t;
  StatusWriter w(io.get_executor(), t, "test");
  w.Write("a", "/a/status", R"({"n":1})");
  RunUntil(io, [&] { return t.in_flight == 1; });
  w.Write("a", "/a/status", R"({"n":2})");  // while 1 is in flight
  w.Write("a", "/a/status", R"({"n":3})");  // replaces 2
  w.Write("b", "/b/status", R"({"n":1})");  // another object: at once
  io.restart();
  io.run();
  EXPECT_EQ(t.bodies, (std::vector<std::string>{R"(/a/status {"status":{"n":1}})",
                                                R"(/b/status {"status":{"n":1}})",
                                                R"(/a/status {"status":{"n":3}})"}));
  EXPECT_EQ(t.most, 2);  // a and b together, never two of a
  // The status written last is not written again, unless the writer is told to forget it.
  w.Write("a", "/a/status", R"({"n":3})");
  io.restart();
  io.run();
  EXPECT_EQ(t.bodies.size(), 3u);
  w.Forget("a");
  w.Write("a", "/a/status", R"({"n":3})");
  io.restart();
  io.run();
  EXPECT_EQ(t.bodies.size(), 4u);
}

TEST(StatusWriterTest, AFailedWriteIsMadeAgain) {
  asio::io_context io;
  SlowTransport t;
  int failures = 0;
  StatusWriter w(io.get_executor(), t, "test", [&] { ++failures; });
  t.fail_next = 1;
  w.Write("a", "/a/status", R"({"n":1})");
  io.run();
  EXPECT_EQ(failures, 1);
  EXPECT_EQ(t.bodies.size(), 1u);
  w.Write("a", "/a/status", R"({"n":1})");  // the same status: written again after a failure
  io.restart();
  io.run();
  EXPECT_EQ(t.bodies.size(), 2u);
  EXPECT_EQ(failures, 1);
  // A newer status asked for while a failing write is in flight is written at once after it.
  t.fail_next = 1;
  w.Write("a", "/a/status", R"({"n":2})");
  RunUntil(io, [&] { return t.in_flight == 1; });
  w.Write("a", "/a/status", R"({"n":3})");
  io.restart();
  io.run();
  EXPECT_EQ(failures, 2);
  ASSERT_EQ(t.bodies.size(), 4u);
  EXPECT_EQ(t.bodies[3], R"(/a/status {"status":{"n":3}})");
}

TEST(StatusWriterTest, EraseWhileAWriteIsInFlightWritesNothingMore) {
  asio::io_context io;
  SlowTransport t;
  StatusWriter w(io.get_executor(), t, "test");
  w.Write("a", "/a/status", R"({"n":1})");
  RunUntil(io, [&] { return t.in_flight == 1; });
  w.Write("a", "/a/status", R"({"n":2})");
  w.Erase("a");
  io.restart();
  io.run();
  EXPECT_EQ(t.bodies.size(), 1u);
  // Made again under the same name: written as new.
  w.Write("a", "/a/status", R"({"n":1})");
  io.restart();
  io.run();
  EXPECT_EQ(t.bodies.size(), 2u);
}

}  // namespace
}  // namespace shoal::controllers
