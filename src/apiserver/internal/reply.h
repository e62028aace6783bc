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

  // What runs once a piece's last byte was handed to the socket (HTTP/2: framed by nghttp2
  // into the write that follows at once), with that time.
  using Written = std::function<void(std::chrono::steady_clock::time_point)>;

  // A streamed answer (a watch, a followed log): the head, then pieces as they come, then the
  // end. Piece returns false when the client went away. Over HTTP/1.1 a piece is written
  // before it returns; over HTTP/2 it is queued on the stream, and a handler on an executor
  // other than the connection's goes on before it is framed, unless several MiB are unsent.
  // `written` runs then (on the connection's executor; never if the exchange ends first).
  virtual boost::asio::awaitable<bool> Begin(int code, std::string_view content_type) = 0;
  virtual boost::asio::awaitable<bool> Piece(std::string_view data, Written written) = 0;
  boost::asio::awaitable<bool> Piece(std::string_view data) {
    return Piece(data, nullptr);
  }
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
