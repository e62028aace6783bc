#include "scheduler/placement.h"

#include <set>
#include <string>
#include <vector>

#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/internal/test_util.h"
#include "scheduler/plugins/registry.h"

namespace shoal::scheduler {
namespace {

using internal::BoundTo;
using internal::GpuNode;
using internal::GpuPod;
using internal::PodPtrs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Locality = PodGroupInfo::Locality;

class PlacementTest : public ::testing::Test {
 protected:
  PlacementTest()
      : pack_(plugins::DefaultProfile(ScoringStrategy::kPack)),
        spread_(plugins::DefaultProfile(ScoringStrategy::kSpread)),
        gpu_(state_.names().gpu()) {}

  void AddNode(const std::string& name, const std::string& leaf = "l0",
               const std::string& spine = "s0", int64_t gpus = 8) {
    state_.UpsertNode(GpuNode(state_.names(), name, gpus, leaf, spine));
  }
  // `count` nodes "<leaf>-<i>" in `leaf` of `spine`.
  void AddLeaf(const std::string& leaf, const std::string& spine, int count) {
    for (int i = 0; i < count; ++i) AddNode(base::StrCat(leaf, "-", i), leaf, spine);
  }
  // A pod bound to `node` using `gpus` of its GPUs and little cpu and memory (1 cpu and 8Gi a
  // GPU), so that GPUs are what runs out; `proportional`: as much as GpuPod asks.
  void Use(const std::string& node, int64_t gpus, bool proportional = false) {
    PodInfo p = GpuPod(state_.names(), base::StrCat("used-", next_++), gpus);
    if (!proportional) {
      p.requests[kCpu] = 1000 * gpus;
      p.requests[kMemory] = 8 * internal::kGi * gpus;
    }
    state_.UpsertPod(BoundTo(std::move(p), node));
  }
  PodInfo Pod(int64_t gpus, const std::string& name = "p") {
    return GpuPod(state_.names(), name, gpus);
  }
  std::vector<PodInfo> Gang(int count, int64_t gpus) {
    std::vector<PodInfo> out;
    for (int i = 0; i < count; ++i) {
      out.push_back(GpuPod(state_.names(), base::StrCat("w-", i), gpus, 0, "job"));
    }
    return out;
  }
  const std::string& Name(int n) { return state_.node(n).info.name; }
  std::string LeafName(int n) { return state_.leaves()[state_.node(n).leaf].name; }
  std::string SpineName(int n) { return state_.spines()[state_.node(n).spine].name; }
  // Places a pod and assumes it, as the scheduler does; returns the node's name.
  std::string PlaceAndAssume(Placer& placer, const std::string& name, int64_t gpus) {
    PodInfo p = Pod(gpus, name);
    int n = placer.PlaceOne(p);
    if (n < 0) return "";
    state_.UpsertPod(p);
    state_.Assume(p.key, n);
    return Name(n);
  }

