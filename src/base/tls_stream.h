// TlsStream: one TLS connection over a TCP socket, with OpenSSL reading and writing the
// non-blocking socket itself (a socket BIO that sends with MSG_NOSIGNAL) instead of going
// through Asio's ssl::stream. The API
// server, its clients (HttpsConnection: hollow nodes, controllers, the bench) and the node
// agent's log server all use it.
//
// Why not asio::ssl::stream (or beast::ssl_stream over it): it keeps four 17 KiB buffers per
// connection (a BIO pair and two staging vectors), all touched at construction, besides
// OpenSSL's own record buffers: ~100 KiB per connection, busy or idle. A server of 7,500 nodes
// holds 15,000 connections (each node's pod watch and its pooled write connection), so TLS
// buffers were about a gigabyte of its memory. Here an idle connection costs the SSL object
// only: OpenSSL frees its record buffers between records (SSL_MODE_RELEASE_BUFFERS).
//
// It models Asio's AsyncReadStream and AsyncWriteStream (Beast's HTTP functions run on it) and
// carries a deadline like beast::tcp_stream's: when it passes, the pending operation and every
// later one fail with asio::error::timed_out until the deadline is set again.
//
// Threading: operations and the deadline's timer run on the socket's executor (a strand when
// the io_context has several threads); one read and one write may be outstanding at a time.
// The stream must not be destroyed while an operation is outstanding (as for any Asio stream).
// The SSL_CTX must outlive the stream.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

namespace shoal::base {

// A completion condition for asio::async_write that sets no limit per write_some call. Asio's
// default (transfer_all) asks a stream for at most 64 KiB per call, and TlsStream completes
// every call with a posted handler: a 1 MiB watch batch waited sixteen times in a busy
// io_context's queue. TlsStream::async_write_some writes as much as the socket takes in one
// pass, so with this condition such a write usually completes in one.
struct WriteAllAtOnce {
  std::size_t operator()(const boost::system::error_code& ec, std::size_t) const {
    return ec ? 0 : std::numeric_limits<std::size_t>::max();
  }
};

// Moves an open socket to another executor (another io_context's strand): its descriptor is
// released from its reactor and registered with the new one. On failure `ec` is set, and the
// descriptor is closed if it was already released. TlsStream::Rebind does this for its socket;
// the API server hands accepted sockets to its handshake threads with it.
boost::asio::ip::tcp::socket RebindSocket(boost::asio::ip::tcp::socket& socket,
                                          const boost::asio::any_io_executor& executor,
                                          boost::system::error_code& ec);

class TlsStream {
 public:
  using executor_type = boost::asio::any_io_executor;
  enum class Role { kClient, kServer };

  // A stream over an accepted (server) or not yet connected (client) socket. The socket takes
  // part in TLS from the handshake on; connect it before (socket()).
  TlsStream(boost::asio::ip::tcp::socket socket, SSL_CTX* ctx);
  TlsStream(const executor_type& executor, SSL_CTX* ctx);
  TlsStream(TlsStream&&) noexcept = default;
  TlsStream& operator=(TlsStream&&) noexcept = default;
  ~TlsStream();

  executor_type get_executor() { return core_->socket.get_executor(); }
  // When the last successful async_write_some handed its final byte to the socket: earlier
  // than its completion handler runs (that is posted, and waits behind the rest of a busy
  // executor's queue). The epoch before any write. The API server's request and watch
  // delivery metrics end here.
  std::chrono::steady_clock::time_point last_write_end() const { return core_->last_write_end; }
  boost::asio::ip::tcp::socket& socket() { return core_->socket; }
  SSL* native_handle() { return core_->ssl.get(); }

  // Client side: sends `host` as SNI (unless it is an IP literal) and requires the server's
  // certificate to name it (DNS name or IP address). The SSL_CTX decides whether certificates
  // are verified at all. False if OpenSSL refuses the name.
  bool SetPeerHost(const std::string& host);

  // Arms the deadline: the operation pending when it passes, and those after, fail with
  // asio::error::timed_out. ExpiresNever disarms it.
  void ExpiresAfter(std::chrono::steady_clock::duration d);
  void ExpiresNever();

  // The TLS handshake, as client or server. Completion: void(error_code).
  template <class Token>
  auto async_handshake(Role role, Token&& token) {
    core_->Attach(role);
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(
        Op<Handshake, false>{core_.get(), Handshake{}}, token, core_->socket);
  }

