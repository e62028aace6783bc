#include "scheduler/types.h"

#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::scheduler {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using Op = NodeSelectorRequirement::Op;

constexpr int64_t kMi = int64_t{1} << 20;
constexpr int64_t kGi = int64_t{1} << 30;
constexpr int64_t kTi = int64_t{1} << 40;

json::object Parse(std::string_view text) { return json::parse(text).as_object(); }

absl::StatusOr<PodInfo> Pod(std::string_view text, ResourceNames& names) {
  return PodInfoFromJson(Parse(text), names);
}

// A pod whose spec is `spec` (a JSON object body without braces).
absl::StatusOr<PodInfo> PodWithSpec(std::string_view spec, ResourceNames& names) {
  return Pod(base::StrCat(R"({"metadata": {"namespace": "ns", "name": "p"}, "spec": {)", spec,
                          "}}"),
             names);
}

// ----------------------------------------------------------------------------------------------
// PodInfoFromJson: identity and status.

TEST(PodInfoFromJsonTest, ReadsIdentityAndStatus) {
  ResourceNames names;
  auto p = Pod(R"({
    "metadata": {"namespace": "ml", "name": "trainer-0", "uid": "u1",
                 "creationTimestamp": "2024-01-02T03:04:05Z", "resourceVersion": "42"},
    "spec": {"nodeName": "n7", "containers": []},
    "status": {"phase": "Running", "nominatedNodeName": "n3"}})",
               names);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->ns, "ml");
  EXPECT_EQ(p->name, "trainer-0");
  EXPECT_EQ(p->uid, "u1");
  EXPECT_EQ(p->key, "ml/trainer-0");
  EXPECT_EQ(p->creation, "2024-01-02T03:04:05Z");
  EXPECT_EQ(p->resource_version, 42);
  EXPECT_EQ(p->scheduler_name, "default-scheduler");
  EXPECT_EQ(p->node_name, "n7");
  EXPECT_EQ(p->nominated_node, "n3");
  EXPECT_FALSE(p->terminal);
  EXPECT_FALSE(p->deleting);
  EXPECT_FALSE(p->gated);
  EXPECT_EQ(p->priority, 0);
  EXPECT_FALSE(p->preempt_never);
  EXPECT_EQ(p->gang, "");
  EXPECT_TRUE(p->tolerations.empty());
  EXPECT_TRUE(p->node_selector.empty());
  EXPECT_TRUE(p->required_terms.empty());
}

TEST(PodInfoFromJsonTest, TerminalPhases) {
  ResourceNames names;
  for (const char* phase : {"Succeeded", "Failed"}) {
    auto p = Pod(base::StrCat(R"({"metadata": {"name": "p"}, "status": {"phase": ")", phase,
                              R"("}})"),
                 names);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_TRUE(p->terminal) << phase;
  }
  for (const char* phase : {"Pending", "Running", "Unknown"}) {
    auto p = Pod(base::StrCat(R"({"metadata": {"name": "p"}, "status": {"phase": ")", phase,
                              R"("}})"),
                 names);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_FALSE(p->terminal) << phase;
  }
}

TEST(PodInfoFromJsonTest, DeletingGatedAndSchedulerName) {
  ResourceNames names;
  auto p = Pod(R"({
    "metadata": {"namespace": "ns", "name": "p", "deletionTimestamp": "2024-01-01T00:00:00Z"},
    "spec": {"schedulerName": "shoal", "schedulingGates": [{"name": "wait"}]}})",
               names);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->deleting);
  EXPECT_TRUE(p->gated);
  EXPECT_EQ(p->scheduler_name, "shoal");

  auto empty_gates = PodWithSpec(R"("schedulingGates": [])", names);
  ASSERT_TRUE(empty_gates.ok());
  EXPECT_FALSE(empty_gates->gated);
}

// ----------------------------------------------------------------------------------------------
// PodInfoFromJson: requests.

