#include "client/http_transport.h"

#include <algorithm>
#include <optional>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <spdlog/spdlog.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/status/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "client/status.h"

namespace shoal::client {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using SteadyClock = std::chrono::steady_clock;

namespace {

// The most of a refused watch's body kept for its error message.
constexpr size_t kMaxErrorBody = 64 * 1024;

bool Unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

// RFC 3986 percent-encoding. Everything but the unreserved set is encoded (in the query
// too: a '+' left as it is would read as a space).
void AppendEncoded(std::string* out, std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (Unreserved(u) || (keep_slash && c == '/')) {
      out->push_back(c);
    } else {
      out->push_back('%');
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 0xF]);
    }
  }
}

absl::StatusOr<http::verb> Verb(const std::string& method) {
  http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    return absl::InvalidArgumentError(
        base::StrCat("method: Unsupported value: \"", method, "\": not an HTTP method"));
  }
  return verb;
}

RequestHeaders HeadersOf(const Request& req) {
  RequestHeaders h;
  h.content_type = req.content_type;
  h.accept = req.accept;
  h.user_agent = req.user_agent;
  return h;
}

// The seconds of a Retry-After header (at most 10), or nullopt when there is none or it is
// not a number of seconds (an HTTP date is not followed, as client-go does not).
std::optional<int> RetryAfterSeconds(const std::vector<std::pair<std::string, std::string>>& h) {
  for (const auto& [name, value] : h) {
    if (!absl::EqualsIgnoreCase(name, "Retry-After")) continue;
    int seconds = 0;
    if (!absl::SimpleAtoi(value, &seconds) || seconds < 0) return std::nullopt;
    return std::min(seconds, 10);
  }
  return std::nullopt;
}

}  // namespace

