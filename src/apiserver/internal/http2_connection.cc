#include "apiserver/internal/http2_connection.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "absl/strings/ascii.h"
#include "apiserver/errors.h"
#include "apiserver/internal/rest.h"
#include "base/http2_io.h"
#include "base/strings.h"

namespace shoal::apiserver::internal {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// A streamed answer (a watch) waits while more than this of it is unsent: the client reads
// slowly or its window is shut. Larger than one full batch of a watch of pods (512 events,
// 1-1.5 MB), so that a watch in a burst hands batch after batch over without waiting.
constexpr size_t kHighWaterBytes = 4 << 20;

int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static const unsigned char kProtocols[] = "\x02h2\x08http/1.1";
  unsigned char* selected = nullptr;
  unsigned char selected_len = 0;
  // The server's order wins: h2 when the client offers it.
  if (SSL_select_next_proto(&selected, &selected_len, kProtocols, sizeof(kProtocols) - 1, in,
                            inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  *outlen = selected_len;
  return SSL_TLSEXT_ERR_OK;
}

// Bytes of an answer queued for nghttp2, and what runs once it took the last of them.
struct QueuedPiece {
  store::Bytes bytes;
  Reply::Written written;
};

// One stream: its request as it arrives, then the answer queued for nghttp2 to frame.
struct H2Stream {
  H2Stream(int32_t id, const asio::any_io_executor& ex) : id(id), progress(ex) {}

  const int32_t id;
  Request req;
  std::string authorization;
  std::string target;  // :path
  size_t body_bytes = 0;
  bool too_large = false;
  bool dispatched = false;
  Clock::time_point received{};

  bool submitted = false;  // the response's HEADERS are submitted
  bool eof = false;        // nothing comes after what is queued
  bool complete = false;   // the last byte (END_STREAM) was taken by nghttp2
  bool deferred = false;   // the data source is waiting for more (NGHTTP2_ERR_DEFERRED)
  bool closed = false;     // the stream is closed (reset, done, or the connection ended)
  std::deque<QueuedPiece> queue;
  size_t front_pos = 0;
  // Bytes in `queue`, and bytes a handler on another executor posted and the connection's
  // strand has not queued yet: written there and by that handler, read by the handler
  // (H2Reply::Piece waits while their sum is past the high-water mark).
  std::atomic<size_t> queued{0};
  std::atomic<size_t> posted{0};
  // Set with `closed` when the stream closed before its answer ended: read by the handler.
  std::atomic<bool> aborted{false};
  // When nghttp2 last took queued bytes (steady clock ticks): read by the stream's handler,
  // which may run on another thread (WrittenAt).
  std::atomic<Clock::rep> last_taken{0};
  // Cancelled whenever nghttp2 takes queued bytes or the stream closes. On the connection's
  // strand, as is everything above but the request, which the handler reads once dispatched.
  asio::steady_timer progress;
  std::function<void()> on_abort;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(base::TlsStream stream, ServeFn serve, Http2Options options)
      : io_(std::move(stream)), serve_(std::move(serve)), options_(options) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  asio::awaitable<void> Run() {
    auto self = shared_from_this();
    if (!Init()) co_return;
    // A connection without streams is closed after the idle timeout.
    co_await io_.ReadLoop([this] {
      if (streams_.empty()) {
        io_.stream().ExpiresAfter(options_.idle_timeout);
      } else {
        io_.stream().ExpiresNever();
      }
    });
    Fail();
  }

  // ---- What the *On calls below use.

  // Submits the response's HEADERS: with END_STREAM when `body_bytes` is 0 and nothing is
  // streamed, else with a data source reading the stream's queue. False when the stream is
  // gone.
  bool StartResponse(H2Stream& st, int code, std::string_view content_type,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     int64_t body_bytes, bool streamed) {
    if (io_.dead() || st.closed || st.submitted) return false;
    st.submitted = true;
    std::vector<std::pair<std::string, std::string>> fields;
    fields.reserve(headers.size() + 4);
    fields.emplace_back(":status", std::to_string(code));
    fields.emplace_back("content-type", std::string(content_type));
    fields.emplace_back("cache-control", "no-cache, private");
    for (const auto& [k, v] : headers) {
      std::string name = k;
      absl::AsciiStrToLower(&name);
      // Connection-specific fields are not allowed in HTTP/2 (RFC 9113 8.2.2).
      if (name == "connection" || name == "keep-alive" || name == "transfer-encoding" ||
          name == "content-length") {
        continue;
      }
      fields.emplace_back(std::move(name), v);
    }
    if (!streamed) fields.emplace_back("content-length", std::to_string(body_bytes));
    std::vector<nghttp2_nv> nva;
    nva.reserve(fields.size());
    for (auto& [k, v] : fields) {
      nva.push_back({reinterpret_cast<uint8_t*>(k.data()), reinterpret_cast<uint8_t*>(v.data()),
                     k.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    }
    nghttp2_data_provider provider;
    provider.source.ptr = &st;
    provider.read_callback = &Connection::ReadData;
    const bool no_body = !streamed && body_bytes == 0;
    if (no_body) st.eof = st.complete = true;
    const int rv = nghttp2_submit_response(io_.session(), st.id, nva.data(), nva.size(),
                                           no_body ? nullptr : &provider);
    if (rv != 0) {
      spdlog::debug("HTTP/2: submitting a response: {}", nghttp2_strerror(rv));
      return false;
    }
    Kick();
    return true;
  }

  void Queue(H2Stream& st, store::Bytes bytes, Reply::Written written = nullptr) {
    if (bytes->empty()) {
      if (written) written(Clock::now());
      return;
    }
    st.queued += bytes->size();
    st.queue.push_back({std::move(bytes), std::move(written)});
  }

  // Lets nghttp2 read the stream's queue again and sends what it frames (Http2Io::Kick).
  void Resume(H2Stream& st) {
    if (st.deferred && !st.closed && !io_.dead()) {
      st.deferred = false;
      nghttp2_session_resume_data(io_.session(), st.id);
    }
    Kick();
  }

  // Waits until at most `limit` bytes are queued (all of them taken, END_STREAM included,
  // for 0 after the end) or the stream closes. True unless the stream closed first.
  asio::awaitable<bool> Drain(H2Stream& st, size_t limit) {
    for (;;) {
      if (st.complete) co_return true;
      if (st.closed || io_.dead()) co_return false;
      if (st.queued <= limit && !(limit == 0 && st.eof)) co_return true;
      st.progress.expires_at(Clock::time_point::max());
      co_await st.progress.async_wait(use_tuple);
    }
  }

 private:
  bool Init() {
    base::Http2Callbacks callbacks;
    callbacks.on_begin_headers = &Connection::OnBeginHeaders;
    callbacks.on_header = &Connection::OnHeader;
    callbacks.on_data_chunk = &Connection::OnData;
    callbacks.on_frame = &Connection::OnFrame;
    callbacks.on_stream_close = &Connection::OnStreamClose;
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
         static_cast<uint32_t>(options_.stream_window_bytes)},
    };
    return io_.StartSession(/*server=*/true, callbacks, this, settings,
                            options_.connection_window_bytes, weak_from_this());
  }

  void Kick() { io_.Kick(); }

  // Ends the connection (if the loops have not already): every stream still open is aborted.
  void Fail() {
    io_.Fail();
    if (streams_aborted_) return;
    streams_aborted_ = true;
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [id, st] : streams) Abort(*st);
  }

  static void Abort(H2Stream& st) {
    st.closed = true;
    if (!st.complete) st.aborted = true;
    st.progress.cancel();
    if (!st.complete && st.on_abort) {
      auto fn = std::move(st.on_abort);
      st.on_abort = nullptr;
      fn();
    }
  }

  void Dispatch(const std::shared_ptr<H2Stream>& st) {
    st->dispatched = true;
    st->received = Clock::now();
    ParseRequestTarget(st->target, &st->req);
    // A stream is handled where the owner says (HttpServer: a watch on the watch threads), or
    // on this connection's strand; what touches the stream's framing runs on this strand (the
    // *On calls).
    asio::any_io_executor ex;
    if (options_.executor_for) ex = options_.executor_for(st->req);
    if (!ex) ex = io_.stream().get_executor();
    asio::co_spawn(ex, Handle(shared_from_this(), st), asio::detached);
  }

  asio::awaitable<void> Handle(std::shared_ptr<Connection> self, std::shared_ptr<H2Stream> st);

 public:
  // ---- On the connection's strand, for H2Reply (called directly by a handler on this strand,
  // through co_spawn by one elsewhere).
  const asio::any_io_executor& executor() { return executor_; }
  asio::awaitable<bool> SendOn(std::shared_ptr<H2Stream> st, Response resp) {
    const size_t size = resp.BodySize();
    if (!StartResponse(*st, resp.code, resp.content_type, resp.headers,
                       static_cast<int64_t>(size), false)) {
      co_return false;
    }
    if (size == 0) co_return true;
    Queue(*st, std::make_shared<const std::string>(std::move(resp.body)));
    for (store::Bytes& part : resp.parts) Queue(*st, std::move(part));
    st->eof = true;
    Resume(*st);
    co_return co_await Drain(*st, 0);
  }
  asio::awaitable<bool> BeginOn(std::shared_ptr<H2Stream> st, int code,
                                std::string content_type) {
    co_return StartResponse(*st, code, content_type, {}, -1, true);
  }
  asio::awaitable<bool> PieceOn(std::shared_ptr<H2Stream> st, store::Bytes data,
                                Reply::Written written) {
    if (st->closed || io_.dead()) co_return false;
    Queue(*st, std::move(data), std::move(written));
    Resume(*st);
    co_return co_await Drain(*st, kHighWaterBytes);
  }
  // A piece posted by a handler on another executor, which goes on without waiting: queued
  // behind the pieces posted before it (dropped if the stream closed meanwhile).
  void HandOn(const std::shared_ptr<H2Stream>& st, store::Bytes data, Reply::Written written) {
    st->posted -= data->size();
    if (st->closed || io_.dead()) return;
    Queue(*st, std::move(data), std::move(written));
    Resume(*st);
  }
  asio::awaitable<bool> DrainOn(std::shared_ptr<H2Stream> st, size_t limit) {
    co_return co_await Drain(*st, limit);
  }
  asio::awaitable<void> EndOn(std::shared_ptr<H2Stream> st) {
    if (st->closed || io_.dead()) co_return;
    st->eof = true;
    Resume(*st);
    co_await Drain(*st, 0);
  }
  // Sets (or, with null, clears) what runs when the stream is reset before its answer ends;
  // runs it now if that already happened.
  void SetOnAbort(const std::shared_ptr<H2Stream>& st, std::function<void()> fn) {
    if (fn && st->closed && !st->complete) {
      fn();
      return;
    }
    st->on_abort = std::move(fn);
  }
  // After the handler: a stream it left unanswered is reset with INTERNAL_ERROR; an answered one
  // whose client may still be sending (413) is reset with NO_ERROR to stop the upload.
  asio::awaitable<void> FinishOn(std::shared_ptr<H2Stream> st, bool stop_upload) {
    st->on_abort = nullptr;
    if (st->closed || io_.dead()) co_return;
    if (!st->submitted) {
      nghttp2_submit_rst_stream(io_.session(), NGHTTP2_FLAG_NONE, st->id,
                                NGHTTP2_INTERNAL_ERROR);
    } else if (stop_upload) {
      // RFC 9113 8.1: a server may answer before the request ends and then reset.
      nghttp2_submit_rst_stream(io_.session(), NGHTTP2_FLAG_NONE, st->id, NGHTTP2_NO_ERROR);
    }
    Kick();
  }

 private:
  static Connection* Of(void* user) { return static_cast<Connection*>(user); }
  static H2Stream* StreamOf(nghttp2_session* s, int32_t id) {
    return static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(s, id));
  }

