// HttpsConnection: one kept-alive HTTPS/1.1 connection to a Kubernetes API server, the wire
// layer of HttpTransport (http_transport.h) and of the bench's load generator. Requests on one
// connection are sequential (no pipelining); N concurrent requests need N connections. The
// server's certificate is checked against the kubeconfig's CA and host name; requests carry the
// bearer token.
//
// Threading: a connection is used by one coroutine at a time, on the executor it was made
// with (a strand when the io_context has several threads). The TLS context is shared by every
// connection and must outlive them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/verb.hpp>

#include "absl/status/statusor.h"
#include "base/tls_stream.h"
#include "client/kubeconfig.h"

namespace shoal::client {

// Where and how to connect: parsed from a kubeconfig.
struct ServerTarget {
  std::string host;  // host name or IP literal (without brackets)
  std::string port;
  std::string token;
};

// Splits the kubeconfig's server URL. InvalidArgument if it is not https://host[:port].
absl::StatusOr<ServerTarget> TargetFromKubeconfig(const Kubeconfig& kc);

// A client TLS context that trusts only `ca_pem` (or the system roots when it is empty).
// InvalidArgument if the PEM cannot be loaded.
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeClientTlsContext(
    const std::string& ca_pem);

// A TCP connection to `target` with a finished TLS handshake that checked the server's
// certificate against `tls` and the host name. `alpn` is the ALPN protocol list in wire
// format ("\x02h2"), or empty for none. Errors: Unavailable for resolve, connect and TLS
// failures; InvalidArgument for a host that cannot be checked in a certificate.
boost::asio::awaitable<absl::StatusOr<std::unique_ptr<base::TlsStream>>> ConnectTls(
    boost::asio::any_io_executor executor, boost::asio::ssl::context& tls,
    const ServerTarget& target, std::string_view alpn);

// Request headers a caller may set; an empty field takes its default.
struct RequestHeaders {
  std::string content_type;  // "" = application/json when the request has a body
  std::string accept;        // "" = application/json
  std::string user_agent;    // "" = "shoal"
};

struct HttpResult {
  int status = 0;
  std::string content_type;  // the response's Content-Type
  // The other response headers, in order, except the framing ones (Content-Length,
  // Transfer-Encoding, Connection).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // empty when the body went to a sink
  int64_t body_bytes = 0;
  bool stopped = false;  // the sink asked to stop before the body ended
  // From the request being sent to the response header / the whole body being read.
  std::chrono::steady_clock::duration first_byte{};
  std::chrono::steady_clock::duration total{};
};

class HttpsConnection {
 public:
  static constexpr size_t kDefaultBodyBuffer = 1 << 20;

  // `body_buffer_bytes` sizes the reused buffer that SendStreaming reads the body into: large
  // for big LISTs, small for the many long-lived watch connections of a hollow-node process.
  HttpsConnection(boost::asio::any_io_executor executor, boost::asio::ssl::context& tls,
                  ServerTarget target, size_t body_buffer_bytes = kDefaultBodyBuffer);
  ~HttpsConnection();

  // Sends one request (`target` is the encoded origin-form: path and query) and reads the
  // whole response (no size limit: a LIST of 100,000 pods is ~160 MB). Connects first if not
  // connected. Errors: Unavailable for resolve, connect, TLS or I/O failures; the connection is
  // then closed and the next call reconnects. An HTTP error status is a result, not an error.
  boost::asio::awaitable<absl::StatusOr<HttpResult>> Send(boost::beast::http::verb method,
                                                          std::string target, std::string body);
  // The same with explicit request headers.
  boost::asio::awaitable<absl::StatusOr<HttpResult>> Send(boost::beast::http::verb method,
                                                          std::string target, std::string body,
                                                          RequestHeaders headers);

  // Receives the response body piece by piece, as it arrives, with the response's status code.
  // Returning false stops the transfer: the connection is closed (the rest of the body is not
  // read) and SendStreaming returns the result so far with `stopped` set.
  using BodySink = std::function<bool(int status, std::string_view piece)>;
  // Like Send, but streams the body through `sink` (a reused buffer, see the constructor)
  // instead of keeping it, as `curl -o /dev/null` does: the client then costs the same whatever
  // the response size. A chunked body (a watch) is passed on as each read brings it; others a
  // buffer-full at a time. The sink runs on this coroutine, between reads.
  boost::asio::awaitable<absl::StatusOr<HttpResult>> SendStreaming(
      boost::beast::http::verb method, std::string target, std::string body, BodySink sink);
  boost::asio::awaitable<absl::StatusOr<HttpResult>> SendStreaming(
      boost::beast::http::verb method, std::string target, std::string body, BodySink sink,
      RequestHeaders headers);

  // Connects and completes the TLS handshake now (so that later timings exclude it).
  boost::asio::awaitable<absl::Status> Connect();
  // Drops the connection (without a TLS close_notify); the next request reconnects.
  void Close();

  // True while a connection is open (it may still have been closed by the server since).
  bool connected() const { return stream_ != nullptr; }
  // The executor the connection was made with.
  const boost::asio::any_io_executor& executor() const { return executor_; }

 private:
  using Stream = base::TlsStream;

  boost::asio::any_io_executor executor_;
  boost::asio::ssl::context& tls_;
  const ServerTarget target_;
  const std::string authorization_;
  std::unique_ptr<Stream> stream_;  // null when not connected
  boost::beast::flat_buffer buffer_;
  const size_t body_buffer_bytes_;
  std::vector<char> piece_;  // body buffer of SendStreaming, allocated on first use
};

// Blocking one-shot request on a fresh connection with its own io_context, for setup code
// (readiness checks). Errors as for HttpsConnection::Send, plus those of the two helpers above.
absl::StatusOr<HttpResult> SendOnce(const Kubeconfig& kc, boost::beast::http::verb method,
                                    const std::string& target, const std::string& body = "");

}  // namespace shoal::client
