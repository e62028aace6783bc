#include "apiserver/http_server.h"

#include <algorithm>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "apiserver/errors.h"
#include "apiserver/internal/http1_reply.h"
#include "apiserver/internal/http2_connection.h"
#include "apiserver/internal/reply.h"
#include "apiserver/request_metrics.h"
#include "apiserver/internal/rest.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/http2_io.h"
#include "base/process.h"
#include "base/tls_stream.h"

namespace shoal::apiserver {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Stream = base::TlsStream;

namespace {

constexpr auto kIdleTimeout = std::chrono::minutes(5);
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string VersionJson() {
  return R"({"major":"1","minor":"32","gitVersion":"v1.32.0-shoal","gitCommit":"","gitTreeState":"clean","buildDate":"2026-11-23T00:00:00Z","goVersion":"","compiler":"gcc","platform":"linux/amd64"})";
}

bool IsPublicPath(const std::string& path) {
  for (const char* p : {"/readyz", "/livez", "/healthz"}) {
    std::string_view sp(p);
    if (path == sp || (path.rfind(sp, 0) == 0 && path[sp.size()] == '/')) return true;
  }
  return path == "/version" || path == "/version/";
}

std::string StatusBody(int code, std::string_view reason, std::string_view message) {
  return base::StrCat(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":")",
                      message, R"(","reason":")", reason, R"(","code":)", code, "}");
}

// An io_context run by threads of its own (none when `count` is 0), for connections moved onto
// it (base::RebindSocket, TlsStream::Rebind): the TLS handshakes and the watches. Stop stops
// it and joins the threads; what it still holds is destroyed with it.
class OwnThreads {
 public:
  // The concurrency hint is the number of threads (Asio tunes itself for 1).
  OwnThreads(int count, std::string name_prefix)
      : count_(count), name_prefix_(std::move(name_prefix)), io_(std::max(1, count)),
        work_(io_.get_executor()) {}
  ~OwnThreads() { Stop(); }

  void Start() {
    for (int i = 0; i < count_; ++i) {
      threads_.emplace_back([this, i] {
        base::NameThisThread(base::StrCat(name_prefix_, i));
        io_.run();
      });
    }
  }
  void Stop() {
    work_.reset();
    io_.stop();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }
  bool enabled() const { return count_ > 0; }
  asio::io_context& io() { return io_; }

 private:
  const int count_;
  const std::string name_prefix_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

// Records each written batch of one watch in shoal_watch_delivery_seconds and
// shoal_watch_write_seconds, and logs a watch that falls a second behind (at most once per
// 10 s). Called where the batch is written: for HTTP/2 on the connection's strand, after
// the watch went on (Reply::Piece), so it lives as long as the last callback.
class WatchDelivery {
 public:
  struct Batch {
    std::chrono::steady_clock::time_point taken;   // from the watcher
    std::chrono::steady_clock::time_point handed;  // to the Reply
    std::vector<std::chrono::steady_clock::time_point> applied;  // of its live events
    size_t events = 0;
    size_t bytes = 0;
  };

  WatchDelivery(RequestMetrics& metrics, std::string resource, std::string scope,
                std::string what)
      : metrics_(metrics),
        resource_(std::move(resource)),
        scope_(std::move(scope)),
        what_(std::move(what)) {}

  void Record(const Batch& b, std::chrono::steady_clock::time_point written) {
    std::vector<double> delivery;
    delivery.reserve(b.applied.size());
    auto oldest = written;  // of the live events: the slowest delivered
    for (const auto applied : b.applied) {
      oldest = std::min(oldest, applied);
      delivery.push_back(std::chrono::duration<double>(written - applied).count());
    }
    const double write = std::chrono::duration<double>(written - b.handed).count();
    metrics_.RecordWatchBatch(resource_, scope_, delivery, write);
    const double slowest = std::chrono::duration<double>(written - oldest).count();
    if (slowest >= 1.0 && written - last_slow_log_ >= std::chrono::seconds(10)) {
      last_slow_log_ = written;
      spdlog::info("watch {} is behind: an event was delivered {:.0f} ms after the cache "
                   "applied it, in a batch of {} events ({} bytes) written {:.0f} ms after "
                   "it was handed over (taken {:.0f} ms after its oldest event)",
                   what_, slowest * 1000, b.events, b.bytes, write * 1000,
                   std::chrono::duration<double>(b.taken - oldest).count() * 1000);
    }
  }

