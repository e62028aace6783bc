// HttpServer: the HTTPS front end of the API server: HTTP/1.1 over TLS with Boost.Beast, and
// HTTP/2 with nghttp2 for clients that choose it through ALPN (kubectl, client-go).
// Each connection is one coroutine on its own strand; requests are parsed into Request
// values and handed to ApiServer; watches are streamed with chunked encoding (HTTP/1.1) or
// as one stream's DATA frames (HTTP/2).
//
// Authentication: `Authorization: Bearer <token>` checked by the `authenticate` callback;
// /readyz, /livez, /healthz and /version answer without credentials, as kube-apiserver's
// public-info-viewer role allows. Bodies over 3 MiB get 413 before they are read in full.
// Every other non-watch request takes a seat of its priority level first, or is answered 429
// (flow_control.h). `GET /metrics` (with credentials) answers kube-apiserver's request and
// flow-control metrics in Prometheus' text format (request_metrics.h).
// pods/log is relayed (streamed, for follow) from the node agent that runs the pod, over TLS
// with the agent client certificate; the agent's own certificate is not verified, as
// kube-apiserver does not verify kubelets' by default.
//
// Threading: the io_context's threads run connections; Listen/Stop from the owner's thread.
// New connections' TLS handshakes run on threads of the server's own (handshake_threads),
// and each connection then moves to the io_context: requests on open connections do not wait
// behind a storm of handshakes (a TLS 1.3 handshake costs about half a millisecond of CPU on
// the server; 7,500 registering nodes open 15,000 connections). A connection whose request is
// a watch moves on to the watch threads (watch_threads), whose queue holds only watch work.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "absl/status/status.h"
#include "apiserver/api_server.h"
#include "apiserver/flow_control.h"

namespace shoal::apiserver {

struct HttpServerOptions {
  std::string bind_address = "0.0.0.0";
  uint16_t port = 6443;  // 0 = pick a free port (see port())
  std::string cert_path;
  std::string key_path;
  std::function<bool(std::string_view token)> authenticate;
  // Idle time before a BOOKMARK is sent (kube-apiserver: a minute); one also goes 2 s before
  // the watch's deadline (BookmarkSchedule).
  std::chrono::seconds bookmark_interval{60};
  std::chrono::seconds default_watch_timeout{1800};
  // Client certificate for node agents (pods/log is relayed from the pod's agent, which
  // accepts only this certificate); empty: pods/log answers 503.
  std::string agent_client_cert_path;
  std::string agent_client_key_path;
  // Seats per priority level for non-watch requests; the rest wait or get 429 with
  // Retry-After (flow_control.h).
  FlowControlOptions flow_control;
  // Tests: this FlowControl instead of one made from flow_control (a test can hold seats).
  std::shared_ptr<FlowControl> flow_control_for_test;
  // Threads for TLS handshakes; 0: handshakes run on the io_context's threads too.
  int handshake_threads = 1;
  // Threads that stream watches: once a request is a watch, its connection moves to them, so
  // that event delivery does not queue behind request handling on the io_context (a write's
  // completion waited 0.2-1 s there in ml-7500's burst). 0: watches stay on the io_context.
  int watch_threads = 1;
  // Offer HTTP/2 through ALPN (as kube-apiserver does): a client that takes it multiplexes
  // its requests and watches over one connection (internal/http2_connection.h).
  bool http2 = true;
};

// Opens `acceptor` on bind_address:port (SO_REUSEADDR) and listens. Errors: InvalidArgument
// for an address that is not an IP, Unavailable when it cannot bind or listen (port in use).
absl::Status BindAndListen(boost::asio::ip::tcp::acceptor& acceptor,
                           const std::string& bind_address, uint16_t port);

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, ApiServer& api, HttpServerOptions options);
  ~HttpServer();

  // Loads the certificate and binds the listening socket. Errors: the cert/key cannot be
  // loaded, or the address cannot be bound (e.g. the port is in use).
  absl::Status Listen();
  // The bound port (useful with port 0).
  uint16_t port() const { return port_; }
  // Stops accepting; open connections end when their current exchange ends or the io_context
  // stops.
  void Stop();
  // Connections currently open (for tests and metrics).
  int open_connections() const;
  // The seats and queues of the requests that come through this front end.
  const FlowControl& flow_control() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace shoal::apiserver
