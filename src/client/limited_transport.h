// LimitedTransport: a Transport that lets at most `limit` calls through at once; the rest wait
// their turn in arrival order. Watches pass through unlimited.
//
// A controller that fans out thousands of writes (62 gang Jobs created together: 4,128 pod
// POSTs within a second) would otherwise put them all in the API server's commit queue at
// once, and every other client's write would wait behind them. kube-controller-manager caps
// its clients by QPS, and kube-apiserver shares its capacity by API Priority and Fairness; a
// cap on calls in flight keeps a burst from delaying others while costing the burst little.
//
// Threading: every Call must run on one single-threaded executor (as every shoal
// controller's does): the count and the queue of waiters are not locked.
#pragma once

#include <deque>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "client/forwarding_transport.h"

namespace shoal::client {

class LimitedTransport : public ForwardingTransport {
 public:
  // `next` must outlive this object.
  LimitedTransport(Transport& next, boost::asio::any_io_executor executor, int limit);
  // Calls still suspended in it (their executor stopped, its io_context not yet destroyed)
  // may be destroyed later: they then release nothing (see State).
  ~LimitedTransport() override;

  boost::asio::awaitable<absl::StatusOr<Response>> Call(Request req) override;

  int in_flight() const { return state_->in_flight; }

 private:
  // Shared with each call's coroutine frame, which may outlive the transport: a process that
  // stops its event loops and then destroys its transports before their io_contexts (as
  // `shoal sim` does) destroys suspended calls last, and their slots must not reach a
  // destroyed transport.
  struct State {
    int in_flight = 0;
    std::deque<std::shared_ptr<boost::asio::steady_timer>> waiters;
    bool closed = false;  // the transport is gone: nothing is released or woken
  };
  // Waits for a free slot; the caller owns it until Release.
  boost::asio::awaitable<void> Acquire();
  // Hands the slot to the first waiter, or frees it.
  static void Release(State& state);

  boost::asio::any_io_executor executor_;
  const int limit_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace shoal::client
