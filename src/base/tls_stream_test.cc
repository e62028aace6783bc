#include "base/tls_stream.h"

#include <future>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "base/tls_test_credentials.h"

namespace shoal::base {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A listening socket on loopback and a client stream connected to it, with the server side's
// stream made from the accepted socket.
class TlsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
  }

  // Runs `server` and `client` (both given a connected stream) to completion.
  template <class ServerFn, class ClientFn>
  void Run(ServerFn server, ClientFn client, const std::string& peer_host = "127.0.0.1") {
    auto ex = io_.get_executor();
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
          EXPECT_FALSE(ec) << ec.message();
          if (ec) co_return;
          TlsStream s(std::move(socket), creds_.server);
          co_await server(s);
        },
        asio::detached);
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          TlsStream c(ex, creds_.client);
          EXPECT_TRUE(c.SetPeerHost(peer_host));
          auto [ec] = co_await c.socket().async_connect(acceptor_.local_endpoint(), use_tuple);
          EXPECT_FALSE(ec) << ec.message();
          if (ec) co_return;
          co_await client(c);
        },
        asio::detached);
    io_.run_for(std::chrono::seconds(20));
    EXPECT_TRUE(io_.stopped()) << "the exchange did not finish";
  }

  TlsTestCredentials creds_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
};

// A stream that counts the write_some calls it passes on to a TlsStream.
struct CountingStream {
  TlsStream& s;
  int calls = 0;
  using executor_type = TlsStream::executor_type;
  executor_type get_executor() { return s.get_executor(); }
  template <class Buffers, class Token>
  auto async_write_some(const Buffers& b, Token&& token) {
    ++calls;
    return s.async_write_some(b, std::forward<Token>(token));
  }
};

TEST_F(TlsStreamTest, ExchangesLargeBodiesBothWays) {
  std::string up(3 << 20, '\0');
  for (size_t i = 0; i < up.size(); ++i) up[i] = static_cast<char>(i * 7 + i / 4096);
  std::string down = up.substr(1000) + "tail";
  std::string got_up(up.size(), '\0');
  std::string got_down(down.size(), '\0');
  Run(
      [&](TlsStream& s) -> asio::awaitable<void> {
        auto [hec] = co_await s.async_handshake(TlsStream::Role::kServer, use_tuple);
        EXPECT_FALSE(hec) << hec.message();
        auto [rec, rn] = co_await asio::async_read(s, asio::buffer(got_up), use_tuple);
        EXPECT_FALSE(rec) << rec.message();
        auto [wec, wn] = co_await asio::async_write(s, asio::buffer(down), use_tuple);
        EXPECT_FALSE(wec) << wec.message();
        s.Shutdown();
      },
      [&](TlsStream& c) -> asio::awaitable<void> {
        auto [hec] = co_await c.async_handshake(TlsStream::Role::kClient, use_tuple);
        EXPECT_FALSE(hec) << hec.message();
        auto [wec, wn] = co_await asio::async_write(c, asio::buffer(up), use_tuple);
        EXPECT_FALSE(wec) << wec.message();
        auto [rec, rn] = co_await asio::async_read(c, asio::buffer(got_down), use_tuple);
        EXPECT_FALSE(rec) << rec.message();
        // The server's close_notify ends the stream cleanly.
        char more;
        auto [eec, en] = co_await c.async_read_some(asio::buffer(&more, 1), use_tuple);
        EXPECT_EQ(eec, asio::error::eof) << eec.message();
        EXPECT_EQ(en, 0u);
      });
  EXPECT_TRUE(got_up == up);
  EXPECT_TRUE(got_down == down);
}

