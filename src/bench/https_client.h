// HttpsConnection: one kept-alive HTTPS/1.1 connection to a Kubernetes API server, for the
// load generator. Requests on one connection are sequential (no pipelining); a load of N
// concurrent clients is N connections. The server's certificate is checked against the
// kubeconfig's CA and host name; requests carry the bearer token.
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
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "absl/status/statusor.h"
#include "bench/kubeconfig.h"

namespace shoal::bench {

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

struct HttpResult {
  int status = 0;
  std::string body;  // empty when the body went to a sink
  int64_t body_bytes = 0;
  // From the request being sent to the response header / the whole body being read.
  std::chrono::steady_clock::duration first_byte{};
  std::chrono::steady_clock::duration total{};
};

class HttpsConnection {
 public:
  HttpsConnection(boost::asio::any_io_executor executor, boost::asio::ssl::context& tls,
                  ServerTarget target);
  ~HttpsConnection();

  // Sends one request and reads the whole response (no size limit: a LIST of 100,000 pods is
  // ~160 MB). Connects first if not connected. Errors: Unavailable for resolve, connect, TLS
  // or I/O failures; the connection is then closed and the next call reconnects.
  boost::asio::awaitable<absl::StatusOr<HttpResult>> Send(boost::beast::http::verb method,
                                                          std::string target, std::string body);

  // Receives a response body piece by piece, as it arrives.
  using BodySink = std::function<void(std::string_view piece)>;
  // Like Send, but streams the body through `sink` (reused 1 MiB buffer) instead of keeping it,
  // as `curl -o /dev/null` does: the client then costs the same whatever the response size.
  boost::asio::awaitable<absl::StatusOr<HttpResult>> SendStreaming(
      boost::beast::http::verb method, std::string target, std::string body, BodySink sink);

  // Connects and completes the TLS handshake now (so that later timings exclude it).
  boost::asio::awaitable<absl::Status> Connect();

 private:
  using Stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  boost::asio::any_io_executor executor_;
  boost::asio::ssl::context& tls_;
  const ServerTarget target_;
  const std::string authorization_;
  std::unique_ptr<Stream> stream_;  // null when not connected
  boost::beast::flat_buffer buffer_;
  std::vector<char> piece_;  // body buffer of SendStreaming
};

// Blocking one-shot request on a fresh connection with its own io_context, for setup code
// (readiness checks). Errors as for HttpsConnection::Send, plus those of the two helpers above.
absl::StatusOr<HttpResult> SendOnce(const Kubeconfig& kc, boost::beast::http::verb method,
                                    const std::string& target, const std::string& body = "");

}  // namespace shoal::bench
