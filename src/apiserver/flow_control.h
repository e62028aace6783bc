// FlowControl: how many requests the API server works on at once, by priority level, and what
// happens to the rest (kube-apiserver's --max-requests-inflight and
// --max-mutating-requests-inflight, with a level of its own for kubelets' writes as API
// Priority and Fairness gives them one).
//
// A request takes a seat of its level for as long as it is handled (a write until the store
// has committed it). When every seat is taken it waits in its level's queue, first come first
// served, for at most `max_wait`; when the queue is full, or the wait ends without a seat, it
// is rejected, and the front end answers 429 TooManyRequests with `Retry-After` (client-go
// and shoal's HttpTransport retry such a request after that many seconds). So a flood of
// requests costs the server the work of `seats` requests at a time and a quick answer for the
// others, instead of a queue of work that grows until every answer is late.
//
// Levels:
//   kNodeHigh  what kubelets write to keep their nodes and pods current: any request on a
//              Lease in kube-node-lease, and on the status subresource of a Node or a Pod (as
//              API Priority and Fairness gives all of system:nodes' requests its node-high
//              level; shoal has no per-client identity, so it goes by the resource). Not
//              limited and never refused, so that node leases are renewed within their grace
//              period while other clients flood the server (a late renewal makes the node
//              lifecycle controller taint the node and evict its pods), and a started pod is
//              reported Running without a wait. There are at most a few per node in flight.
//              (With seats of its own, 100, a start-up of 7,500 hollow nodes at 1,000 a second
//              had 7,349 renewals refused, and their retries, a second later and all together,
//              were refused again. Pod status in the mutating level: ml-7500's burst of 7,100
//              pod starts waited for seats, up to 485 ms at p99, and 28 were refused.)
//   kMutating  other create, update, patch and delete requests (--max-mutating-requests-inflight).
//   kReadOnly  other get and list requests, discovery and OpenAPI (--max-requests-inflight).
// Not limited: watches and pods/log (long-running, as kube-apiserver's max-in-flight filter
// exempts them), the health and version paths, and the in-process clients (scheduler and
// controllers call ApiServer::Handle directly, as kube-apiserver's loopback client is exempt).
//
// Unlike API Priority and Fairness, there is no fair queuing among clients within a level:
// without per-client identities (one bearer token) each level is one FIFO queue.
//
// Threading: Acquire and Seat's release may be called from any thread; a waiting Acquire
// resumes on its own executor (which must be a strand or a single-threaded io_context, as for
// the front end's connections).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "api/request_path.h"
#include "apiserver/request.h"

namespace shoal::apiserver {

enum class PriorityLevel { kNodeHigh = 0, kMutating = 1, kReadOnly = 2 };
inline constexpr int kPriorityLevels = 3;

// "node-high", "mutating", "read-only".
std::string_view PriorityLevelName(PriorityLevel level);

// The level of a non-watch request, from its method and its path (`path`: req.path read by
// api::ParseApiPath).
PriorityLevel ClassifyRequest(const Request& req, const api::ApiPath& path);

struct FlowControlOptions {
  // Seats of the read-only and mutating levels; 0 = that level is not limited
  // (kube-apiserver: "zero for no limit"). kube-apiserver's defaults.
  int max_requests_inflight = 400;
  int max_mutating_requests_inflight = 200;
  // Requests that may wait per level, as a multiple of its seats (0: none wait).
  int queue_length_per_seat = 2;
  // The longest a request waits for a seat before it is rejected.
  std::chrono::steady_clock::duration max_wait = std::chrono::seconds(5);
  // The Retry-After (seconds) of a rejected request.
  int retry_after_seconds = 1;
};

// Counters of one level, for logs and tests.
struct LevelStats {
  int seats = 0;  // 0 = not limited
  int in_flight = 0;
  int waiting = 0;
  int64_t admitted = 0;   // given a seat, at once or after waiting
  int64_t waited = 0;     // of those, after waiting
  int64_t rejected = 0;   // queue full or waited too long
  int64_t timed_out = 0;  // of those, waited too long
};

class FlowControl {
 public:
  explicit FlowControl(FlowControlOptions options);
  ~FlowControl();

  FlowControl(const FlowControl&) = delete;
  FlowControl& operator=(const FlowControl&) = delete;

  // A seat of one level, held until destroyed (then given to the level's first waiter).
  class Seat {
   public:
    Seat(Seat&& other) noexcept : owner_(other.owner_), level_(other.level_) {
      other.owner_ = nullptr;
    }
    Seat& operator=(Seat&&) = delete;
    ~Seat();

   private:
    friend class FlowControl;
    Seat(FlowControl* owner, PriorityLevel level) : owner_(owner), level_(level) {}
    FlowControl* owner_;  // null: moved from, or an unlimited level (nothing to give back)
    PriorityLevel level_;
  };

  // A seat of `level`, at once or after waiting; nullopt when the request is rejected (queue
  // full, or no seat within max_wait). The FlowControl must outlive the seat.
  boost::asio::awaitable<std::optional<Seat>> Acquire(PriorityLevel level);

  LevelStats Stats(PriorityLevel level) const;
  // Appends kube-apiserver's flow-control metrics (Prometheus text) for every level:
  // apiserver_flowcontrol_nominal_limit_seats, _current_executing_requests,
  // _current_inqueue_requests, _dispatched_requests_total and _rejected_requests_total (reason
  // queue-full or time-out).
  void AppendMetricsText(std::string* out) const;
  const FlowControlOptions& options() const { return options_; }

 private:
  struct Waiter;
  struct Level {
    int seats = 0;
    size_t queue_limit = 0;
    int in_flight = 0;
    std::deque<std::shared_ptr<Waiter>> queue;
    int64_t admitted = 0, waited = 0, rejected = 0, timed_out = 0;
  };
  void Release(PriorityLevel level);

  const FlowControlOptions options_;
  mutable std::mutex mu_;
  std::array<Level, kPriorityLevels> levels_;  // guarded by mu_
};

}  // namespace shoal::apiserver
