#include "client/https_client.h"

#include <algorithm>
#include <limits>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "base/status_macros.h"
#include "base/strings.h"

namespace shoal::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

absl::Status IoError(std::string_view what, const boost::system::error_code& ec) {
  return absl::UnavailableError(base::StrCat(what, ": ", ec.message()));
}

}  // namespace

absl::StatusOr<ServerTarget> TargetFromKubeconfig(const Kubeconfig& kc) {
  auto url = boost::urls::parse_uri(kc.server);
  if (!url || url->scheme() != "https" || url->host().empty()) {
    return absl::InvalidArgumentError(base::StrCat(
        "kubeconfig: cluster server: Invalid value: \"", kc.server, "\": must be https://host[:port]"));
  }
  ServerTarget t;
  t.host = url->host_type() == boost::urls::host_type::ipv6 ? std::string(url->encoded_host_address())
                                                            : std::string(url->host_address());
  if (!t.host.empty() && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  t.port = url->has_port() ? std::string(url->port()) : "443";
  t.token = kc.token;
  return t;
}

absl::StatusOr<std::shared_ptr<ssl::context>> MakeClientTlsContext(const std::string& ca_pem) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  if (ca_pem.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->add_certificate_authority(asio::buffer(ca_pem), ec);
  }
  if (ec) {
    return absl::InvalidArgumentError(
        base::StrCat("loading the certificate authority: ", ec.message()));
  }
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

HttpsConnection::HttpsConnection(asio::any_io_executor executor, ssl::context& tls,
                                 ServerTarget target, size_t body_buffer_bytes)
    : executor_(std::move(executor)),
      tls_(tls),
      target_(std::move(target)),
      authorization_(base::StrCat("Bearer ", target_.token)),
      body_buffer_bytes_(std::max<size_t>(body_buffer_bytes, 4096)) {}

HttpsConnection::~HttpsConnection() = default;

void HttpsConnection::Close() {
  stream_.reset();
  buffer_.clear();
}

asio::awaitable<absl::StatusOr<std::unique_ptr<base::TlsStream>>> ConnectTls(
    asio::any_io_executor executor, ssl::context& tls, const ServerTarget& target,
    std::string_view alpn) {
  tcp::resolver resolver(executor);
  auto [rec, endpoints] = co_await resolver.async_resolve(target.host, target.port, use_tuple);
  if (rec) co_return IoError(base::StrCat("resolving ", target.host), rec);
  auto stream = std::make_unique<base::TlsStream>(executor, tls.native_handle());
  if (!stream->SetPeerHost(target.host)) {
    co_return absl::InvalidArgumentError(
        base::StrCat("server host \"", target.host, "\" cannot be checked in a certificate"));
  }
  if (!alpn.empty() &&
      SSL_set_alpn_protos(stream->native_handle(),
                          reinterpret_cast<const unsigned char*>(alpn.data()),
                          static_cast<unsigned int>(alpn.size())) != 0) {
    co_return absl::InternalError("setting the TLS ALPN protocols failed");
  }
  stream->ExpiresAfter(std::chrono::seconds(30));
  auto [cec, ep] = co_await asio::async_connect(stream->socket(), endpoints, use_tuple);
  if (cec) co_return IoError(base::StrCat("connecting to ", target.host, ":", target.port), cec);
  stream->socket().set_option(tcp::no_delay(true));
  // A large receive buffer lets the server send a big response in long runs instead of
  // waking this client for every TLS record.
  boost::system::error_code ignored;
  stream->socket().set_option(asio::socket_base::receive_buffer_size(8 << 20), ignored);
  auto [hec] = co_await stream->async_handshake(base::TlsStream::Role::kClient, use_tuple);
  if (hec) co_return IoError("TLS handshake", hec);
  stream->ExpiresNever();
  co_return std::move(stream);
}

asio::awaitable<absl::Status> HttpsConnection::Connect() {
  Close();
  absl::StatusOr<std::unique_ptr<Stream>> stream = co_await ConnectTls(executor_, tls_, target_, "");
  if (!stream.ok()) co_return stream.status();
  stream_ = *std::move(stream);
  co_return absl::OkStatus();
}

asio::awaitable<absl::StatusOr<HttpResult>> HttpsConnection::Send(http::verb method,
                                                                  std::string target,
                                                                  std::string body) {
  RequestHeaders headers;  // named values: GCC 12 mishandles temporaries inside co_await
  BodySink keep;
  co_return co_await SendStreaming(method, std::move(target), std::move(body), std::move(keep),
                                   std::move(headers));
}

asio::awaitable<absl::StatusOr<HttpResult>> HttpsConnection::Send(http::verb method,
                                                                  std::string target,
                                                                  std::string body,
                                                                  RequestHeaders headers) {
  BodySink keep;
  co_return co_await SendStreaming(method, std::move(target), std::move(body), std::move(keep),
                                   std::move(headers));
}

asio::awaitable<absl::StatusOr<HttpResult>> HttpsConnection::SendStreaming(http::verb method,
                                                                           std::string target,
                                                                           std::string body,
                                                                           BodySink sink) {
  RequestHeaders headers;
  co_return co_await SendStreaming(method, std::move(target), std::move(body), std::move(sink),
                                   std::move(headers));
}

asio::awaitable<absl::StatusOr<HttpResult>> HttpsConnection::SendStreaming(
    http::verb method, std::string target, std::string body, BodySink sink,
    RequestHeaders headers) {
  if (stream_ == nullptr) {
    absl::Status connected = co_await Connect();
    if (!connected.ok()) co_return connected;
  }
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, target_.host);
  req.set(http::field::authorization, authorization_);
  req.set(http::field::user_agent, headers.user_agent.empty() ? "shoal" : headers.user_agent);
  req.set(http::field::accept, headers.accept.empty() ? "application/json" : headers.accept);
  if (!body.empty() || !headers.content_type.empty()) {
    req.set(http::field::content_type,
            headers.content_type.empty() ? "application/json" : headers.content_type);
  }
  req.keep_alive(true);
  req.body() = std::move(body);
  req.prepare_payload();

  const auto start = std::chrono::steady_clock::now();
  stream_->ExpiresAfter(std::chrono::seconds(120));
  auto [wec, wn] = co_await http::async_write(*stream_, req, use_tuple);
  if (wec) {
    Close();
    co_return IoError("writing the request", wec);
  }
  // buffer_body: the body is read into `piece_` a buffer-full at a time.
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  auto [hec, hn] = co_await http::async_read_header(*stream_, buffer_, parser, use_tuple);
  if (hec) {
    Close();
    co_return IoError("reading the response header", hec);
  }
  HttpResult result;
  result.first_byte = std::chrono::steady_clock::now() - start;
  const auto& head = parser.get();
  result.status = head.result_int();
  for (const auto& field : head) {
    switch (field.name()) {
      case http::field::content_type:
        result.content_type = std::string(field.value());
        break;
      case http::field::content_length:
      case http::field::transfer_encoding:
      case http::field::connection:
        break;
      default:
        result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
  }
  if (!sink && parser.content_length()) result.body.reserve(*parser.content_length());
  if (piece_.empty()) piece_.resize(body_buffer_bytes_);
  // No per-read timer for the body: re-arming one for every TLS record costs more than the
  // record itself and made this client, not the server, the limit of a large LIST.
  stream_->ExpiresNever();
  // A chunked body streamed to a sink (a watch) is passed on as each read brings it: waiting
  // to fill the buffer would hold events back. Other bodies are read a buffer-full at a time.
  const bool as_it_arrives = sink && parser.chunked();
  while (!parser.is_done()) {
    parser.get().body().data = piece_.data();
    parser.get().body().size = piece_.size();
    boost::system::error_code rec;
    if (as_it_arrives) {
      auto [ec, n] = co_await http::async_read_some(*stream_, buffer_, parser, use_tuple);
      rec = ec;
    } else {
      auto [ec, n] = co_await http::async_read(*stream_, buffer_, parser, use_tuple);
      rec = ec;
    }
    if (rec && rec != http::error::need_buffer) {
      Close();
      co_return IoError("reading the response body", rec);
    }
    std::string_view got(piece_.data(), piece_.size() - parser.get().body().size);
    if (got.empty()) continue;
    result.body_bytes += static_cast<int64_t>(got.size());
    if (!sink) {
      result.body.append(got);
    } else if (!sink(result.status, got)) {
      // The rest of the body is not wanted (a watch the caller ends): the connection cannot
      // be reused without reading it, so it goes.
      result.stopped = true;
      Close();
      break;
    }
  }
  result.total = std::chrono::steady_clock::now() - start;
  if (stream_ != nullptr && !parser.keep_alive()) Close();
  co_return result;
}

absl::StatusOr<HttpResult> SendOnce(const Kubeconfig& kc, http::verb method,
                                    const std::string& target, const std::string& body) {
  ASSIGN_OR_RETURN(ServerTarget t, TargetFromKubeconfig(kc));
  ASSIGN_OR_RETURN(std::shared_ptr<ssl::context> tls, MakeClientTlsContext(kc.ca_pem));
  asio::io_context io;
  HttpsConnection conn(io.get_executor(), *tls, t);
  absl::StatusOr<HttpResult> out = absl::UnknownError("not run");
  auto run = [&]() -> asio::awaitable<void> {
    std::string tgt = target;
    std::string b = body;
    out = co_await conn.Send(method, std::move(tgt), std::move(b));
  };
  asio::co_spawn(io, run(), asio::detached);
  io.run();
  return out;
}

}  // namespace shoal::client
