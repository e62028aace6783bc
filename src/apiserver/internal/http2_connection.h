// ServeHttp2: serves one HTTP/2 connection (RFC 9113) of the HTTPS front end, after ALPN chose
// "h2", with nghttp2 doing the framing, HPACK and flow control. Each stream's request goes to
// the front end's request handling as it would over HTTP/1.1, with a Reply that writes to the
// stream; streams run concurrently, so a client multiplexes its watches and its calls over one
// connection, as kubelets and client-go do with kube-apiserver.
//
// Threading: the reading, the writing and the framing of one connection run on its stream's
// executor (a strand); each stream's request is handled on the executor that
// Http2Options::executor_for gives (the answer's framing comes back to the connection's: a
// streamed answer's pieces are posted there, and its handler goes on, see Reply::Piece).
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "apiserver/internal/reply.h"
#include "apiserver/request.h"
#include "base/tls_stream.h"

namespace shoal::apiserver::internal {

// Sets req->path (percent-decoded) and req->query from an origin-form request target
// ("/api/v1/pods?watch=1"); a target that does not parse becomes the path as it is.
void ParseRequestTarget(std::string_view target, Request* req);

// Makes `ctx` offer HTTP/2 through ALPN: "h2" when the client offers it, else "http/1.1"; a
// client that offers neither gets HTTP/1.1 too, as from Go's servers.
void OfferHttp2(SSL_CTX* ctx);

struct Http2Options {
  // SETTINGS_MAX_CONCURRENT_STREAMS (kube-apiserver's --http2-max-streams-per-connection
  // defaults to 1000).
  uint32_t max_concurrent_streams = 1000;
  // The window of each stream for request bodies and of the connection as a whole (nghttp2
  // updates them as the bodies are read).
  int32_t stream_window_bytes = 1 << 20;
  int32_t connection_window_bytes = 16 << 20;
  // A connection without streams is closed after this long.
  std::chrono::steady_clock::duration idle_timeout = std::chrono::minutes(5);
  // Where a stream's request is handled (a strand of its own, so that one client's streams
  // run at once); null, or an empty executor: on the connection's strand.
  std::function<boost::asio::any_io_executor(const Request&)> executor_for;
};

// Answers one request through `reply`; false when the answer could not be written.
using ServeFn = std::function<boost::asio::awaitable<bool>(
    Request req, std::string authorization, Reply& reply,
    std::chrono::steady_clock::time_point received)>;

// Serves `stream` (handshake done, "h2" chosen) until the client closes it, a protocol error,
// or the idle timeout. Request bodies over kMaxBodyBytes get 413 without reaching `serve`.
boost::asio::awaitable<void> ServeHttp2(base::TlsStream stream, ServeFn serve,
                                        Http2Options options);

}  // namespace shoal::apiserver::internal
