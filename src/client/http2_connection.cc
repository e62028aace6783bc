#include "client/http2_connection.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include "base/http2_io.h"
#include "base/strings.h"

namespace shoal::client {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Large windows, so that a big LIST or a burst of watch events streams without waiting for
// WINDOW_UPDATEs: unlike TCP's, which the kernel acknowledges, HTTP/2's window opens only when
// this client's thread has read the data and sends one, so a busy client would otherwise stall
// the server's side of a watch (ml-7500: a bench watch's burst of 1,024 pods' events, several
// MiB, passed Go's 4 MiB stream window). Go's client: 4 MiB per stream, 1 GiB per connection.
constexpr int32_t kStreamWindowBytes = 16 << 20;
constexpr int32_t kConnectionWindowBytes = 64 << 20;

// One request's stream: the body being sent, the answer as it arrives.
struct ClientStream {
  explicit ClientStream(const asio::any_io_executor& ex) : wake(ex) {}

  int32_t id = -1;
  std::string body;
  size_t body_pos = 0;

  int status = 0;
  bool head_done = false;  // a final (non-1xx) response head arrived
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string data;  // arrived, not yet handed to the caller
  bool ended = false;   // END_STREAM arrived
  bool closed = false;  // the stream is closed (ended, reset, or the connection ended)
  uint32_t error = 0;   // the reset's error code
  asio::steady_timer wake;  // cancelled when anything above changes
};

}  // namespace

