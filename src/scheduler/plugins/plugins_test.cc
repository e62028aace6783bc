// Filters and scorers of the default profile, one plugin at a time, on hand-built nodes.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/cluster_state.h"
#include "scheduler/framework.h"
#include "scheduler/internal/test_util.h"
#include "scheduler/plugins/node_affinity.h"
#include "scheduler/plugins/node_resources.h"
#include "scheduler/plugins/node_unschedulable.h"
#include "scheduler/plugins/registry.h"
#include "scheduler/plugins/taint_toleration.h"

namespace shoal::scheduler::plugins {
namespace {

using internal::GpuNode;
using internal::GpuPod;
using internal::kGi;
using ::testing::ElementsAre;
using Op = NodeSelectorRequirement::Op;

NodeState Live(NodeInfo info) {
  NodeState n;
  n.info = std::move(info);
  n.live = true;
  return n;
}

std::vector<std::string> ReasonsOf(const FilterPlugin& f, const PodInfo& pod,
                                   const NodeState& node, const ResourceNames& names) {
  std::vector<std::string> out;
  f.Reasons(pod, node, names, out);
  return out;
}

Toleration Tol(std::string key, bool exists, std::string value = "", bool any_effect = true,
               TaintEffect effect = TaintEffect::kNoSchedule) {
  return Toleration{std::move(key), exists, std::move(value), any_effect, effect};
}

NodeSelectorRequirement Req(std::string key, Op op, std::vector<std::string> values = {}) {
  NodeSelectorRequirement r{std::move(key), op, std::move(values), 0};
  if ((op == Op::kGt || op == Op::kLt) && r.values.size() == 1) r.number = std::stoll(r.values[0]);
  return r;
}

NodeSelectorTerm Term(std::vector<NodeSelectorRequirement> exprs,
                      std::vector<NodeSelectorRequirement> fields = {}) {
  return NodeSelectorTerm{std::move(exprs), std::move(fields)};
}

// ----------------------------------------------------------------------------------------------
// NodeUnschedulable.

TEST(NodeUnschedulableTest, CordonedNodeNeedsTheToleration) {
  ResourceNames names;
  NodeUnschedulable f;
  PodInfo pod = GpuPod(names, "p", 1);
  NodeState open = Live(GpuNode(names, "n1", 8));
  NodeState cordoned = Live(GpuNode(names, "n2", 8));
  cordoned.info.unschedulable = true;

  EXPECT_TRUE(f.Filter(pod, open));
  EXPECT_FALSE(f.Filter(pod, cordoned));
  EXPECT_THAT(ReasonsOf(f, pod, cordoned, names), ElementsAre("node(s) were unschedulable"));
  EXPECT_FALSE(f.ResolvableByPreemption());

  pod.tolerations = {Tol("node.kubernetes.io/unschedulable", true, "", false,
                         TaintEffect::kNoSchedule)};
  EXPECT_TRUE(f.Filter(pod, cordoned));
  pod.tolerations = {Tol("node.kubernetes.io/unschedulable", true, "", false,
                         TaintEffect::kNoExecute)};
  EXPECT_FALSE(f.Filter(pod, cordoned));  // the cordon is a NoSchedule taint
  pod.tolerations = {Tol("", true)};
  EXPECT_TRUE(f.Filter(pod, cordoned));  // tolerates everything
}

// ----------------------------------------------------------------------------------------------
// NodeResourcesFit.

TEST(NodeResourcesFitTest, FitsWhatIsFree) {
  ResourceNames names;
  NodeResourcesFit f;
  const int gpu = names.gpu();
  NodeState node = Live(GpuNode(names, "n", 8));
  PodInfo pod = GpuPod(names, "p", 8);
  EXPECT_TRUE(f.Filter(pod, node));
  EXPECT_TRUE(f.ResolvableByPreemption());

  node.requested[gpu] = 1;
  EXPECT_FALSE(f.Filter(pod, node));
  EXPECT_THAT(ReasonsOf(f, pod, node, names), ElementsAre("Insufficient nvidia.com/gpu"));
  PodInfo seven = GpuPod(names, "q", 7);
  EXPECT_TRUE(f.Filter(seven, node));  // exactly what is left
}

TEST(NodeResourcesFitTest, TooManyPods) {
  ResourceNames names;
  NodeResourcesFit f;
  NodeState node = Live(GpuNode(names, "n", 8));
  node.requested[kPods] = 110;
  PodInfo pod = GpuPod(names, "p", 0);
  EXPECT_FALSE(f.Filter(pod, node));
  EXPECT_THAT(ReasonsOf(f, pod, node, names), ElementsAre("Too many pods"));
}

TEST(NodeResourcesFitTest, ReasonsNameEveryShortResourceInSlotOrder) {
  ResourceNames names;
  NodeResourcesFit f;
  NodeState node = Live(GpuNode(names, "n", 8));
  node.requested[kCpu] = 90'000;
  node.requested[kMemory] = 1500 * kGi;
  node.requested[names.gpu()] = 8;
  PodInfo pod = GpuPod(names, "p", 1);
  EXPECT_FALSE(f.Filter(pod, node));
  EXPECT_THAT(ReasonsOf(f, pod, node, names),
              ElementsAre("Insufficient cpu", "Insufficient memory",
                          "Insufficient nvidia.com/gpu"));
}

TEST(NodeResourcesFitTest, ResourcesNotRequestedDoNotMatter) {
  ResourceNames names;
  NodeResourcesFit f;
  NodeState cpu_node = Live(GpuNode(names, "cpu", 0));  // no GPUs at all
  EXPECT_TRUE(f.Filter(GpuPod(names, "p", 0), cpu_node));
  EXPECT_FALSE(f.Filter(GpuPod(names, "q", 1), cpu_node));
}

TEST(NodeResourcesFitTest, FitsAndFitCount) {
  Resources req, free;
  req[kCpu] = 1000;
  req[kPods] = 1;
  free[kCpu] = 3500;
  free[kPods] = 2;
  EXPECT_TRUE(Fits(req, free));
  EXPECT_EQ(FitCount(req, free), 2);  // pods run out first
  free[kPods] = 100;
  EXPECT_EQ(FitCount(req, free), 3);
  free[kCpu] = 0;
  EXPECT_FALSE(Fits(req, free));
  EXPECT_EQ(FitCount(req, free), 0);
  EXPECT_EQ(FitCount(Resources{}, free), INT32_MAX);
}

// ----------------------------------------------------------------------------------------------
// NodeAffinity.

class NodeAffinityTest : public ::testing::Test {
 protected:
  NodeAffinityTest() {
    node_ = Live(GpuNode(names_, "gpu-1", 8, "leaf-a", "spine-1"));
    node_.info.labels = {{"gen", "9"}, {"kubernetes.io/hostname", "gpu-1"}, {"zone", "a"}};
    pod_ = GpuPod(names_, "p", 1);
  }
  bool Matches(std::vector<NodeSelectorTerm> terms) {
    pod_.required_terms = std::move(terms);
    return f_.Filter(pod_, node_);
  }
  bool MatchesOne(NodeSelectorRequirement r) { return Matches({Term({std::move(r)})}); }