TEST_F(TlsStreamTest, GathersSmallBuffersIntoOneWrite) {
  std::string received;
  Run(
      [&](TlsStream& s) -> asio::awaitable<void> {
        co_await s.async_handshake(TlsStream::Role::kServer, use_tuple);
        std::vector<asio::const_buffer> pieces = {asio::buffer("HTTP/1.1 ", 9),
                                                  asio::buffer("", 0), asio::buffer("200 OK", 6)};
        auto [wec, wn] = co_await s.async_write_some(pieces, use_tuple);
        EXPECT_FALSE(wec);
        EXPECT_EQ(wn, 15u);  // all of it, in one record
        s.Shutdown();
      },
      [&](TlsStream& c) -> asio::awaitable<void> {
        co_await c.async_handshake(TlsStream::Role::kClient, use_tuple);
        char buf[64];
        auto [rec, rn] = co_await c.async_read_some(asio::buffer(buf), use_tuple);
        EXPECT_FALSE(rec);
        received.assign(buf, rn);
      });
  EXPECT_EQ(received, "HTTP/1.1 200 OK");
}

// last_write_end says when a write's bytes went into the socket, not when its (posted)
// completion ran: here the executor is kept busy for 80 ms between the two.
TEST_F(TlsStreamTest, LastWriteEndIsTheWriteNotItsLaterCompletion) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point before, completed, ended;
  Clock::time_point untouched{};
  Run(
      [&](TlsStream& s) -> asio::awaitable<void> {
        co_await s.async_handshake(TlsStream::Role::kServer, use_tuple);
        untouched = s.last_write_end();
        // Queued ahead of the write's completion, which is posted when the write is done.
        asio::post(s.get_executor(),
                   [] { std::this_thread::sleep_for(std::chrono::milliseconds(80)); });
        before = Clock::now();
        auto [wec, wn] = co_await asio::async_write(s, asio::buffer("hello", 5), use_tuple);
        EXPECT_FALSE(wec);
        completed = Clock::now();
        ended = s.last_write_end();
        s.Shutdown();
      },
      [&](TlsStream& c) -> asio::awaitable<void> {
        co_await c.async_handshake(TlsStream::Role::kClient, use_tuple);
        char buf[8];
        co_await asio::async_read(c, asio::buffer(buf, 5), use_tuple);
      });
  EXPECT_EQ(untouched, Clock::time_point{});  // no write yet
  EXPECT_GE(ended, before);
  EXPECT_GE(completed - ended, std::chrono::milliseconds(70));
}

// One write_some of many records writes as many as the socket takes at once (a record per
// call would cost a watch's large batch one posted completion per 16 KiB).
TEST_F(TlsStreamTest, OneWriteSomeSendsManyRecordsWhileTheSocketTakesThem) {
  std::string data(512 << 10, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 13 + i / 1000);
  std::string got(data.size(), '\0');
  size_t first_write = 0;
  Run(
      [&](TlsStream& s) -> asio::awaitable<void> {
        s.socket().set_option(asio::socket_base::send_buffer_size(4 << 20));
        co_await s.async_handshake(TlsStream::Role::kServer, use_tuple);
        auto [wec, wn] = co_await s.async_write_some(asio::buffer(data), use_tuple);
        EXPECT_FALSE(wec) << wec.message();
        first_write = wn;
        auto [rec, rn] = co_await asio::async_write(s, asio::buffer(data.data() + wn,
                                                                    data.size() - wn),
                                                    use_tuple);
        EXPECT_FALSE(rec) << rec.message();
        s.Shutdown();
      },
      [&](TlsStream& c) -> asio::awaitable<void> {
        co_await c.async_handshake(TlsStream::Role::kClient, use_tuple);
        auto [rec, rn] = co_await asio::async_read(c, asio::buffer(got), use_tuple);
        EXPECT_FALSE(rec) << rec.message();
      });
  EXPECT_GT(first_write, size_t{16 << 10}) << "one record only";
  EXPECT_TRUE(got == data);
}

