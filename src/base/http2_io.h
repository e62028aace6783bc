// Http2Io: the socket side of one HTTP/2 connection, shared by the API server's connections
// (apiserver/internal/http2_connection.h) and its clients' (client/http2_connection.h): a
// TlsStream and the nghttp2 session that frames it, a read loop that hands what arrives to
// nghttp2, and a writer that sends what nghttp2 has to send, gathered into one write.
//
// The writer sends at once, from the call that submitted something (Kick), when no write is
// in flight; a write in flight sends what came meanwhile when it completes. So an answer or a
// watch's batch goes out without waiting for a turn in a busy executor's queue, and a burst
// goes out in a few large writes (docs/architecture.md).
//
// Threading: everything runs on the stream's executor (a strand or a single-threaded
// io_context). The owner keeps the Http2Io alive while its read loop runs (the loop holds the
// owner); a write in flight holds the owner given to StartSession.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

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
  // (`user` is their user data), and queues `settings` and the connection's receive window
  // (sent when the read loop starts). A write in flight keeps `owner` alive. False when
  // nghttp2 refuses (out of memory).
  bool StartSession(bool server, const Http2Callbacks& callbacks, void* user,
                    std::span<const nghttp2_settings_entry> settings,
                    int32_t connection_window_bytes, std::weak_ptr<void> owner);
  nghttp2_session* session() const { return session_; }

  // Sends the session's SETTINGS, then reads until the connection ends (the peer closes it,
  // an I/O or protocol error, both sides done, or Fail), handing the bytes to nghttp2 and
  // sending what that produced (Kick) after each read; `before_read` runs before each read
  // (to set a deadline). Calls Fail at the end.
  boost::asio::awaitable<void> ReadLoop(std::function<void()> before_read);
  // Sends what nghttp2 has to send, in writes of up to 1 MiB: now, unless a write is in
  // flight (its completion sends the rest). Call it after submitting anything to the session.
  // Inside an nghttp2 callback it does nothing: the read loop, or the send that is running
  // the callback, takes what was submitted. Fails the connection when a write fails or both
  // sides are done.
  void Kick();
  // Ends the connection: closes the socket, which ends the read loop and a write in flight.
  // True the first time (the read loop and the writer call it too when they end: an
  // owner's own clean-up must not depend on being first).
  bool Fail();
  bool dead() const { return dead_; }

 private:
  TlsStream stream_;
  nghttp2_session* session_ = nullptr;
  std::weak_ptr<void> owner_;
  std::string out_;         // what the write in flight sends
  bool writing_ = false;    // a write is in flight
  bool in_session_ = false;  // inside nghttp2_session_mem_recv or _mem_send
  bool dead_ = false;
};

}  // namespace shoal::base
