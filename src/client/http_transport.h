// HttpTransport: the Transport to any Kubernetes API server over HTTPS, from a kubeconfig (the
// server URL, the CA that signs its certificate, a bearer token).
//
// HTTP/2 (options.http2, the default, as client-go): every call and watch from the executor of
// the transport's first request shares one HTTP/2 connection (Http2Connection), a stream each,
// as a kubelet's do. A GET that fails on a connection opened before it is retried once on a new
// one, and 429s are retried as below. A server that does not choose HTTP/2 in ALPN is spoken
// to in HTTP/1.1 from then on; so are calls from other executors.
//
// HTTP/1.1: non-watch requests share a small pool of kept-alive connections: a request takes an idle one
// (or opens a new one) and gives it back when its response has been read, so each connection
// carries one request at a time. Connections idle for longer than options.idle_timeout are
// dropped rather than reused (shoal's server closes them after 5 minutes, Go's client after
// 90 s). A GET that fails on a connection taken from the pool is retried once on a fresh
// connection (the server may have closed it in the meantime); other verbs are not retried,
// since the server may have applied them. A 429 with Retry-After is sent again after that
// long (options.max_throttle_retries), whatever its verb. Each WATCH opens a connection of its
// own for as long as it runs.
//
// Ownership: the transport owns the TLS context and the idle connections; it must outlive every
// Call and Watch coroutine that uses it.
// Threading: Call and Watch may run concurrently from any threads (the pool is guarded by a
// mutex). Connections are made on the calling coroutine's executor and only reused by
// coroutines on the same executor, so each coroutine's executor must be a strand or a
// single-threaded io_context, as for any Beast stream.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/http2_connection.h"
#include "client/https_client.h"
#include "client/kubeconfig.h"
#include "client/transport.h"

namespace shoal::client {

struct HttpTransportOptions {
  // Idle kept-alive connections kept per transport; more are closed when returned.
  size_t max_idle_connections = 8;
  // A connection idle for longer is closed instead of reused.
  std::chrono::steady_clock::duration idle_timeout = std::chrono::seconds(60);
  // Body buffer of a watch connection (HttpsConnection's constructor): small, because a
  // hollow-node process holds thousands of watches.
  size_t watch_buffer_bytes = 64 * 1024;
  // Body buffer of each pooled connection: large for big LISTs; a hollow node, whose answers
  // are small, keeps it small (it is allocated once per connection).
  size_t call_buffer_bytes = 1 << 20;
  // A TLS context to share (thousands of hollow nodes' transports use one); null: the
  // transport makes its own from the kubeconfig's CA.
  std::shared_ptr<boost::asio::ssl::context> tls;
  // A 429 answer with `Retry-After: N` is sent again after N seconds (at most 10), up to this
  // many times, as client-go does (its default is also 10); after that the 429 is the answer.
  // A 429 means the server did not act on the request, so every verb is sent again.
  int max_throttle_retries = 10;
  // Speak HTTP/2 when the server offers it (see above).
  bool http2 = true;
};

// Percent-encodes `path` and `query` into an HTTP origin-form target
// ("/api/v1/pods?labelSelector=app%20in%20%28a%2Cb%29"). Unreserved characters and '/' in the
// path are kept as they are; everything else is %XX-encoded.
std::string EncodeTarget(std::string_view path, const std::map<std::string, std::string>& query);

class HttpTransport : public Transport {
 public:
  // A transport to the server of `kubeconfig`. `executor` is the executor of the transport's
  // own work; it starts none today (each request runs on its caller's executor, see
  // Threading). Errors: InvalidArgument when the server URL is not https://host[:port] or the
  // CA cannot be loaded.
  static absl::StatusOr<std::unique_ptr<HttpTransport>> Create(
      boost::asio::any_io_executor executor, const Kubeconfig& kubeconfig,
      HttpTransportOptions options = {});
  ~HttpTransport() override;

  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // See transport.h. Errors: Unavailable when connecting, TLS or I/O fails; InvalidArgument
  // for a method that is not an HTTP verb.
  boost::asio::awaitable<absl::StatusOr<Response>> Call(Request req) override;
  // See transport.h. A non-200 answer comes back as StatusFromResponse of it (status.h).
  boost::asio::awaitable<absl::Status> Watch(
      Request req, std::function<bool(std::string_view event)> on_event) override;

  // Idle connections in the pool (for tests).
  size_t idle_connections_for_test() const;
  // 429 answers received so far (each retry's included).
  int64_t throttled() const { return throttled_.load(); }
  // Connections opened so far (each a TCP connect and a full TLS handshake): for calls (a
  // call that found no idle connection on its executor) and for watches over HTTP/1.1, and
  // HTTP/2 connections (each carrying calls and watches).
  int64_t call_connections_opened() const { return call_connections_opened_.load(); }
  int64_t watch_connections_opened() const { return watch_connections_opened_.load(); }
  int64_t http2_connections_opened() const;

 private:
  HttpTransport(boost::asio::any_io_executor executor, ServerTarget target,
                std::shared_ptr<boost::asio::ssl::context> tls, HttpTransportOptions options);

  // An idle connection made on `executor`, or a new one; `*reused` says which.
  std::unique_ptr<HttpsConnection> TakeConnection(const boost::asio::any_io_executor& executor,
                                                  bool* reused);
  // Puts a still-open connection back in the pool (or closes it when the pool is full).
  void ReturnConnection(std::unique_ptr<HttpsConnection> conn);
  // The HTTP/2 connection for requests on `executor` (made by the first one), or null: HTTP/2
  // is off, the server does not speak it, or `executor` is not the connection's.
  Http2Connection* Http2For(const boost::asio::any_io_executor& executor);
  // True when `r`, an answer over HTTP/2, says the server does not speak it: HTTP/2 is off
  // from then on (logged once), and the request goes over HTTP/1.1.
  bool RefusedHttp2(const absl::StatusOr<HttpResult>& r);
  // One request over HTTP/2 (`*h2`) or a pooled HTTP/1.1 connection; `*reused` says whether
  // the connection was open before. A server found not to speak HTTP/2 turns it off and the
  // request goes over HTTP/1.1.
  boost::asio::awaitable<absl::StatusOr<HttpResult>> SendOnce(
      const boost::asio::any_io_executor& executor, boost::beast::http::verb verb,
      std::string target, std::string body, RequestHeaders headers, bool* reused);

  const boost::asio::any_io_executor executor_;
  const ServerTarget target_;
  const std::shared_ptr<boost::asio::ssl::context> tls_;
  const HttpTransportOptions options_;
  struct Idle {
    std::unique_ptr<HttpsConnection> conn;
    std::chrono::steady_clock::time_point since;
  };
  mutable std::mutex mu_;
  std::vector<Idle> idle_;  // guarded by mu_; most recently returned last
  std::atomic<int64_t> throttled_{0};
  std::atomic<int64_t> call_connections_opened_{0};
  std::atomic<int64_t> watch_connections_opened_{0};
  std::unique_ptr<Http2Connection> h2_;  // guarded by mu_ (made once; used on its executor)
  std::atomic<bool> h2_refused_{false};   // the server chose HTTP/1.1
};

}  // namespace shoal::client