// A watch chunk's three buffers (size line, a large batch, CRLF) go out in one write_some:
// the size line gathered with the batch's first bytes, the rest of the batch where it is.
TEST_F(TlsStreamTest, OneWriteSomeSendsASequenceOfSmallAndLargePieces) {
  std::string batch(256 << 10, '\0');
  for (size_t i = 0; i < batch.size(); ++i) batch[i] = static_cast<char>(i * 11 + i / 777);
  const std::string head = "40000\r\n";
  const std::string tail = "\r\n";
  const std::string want = head + batch + tail;
  std::string got(want.size(), '\0');
  size_t first_write = 0;
  Run(
      [&](TlsStream& s) -> asio::awaitable<void> {
        s.socket().set_option(asio::socket_base::send_buffer_size(4 << 20));
        co_await s.async_handshake(TlsStream::Role::kServer, use_tuple);
        std::vector<asio::const_buffer> pieces = {asio::buffer(head), asio::buffer(batch),
                                                  asio::buffer(tail)};
        auto [wec, wn] = co_await s.async_write_some(pieces, use_tuple);
        EXPECT_FALSE(wec) << wec.message();
        first_write = wn;
        if (wn < want.size()) {
          co_await asio::async_write(s, asio::buffer(want.data() + wn, want.size() - wn),
                                     use_tuple);
        }
        s.Shutdown();
      },
      [&](TlsStream& c) -> asio::awaitable<void> {
        co_await c.async_handshake(TlsStream::Role::kClient, use_tuple);
        auto [rec, rn] = co_await asio::async_read(c, asio::buffer(got), use_tuple);
        EXPECT_FALSE(rec) << rec.message();
      });
  EXPECT_EQ(first_write, want.size()) << "the sequence took more than one pass";
  EXPECT_TRUE(got == want);
}

// asio::async_write asks a stream for at most 64 KiB per write_some unless its completion
// condition says otherwise; with base::WriteAllAtOnce a 1 MiB write is one call.
TEST_F(TlsStreamTest, WriteAllAtOnceLetsOneWriteSomeTakeAWholeMegabyte) {
  std::string data(1 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 5 + i / 301);
  std::string got(2 * data.size(), '\0');
  int at_once_calls = 0, default_calls = 0;
  Run(
      [&](TlsStream& s) -> asio::awaitable<void> {
        s.socket().set_option(asio::socket_base::send_buffer_size(8 << 20));
        co_await s.async_handshake(TlsStream::Role::kServer, use_tuple);
        CountingStream at_once{s};
        auto [aec, an] =
            co_await asio::async_write(at_once, asio::buffer(data), WriteAllAtOnce{}, use_tuple);
        EXPECT_FALSE(aec) << aec.message();
        at_once_calls = at_once.calls;
        CountingStream by_default{s};
        auto [dec, dn] = co_await asio::async_write(by_default, asio::buffer(data), use_tuple);
        EXPECT_FALSE(dec) << dec.message();
        default_calls = by_default.calls;
        s.Shutdown();
      },
      [&](TlsStream& c) -> asio::awaitable<void> {
        co_await c.async_handshake(TlsStream::Role::kClient, use_tuple);
        auto [rec, rn] = co_await asio::async_read(c, asio::buffer(got), use_tuple);
        EXPECT_FALSE(rec) << rec.message();
      });
  EXPECT_LE(at_once_calls, 2) << "the socket took the megabyte in pieces";
  EXPECT_GE(default_calls, 16) << "asio's transfer_all no longer caps a call at 64 KiB";
  EXPECT_TRUE(got == data + data);
}

