// HollowRuntime: the runtime of a hollow node (`shoal sim`). It runs nothing: a "container"
// starts at once and ends with exit code 0 after the duration in its pod's annotation
// `shoal.io/sim-duration` (a Go duration such as "30s" or "2m"; absent or malformed: it runs
// until it is signalled). A signal ends it at once with 128 + the signal, as a process that
// does not trap it would. So the agent's own code (PodWorker: status, restarts, termination,
// grace periods) runs unchanged on top of it.
//
// Threading: one runtime per executor (thread); Start and Signal are called there, and exit
// callbacks run there. Many agents on that executor share it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/runtime.h"

namespace shoal::sim {

inline constexpr std::string_view kSimDurationAnnotation = "shoal.io/sim-duration";

class HollowRuntime : public agent::Runtime {
 public:
  explicit HollowRuntime(boost::asio::any_io_executor executor) : executor_(executor) {}

  absl::StatusOr<agent::ProcessHandle> Start(const agent::ProcessSpec& spec,
                                             std::function<void(agent::ExitInfo)> on_exit) override;
  void Signal(const agent::ProcessHandle& process, int sig) override;
  bool KillLeftover(const agent::ProcessHandle&) override { return false; }
  bool NeedsPodFiles() const override { return false; }

  // Containers "running" now (for tests and the sim's progress line).
  size_t running() const { return running_.size(); }

 private:
  struct Container {
    std::unique_ptr<boost::asio::steady_timer> timer;  // null: runs until signalled
    std::function<void(agent::ExitInfo)> on_exit;
  };
  void Finish(int64_t id, agent::ExitInfo info);

  boost::asio::any_io_executor executor_;
  int64_t next_id_ = 1;
  std::unordered_map<int64_t, Container> running_;
};

}  // namespace shoal::sim