// One open connection: its streams, and the read loop and the writer (base::Http2Io).
class Http2Connection::Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(base::TlsStream stream) : io_(std::move(stream)) {}

  bool Start() {
    base::Http2Callbacks callbacks;
    callbacks.on_header = &Session::OnHeader;
    callbacks.on_data_chunk = &Session::OnData;
    callbacks.on_frame = &Session::OnFrame;
    callbacks.on_stream_close = &Session::OnStreamClose;
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindowBytes)},
    };
    if (!io_.StartSession(/*server=*/false, callbacks, this, settings, kConnectionWindowBytes,
                          weak_from_this())) {
      return false;
    }
    asio::co_spawn(io_.stream().get_executor(), ReadLoop(shared_from_this()), asio::detached);
    return true;
  }

  bool dead() const { return io_.dead(); }

  // Opens a stream with the request. Null (with `*error` set) when it cannot be submitted.
  std::shared_ptr<ClientStream> Submit(std::string_view method, std::string_view target,
                                       std::string_view authority,
                                       std::string_view authorization,
                                       const RequestHeaders& headers, std::string body,
                                       absl::Status* error) {
    if (dead()) {
      *error = absl::UnavailableError("the HTTP/2 connection ended");
      return nullptr;
    }
    auto st = std::make_shared<ClientStream>(io_.stream().get_executor());
    st->body = std::move(body);
    // (string_view on both sides: a std::string one would make the result a temporary.)
    const auto or_default = [](const std::string& value, std::string_view fallback) {
      return value.empty() ? fallback : std::string_view(value);
    };
    const std::string_view user_agent = or_default(headers.user_agent, "shoal");
    const std::string_view accept = or_default(headers.accept, "application/json");
    const bool has_type = !st->body.empty() || !headers.content_type.empty();
    const std::string_view content_type = or_default(headers.content_type, "application/json");
    const std::string length = std::to_string(st->body.size());
    std::vector<std::pair<std::string_view, std::string_view>> fields = {
        {":method", method},       {":scheme", "https"},          {":authority", authority},
        {":path", target},         {"authorization", authorization}, {"user-agent", user_agent},
        {"accept", accept}};
    if (has_type) fields.emplace_back("content-type", content_type);
    if (!st->body.empty()) fields.emplace_back("content-length", length);
    std::vector<nghttp2_nv> nva;
    nva.reserve(fields.size());
    for (const auto& [k, v] : fields) {
      // nghttp2 copies the fields (NGHTTP2_NV_FLAG_NONE); it does not write through these.
      nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(k.data())),
                     reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), k.size(),
                     v.size(), NGHTTP2_NV_FLAG_NONE});
    }
    nghttp2_data_provider provider;
    provider.source.ptr = st.get();
    provider.read_callback = &Session::ReadBody;
    const int32_t id =
        nghttp2_submit_request(io_.session(), nullptr, nva.data(), nva.size(),
                               st->body.empty() ? nullptr : &provider, st.get());
    if (id < 0) {
      // Out of stream ids (after 2^30 requests), or the session is going away: the next
      // request opens a new connection.
      *error = absl::UnavailableError(
          base::StrCat("HTTP/2 request: ", nghttp2_strerror(id)));
      Fail();
      return nullptr;
    }
    st->id = id;
    streams_.emplace(id, st);
    io_.Kick();
    return st;
  }

  // Ends a stream whose answer is not wanted any more.
  void Cancel(ClientStream& st) {
    if (st.closed || dead()) return;
    nghttp2_submit_rst_stream(io_.session(), NGHTTP2_FLAG_NONE, st.id, NGHTTP2_CANCEL);
    io_.Kick();
  }

  // Ends the connection (if the loops have not already); its streams fail.
  void Fail() {
    io_.Fail();
    if (streams_failed_) return;
    streams_failed_ = true;
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [id, st] : streams) {
      st->closed = true;
      st->wake.cancel();
    }
  }

 private:
  asio::awaitable<void> ReadLoop(std::shared_ptr<Session> self) {
    co_await io_.ReadLoop(nullptr);
    Fail();
  }

  static ClientStream* StreamOf(nghttp2_session* s, int32_t id) {
    return static_cast<ClientStream*>(nghttp2_session_get_stream_user_data(s, id));
  }

  static int OnHeader(nghttp2_session* s, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void*) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_RESPONSE) {
      return 0;  // trailers are not used by Kubernetes API servers
    }
    ClientStream* st = StreamOf(s, frame->hd.stream_id);
    if (st == nullptr) return 0;
    const std::string_view n(reinterpret_cast<const char*>(name), namelen);
    const std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") {
      int code = 0;
      std::from_chars(v.data(), v.data() + v.size(), code);
      st->status = code;
      st->headers.clear();  // of an informational (1xx) head before this one
    } else if (n == "content-type") {
      st->content_type = std::string(v);
    } else if (n != "content-length") {
      st->headers.emplace_back(std::string(n), std::string(v));
    }
    return 0;
  }

  static int OnData(nghttp2_session* s, uint8_t, int32_t id, const uint8_t* data, size_t len,
                    void*) {
    ClientStream* st = StreamOf(s, id);
    if (st == nullptr) return 0;
    st->data.append(reinterpret_cast<const char*>(data), len);
    st->wake.cancel();
    return 0;
  }

  static int OnFrame(nghttp2_session* s, const nghttp2_frame* frame, void*) {
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    ClientStream* st = StreamOf(s, frame->hd.stream_id);
    if (st == nullptr) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_RESPONSE &&
        st->status >= 200) {
      st->head_done = true;
    }
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) st->ended = true;
    st->wake.cancel();
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t id, uint32_t error, void* user) {
    auto* session = static_cast<Session*>(user);
    auto it = session->streams_.find(id);
    if (it == session->streams_.end()) return 0;
    std::shared_ptr<ClientStream> st = std::move(it->second);
    session->streams_.erase(it);
    st->closed = true;
    st->error = error;
    st->wake.cancel();
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source* source, void*) {
    auto* st = static_cast<ClientStream*>(source->ptr);
    const size_t n = std::min(length, st->body.size() - st->body_pos);
    std::memcpy(buf, st->body.data() + st->body_pos, n);
    st->body_pos += n;
    if (st->body_pos == st->body.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      std::string().swap(st->body);
      st->body_pos = 0;
    }
    return static_cast<ssize_t>(n);
  }

  base::Http2Io io_;
  std::unordered_map<int32_t, std::shared_ptr<ClientStream>> streams_;
  bool streams_failed_ = false;
};

