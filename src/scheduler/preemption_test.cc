#include "scheduler/preemption.h"

#include <map>
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
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;
using Locality = PodGroupInfo::Locality;

class PreemptionTest : public ::testing::Test {
 protected:
  PreemptionTest() : profile_(plugins::DefaultProfile(ScoringStrategy::kPack)) {}

  void AddNode(const std::string& name, const std::string& leaf = "l0",
               const std::string& spine = "s0") {
    state_.UpsertNode(GpuNode(state_.names(), name, 8, leaf, spine));
  }
  // Binds "default/<name>" to `node`.
  void Run(const std::string& name, const std::string& node, int64_t gpus, int32_t priority,
           const std::string& gang = "") {
    state_.UpsertPod(BoundTo(GpuPod(state_.names(), name, gpus, priority, gang), node));
  }
  PreemptionPlan PlanOne(const PodInfo& pod) {
    return PlanPreemption(profile_, state_, {&pod}, Locality::kPreferred);
  }
  const std::string& Name(int n) { return state_.node(n).info.name; }

  ClusterState state_;
  Profile profile_;
};

TEST_F(PreemptionTest, EvictsTheCheapestVictimsOnTheBestNode) {
  AddNode("n1");
  AddNode("n2");
  AddNode("n3");
  Run("a", "n1", 4, 10);
  Run("b", "n1", 4, 20);  // n1: evict a (10)
  Run("c", "n2", 8, 5);   // n2: evict c (5)
  Run("d", "n3", 2, 1);
  Run("e", "n3", 2, 1);
  Run("f", "n3", 4, 2);  // n3: evict d and e (1 + 1); f is reprieved
  PodInfo pod = GpuPod(state_.names(), "urgent", 4, 1000);
  PreemptionPlan plan = PlanOne(pod);
  ASSERT_TRUE(plan.ok);
  ASSERT_EQ(plan.nodes.size(), 1u);
  EXPECT_EQ(Name(plan.nodes[0]), "n3");
  EXPECT_THAT(plan.victims, UnorderedElementsAre("default/d", "default/e"));

  // Same total priority with fewer victims wins.
  AddNode("n4");
  Run("g", "n4", 8, 2);
  plan = PlanOne(pod);
  ASSERT_TRUE(plan.ok);
  EXPECT_EQ(Name(plan.nodes[0]), "n4");
  EXPECT_THAT(plan.victims, ElementsAre("default/g"));
}

TEST_F(PreemptionTest, KeepsTheMoreImportantPodsOnTheNode) {
  AddNode("n1");
  Run("low", "n1", 4, 1);
  Run("mid", "n1", 2, 50);
  Run("high", "n1", 2, 90);
  PodInfo pod = GpuPod(state_.names(), "p", 4, 100);
  PreemptionPlan plan = PlanOne(pod);
  ASSERT_TRUE(plan.ok);
  EXPECT_THAT(plan.victims, ElementsAre("default/low"));
  pod.requests[state_.names().gpu()] = 6;
  plan = PlanOne(pod);
  ASSERT_TRUE(plan.ok);
  EXPECT_THAT(plan.victims, UnorderedElementsAre("default/low", "default/mid"));
}

TEST_F(PreemptionTest, EqualOrHigherPriorityIsNeverAVictim) {
  AddNode("n1");
  AddNode("n2");
  Run("same", "n1", 8, 100);
  Run("higher", "n2", 8, 200);
  PodInfo pod = GpuPod(state_.names(), "p", 1, 100);
  PreemptionPlan plan = PlanOne(pod);
  EXPECT_FALSE(plan.ok);
  EXPECT_TRUE(plan.victims.empty());
  EXPECT_TRUE(plan.nodes.empty());
}

TEST_F(PreemptionTest, PreemptionPolicyNeverPreemptsNothing) {
  AddNode("n1");
  Run("low", "n1", 8, 0);
  PodInfo pod = GpuPod(state_.names(), "p", 1, 1000);
  pod.preempt_never = true;
  EXPECT_FALSE(PlanOne(pod).ok);
  pod.preempt_never = false;
  EXPECT_TRUE(PlanOne(pod).ok);
}

