#include "controllers/job_pod.h"

#include <gtest/gtest.h>

#include "api/object.h"

namespace shoal::controllers {
namespace {

boost::json::object Parse(std::string_view text) {
  auto v = api::ParseJson(text);
  EXPECT_TRUE(v.ok()) << text;
  return v->get_object();
}

TEST(JobIndexesTest, RoundTrip) {
  EXPECT_EQ(FormatIndexes({}), "");
  EXPECT_EQ(FormatIndexes({0, 1, 2, 3}), "0-3");
  EXPECT_EQ(FormatIndexes({1, 3, 4, 5, 7}), "1,3-5,7");
  EXPECT_EQ(ParseIndexes("1,3-5,7"), (std::set<int64_t>{1, 3, 4, 5, 7}));
  EXPECT_EQ(ParseIndexes(""), std::set<int64_t>{});
}

TEST(JobIndexesTest, ParseIgnoresMalformedAndOutOfRange) {
  EXPECT_EQ(ParseIndexes("x,2,5-3,-1,1-2", 10), (std::set<int64_t>{1, 2}));
  EXPECT_EQ(ParseIndexes("0-100", 3), (std::set<int64_t>{0, 1, 2}));
}

TEST(JobPodTest, ParsesWhatTheControllerUses) {
  JobPod p = ParseJobPod(Parse(R"({
    "metadata": {"name": "j-1-abc", "namespace": "ns", "uid": "u1",
      "creationTimestamp": "2026-11-23T08:00:00Z", "deletionTimestamp": "2026-11-23T08:01:00Z",
      "finalizers": ["other", "batch.kubernetes.io/job-tracking"],
      "annotations": {"batch.kubernetes.io/job-completion-index": "1"},
      "ownerReferences": [{"kind": "Job", "uid": "not-controller"},
                          {"kind": "Job", "uid": "job-uid", "controller": true}]},
    "spec": {"nodeName": "n1"},
    "status": {"phase": "Running",
      "conditions": [{"type": "Ready", "status": "True"}],
      "containerStatuses": [{"name": "main", "state": {"terminated": {"exitCode": 3}}}]}})"));
  EXPECT_EQ(p.job_uid, "job-uid");
  EXPECT_EQ(p.index, 1);
  EXPECT_TRUE(p.tracked);
  EXPECT_TRUE(p.terminating);
  EXPECT_TRUE(p.ready);
  EXPECT_EQ(p.node, "n1");
  ASSERT_EQ(p.exits.size(), 1u);
  EXPECT_EQ(p.exits[0].exit_code, 3);
  // Deleted before it succeeded: a failure (kube's isPodFailed), and not active.
  EXPECT_TRUE(p.Failed());
  EXPECT_FALSE(p.Active());
}

TEST(PodFailurePolicyTest, FirstMatchingRuleWins) {
  auto spec = Parse(R"({"podFailurePolicy": {"rules": [
    {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
    {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In",
                                          "values": [42]}},
    {"action": "Count", "onExitCodes": {"operator": "NotIn", "values": [1, 2]}}]}})");
  JobPod p;
  p.ns = "ns";
  p.name = "p";
  p.phase = "Failed";
  p.exits = {{"side", 42}, {"main", 42}};
  FailurePolicyMatch m = MatchPodFailurePolicy(spec, p);
  EXPECT_EQ(m.action, FailurePolicyMatch::Action::kFailJob);
  EXPECT_EQ(m.rule, 1);
  EXPECT_EQ(m.message,
            "Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 1");

  p.exits = {{"main", 1}};
  EXPECT_EQ(MatchPodFailurePolicy(spec, p).action, FailurePolicyMatch::Action::kNone);
  p.exits = {{"main", 7}};
  EXPECT_EQ(MatchPodFailurePolicy(spec, p).action, FailurePolicyMatch::Action::kCount);
  p.exits = {{"main", 0}};  // exit code 0 never matches, NotIn included
  EXPECT_EQ(MatchPodFailurePolicy(spec, p).action, FailurePolicyMatch::Action::kNone);
  p.conditions = {{"DisruptionTarget", "True"}};
  EXPECT_EQ(MatchPodFailurePolicy(spec, p).action, FailurePolicyMatch::Action::kIgnore);
  p.phase = "Running";  // only failed pods are judged
  EXPECT_EQ(MatchPodFailurePolicy(spec, p).action, FailurePolicyMatch::Action::kNone);
}

}  // namespace
}  // namespace shoal::controllers

