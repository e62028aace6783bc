// InProcessTransport: the Transport straight into shoal's own ApiServer, with no sockets and no
// serialization of requests: `shoal server` gives it to its scheduler and controllers. Call
// hands the Request to ApiServer::Handle; Watch registers a watcher with ApiServer::Watch and
// drains it on the caller's executor, as the HTTPS front end's watch loop does, with the same
// events, timeout and bookmarks. WatchObjects does the same, but hands each event's object
// parsed, one parse shared by all the in-process watchers of the event.
//
// Ownership: the ApiServer is borrowed and must outlive the transport and its coroutines.
// Threading: Call, Watch and WatchObjects may run concurrently on any executors; each watch
// coroutine's executor must be a strand or a single-threaded io_context (the store's commit
// thread posts the wake-ups to it).
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apiserver/api_server.h"
#include "client/transport.h"

namespace shoal::client {

struct InProcessTransportOptions {
  // How long a watch without timeoutSeconds runs (kube-apiserver: 30 minutes).
  std::chrono::seconds default_watch_timeout{1800};
  // With allowWatchBookmarks, idle time after which a BOOKMARK is sent (kube-apiserver: a
  // minute); one also goes 2 s before the watch's deadline (apiserver::BookmarkSchedule).
  std::chrono::seconds bookmark_interval{60};
};

class InProcessTransport : public Transport {
 public:
  explicit InProcessTransport(apiserver::ApiServer& api, InProcessTransportOptions options = {});

  // See transport.h. Never fails: every error is a Response with a metav1.Status body.
  boost::asio::awaitable<absl::StatusOr<Response>> Call(Request req) override;
  // See transport.h. Returns ApiServer::Watch's error when it refuses the watch; a watch that
  // starts too far back (410) gets one ERROR event, then OK, as over HTTP.
  boost::asio::awaitable<absl::Status> Watch(
      Request req, std::function<bool(std::string_view event)> on_event) override;
  // See transport.h. The same events as Watch; an event's object is parsed once for all the
  // in-process watchers it reaches (apiserver::SharedParse), not once per watcher.
  boost::asio::awaitable<absl::Status> WatchObjects(
      Request req, std::function<bool(ObjectEvent&&)> on_event) override;

 private:
  // Hands one event on; false ends the watch.
  using EmitEvent =
      std::function<bool(const apiserver::WatchSession&, const apiserver::CacheEvent&, bool first)>;
  // The loop Watch and WatchObjects share: registers the watcher (with `share_parse`, see
  // ApiServer::Watch) and drains it through `emit`; a watch refused with an ERROR event (410)
  // passes that event's line to `emit_line`.
  boost::asio::awaitable<absl::Status> RunWatch(Request req, EmitEvent emit,
                                                std::function<bool(std::string_view)> emit_line,
                                                bool share_parse);

  apiserver::ApiServer& api_;
  const InProcessTransportOptions options_;
};

}  // namespace shoal::client