  // Reads some decrypted bytes into the first non-empty buffer. Completion:
  // void(error_code, size_t); asio::error::eof when the peer closed the TLS session,
  // ssl::error::stream_truncated when it closed the socket without doing so.
  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    boost::asio::mutable_buffer first;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer b(*it);
      if (b.size() > 0) {
        first = b;
        break;
      }
    }
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        Op<Read, true>{core_.get(), Read{first}}, token, core_->socket);
  }

  // Writes `buffers` as TLS records, as many as the socket takes, in one pass: a whole
  // HTTP response (header pieces, then a large body) or a watch chunk (size line, events,
  // CRLF) costs one completion. Runs of small pieces are gathered into records of up to
  // 16 KiB (the bytes are copied); a piece of 16 KiB or more is written where it is. At most
  // kMaxPieces pieces per call; the caller's async_write loop sends the rest.
  // Completion: void(error_code, size_t).
  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    Write w;
    std::size_t left = boost::asio::buffer_size(buffers);
    auto it = boost::asio::buffer_sequence_begin(buffers);
    const auto end = boost::asio::buffer_sequence_end(buffers);
    std::size_t offset = 0;  // into *it
    while (it != end && w.count < kMaxPieces) {
      boost::asio::const_buffer b = boost::asio::const_buffer(*it) + offset;
      if (b.size() == 0) {
        ++it;
        offset = 0;
        continue;
      }
      if (b.size() >= kGatherBytes || b.size() == left) {  // large, or all that is left
        w.pieces[w.count++] = {static_cast<const char*>(b.data()), 0, b.size()};
        left -= b.size();
        ++it;
        offset = 0;
        continue;
      }
      // Gather from here up to kGatherBytes, into the next large piece if need be.
      const std::size_t start = w.gathered.size();
      while (it != end && w.gathered.size() - start < kGatherBytes) {
        boost::asio::const_buffer c = boost::asio::const_buffer(*it) + offset;
        const std::size_t take = std::min(c.size(), kGatherBytes - (w.gathered.size() - start));
        w.gathered.append(static_cast<const char*>(c.data()), take);
        if (take == c.size()) {
          ++it;
          offset = 0;
        } else {
          offset += take;
        }
      }
      const std::size_t size = w.gathered.size() - start;
      w.pieces[w.count++] = {nullptr, start, size};
      left -= size;
    }
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        Op<Write, true>{core_.get(), std::move(w)}, token, core_->socket);
  }

  // Moves the connection to another executor (another io_context's strand): the socket's
  // descriptor is released from its reactor and registered with the new one; the deadline is
  // disarmed. The SSL object and its BIO stay as they are (they hold the descriptor, not the
  // socket). No operation may be outstanding. The API server does its TLS handshakes on a
  // thread of their own and then hands the connection to its I/O threads this way. Errors:
  // those of releasing or assigning the descriptor (the stream is then closed).
  boost::system::error_code Rebind(const executor_type& executor);

  // Sends close_notify if the socket takes it at once (nothing is awaited: the peer's reply
  // is not needed to close an HTTP connection) and closes the socket.
  void Shutdown();

 private:
  static constexpr std::size_t kGatherBytes = 16 * 1024;
  static constexpr std::size_t kMaxPieces = 16;

  struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
  };

  struct Core {
    Core(boost::asio::ip::tcp::socket s, SSL_CTX* ctx);
    void Attach(Role role);  // binds the socket's descriptor to the SSL object
    void Expire(unsigned generation);

    boost::asio::ip::tcp::socket socket;
    boost::asio::steady_timer timer;
    std::unique_ptr<SSL, SslFree> ssl;
    unsigned generation = 0;  // of the deadline; a stale timer firing is ignored
    bool expired = false;
    bool attached = false;
    bool failed = false;  // a fatal TLS error: no close_notify may follow
    std::chrono::steady_clock::time_point last_write_end{};
  };

  // The SSL calls an operation retries until they complete: each returns SSL's result.
  struct Handshake {
    int operator()(SSL* s, std::size_t* n) const {
      *n = 0;
      return SSL_do_handshake(s);
    }
  };
  struct Read {
    boost::asio::mutable_buffer buf;
    int operator()(SSL* s, std::size_t* n) const {
      *n = 0;
      if (buf.size() == 0) return 1;
      return SSL_read_ex(s, buf.data(), buf.size(), n);
    }
  };
  struct Write {
    struct Piece {
      const char* data;    // the caller's bytes, or nullptr: `gathered` from `offset`
      std::size_t offset;  // into `gathered`
      std::size_t size;
    };
    std::array<Piece, kMaxPieces> pieces{};
    std::size_t count = 0;  // of `pieces` in use
    std::string gathered;  // owns the gathered bytes (retries need them)
    // SSL_write_ex writes one record (at most 16 KiB) per call in partial-write mode; the
    // loop goes on, piece after piece, while the socket takes them, so that a large write (a
    // watch's batch of events, a LIST answer) completes in one pass, not one posted
    // completion per record or per piece: on a busy io_context each completion waits behind
    // every other connection's (a 1 MiB batch had 64 of them). What went out before the
    // socket pushed back, or an error, is reported as written; the next call retries from
    // there with the same bytes at the same offset, as OpenSSL's retry rules ask (the pieces
    // are cut the same way from the same cursor, so the retried record's bytes lead them).
    int operator()(SSL* s, std::size_t* n) const {
      *n = 0;
      std::size_t total = 0;
      for (std::size_t i = 0; i < count; ++i) {
        const Piece& p = pieces[i];
        const char* bytes = p.data != nullptr ? p.data : gathered.data() + p.offset;
        std::size_t done = 0;
        while (done < p.size) {
          std::size_t written = 0;
          const int r = SSL_write_ex(s, bytes + done, p.size - done, &written);
          if (r <= 0) {
            if (total == 0) return r;
            ERR_clear_error();  // the error (or WANT_WRITE) comes back on the next call
            *n = total;
            return 1;
          }
          done += written;
          total += written;
        }
      }
      *n = total;
      return 1;
    }
  };

  // Maps a failed SSL call's error to an error_code; marks fatal errors in `core`.
  static boost::system::error_code ErrorOf(Core* core, int ssl_error);

  // One operation: tries the SSL call; on WANT_READ/WANT_WRITE waits for the socket and
  // tries again. A result known at once is posted, never delivered inside the initiating call.
  template <class Step, bool kWithSize>
  struct Op {
    Core* core;
    Step step;
    bool done = false;
    boost::system::error_code result_ec{};
    std::size_t result_n = 0;

    template <class Self>
    void operator()(Self& self) {  // the start, or the posted result
      if (done) return Complete(self, result_ec, result_n);
      Attempt(self, true);
    }
    template <class Self>
    void operator()(Self& self, boost::system::error_code ec) {  // the socket is ready
      if (core->expired) ec = boost::asio::error::timed_out;
      if (ec) return Complete(self, ec, 0);
      Attempt(self, false);
    }

   private:
    template <class Self>
    void Attempt(Self& self, bool initiating) {
      boost::system::error_code ec;
      std::size_t n = 0;
      if (core->expired) {
        ec = boost::asio::error::timed_out;
      } else if (core->ssl == nullptr) {
        ec = boost::asio::error::no_memory;  // SSL_new failed
      } else {
        ERR_clear_error();
        int r = step(core->ssl.get(), &n);
        if (r <= 0) {
          int err = SSL_get_error(core->ssl.get(), r);
          if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            core->socket.async_wait(err == SSL_ERROR_WANT_READ
                                        ? boost::asio::ip::tcp::socket::wait_read
                                        : boost::asio::ip::tcp::socket::wait_write,
                                    std::move(self));
            return;
          }
          ec = ErrorOf(core, err);
          n = 0;
        }
      }
      if constexpr (std::is_same_v<Step, Write>) {
        if (!ec) core->last_write_end = std::chrono::steady_clock::now();
      }
      if (!initiating) return Complete(self, ec, n);
      done = true;
      result_ec = ec;
      result_n = n;
      boost::asio::post(core->socket.get_executor(), std::move(self));
    }
    template <class Self>
    static void Complete(Self& self, boost::system::error_code ec, std::size_t n) {
      if constexpr (kWithSize) {
        self.complete(ec, n);
      } else {
        self.complete(ec);
      }
    }
  };

  std::shared_ptr<Core> core_;  // shared with the deadline timer's handler (weakly)
};

}  // namespace shoal::base
