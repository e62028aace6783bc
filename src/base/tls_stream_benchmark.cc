// Every byte the API server and its clients exchange goes through TlsStream, and a server of
// 7,500 nodes holds 15,000 of them: these compare it with Asio's ssl::stream (what
// beast::ssl_stream wraps) on a request/response round trip over loopback and on the heap an
// idle connection keeps (glibc's allocator; the counter is per connection end).
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "base/tls_stream.h"
#include "base/tls_test_credentials.h"
#include "benchmark/benchmark.h"

namespace shoal::base {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using AsioSsl = asio::ssl::stream<tcp::socket>;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// One loopback listener, the credentials, and Asio contexts sharing them.
struct Env {
  Env() {
    acceptor.open(tcp::v4());
    acceptor.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor.listen();
    SSL_CTX_up_ref(creds.server);  // each asio::ssl::context frees the one it is given
    SSL_CTX_up_ref(creds.client);
  }
  TlsTestCredentials creds;
  asio::ssl::context asio_server{creds.server};
  asio::ssl::context asio_client{creds.client};
  asio::io_context io;
  tcp::acceptor acceptor{io};
};

// How each stream type is made and handshaken.
template <class S>
struct Kind;
template <>
struct Kind<TlsStream> {
  static std::unique_ptr<TlsStream> Server(Env& e, tcp::socket s) {
    return std::make_unique<TlsStream>(std::move(s), e.creds.server);
  }
  static std::unique_ptr<TlsStream> Client(Env& e) {
    return std::make_unique<TlsStream>(e.io.get_executor(), e.creds.client);
  }
  static tcp::socket& Socket(TlsStream& s) { return s.socket(); }
  static asio::awaitable<void> Handshake(TlsStream& s, bool server) {
    co_await s.async_handshake(server ? TlsStream::Role::kServer : TlsStream::Role::kClient,
                               use_tuple);
  }
};
template <>
struct Kind<AsioSsl> {
  static std::unique_ptr<AsioSsl> Server(Env& e, tcp::socket s) {
    return std::make_unique<AsioSsl>(std::move(s), e.asio_server);
  }
  static std::unique_ptr<AsioSsl> Client(Env& e) {
    return std::make_unique<AsioSsl>(e.io.get_executor(), e.asio_client);
  }
  static tcp::socket& Socket(AsioSsl& s) { return s.next_layer(); }
  static asio::awaitable<void> Handshake(AsioSsl& s, bool server) {
    co_await s.async_handshake(server ? asio::ssl::stream_base::server
                                      : asio::ssl::stream_base::client,
                               use_tuple);
  }
};

// Runs handlers until `finished()`. The io_context stops whenever it runs out of work (between
// two exchanges), so it is restarted first; running out before `finished()` is a bug here.
template <class Finished>
void RunUntil(Env& e, Finished finished) {
  e.io.restart();
  while (!finished()) {
    if (e.io.run_one() == 0) {
      std::fprintf(stderr, "tls_stream_benchmark: the exchange stalled\n");
      std::abort();
    }
  }
}

template <class S>
struct Pair {
  std::unique_ptr<S> server, client;
};

// Connects and handshakes one pair, running the io_context until both ends are done.
template <class S>
Pair<S> Connect(Env& e) {
  Pair<S> p;
  int done = 0;
  asio::co_spawn(
      e.io,
      [&]() -> asio::awaitable<void> {
        auto [ec, socket] = co_await e.acceptor.async_accept(use_tuple);
        p.server = Kind<S>::Server(e, std::move(socket));
        co_await Kind<S>::Handshake(*p.server, true);
        ++done;
      },
      asio::detached);
  asio::co_spawn(
      e.io,
      [&]() -> asio::awaitable<void> {
        p.client = Kind<S>::Client(e);
        co_await Kind<S>::Socket(*p.client).async_connect(e.acceptor.local_endpoint(), use_tuple);
        co_await Kind<S>::Handshake(*p.client, false);
        ++done;
      },
      asio::detached);
  RunUntil(e, [&] { return done == 2; });
  // As shoal's server and clients do: no Nagle delay on request/response traffic.
  Kind<S>::Socket(*p.server).set_option(tcp::no_delay(true));
  Kind<S>::Socket(*p.client).set_option(tcp::no_delay(true));
  return p;
}

// One request and its response of state.range(0) bytes each, on a kept connection.
template <class S>
void BM_RoundTrip(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Env e;
  Pair<S> p = Connect<S>(e);
  std::string request(n, 'q'), response(n, '\0'), echo(n, '\0');
  bool server_done = false;
  asio::co_spawn(
      e.io,
      [&]() -> asio::awaitable<void> {
        for (;;) {
          auto [rec, rn] = co_await asio::async_read(*p.server, asio::buffer(echo), use_tuple);
          if (rec) break;
          auto [wec, wn] = co_await asio::async_write(*p.server, asio::buffer(echo), use_tuple);
          if (wec) break;
        }
        server_done = true;
      },
      asio::detached);
  for (auto _ : state) {
    bool done = false;
    asio::co_spawn(
        e.io,
        [&]() -> asio::awaitable<void> {
          co_await asio::async_write(*p.client, asio::buffer(request), use_tuple);
          co_await asio::async_read(*p.client, asio::buffer(response), use_tuple);
          done = true;
        },
        asio::detached);
    RunUntil(e, [&] { return done; });
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 2 * n));
  boost::system::error_code ignored;
  Kind<S>::Socket(*p.client).close(ignored);
  RunUntil(e, [&] { return server_done; });
}
BENCHMARK_TEMPLATE(BM_RoundTrip, TlsStream)->Arg(1024)->Arg(64 * 1024);
BENCHMARK_TEMPLATE(BM_RoundTrip, AsioSsl)->Arg(1024)->Arg(64 * 1024);