std::string EncodeTarget(std::string_view path, const std::map<std::string, std::string>& query) {
  std::string out;
  out.reserve(path.size() + 1);
  if (path.empty() || path.front() != '/') out.push_back('/');
  AppendEncoded(&out, path, /*keep_slash=*/true);
  char sep = '?';
  for (const auto& [key, value] : query) {
    out.push_back(sep);
    sep = '&';
    AppendEncoded(&out, key, /*keep_slash=*/false);
    out.push_back('=');
    AppendEncoded(&out, value, /*keep_slash=*/false);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<HttpTransport>> HttpTransport::Create(
    asio::any_io_executor executor, const Kubeconfig& kubeconfig, HttpTransportOptions options) {
  ASSIGN_OR_RETURN(ServerTarget target, TargetFromKubeconfig(kubeconfig));
  std::shared_ptr<asio::ssl::context> tls = options.tls;
  if (tls == nullptr) {
    ASSIGN_OR_RETURN(tls, MakeClientTlsContext(kubeconfig.ca_pem));
  }
  return std::unique_ptr<HttpTransport>(
      new HttpTransport(std::move(executor), std::move(target), std::move(tls), options));
}

HttpTransport::HttpTransport(asio::any_io_executor executor, ServerTarget target,
                             std::shared_ptr<asio::ssl::context> tls,
                             HttpTransportOptions options)
    : executor_(std::move(executor)),
      target_(std::move(target)),
      tls_(std::move(tls)),
      options_(options) {}

HttpTransport::~HttpTransport() = default;

size_t HttpTransport::idle_connections_for_test() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

std::unique_ptr<HttpsConnection> HttpTransport::TakeConnection(
    const asio::any_io_executor& executor, bool* reused) {
  std::vector<std::unique_ptr<HttpsConnection>> expired;  // closed after the lock is released
  std::unique_ptr<HttpsConnection> found;
  {
    std::lock_guard lock(mu_);
    const auto oldest = SteadyClock::now() - options_.idle_timeout;
    for (size_t i = idle_.size(); i-- > 0;) {
      if (idle_[i].since < oldest) {
        expired.push_back(std::move(idle_[i].conn));
        idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
      } else if (found == nullptr && idle_[i].conn->executor() == executor) {
        found = std::move(idle_[i].conn);
        idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }
  *reused = found != nullptr;
  if (found == nullptr) {
    ++call_connections_opened_;
    found = std::make_unique<HttpsConnection>(executor, *tls_, target_,
                                              options_.call_buffer_bytes);
  }
  return found;
}

void HttpTransport::ReturnConnection(std::unique_ptr<HttpsConnection> conn) {
  if (!conn->connected()) return;
  std::lock_guard lock(mu_);
  if (idle_.size() >= options_.max_idle_connections) return;  // `conn` closes after unlocking
  idle_.push_back({std::move(conn), SteadyClock::now()});
}

int64_t HttpTransport::http2_connections_opened() const {
  std::lock_guard lock(mu_);
  return h2_ != nullptr ? h2_->connections_opened() : 0;
}

bool HttpTransport::RefusedHttp2(const absl::StatusOr<HttpResult>& r) {
  if (r.ok() || !absl::IsFailedPrecondition(r.status())) return false;
  if (!h2_refused_.exchange(true)) {
    spdlog::info("{}; speaking HTTP/1.1 to it", std::string(r.status().message()));
  }
  return true;
}

Http2Connection* HttpTransport::Http2For(const asio::any_io_executor& executor) {
  if (!options_.http2 || h2_refused_.load()) return nullptr;
  std::lock_guard lock(mu_);
  if (h2_ == nullptr) h2_ = std::make_unique<Http2Connection>(executor, *tls_, target_);
  return h2_->executor() == executor ? h2_.get() : nullptr;
}

asio::awaitable<absl::StatusOr<HttpResult>> HttpTransport::SendOnce(
    const asio::any_io_executor& executor, http::verb verb, std::string target, std::string body,
    RequestHeaders headers, bool* reused) {
  if (Http2Connection* h2 = Http2For(executor)) {
    // Until the server is known to speak HTTP/2, keep what HTTP/1.1 would need.
    const bool unknown = h2->connections_opened() == 0;
    std::string spare_target = unknown ? target : std::string();
    std::string spare_body = unknown ? body : std::string();
    HttpsConnection::BodySink whole;
    RequestHeaders h = headers;
    absl::StatusOr<HttpResult> r =
        co_await h2->Send(verb, std::move(target), std::move(body), std::move(h),
                          std::move(whole), reused);
    if (!RefusedHttp2(r)) co_return r;
    target = std::move(spare_target);
    body = std::move(spare_body);
  }
  std::unique_ptr<HttpsConnection> conn = TakeConnection(executor, reused);
  absl::StatusOr<HttpResult> r =
      co_await conn->Send(verb, std::move(target), std::move(body), std::move(headers));
  if (r.ok()) ReturnConnection(std::move(conn));
  co_return r;
}

asio::awaitable<absl::StatusOr<Response>> HttpTransport::Call(Request req) {
  absl::StatusOr<http::verb> verb = Verb(req.method);
  if (!verb.ok()) co_return verb.status();
  const std::string target = EncodeTarget(req.path, req.query);
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  const bool retriable = *verb == http::verb::get;
  // The body is kept for a resend after a 429 only while one may still come.
  int throttle_retries_left = options_.max_throttle_retries;
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    std::string t = target;
    std::string body =
        retriable || throttle_retries_left > 0 ? req.body : std::move(req.body);
    RequestHeaders headers = HeadersOf(req);
    absl::StatusOr<HttpResult> r = co_await SendOnce(executor, *verb, std::move(t),
                                                     std::move(body), std::move(headers),
                                                     &reused);
    if (!r.ok()) {
      // A kept-alive connection the server closed while it sat idle fails on first use.
      if (retriable && reused && attempt == 0) continue;
      co_return r.status();
    }
    if (r->status == 429) {
      ++throttled_;
      std::optional<int> wait = RetryAfterSeconds(r->headers);
      if (wait && throttle_retries_left > 0) {
        --throttle_retries_left;
        --attempt;  // a throttled try does not use up the stale-connection retry
        asio::steady_timer timer(executor, std::chrono::seconds(*wait));
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
    }
    Response resp;
    resp.code = r->status;
    if (!r->content_type.empty()) resp.content_type = std::move(r->content_type);
    resp.headers = std::move(r->headers);
    resp.body = std::move(r->body);
    co_return std::move(resp);
  }
}

asio::awaitable<absl::Status> HttpTransport::Watch(
    Request req, std::function<bool(std::string_view event)> on_event) {
  absl::StatusOr<http::verb> verb = Verb(req.method);
  if (!verb.ok()) co_return verb.status();
  const asio::any_io_executor executor = co_await asio::this_coro::executor;

  // The server sends one JSON object per line; a line may be split across body pieces and a
  // piece may hold several lines. Complete lines in a piece are passed on without a copy;
  // only a line split across pieces is assembled in `partial`.
  std::string partial;
  std::string error_body;  // the body of a refused watch (a metav1.Status)
  bool stopped = false;
  auto deliver = [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return true;
    if (!on_event(line)) stopped = true;
    return !stopped;
  };
  HttpsConnection::BodySink sink = [&](int status, std::string_view piece) {
    if (status != 200) {
      const size_t room = kMaxErrorBody - std::min(kMaxErrorBody, error_body.size());
      error_body.append(piece.substr(0, room));
      return error_body.size() < kMaxErrorBody;
    }
    if (!partial.empty()) {
      const size_t nl = piece.find('\n');
      if (nl == std::string_view::npos) {
        partial.append(piece);
        return true;
      }
      partial.append(piece.substr(0, nl));
      piece.remove_prefix(nl + 1);
      const bool more = deliver(partial);
      partial.clear();
      if (!more) return false;
    }
    for (size_t nl = piece.find('\n'); nl != std::string_view::npos; nl = piece.find('\n')) {
      if (!deliver(piece.substr(0, nl))) return false;
      piece.remove_prefix(nl + 1);
    }
    partial.append(piece);
    return true;
  };
  const std::string target = EncodeTarget(req.path, req.query);
  absl::StatusOr<HttpResult> r = absl::UnknownError("not sent");
  bool over_http11 = true;
  if (Http2Connection* h2 = Http2For(executor)) {
    // A stream of the node's one connection, as a kubelet's watches.
    std::string t = target;
    std::string body = req.body;
    RequestHeaders headers = HeadersOf(req);
    HttpsConnection::BodySink h2_sink = sink;
    r = co_await h2->Send(*verb, std::move(t), std::move(body), std::move(headers),
                          std::move(h2_sink));
    over_http11 = RefusedHttp2(r);
  }
  if (over_http11) {
    HttpsConnection conn(executor, *tls_, target_, options_.watch_buffer_bytes);
    ++watch_connections_opened_;
    std::string t = target;
    std::string body = std::move(req.body);
    RequestHeaders headers = HeadersOf(req);
    r = co_await conn.SendStreaming(*verb, std::move(t), std::move(body), std::move(sink),
                                    std::move(headers));
    conn.Close();  // never reused: the watch owned it
  }
  if (!r.ok()) co_return r.status();
  if (r->status != 200) {
    Response refused;
    refused.code = r->status;
    refused.body = std::move(error_body);
    co_return StatusFromResponse(refused);
  }
  if (!stopped && !partial.empty()) deliver(partial);  // a last event without its newline
  co_return absl::OkStatus();
}

}  // namespace shoal::client