  ResourceNames names_;
  NodeAffinity f_;
  NodeState node_;
  PodInfo pod_;
};

TEST_F(NodeAffinityTest, NoRequirementsMatchEveryNode) { EXPECT_TRUE(f_.Filter(pod_, node_)); }

TEST_F(NodeAffinityTest, NodeSelectorNeedsEveryLabel) {
  pod_.node_selector = {{"gen", "9"}, {"zone", "a"}};
  EXPECT_TRUE(f_.Filter(pod_, node_));
  pod_.node_selector = {{"gen", "9"}, {"zone", "b"}};
  EXPECT_FALSE(f_.Filter(pod_, node_));
  pod_.node_selector = {{"rack", "1"}};
  EXPECT_FALSE(f_.Filter(pod_, node_));
  EXPECT_THAT(ReasonsOf(f_, pod_, node_, names_),
              ElementsAre("node(s) didn't match Pod's node affinity/selector"));
  EXPECT_FALSE(f_.ResolvableByPreemption());
}

TEST_F(NodeAffinityTest, Operators) {
  EXPECT_TRUE(MatchesOne(Req("zone", Op::kIn, {"b", "a"})));
  EXPECT_FALSE(MatchesOne(Req("zone", Op::kIn, {"b", "c"})));
  EXPECT_FALSE(MatchesOne(Req("rack", Op::kIn, {"a"})));
  EXPECT_FALSE(MatchesOne(Req("zone", Op::kNotIn, {"a"})));
  EXPECT_TRUE(MatchesOne(Req("zone", Op::kNotIn, {"b"})));
  EXPECT_TRUE(MatchesOne(Req("rack", Op::kNotIn, {"a"})));  // absent label is not in
  EXPECT_TRUE(MatchesOne(Req("zone", Op::kExists)));
  EXPECT_FALSE(MatchesOne(Req("rack", Op::kExists)));
  EXPECT_TRUE(MatchesOne(Req("rack", Op::kDoesNotExist)));
  EXPECT_FALSE(MatchesOne(Req("zone", Op::kDoesNotExist)));
  EXPECT_TRUE(MatchesOne(Req("gen", Op::kGt, {"8"})));
  EXPECT_FALSE(MatchesOne(Req("gen", Op::kGt, {"9"})));
  EXPECT_TRUE(MatchesOne(Req("gen", Op::kLt, {"10"})));
  EXPECT_FALSE(MatchesOne(Req("gen", Op::kLt, {"9"})));
  EXPECT_FALSE(MatchesOne(Req("zone", Op::kGt, {"0"})));  // not an integer
  EXPECT_FALSE(MatchesOne(Req("rack", Op::kLt, {"100"})));  // absent
}

TEST_F(NodeAffinityTest, MatchFieldsOnMetadataName) {
  EXPECT_TRUE(Matches({Term({}, {Req("metadata.name", Op::kIn, {"gpu-1", "gpu-2"})})}));
  EXPECT_FALSE(Matches({Term({}, {Req("metadata.name", Op::kIn, {"gpu-2"})})}));
  EXPECT_FALSE(Matches({Term({}, {Req("metadata.name", Op::kNotIn, {"gpu-1"})})}));
  // Only metadata.name is a field; a label key is not.
  EXPECT_FALSE(Matches({Term({}, {Req("zone", Op::kIn, {"a"})})}));
}

TEST_F(NodeAffinityTest, EmptyTermMatchesNothing) {
  EXPECT_FALSE(Matches({Term({})}));
  EXPECT_FALSE(TermMatches(Term({}), node_.info));
}

TEST_F(NodeAffinityTest, TermsAreOredRequirementsAnded) {
  NodeSelectorTerm wrong_zone = Term({Req("zone", Op::kIn, {"b"})});
  NodeSelectorTerm right = Term({Req("zone", Op::kIn, {"a"}), Req("gen", Op::kGt, {"5"})});
  NodeSelectorTerm half = Term({Req("zone", Op::kIn, {"a"}), Req("gen", Op::kGt, {"50"})});
  EXPECT_TRUE(Matches({wrong_zone, right}));
  EXPECT_FALSE(Matches({wrong_zone, half}));
  EXPECT_FALSE(Matches({half}));
  // Expressions and fields of one term are ANDed too.
  EXPECT_FALSE(Matches({Term({Req("zone", Op::kIn, {"a"})},
                             {Req("metadata.name", Op::kIn, {"gpu-9"})})}));
  EXPECT_TRUE(Matches({Term({Req("zone", Op::kIn, {"a"})},
                            {Req("metadata.name", Op::kIn, {"gpu-1"})})}));
  // The node selector and the affinity must both pass.
  pod_.node_selector = {{"zone", "b"}};
  EXPECT_FALSE(Matches({right}));
}

TEST_F(NodeAffinityTest, PreferredWeightsScoreTheShareMatched) {
  ClusterState state;
  NodeAffinityScore s;
  EXPECT_EQ(s.Score(pod_, node_, state), 0);  // no preferences
  pod_.preferred_terms = {{30, Term({Req("zone", Op::kIn, {"a"})})},
                          {70, Term({}, {Req("metadata.name", Op::kIn, {"gpu-1"})})}};
  EXPECT_EQ(s.Score(pod_, node_, state), 100);
  NodeState other = node_;
  other.info.name = "gpu-2";
  EXPECT_EQ(s.Score(pod_, other, state), 30);
  other.info.labels = {{"zone", "b"}};
  EXPECT_EQ(s.Score(pod_, other, state), 0);
  NodeState named = node_;
  named.info.labels.clear();
  EXPECT_EQ(s.Score(pod_, named, state), 70);
}

// ----------------------------------------------------------------------------------------------
// TaintToleration.

class TaintTolerationTest : public ::testing::Test {
 protected:
  TaintTolerationTest() {
    node_ = Live(GpuNode(names_, "n", 8));
    pod_ = GpuPod(names_, "p", 1);
  }
  ResourceNames names_;
  TaintToleration f_;
  TaintTolerationScore s_;
  ClusterState state_;
  NodeState node_;
  PodInfo pod_;
};

TEST_F(TaintTolerationTest, NoScheduleAndNoExecuteNeedTolerations) {
  node_.info.taints = {{"shoal.io/unhealthy", "", TaintEffect::kNoSchedule}};
  EXPECT_FALSE(f_.Filter(pod_, node_));
  EXPECT_THAT(ReasonsOf(f_, pod_, node_, names_),
              ElementsAre("node(s) had untolerated taint {shoal.io/unhealthy: }"));
  pod_.tolerations = {Tol("shoal.io/unhealthy", true)};
  EXPECT_TRUE(f_.Filter(pod_, node_));

  node_.info.taints = {{"dedicated", "ml", TaintEffect::kNoExecute}};
  pod_.tolerations = {};
  EXPECT_FALSE(f_.Filter(pod_, node_));
  pod_.tolerations = {Tol("dedicated", false, "web")};
  EXPECT_FALSE(f_.Filter(pod_, node_));  // wrong value
  pod_.tolerations = {Tol("dedicated", false, "ml")};
  EXPECT_TRUE(f_.Filter(pod_, node_));
  EXPECT_FALSE(f_.ResolvableByPreemption());
}

TEST_F(TaintTolerationTest, EveryTaintMustBeToleratedAndTheFirstMissIsReported) {
  node_.info.taints = {{"a", "1", TaintEffect::kNoSchedule},
                       {"b", "2", TaintEffect::kNoExecute},
                       {"c", "3", TaintEffect::kNoSchedule}};
  pod_.tolerations = {Tol("a", true)};
  EXPECT_FALSE(f_.Filter(pod_, node_));
  EXPECT_THAT(ReasonsOf(f_, pod_, node_, names_),
              ElementsAre("node(s) had untolerated taint {b: 2}"));
  pod_.tolerations = {Tol("a", true), Tol("b", true), Tol("c", false, "3")};
  EXPECT_TRUE(f_.Filter(pod_, node_));
}

TEST_F(TaintTolerationTest, EmptyKeyExistsToleratesAll) {
  node_.info.taints = {{"a", "1", TaintEffect::kNoSchedule},
                       {"b", "2", TaintEffect::kNoExecute},
                       {"c", "", TaintEffect::kPreferNoSchedule}};
  pod_.tolerations = {Tol("", true)};
  EXPECT_TRUE(f_.Filter(pod_, node_));
  EXPECT_EQ(s_.Score(pod_, node_, state_), 100);
}

TEST_F(TaintTolerationTest, EffectSpecificTolerations) {
  node_.info.taints = {{"gpu", "bad", TaintEffect::kNoExecute}};
  pod_.tolerations = {Tol("gpu", true, "", false, TaintEffect::kNoSchedule)};
  EXPECT_FALSE(f_.Filter(pod_, node_));
  pod_.tolerations = {Tol("gpu", true, "", false, TaintEffect::kNoExecute)};
  EXPECT_TRUE(f_.Filter(pod_, node_));
  // An empty key with Exists but one effect tolerates only taints of that effect.
  node_.info.taints = {{"x", "", TaintEffect::kNoSchedule}, {"y", "", TaintEffect::kNoExecute}};
  pod_.tolerations = {Tol("", true, "", false, TaintEffect::kNoSchedule)};
  EXPECT_FALSE(f_.Filter(pod_, node_));
  EXPECT_THAT(ReasonsOf(f_, pod_, node_, names_),
              ElementsAre("node(s) had untolerated taint {y: }"));
}

TEST_F(TaintTolerationTest, PreferNoScheduleDoesNotFilterButLowersTheScore) {
  EXPECT_EQ(s_.Score(pod_, node_, state_), 100);
  node_.info.taints = {{"soft", "1", TaintEffect::kPreferNoSchedule}};
  EXPECT_TRUE(f_.Filter(pod_, node_));
  EXPECT_EQ(s_.Score(pod_, node_, state_), 75);
  node_.info.taints.push_back({"soft2", "", TaintEffect::kPreferNoSchedule});
  EXPECT_EQ(s_.Score(pod_, node_, state_), 50);
  pod_.tolerations = {Tol("soft", true, "", false, TaintEffect::kPreferNoSchedule)};
  EXPECT_EQ(s_.Score(pod_, node_, state_), 75);
  // NoSchedule taints are the filter's business, not the score's.
  node_.info.taints = {{"hard", "", TaintEffect::kNoSchedule}};
  EXPECT_EQ(s_.Score(pod_, node_, state_), 100);
}

// ----------------------------------------------------------------------------------------------
// NodeResourcesScore.

// Four 8-GPU nodes: l1 = {a, b}, l2 = {c, d}. a and c have 4 GPUs used, d has 4 used too.
class NodeResourcesScoreTest : public ::testing::Test {
 protected:
  NodeResourcesScoreTest() {
    const ResourceNames& names = state_.names();
    using Pair = std::pair<const char*, const char*>;
    for (auto [node, leaf] : {Pair{"a", "l1"}, Pair{"b", "l1"}, Pair{"c", "l2"}, Pair{"d", "l2"}}) {
      state_.UpsertNode(GpuNode(names, node, 8, leaf, "s1"));
    }
    for (auto [pod, node] : {Pair{"pa", "a"}, Pair{"pc", "c"}, Pair{"pd", "d"}}) {
      state_.UpsertPod(internal::BoundTo(GpuPod(names, pod, 4), node));
    }
    pod_ = GpuPod(names, "p", 1);
  }
  const NodeState& N(const char* name) { return state_.node(state_.FindNode(name)); }