  static int OnBeginHeaders(nghttp2_session* s, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
      return 0;
    }
    Connection* c = Of(user);
    auto st = std::make_shared<H2Stream>(frame->hd.stream_id, c->io_.stream().get_executor());
    nghttp2_session_set_stream_user_data(s, st->id, st.get());
    c->streams_.emplace(st->id, std::move(st));
    return 0;
  }

  static int OnHeader(nghttp2_session* s, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                      void*) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
      return 0;
    }
    H2Stream* st = StreamOf(s, frame->hd.stream_id);
    if (st == nullptr) return 0;
    const std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":method") {
      st->req.method = std::move(v);
    } else if (n == ":path") {
      st->target = std::move(v);
    } else if (n == "authorization") {
      st->authorization = std::move(v);
    } else if (n == "accept") {
      st->req.accept = std::move(v);
    } else if (n == "content-type") {
      st->req.content_type = std::move(v);
    } else if (n == "user-agent") {
      st->req.user_agent = std::move(v);
    }
    return 0;
  }

  static int OnData(nghttp2_session* s, uint8_t, int32_t id, const uint8_t* data, size_t len,
                    void* user) {
    H2Stream* st = StreamOf(s, id);
    if (st == nullptr || st->too_large) return 0;
    st->body_bytes += len;
    if (st->body_bytes > kMaxBodyBytes) {
      // Answered at once with 413; the rest of the body is read and dropped.
      st->too_large = true;
      std::string().swap(st->req.body);
      Connection* c = Of(user);
      if (auto it = c->streams_.find(id); it != c->streams_.end()) c->Dispatch(it->second);
      return 0;
    }
    st->req.body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int OnFrame(nghttp2_session* s, const nghttp2_frame* frame, void* user) {
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
      return 0;
    }
    Connection* c = Of(user);
    auto it = c->streams_.find(frame->hd.stream_id);
    if (it != c->streams_.end() && !it->second->dispatched) c->Dispatch(it->second);
    return 0;
  }

  static int OnStreamClose(nghttp2_session* s, int32_t id, uint32_t, void* user) {
    Connection* c = Of(user);
    auto it = c->streams_.find(id);
    if (it == c->streams_.end()) return 0;
    std::shared_ptr<H2Stream> st = std::move(it->second);
    c->streams_.erase(it);
    Abort(*st);
    return 0;
  }

  static ssize_t ReadData(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source* source, void*) {
    auto* st = static_cast<H2Stream*>(source->ptr);
    size_t n = 0;
    const auto now = Clock::now();
    while (n < length && !st->queue.empty()) {
      const std::string& front = *st->queue.front().bytes;
      const size_t take = std::min(length - n, front.size() - st->front_pos);
      std::memcpy(buf + n, front.data() + st->front_pos, take);
      n += take;
      st->front_pos += take;
      if (st->front_pos == front.size()) {
        // Framed now, and written by the send that is running this (Http2Io::Kick).
        Reply::Written written = std::move(st->queue.front().written);
        st->queue.pop_front();
        st->front_pos = 0;
        if (written) written(now);
      }
    }
    st->queued -= n;
    if (n > 0) {
      st->last_taken.store(now.time_since_epoch().count(), std::memory_order_relaxed);
      st->progress.cancel();
    }
    if (st->queue.empty() && st->eof) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      st->complete = true;
      st->progress.cancel();
      return static_cast<ssize_t>(n);
    }
    if (n == 0) {
      st->deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    return static_cast<ssize_t>(n);
  }

  base::Http2Io io_;
  const asio::any_io_executor executor_ = io_.stream().get_executor();
  const ServeFn serve_;
  const Http2Options options_;
  std::unordered_map<int32_t, std::shared_ptr<H2Stream>> streams_;
  bool streams_aborted_ = false;
};

