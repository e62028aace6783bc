#include "client/limited_transport.h"

#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace shoal::client {

namespace asio = boost::asio;

LimitedTransport::LimitedTransport(Transport& next, asio::any_io_executor executor, int limit)
    : ForwardingTransport(next), executor_(std::move(executor)), limit_(limit < 1 ? 1 : limit) {}

LimitedTransport::~LimitedTransport() { state_->closed = true; }

asio::awaitable<void> LimitedTransport::Acquire() {
  if (state_->in_flight < limit_) {
    ++state_->in_flight;
    co_return;
  }
  // Woken by Release cancelling the timer: the slot is handed over, so in_flight stays.
  auto timer = std::make_shared<asio::steady_timer>(executor_,
                                                    asio::steady_timer::time_point::max());
  state_->waiters.push_back(timer);
  co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
}

void LimitedTransport::Release(State& state) {
  if (state.closed) return;
  if (state.waiters.empty()) {
    --state.in_flight;
    return;
  }
  std::shared_ptr<asio::steady_timer> next = std::move(state.waiters.front());
  state.waiters.pop_front();
  next->cancel();
}

asio::awaitable<absl::StatusOr<Response>> LimitedTransport::Call(Request req) {
  struct Slot {
    std::shared_ptr<State> state;
    bool held = false;
    ~Slot() {
      if (held) Release(*state);
    }
  } slot{state_};
  co_await Acquire();
  slot.held = true;
  co_return co_await next().Call(std::move(req));
}

}  // namespace shoal::client