TEST(PodInfoFromJsonTest, RequestsAreSummedOverContainers) {
  ResourceNames names;
  auto p = PodWithSpec(R"("containers": [
      {"name": "a", "resources": {"requests": {"cpu": "500m", "memory": "1Gi",
                                               "nvidia.com/gpu": "2"}}},
      {"name": "b", "resources": {"requests": {"cpu": "1.5", "memory": "512Mi",
                                               "ephemeral-storage": "10Gi",
                                               "nvidia.com/gpu": 1}}}])",
                       names);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->requests[kCpu], 2000);  // millicores
  EXPECT_EQ(p->requests[kMemory], kGi + 512 * kMi);
  EXPECT_EQ(p->requests[kEphemeral], 10 * kGi);
  EXPECT_EQ(p->requests[kPods], 1);
  EXPECT_EQ(names.gpu(), kFirstExtended);
  EXPECT_EQ(p->requests[names.gpu()], 3);
}

TEST(PodInfoFromJsonTest, PodWithoutContainersStillCountsOnePod) {
  ResourceNames names;
  auto p = PodWithSpec(R"("containers": [{"name": "a"}])", names);
  ASSERT_TRUE(p.ok()) << p.status();
  Resources want;
  want[kPods] = 1;
  EXPECT_EQ(p->requests, want);
}

TEST(PodInfoFromJsonTest, InitContainersByTheMaxRule) {
  ResourceNames names;
  // Containers sum to cpu 1, memory 3Gi; the largest init container asks for cpu 4 and 1Gi,
  // another for 2Gi of memory: the pod needs max per resource, cpu 4 and memory 3Gi.
  auto p = PodWithSpec(R"(
      "initContainers": [
        {"name": "i1", "resources": {"requests": {"cpu": "4", "memory": "1Gi"}}},
        {"name": "i2", "resources": {"requests": {"memory": "2Gi", "nvidia.com/gpu": "1"}}}],
      "containers": [
        {"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}}},
        {"name": "b", "resources": {"requests": {"cpu": "750m", "memory": "2Gi"}}}])",
                       names);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->requests[kCpu], 4000);
  EXPECT_EQ(p->requests[kMemory], 3 * kGi);
  EXPECT_EQ(p->requests[names.gpu()], 1);  // only an init container asks for one
  EXPECT_EQ(p->requests[kPods], 1);
}

TEST(PodInfoFromJsonTest, LimitsStandInForMissingRequests) {
  ResourceNames names;
  auto p = PodWithSpec(R"("containers": [
      {"name": "a", "resources": {"limits": {"cpu": "2", "memory": "1Gi",
                                             "nvidia.com/gpu": "8"}}},
      {"name": "b", "resources": {"requests": {"cpu": "100m"},
                                  "limits": {"cpu": "3", "memory": "256Mi"}}}])",
                       names);
  ASSERT_TRUE(p.ok()) << p.status();
  // a: requests = limits. b: cpu request 100m wins over its limit; memory from the limit.
  EXPECT_EQ(p->requests[kCpu], 2100);
  EXPECT_EQ(p->requests[kMemory], kGi + 256 * kMi);
  EXPECT_EQ(p->requests[names.gpu()], 8);
}

TEST(PodInfoFromJsonTest, OverheadIsAddedAfterTheMaxRule) {
  ResourceNames names;
  auto p = PodWithSpec(R"(
      "overhead": {"cpu": "250m", "memory": "64Mi"},
      "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "2"}}}],
      "containers": [{"name": "a", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}])",
                       names);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->requests[kCpu], 2250);
  EXPECT_EQ(p->requests[kMemory], kGi + 64 * kMi);
}

TEST(PodInfoFromJsonTest, ExtendedResourcesGetTheirOwnSlots) {
  ResourceNames names;
  auto p = PodWithSpec(R"("containers": [
      {"name": "a", "resources": {"requests": {"example.com/foo": "3",
                                               "nvidia.com/gpu": "1"}}}])",
                       names);
  ASSERT_TRUE(p.ok()) << p.status();
  const int foo = names.Find("example.com/foo");
  EXPECT_EQ(foo, kFirstExtended + 1);
  EXPECT_EQ(p->requests[foo], 3);
  EXPECT_EQ(p->requests[names.gpu()], 1);
}