namespace shoal::controllers {
namespace {

TEST(NewJobPodTest, IndexedGangPod) {
  auto job = Parse(R"({"metadata": {"name": "train", "namespace": "ml", "uid": "j-1"},
    "spec": {"template": {
      "metadata": {"labels": {"app": "t"}, "annotations": {"note": "x"}},
      "spec": {"restartPolicy": "Never",
               "initContainers": [{"name": "init", "command": ["true"]}],
               "containers": [{"name": "main", "command": ["run"],
                               "env": [{"name": "A", "value": "1"}]}]}}}})");
  boost::json::object pod = NewJobPod(job, 3, /*gang=*/true);
  EXPECT_EQ(api::StringAt(pod, "metadata.generateName"), "train-3-");
  EXPECT_EQ(api::StringAt(pod, "metadata.namespace"), "ml");
  EXPECT_EQ(api::StringAt(pod, "spec.hostname"), "train-3");
  const auto& meta = pod.at("metadata").as_object();
  EXPECT_EQ(meta.at("labels").at("app").as_string(), "t");
  EXPECT_EQ(meta.at("labels").at("batch.kubernetes.io/job-completion-index").as_string(), "3");
  EXPECT_EQ(meta.at("labels").at("scheduling.x-k8s.io/pod-group").as_string(), "train");
  EXPECT_EQ(meta.at("annotations").at("note").as_string(), "x");
  EXPECT_EQ(meta.at("annotations").at("batch.kubernetes.io/job-completion-index").as_string(),
            "3");
  EXPECT_EQ(boost::json::serialize(meta.at("finalizers")),
            R"(["batch.kubernetes.io/job-tracking"])");
  const auto& owner = meta.at("ownerReferences").as_array()[0].as_object();
  EXPECT_EQ(owner.at("uid").as_string(), "j-1");
  EXPECT_TRUE(owner.at("controller").as_bool());
  EXPECT_TRUE(owner.at("blockOwnerDeletion").as_bool());
  for (const char* list : {"initContainers", "containers"}) {
    const auto& env = pod.at("spec").at(list).as_array()[0].at("env").as_array();
    const auto& last = env.back().as_object();
    EXPECT_EQ(last.at("name").as_string(), "JOB_COMPLETION_INDEX") << list;
    EXPECT_EQ(api::StringAt(last, "valueFrom.fieldRef.fieldPath"),
              "metadata.annotations['batch.kubernetes.io/job-completion-index']");
  }
  EXPECT_EQ(pod.at("spec").at("containers").as_array()[0].at("env").as_array().size(), 2u);
}

TEST(NewJobPodTest, NonIndexedPodKeepsTheTemplate) {
  auto job = Parse(R"({"metadata": {"name": "j", "namespace": "d", "uid": "u"},
    "spec": {"template": {"metadata": {"labels": {"scheduling.x-k8s.io/pod-group": "mine"},
                                       "finalizers": ["example.com/hold"]},
                          "spec": {"hostname": "h", "containers": [{"name": "c"}]}}}})");
  boost::json::object pod = NewJobPod(job, -1, /*gang=*/true);
  EXPECT_EQ(api::StringAt(pod, "metadata.generateName"), "j-");
  EXPECT_EQ(api::StringAt(pod, "spec.hostname"), "h");
  EXPECT_EQ(pod.at("metadata").at("labels").at("scheduling.x-k8s.io/pod-group").as_string(),
            "mine");
  EXPECT_FALSE(pod.at("metadata").as_object().contains("annotations"));
  EXPECT_EQ(boost::json::serialize(pod.at("metadata").at("finalizers")),
            R"(["example.com/hold","batch.kubernetes.io/job-tracking"])");
  EXPECT_FALSE(pod.at("spec").at("containers").as_array()[0].as_object().contains("env"));
}

}  // namespace
}  // namespace shoal::controllers
