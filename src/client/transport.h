// Transport: how a shoal component (scheduler, controllers, agent, sim) talks to a Kubernetes
// API server. Two implementations: HttpTransport (HTTPS to any API server, from a kubeconfig;
// http_transport.h) and InProcessTransport (straight into shoal's own ApiServer, no sockets;
// in_process_transport.h). Requests and responses are apiserver::Request/Response values, so the
// in-process transport hands them over without conversion.
//
// Threading: Call, Watch and WatchObjects are coroutines that run on (and resume on) the
// caller's executor. A transport may be used by many coroutines at once.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apiserver/request.h"

namespace shoal::client {

using apiserver::Request;
using apiserver::Response;

using apiserver::MakeRequest;

// One watch event with its object parsed (Transport::WatchObjects).
struct ObjectEvent {
  std::string_view type;  // ADDED, MODIFIED, DELETED, BOOKMARK or ERROR
  // Never null. Shared: other watchers of the same event may hold the same object.
  std::shared_ptr<const boost::json::object> object;
};

// Parses one watch event line (a JSON object with "type" and "object") and passes it to
// `on_event`, returning what that returns; a line that is not such an event is skipped (true).
bool DeliverWatchLine(std::string_view line, const std::function<bool(ObjectEvent&&)>& on_event);

class Transport {
 public:
  virtual ~Transport() = default;

  // Sends one non-watch request (req.path is the decoded path, req.query the parameters; the
  // HTTP transport encodes them). An HTTP error status is a Response, not an error: the error
  // is reserved for transport failures (Unavailable: connect, TLS or I/O failed).
  virtual boost::asio::awaitable<absl::StatusOr<Response>> Call(Request req) = 0;

  // Runs one WATCH (`req` is a GET with watch=1 in its query) and passes each watch event, one
  // JSON object per call without the trailing newline, to `on_event` on the caller's executor.
  // Returns when the server ends the watch (timeout: OK), when `on_event` returns false (OK),
  // or with Unavailable on a transport failure. A watch the server refuses returns the
  // server's error as a Status (e.g. Gone for 410, via the metav1.Status message).
  virtual boost::asio::awaitable<absl::Status> Watch(
      Request req, std::function<bool(std::string_view event)> on_event) = 0;

  // Watch, with each event's object parsed: what informers consume. Events that are not a
  // JSON object with an object in it are skipped. This default parses every line Watch gives;
  // InProcessTransport parses each event once for all of its watchers.
  virtual boost::asio::awaitable<absl::Status> WatchObjects(
      Request req, std::function<bool(ObjectEvent&&)> on_event);
};

}  // namespace shoal::client
