// FlowControl: seats per level, a FIFO queue with a length limit and a longest wait, levels
// apart from one another, no limit when both flags are 0, the classification of requests, and
// (on two threads) never more seats held than the level has.
#include "apiserver/flow_control.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace shoal::apiserver {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// One request's turn: its seat (once it has one) and whether it was rejected.
struct Turn {
  std::optional<FlowControl::Seat> seat;
  bool rejected = false;
  bool done = false;
};

// Runs what is ready (poll stops the io_context when it runs out of work: restart first).
void Poll(asio::io_context& io) {
  io.restart();
  io.poll();
}

void Start(asio::io_context& io, FlowControl& fc, PriorityLevel level, Turn& turn) {
  asio::co_spawn(
      io,
      [&fc, level, &turn]() -> asio::awaitable<void> {
        std::optional<FlowControl::Seat> s = co_await fc.Acquire(level);
        turn.rejected = !s.has_value();
        if (s) turn.seat.emplace(std::move(*s));
        turn.done = true;
      },
      asio::detached);
  Poll(io);
}

FlowControlOptions Small(int read_only, int mutating) {
  FlowControlOptions o;
  o.max_requests_inflight = read_only;
  o.max_mutating_requests_inflight = mutating;
  o.queue_length_per_seat = 1;
  o.max_wait = std::chrono::seconds(30);
  return o;
}

TEST(FlowControlTest, ASeatFreedGoesToTheFirstWaiter) {
  asio::io_context io;
  FlowControl fc(Small(4, 2));
  Turn a, b, c, d;
  Start(io, fc, PriorityLevel::kMutating, a);
  Start(io, fc, PriorityLevel::kMutating, b);
  Start(io, fc, PriorityLevel::kMutating, c);
  Start(io, fc, PriorityLevel::kMutating, d);
  EXPECT_TRUE(a.seat && b.seat);
  EXPECT_FALSE(c.done);
  EXPECT_FALSE(d.done);
  LevelStats s = fc.Stats(PriorityLevel::kMutating);
  EXPECT_EQ(s.seats, 2);
  EXPECT_EQ(s.in_flight, 2);
  EXPECT_EQ(s.waiting, 2);

  b.seat.reset();  // b's seat goes to c, the first waiter, not to d
  Poll(io);
  EXPECT_TRUE(c.seat.has_value());
  EXPECT_FALSE(d.done);
  a.seat.reset();
  Poll(io);
  EXPECT_TRUE(d.seat.has_value());
  s = fc.Stats(PriorityLevel::kMutating);
  EXPECT_EQ(s.in_flight, 2);
  EXPECT_EQ(s.waiting, 0);
  EXPECT_EQ(s.admitted, 4);
  EXPECT_EQ(s.waited, 2);
  c.seat.reset();
  d.seat.reset();
  EXPECT_EQ(fc.Stats(PriorityLevel::kMutating).in_flight, 0);
}

TEST(FlowControlTest, AFullQueueRejectsAtOnce) {
  asio::io_context io;
  FlowControl fc(Small(4, 1));  // one seat, one waiting
  Turn a, b, c;
  Start(io, fc, PriorityLevel::kMutating, a);
  Start(io, fc, PriorityLevel::kMutating, b);
  Start(io, fc, PriorityLevel::kMutating, c);
  EXPECT_TRUE(a.seat.has_value());
  EXPECT_FALSE(b.done);
  EXPECT_TRUE(c.done);
  EXPECT_TRUE(c.rejected);
  EXPECT_EQ(fc.Stats(PriorityLevel::kMutating).rejected, 1);
  std::string text;
  fc.AppendMetricsText(&text);
  for (const char* line :
       {R"(apiserver_flowcontrol_rejected_requests_total{priority_level="mutating",reason="queue-full"} 1)",
        R"(apiserver_flowcontrol_rejected_requests_total{priority_level="mutating",reason="time-out"} 0)",
        R"(apiserver_flowcontrol_current_executing_requests{priority_level="mutating"} 1)",
        R"(apiserver_flowcontrol_current_inqueue_requests{priority_level="mutating"} 1)",
        R"(apiserver_flowcontrol_nominal_limit_seats{priority_level="mutating"} 1)",
        R"(apiserver_flowcontrol_nominal_limit_seats{priority_level="node-high"} 0)",
        R"(apiserver_flowcontrol_dispatched_requests_total{priority_level="mutating"} 1)"}) {
    EXPECT_NE(text.find(std::string(line) + "\n"), std::string::npos) << line << "\n" << text;
  }
  a.seat.reset();
  Poll(io);
  EXPECT_TRUE(b.seat.has_value());
}