// A Reply on one stream, used on the stream handler's executor: each call runs on the
// connection's strand (co_spawn), where the answer's bytes are queued on the stream and framed
// by nghttp2 as the stream's and the connection's windows allow.
class H2Reply : public Reply {
 public:
  H2Reply(std::shared_ptr<Connection> c, std::shared_ptr<H2Stream> st,
          asio::any_io_executor handler)
      : c_(std::move(c)), st_(std::move(st)), handler_(std::move(handler)) {}
  ~H2Reply() override { Detach(); }

  // From now on no abort callback of this reply runs (they refer to the handler's frame).
  void Detach() { *alive_ = false; }

  asio::awaitable<bool> Send(Response& resp) override {
    auto op = c_->SendOn(st_, std::move(resp));
    co_return co_await OnConnection(std::move(op));
  }

  asio::awaitable<bool> Begin(int code, std::string_view content_type) override {
    auto op = c_->BeginOn(st_, code, std::string(content_type));
    co_return co_await OnConnection(std::move(op));
  }

  using Reply::Piece;
  // On the connection's strand the piece is queued at once; from another executor (a watch
  // on the watch threads) it is posted there and the handler goes on, without waiting for a
  // turn in the I/O threads' queue, until more than the high-water mark is unsent.
  asio::awaitable<bool> Piece(std::string_view data, Written written) override {
    auto bytes = std::make_shared<const std::string>(data);
    if (on_connection_) {
      auto op = c_->PieceOn(st_, std::move(bytes), std::move(written));
      co_return co_await std::move(op);
    }
    if (st_->aborted) co_return false;
    st_->posted += bytes->size();
    asio::post(c_->executor(), [c = c_, st = st_, bytes = std::move(bytes),
                                written = std::move(written)]() mutable {
      c->HandOn(st, std::move(bytes), std::move(written));
    });
    if (st_->posted + st_->queued > kHighWaterBytes) {
      auto op = c_->DrainOn(st_, kHighWaterBytes);
      co_return co_await OnConnection(std::move(op));
    }
    co_return !st_->aborted;
  }