 private:
  RequestMetrics& metrics_;
  const std::string resource_;
  const std::string scope_;
  const std::string what_;
  std::chrono::steady_clock::time_point last_slow_log_{};
};

}  // namespace

struct HttpServer::Impl {
  Impl(asio::io_context& io, ApiServer& api, HttpServerOptions o)
      : io(io), api(api), options(std::move(o)),
        flow(options.flow_control_for_test
                 ? options.flow_control_for_test
                 : std::make_shared<FlowControl>(options.flow_control)),
        ssl_ctx(ssl::context::tls_server), acceptor(io) {}

  ~Impl() {
    handshake.Stop();
    watch.Stop();
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      // The new socket goes to the handshake threads when there are any, and its TLS state
      // is made there (SSL_new zeroes several KiB of fresh memory: a tenth of the I/O
      // threads' time while 1,000 nodes a second connect). The accept itself completes on
      // `io`: a pending accept on handshake.io() would outlive it.
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), use_tuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        spdlog::warn("accept failed: {}", ec.message());
        if (ec == asio::error::no_descriptors) {
          spdlog::error("out of file descriptors: raise the open-files limit");
          asio::steady_timer t(io, std::chrono::milliseconds(100));
          co_await t.async_wait(use_tuple);
        }
        continue;
      }
      socket.set_option(tcp::no_delay(true));
      tcp::socket own = std::move(socket);
      if (handshake.enabled()) {
        boost::system::error_code mec;
        own = base::RebindSocket(own, asio::make_strand(handshake.io()), mec);
        if (mec) {
          spdlog::warn("handing a new connection to the handshake threads failed: {}",
                       mec.message());
          continue;
        }
      }
      auto ex = own.get_executor();
      asio::co_spawn(ex, Handshake(std::move(own)), asio::detached);
    }
  }

  Request ToRequest(const http::request<http::string_body>& msg) {
    Request req;
    req.method = std::string(msg.method_string());
    internal::ParseRequestTarget(msg.target(), &req);
    req.accept = std::string(msg[http::field::accept]);
    req.content_type = std::string(msg[http::field::content_type]);
    req.user_agent = std::string(msg[http::field::user_agent]);
    req.body = msg.body();
    return req;
  }

  Response Health(const Request& req) {
    Response r;
    if (req.path.rfind("/version", 0) == 0) {
      r.body = VersionJson();
      return r;
    }
    r.content_type = "text/plain; charset=utf-8";
    if (req.Has("verbose")) {
      std::string_view name = req.path.substr(1, req.path.find('/', 1) - 1);
      r.body = base::StrCat("[+]ping ok\n[+]log ok\n[+]etcd ok\n", name, " check passed\n");
    } else {
      r.body = "ok";
    }
    return r;
  }

  // Counts an open connection from its accept to its end (shoal_open_connections). It shares
  // the counter: a connection's coroutine may be destroyed after the server, with its
  // io_context.
  class ConnectionCount {
   public:
    explicit ConnectionCount(std::shared_ptr<std::atomic<int>> n) : n_(std::move(n)) { ++*n_; }
    ConnectionCount(ConnectionCount&&) noexcept = default;
    ConnectionCount& operator=(ConnectionCount&&) = delete;
    ~ConnectionCount() {
      if (n_ != nullptr) --*n_;
    }

   private:
    std::shared_ptr<std::atomic<int>> n_;
  };

  // A new connection's TLS handshake (30 s at most). With handshake threads, the connection
  // then moves to the I/O threads: a storm of new connections (7,500 nodes registering) costs
  // a core in handshakes, and on the I/O threads every request on an open connection would
  // queue behind them.
  asio::awaitable<void> Handshake(tcp::socket socket) {
    ConnectionCount count(open_connections);
    Stream stream(std::move(socket), ssl_ctx.native_handle());
    stream.ExpiresAfter(std::chrono::seconds(30));
    auto [hec] = co_await stream.async_handshake(Stream::Role::kServer, use_tuple);
    if (hec) co_return;
    if (!handshake.enabled()) {
      co_await Session(std::move(stream), std::move(count));
      co_return;
    }
    if (auto ec = stream.Rebind(asio::make_strand(io))) {
      spdlog::warn("handing a connection to the I/O threads failed: {}", ec.message());
      co_return;
    }
    auto ex = stream.get_executor();
    asio::co_spawn(ex, Session(std::move(stream), std::move(count)), asio::detached);
  }

  // Serves the requests of one connection, after its handshake: HTTP/2 when ALPN chose it,
  // else HTTP/1.1.
  asio::awaitable<void> Session(Stream stream, ConnectionCount count) {
    if (base::NegotiatedHttp2(stream)) {
      connections_h2.fetch_add(1);
      co_await internal::ServeHttp2(
          std::move(stream),
          [this](Request req, std::string authorization, internal::Reply& reply,
                 std::chrono::steady_clock::time_point received) {
            return Serve(std::move(req), std::move(authorization), reply, received);
          },
          Http2Options());
      co_return;
    }
    connections_h1.fetch_add(1);
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kMaxBodyBytes);
      parser.header_limit(64 * 1024);
      stream.ExpiresAfter(kIdleTimeout);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
      if (ec == http::error::body_limit) {
        Response r = internal::ErrorResponse(
            TooLarge(base::StrCat("Request entity too large: limit is ", kMaxBodyBytes)));
        internal::Http1Reply reply(stream, false);
        co_await reply.Send(r);
        // The client may still be sending the body: read it away for up to 2 s (as Go's
        // net/http waits before closing), since closing a socket with unread data resets the
        // connection, and the client could lose the 413 before reading it.
        stream.ExpiresAfter(std::chrono::seconds(2));
        std::vector<char> sink(16 * 1024);
        for (;;) {
          auto [dec, dn] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
          if (dec) break;
        }
        break;
      }
      if (ec) break;
      stream.ExpiresNever();
      const auto received = std::chrono::steady_clock::now();
      const auto& msg = parser.get();
      const bool keep_alive = msg.keep_alive();
      Request req = ToRequest(msg);
      std::string authorization(msg[http::field::authorization]);
      // A watch owns its connection until it ends, on the watch threads if there are any.
      if (watch.enabled() && ApiServer::IsWatch(req) && !IsPublicPath(req.path) &&
          Authorized(authorization)) {
        if (auto rec = stream.Rebind(asio::make_strand(watch.io()))) {
          spdlog::warn("handing a watch to the watch threads failed: {}", rec.message());
          break;
        }
        auto ex = stream.get_executor();
        asio::co_spawn(ex,
                       WatchConnection(std::move(stream), std::move(req),
                                       std::move(authorization), received, std::move(count)),
                       asio::detached);
        co_return;
      }
      internal::Http1Reply reply(stream, keep_alive);
      const bool ok = co_await Serve(std::move(req), std::move(authorization), reply, received);
      // A streamed answer (a watch, a relayed log) owned the connection.
      if (!ok || !keep_alive || reply.streamed()) break;
    }
    stream.Shutdown();
  }

  // An HTTP/2 watch is served on a strand of the watch threads (if there are any), as an
  // HTTP/1.1 watch is; other requests on their connection's strand, where their answers are
  // framed (a strand of their own cost a hollow node's heartbeats a tenth more CPU: 0.352
  // against 0.308 cores, docs/performance.md).
  internal::Http2Options Http2Options() {
    internal::Http2Options o;
    o.idle_timeout = kIdleTimeout;
    o.executor_for = [this](const Request& req) -> asio::any_io_executor {
      if (watch.enabled() && ApiServer::IsWatch(req)) return asio::make_strand(watch.io());
      return {};
    };
    return o;
  }

  // An HTTP/1.1 watch, with the connection it owns, on the watch threads.
  asio::awaitable<void> WatchConnection(Stream stream, Request req, std::string authorization,
                                        std::chrono::steady_clock::time_point received,
                                        ConnectionCount count) {
    internal::Http1Reply reply(stream, false);
    co_await Serve(std::move(req), std::move(authorization), reply, received);
    stream.Shutdown();
  }

  bool Authorized(std::string_view authorization) const {
    constexpr std::string_view kBearer = "Bearer ";
    return authorization.substr(0, kBearer.size()) == kBearer && options.authenticate &&
           options.authenticate(authorization.substr(kBearer.size()));
  }

  // Answers one request through `reply`, over either protocol. False when the answer could
  // not be written (the client went away).
  asio::awaitable<bool> Serve(Request req, std::string authorization, internal::Reply& reply,
                              std::chrono::steady_clock::time_point received) {
    if (IsPublicPath(req.path)) {
      Response health = Health(req);
      co_return co_await reply.Send(health);
    }
    if (!Authorized(authorization)) {
      Response r;
      r.code = 401;
      r.body = StatusBody(401, "Unauthorized", "Unauthorized");
      co_return co_await reply.Send(r);
    }
    if (req.path == "/metrics" && req.method == "GET") {
      Response r = Metrics();
      co_return co_await reply.Send(r);
    }
    // The path as kube's RequestInfo reads it: for the priority level and the metrics.
    const api::ApiPath path = api::ParseApiPath(req.path);
    if (ApiServer::IsWatch(req)) {
      api.metrics().LongRunningStarted("WATCH", path);
      const bool ok = co_await ServeWatch(reply, req);
      api.metrics().LongRunningEnded("WATCH", path);
      api.metrics().Record("WATCH", path, 200, {}, /*record_duration=*/false);
      co_return ok;
    }
    if (auto target = internal::ResolvePodLog(api, req)) {
      if (!target->ok()) {
        Response r = internal::ErrorResponse(target->status());
        co_return co_await reply.Send(r);
      }
      co_return co_await RelayLog(reply, **target);
    }
    // Its seats refer to it: a frame destroyed with the io_context, after the server, may
    // hold one.
    const std::shared_ptr<FlowControl> flow_control = flow;
    const PriorityLevel level = ClassifyRequest(req, path);
    const std::string verb = MetricsVerb(req, path, false);
    std::optional<FlowControl::Seat> seat = co_await flow_control->Acquire(level);
    Response resp;
    if (seat) {
      resp = co_await api.Handle(std::move(req));
    } else {
      resp = TooManyRequests(level);
    }
    // The seat is held until the answer is written, as kube-apiserver's handlers write it.
    const bool written = co_await reply.Send(resp);
    api.metrics().Record(verb, path, resp.code, reply.WrittenAt(written, received) - received);
    co_return written;
  }

  // GET /metrics: Prometheus' text format, kube-apiserver's metric names.
  Response Metrics() {
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    api.metrics().AppendText(&r.body);
    flow->AppendMetricsText(&r.body);
    base::StrAppend(&r.body,
                    "# HELP shoal_open_connections HTTPS connections open now.\n"
                    "# TYPE shoal_open_connections gauge\n"
                    "shoal_open_connections ",
                    open_connections->load(), "\n",
                    "# HELP shoal_connections_total HTTPS connections accepted since start, by "
                    "the protocol ALPN chose.\n"
                    "# TYPE shoal_connections_total counter\n"
                    "shoal_connections_total{protocol=\"http/1.1\"} ",
                    connections_h1.load(), "\n",
                    "shoal_connections_total{protocol=\"h2\"} ", connections_h2.load(), "\n");
    return r;
  }

  // The answer to a request that found no seat: 429 with Retry-After, as kube-apiserver's
  // flow control answers. A line in the log at most every 10 s says how many there were.
  Response TooManyRequests(PriorityLevel level) {
    const int retry_after = flow->options().retry_after_seconds;
    Response r;
    r.code = 429;
    r.body = base::StrCat(
        R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)",
        R"("message":"Too many requests, please try again later.","reason":"TooManyRequests",)",
        R"("details":{"retryAfterSeconds":)", retry_after, R"(},"code":429})");
    r.headers.emplace_back("Retry-After", std::to_string(retry_after));
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    int64_t last = last_rejection_log.load();
    if (now - last >= 10 && last_rejection_log.compare_exchange_strong(last, now)) {
      LevelStats st = flow->Stats(level);
      spdlog::warn("flow control: {} requests rejected at level {} so far ({} seats, {} in "
                   "flight, {} waiting)",
                   st.rejected, PriorityLevelName(level), st.seats, st.in_flight, st.waiting);
    }
    return r;
  }

  // Streams one watch: events as JSON lines (HTTP/1.1 chunks or HTTP/2 DATA frames),
  // BOOKMARKs when idle (if asked for), until the timeout, a write error or reset (client
  // gone) or the watcher being cut off. False when the client went away.
  asio::awaitable<bool> ServeWatch(internal::Reply& reply, const Request& req) {
    struct Wake {
      explicit Wake(asio::any_io_executor ex) : timer(ex) {}
      asio::steady_timer timer;
      std::atomic<bool> pending{false};
      bool aborted = false;  // on the connection's executor
    };
    auto ex = co_await asio::this_coro::executor;
    auto wake = std::make_shared<Wake>(ex);
    // One wake-up per drain, not per event (as in client::InProcessTransport::Watch): the
    // loop clears `pending` before each drain and checks it before it waits.
    auto session = api.Watch(req, [wake, ex] {
      if (!wake->pending.exchange(true)) asio::post(ex, [wake] { wake->timer.cancel(); });
    });
    if (!session.ok()) {
      Response r;
      r.code = HttpCode(session.status());
      r.body = StatusJson(session.status());
      co_return co_await reply.Send(r);
    }
    WatchSession& ws = *session;
    const ApiServer::WatchStopper stop(api, ws);
    if (!co_await reply.Begin(200, "application/json")) co_return false;
    reply.OnAbort([wake] {
      wake->aborted = true;
      wake->timer.cancel();
    });
    if (!ws.error_event.empty()) {
      std::string line = ws.error_event + "\n";
      if (!co_await reply.Piece(line)) co_return false;
      co_await reply.End();
      co_return true;
    }
    auto timeout = ws.timeout_seconds > 0 ? std::chrono::seconds(ws.timeout_seconds)
                                          : options.default_watch_timeout;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    BookmarkSchedule bookmarks(std::chrono::steady_clock::now(), deadline,
                               options.bookmark_interval);
    size_t sent = 0;
    bool first = true;
    bool initial_end_pending = ws.initial_events_end;
    bool alive = true;
    // When the last write was handed over (the bookmark schedule counts from it).
    auto last_write = std::chrono::steady_clock::now();
    const Filter& filter = ws.watcher->filter();
    auto delivery = std::make_shared<WatchDelivery>(
        api.metrics(), ws.cache->type().plural,
        !filter.labels.Empty() || !filter.fields.Empty() ? "selector"
        : !filter.ns.empty()                            ? "namespace"
                                                        : "cluster",
        base::StrCat(req.path, " (", req.user_agent, ")"));
    while (alive) {
      wake->pending = false;
      std::vector<CacheEvent> events = ws.watcher->Take(512);
      if (!events.empty()) {
        WatchDelivery::Batch b;
        b.taken = std::chrono::steady_clock::now();
        b.events = events.size();
        std::string batch;
        for (const CacheEvent& e : events) {
          batch += api.EncodeWatchEvent(ws, e, first);
          first = false;
          if (e.applied != std::chrono::steady_clock::time_point{}) b.applied.push_back(e.applied);
        }
        sent += events.size();
        b.bytes = batch.size();
        b.handed = std::chrono::steady_clock::now();
        internal::Reply::Written on_written = [delivery, b = std::move(b)](auto written) {
          delivery->Record(b, written);
        };
        auto piece = reply.Piece(batch, std::move(on_written));
        alive = co_await std::move(piece);
        last_write = std::chrono::steady_clock::now();
        continue;
      }
      if (ws.watcher->terminated() || wake->aborted) break;
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      if (initial_end_pending && sent >= ws.watcher->initial_count()) {
        initial_end_pending = false;
        if (auto rv = ws.cache->BookmarkRevision(*ws.watcher)) {
          CacheEvent b;
          b.type = CacheEvent::Type::kBookmark;
          b.rv = *rv;
          std::string line = api.EncodeWatchEvent(ws, b, false);
          alive = co_await reply.Piece(line);
          last_write = std::chrono::steady_clock::now();
          continue;
        }
      }
      auto wake_at = deadline;
      if (ws.bookmarks) wake_at = std::min(wake_at, bookmarks.Next(last_write));
      if (wake->pending) continue;
      wake->timer.expires_at(wake_at);
      auto [tec] = co_await wake->timer.async_wait(use_tuple);
      if (wake->aborted) break;
      if (!tec && ws.bookmarks && bookmarks.Due(std::chrono::steady_clock::now(), last_write)) {
        if (auto rv = ws.cache->BookmarkRevision(*ws.watcher)) {
          CacheEvent b;
          b.type = CacheEvent::Type::kBookmark;
          b.rv = *rv;
          WatchSession plain = ws;
          plain.initial_events_end = false;
          std::string line = api.EncodeWatchEvent(plain, b, false);
          alive = co_await reply.Piece(line);
          last_write = std::chrono::steady_clock::now();
        }
      }
    }
    if (alive && !wake->aborted) co_await reply.End();
    co_return alive && !wake->aborted;
  }

  // Relays GET containerLogs from the agent: its status and errors as they are, a 200 body
  // streamed until the agent ends it or the client goes away. False when the client went
  // away.
  asio::awaitable<bool> RelayLog(internal::Reply& reply, const internal::PodLogTarget& t) {
    auto fail = [&](int code, std::string_view msg) -> asio::awaitable<bool> {
      Response r;
      r.code = code;
      r.body = StatusBody(code, code == 503 ? "ServiceUnavailable" : "InternalError", msg);
      co_return co_await reply.Send(r);
    };
    if (!agent_ctx) {
      co_return co_await fail(
          503, "pods/log is not available: the server has no agent client certificate");
    }
    auto ex = co_await asio::this_coro::executor;
    Stream up(ex, agent_ctx->native_handle());
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(t.host, ec);
    if (ec) {
      co_return co_await fail(503,
                              base::StrCat("node agent address \"", t.host, "\" is not an IP"));
    }
    up.ExpiresAfter(std::chrono::seconds(10));
    auto [cec] = co_await up.socket().async_connect(
        tcp::endpoint(addr, static_cast<uint16_t>(t.port)), use_tuple);
    if (!cec) std::tie(cec) = co_await up.async_handshake(Stream::Role::kClient, use_tuple);
    if (cec) {
      co_return co_await fail(503, base::StrCat("cannot reach the node agent at ", t.host, ":",
                                                t.port, ": ", cec.message()));
    }
    std::string target = t.path;
    char sep = '?';
    for (const auto& [k, v] : t.query) {
      base::StrAppend(&target, std::string_view(&sep, 1), k, "=", v);
      sep = '&';
    }
    http::request<http::empty_body> get{http::verb::get, target, 11};
    get.set(http::field::host, t.host);
    auto [wec, wn] = co_await http::async_write(up, get, use_tuple);
    beast::flat_buffer buf;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    if (!wec) std::tie(wec, wn) = co_await http::async_read_header(up, buf, parser, use_tuple);
    if (wec) co_return co_await fail(503, base::StrCat("node agent: ", wec.message()));
    up.ExpiresNever();
    const std::string content_type(parser.get()[http::field::content_type]);
    if (!co_await reply.Begin(parser.get().result_int(), content_type)) co_return false;
    bool client_gone = false;
    reply.OnAbort([&up, &client_gone] {
      client_gone = true;
      up.Shutdown();  // ends the relay's pending read of a followed log
    });
    char chunk[16384];
    while (!parser.is_done()) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof(chunk);
      // read_some: pass on what arrived now (a followed log), not a full buffer.
      auto [rec, rn] = co_await http::async_read_some(up, buf, parser, use_tuple);
      if (rec == http::error::need_buffer) rec = {};
      size_t got = sizeof(chunk) - parser.get().body().size;
      if (got > 0 && !co_await reply.Piece(std::string_view(chunk, got))) {
        client_gone = true;
        break;
      }
      if (rec || client_gone) break;
    }
    if (!client_gone) co_await reply.End();
    reply.OnAbort(nullptr);
    up.Shutdown();
    co_return !client_gone;
  }

  asio::io_context& io;
  ApiServer& api;
  HttpServerOptions options;
  std::shared_ptr<FlowControl> flow;
  std::atomic<int64_t> last_rejection_log{-10};  // steady seconds of the last such log line
  ssl::context ssl_ctx;
  std::unique_ptr<ssl::context> agent_ctx;  // client side towards node agents
  tcp::acceptor acceptor;
  std::shared_ptr<std::atomic<int>> open_connections = std::make_shared<std::atomic<int>>(0);
  // Connections past their handshake, by protocol (shoal_connections_total).
  std::atomic<int64_t> connections_h1{0};
  std::atomic<int64_t> connections_h2{0};
  // Last, so that they are destroyed first: the watches and handshakes they still hold use
  // the members above.
  OwnThreads watch{options.watch_threads, "api-watch-"};
  OwnThreads handshake{options.handshake_threads, "api-tls-"};
};


