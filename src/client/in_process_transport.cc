#include "client/in_process_transport.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

namespace shoal::client {

namespace asio = boost::asio;
using apiserver::CacheEvent;
using apiserver::WatchSession;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Events moved out of the watcher per wake-up, as the HTTPS front end does.
constexpr size_t kBatch = 512;

// One event as the HTTPS front end writes it, without the trailing newline.
std::string EventLine(apiserver::ApiServer& api, const WatchSession& s, const CacheEvent& e,
                      bool first) {
  std::string line = api.EncodeWatchEvent(s, e, first);
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

}  // namespace

InProcessTransport::InProcessTransport(apiserver::ApiServer& api,
                                       InProcessTransportOptions options)
    : api_(api), options_(options) {}

asio::awaitable<absl::StatusOr<Response>> InProcessTransport::Call(Request req) {
  Response resp = co_await api_.Handle(std::move(req));
  co_return std::move(resp);
}

asio::awaitable<absl::Status> InProcessTransport::Watch(
    Request req, std::function<bool(std::string_view event)> on_event) {
  EmitEvent emit = [&](const WatchSession& s, const CacheEvent& e, bool first) {
    return on_event(EventLine(api_, s, e, first));
  };
  std::function<bool(std::string_view)> emit_line = [&](std::string_view line) {
    return on_event(line);
  };
  co_return co_await RunWatch(std::move(req), std::move(emit), std::move(emit_line),
                              /*share_parse=*/false);
}

asio::awaitable<absl::Status> InProcessTransport::WatchObjects(
    Request req, std::function<bool(ObjectEvent&&)> on_event) {
  // What Transport::WatchObjects does with a line: the rare events (the 410 ERROR, bookmarks,
  // tables, a custom resource served through another version) take that path.
  std::function<bool(std::string_view)> emit_line = [&](std::string_view line) {
    return DeliverWatchLine(line, on_event);
  };
  EmitEvent emit = [&](const WatchSession& s, const CacheEvent& e, bool first) {
    if (e.type == CacheEvent::Type::kBookmark || e.object == nullptr || s.as_table ||
        !s.api_version.empty()) {
      return DeliverWatchLine(EventLine(api_, s, e, first), on_event);
    }
    ObjectEvent oe;
    oe.type = apiserver::WatchTypeName(e.type);
    // An initial or replayed event carries no shared parse: this watcher alone receives it.
    oe.object = e.parsed ? e.parsed->Get(*e.object) : apiserver::ParseCachedObject(*e.object);
    if (oe.object == nullptr) return true;
    return on_event(std::move(oe));
  };
  co_return co_await RunWatch(std::move(req), std::move(emit), std::move(emit_line),
                              /*share_parse=*/true);
}

asio::awaitable<absl::Status> InProcessTransport::RunWatch(
    Request req, EmitEvent emit, std::function<bool(std::string_view)> emit_line,
    bool share_parse) {
  // The commit thread's notify sets `pending` and, when it was not set, posts a cancel of the
  // timer the loop sleeps on; the loop clears `pending` before each drain, and `pending` also
  // covers a notify that lands between draining the queue and starting the wait. (A cancel
  // posted before the loop waits runs after the wait has begun: the post goes to the loop's
  // own executor, which is busy running the loop.)
  struct Wake {
    explicit Wake(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    std::atomic<bool> pending{false};
  };
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto wake = std::make_shared<Wake>(executor);
  absl::StatusOr<WatchSession> session = api_.Watch(req, [wake, executor] {
    // One wake-up per drain: a commit batch of many events (or the next batches while the
    // loop is still busy) posts once, not once per event.
    if (!wake->pending.exchange(true)) asio::post(executor, [wake] { wake->timer.cancel(); });
  }, share_parse);
  if (!session.ok()) co_return session.status();
  WatchSession& ws = *session;
  const apiserver::ApiServer::WatchStopper stop(api_, ws);

  if (!ws.error_event.empty()) {
    emit_line(ws.error_event);
    co_return absl::OkStatus();
  }
  // Bookmarks that mark the end of the initial events (sendInitialEvents) carry the
  // k8s.io/initial-events-end annotation; the periodic ones do not.
  WatchSession plain = ws;
  plain.initial_events_end = false;

  const auto timeout = ws.timeout_seconds > 0 ? std::chrono::seconds(ws.timeout_seconds)
                                              : options_.default_watch_timeout;
  const auto deadline = SteadyClock::now() + timeout;
  apiserver::BookmarkSchedule bookmarks(SteadyClock::now(), deadline, options_.bookmark_interval);
  size_t sent = 0;
  bool first = true;
  bool initial_end_pending = ws.initial_events_end;
  auto last_event = SteadyClock::now();
  for (;;) {
    wake->pending = false;
    std::vector<CacheEvent> events = ws.watcher->Take(kBatch);
    if (!events.empty()) {
      for (const CacheEvent& e : events) {
        const bool more = emit(ws, e, first);
        first = false;
        ++sent;
        if (!more) co_return absl::OkStatus();
      }
      last_event = SteadyClock::now();
      continue;
    }
    if (ws.watcher->terminated()) break;  // cut off as a slow watcher, or stopped
    if (SteadyClock::now() >= deadline) break;
    if (initial_end_pending && sent >= ws.watcher->initial_count()) {
      initial_end_pending = false;
      if (auto rv = ws.cache->BookmarkRevision(*ws.watcher)) {
        CacheEvent bookmark;
        bookmark.type = CacheEvent::Type::kBookmark;
        bookmark.rv = *rv;
        if (!emit(ws, bookmark, false)) co_return absl::OkStatus();
        last_event = SteadyClock::now();
        continue;
      }
    }
    auto wake_at = deadline;
    if (ws.bookmarks) wake_at = std::min(wake_at, bookmarks.Next(last_event));
    if (wake->pending) continue;
    wake->timer.expires_at(wake_at);
    auto [ec] = co_await wake->timer.async_wait(use_tuple);
    if (!ec && ws.bookmarks && bookmarks.Due(SteadyClock::now(), last_event)) {
      if (auto rv = ws.cache->BookmarkRevision(*ws.watcher)) {
        CacheEvent bookmark;
        bookmark.type = CacheEvent::Type::kBookmark;
        bookmark.rv = *rv;
        if (!emit(plain, bookmark, false)) co_return absl::OkStatus();
        last_event = SteadyClock::now();
      }
    }
  }
  co_return absl::OkStatus();
}

}  // namespace shoal::client