  ClusterState state_;
  PodInfo pod_;
};

TEST_F(NodeResourcesScoreTest, PackingPrefersTheFullerNodeAndLeaf) {
  NodeResourcesScore pack(ScoringStrategy::kPack);
  // Same leaf: the node with GPUs in use scores higher.
  EXPECT_GT(pack.Score(pod_, N("a"), state_), pack.Score(pod_, N("b"), state_));
  // Same node use (a and c hold 4 GPUs each): the leaf with more GPUs in use (l2: 8/16, l1:
  // 4/16) wins.
  EXPECT_GT(pack.Score(pod_, N("c"), state_), pack.Score(pod_, N("a"), state_));
  // The exact figure for a: node use after placing = avg(cpu 55*100/96, mem 800*100/1536,
  // gpu 5*100/8) = avg(57, 52, 62) = 57; leaf 4*100/16 = 25; (2*57 + 25) / 3 = 46.
  EXPECT_EQ(pack.Score(pod_, N("a"), state_), 46);
}

TEST_F(NodeResourcesScoreTest, PackingIgnoresTheLeafForPodsWithoutGpus) {
  NodeResourcesScore pack(ScoringStrategy::kPack);
  PodInfo cpu_pod = GpuPod(state_.names(), "cpu", 0);
  EXPECT_EQ(pack.Score(cpu_pod, N("a"), state_), pack.Score(cpu_pod, N("c"), state_));
}

TEST_F(NodeResourcesScoreTest, SpreadPrefersTheEmptierNode) {
  NodeResourcesScore spread(ScoringStrategy::kSpread);
  EXPECT_GT(spread.Score(pod_, N("b"), state_), spread.Score(pod_, N("a"), state_));
  // b empty: use after placing = avg(11, 10, 12) = 11.
  EXPECT_EQ(spread.Score(pod_, N("b"), state_), 89);
  // Spread looks at the node only.
  EXPECT_EQ(spread.Score(pod_, N("a"), state_), spread.Score(pod_, N("c"), state_));
}

// ----------------------------------------------------------------------------------------------
// The default profile.

TEST(DefaultProfileTest, PluginsInOrder) {
  Profile p = DefaultProfile(ScoringStrategy::kPack);
  std::vector<std::string> filters, scorers;
  for (const auto& f : p.filters) filters.emplace_back(f->Name());
  for (const auto& s : p.scorers) scorers.emplace_back(s->Name());
  EXPECT_THAT(filters, ElementsAre("NodeUnschedulable", "NodeAffinity", "TaintToleration",
                                   "NodeResourcesFit"));
  EXPECT_THAT(scorers, ElementsAre("NodeResourcesScore", "NodeAffinityScore",
                                   "TaintTolerationScore"));
}

TEST(DefaultProfileTest, FeasibleIgnoringResourcesSkipsOnlyTheResourceFilter) {
  ResourceNames names;
  Profile p = DefaultProfile(ScoringStrategy::kPack);
  NodeState full = Live(GpuNode(names, "n", 8));
  full.requested[names.gpu()] = 8;
  PodInfo pod = GpuPod(names, "p", 1);
  EXPECT_FALSE(p.Feasible(pod, full));
  EXPECT_TRUE(p.FeasibleIgnoringResources(pod, full));
  full.info.taints = {{"t", "", TaintEffect::kNoSchedule}};
  EXPECT_FALSE(p.FeasibleIgnoringResources(pod, full));
}

}  // namespace
}  // namespace shoal::scheduler::plugins