absl::Status BindAndListen(tcp::acceptor& acceptor, const std::string& bind_address,
                           uint16_t port) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(bind_address, ec);
  if (ec) return absl::InvalidArgumentError(base::StrCat("invalid bind address \"", bind_address, "\""));
  tcp::endpoint ep(addr, port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        base::StrCat("cannot listen on ", bind_address, ":", port, ": ", ec.message()));
  }
  return absl::OkStatus();
}

HttpServer::HttpServer(asio::io_context& io, ApiServer& api, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(io, api, std::move(options))) {}

HttpServer::~HttpServer() = default;

const FlowControl& HttpServer::flow_control() const { return *impl_->flow; }

int HttpServer::open_connections() const { return impl_->open_connections->load(); }

absl::Status HttpServer::Listen() {
  boost::system::error_code ec;
  impl_->ssl_ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1);
  // No TLS 1.3 session tickets and no session cache: no client of shoal's (kubectl, client-go,
  // the Python client, the agents, hollow nodes) resumes a session, and making the two
  // tickets OpenSSL sends after each handshake costs a fifth of a new connection
  // (tls_stream_benchmark's BM_NewConnection): 7,500 registering nodes open 15,000.
  SSL_CTX_set_num_tickets(impl_->ssl_ctx.native_handle(), 0);
  SSL_CTX_set_session_cache_mode(impl_->ssl_ctx.native_handle(), SSL_SESS_CACHE_OFF);
  if (impl_->options.http2) internal::OfferHttp2(impl_->ssl_ctx.native_handle());
  impl_->ssl_ctx.use_certificate_chain_file(impl_->options.cert_path, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        base::StrCat("loading certificate ", impl_->options.cert_path, ": ", ec.message()));
  }
  impl_->ssl_ctx.use_private_key_file(impl_->options.key_path, ssl::context::pem, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        base::StrCat("loading key ", impl_->options.key_path, ": ", ec.message()));
  }
  RETURN_IF_ERROR(
      BindAndListen(impl_->acceptor, impl_->options.bind_address, impl_->options.port));
  port_ = impl_->acceptor.local_endpoint().port();
  if (!impl_->options.agent_client_cert_path.empty()) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    ctx->use_certificate_chain_file(impl_->options.agent_client_cert_path, ec);
    if (!ec) ctx->use_private_key_file(impl_->options.agent_client_key_path, ssl::context::pem, ec);
    if (ec) {
      return absl::FailedPreconditionError(base::StrCat(
          "loading the agent client certificate ", impl_->options.agent_client_cert_path, ": ",
          ec.message()));
    }
    ctx->set_verify_mode(ssl::verify_none);
    impl_->agent_ctx = std::move(ctx);
  }
  impl_->handshake.Start();
  impl_->watch.Start();
  asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
  return absl::OkStatus();
}

void HttpServer::Stop() {
  asio::post(impl_->io, [impl = impl_.get()] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
  });
}

}  // namespace shoal::apiserver
