// Http1Reply: a Reply (reply.h) on an HTTP/1.1 connection (Beast): a whole answer with
// Content-Length, a streamed one (a watch, a relayed log) in chunks, after which the
// connection ends (`streamed()`).
//
// Threading: used by the coroutine that serves the connection, on its executor.
#pragma once

#include <chrono>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "apiserver/internal/reply.h"
#include "apiserver/request.h"
#include "base/tls_stream.h"

namespace shoal::apiserver::internal {

class Http1Reply : public Reply {
 public:
  Http1Reply(base::TlsStream& stream, bool keep_alive)
      : stream_(stream), keep_alive_(keep_alive) {}

  bool streamed() const { return streamed_; }

  boost::asio::awaitable<bool> Send(Response& resp) override;
  boost::asio::awaitable<bool> Begin(int code, std::string_view content_type) override;
  using Reply::Piece;
  boost::asio::awaitable<bool> Piece(std::string_view data, Written written) override;
  boost::asio::awaitable<void> End() override;
  // When the stream's last write went into the socket (`ok`), or now; never before `since`.
  std::chrono::steady_clock::time_point WrittenAt(
      bool ok, std::chrono::steady_clock::time_point since) const override;

 private:
  base::TlsStream& stream_;
  const bool keep_alive_;
  bool streamed_ = false;
};

}  // namespace shoal::apiserver::internal
