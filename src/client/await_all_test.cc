// AwaitAll on a one-thread io_context: tasks run concurrently, the caller resumes after the
// last, and a task's exception reaches the caller only after every task has finished.
#include "client/await_all.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace shoal::client {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

asio::awaitable<void> Step(std::vector<std::string>* log, std::string name, milliseconds d,
                           bool fail = false) {
  log->push_back(name + " start");
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
  log->push_back(name + " end");
  if (fail) throw std::runtime_error("task " + name + " failed");
}

TEST(AwaitAllTest, RunsTasksConcurrentlyAndResumesAfterTheLast) {
  asio::io_context io;
  std::vector<std::string> log;
  auto main = [&]() -> asio::awaitable<void> {
    std::vector<asio::awaitable<void>> tasks;
    tasks.push_back(Step(&log, "a", milliseconds(30)));
    tasks.push_back(Step(&log, "b", milliseconds(10)));
    tasks.push_back(Step(&log, "c", milliseconds(20)));
    co_await AwaitAll(io.get_executor(), std::move(tasks));
    log.push_back("after");
  };
  auto done = asio::co_spawn(io, main(), asio::use_future);
  io.run();
  done.get();
  // All three start before any ends; the caller goes on only after the slowest.
  ASSERT_EQ(log.size(), 7u);
  EXPECT_EQ(log[0].substr(2), "start");
  EXPECT_EQ(log[1].substr(2), "start");
  EXPECT_EQ(log[2].substr(2), "start");
  EXPECT_EQ(log[3], "b end");
  EXPECT_EQ(log[4], "c end");
  EXPECT_EQ(log[5], "a end");
  EXPECT_EQ(log[6], "after");
}

TEST(AwaitAllTest, NoTasksCompletesAtOnce) {
  asio::io_context io;
  bool after = false;
  auto main = [&]() -> asio::awaitable<void> {
    co_await AwaitAll(io.get_executor(), {});
    after = true;
  };
  auto done = asio::co_spawn(io, main(), asio::use_future);
  io.run();
  done.get();
  EXPECT_TRUE(after);
}

TEST(AwaitAllTest, AFailureIsRethrownAfterEveryTaskFinished) {
  asio::io_context io;
  std::vector<std::string> log;
  auto main = [&]() -> asio::awaitable<void> {
    std::vector<asio::awaitable<void>> tasks;
    tasks.push_back(Step(&log, "fails", milliseconds(5), /*fail=*/true));
    tasks.push_back(Step(&log, "slow", milliseconds(30)));
    co_await AwaitAll(io.get_executor(), std::move(tasks));
  };
  auto done = asio::co_spawn(io, main(), asio::use_future);
  io.run();
  EXPECT_THROW(
      {
        try {
          done.get();
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "task fails failed");
          throw;
        }
      },
      std::runtime_error);
  EXPECT_EQ(log.back(), "slow end");
}

}  // namespace
}  // namespace shoal::client
