#include "agent/log_server.h"

#include <sys/stat.h>

#include <fstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "absl/strings/numbers.h"
#include "agent/log_file.h"
#include "apiserver/http_server.h"
#include "apiserver/pki.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/tls_stream.h"

namespace shoal::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Stream = base::TlsStream;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kFollowPoll = std::chrono::milliseconds(100);

std::string StatusJson(int code, std::string_view reason, std::string_view message) {
  std::string escaped;
  for (char c : message) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return base::StrCat(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)",
                      R"("message":")", escaped, R"(","reason":")", reason, R"(","code":)", code,
                      "}");
}

// The API server's agent-client certificate, and nothing else, gets in.
bool VerifyPeer(bool preverified, ssl::verify_context& ctx) {
  if (!preverified) return false;
  X509_STORE_CTX* store = ctx.native_handle();
  if (X509_STORE_CTX_get_error_depth(store) != 0) return true;
  X509* cert = X509_STORE_CTX_get_current_cert(store);
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
  return std::string_view(cn) == apiserver::kAgentClientCommonName;
}

}  // namespace

struct LogServer::Impl {
  Impl(asio::any_io_executor ex, LogServerOptions o, LocateLog l)
      : executor(ex),
        options(std::move(o)),
        locate(std::move(l)),
        ctx(ssl::context::tls_server),
        acceptor(ex) {}

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) {
        if (!acceptor.is_open()) co_return;
        continue;
      }
      asio::co_spawn(executor, Session(Stream(std::move(socket), ctx.native_handle())),
                     asio::detached);
    }
  }

  asio::awaitable<bool> WriteAll(Stream& s, std::string_view text) {
    auto [ec, n] = co_await asio::async_write(s, asio::buffer(text.data(), text.size()),
                                              use_tuple);
    co_return !ec;
  }
  asio::awaitable<bool> Chunk(Stream& s, const std::string& data) {
    if (data.empty()) co_return true;
    auto [ec, n] = co_await asio::async_write(s, http::make_chunk(asio::buffer(data)), use_tuple);
    co_return !ec;
  }

  asio::awaitable<void> Session(Stream stream) {
    stream.ExpiresAfter(std::chrono::seconds(30));
    auto [hec] = co_await stream.async_handshake(Stream::Role::kServer, use_tuple);
    if (hec) co_return;
    beast::flat_buffer buffer;
    http::request<http::empty_body> req;
    auto [rec, rn] = co_await http::async_read(stream, buffer, req, use_tuple);
    if (rec) co_return;
    stream.ExpiresNever();
    auto reply = [&](int code, std::string_view reason,
                     std::string_view message) -> asio::awaitable<void> {
      http::response<http::string_body> res{static_cast<http::status>(code), 11};
      res.set(http::field::content_type, "application/json");
      res.body() = StatusJson(code, reason, message);
      res.keep_alive(false);
      res.prepare_payload();
      co_await http::async_write(stream, res, use_tuple);
    };
    auto url = boost::urls::parse_origin_form(req.target());
    std::vector<std::string> parts;
    if (url) {
      for (auto seg : url->segments()) parts.push_back(std::string(seg));
    }
    if (req.method() != http::verb::get || parts.size() != 4 || parts[0] != "containerLogs") {
      co_await reply(404, "NotFound", "not found: only /containerLogs/{ns}/{pod}/{container}");
      co_return;
    }
    LogOptions opts;
    bool follow = false, previous = false;
    for (const auto& p : url->params()) {
      const std::string key(p.key), value(p.value);
      int64_t n = 0;
      if (key == "follow") follow = value == "true" || value == "1";
      if (key == "previous") previous = value == "true" || value == "1";
      if (key == "timestamps") opts.timestamps = value == "true" || value == "1";
      if (key == "tailLines" || key == "limitBytes" || key == "sinceSeconds") {
        if (!absl::SimpleAtoi(value, &n) || n < 0) {
          co_await reply(400, "BadRequest", base::StrCat("invalid ", key, ": ", value));
          co_return;
        }
        (key == "tailLines" ? opts.tail_lines
                            : key == "limitBytes" ? opts.limit_bytes : opts.since_seconds) = n;
      }
    }
    auto source = locate(parts[1], parts[2], parts[3], previous);
    if (!source.ok()) {
      const bool missing = absl::IsNotFound(source.status());
      std::string message(source.status().message());
      co_await reply(missing ? 404 : 400, missing ? "NotFound" : "BadRequest", message);
      co_return;
    }
    int64_t offset = 0;
    auto text = ReadLog(source->path, opts, std::chrono::system_clock::now(), &offset);
    if (!text.ok() && !absl::IsNotFound(text.status())) {
      std::string message(text.status().message());
      co_await reply(500, "InternalError", message);
      co_return;
    }
    if (!co_await WriteAll(stream, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                   "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")) {
      co_return;
    }
    std::string first = text.ok() ? *text : "";
    int64_t sent = static_cast<int64_t>(first.size());
    bool ok = co_await Chunk(stream, first);
    while (ok && follow && (!opts.limit_bytes || sent < *opts.limit_bytes)) {
      const bool was_running = source->running();
      struct stat st {};
      if (stat(source->path.c_str(), &st) == 0) {
        if (st.st_size < offset) offset = 0;  // rotated: the new file starts over
        if (st.st_size > offset) {
          std::ifstream in(source->path, std::ios::binary);
          in.seekg(offset);
          std::string raw(static_cast<size_t>(st.st_size - offset), '\0');
          in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
          raw.resize(static_cast<size_t>(in.gcount()));
          size_t last = raw.rfind('\n');
          if (last != std::string::npos) {
            raw.resize(last + 1);
            offset += static_cast<int64_t>(raw.size());
            std::string out = FormatLogLines(raw, opts.timestamps);
            if (opts.limit_bytes && sent + static_cast<int64_t>(out.size()) > *opts.limit_bytes) {
              out.resize(static_cast<size_t>(*opts.limit_bytes - sent));
            }
            sent += static_cast<int64_t>(out.size());
            ok = co_await Chunk(stream, out);
            continue;
          }
        }
      }
      if (!was_running) break;  // the run ended and everything it wrote was sent
      asio::steady_timer t(executor, kFollowPoll);
      co_await t.async_wait(use_tuple);
    }
    if (ok) co_await WriteAll(stream, "0\r\n\r\n");
    stream.Shutdown();
  }

  asio::any_io_executor executor;
  LogServerOptions options;
  LocateLog locate;
  ssl::context ctx;
  tcp::acceptor acceptor;
};

LogServer::LogServer(asio::any_io_executor executor, LogServerOptions options, LocateLog locate)
    : impl_(std::make_unique<Impl>(executor, std::move(options), std::move(locate))) {}

LogServer::~LogServer() {
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
}

absl::Status LogServer::Listen() {
  boost::system::error_code ec;
  auto& ctx = impl_->ctx;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx.use_certificate_chain_file(impl_->options.cert_path, ec);
  if (!ec) ctx.use_private_key_file(impl_->options.key_path, ssl::context::pem, ec);
  if (!ec) {
    ctx.add_certificate_authority(asio::buffer(impl_->options.client_ca_pem), ec);
  }
  if (ec) {
    return absl::FailedPreconditionError(
        base::StrCat("log server certificates: ", ec.message()));
  }
  ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  ctx.set_verify_callback(VerifyPeer);
  RETURN_IF_ERROR(apiserver::BindAndListen(impl_->acceptor, impl_->options.bind_address, impl_->options.port));
  port_ = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->executor, impl_->Accept(), asio::detached);
  return absl::OkStatus();
}

}  // namespace shoal::agent
