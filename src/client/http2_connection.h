// Http2Connection: one HTTP/2 connection (TLS, ALPN "h2") to a Kubernetes API server, over which
// any number of requests and watches run at once, each on a stream of its own, as client-go's
// connection to kube-apiserver carries a kubelet's watches and status writes. nghttp2 does the
// framing, HPACK and flow control. HttpTransport uses it when options.http2 is set.
//
// The connection is opened by the first request and opened again by the first request after
// it ended (the server closes one that has had no stream for 5 minutes).
//
// Threading: made on an executor (a strand or a single-threaded io_context); every call comes
// from a coroutine on that executor. The TLS context must outlive the connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/verb.hpp>

#include "absl/status/statusor.h"
#include "client/https_client.h"

namespace shoal::client {

class Http2Connection {
 public:
  Http2Connection(boost::asio::any_io_executor executor, boost::asio::ssl::context& tls,
                  ServerTarget target);
  ~Http2Connection();
  Http2Connection(const Http2Connection&) = delete;
  Http2Connection& operator=(const Http2Connection&) = delete;

  // Sends one request on a new stream and reads its answer: whole into result.body when
  // `sink` is null, else piece by piece into `sink` as DATA frames arrive (a watch); a sink
  // that returns false ends the stream (RST_STREAM CANCEL) and the result has `stopped` set.
  // `*reused` (when not null) says whether the connection was open before this call.
  // Errors: FailedPrecondition when the server did not choose HTTP/2 (it speaks HTTP/1.1
  // only); Unavailable for connect, TLS and I/O failures, a connection that ended, and a
  // stream the server reset before its answer ended. An HTTP error status is a result.
  boost::asio::awaitable<absl::StatusOr<HttpResult>> Send(boost::beast::http::verb method,
                                                          std::string target, std::string body,
                                                          RequestHeaders headers,
                                                          HttpsConnection::BodySink sink,
                                                          bool* reused = nullptr);

  // Ends the connection: its streams fail with Unavailable; the next Send opens a new one.
  void Close();

  // Connections opened so far (each a TCP connect and a TLS handshake); any thread.
  int64_t connections_opened() const { return opened_.load(std::memory_order_relaxed); }
  const boost::asio::any_io_executor& executor() const { return executor_; }

 private:
  class Session;

  // The open session, opening one if there is none (one opening at a time; others wait).
  boost::asio::awaitable<absl::StatusOr<std::shared_ptr<Session>>> Open(bool* reused);

  boost::asio::any_io_executor executor_;
  boost::asio::ssl::context& tls_;
  const ServerTarget target_;
  const std::string authorization_;
  const std::string authority_;
  std::shared_ptr<Session> session_;
  bool opening_ = false;
  boost::asio::steady_timer opened_wake_;  // cancelled when an opening ends
  std::atomic<int64_t> opened_{0};
};

}  // namespace shoal::client