// With a small send buffer the socket pushes back inside gathered and direct pieces alike;
// every retry resumes at the same bytes, so a long mixed sequence arrives intact.
TEST_F(TlsStreamTest, WritesThatThePeerHoldsBackResumeInsidePiecesInOrder) {
  std::vector<std::string> parts;
  for (int i = 0; i < 200; ++i) {
    const size_t size = i % 4 == 0 ? 3 : i % 4 == 1 ? 20000 + i : i % 4 == 2 ? 16384 : 900;
    std::string p(size, '\0');
    for (size_t j = 0; j < size; ++j) p[j] = static_cast<char>(i * 31 + j * 7 + j / 500);
    parts.push_back(std::move(p));
  }
  std::string want;
  std::vector<asio::const_buffer> pieces;
  for (const std::string& p : parts) {
    want += p;
    pieces.push_back(asio::buffer(p));
  }
  std::string got(want.size(), '\0');
  Run(
      [&](TlsStream& s) -> asio::awaitable<void> {
        s.socket().set_option(asio::socket_base::send_buffer_size(16384));
        s.socket().set_option(tcp::no_delay(true));
        co_await s.async_handshake(TlsStream::Role::kServer, use_tuple);
        CountingStream counting{s};
        auto [wec, wn] =
            co_await asio::async_write(counting, pieces, WriteAllAtOnce{}, use_tuple);
        EXPECT_FALSE(wec) << wec.message();
        EXPECT_EQ(wn, want.size());
        EXPECT_GE(counting.calls, 8) << "the socket seldom held the writer back";
        s.Shutdown();
      },
      [&](TlsStream& c) -> asio::awaitable<void> {
        co_await c.async_handshake(TlsStream::Role::kClient, use_tuple);
        size_t at = 0;
        while (at < got.size()) {  // reads of records, each after the writer yielded
          auto [rec, rn] = co_await c.async_read_some(
              asio::buffer(got.data() + at, got.size() - at), use_tuple);
          if (rec) {
            ADD_FAILURE() << rec.message();
            break;
          }
          at += rn;
        }
      });
  EXPECT_TRUE(got == want);
}

TEST_F(TlsStreamTest, RejectsACertificateForAnotherHost) {
  boost::system::error_code client_ec;
  Run(
      [&](TlsStream& s) -> asio::awaitable<void> {
        co_await s.async_handshake(TlsStream::Role::kServer, use_tuple);
      },
      [&](TlsStream& c) -> asio::awaitable<void> {
        std::tie(client_ec) = co_await c.async_handshake(TlsStream::Role::kClient, use_tuple);
      },
      "10.1.2.3");
  EXPECT_TRUE(client_ec);
  EXPECT_EQ(client_ec.category(), asio::error::get_ssl_category()) << client_ec.message();
}

TEST_F(TlsStreamTest, ADeadlineEndsAPendingReadAndDisarmingItLetsReadsWait) {
  boost::system::error_code timed_out, later;
  size_t later_n = 0;
  Run(
      [&](TlsStream& s) -> asio::awaitable<void> {
        co_await s.async_handshake(TlsStream::Role::kServer, use_tuple);
        char b;
        // The client's one byte arrives only after its read timed out.
        auto [ec, n] = co_await asio::async_read(s, asio::buffer(&b, 1), use_tuple);
        EXPECT_FALSE(ec);
        auto [wec, wn] = co_await asio::async_write(s, asio::buffer("x", 1), use_tuple);
        EXPECT_FALSE(wec);
      },
      [&](TlsStream& c) -> asio::awaitable<void> {
        co_await c.async_handshake(TlsStream::Role::kClient, use_tuple);
        char b;
        c.ExpiresAfter(std::chrono::milliseconds(50));
        std::tie(timed_out, std::ignore) = co_await c.async_read_some(asio::buffer(&b, 1), use_tuple);
        c.ExpiresAfter(std::chrono::milliseconds(1));  // re-armed, then disarmed: never fires
        c.ExpiresNever();
        co_await asio::async_write(c, asio::buffer("y", 1), use_tuple);
        std::tie(later, later_n) = co_await c.async_read_some(asio::buffer(&b, 1), use_tuple);
      });
  EXPECT_EQ(timed_out, asio::error::timed_out) << timed_out.message();
  EXPECT_FALSE(later) << later.message();
  EXPECT_EQ(later_n, 1u);
}