  asio::awaitable<void> End() override {
    auto op = c_->EndOn(st_);
    co_await OnConnection(std::move(op));
  }

  // Runs `op` on the connection's strand: directly when the handler runs there already (no
  // post and no completion to come back: most requests), else through co_spawn.
  template <class T>
  asio::awaitable<T> OnConnection(asio::awaitable<T> op) {
    if (on_connection_) co_return co_await std::move(op);
    auto spawned = asio::co_spawn(c_->executor(), std::move(op), asio::use_awaitable);
    co_return co_await std::move(spawned);
  }

  Clock::time_point WrittenAt(bool ok, Clock::time_point since) const override {
    if (!ok) return Clock::now();
    const Clock::time_point taken(
        Clock::duration(st_->last_taken.load(std::memory_order_relaxed)));
    return std::max(since, taken);
  }

  // `fn` runs on the handler's executor, and only while this reply is attached.
  void OnAbort(std::function<void()> fn) override {
    std::function<void()> wrapped;
    if (fn) {
      wrapped = [handler = handler_, alive = alive_, fn = std::move(fn)] {
        asio::post(handler, [alive, fn] {
          if (*alive) fn();
        });
      };
    }
    asio::post(c_->executor(), [c = c_, st = st_, wrapped = std::move(wrapped)]() mutable {
      c->SetOnAbort(st, std::move(wrapped));
    });
  }