TEST(PodInfoFromJsonTest, BadQuantityIsInvalidArgument) {
  ResourceNames names;
  auto p = PodWithSpec(R"("containers": [
      {"name": "a", "resources": {"requests": {"cpu": "1.2.3"}}}])",
                       names);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("resource cpu"));

  auto limit = PodWithSpec(R"("containers": [
      {"name": "a", "resources": {"limits": {"memory": "12Zi"}}}])",
                           names);
  ASSERT_FALSE(limit.ok());
  EXPECT_EQ(limit.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(limit.status().message()), HasSubstr("resource memory"));

  auto overhead = PodWithSpec(R"("overhead": {"cpu": true})", names);
  EXPECT_EQ(overhead.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PodInfoFromJsonTest, TooManyExtendedResourcesIsResourceExhausted) {
  ResourceNames names;
  std::string requests;
  for (int i = 0; i < kMaxResources; ++i) {
    base::StrAppend(&requests, i == 0 ? "" : ", ", "\"example.com/r", i, "\": \"1\"");
  }
  auto p = PodWithSpec(base::StrCat(R"("containers": [{"name": "a", "resources": {"requests": {)",
                                    requests, "}}}]"),
                       names);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kResourceExhausted);
}

// ----------------------------------------------------------------------------------------------
// PodInfoFromJson: priority, gang, tolerations, selectors.

TEST(PodInfoFromJsonTest, PriorityPreemptionPolicyAndGang) {
  ResourceNames names;
  auto p = Pod(R"({
    "metadata": {"namespace": "ml", "name": "w-3",
                 "labels": {"scheduling.x-k8s.io/pod-group": "job-a", "app": "x"}},
    "spec": {"priority": 1000, "preemptionPolicy": "Never"}})",
               names);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->priority, 1000);
  EXPECT_TRUE(p->preempt_never);
  EXPECT_EQ(p->gang, "job-a");

  auto neg = PodWithSpec(R"("priority": -5, "preemptionPolicy": "PreemptLowerPriority")", names);
  ASSERT_TRUE(neg.ok());
  EXPECT_EQ(neg->priority, -5);
  EXPECT_FALSE(neg->preempt_never);
}

TEST(PodInfoFromJsonTest, Tolerations) {
  ResourceNames names;
  auto p = PodWithSpec(R"("tolerations": [
      {"key": "gpu", "operator": "Equal", "value": "a100", "effect": "NoSchedule"},
      {"key": "shoal.io/unhealthy", "operator": "Exists", "effect": "NoExecute"},
      {"operator": "Exists"},
      {"key": "soft", "value": "v", "effect": "PreferNoSchedule"}])",
                       names);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->tolerations.size(), 4u);
  const Toleration& t0 = p->tolerations[0];
  EXPECT_EQ(t0.key, "gpu");
  EXPECT_FALSE(t0.exists);
  EXPECT_EQ(t0.value, "a100");
  EXPECT_FALSE(t0.any_effect);
  EXPECT_EQ(t0.effect, TaintEffect::kNoSchedule);
  const Toleration& t1 = p->tolerations[1];
  EXPECT_TRUE(t1.exists);
  EXPECT_FALSE(t1.any_effect);
  EXPECT_EQ(t1.effect, TaintEffect::kNoExecute);
  const Toleration& t2 = p->tolerations[2];
  EXPECT_EQ(t2.key, "");
  EXPECT_TRUE(t2.exists);
  EXPECT_TRUE(t2.any_effect);
  const Toleration& t3 = p->tolerations[3];
  EXPECT_FALSE(t3.exists);  // no operator means Equal
  EXPECT_EQ(t3.effect, TaintEffect::kPreferNoSchedule);
}

