#include "sim/timed_transport.h"

#include <chrono>

#include "api/request_path.h"
#include "base/strings.h"

namespace shoal::sim {

boost::asio::awaitable<absl::StatusOr<client::Response>> TimedTransport::Call(
    client::Request req) {
  const std::string key = base::StrCat(req.method, " ", api::ResourceOfPath(req.path));
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<client::Response> r = co_await inner_.Call(std::move(req));
  latency_[key].Add(std::chrono::steady_clock::now() - t0);
  co_return r;
}

}  // namespace shoal::sim