 private:
  const std::shared_ptr<Connection> c_;
  const std::shared_ptr<H2Stream> st_;
  const asio::any_io_executor handler_;
  const bool on_connection_ = handler_ == c_->executor();
  // Read and written on the handler's executor only.
  const std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

asio::awaitable<void> Connection::Handle(std::shared_ptr<Connection> self,
                                         std::shared_ptr<H2Stream> st) {
  // The request is complete (or over the limit) and the connection's strand no longer
  // writes it: it may be read here.
  const auto handler = co_await asio::this_coro::executor;
  H2Reply reply(self, st, handler);
  const bool too_large = st->too_large;
  if (too_large) {
    Response r = ErrorResponse(
        TooLarge(base::StrCat("Request entity too large: limit is ", kMaxBodyBytes)));
    co_await reply.Send(r);
  } else {
    Request req = std::move(st->req);
    std::string authorization = std::move(st->authorization);
    co_await serve_(std::move(req), std::move(authorization), reply, st->received);
  }
  reply.Detach();
  auto finish = FinishOn(st, too_large);
  co_await reply.OnConnection(std::move(finish));
}

}  // namespace

void ParseRequestTarget(std::string_view target, Request* req) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) {
    req->path = std::string(target);
    return;
  }
  req->path = std::string(url->path());
  for (const auto& p : url->params()) req->query[std::string(p.key)] = std::string(p.value);
}

void OfferHttp2(SSL_CTX* ctx) { SSL_CTX_set_alpn_select_cb(ctx, &SelectAlpn, nullptr); }

asio::awaitable<void> ServeHttp2(base::TlsStream stream, ServeFn serve, Http2Options options) {
  auto connection =
      std::make_shared<Connection>(std::move(stream), std::move(serve), options);
  co_await connection->Run();
}

}  // namespace shoal::apiserver::internal
