// Reply: how the HTTPS front end answers one request, over an HTTP/1.1 connection
// (http_server.cc) or an HTTP/2 stream (http2_connection.h). The request handling (health,
// authentication, metrics, watches, pods/log, flow control) is written once against it.
//
// Threading: used by the one coroutine that serves the request, on its connection's executor.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "apiserver/request.h"

namespace shoal::apiserver::internal {

class Reply {
 public:
  virtual ~Reply() = default;

  // The whole answer. False when it could not be written (the client went away).
  virtual boost::asio::awaitable<bool> Send(Response& resp) = 0;

  // A streamed answer (a watch, a followed log): the head, then pieces as they come (each
  // written, or queued behind the stream's flow control, before the call returns; false when
  // the client went away), then the end.
  virtual boost::asio::awaitable<bool> Begin(int code, std::string_view content_type) = 0;
  virtual boost::asio::awaitable<bool> Piece(std::string_view data) = 0;
  virtual boost::asio::awaitable<void> End() = 0;

  // When what the last call wrote went into the socket (`ok`), or now when it failed; never
  // before `since`.
  virtual std::chrono::steady_clock::time_point WrittenAt(
      bool ok, std::chrono::steady_clock::time_point since) const = 0;

  // Runs `fn` on the executor of the coroutine serving the request if the client ends the
  // exchange while the answer is still streaming (an HTTP/2 stream reset or the connection closing), so that a watch
  // waiting for events learns it at once. HTTP/1.1 cannot tell before the next write: no-op.
  virtual void OnAbort(std::function<void()> fn) {}
};

}  // namespace shoal::apiserver::internal