// A 1 KiB request from the client, echoed by the server, on a connected pair.
template <class S>
void ExchangeOneKiB(Env& e, Pair<S>& p) {
  std::string request(1024, 'q'), got(1024, '\0');
  bool done = false;
  asio::co_spawn(
      e.io,
      [&]() -> asio::awaitable<void> {
        co_await asio::async_write(*p.client, asio::buffer(request), use_tuple);
        co_await asio::async_read(*p.server, asio::buffer(got), use_tuple);
        co_await asio::async_write(*p.server, asio::buffer(got), use_tuple);
        co_await asio::async_read(*p.client, asio::buffer(got), use_tuple);
        done = true;
      },
      asio::detached);
  RunUntil(e, [&] { return done; });
}

// A new connection's cost: connect, handshake, one 1 KiB request and response (the client
// reads whatever the server sent after its handshake with it), close. state.range(0) is the
// number of TLS 1.3 session tickets the server sends per handshake: OpenSSL's default 2, or 0
// with the session cache off, as shoal's API server runs (none of its clients resumes).
void BM_NewConnection(benchmark::State& state) {
  Env e;
  const int tickets = static_cast<int>(state.range(0));
  SSL_CTX_set_num_tickets(e.creds.server, static_cast<size_t>(tickets));
  if (tickets == 0) SSL_CTX_set_session_cache_mode(e.creds.server, SSL_SESS_CACHE_OFF);
  for (auto _ : state) {
    Pair<TlsStream> p = Connect<TlsStream>(e);
    ExchangeOneKiB(e, p);
  }
}
BENCHMARK(BM_NewConnection)->Arg(2)->Arg(0)->Unit(benchmark::kMicrosecond);

size_t HeapInUse() {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

// The heap 64 connections keep once each has carried a 1 KiB request and response and gone
// idle, per connection end (a server holds one end of each of its clients' connections).
template <class S>
void BM_IdleConnectionHeap(benchmark::State& state) {
  constexpr int kPairs = 64;
  Env e;
  double per_end = 0;
  for (auto _ : state) {
    const size_t before = HeapInUse();
    std::vector<Pair<S>> pairs;
    for (int i = 0; i < kPairs; ++i) pairs.push_back(Connect<S>(e));
    for (Pair<S>& p : pairs) ExchangeOneKiB(e, p);
    per_end = static_cast<double>(HeapInUse() - before) / (2 * kPairs);
    pairs.clear();
    e.io.poll();
  }
  state.counters["heap_bytes_per_connection_end"] = per_end;
}
BENCHMARK_TEMPLATE(BM_IdleConnectionHeap, TlsStream)->Iterations(3);
BENCHMARK_TEMPLATE(BM_IdleConnectionHeap, AsioSsl)->Iterations(3);

}  // namespace
}  // namespace shoal::base