TEST(PodInfoFromJsonTest, NodeSelectorIsSortedByKey) {
  ResourceNames names;
  auto p = PodWithSpec(R"("nodeSelector": {"zone": "b", "accelerator": "h100", "n": 3})", names);
  ASSERT_TRUE(p.ok()) << p.status();
  // Non-string values are ignored.
  EXPECT_THAT(p->node_selector, ElementsAre(Pair("accelerator", "h100"), Pair("zone", "b")));
  ASSERT_NE(FindLabel(p->node_selector, "zone"), nullptr);
  EXPECT_EQ(*FindLabel(p->node_selector, "zone"), "b");
  EXPECT_EQ(FindLabel(p->node_selector, "rack"), nullptr);
}

TEST(PodInfoFromJsonTest, RequiredAndPreferredAffinity) {
  ResourceNames names;
  auto p = PodWithSpec(R"("affinity": {"nodeAffinity": {
      "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [
           {"key": "zone", "operator": "In", "values": ["a", "b"]},
           {"key": "gpus", "operator": "Gt", "values": ["4"]},
           {"key": "rack", "operator": "DoesNotExist"}]},
        {"matchExpressions": [{"key": "gen", "operator": "Lt", "values": ["-3"]},
                              {"key": "pool", "operator": "NotIn", "values": ["x"]},
                              {"key": "fast", "operator": "Exists"}],
         "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]},
      "preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 30, "preference": {"matchExpressions": [
           {"key": "zone", "operator": "In", "values": ["a"]}]}},
        {"weight": 70, "preference": {"matchFields": [
           {"key": "metadata.name", "operator": "NotIn", "values": ["n2"]}]}}]}})",
                       names);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->required_terms.size(), 2u);
  const auto& t0 = p->required_terms[0].match_expressions;
  ASSERT_EQ(t0.size(), 3u);
  EXPECT_EQ(t0[0].key, "zone");
  EXPECT_EQ(t0[0].op, Op::kIn);
  EXPECT_THAT(t0[0].values, ElementsAre("a", "b"));
  EXPECT_EQ(t0[1].op, Op::kGt);
  EXPECT_EQ(t0[1].number, 4);
  EXPECT_EQ(t0[2].op, Op::kDoesNotExist);
  EXPECT_TRUE(p->required_terms[0].match_fields.empty());
  const auto& t1 = p->required_terms[1];
  ASSERT_EQ(t1.match_expressions.size(), 3u);
  EXPECT_EQ(t1.match_expressions[0].op, Op::kLt);
  EXPECT_EQ(t1.match_expressions[0].number, -3);
  EXPECT_EQ(t1.match_expressions[1].op, Op::kNotIn);
  EXPECT_EQ(t1.match_expressions[2].op, Op::kExists);
  ASSERT_EQ(t1.match_fields.size(), 1u);
  EXPECT_EQ(t1.match_fields[0].key, "metadata.name");
  EXPECT_THAT(t1.match_fields[0].values, ElementsAre("n1"));

  ASSERT_EQ(p->preferred_terms.size(), 2u);
  EXPECT_EQ(p->preferred_terms[0].weight, 30);
  ASSERT_EQ(p->preferred_terms[0].term.match_expressions.size(), 1u);
  EXPECT_EQ(p->preferred_terms[0].term.match_expressions[0].key, "zone");
  EXPECT_EQ(p->preferred_terms[1].weight, 70);
  ASSERT_EQ(p->preferred_terms[1].term.match_fields.size(), 1u);
  EXPECT_EQ(p->preferred_terms[1].term.match_fields[0].op, Op::kNotIn);
}