TEST(FlowControlTest, AWaitPastMaxWaitIsRejectedAndLeavesTheQueue) {
  asio::io_context io;
  FlowControlOptions o = Small(4, 1);
  o.max_wait = milliseconds(20);
  FlowControl fc(o);
  Turn a, b;
  Start(io, fc, PriorityLevel::kMutating, a);
  Start(io, fc, PriorityLevel::kMutating, b);
  EXPECT_FALSE(b.done);
  io.restart();
  io.run_for(milliseconds(200));
  EXPECT_TRUE(b.done);
  EXPECT_TRUE(b.rejected);
  LevelStats s = fc.Stats(PriorityLevel::kMutating);
  EXPECT_EQ(s.waiting, 0);
  EXPECT_EQ(s.rejected, 1);
  EXPECT_EQ(s.timed_out, 1);
  // The seat a frees is nobody's: the next request takes it at once.
  a.seat.reset();
  EXPECT_EQ(fc.Stats(PriorityLevel::kMutating).in_flight, 0);
  Turn c;
  Start(io, fc, PriorityLevel::kMutating, c);
  EXPECT_TRUE(c.seat.has_value());
}

TEST(FlowControlTest, NodeHeartbeatsAreNeverHeldBackByOtherLevels) {
  asio::io_context io;
  FlowControl fc(Small(5, 1));
  EXPECT_EQ(fc.Stats(PriorityLevel::kNodeHigh).seats, 0);  // not limited
  Turn w1, w2, w3, r1, n1, n2, n3;
  Start(io, fc, PriorityLevel::kMutating, w1);
  Start(io, fc, PriorityLevel::kMutating, w2);
  Start(io, fc, PriorityLevel::kMutating, w3);
  EXPECT_TRUE(w3.rejected);  // the mutating level is full, its queue too
  Start(io, fc, PriorityLevel::kReadOnly, r1);
  Start(io, fc, PriorityLevel::kNodeHigh, n1);
  Start(io, fc, PriorityLevel::kNodeHigh, n2);
  Start(io, fc, PriorityLevel::kNodeHigh, n3);
  EXPECT_TRUE(r1.seat.has_value());
  EXPECT_TRUE(n1.seat && n2.seat && n3.seat);
  EXPECT_EQ(fc.Stats(PriorityLevel::kNodeHigh).admitted, 3);
}

TEST(FlowControlTest, BothLimitsZeroMeansNoLimit) {
  asio::io_context io;
  FlowControl fc(Small(0, 0));
  std::vector<Turn> turns(50);
  for (Turn& t : turns) Start(io, fc, PriorityLevel::kMutating, t);
  for (Turn& t : turns) EXPECT_TRUE(t.seat.has_value());
  LevelStats s = fc.Stats(PriorityLevel::kMutating);
  EXPECT_EQ(s.seats, 0);
  EXPECT_EQ(s.admitted, 50);
  EXPECT_EQ(s.rejected, 0);
  EXPECT_EQ(fc.Stats(PriorityLevel::kNodeHigh).seats, 0);
}