TEST_F(PreemptionTest, NodesThatOtherFiltersRejectAreNotCandidates) {
  AddNode("n1");
  NodeInfo tainted = GpuNode(state_.names(), "n2", 8, "l0", "s0");
  tainted.taints = {{"shoal.io/unhealthy", "", TaintEffect::kNoSchedule}};
  state_.UpsertNode(tainted);
  Run("mid", "n1", 8, 50);
  Run("low", "n2", 8, 1);
  PodInfo pod = GpuPod(state_.names(), "p", 8, 100);
  PreemptionPlan plan = PlanOne(pod);
  ASSERT_TRUE(plan.ok);
  EXPECT_EQ(Name(plan.nodes[0]), "n1");
  EXPECT_THAT(plan.victims, ElementsAre("default/mid"));
}

TEST_F(PreemptionTest, AssumedAndDeletingPodsAreNotVictims) {
  AddNode("n1");
  AddNode("n2");
  state_.UpsertPod(GpuPod(state_.names(), "assumed", 8, 0));
  state_.Assume("default/assumed", state_.FindNode("n1"));
  PodInfo leaving = BoundTo(GpuPod(state_.names(), "leaving", 8, 0), "n2");
  leaving.deleting = true;
  state_.UpsertPod(leaving);
  Run("bystander", "n2", 0, 0);  // so that n2 has something preemptible
  PodInfo pod = GpuPod(state_.names(), "p", 8, 100);
  PreemptionPlan plan = PlanOne(pod);
  // n2 frees up once "leaving" is gone: nominate it, evict nothing.
  ASSERT_TRUE(plan.ok);
  EXPECT_EQ(Name(plan.nodes[0]), "n2");
  EXPECT_THAT(plan.victims, IsEmpty());
}

TEST_F(PreemptionTest, AVictimInAGangTakesItsWholeGang) {
  AddNode("n1");
  AddNode("n2");
  AddNode("n3");
  Run("m0", "n1", 8, 10, "train");
  Run("m1", "n2", 8, 10, "train");
  Run("other", "n3", 8, 500);
  PodInfo pod = GpuPod(state_.names(), "p", 4, 100);
  PreemptionPlan plan = PlanOne(pod);
  ASSERT_TRUE(plan.ok);
  EXPECT_TRUE(Name(plan.nodes[0]) == "n1" || Name(plan.nodes[0]) == "n2") << Name(plan.nodes[0]);
  EXPECT_THAT(plan.victims, UnorderedElementsAre("default/m0", "default/m1"));

  // A lone pod whose priority is below the gang's total is the cheaper choice.
  state_.RemovePod("default/other");
  Run("solo", "n3", 8, 15);
  plan = PlanOne(pod);
  ASSERT_TRUE(plan.ok);
  EXPECT_EQ(Name(plan.nodes[0]), "n3");
  EXPECT_THAT(plan.victims, ElementsAre("default/solo"));
}

TEST_F(PreemptionTest, AGangWithAnImportantMemberIsNotPreemptible) {
  AddNode("n1");
  AddNode("n2");
  Run("m0", "n1", 8, 10, "train");
  Run("m1", "n2", 8, 100, "train");  // as important as the preemptor
  PodInfo pod = GpuPod(state_.names(), "p", 4, 100);
  EXPECT_FALSE(PlanOne(pod).ok);
  // Same gang name in another namespace is another gang.
  state_.RemovePod("default/m1");
  state_.UpsertPod(BoundTo(GpuPod(state_.names(), "m1", 8, 100, "train", "other"), "n2"));
  PreemptionPlan plan = PlanOne(pod);
  ASSERT_TRUE(plan.ok);
  EXPECT_EQ(Name(plan.nodes[0]), "n1");
  EXPECT_THAT(plan.victims, ElementsAre("default/m0"));
}

// Two leaves of 8 nodes; balloons (priority -10, whole nodes) on 12 of them, 4 free.
class GangPreemptionTest : public PreemptionTest {
 protected:
  GangPreemptionTest() {
    for (int l = 0; l < 2; ++l) {
      for (int i = 0; i < 8; ++i) AddNode(base::StrCat("l", l, "-", i), base::StrCat("l", l), "s0");
    }
    for (int l = 0; l < 2; ++l) {
      for (int i = 0; i < 8; ++i) {
        if (l == 0 && i < 4) continue;  // l0-0..l0-3 are free
        std::string node = base::StrCat("l", l, "-", i);
        Run("balloon-" + node, node, 8, -10);
        balloon_on_[node] = "default/balloon-" + node;
      }
    }
  }
  std::vector<PodInfo> Gang(int count, int32_t priority, const std::string& name = "job") {
    std::vector<PodInfo> out;
    for (int i = 0; i < count; ++i) {
      out.push_back(GpuPod(state_.names(), base::StrCat(name, "-", i), 8, priority, name));
    }
    return out;
  }