TEST(PodInfoFromJsonTest, BadSelectorsAreInvalidArgument) {
  ResourceNames names;
  auto affinity = [&](std::string_view expr) {
    return PodWithSpec(base::StrCat(R"("affinity": {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
          {"matchExpressions": [)",
                                    expr, "]}]}}}"),
                       names);
  };
  auto unknown_op = affinity(R"({"key": "k", "operator": "Near", "values": ["a"]})");
  EXPECT_EQ(unknown_op.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(unknown_op.status().message()), HasSubstr("\"Near\""));

  auto not_a_number = affinity(R"({"key": "gpus", "operator": "Gt", "values": ["four"]})");
  EXPECT_EQ(not_a_number.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(not_a_number.status().message()), HasSubstr("gpus"));

  auto two_values = affinity(R"({"key": "gpus", "operator": "Lt", "values": ["1", "2"]})");
  EXPECT_EQ(two_values.status().code(), absl::StatusCode::kInvalidArgument);

  auto preferred = PodWithSpec(R"("affinity": {"nodeAffinity": {
      "preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 1, "preference": {"matchExpressions": [
           {"key": "k", "operator": "Gt", "values": []}]}}]}})",
                               names);
  EXPECT_EQ(preferred.status().code(), absl::StatusCode::kInvalidArgument);
}

// ----------------------------------------------------------------------------------------------
// NodeInfoFromJson.

TEST(NodeInfoFromJsonTest, ReadsTaintsAllocatableAndTopology) {
  ResourceNames names;
  auto n = NodeInfoFromJson(Parse(R"({
    "metadata": {"name": "gpu-17", "labels": {
      "topology.shoal.io/leaf": "leaf-3", "topology.shoal.io/spine": "spine-1",
      "kubernetes.io/hostname": "gpu-17"}},
    "spec": {"unschedulable": true, "taints": [
      {"key": "shoal.io/unhealthy", "effect": "NoSchedule"},
      {"key": "dedicated", "value": "ml", "effect": "NoExecute"},
      {"key": "soft", "value": "x", "effect": "PreferNoSchedule"}]},
    "status": {"allocatable": {"cpu": "96", "memory": "1536Gi", "pods": "110",
                               "nvidia.com/gpu": "8", "ephemeral-storage": "1Ti"},
               "conditions": [{"type": "MemoryPressure", "status": "False"},
                              {"type": "Ready", "status": "True"}]}})"),
                            names, TopologyKeys{});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->name, "gpu-17");
  EXPECT_EQ(n->leaf, "leaf-3");
  EXPECT_EQ(n->spine, "spine-1");
  EXPECT_TRUE(n->unschedulable);
  EXPECT_TRUE(n->ready);
  EXPECT_EQ(n->allocatable[kCpu], 96'000);
  EXPECT_EQ(n->allocatable[kMemory], 1536 * kGi);
  EXPECT_EQ(n->allocatable[kEphemeral], kTi);
  EXPECT_EQ(n->allocatable[kPods], 110);
  EXPECT_EQ(n->allocatable[names.gpu()], 8);
  ASSERT_EQ(n->taints.size(), 3u);
  EXPECT_EQ(n->taints[0].key, "shoal.io/unhealthy");
  EXPECT_EQ(n->taints[0].value, "");
  EXPECT_EQ(n->taints[0].effect, TaintEffect::kNoSchedule);
  EXPECT_EQ(n->taints[0].Describe(), "{shoal.io/unhealthy: }");
  EXPECT_EQ(n->taints[1].effect, TaintEffect::kNoExecute);
  EXPECT_EQ(n->taints[1].Describe(), "{dedicated: ml}");
  EXPECT_EQ(n->taints[2].effect, TaintEffect::kPreferNoSchedule);
  EXPECT_THAT(n->labels, ElementsAre(Pair("kubernetes.io/hostname", "gpu-17"),
                                     Pair("topology.shoal.io/leaf", "leaf-3"),
                                     Pair("topology.shoal.io/spine", "spine-1")));
}

TEST(NodeInfoFromJsonTest, DefaultsAndCustomTopologyKeys) {
  ResourceNames names;
  TopologyKeys keys{"net/tor", "net/pod"};
  auto n = NodeInfoFromJson(Parse(R"({
    "metadata": {"name": "n", "labels": {"net/tor": "t9", "topology.shoal.io/leaf": "ignored"}},
    "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}})"),
                            names, keys);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->leaf, "t9");
  EXPECT_EQ(n->spine, "");
  EXPECT_FALSE(n->unschedulable);
  EXPECT_FALSE(n->ready);
  EXPECT_TRUE(n->taints.empty());
  EXPECT_TRUE(n->allocatable.IsZero());
}

