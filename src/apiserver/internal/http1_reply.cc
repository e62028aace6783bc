#include "apiserver/internal/http1_reply.h"

#include <algorithm>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

namespace shoal::apiserver::internal {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

template <class Message>
void SetHeaders(Message& res, const Response& resp, bool keep_alive) {
  res.set(http::field::content_type, resp.content_type);
  res.set(http::field::cache_control, "no-cache, private");
  for (const auto& [k, v] : resp.headers) res.insert(k, v);
  res.keep_alive(keep_alive);
}

}  // namespace

asio::awaitable<bool> Http1Reply::Send(Response& resp) {
  // A small body goes out with its header in one write: one TLS record and one send for
  // the answer to a GET or a write, not two. Copying a cached object of a few KiB costs far
  // less than the second SSL_write, send and completion did (docs/performance.md).
  constexpr size_t kOneWriteBytes = 64 * 1024;
  const size_t body_size = resp.BodySize();
  if (resp.parts.empty() || body_size <= kOneWriteBytes) {
    http::response<http::string_body> res{static_cast<http::status>(resp.code), 11};
    SetHeaders(res, resp, keep_alive_);
    res.body() = resp.parts.empty() ? std::move(resp.body) : resp.Text();
    res.prepare_payload();
    auto [ec, n] = co_await http::async_write(stream_, res, use_tuple);
    co_return !ec;
  }
  // A large body of shared pieces (a LIST of cached objects can be hundreds of MB): the
  // header with its Content-Length, then the pieces gathered into a reused buffer of
  // ~256 KiB per write, so that no copy of the whole body is ever built.
  http::response<http::empty_body> res{static_cast<http::status>(resp.code), 11};
  SetHeaders(res, resp, keep_alive_);
  res.content_length(body_size);
  http::response_serializer<http::empty_body> sr{res};
  auto [hec, hn] = co_await http::async_write_header(stream_, sr, use_tuple);
  if (hec) co_return false;
  constexpr size_t kFlushBytes = 256 * 1024;
  std::string buf;
  buf.reserve(std::min(body_size, kFlushBytes + kOneWriteBytes));
  buf.append(resp.body);
  for (size_t i = 0; i <= resp.parts.size(); ++i) {
    if (i < resp.parts.size()) buf.append(*resp.parts[i]);
    if (buf.size() >= kFlushBytes || (i == resp.parts.size() && !buf.empty())) {
      auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(buf),
                                                base::WriteAllAtOnce{}, use_tuple);
      if (ec) co_return false;
      buf.clear();
    }
  }
  co_return true;
}

asio::awaitable<bool> Http1Reply::Begin(int code, std::string_view content_type) {
  streamed_ = true;
  http::response<http::empty_body> res{static_cast<http::status>(code), 11};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-cache, private");
  res.chunked(true);
  http::response_serializer<http::empty_body> sr{res};
  auto [ec, n] = co_await http::async_write_header(stream_, sr, use_tuple);
  co_return !ec;
}

// A chunk is three buffers (size line, the data, CRLF), written in one pass where the
// socket takes them (TlsStream gathers the size line with the data's first bytes): a batch
// of events costs one completion on a busy watch thread, and its bytes are not copied.
asio::awaitable<bool> Http1Reply::Piece(std::string_view data, Written written) {
  const auto start = std::chrono::steady_clock::now();
  const auto chunk = http::make_chunk(asio::buffer(data.data(), data.size()));
  auto [ec, n] =
      co_await asio::async_write(stream_, chunk, base::WriteAllAtOnce{}, use_tuple);
  if (!ec && written) written(WrittenAt(true, start));
  co_return !ec;
}

asio::awaitable<void> Http1Reply::End() {
  auto last = http::make_chunk_last();
  co_await asio::async_write(stream_, last, use_tuple);
}

std::chrono::steady_clock::time_point Http1Reply::WrittenAt(
    bool ok, std::chrono::steady_clock::time_point since) const {
  // The stream's last write (not the later run of its posted completion, which on a busy
  // thread waits behind other connections' work).
  return ok ? std::max(since, stream_.last_write_end()) : std::chrono::steady_clock::now();
}

}  // namespace shoal::apiserver::internal
