// client::Http2Connection against the API server's HTTP/2 connection (apiserver::internal::
// ServeHttp2) on loopback, with a request handler of the test's own: what the front end's
// handling (HttpServer) leaves out, the way a streamed answer is handed to the connection.

#include "client/http2_connection.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "apiserver/internal/http2_connection.h"
#include "client/https_client.h"
#include "client/loopback_pki_for_test.h"

namespace shoal::client {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr int kPieces = 200;
constexpr size_t kPieceBytes = 8 * 1024;

class Http2ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<LoopbackPkiForTest>> pki =
        LoopbackPkiForTest::Create("http2_connection_test");
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = *std::move(pki);
    server_tls_.use_certificate_chain_file(pki_->pki().server_cert_path);
    server_tls_.use_private_key_file(pki_->pki().server_key_path, asio::ssl::context::pem);
    apiserver::internal::OfferHttp2(server_tls_.native_handle());
    acceptor_.open(asio::ip::tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    asio::co_spawn(connection_io_, Accept(), asio::detached);
    for (auto* io : {&connection_io_, &handler_io_, &client_io_}) {
      threads_.emplace_back([io] { io->run(); });
    }
    absl::StatusOr<std::shared_ptr<asio::ssl::context>> tls =
        MakeClientTlsContext(pki_->pki().ca_cert_pem);
    ASSERT_TRUE(tls.ok()) << tls.status();
    client_tls_ = *std::move(tls);
    client_ = std::make_unique<Http2Connection>(
        client_io_.get_executor(), *client_tls_,
        ServerTarget{"127.0.0.1", std::to_string(acceptor_.local_endpoint().port()), "t"});
  }

  void TearDown() override {
    Unblock();
    if (client_ != nullptr) {
      asio::post(client_io_, asio::use_future([this] { client_->Close(); })).get();
    }
    for (auto* w : {&connection_work_, &handler_work_, &client_work_}) w->reset();
    for (auto* io : {&connection_io_, &handler_io_, &client_io_}) io->stop();
    for (auto& t : threads_) t.join();
    client_.reset();
  }

  // One connection, served by ServeHttp2 with every request handled on handler_io_.
  asio::awaitable<void> Accept() {
    auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
    base::TlsStream stream(std::move(socket), server_tls_.native_handle());
    co_await stream.async_handshake(base::TlsStream::Role::kServer, asio::use_awaitable);
    apiserver::internal::Http2Options options;
    options.executor_for = [this](const apiserver::Request&) -> asio::any_io_executor {
      return handler_io_.get_executor();
    };
    co_await apiserver::internal::ServeHttp2(
        std::move(stream),
        [this](apiserver::Request req, std::string, apiserver::internal::Reply& reply,
               Clock::time_point) { return Stream(reply); },
        options);
  }

  // The handler: a streamed answer of kPieces pieces, handed over while the connection's
  // thread is blocked (the test's Block), each with a `written` callback.
  asio::awaitable<bool> Stream(apiserver::internal::Reply& reply) {
    if (!co_await reply.Begin(200, "application/json")) co_return false;
    Block();
    for (int i = 0; i < kPieces; ++i) {
      std::string piece(kPieceBytes, static_cast<char>('a' + i % 26));
      apiserver::internal::Reply::Written on_written = [this, i](Clock::time_point at) {
        std::lock_guard lock(mu_);
        written_.push_back({i, at});
      };
      auto op = reply.Piece(piece, std::move(on_written));
      if (!co_await std::move(op)) co_return false;
    }
    handed_.set_value(Clock::now());
    co_await reply.End();
    co_return true;
  }

  // Blocks the connection's thread until Unblock.
  void Block() {
    asio::post(connection_io_, [f = unblock_.get_future().share()] { f.wait(); });
  }
  void Unblock() {
    if (!unblocked_) {
      unblocked_ = true;
      unblocked_at_ = Clock::now();
      unblock_.set_value();
    }
  }

  std::unique_ptr<LoopbackPkiForTest> pki_;
  asio::io_context connection_io_;
  asio::io_context handler_io_;
  asio::io_context client_io_;
  using Work = asio::executor_work_guard<asio::io_context::executor_type>;
  Work connection_work_ = asio::make_work_guard(connection_io_);
  Work handler_work_ = asio::make_work_guard(handler_io_);
  Work client_work_ = asio::make_work_guard(client_io_);
  asio::ssl::context server_tls_{asio::ssl::context::tls_server};
  asio::ip::tcp::acceptor acceptor_{connection_io_};
  std::shared_ptr<asio::ssl::context> client_tls_;
  std::unique_ptr<Http2Connection> client_;
  std::vector<std::thread> threads_;

  std::promise<void> unblock_;
  bool unblocked_ = false;
  Clock::time_point unblocked_at_;
  std::promise<Clock::time_point> handed_;
  std::mutex mu_;
  std::vector<std::pair<int, Clock::time_point>> written_;  // piece, when
};

TEST_F(Http2ConnectionTest, AStreamedAnswerIsHandedOverWithoutWaitingForTheConnection) {
  std::future<absl::StatusOr<HttpResult>> result = asio::co_spawn(
      client_io_,
      client_->Send(boost::beast::http::verb::get, "/stream", "", {}, nullptr),
      asio::use_future);
  // Every piece was handed over while the connection's thread was blocked: the handler did not
  // wait for a turn there (at 1.6 MB, under the high-water mark).
  std::future<Clock::time_point> handed = handed_.get_future();
  ASSERT_EQ(handed.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "the handler waited for the blocked connection";
  {
    std::lock_guard lock(mu_);
    EXPECT_TRUE(written_.empty()) << "a piece was written while the connection was blocked";
  }
  Unblock();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  absl::StatusOr<HttpResult> r = result.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  // In order, whole.
  ASSERT_EQ(r->body.size(), kPieces * kPieceBytes);
  for (int i = 0; i < kPieces; ++i) {
    ASSERT_EQ(r->body[i * kPieceBytes], static_cast<char>('a' + i % 26)) << i;
    ASSERT_EQ(r->body[(i + 1) * kPieceBytes - 1], static_cast<char>('a' + i % 26)) << i;
  }
  // Each piece's `written` ran once, in order, after the connection was unblocked.
  std::lock_guard lock(mu_);
  ASSERT_EQ(written_.size(), static_cast<size_t>(kPieces));
  for (int i = 0; i < kPieces; ++i) {
    EXPECT_EQ(written_[i].first, i);
    EXPECT_GE(written_[i].second, unblocked_at_);
  }
}

}  // namespace
}  // namespace shoal::client