  std::map<std::string, std::string> balloon_on_;  // node -> balloon pod key
};

TEST_F(GangPreemptionTest, VictimsAreExactlyTheBalloonsOnTheChosenNodes) {
  std::vector<PodInfo> gang = Gang(8, 100);
  PreemptionPlan plan = PlanPreemption(profile_, state_, PodPtrs(gang), Locality::kLeaf);
  ASSERT_TRUE(plan.ok);
  ASSERT_EQ(plan.nodes.size(), 8u);
  std::set<int> distinct(plan.nodes.begin(), plan.nodes.end());
  EXPECT_EQ(distinct.size(), 8u);
  std::vector<std::string> expected;
  std::set<std::string> leaves;
  for (int n : plan.nodes) {
    leaves.insert(state_.leaves()[state_.node(n).leaf].name);
    auto it = balloon_on_.find(Name(n));
    if (it != balloon_on_.end()) expected.push_back(it->second);
  }
  EXPECT_EQ(leaves.size(), 1u);  // topology leaf is honoured
  EXPECT_THAT(plan.victims, UnorderedElementsAreArray(expected));
  EXPECT_FALSE(plan.victims.empty());
}

TEST_F(GangPreemptionTest, LargerGangSpansLeavesAndEvictsOnlyWhatItNeeds) {
  std::vector<PodInfo> gang = Gang(14, 100);
  PreemptionPlan plan = PlanPreemption(profile_, state_, PodPtrs(gang), Locality::kPreferred);
  ASSERT_TRUE(plan.ok);
  std::vector<std::string> expected;
  for (int n : plan.nodes) {
    auto it = balloon_on_.find(Name(n));
    if (it != balloon_on_.end()) expected.push_back(it->second);
  }
  EXPECT_THAT(plan.victims, UnorderedElementsAreArray(expected));
  EXPECT_GE(plan.victims.size(), 10u);  // at most the 4 free nodes are spared
  EXPECT_LE(plan.victims.size(), 14u);
}

// What placement reads of the state, with each free-GPU bucket as a set (their order may
// change).
std::string Snapshot(const ClusterState& s) {
  std::string out;
  for (const NodeState& n : s.nodes()) {
    std::set<std::string> pods(n.pods.begin(), n.pods.end());
    base::StrAppend(&out, n.info.name, ":", n.requested[s.names().gpu()], ":", n.bucket, ":",
                    pods.size(), ";");
  }
  for (const Domain& d : s.leaves()) base::StrAppend(&out, d.name, "=", d.gpu_requested, ";");
  for (const Domain& d : s.spines()) base::StrAppend(&out, d.name, "=", d.gpu_requested, ";");
  for (int b = 0; b <= ClusterState::kMaxGpuBucket; ++b) {
    std::set<int> nodes(s.GpuBucket(b).begin(), s.GpuBucket(b).end());
    for (int n : nodes) base::StrAppend(&out, "b", b, ":", n, ";");
  }
  return out;
}

TEST_F(GangPreemptionTest, PlanningLeavesTheStateAsItWas) {
  // A gang's plan takes pods off the state to place the gang as if they were gone, and puts
  // them back: after a plan that succeeds, one that fails at every level, and one refused
  // at once, what placement reads is as before.
  const std::string before = Snapshot(state_);
  std::vector<PodInfo> gang = Gang(14, 100);
  ASSERT_TRUE(PlanPreemption(profile_, state_, PodPtrs(gang), Locality::kPreferred).ok);
  EXPECT_EQ(Snapshot(state_), before);
  gang = Gang(17, 100);
  ASSERT_FALSE(PlanPreemption(profile_, state_, PodPtrs(gang), Locality::kLeaf).ok);
  EXPECT_EQ(Snapshot(state_), before);
  gang = Gang(8, -10);
  ASSERT_FALSE(PlanPreemption(profile_, state_, PodPtrs(gang), Locality::kPreferred).ok);
  EXPECT_EQ(Snapshot(state_), before);
}