  ClusterState state_;
  Profile pack_, spread_;
  const int gpu_;
  int next_ = 0;
};

// ----------------------------------------------------------------------------------------------
// PlaceOne.

TEST_F(PlacementTest, PackingPutsSmallPodsOnThePartlyUsedNode) {
  AddLeaf("l0", "s0", 4);
  Use("l0-2", 5);
  Placer placer(pack_, state_);
  EXPECT_EQ(Name(placer.PlaceOne(Pod(1))), "l0-2");
  // It keeps filling that node until it is full, then opens one more.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(PlaceAndAssume(placer, base::StrCat("a", i), 1), "l0-2");
  const std::string next = PlaceAndAssume(placer, "b", 1);
  EXPECT_NE(next, "l0-2");
  EXPECT_NE(next, "");
  EXPECT_EQ(PlaceAndAssume(placer, "c", 1), next);
}

TEST_F(PlacementTest, PackingPrefersTheTightestNodeThatFits) {
  AddLeaf("l0", "s0", 3);
  Use("l0-0", 7);  // 1 free
  Use("l0-1", 5);  // 3 free
  Placer placer(pack_, state_);
  EXPECT_EQ(Name(placer.PlaceOne(Pod(1))), "l0-0");
  EXPECT_EQ(Name(placer.PlaceOne(Pod(2))), "l0-1");
  EXPECT_EQ(Name(placer.PlaceOne(Pod(3))), "l0-1");
  EXPECT_EQ(Name(placer.PlaceOne(Pod(4))), "l0-2");
}

TEST_F(PlacementTest, PackingPrefersTheFullerLeafAmongEquallyUsedNodes) {
  AddNode("a", "l1", "s0");
  AddNode("b", "l1", "s0");
  AddNode("c", "l2", "s0");
  AddNode("d", "l2", "s0");
  Use("a", 4);
  Use("c", 4);
  Use("d", 8);  // l2 is fuller: 12 of 16 GPUs in use, l1 4 of 16
  Placer placer(pack_, state_);
  EXPECT_EQ(Name(placer.PlaceOne(Pod(1))), "c");
}

TEST_F(PlacementTest, SpreadingPutsPodsOnTheEmptiestNode) {
  AddLeaf("l0", "s0", 3);
  Use("l0-0", 4, true);
  Use("l0-1", 3, true);
  PlacementOptions options;
  options.strategy = ScoringStrategy::kSpread;
  Placer placer(spread_, state_, options);
  EXPECT_EQ(Name(placer.PlaceOne(Pod(1))), "l0-2");
  EXPECT_EQ(PlaceAndAssume(placer, "a", 2), "l0-2");
  EXPECT_EQ(PlaceAndAssume(placer, "b", 2), "l0-2");  // 2 + 2 GPUs there, 3 + 2 on l0-1
  EXPECT_EQ(PlaceAndAssume(placer, "c", 1), "l0-1");  // l0-1 now has the fewest in use
}

TEST_F(PlacementTest, PlaceOneRespectsFiltersAndReturnsMinusOneWhenNothingFits) {
  AddLeaf("l0", "s0", 2);
  Use("l0-0", 6);
  state_.UpsertNode([&] {
    NodeInfo n = GpuNode(state_.names(), "l0-0", 8, "l0", "s0");
    n.taints = {{"shoal.io/unhealthy", "", TaintEffect::kNoSchedule}};
    return n;
  }());
  Placer placer(pack_, state_);
  EXPECT_EQ(Name(placer.PlaceOne(Pod(1))), "l0-1");  // the tighter node is tainted
  EXPECT_EQ(placer.PlaceOne(Pod(9)), -1);
  Use("l0-1", 8);
  EXPECT_EQ(placer.PlaceOne(Pod(1)), -1);
}

TEST_F(PlacementTest, PodsWithoutGpusGoAnywhereTheyFit) {
  AddLeaf("l0", "s0", 2);
  AddNode("cpu", "l0", "s0", 0);
  Placer placer(pack_, state_);
  PodInfo p = Pod(0);
  for (int i = 0; i < 5; ++i) EXPECT_GE(placer.PlaceOne(p), 0);
  p.node_selector = {{"kubernetes.io/hostname", "cpu"}};
  EXPECT_EQ(Name(placer.PlaceOne(p)), "cpu");
}

// ----------------------------------------------------------------------------------------------
// ExplainOne.

TEST_F(PlacementTest, ExplainOneCountsReasonsLargestFirst) {
  AddLeaf("l0", "s0", 3);
  Use("l0-0", 8);
  Use("l0-1", 8);
  NodeInfo tainted = GpuNode(state_.names(), "l0-2", 8, "l0", "s0");
  tainted.taints = {{"shoal.io/unhealthy", "", TaintEffect::kNoSchedule}};
  state_.UpsertNode(tainted);
  Placer placer(pack_, state_);
  PodInfo p = Pod(1);
  ASSERT_EQ(placer.PlaceOne(p), -1);
  EXPECT_EQ(placer.ExplainOne(p),
            "0/3 nodes are available: 2 Insufficient nvidia.com/gpu, 1 node(s) had untolerated "
            "taint {shoal.io/unhealthy: }.");
  // A full tainted node is reported once, for its first failing filter (kube-scheduler).
  Use("l0-2", 8);
  EXPECT_EQ(placer.ExplainOne(p),
            "0/3 nodes are available: 2 Insufficient nvidia.com/gpu, 1 node(s) had untolerated "
            "taint {shoal.io/unhealthy: }.");
}

TEST_F(PlacementTest, ExplainOneWithSeveralReasons) {
  AddLeaf("l0", "s0", 4);
  NodeInfo cordoned = GpuNode(state_.names(), "l0-3", 8, "l0", "s0");
  cordoned.unschedulable = true;
  state_.UpsertNode(cordoned);
  Use("l0-0", 8);
  Placer placer(pack_, state_);
  PodInfo p = Pod(1);
  p.node_selector = {{"kubernetes.io/hostname", "l0-0"}};
  EXPECT_EQ(placer.ExplainOne(p),
            "0/4 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, "
            "1 Insufficient nvidia.com/gpu, 1 node(s) were unschedulable.");
}

// ----------------------------------------------------------------------------------------------
// PlaceGang.

TEST_F(PlacementTest, WholeNodeGangLandsOnTwoLeavesOfOneSpine) {
  // Four leaves of 16 nodes; s0 = {a, b} has one GPU in use, s1 = {c, d} is empty.
  AddLeaf("a", "s0", 16);
  AddLeaf("b", "s0", 16);
  AddLeaf("c", "s1", 16);
  AddLeaf("d", "s1", 16);
  Use("a-5", 1);
  std::vector<PodInfo> gang = Gang(32, 8);
  Placer placer(pack_, state_);
  GangPlan plan = placer.PlaceGang(PodPtrs(gang), Locality::kPreferred);
  ASSERT_TRUE(plan.ok) << plan.why;
  ASSERT_EQ(plan.nodes.size(), 32u);
  EXPECT_EQ(plan.leaves, 2);
  EXPECT_EQ(plan.spines, 1);
  std::set<int> distinct(plan.nodes.begin(), plan.nodes.end());
  EXPECT_EQ(distinct.size(), 32u);  // one whole node each
  std::set<std::string> leaves;
  for (int n : plan.nodes) {
    EXPECT_EQ(SpineName(n), "s1") << Name(n);
    leaves.insert(LeafName(n));
  }
  EXPECT_THAT(leaves, ElementsAre("c", "d"));
}

TEST_F(PlacementTest, WholeNodeGangOnAnEmptyClusterStaysInOneSpine) {
  AddLeaf("a", "s0", 16);
  AddLeaf("b", "s1", 16);
  AddLeaf("c", "s0", 16);
  AddLeaf("d", "s1", 16);
  std::vector<PodInfo> gang = Gang(32, 8);
  Placer placer(pack_, state_);
  GangPlan plan = placer.PlaceGang(PodPtrs(gang), Locality::kPreferred);
  ASSERT_TRUE(plan.ok) << plan.why;
  EXPECT_EQ(plan.leaves, 2);
  EXPECT_EQ(plan.spines, 1);
  std::set<std::string> spines;
  for (int n : plan.nodes) spines.insert(SpineName(n));
  EXPECT_EQ(spines.size(), 1u);
}

TEST_F(PlacementTest, GangThatFitsOneLeafTakesTheTightestLeafThatHoldsIt) {
  AddLeaf("roomy", "s0", 16);
  AddLeaf("snug", "s0", 16);
  AddLeaf("small", "s0", 16);
  for (int i = 0; i < 6; ++i) Use(base::StrCat("snug-", i), 8);    // 10 free nodes
  for (int i = 0; i < 9; ++i) Use(base::StrCat("small-", i), 1);  // 7 free nodes
  std::vector<PodInfo> gang = Gang(8, 8);
  Placer placer(pack_, state_);
  GangPlan plan = placer.PlaceGang(PodPtrs(gang), Locality::kPreferred);
  ASSERT_TRUE(plan.ok) << plan.why;
  EXPECT_EQ(plan.leaves, 1);
  EXPECT_EQ(plan.spines, 1);
  for (int n : plan.nodes) EXPECT_EQ(LeafName(n), "snug") << Name(n);
  std::set<int> distinct(plan.nodes.begin(), plan.nodes.end());
  EXPECT_EQ(distinct.size(), 8u);
}

TEST_F(PlacementTest, SmallGangFillsPartlyUsedNodesFirst) {
  AddLeaf("l0", "s0", 3);
  Use("l0-1", 6);  // 2 free
  std::vector<PodInfo> gang = Gang(3, 1);
  Placer placer(pack_, state_);
  GangPlan plan = placer.PlaceGang(PodPtrs(gang), Locality::kPreferred);
  ASSERT_TRUE(plan.ok) << plan.why;
  ASSERT_EQ(plan.nodes.size(), 3u);
  EXPECT_EQ(Name(plan.nodes[0]), "l0-1");
  EXPECT_EQ(Name(plan.nodes[1]), "l0-1");
  EXPECT_NE(Name(plan.nodes[2]), "l0-1");
}

TEST_F(PlacementTest, LeafLocalityFailsClearlyWhenNoLeafHasRoom) {
  AddLeaf("a", "s0", 4);
  AddLeaf("b", "s0", 4);
  Use("b-0", 2);
  std::vector<PodInfo> gang = Gang(6, 8);
  Placer placer(pack_, state_);
  GangPlan leaf = placer.PlaceGang(PodPtrs(gang), Locality::kLeaf);
  EXPECT_FALSE(leaf.ok);
  EXPECT_TRUE(leaf.nodes.empty());
  EXPECT_EQ(leaf.why,
            "no leaf has room for the gang's 6 pods (topology leaf required; the roomiest leaf "
            "takes 4)");
  // Preferred spans the two leaves; spine fits as both leaves share s0.
  GangPlan preferred = placer.PlaceGang(PodPtrs(gang), Locality::kPreferred);
  ASSERT_TRUE(preferred.ok) << preferred.why;
  EXPECT_EQ(preferred.leaves, 2);
  EXPECT_EQ(preferred.spines, 1);
  GangPlan spine = placer.PlaceGang(PodPtrs(gang), Locality::kSpine);
  ASSERT_TRUE(spine.ok) << spine.why;
  EXPECT_EQ(spine.spines, 1);
}

TEST_F(PlacementTest, SpineLocalityFailsWhenNoSpineHasRoomPreferredSpansSpines) {
  AddLeaf("a", "s0", 4);
  AddLeaf("b", "s1", 4);
  std::vector<PodInfo> gang = Gang(6, 8);
  Placer placer(pack_, state_);
  GangPlan spine = placer.PlaceGang(PodPtrs(gang), Locality::kSpine);
  EXPECT_FALSE(spine.ok);
  EXPECT_EQ(spine.why,
            "no spine has room for the gang's 6 pods (topology spine required; the roomiest "
            "spine takes 4)");
  GangPlan preferred = placer.PlaceGang(PodPtrs(gang), Locality::kPreferred);
  ASSERT_TRUE(preferred.ok) << preferred.why;
  EXPECT_EQ(preferred.leaves, 2);
  EXPECT_EQ(preferred.spines, 2);
}

TEST_F(PlacementTest, NotEnoughRoomSaysHowShort) {
  AddLeaf("l0", "s0", 4);
  Use("l0-0", 8);
  Use("l0-1", 1);
  std::vector<PodInfo> gang = Gang(3, 8);
  Placer placer(pack_, state_);
  GangPlan plan = placer.PlaceGang(PodPtrs(gang), Locality::kPreferred);
  EXPECT_FALSE(plan.ok);
  EXPECT_THAT(plan.why, HasSubstr("short by"));
  EXPECT_EQ(plan.why,
            "gang needs 3 pods at once, the cluster has room for 2: short by 1 node with 8 free "
            "nvidia.com/gpu; 2 Insufficient nvidia.com/gpu");

  std::vector<PodInfo> small = Gang(20, 1);  // 7 + 8 + 8 = 23 free GPUs
  EXPECT_TRUE(placer.PlaceGang(PodPtrs(small), Locality::kPreferred).ok);
  std::vector<PodInfo> too_many = Gang(25, 1);
  GangPlan short_plan = placer.PlaceGang(PodPtrs(too_many), Locality::kPreferred);
  EXPECT_FALSE(short_plan.ok);
  EXPECT_THAT(short_plan.why, HasSubstr("short by 2 pods with 1 free nvidia.com/gpu each"));
}

TEST_F(PlacementTest, EmptyGangIsTriviallyPlaced) {
  Placer placer(pack_, state_);
  GangPlan plan = placer.PlaceGang({}, Locality::kLeaf);
  EXPECT_TRUE(plan.ok);
  EXPECT_TRUE(plan.nodes.empty());
}

TEST_F(PlacementTest, HeterogeneousMembersEachGetANodeThatFitsThem) {
  // l0: two nodes with 1 free GPU each; l1: one empty node. The first member (1 GPU) makes l0
  // look like enough, but the 8-GPU member only fits in l1.
  AddNode("x", "l0", "s0");
  AddNode("y", "l0", "s0");
  AddNode("z", "l1", "s0");
  Use("x", 7);
  Use("y", 7);
  std::vector<PodInfo> gang = {GpuPod(state_.names(), "launcher", 1, 0, "job"),
                               GpuPod(state_.names(), "worker", 8, 0, "job")};
  Placer placer(pack_, state_);
  GangPlan plan = placer.PlaceGang(PodPtrs(gang), Locality::kPreferred);
  ASSERT_TRUE(plan.ok) << plan.why;
  ASSERT_EQ(plan.nodes.size(), 2u);
  EXPECT_NE(Name(plan.nodes[0]), "z");
  EXPECT_EQ(Name(plan.nodes[1]), "z");

  // Two 8-GPU workers do not fit together: one empty node only.
  gang.push_back(GpuPod(state_.names(), "worker-2", 8, 0, "job"));
  GangPlan no = placer.PlaceGang(PodPtrs(gang), Locality::kPreferred);
  EXPECT_FALSE(no.ok);
  EXPECT_THAT(no.why, HasSubstr("do not fit together"));
}

TEST_F(PlacementTest, GangMembersWithConstraintsAreChecked) {
  AddLeaf("l0", "s0", 4);
  std::vector<PodInfo> gang = Gang(2, 8);
  gang[1].node_selector = {{"kubernetes.io/hostname", "l0-3"}};
  Placer placer(pack_, state_);
  GangPlan plan = placer.PlaceGang(PodPtrs(gang), Locality::kPreferred);
  ASSERT_TRUE(plan.ok) << plan.why;
  EXPECT_EQ(Name(plan.nodes[1]), "l0-3");
  EXPECT_NE(plan.nodes[0], plan.nodes[1]);
}

}  // namespace
}  // namespace shoal::scheduler
