#include "controllers/queue_objects.h"

#include <boost/json.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::controllers {
namespace {

namespace json = boost::json;

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

TEST(QueueObjectsTest, ParsesTheKueueExampleClusterQueue) {
  ClusterQueueSpec q = ParseClusterQueue(Obj(R"({"metadata":{"name":"cluster-queue"},
      "spec":{"namespaceSelector":{},"cohort":"org","queueingStrategy":"StrictFIFO",
        "preemption":{"reclaimWithinCohort":"Any","withinClusterQueue":"LowerPriority"},
        "fairSharing":{"weight":"1500m"},
        "resourceGroups":[{"coveredResources":["cpu","memory"],"flavors":[
          {"name":"default-flavor","resources":[
            {"name":"cpu","nominalQuota":9,"borrowingLimit":"500m"},
            {"name":"memory","nominalQuota":"36Gi","lendingLimit":"1Gi"}]}]}]}})"));
  EXPECT_EQ(q.name, "cluster-queue");
  EXPECT_EQ(q.cohort, "org");
  EXPECT_TRUE(q.strict_fifo);
  EXPECT_EQ(q.reclaim_within_cohort, PreemptionPolicy::kAny);
  EXPECT_EQ(q.within_cluster_queue, PreemptionPolicy::kLowerPriority);
  EXPECT_DOUBLE_EQ(q.weight, 1.5);
  ASSERT_EQ(q.groups.size(), 1u);
  EXPECT_THAT(q.groups[0].covered, ::testing::ElementsAre("cpu", "memory"));
  const FlavorQuotas& f = q.groups[0].flavors.at(0);
  EXPECT_EQ(f.flavor, "default-flavor");
  EXPECT_EQ(f.resources.at("cpu").nominal, 9000);
  EXPECT_EQ(f.resources.at("cpu").borrowing_limit, 500);
  EXPECT_EQ(f.resources.at("memory").nominal, int64_t{36} << 30);
  EXPECT_EQ(f.resources.at("memory").lending_limit, int64_t{1} << 30);
  EXPECT_FALSE(f.resources.at("cpu").lending_limit.has_value());
}

TEST(QueueObjectsTest, ParsesAFlavor) {
  ResourceFlavorSpec f = ParseResourceFlavor(Obj(R"({"metadata":{"name":"reserved"},
      "spec":{"nodeLabels":{"pool":"research"},
        "nodeTaints":[{"key":"pool","value":"research","effect":"NoSchedule"}],
        "tolerations":[{"key":"pool","operator":"Equal","value":"research",
                        "effect":"NoSchedule"}]}})"));
  EXPECT_EQ(f.node_labels.at("pool"), "research");
  ASSERT_EQ(f.node_taints.size(), 1u);
  EXPECT_TRUE(ToleratedByAny(f.tolerations, f.node_taints[0]));
  EXPECT_FALSE(f.topology_aware);
  EXPECT_TRUE(ParseResourceFlavor(Obj(R"({"metadata":{"name":"tas"},
      "spec":{"topologyName":"default"}})")).topology_aware);
}

TEST(QueueObjectsTest, AJobsWorkload) {
  json::object job = Obj(R"({"apiVersion":"batch/v1","kind":"Job",
      "metadata":{"name":"train","namespace":"ml","uid":"3f2a9c1e-0000-4000-8000-000000000000",
        "labels":{"kueue.x-k8s.io/queue-name":"gpus"}},
      "spec":{"parallelism":16,"completions":4,"template":{"spec":{"containers":[
        {"name":"c","resources":{"requests":{"nvidia.com/gpu":"8"}}}]}}}})");
  EXPECT_EQ(WorkloadNameForJob("train", "3f2a9c1e-0000"), "job-train-3f2a9");
  json::object w = WorkloadForJob(job, 100, "high");
  EXPECT_EQ(w.at("metadata").at("name"), "job-train-3f2a9");
  EXPECT_EQ(w.at("metadata").at("namespace"), "ml");
  const json::object& owner = w.at("metadata").at("ownerReferences").at(0).as_object();
  EXPECT_EQ(owner.at("kind"), "Job");
  EXPECT_EQ(owner.at("controller"), true);
  const json::object& spec = w.at("spec").as_object();
  EXPECT_EQ(spec.at("queueName"), "gpus");
  EXPECT_EQ(spec.at("priority"), 100);
  EXPECT_EQ(spec.at("priorityClassName"), "high");
  EXPECT_EQ(spec.at("podSets").at(0).at("count"), 4);  // min(parallelism, completions)

  // Read back, as the controller sees it: pending, then admitted.
  w["metadata"].as_object()["creationTimestamp"] = "2026-12-03T00:00:00Z";
  WorkloadInfo pending = ParseWorkload(w);
  EXPECT_EQ(pending.key, "ml/job-train-3f2a9");
  EXPECT_EQ(pending.priority, 100);
  ASSERT_EQ(pending.pod_sets.size(), 1u);
  EXPECT_EQ(pending.pod_sets[0].per_pod.at("nvidia.com/gpu"), 8);
  EXPECT_FALSE(pending.admitted.has_value());
  w["status"] = json::parse(R"({"admission":{"clusterQueue":"research","podSetAssignments":[
      {"name":"main","flavors":{"nvidia.com/gpu":"h100"},
       "resourceUsage":{"nvidia.com/gpu":"32"},"count":4}]},
    "conditions":[{"type":"QuotaReserved","status":"True",
                   "lastTransitionTime":"2026-12-03T00:00:05Z"}]})");
  WorkloadInfo admitted = ParseWorkload(w);
  ASSERT_TRUE(admitted.admitted.has_value());
  EXPECT_EQ(admitted.cluster_queue, "research");
  EXPECT_EQ(admitted.admitted_at, "2026-12-03T00:00:05Z");
  EXPECT_EQ(admitted.admitted->usage.at("h100").at("nvidia.com/gpu"), 32);
  // Finished work holds no quota.
  w["status"].as_object()["conditions"].as_array().push_back(
      json::object{{"type", "Finished"}, {"status", "True"}});
  EXPECT_FALSE(ParseWorkload(w).admitted.has_value());
  EXPECT_EQ(ParseWorkload(w).evicted_at, "");
  // Evicted: pending again, queued from its eviction.
  w["status"] = json::parse(R"({"conditions":[
      {"type":"QuotaReserved","status":"False","lastTransitionTime":"2026-12-03T00:00:09Z"},
      {"type":"Evicted","status":"True","lastTransitionTime":"2026-12-03T00:00:09Z"}]})");
  WorkloadInfo evicted = ParseWorkload(w);
  EXPECT_FALSE(evicted.admitted.has_value());
  EXPECT_EQ(evicted.evicted_at, "2026-12-03T00:00:09Z");
}


