// SharedPodWatch's dispatch: events go to the node a pod is bound to, kSynced to every node, a
// re-list's name-only deletion to the node remembered for the pod, and pods of other nodes
// nowhere. The informer itself (client/informer.h) has its own tests.
#include "sim/shared_pod_watch.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "api/object.h"
#include "client/transport.h"

namespace shoal::sim {
namespace {

using client::InformerEvent;
using Type = InformerEvent::Type;

InformerEvent Event(Type type, const std::string& name, const std::string& node) {
  boost::json::object pod{{"metadata", {{"namespace", "default"}, {"name", name}}}};
  if (!node.empty()) pod["spec"] = boost::json::object{{"nodeName", node}};
  return InformerEvent{type, std::move(pod)};
}

struct Delivered {
  size_t node;
  Type type;
  std::string pod;
};

class SharedPodWatchTest : public ::testing::Test {
 protected:
  SharedPodWatchTest()
      : watch_(unused_, {"h-0", "h-1", "h-2"}, [this](size_t node, InformerEvent&& e) {
          got_.push_back({node, e.type, std::string(api::StringAt(e.object(), "metadata.name"))});
        }) {}

  // Never called: Dispatch is driven by the test, not by an informer.
  class Unused : public client::Transport {
    boost::asio::awaitable<absl::StatusOr<client::Response>> Call(client::Request) override {
      ADD_FAILURE() << "no call expected";
      co_return client::Response{};
    }
    boost::asio::awaitable<absl::Status> Watch(
        client::Request, std::function<bool(std::string_view)>) override {
      ADD_FAILURE() << "no watch expected";
      co_return absl::OkStatus();
    }
  } unused_;
  std::vector<Delivered> got_;
  SharedPodWatch watch_;
};

TEST_F(SharedPodWatchTest, EachEventGoesToTheNodeThePodIsBoundTo) {
  watch_.Dispatch(Event(Type::kAdded, "a", "h-1"));
  watch_.Dispatch(Event(Type::kModified, "a", "h-1"));
  watch_.Dispatch(Event(Type::kAdded, "b", "h-2"));
  ASSERT_EQ(got_.size(), 3u);
  EXPECT_EQ(got_[0].node, 1u);
  EXPECT_EQ(got_[0].type, Type::kAdded);
  EXPECT_EQ(got_[1].node, 1u);
  EXPECT_EQ(got_[1].type, Type::kModified);
  EXPECT_EQ(got_[2].node, 2u);
  EXPECT_EQ(got_[2].pod, "b");
}

TEST_F(SharedPodWatchTest, SyncedGoesToEveryNode) {
  watch_.Dispatch(InformerEvent(Type::kSynced));
  ASSERT_EQ(got_.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got_[i].node, i);
    EXPECT_EQ(got_[i].type, Type::kSynced);
  }
}

TEST_F(SharedPodWatchTest, ANameOnlyDeletionGoesToTheNodeRememberedForThePod) {
  watch_.Dispatch(Event(Type::kAdded, "a", "h-2"));
  watch_.Dispatch(Event(Type::kDeleted, "a", ""));  // found by a re-list: the name only
  ASSERT_EQ(got_.size(), 2u);
  EXPECT_EQ(got_[1].node, 2u);
  EXPECT_EQ(got_[1].type, Type::kDeleted);
  // Forgotten once deleted: a second such deletion goes nowhere.
  watch_.Dispatch(Event(Type::kDeleted, "a", ""));
  EXPECT_EQ(got_.size(), 2u);
}

TEST_F(SharedPodWatchTest, PodsOfOtherNodesGoNowhere) {
  watch_.Dispatch(Event(Type::kAdded, "x", "not-ours"));
  watch_.Dispatch(Event(Type::kDeleted, "x", "not-ours"));
  watch_.Dispatch(Event(Type::kDeleted, "y", ""));
  EXPECT_TRUE(got_.empty());
}

}  // namespace
}  // namespace shoal::sim