TEST(FlowControlTest, RequestsAreClassifiedByMethodAndPath) {
  auto level = [](const char* method, const char* path) {
    Request r;
    r.method = method;
    r.path = path;
    return ClassifyRequest(r, api::ParseApiPath(r.path));
  };
  EXPECT_EQ(level("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1"),
            PriorityLevel::kNodeHigh);
  EXPECT_EQ(level("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"),
            PriorityLevel::kNodeHigh);
  EXPECT_EQ(level("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1"),
            PriorityLevel::kNodeHigh);
  EXPECT_EQ(level("PATCH", "/api/v1/nodes/n1/status"), PriorityLevel::kNodeHigh);
  EXPECT_EQ(level("PATCH", "/api/v1/namespaces/a/pods/p/status"), PriorityLevel::kNodeHigh);
  EXPECT_EQ(level("PUT", "/api/v1/namespaces/a/pods/p/status"), PriorityLevel::kNodeHigh);
  // Other subresources and the objects themselves are not.
  EXPECT_EQ(level("POST", "/api/v1/namespaces/a/pods/p/eviction"), PriorityLevel::kMutating);
  EXPECT_EQ(level("PATCH", "/api/v1/namespaces/a/pods/p"), PriorityLevel::kMutating);
  EXPECT_EQ(level("PATCH", "/apis/batch/v1/namespaces/a/jobs/j/status"),
            PriorityLevel::kMutating);
  // A lease elsewhere (leader election), a node itself, and registration are not heartbeats.
  EXPECT_EQ(level("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/x"),
            PriorityLevel::kMutating);
  EXPECT_EQ(level("PATCH", "/api/v1/nodes/n1"), PriorityLevel::kMutating);
  EXPECT_EQ(level("POST", "/api/v1/nodes"), PriorityLevel::kMutating);
  EXPECT_EQ(level("GET", "/api/v1/nodes//status"), PriorityLevel::kReadOnly);
  EXPECT_EQ(level("DELETE", "/api/v1/namespaces/a/pods/p"), PriorityLevel::kMutating);
  EXPECT_EQ(level("GET", "/api/v1/pods"), PriorityLevel::kReadOnly);
  EXPECT_EQ(level("GET", "/apis"), PriorityLevel::kReadOnly);
  EXPECT_EQ(PriorityLevelName(PriorityLevel::kNodeHigh), "node-high");
}

// Two threads, a strand per request as the front end's connections have: the seats held at
// once never pass the level's, and every request is admitted or rejected, none lost.
TEST(FlowControlTest, NeverMoreSeatsHeldThanTheLevelHasOnTwoThreads) {
  asio::io_context io;
  FlowControlOptions o = Small(8, 3);
  o.queue_length_per_seat = 4;  // 12 may wait
  FlowControl fc(o);
  std::atomic<int> held{0}, most{0}, admitted{0}, rejected{0};
  constexpr int kRequests = 400;
  for (int i = 0; i < kRequests; ++i) {
    asio::co_spawn(
        asio::make_strand(io),
        [&]() -> asio::awaitable<void> {
          std::optional<FlowControl::Seat> s = co_await fc.Acquire(PriorityLevel::kMutating);
          if (!s) {
            ++rejected;
            co_return;
          }
          ++admitted;
          int now = ++held;
          int prev = most.load();
          while (now > prev && !most.compare_exchange_weak(prev, now)) {
          }
          asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::microseconds(200));
          co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
          --held;
        },
        asio::detached);
  }
  std::thread other([&io] { io.run(); });
  io.run();
  other.join();
  EXPECT_LE(most.load(), 3);
  EXPECT_EQ(most.load(), 3);  // the load does fill the level
  EXPECT_EQ(admitted + rejected, kRequests);
  EXPECT_GT(rejected.load(), 0);
  LevelStats s = fc.Stats(PriorityLevel::kMutating);
  EXPECT_EQ(s.in_flight, 0);
  EXPECT_EQ(s.waiting, 0);
  EXPECT_EQ(s.admitted, admitted.load());
  EXPECT_EQ(s.rejected, rejected.load());
}

}  // namespace
}  // namespace shoal::apiserver