TEST_F(TlsStreamTest, APeerThatDropsTheSocketTruncatesTheStream) {
  boost::system::error_code ec;
  Run(
      [&](TlsStream& s) -> asio::awaitable<void> {
        co_await s.async_handshake(TlsStream::Role::kServer, use_tuple);
        s.socket().close();  // no close_notify
      },
      [&](TlsStream& c) -> asio::awaitable<void> {
        co_await c.async_handshake(TlsStream::Role::kClient, use_tuple);
        char b;
        std::tie(ec, std::ignore) = co_await c.async_read_some(asio::buffer(&b, 1), use_tuple);
      });
  EXPECT_TRUE(ec == asio::ssl::error::stream_truncated || ec == asio::error::connection_reset)
      << ec.message();
}

// The API server's hand-over: a connection shaken hands with on one io_context goes on, TLS
// session and deadline included, on another one's thread.
TEST_F(TlsStreamTest, ARebindMovesTheConnectionToAnotherIoContext) {
  asio::io_context other;
  auto work = asio::make_work_guard(other);
  std::thread other_thread([&] { other.run(); });
  const std::thread::id other_id = other_thread.get_id();
  std::thread::id served_on;
  std::string got(5, '\0');
  std::string echoed(5, '\0');
  boost::system::error_code rebind_ec, timed_out;
  std::promise<void> served;
  Run(
      [&](TlsStream& s) -> asio::awaitable<void> {
        s.ExpiresAfter(std::chrono::seconds(30));
        co_await s.async_handshake(TlsStream::Role::kServer, use_tuple);
        rebind_ec = s.Rebind(asio::make_strand(other));
        auto ex = s.get_executor();
        asio::co_spawn(
            ex,
            [&, moved = std::move(s)]() mutable -> asio::awaitable<void> {
              auto [rec, rn] = co_await asio::async_read(moved, asio::buffer(got), use_tuple);
              EXPECT_FALSE(rec) << rec.message();
              served_on = std::this_thread::get_id();
              auto [wec, wn] = co_await asio::async_write(moved, asio::buffer(got), use_tuple);
              EXPECT_FALSE(wec) << wec.message();
              // The deadline's timer now runs on the new io_context too.
              moved.ExpiresAfter(std::chrono::milliseconds(50));
              char b;
              std::tie(timed_out, std::ignore) =
                  co_await moved.async_read_some(asio::buffer(&b, 1), use_tuple);
              moved.Shutdown();
              served.set_value();
            },
            asio::detached);
      },
      [&](TlsStream& c) -> asio::awaitable<void> {
        co_await c.async_handshake(TlsStream::Role::kClient, use_tuple);
        co_await asio::async_write(c, asio::buffer("hello", 5), use_tuple);
        auto [rec, rn] = co_await asio::async_read(c, asio::buffer(echoed), use_tuple);
        EXPECT_FALSE(rec) << rec.message();
        // Stays connected (and silent) until the server's read has timed out.
        char b;
        co_await c.async_read_some(asio::buffer(&b, 1), use_tuple);
      });
  EXPECT_EQ(served.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  work.reset();
  other_thread.join();
  EXPECT_FALSE(rebind_ec) << rebind_ec.message();
  EXPECT_EQ(got, "hello");
  EXPECT_EQ(echoed, "hello");
  EXPECT_EQ(served_on, other_id);
  EXPECT_EQ(timed_out, asio::error::timed_out) << timed_out.message();
}

TEST_F(TlsStreamTest, IdleConnectionsReleaseTheirRecordBuffers) {
  Run(
      [&](TlsStream& s) -> asio::awaitable<void> {
        EXPECT_TRUE(SSL_get_mode(s.native_handle()) & SSL_MODE_RELEASE_BUFFERS);
        co_await s.async_handshake(TlsStream::Role::kServer, use_tuple);
        s.Shutdown();
      },
      [&](TlsStream& c) -> asio::awaitable<void> {
        EXPECT_TRUE(SSL_get_mode(c.native_handle()) & SSL_MODE_RELEASE_BUFFERS);
        co_await c.async_handshake(TlsStream::Role::kClient, use_tuple);
      });
}

}  // namespace
}  // namespace shoal::base