TEST_F(GangPreemptionTest, BalloonsOfEqualPriorityStay) {
  std::vector<PodInfo> gang = Gang(8, -10);
  EXPECT_FALSE(PlanPreemption(profile_, state_, PodPtrs(gang), Locality::kPreferred).ok);
  gang = Gang(17, 100);  // more than the cluster holds
  EXPECT_FALSE(PlanPreemption(profile_, state_, PodPtrs(gang), Locality::kPreferred).ok);
}

TEST_F(PreemptionTest, AGangTakesBalloonsBeforeMoreImportantPods) {
  // Leaf a (listed first) runs priority-50 work, leaf b priority-0 balloons: both would make
  // room, and the gang must evict the balloons.
  for (int i = 0; i < 4; ++i) {
    AddNode(base::StrCat("a", i), "la");
    AddNode(base::StrCat("b", i), "lb");
  }
  for (int i = 0; i < 4; ++i) {
    Run(base::StrCat("work-", i), base::StrCat("a", i), 8, 50);
    Run(base::StrCat("balloon-", i), base::StrCat("b", i), 8, 0);
  }
  std::vector<PodInfo> gang;
  for (int i = 0; i < 4; ++i) {
    gang.push_back(GpuPod(state_.names(), base::StrCat("job-", i), 8, 100, "job"));
  }
  PreemptionPlan plan = PlanPreemption(profile_, state_, PodPtrs(gang), Locality::kLeaf);
  ASSERT_TRUE(plan.ok);
  EXPECT_THAT(plan.victims, UnorderedElementsAre("default/balloon-0", "default/balloon-1",
                                                 "default/balloon-2", "default/balloon-3"));
  for (int n : plan.nodes) EXPECT_EQ(Name(n)[0], 'b');
  // Without the balloons' leaf, the work is evicted after all.
  for (int i = 0; i < 4; ++i) state_.RemoveNode(base::StrCat("b", i));
  plan = PlanPreemption(profile_, state_, PodPtrs(gang), Locality::kLeaf);
  ASSERT_TRUE(plan.ok);
  EXPECT_EQ(plan.victims.size(), 4u);
  EXPECT_EQ(plan.victims[0].substr(0, 13), "default/work-");
}

TEST_F(PreemptionTest, AGangEvictingPartOfALowPriorityGangEvictsAllOfIt) {
  AddNode("n1");
  AddNode("n2");
  AddNode("n3");
  Run("old-0", "n1", 8, 0, "old");
  Run("old-1", "n2", 8, 0, "old");
  Run("old-2", "n3", 2, 0, "old");
  Run("keeper", "n3", 6, 1000);
  std::vector<PodInfo> gang = {GpuPod(state_.names(), "new-0", 8, 100, "new"),
                               GpuPod(state_.names(), "new-1", 4, 100, "new")};
  PreemptionPlan plan = PlanPreemption(profile_, state_, {&gang[0], &gang[1]},
                                       Locality::kPreferred);
  ASSERT_TRUE(plan.ok);
  ASSERT_EQ(plan.nodes.size(), 2u);
  EXPECT_NE(Name(plan.nodes[0]), "n3");  // 6 GPUs stay taken by "keeper"
  EXPECT_NE(Name(plan.nodes[1]), "n3");
  EXPECT_THAT(plan.victims, UnorderedElementsAre("default/old-0", "default/old-1",
                                                 "default/old-2"));
}

TEST_F(PreemptionTest, AGangDoesNotEvictItsOwnMembers) {
  AddNode("n1");
  AddNode("n2");
  Run("job-0", "n1", 8, 10, "job");  // already running member of the same gang
  Run("low", "n2", 8, 0);
  std::vector<PodInfo> gang = {GpuPod(state_.names(), "job-1", 8, 10, "job")};
  PreemptionPlan plan = PlanPreemption(profile_, state_, {&gang[0]}, Locality::kPreferred);
  ASSERT_TRUE(plan.ok);
  EXPECT_EQ(Name(plan.nodes[0]), "n2");
  EXPECT_THAT(plan.victims, ElementsAre("default/low"));
}

}  // namespace
}  // namespace shoal::scheduler
