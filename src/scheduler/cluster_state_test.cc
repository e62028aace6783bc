#include "scheduler/cluster_state.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/internal/test_util.h"

namespace shoal::scheduler {
namespace {

using internal::BoundTo;
using internal::GpuNode;
using internal::GpuPod;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class ClusterStateTest : public ::testing::Test {
 protected:
  ClusterStateTest() : gpu_(state_.names().gpu()) {}

  void AddNode(const std::string& name, int64_t gpus, const std::string& leaf = "l1",
               const std::string& spine = "s1") {
    state_.UpsertNode(GpuNode(state_.names(), name, gpus, leaf, spine));
  }
  PodInfo Pod(const std::string& name, int64_t gpus, const std::string& gang = "") {
    return GpuPod(state_.names(), name, gpus, 0, gang);
  }
  const NodeState& N(const std::string& name) { return state_.node(state_.FindNode(name)); }
  int64_t UsedGpus(const std::string& name) { return N(name).requested[gpu_]; }
  const Domain& LeafOf(const std::string& node) { return state_.leaves()[N(node).leaf]; }
  const Domain& SpineOf(const std::string& node) { return state_.spines()[N(node).spine]; }
  bool InBucket(int free, const std::string& node) {
    const auto& b = state_.GpuBucket(free);
    return std::find(b.begin(), b.end(), state_.FindNode(node)) != b.end();
  }

  ClusterState state_;
  const int gpu_;
};

TEST_F(ClusterStateTest, BoundPodIsChargedToItsNodeLeafAndSpine) {
  AddNode("n1", 8);
  AddNode("n2", 8);
  state_.UpsertPod(BoundTo(Pod("a", 3), "n1"));
  EXPECT_EQ(UsedGpus("n1"), 3);
  EXPECT_EQ(N("n1").requested[kCpu], 33'000);
  EXPECT_EQ(N("n1").requested[kPods], 1);
  EXPECT_THAT(N("n1").pods, ElementsAre("default/a"));
  EXPECT_EQ(N("n1").Free(gpu_), 5);
  EXPECT_EQ(UsedGpus("n2"), 0);
  EXPECT_EQ(LeafOf("n1").gpu_allocatable, 16);
  EXPECT_EQ(LeafOf("n1").gpu_requested, 3);
  EXPECT_EQ(SpineOf("n1").gpu_requested, 3);
  const PodState* p = state_.FindPod("default/a");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->node, state_.FindNode("n1"));
  EXPECT_FALSE(p->assumed);
  EXPECT_TRUE(HoldsResources(*p));
}

TEST_F(ClusterStateTest, PendingPodIsNotCharged) {
  AddNode("n1", 8);
  state_.UpsertPod(Pod("a", 3));
  EXPECT_EQ(UsedGpus("n1"), 0);
  EXPECT_EQ(state_.FindPod("default/a")->node, -1);
  EXPECT_EQ(state_.FindPod("default/nope"), nullptr);
}

TEST_F(ClusterStateTest, AssumeAndForget) {
  AddNode("n1", 8);
  state_.UpsertPod(Pod("a", 2));
  const int n1 = state_.FindNode("n1");
  state_.Assume("default/a", n1);
  EXPECT_EQ(UsedGpus("n1"), 2);
  EXPECT_TRUE(state_.FindPod("default/a")->assumed);
  EXPECT_EQ(LeafOf("n1").gpu_requested, 2);
  state_.Assume("default/a", n1);  // already placed: no second charge
  EXPECT_EQ(UsedGpus("n1"), 2);

  state_.Forget("default/a");
  EXPECT_EQ(UsedGpus("n1"), 0);
  EXPECT_THAT(N("n1").pods, IsEmpty());
  EXPECT_EQ(LeafOf("n1").gpu_requested, 0);
  EXPECT_FALSE(state_.FindPod("default/a")->assumed);
  EXPECT_EQ(state_.FindPod("default/a")->node, -1);
  state_.Forget("default/a");  // not assumed: nothing happens
  EXPECT_EQ(UsedGpus("n1"), 0);
}

TEST_F(ClusterStateTest, AssumedPodStaysChargedUntilItsBindingIsSeen) {
  AddNode("n1", 8);
  state_.UpsertPod(Pod("a", 2));
  state_.Assume("default/a", state_.FindNode("n1"));
  // An update that does not bind yet (a status change) keeps the assumption.
  PodInfo still_pending = Pod("a", 2);
  still_pending.resource_version = 7;
  state_.UpsertPod(still_pending);
  EXPECT_EQ(UsedGpus("n1"), 2);
  EXPECT_TRUE(state_.FindPod("default/a")->assumed);
  // The binding arrives: charged once, no longer assumed; Forget is then a no-op.
  state_.UpsertPod(BoundTo(Pod("a", 2), "n1"));
  EXPECT_EQ(UsedGpus("n1"), 2);
  EXPECT_FALSE(state_.FindPod("default/a")->assumed);
  state_.Forget("default/a");
  EXPECT_EQ(UsedGpus("n1"), 2);
}

TEST_F(ClusterStateTest, BindingToAnotherNodeThanAssumedMovesTheCharge) {
  AddNode("n1", 8);
  AddNode("n2", 8);
  state_.UpsertPod(Pod("a", 2));
  state_.Assume("default/a", state_.FindNode("n1"));
  state_.UpsertPod(BoundTo(Pod("a", 2), "n2"));
  EXPECT_EQ(UsedGpus("n1"), 0);
  EXPECT_EQ(UsedGpus("n2"), 2);
}

TEST_F(ClusterStateTest, TerminalPodReleasesItsResources) {
  AddNode("n1", 8);
  state_.UpsertPod(BoundTo(Pod("a", 4), "n1"));
  EXPECT_EQ(UsedGpus("n1"), 4);
  PodInfo done = BoundTo(Pod("a", 4), "n1");
  done.terminal = true;
  state_.UpsertPod(done);
  EXPECT_EQ(UsedGpus("n1"), 0);
  EXPECT_EQ(N("n1").requested, Resources{});
  EXPECT_THAT(N("n1").pods, IsEmpty());
  EXPECT_FALSE(HoldsResources(*state_.FindPod("default/a")));
  EXPECT_TRUE(InBucket(8, "n1"));
}

TEST_F(ClusterStateTest, UpdatedRequestsAreRecharged) {
  AddNode("n1", 8);
  state_.UpsertPod(BoundTo(Pod("a", 2), "n1"));
  state_.UpsertPod(BoundTo(Pod("a", 5), "n1"));
  EXPECT_EQ(UsedGpus("n1"), 5);
  EXPECT_EQ(N("n1").requested[kPods], 1);
  EXPECT_EQ(LeafOf("n1").gpu_requested, 5);
}

TEST_F(ClusterStateTest, DeletedPodReleasesItsResources) {
  AddNode("n1", 8);
  state_.UpsertPod(BoundTo(Pod("a", 4), "n1"));
  state_.UpsertPod(BoundTo(Pod("b", 1), "n1"));
  state_.RemovePod("default/a");
  EXPECT_EQ(UsedGpus("n1"), 1);
  EXPECT_THAT(N("n1").pods, ElementsAre("default/b"));
  EXPECT_EQ(state_.FindPod("default/a"), nullptr);
  EXPECT_EQ(state_.pods().size(), 1u);
  state_.RemovePod("default/a");  // unknown: nothing happens
  EXPECT_EQ(UsedGpus("n1"), 1);
}

TEST_F(ClusterStateTest, NodeUpdateMovesItToItsNewLeafWithItsPods) {
  AddNode("n1", 8, "l1", "s1");
  AddNode("n2", 8, "l1", "s1");
  state_.UpsertPod(BoundTo(Pod("a", 3), "n1"));
  AddNode("n1", 8, "l2", "s2");
  EXPECT_THAT(LeafOf("n1").name, HasSubstr("l2"));
  EXPECT_EQ(LeafOf("n1").gpu_allocatable, 8);
  EXPECT_EQ(LeafOf("n1").gpu_requested, 3);
  EXPECT_EQ(SpineOf("n1").name, "s2");
  EXPECT_EQ(SpineOf("n1").gpu_requested, 3);
  EXPECT_EQ(LeafOf("n1").parent, N("n1").spine);
  // The old leaf and spine keep only n2.
  const Domain& l1 = LeafOf("n2");
  EXPECT_THAT(l1.nodes, ElementsAre(state_.FindNode("n2")));
  EXPECT_EQ(l1.gpu_allocatable, 8);
  EXPECT_EQ(l1.gpu_requested, 0);
  EXPECT_EQ(SpineOf("n2").gpu_allocatable, 8);
  EXPECT_EQ(SpineOf("n2").gpu_requested, 0);
  EXPECT_EQ(UsedGpus("n1"), 3);  // its pods stay charged
  EXPECT_EQ(state_.live_nodes(), 2);
}

TEST_F(ClusterStateTest, NodeUpdateOfAllocatableRebuckets) {
  AddNode("n1", 8);
  state_.UpsertPod(BoundTo(Pod("a", 3), "n1"));
  EXPECT_TRUE(InBucket(5, "n1"));
  AddNode("n1", 4);
  EXPECT_FALSE(InBucket(5, "n1"));
  EXPECT_TRUE(InBucket(1, "n1"));
  EXPECT_EQ(LeafOf("n1").gpu_allocatable, 4);
}

TEST_F(ClusterStateTest, LeavesWithTheSameNameUnderDifferentSpinesAreDifferent) {
  AddNode("a", 8, "leaf-1", "s1");
  AddNode("b", 8, "leaf-1", "s2");
  EXPECT_NE(N("a").leaf, N("b").leaf);
  EXPECT_EQ(state_.leaves().size(), 2u);
  EXPECT_EQ(LeafOf("a").parent, N("a").spine);
  EXPECT_EQ(LeafOf("b").parent, N("b").spine);
  EXPECT_EQ(LeafOf("a").gpu_allocatable, 8);
}

TEST_F(ClusterStateTest, PodsBoundToAnUnknownNodeAreChargedWhenItAppears) {
  state_.UpsertPod(BoundTo(Pod("a", 2), "late"));
  // A second update while the node is still unknown (a status change).
  PodInfo again = BoundTo(Pod("a", 2), "late");
  again.resource_version = 9;
  state_.UpsertPod(again);
  state_.UpsertPod(BoundTo(Pod("b", 1), "late"));
  EXPECT_EQ(state_.FindPod("default/a")->node, -1);
  AddNode("late", 8);
  EXPECT_EQ(UsedGpus("late"), 3);
  EXPECT_THAT(N("late").pods, UnorderedElementsAre("default/a", "default/b"));
  EXPECT_EQ(LeafOf("late").gpu_requested, 3);
  EXPECT_EQ(state_.FindPod("default/a")->node, state_.FindNode("late"));
  EXPECT_TRUE(InBucket(5, "late"));
}

TEST_F(ClusterStateTest, OrphanThatWasDeletedOrMovedIsNotCharged) {
  state_.UpsertPod(BoundTo(Pod("gone", 2), "late"));
  state_.RemovePod("default/gone");
  state_.UpsertPod(BoundTo(Pod("done", 2), "late"));
  PodInfo done = BoundTo(Pod("done", 2), "late");
  done.terminal = true;
  state_.UpsertPod(done);
  AddNode("late", 8);
  EXPECT_EQ(UsedGpus("late"), 0);
  EXPECT_THAT(N("late").pods, IsEmpty());
}

TEST_F(ClusterStateTest, RemoveNode) {
  AddNode("n1", 8, "l1");
  AddNode("n2", 8, "l1");
  state_.UpsertPod(BoundTo(Pod("a", 2), "n1"));
  state_.UpsertPod(Pod("b", 1));
  state_.Assume("default/b", state_.FindNode("n1"));
  const int n1 = state_.FindNode("n1");
  const int leaf = N("n1").leaf;
  state_.RemoveNode("n1");
  EXPECT_EQ(state_.FindNode("n1"), -1);
  EXPECT_EQ(state_.live_nodes(), 1);
  EXPECT_FALSE(state_.node(n1).live);
  EXPECT_THAT(state_.leaves()[leaf].nodes, ElementsAre(state_.FindNode("n2")));
  EXPECT_EQ(state_.leaves()[leaf].gpu_allocatable, 8);
  EXPECT_EQ(state_.leaves()[leaf].gpu_requested, 0);
  EXPECT_EQ(state_.spines()[state_.node(state_.FindNode("n2")).spine].gpu_requested, 0);
  for (int b = 0; b <= ClusterState::kMaxGpuBucket; ++b) {
    const auto& bucket = state_.GpuBucket(b);
    EXPECT_EQ(std::count(bucket.begin(), bucket.end(), n1), 0) << b;
  }
  EXPECT_EQ(state_.FindPod("default/a")->node, -1);
  EXPECT_EQ(state_.FindPod("default/b")->node, -1);
  state_.RemoveNode("n1");  // unknown: nothing happens
  EXPECT_EQ(state_.live_nodes(), 1);

  // The node comes back (in the freed slot): its bound pod counts again, the assumed one not.
  AddNode("n3", 8, "l2");
  EXPECT_EQ(state_.FindNode("n3"), n1);
  EXPECT_EQ(UsedGpus("n3"), 0);
  AddNode("n1", 8, "l1");
  EXPECT_EQ(UsedGpus("n1"), 2);
  EXPECT_THAT(N("n1").pods, ElementsAre("default/a"));
  EXPECT_EQ(state_.live_nodes(), 3);
}

TEST_F(ClusterStateTest, GpuBucketsTrackFreeGpus) {
  AddNode("n1", 8);
  AddNode("n2", 8);
  AddNode("cpu", 0);
  EXPECT_THAT(state_.GpuBucket(8), UnorderedElementsAre(state_.FindNode("n1"),
                                                        state_.FindNode("n2")));
  state_.UpsertPod(BoundTo(Pod("a", 3), "n1"));
  EXPECT_THAT(state_.GpuBucket(8), ElementsAre(state_.FindNode("n2")));
  EXPECT_THAT(state_.GpuBucket(5), ElementsAre(state_.FindNode("n1")));
  state_.UpsertPod(BoundTo(Pod("b", 5), "n1"));
  EXPECT_THAT(state_.GpuBucket(5), IsEmpty());
  EXPECT_THAT(state_.GpuBucket(0), ElementsAre(state_.FindNode("n1")));
  state_.RemovePod("default/a");
  EXPECT_THAT(state_.GpuBucket(3), ElementsAre(state_.FindNode("n1")));
  // A node without GPUs is in no bucket, even with nothing on it.
  for (int b = 0; b <= ClusterState::kMaxGpuBucket; ++b) {
    const auto& bucket = state_.GpuBucket(b);
    EXPECT_EQ(std::count(bucket.begin(), bucket.end(), state_.FindNode("cpu")), 0) << b;
  }
}

TEST_F(ClusterStateTest, GangMembers) {
  AddNode("n1", 8);
  state_.UpsertPod(Pod("w0", 1, "job"));
  state_.UpsertPod(BoundTo(Pod("w1", 1, "job"), "n1"));
  state_.UpsertPod(GpuPod(state_.names(), "w0", 1, 0, "job", "other-ns"));
  state_.UpsertPod(Pod("solo", 1));
  EXPECT_THAT(state_.GangMembers("default/job"),
              UnorderedElementsAre("default/w0", "default/w1"));
  EXPECT_THAT(state_.GangMembers("other-ns/job"), ElementsAre("other-ns/w0"));
  EXPECT_THAT(state_.GangMembers("default/none"), IsEmpty());
  EXPECT_EQ(GangKey(state_.FindPod("default/w0")->info), "default/job");
  EXPECT_EQ(GangKey(state_.FindPod("default/solo")->info), "");

  // Updates do not duplicate; leaving the gang or deletion removes the member.
  state_.UpsertPod(Pod("w0", 1, "job"));
  EXPECT_THAT(state_.GangMembers("default/job"),
              UnorderedElementsAre("default/w0", "default/w1"));
  state_.UpsertPod(Pod("w0", 1, "other-job"));
  EXPECT_THAT(state_.GangMembers("default/job"), ElementsAre("default/w1"));
  EXPECT_THAT(state_.GangMembers("default/other-job"), ElementsAre("default/w0"));
  state_.RemovePod("default/w1");
  EXPECT_THAT(state_.GangMembers("default/job"), IsEmpty());
}

TEST_F(ClusterStateTest, ANominatedPodReservesItsRoomUntilItIsPlaced) {
  AddNode("n1", 8);
  AddNode("n2", 8);
  state_.UpsertPod(Pod("pre", 3));
  state_.Reserve("default/pre", state_.FindNode("n1"));
  EXPECT_EQ(UsedGpus("n1"), 3);
  EXPECT_EQ(LeafOf("n1").gpu_requested, 3);
  EXPECT_TRUE(InBucket(5, "n1"));
  EXPECT_TRUE(N("n1").pods.empty());  // a reservation is no pod there: never a victim
  EXPECT_EQ(state_.reservations(), 1u);
  // Nominated elsewhere: the reservation moves.
  state_.Reserve("default/pre", state_.FindNode("n2"));
  EXPECT_EQ(UsedGpus("n1"), 0);
  EXPECT_EQ(UsedGpus("n2"), 3);
  // Placed: the pod's own charge replaces its reservation.
  state_.Assume("default/pre", state_.FindNode("n2"));
  EXPECT_EQ(UsedGpus("n2"), 3);
  EXPECT_EQ(state_.reservations(), 0u);
  state_.Forget("default/pre");
  EXPECT_EQ(UsedGpus("n2"), 0);
  // Ended (-1), deleted, or its node removed: the room is free again.
  state_.Reserve("default/pre", state_.FindNode("n1"));
  state_.Reserve("default/pre", -1);
  EXPECT_EQ(UsedGpus("n1"), 0);
  state_.Reserve("default/pre", state_.FindNode("n1"));
  state_.RemovePod("default/pre");
  EXPECT_EQ(UsedGpus("n1"), 0);
  EXPECT_EQ(state_.reservations(), 0u);
  state_.UpsertPod(Pod("pre", 3));
  state_.Reserve("default/pre", state_.FindNode("n2"));
  state_.RemoveNode("n2");
  EXPECT_EQ(state_.FindPod("default/pre")->reserved, -1);
  EXPECT_EQ(state_.reservations(), 0u);
  // A bound pod holds no reservation.
  state_.UpsertPod(BoundTo(Pod("bound", 2), "n1"));
  state_.Reserve("default/bound", state_.FindNode("n1"));
  EXPECT_EQ(UsedGpus("n1"), 2);
}

TEST_F(ClusterStateTest, ReservationsFollowChangesOfNominatedNodeNameOnly) {
  AddNode("n1", 8);
  AddNode("n2", 8);
  PodInfo p = Pod("pre", 2);
  p.nominated_node = "n1";
  state_.UpsertPod(p);  // first seen nominated (e.g. after a scheduler restart)
  EXPECT_EQ(UsedGpus("n1"), 2);
  // The scheduler nominates n2; an event still carrying n1 does not undo that.
  state_.Reserve("default/pre", state_.FindNode("n2"));
  state_.UpsertPod(p);
  EXPECT_EQ(UsedGpus("n1"), 0);
  EXPECT_EQ(UsedGpus("n2"), 2);
  p.nominated_node = "n2";
  state_.UpsertPod(p);
  EXPECT_EQ(UsedGpus("n2"), 2);
  p.requests[gpu_] = 4;  // new requests are reserved as they are now
  state_.UpsertPod(p);
  EXPECT_EQ(UsedGpus("n2"), 4);
  p.nominated_node = "";  // cleared through the API
  state_.UpsertPod(p);
  EXPECT_EQ(UsedGpus("n2"), 0);
  p.nominated_node = "n1";
  state_.UpsertPod(p);
  EXPECT_EQ(UsedGpus("n1"), 4);
  state_.UpsertPod(BoundTo(p, "n1"));  // bound: the charge replaces the reservation
  EXPECT_EQ(UsedGpus("n1"), 4);
  EXPECT_EQ(state_.reservations(), 0u);
}

TEST_F(ClusterStateTest, AnAttemptUsesItsOwnAndLowerPriorityReservationsOnly) {
  AddNode("n1", 8);
  state_.UpsertPod(GpuPod(state_.names(), "low", 2, -5));
  state_.UpsertPod(GpuPod(state_.names(), "same", 2, 10));
  state_.UpsertPod(GpuPod(state_.names(), "mine", 2, 10));
  state_.UpsertPod(GpuPod(state_.names(), "moved", 2, -5));
  for (const char* k : {"default/low", "default/same", "default/mine", "default/moved"}) {
    state_.Reserve(k, state_.FindNode("n1"));
  }
  EXPECT_EQ(UsedGpus("n1"), 8);
  state_.BeginAttempt({&state_.FindPod("default/mine")->info}, 10);
  EXPECT_EQ(UsedGpus("n1"), 2);  // only "same": equal priority keeps its room
  state_.Reserve("default/moved", -1);  // a decision in the attempt stays
  state_.EndAttempt();
  EXPECT_EQ(UsedGpus("n1"), 6);
  EXPECT_EQ(state_.FindPod("default/moved")->reserved, -1);
  // An attempt that places its pod: its reservation is not put back, the charge is there.
  state_.BeginAttempt({&state_.FindPod("default/mine")->info}, 10);
  state_.Assume("default/mine", state_.FindNode("n1"));
  state_.EndAttempt();
  EXPECT_EQ(UsedGpus("n1"), 6);
  EXPECT_EQ(state_.reservations(), 2u);
  // An attempt that ends its own pod's nomination (its preemption finds no room any more):
  // the reservation it set aside is not put back.
  state_.BeginAttempt({&state_.FindPod("default/same")->info}, 10);
  state_.Reserve("default/same", -1);
  state_.EndAttempt();
  EXPECT_EQ(state_.FindPod("default/same")->reserved, -1);
  EXPECT_EQ(UsedGpus("n1"), 4);
  // Without reservations an attempt changes nothing.
  ClusterState empty;
  PodInfo x = Pod("x", 1);
  empty.BeginAttempt({&x}, 0);
  empty.EndAttempt();
  EXPECT_EQ(empty.reservations(), 0u);
}

TEST_F(ClusterStateTest, PodGroups) {
  PodGroupInfo g;
  g.ns = "ml";
  g.name = "job";
  g.key = "ml/job";
  g.min_member = 4;
  state_.UpsertPodGroup(g);
  ASSERT_NE(state_.FindPodGroup("ml/job"), nullptr);
  EXPECT_EQ(state_.FindPodGroup("ml/job")->min_member, 4);
  state_.RemovePodGroup("ml/job");
  EXPECT_EQ(state_.FindPodGroup("ml/job"), nullptr);
}

}  // namespace
}  // namespace shoal::scheduler
