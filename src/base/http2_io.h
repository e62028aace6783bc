// Http2Io: the socket side of one HTTP/2 connection, shared by the API server's connections
// (apiserver/internal/http2_connection.h) and its clients' (client/http2_connection.h): a
// TlsStream and the nghttp2 session that frames it, a read loop that hands what arrives to
// nghttp2, and a write loop that sends what nghttp2 has to send, gathered into one write.
//
// Threading: everything runs on the stream's executor (a strand or a single-threaded
// io_context). The owner keeps the Http2Io alive while its loops run (they hold the owner).
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/tls_stream.h"

namespace shoal::base {

// The ALPN protocol list that offers HTTP/2 only, in wire format.
inline constexpr std::string_view kAlpnHttp2Only{"\x02h2", 3};

// True when the finished handshake of `stream` chose "h2".
bool NegotiatedHttp2(TlsStream& stream);

// The nghttp2 callbacks a side uses (null: not set).
struct Http2Callbacks {
  nghttp2_on_begin_headers_callback on_begin_headers = nullptr;
  nghttp2_on_header_callback on_header = nullptr;
  nghttp2_on_data_chunk_recv_callback on_data_chunk = nullptr;
  nghttp2_on_frame_recv_callback on_frame = nullptr;
  nghttp2_on_stream_close_callback on_stream_close = nullptr;
};

class Http2Io {
 public:
  explicit Http2Io(TlsStream stream);
  ~Http2Io();  // deletes the session
  Http2Io(const Http2Io&) = delete;
  Http2Io& operator=(const Http2Io&) = delete;

  TlsStream& stream() { return stream_; }
  // Makes the session that frames this connection, server or client side, with `callbacks`
  // (`user` is their user data), and queues `settings` and the connection's receive window.
  // False when nghttp2 refuses (out of memory).
  bool StartSession(bool server, const Http2Callbacks& callbacks, void* user,
                    std::span<const nghttp2_settings_entry> settings,
                    int32_t connection_window_bytes);
  nghttp2_session* session() const { return session_; }

  // Reads until the connection ends (the peer closes it, an I/O or protocol error, both
  // sides done, or Fail), handing the bytes to nghttp2 and waking the writer after each
  // read; `before_read` runs before each read (to set a deadline). Calls Fail at the end.
  boost::asio::awaitable<void> ReadLoop(std::function<void()> before_read);
  // Sends what nghttp2 has to send, up to 256 KiB per write, and waits for Kick when it has
  // nothing; calls Fail when a write fails or both sides are done.
  boost::asio::awaitable<void> WriteLoop();
  // Wakes the writer (after anything is submitted to the session).
  void Kick() { write_wake_.cancel(); }
  // Ends the connection: closes the socket, which ends both loops. True the first time (the
  // loops call it too when they end: an owner's own clean-up must not depend on being first).
  bool Fail();
  bool dead() const { return dead_; }

 private:
  TlsStream stream_;
  nghttp2_session* session_ = nullptr;
  boost::asio::steady_timer write_wake_;
  bool dead_ = false;
};

}  // namespace shoal::base
