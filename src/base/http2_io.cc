#include "base/http2_io.h"

#include <cstring>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

namespace shoal::base {

namespace asio = boost::asio;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Bytes read from the socket at a time; nghttp2 keeps what a frame still needs. Small, since
// a server holds thousands of connections that each keep their buffer.
constexpr size_t kReadBytes = 8 * 1024;
// What the writer gathers from nghttp2 into one socket write at most: a watch's burst of
// events goes out in one write where the socket takes it (TlsStream, WriteAllAtOnce).
constexpr size_t kWriteBytes = 1024 * 1024;
// An idle connection keeps no larger buffer (a LIST's answer passed through it).
constexpr size_t kKeptWriteBytes = 64 * 1024;

}  // namespace

bool NegotiatedHttp2(TlsStream& stream) {
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(stream.native_handle(), &proto, &len);
  return len == 2 && std::memcmp(proto, "h2", 2) == 0;
}

Http2Io::Http2Io(TlsStream stream) : stream_(std::move(stream)) {}

Http2Io::~Http2Io() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

bool Http2Io::StartSession(bool server, const Http2Callbacks& callbacks, void* user,
                           std::span<const nghttp2_settings_entry> settings,
                           int32_t connection_window_bytes, std::weak_ptr<void> owner) {
  owner_ = std::move(owner);
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) return false;
  if (callbacks.on_begin_headers != nullptr) {
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, callbacks.on_begin_headers);
  }
  nghttp2_session_callbacks_set_on_header_callback(cbs, callbacks.on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, callbacks.on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, callbacks.on_frame);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, callbacks.on_stream_close);
  const int rv = server ? nghttp2_session_server_new(&session_, cbs, user)
                        : nghttp2_session_client_new(&session_, cbs, user);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) {
    session_ = nullptr;
    return false;
  }
  return nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(),
                                 settings.size()) == 0 &&
         nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                               connection_window_bytes) == 0;
}

asio::awaitable<void> Http2Io::ReadLoop(std::function<void()> before_read) {
  Kick();  // the SETTINGS
  std::vector<uint8_t> buf(kReadBytes);
  while (!dead_) {
    if (before_read) before_read();
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(buf), use_tuple);
    if (ec || dead_) break;
    in_session_ = true;
    const ssize_t rv = nghttp2_session_mem_recv(session_, buf.data(), n);
    in_session_ = false;
    if (rv < 0) {
      spdlog::debug("HTTP/2: {}", nghttp2_strerror(static_cast<int>(rv)));
      break;
    }
    Kick();
    if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) break;
  }
  Fail();
}

void Http2Io::Kick() {
  if (dead_ || writing_ || in_session_) return;
  std::shared_ptr<void> owner = owner_.lock();
  if (owner == nullptr) return;  // being destroyed
  out_.clear();
  in_session_ = true;
  while (out_.size() < kWriteBytes) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      in_session_ = false;
      spdlog::debug("HTTP/2: {}", nghttp2_strerror(static_cast<int>(n)));
      Fail();
      return;
    }
    if (n == 0) break;
    out_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  in_session_ = false;
  if (out_.empty()) {
    if (out_.capacity() > kKeptWriteBytes) std::string().swap(out_);
    if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) Fail();
    return;
  }
  writing_ = true;
  asio::async_write(stream_, asio::buffer(out_), WriteAllAtOnce{},
                    [this, owner = std::move(owner)](boost::system::error_code ec, size_t) {
                      writing_ = false;
                      if (ec) {
                        Fail();
                        return;
                      }
                      Kick();
                    });
}

bool Http2Io::Fail() {
  if (dead_) return false;
  dead_ = true;
  stream_.Shutdown();
  return true;
}

}  // namespace shoal::base