TEST(NodeInfoFromJsonTest, BadAllocatableIsInvalidArgument) {
  ResourceNames names;
  auto n = NodeInfoFromJson(
      Parse(R"({"metadata": {"name": "n"}, "status": {"allocatable": {"cpu": "lots"}}})"), names,
      TopologyKeys{});
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
}

// ----------------------------------------------------------------------------------------------
// PodGroupInfoFromJson.

TEST(PodGroupInfoFromJsonTest, ReadsMinMemberTimeoutAndTopology) {
  PodGroupInfo g = PodGroupInfoFromJson(Parse(R"({
    "metadata": {"namespace": "ml", "name": "job-a",
                 "annotations": {"shoal.io/topology": "leaf"}},
    "spec": {"minMember": 32, "scheduleTimeoutSeconds": 120}})"));
  EXPECT_EQ(g.ns, "ml");
  EXPECT_EQ(g.name, "job-a");
  EXPECT_EQ(g.key, "ml/job-a");
  EXPECT_EQ(g.min_member, 32);
  EXPECT_EQ(g.schedule_timeout_seconds, 120);
  EXPECT_EQ(g.locality, PodGroupInfo::Locality::kLeaf);

  PodGroupInfo spine = PodGroupInfoFromJson(Parse(R"({
    "metadata": {"namespace": "ml", "name": "b", "annotations": {"shoal.io/topology": "spine"}},
    "spec": {"minMember": 0}})"));
  EXPECT_EQ(spine.locality, PodGroupInfo::Locality::kSpine);
  EXPECT_EQ(spine.min_member, 1);  // at least one
  EXPECT_EQ(spine.schedule_timeout_seconds, 0);

  PodGroupInfo plain = PodGroupInfoFromJson(Parse(R"({
    "metadata": {"namespace": "ml", "name": "c", "annotations": {"shoal.io/topology": "rack"}}})"));
  EXPECT_EQ(plain.locality, PodGroupInfo::Locality::kPreferred);
  EXPECT_EQ(plain.min_member, 1);
}

// ----------------------------------------------------------------------------------------------
// Toleration::Tolerates.

TEST(TolerationTest, MatchesKubernetesRules) {
  const Taint gpu_ns{"gpu", "a100", TaintEffect::kNoSchedule};
  const Taint gpu_ne{"gpu", "a100", TaintEffect::kNoExecute};
  Toleration equal{"gpu", false, "a100", true, TaintEffect::kNoSchedule};
  EXPECT_TRUE(equal.Tolerates(gpu_ns));
  EXPECT_TRUE(equal.Tolerates(gpu_ne));  // effect "" matches every effect
  EXPECT_FALSE(equal.Tolerates(Taint{"gpu", "h100", TaintEffect::kNoSchedule}));
  EXPECT_FALSE(equal.Tolerates(Taint{"other", "a100", TaintEffect::kNoSchedule}));

  Toleration exists{"gpu", true, "", false, TaintEffect::kNoExecute};
  EXPECT_TRUE(exists.Tolerates(gpu_ne));
  EXPECT_FALSE(exists.Tolerates(gpu_ns));  // effect-specific

  Toleration all{"", true, "", true, TaintEffect::kNoSchedule};
  EXPECT_TRUE(all.Tolerates(gpu_ns));
  EXPECT_TRUE(all.Tolerates(Taint{"x", "", TaintEffect::kPreferNoSchedule}));

  Toleration empty_key_equal{"", false, "", true, TaintEffect::kNoSchedule};
  EXPECT_FALSE(empty_key_equal.Tolerates(gpu_ns));
}

}  // namespace
}  // namespace shoal::scheduler
