#include "apiserver/flow_control.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>


namespace shoal::apiserver {

namespace asio = boost::asio;

std::string_view PriorityLevelName(PriorityLevel level) {
  switch (level) {
    case PriorityLevel::kNodeHigh: return "node-high";
    case PriorityLevel::kMutating: return "mutating";
    case PriorityLevel::kReadOnly: return "read-only";
  }
  return "unknown";
}

PriorityLevel ClassifyRequest(const Request& req, const api::ApiPath& p) {
  // Leases in kube-node-lease; the status of a Node or a Pod.
  if (p.group == "coordination.k8s.io" && p.resource == "leases" && p.ns == "kube-node-lease") {
    return PriorityLevel::kNodeHigh;
  }
  if (p.group.empty() && p.subresource == "status" &&
      (p.resource == "nodes" || p.resource == "pods")) {
    return PriorityLevel::kNodeHigh;
  }
  const std::string& m = req.method;
  if (m == "GET" || m == "HEAD" || m == "OPTIONS") return PriorityLevel::kReadOnly;
  return PriorityLevel::kMutating;
}

struct FlowControl::Waiter {
  explicit Waiter(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  bool granted = false;  // guarded by FlowControl::mu_
};

FlowControl::FlowControl(FlowControlOptions options) : options_(std::move(options)) {
  // node-high is not limited (see the header); the others by their flags.
  const int seats[kPriorityLevels] = {0, options_.max_mutating_requests_inflight,
                                      options_.max_requests_inflight};
  for (int i = 0; i < kPriorityLevels; ++i) {
    Level& l = levels_[i];
    l.seats = std::max(0, seats[i]);
    l.queue_limit = static_cast<size_t>(l.seats * std::max(0, options_.queue_length_per_seat));
  }
}

FlowControl::~FlowControl() = default;

FlowControl::Seat::~Seat() {
  if (owner_ != nullptr) owner_->Release(level_);
}

asio::awaitable<std::optional<FlowControl::Seat>> FlowControl::Acquire(PriorityLevel level) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  std::shared_ptr<Waiter> waiter;
  {
    std::lock_guard lock(mu_);
    Level& l = levels_[static_cast<int>(level)];
    if (l.seats == 0) {
      ++l.admitted;
      co_return Seat(nullptr, level);
    }
    if (l.in_flight < l.seats) {
      ++l.in_flight;
      ++l.admitted;
      co_return Seat(this, level);
    }
    if (l.queue.size() >= l.queue_limit) {
      ++l.rejected;
      co_return std::nullopt;
    }
    waiter = std::make_shared<Waiter>(executor);
    waiter->timer.expires_after(options_.max_wait);
    l.queue.push_back(waiter);
  }
  // Release posts the timer's cancel to this coroutine's executor, so it cannot run before
  // the wait below has begun.
  co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  std::lock_guard lock(mu_);
  Level& l = levels_[static_cast<int>(level)];
  if (waiter->granted) {
    ++l.admitted;
    ++l.waited;
    co_return Seat(this, level);  // the releasing request's seat, passed on
  }
  std::erase(l.queue, waiter);
  ++l.rejected;
  ++l.timed_out;
  co_return std::nullopt;
}

void FlowControl::Release(PriorityLevel level) {
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard lock(mu_);
    Level& l = levels_[static_cast<int>(level)];
    if (l.queue.empty()) {
      --l.in_flight;
      return;
    }
    next = std::move(l.queue.front());
    l.queue.pop_front();
    next->granted = true;  // the seat passes to it; in_flight stays
  }
  asio::post(next->timer.get_executor(), [next] { next->timer.cancel(); });
}

LevelStats FlowControl::Stats(PriorityLevel level) const {
  std::lock_guard lock(mu_);
  const Level& l = levels_[static_cast<int>(level)];
  return {l.seats, l.in_flight, static_cast<int>(l.queue.size()), l.admitted, l.waited,
          l.rejected, l.timed_out};
}

void FlowControl::AppendMetricsText(std::string* out) const {
  LevelStats st[kPriorityLevels];
  for (int i = 0; i < kPriorityLevels; ++i) st[i] = Stats(static_cast<PriorityLevel>(i));
  auto family = [&](std::string_view name, std::string_view type, std::string_view help,
                    auto value) {
    fmt::format_to(std::back_inserter(*out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                   type);
    for (int i = 0; i < kPriorityLevels; ++i) {
      fmt::format_to(std::back_inserter(*out), "{}{{priority_level=\"{}\"}} {}\n", name,
                     PriorityLevelName(static_cast<PriorityLevel>(i)), value(st[i]));
    }
  };
  family("apiserver_flowcontrol_nominal_limit_seats", "gauge",
         "Seats of the priority level (0: not limited).",
         [](const LevelStats& s) { return s.seats; });
  family("apiserver_flowcontrol_current_executing_requests", "gauge",
         "Requests holding a seat of the priority level.",
         [](const LevelStats& s) { return s.in_flight; });
  family("apiserver_flowcontrol_current_inqueue_requests", "gauge",
         "Requests waiting for a seat of the priority level.",
         [](const LevelStats& s) { return s.waiting; });
  family("apiserver_flowcontrol_dispatched_requests_total", "counter",
         "Requests given a seat of the priority level.",
         [](const LevelStats& s) { return s.admitted; });
  fmt::format_to(std::back_inserter(*out),
                 "# HELP apiserver_flowcontrol_rejected_requests_total Requests refused with "
                 "429 by the priority level.\n"
                 "# TYPE apiserver_flowcontrol_rejected_requests_total counter\n");
  for (int i = 0; i < kPriorityLevels; ++i) {
    const std::string_view level = PriorityLevelName(static_cast<PriorityLevel>(i));
    fmt::format_to(std::back_inserter(*out),
                   "apiserver_flowcontrol_rejected_requests_total{{priority_level=\"{}\","
                   "reason=\"queue-full\"}} {}\n"
                   "apiserver_flowcontrol_rejected_requests_total{{priority_level=\"{}\","
                   "reason=\"time-out\"}} {}\n",
                   level, st[i].rejected - st[i].timed_out, level, st[i].timed_out);
  }
}

}  // namespace shoal::apiserver
