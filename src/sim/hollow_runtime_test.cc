#include "sim/hollow_runtime.h"

#include <gtest/gtest.h>

#include <signal.h>

#include <optional>

#include <boost/asio/io_context.hpp>

namespace shoal::sim {
namespace {

TEST(HollowRuntimeTest, EndsAfterTheAnnotatedDuration) {
  boost::asio::io_context io;
  HollowRuntime rt(io.get_executor());
  agent::ProcessSpec spec;
  spec.annotations[std::string(kSimDurationAnnotation)] = "50ms";
  std::optional<agent::ExitInfo> exit;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(rt.Start(spec, [&](agent::ExitInfo e) { exit = e; }).ok());
  EXPECT_EQ(rt.running(), 1u);
  io.run();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 0);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_EQ(rt.running(), 0u);
}

TEST(HollowRuntimeTest, RunsUntilSignalledWithoutADuration) {
  boost::asio::io_context io;
  HollowRuntime rt(io.get_executor());
  agent::ProcessSpec spec;
  spec.annotations[std::string(kSimDurationAnnotation)] = "not a duration";
  std::optional<agent::ExitInfo> exit;
  auto h = rt.Start(spec, [&](agent::ExitInfo e) { exit = e; });
  ASSERT_TRUE(h.ok());
  io.run();  // nothing pending: it keeps "running"
  EXPECT_FALSE(exit.has_value());
  EXPECT_EQ(rt.running(), 1u);
  rt.Signal(*h, SIGTERM);
  EXPECT_FALSE(exit.has_value());  // delivered on the executor, not inline
  io.restart();
  io.run();
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 128 + SIGTERM);
  EXPECT_EQ(exit->signal, SIGTERM);
  rt.Signal(*h, SIGKILL);  // already ended: nothing more
  io.restart();
  io.run();
  EXPECT_EQ(rt.running(), 0u);
}

}  // namespace
}  // namespace shoal::sim
