// AwaitAll: runs coroutines concurrently and resumes when every one has finished, as a
// controller does when it creates a batch of pods at once (kube's controllers fan out
// goroutines and wait on a WaitGroup).
//
// Threading: the executor must be single-threaded (an io_context run by one thread, or a
// strand), as every shoal component's is: the count of finished tasks is not atomic.
#pragma once

#include <exception>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace shoal::client {

// Starts every task on `executor` and completes when all have completed. The first exception
// a task throws is rethrown after all of them have finished.
inline boost::asio::awaitable<void> AwaitAll(boost::asio::any_io_executor executor,
                                             std::vector<boost::asio::awaitable<void>> tasks) {
  namespace asio = boost::asio;
  struct State {
    explicit State(asio::any_io_executor ex, size_t n)
        : remaining(n), done(ex, asio::steady_timer::time_point::max()) {}
    size_t remaining;
    asio::steady_timer done;
    std::exception_ptr error;
  };
  auto state = std::make_shared<State>(executor, tasks.size());
  for (asio::awaitable<void>& task : tasks) {
    asio::co_spawn(executor, std::move(task), [state](std::exception_ptr e) {
      if (e && !state->error) state->error = e;
      if (--state->remaining == 0) state->done.cancel();
    });
  }
  while (state->remaining > 0) {
    boost::system::error_code ec;
    co_await state->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (state->error) std::rethrow_exception(state->error);
}

}  // namespace shoal::client
