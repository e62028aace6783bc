#include "client/limited_transport.h"

#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace shoal::client {

namespace asio = boost::asio;

LimitedTransport::LimitedTransport(Transport& next, asio::any_io_executor executor, int limit)
    : ForwardingTransport(next), executor_(std::move(executor)), limit_(limit < 1 ? 1 : limit) {}

asio::awaitable<void> LimitedTransport::Acquire() {
  if (in_flight_ < limit_) {
    ++in_flight_;
    co_return;
  }
  // Woken by Release cancelling the timer: the slot is handed over, so in_flight_ stays.
  auto timer = std::make_shared<asio::steady_timer>(executor_,
                                                    asio::steady_timer::time_point::max());
  waiters_.push_back(timer);
  co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
}

void LimitedTransport::Release() {
  if (waiters_.empty()) {
    --in_flight_;
    return;
  }
  std::shared_ptr<asio::steady_timer> next = std::move(waiters_.front());
  waiters_.pop_front();
  next->cancel();
}

asio::awaitable<absl::StatusOr<Response>> LimitedTransport::Call(Request req) {
  co_await Acquire();
  struct Slot {
    LimitedTransport* self;
    ~Slot() { self->Release(); }
  } slot{this};
  co_return co_await next().Call(std::move(req));
}

}  // namespace shoal::client