Http2Connection::Http2Connection(asio::any_io_executor executor, asio::ssl::context& tls,
                                 ServerTarget target)
    : executor_(std::move(executor)),
      tls_(tls),
      target_(std::move(target)),
      authorization_(base::StrCat("Bearer ", target_.token)),
      authority_(target_.host.find(':') != std::string::npos
                     ? base::StrCat("[", target_.host, "]:", target_.port)
                     : base::StrCat(target_.host, ":", target_.port)),
      opened_wake_(executor_) {}

Http2Connection::~Http2Connection() { Close(); }

void Http2Connection::Close() {
  if (session_ != nullptr) session_->Fail();
  session_.reset();
}

asio::awaitable<absl::StatusOr<std::shared_ptr<Http2Connection::Session>>> Http2Connection::Open(
    bool* reused) {
  for (;;) {
    if (session_ != nullptr && !session_->dead()) {
      *reused = true;
      co_return session_;
    }
    if (!opening_) break;
    opened_wake_.expires_at(Clock::time_point::max());
    co_await opened_wake_.async_wait(use_tuple);
  }
  *reused = false;
  session_.reset();
  opening_ = true;
  absl::StatusOr<std::unique_ptr<base::TlsStream>> stream =
      co_await ConnectTls(executor_, tls_, target_, base::kAlpnHttp2Only);
  absl::Status error;
  std::shared_ptr<Session> session;
  if (!stream.ok()) {
    error = stream.status();
  } else if (!base::NegotiatedHttp2(**stream)) {
    (*stream)->Shutdown();
    error = absl::FailedPreconditionError(base::StrCat(
        "the server at ", authority_, " did not choose HTTP/2 (ALPN h2): it speaks HTTP/1.1"));
  } else {
    session = std::make_shared<Session>(std::move(**stream));
    if (session->Start()) {
      ++opened_;
    } else {
      session->Fail();
      session.reset();
      error = absl::InternalError("starting an HTTP/2 session failed");
    }
  }
  opening_ = false;
  opened_wake_.cancel();
  if (!error.ok()) co_return error;
  session_ = session;
  co_return session;
}

asio::awaitable<absl::StatusOr<HttpResult>> Http2Connection::Send(
    boost::beast::http::verb method, std::string target, std::string body,
    RequestHeaders headers, HttpsConnection::BodySink sink, bool* reused) {
  bool was_open = false;
  absl::StatusOr<std::shared_ptr<Session>> opened = co_await Open(&was_open);
  if (reused != nullptr) *reused = was_open;
  if (!opened.ok()) co_return opened.status();
  std::shared_ptr<Session> session = *std::move(opened);
  absl::Status error;
  const auto start = Clock::now();
  std::shared_ptr<ClientStream> st =
      session->Submit(boost::beast::http::to_string(method), target, authority_,
                      authorization_, headers, std::move(body), &error);
  if (st == nullptr) co_return error;
  HttpResult result;
  bool have_head = false;
  for (;;) {
    if (!have_head && st->head_done) {
      have_head = true;
      result.first_byte = Clock::now() - start;
      result.status = st->status;
      result.content_type = std::move(st->content_type);
      result.headers = std::move(st->headers);
    }
    if (have_head && !st->data.empty()) {
      result.body_bytes += static_cast<int64_t>(st->data.size());
      if (!sink) {
        if (result.body.empty()) {
          result.body = std::move(st->data);
        } else {
          result.body.append(st->data);
        }
        st->data.clear();
      } else {
        const std::string piece = std::move(st->data);
        st->data.clear();
        if (!sink(result.status, piece)) {
          result.stopped = true;
          session->Cancel(*st);
          break;
        }
      }
    }
    if (have_head && st->ended && st->data.empty()) break;
    if (st->closed && !st->ended) {
      co_return absl::UnavailableError(
          st->error != 0
              ? base::StrCat("the server reset the HTTP/2 stream: ",
                             nghttp2_http2_strerror(st->error))
              : std::string("the HTTP/2 connection ended before the answer"));
    }
    st->wake.expires_at(Clock::time_point::max());
    co_await st->wake.async_wait(use_tuple);
  }
  result.total = Clock::now() - start;
  co_return result;
}

}  // namespace shoal::client
