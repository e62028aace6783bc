#include "sim/hollow_runtime.h"

#include <boost/asio/post.hpp>

#include "base/clock.h"

namespace shoal::sim {

absl::StatusOr<agent::ProcessHandle> HollowRuntime::Start(
    const agent::ProcessSpec& spec, std::function<void(agent::ExitInfo)> on_exit) {
  const int64_t id = next_id_++;
  Container c;
  c.on_exit = std::move(on_exit);
  if (auto it = spec.annotations.find(std::string(kSimDurationAnnotation));
      it != spec.annotations.end()) {
    if (auto d = base::ParseDuration(it->second)) {
      c.timer = std::make_unique<boost::asio::steady_timer>(executor_, *d);
      c.timer->async_wait([this, id](boost::system::error_code ec) {
        if (!ec) Finish(id, agent::ExitInfo{});
      });
    }
  }
  running_.emplace(id, std::move(c));
  return agent::ProcessHandle{.pid = id, .start_ticks = 0};
}

void HollowRuntime::Signal(const agent::ProcessHandle& process, int sig) {
  if (sig == 0 || !running_.count(process.pid)) return;
  // Delivered like a signal: after the caller returns, on the executor.
  boost::asio::post(executor_, [this, id = process.pid, sig] {
    Finish(id, agent::ExitInfo{.exit_code = 128 + sig, .signal = sig});
  });
}

void HollowRuntime::Finish(int64_t id, agent::ExitInfo info) {
  auto it = running_.find(id);
  if (it == running_.end()) return;
  std::function<void(agent::ExitInfo)> on_exit = std::move(it->second.on_exit);
  if (it->second.timer) it->second.timer->cancel();
  running_.erase(it);
  on_exit(info);
}

}  // namespace shoal::sim
