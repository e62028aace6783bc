#include "controllers/queue_placement.h"

#include <string>
#include <vector>

#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::controllers {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;

constexpr char kGpu[] = "nvidia.com/gpu";

// `n` nodes of 8 GPUs, node-0 .. node-(n-1), labelled pool=a.
std::vector<NodeRoom> Nodes(int n) {
  std::vector<NodeRoom> out;
  for (int i = 0; i < n; ++i) {
    NodeRoom node;
    node.name = base::StrCat("node-", i);
    node.labels = {{"pool", "a"}};
    node.free[kGpu] = 8;
    out.push_back(node);
  }
  return out;
}

// Puts `gpus` of workload `key` on `node`.
void Hold(NodeRoom& node, const std::string& key, int64_t gpus) {
  node.free[kGpu] -= gpus;
  node.held[key][kGpu] += gpus;
}

PodsToPlace Pods(int32_t count, int64_t gpus) {
  PodsToPlace p;
  p.count = count;
  p.per_pod[kGpu] = gpus;
  return p;
}

VictimCandidate Candidate(std::string key, int64_t gpus, int32_t priority = 0) {
  return {std::move(key), priority, {{kGpu, gpus}}};
}

TEST(RoomModelTest, FitsCountsFreeRoomAndTheRoomOfEvictedWorkloads) {
  std::vector<NodeRoom> nodes = Nodes(2);
  Hold(nodes[0], "ns/x", 4);
  Hold(nodes[1], "ns/y", 1);
  RoomModel room(nodes);
  EXPECT_TRUE(room.Fits({Pods(1, 7)}, {}, false));
  EXPECT_FALSE(room.Fits({Pods(2, 7)}, {}, false));  // node-0 has 4
  EXPECT_TRUE(room.Fits({Pods(2, 7)}, {"ns/x"}, false));
  EXPECT_FALSE(room.Fits({Pods(1, 9)}, {"ns/x", "ns/y"}, false));
  // A node selector or an untolerated taint keeps pods off a node.
  PodsToPlace other = Pods(1, 1);
  other.node_selector = {{"pool", "b"}};
  EXPECT_FALSE(room.Fits({other}, {}, false));
  std::vector<NodeRoom> tainted = Nodes(1);
  tainted[0].taints.push_back({"team", "b", "NoSchedule"});
  RoomModel t(tainted);
  EXPECT_FALSE(t.Fits({Pods(1, 1)}, {}, false));
  PodsToPlace tolerating = Pods(1, 1);
  tolerating.tolerations.push_back({"team", "Equal", "b", "NoSchedule", std::nullopt});
  EXPECT_TRUE(t.Fits({tolerating}, {}, false));
  // Committing uses the room up: the second 8-GPU pod finds none.
  RoomModel empty(Nodes(1));
  EXPECT_TRUE(empty.Fits({Pods(1, 8)}, {}, true));
  EXPECT_FALSE(empty.Fits({Pods(1, 1)}, {}, false));
}

TEST(RoomModelTest, VictimsAreChosenWhereTheyMakeWholeNodesFree) {
  // node-0 and node-1 each hold four 1-GPU workloads and 4 free GPUs; node-2 holds eight.
  // A 2x8-GPU gang needs two whole nodes: evicting node-0's and node-1's four is cheapest,
  // although node-2's eight come first in the preference order.
  std::vector<NodeRoom> nodes = Nodes(3);
  std::vector<VictimCandidate> candidates;
  for (int i = 0; i < 8; ++i) {
    Hold(nodes[2], base::StrCat("ns/c", i), 1);
    candidates.push_back(Candidate(base::StrCat("ns/c", i), 1));
  }
  for (int n = 0; n < 2; ++n) {
    for (int i = 0; i < 4; ++i) {
      std::string key = base::StrCat("ns/n", n, "-", i);
      Hold(nodes[n], key, 1);
      candidates.push_back(Candidate(key, 1));
    }
  }
  RoomModel room(nodes);
  std::vector<size_t> took;
  auto victims = room.VictimsForRoom({Pods(2, 8)}, candidates, [](size_t) { return true; },
                                     [&](size_t i) { took.push_back(i); });
  ASSERT_TRUE(victims.has_value());
  EXPECT_THAT(*victims, ElementsAre(8, 9, 10, 11, 12, 13, 14, 15));
  EXPECT_EQ(took, *victims);
  std::set<std::string> keys;
  for (size_t i : *victims) keys.insert(candidates[i].key);
  EXPECT_TRUE(room.Fits({Pods(2, 8)}, keys, false));
}

TEST(RoomModelTest, LowerPriorityVictimsAreCheaperAndDisallowedOnesAreSkipped) {
  // node-0 holds one 8-GPU workload of priority 5; node-1 two 4-GPU ones of priority 0.
  std::vector<NodeRoom> nodes = Nodes(2);
  Hold(nodes[0], "ns/high", 8);
  Hold(nodes[1], "ns/low-a", 4);
  Hold(nodes[1], "ns/low-b", 4);
  std::vector<VictimCandidate> candidates{Candidate("ns/high", 8, 5), Candidate("ns/low-a", 4),
                                          Candidate("ns/low-b", 4)};
  RoomModel room(nodes);
  auto all = [](size_t) { return true; };
  auto none = [](size_t) {};
  EXPECT_THAT(room.VictimsForRoom({Pods(1, 8)}, candidates, all, none),
              Optional(ElementsAre(1, 2)));
  // When low-b may not be taken, node-1 cannot be freed: the high-priority one goes.
  EXPECT_THAT(room.VictimsForRoom({Pods(1, 8)}, candidates, [](size_t i) { return i != 2; },
                                  none),
              Optional(ElementsAre(0)));
  // Room enough already: nobody; more than every candidate frees: nullopt.
  EXPECT_THAT(room.VictimsForRoom({Pods(1, 0)}, candidates, all, none), Optional(IsEmpty()));
  EXPECT_EQ(room.VictimsForRoom({Pods(3, 8)}, candidates, all, none), std::nullopt);
}

TEST(RoomModelTest, AWorkloadOnSeveralNodesFreesThemAll) {
  // One 2x8-GPU gang holds node-0 and node-1: taking it once frees both.
  std::vector<NodeRoom> nodes = Nodes(3);
  Hold(nodes[0], "ns/gang", 8);
  Hold(nodes[1], "ns/gang", 8);
  Hold(nodes[2], "ns/a", 4);
  Hold(nodes[2], "ns/b", 4);
  std::vector<VictimCandidate> candidates{Candidate("ns/a", 4), Candidate("ns/b", 4),
                                          Candidate("ns/gang", 16)};
  RoomModel room(nodes);
  EXPECT_THAT(room.VictimsForRoom({Pods(2, 8)}, candidates, [](size_t) { return true; },
                                  [](size_t) {}),
              Optional(ElementsAre(2)));
}

}  // namespace
}  // namespace shoal::controllers