TEST(QueueObjectsTest, AJobIsFinishedForQuotaOnceAllItsPodsSucceeded) {
  using kueue::JobFinished;
  // Complete and Failed conditions.
  EXPECT_EQ(JobFinished(Obj(R"({"status":{"conditions":[{"type":"Complete","status":"True"}]}})")),
            "Succeeded");
  EXPECT_EQ(JobFinished(Obj(R"({"status":{"conditions":[{"type":"Failed","status":"True"}]}})")),
            "Failed");
  // NonIndexed: counted plus uncounted successes reach completions, nothing runs.
  EXPECT_EQ(JobFinished(Obj(R"({"spec":{"completions":3},"status":{"active":0,"succeeded":1,
      "uncountedTerminatedPods":{"succeeded":["u2","u3"]}}})")),
            "Succeeded");
  // ... but not while one still runs or terminates, nor short of completions.
  EXPECT_EQ(JobFinished(Obj(R"({"spec":{"completions":3},"status":{"active":1,"succeeded":1,
      "uncountedTerminatedPods":{"succeeded":["u2","u3"]}}})")),
            "");
  EXPECT_EQ(JobFinished(Obj(R"({"spec":{"completions":3},"status":{"terminating":1,
      "succeeded":3}})")),
            "");
  EXPECT_EQ(JobFinished(Obj(R"({"spec":{"completions":3},"status":{"succeeded":2,
      "uncountedTerminatedPods":{"failed":["u3"]}}})")),
            "");
  // Indexed: `succeeded` already counts the completed indexes (uncounted ones included), so
  // the uncounted list is not added again.
  EXPECT_EQ(JobFinished(Obj(R"({"spec":{"completions":2,"completionMode":"Indexed"},
      "status":{"succeeded":1,"uncountedTerminatedPods":{"succeeded":["u1"]}}})")),
            "");
  EXPECT_EQ(JobFinished(Obj(R"({"spec":{"completions":2,"completionMode":"Indexed"},
      "status":{"succeeded":2,"uncountedTerminatedPods":{"succeeded":["u1","u2"]}}})")),
            "Succeeded");
  // A Job that is going to fail, a suspended one, and one without completions are not done.
  EXPECT_EQ(JobFinished(Obj(R"({"spec":{"completions":1},"status":{"succeeded":1,
      "conditions":[{"type":"FailureTarget","status":"True"}]}})")),
            "");
  EXPECT_EQ(JobFinished(Obj(R"({"spec":{"completions":1,"suspend":true},"status":{}})")), "");
  EXPECT_EQ(JobFinished(Obj(R"({"spec":{"parallelism":2},"status":{"succeeded":5}})")), "");
}

}  // namespace
}  // namespace shoal::controllers
