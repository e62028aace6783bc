// TrackUpdate and Apply on typical objects: a pod status update by the node agent (the
// hottest write path) and a server-side apply of a Job.
#include <benchmark/benchmark.h>

#include <boost/json.hpp>
#include <chrono>

#include "api/managed_fields.h"

namespace shoal::api {
namespace {

namespace json = boost::json;

constexpr std::string_view kPod = R"({"apiVersion":"v1","kind":"Pod","metadata":{
  "name":"train-0-worker-17","namespace":"ml","uid":"0d8f1c2e-5a8e-4a7b-9d1e-3f2b7c9e1a01",
  "resourceVersion":"1234","creationTimestamp":"2026-11-23T08:00:00Z",
  "labels":{"app":"train","job-name":"train-0","batch.kubernetes.io/job-completion-index":"17"},
  "ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"train-0",
    "uid":"7b1e0c3d-1111-2222-3333-444455556666","controller":true,"blockOwnerDeletion":true}]},
 "spec":{"containers":[{"name":"worker","image":"registry/train:1.4","command":["python","train.py"],
   "args":["--rank","17"],"env":[{"name":"RANK","value":"17"},{"name":"WORLD","value":"64"}],
   "ports":[{"containerPort":29500,"protocol":"TCP"}],
   "resources":{"requests":{"cpu":"8","memory":"64Gi","nvidia.com/gpu":"8"},
                "limits":{"nvidia.com/gpu":"8"}},
   "volumeMounts":[{"name":"data","mountPath":"/data"}],
   "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",
   "imagePullPolicy":"IfNotPresent"}],
  "volumes":[{"name":"data","emptyDir":{}}],"restartPolicy":"Never",
  "terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","schedulerName":"default-scheduler",
  "nodeName":"node-0042","tolerations":[{"key":"nvidia.com/gpu","operator":"Exists"}]},
 "status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True",
   "lastTransitionTime":"2026-11-23T08:00:01Z"}],"qosClass":"Burstable"}})";

constexpr std::string_view kRunningStatus = R"({"phase":"Running","hostIP":"10.0.0.42",
  "podIP":"10.1.42.17","startTime":"2026-11-23T08:00:02Z",
  "conditions":[{"type":"PodScheduled","status":"True","lastTransitionTime":"2026-11-23T08:00:01Z"},
    {"type":"Initialized","status":"True","lastTransitionTime":"2026-11-23T08:00:02Z"},
    {"type":"ContainersReady","status":"True","lastTransitionTime":"2026-11-23T08:00:03Z"},
    {"type":"Ready","status":"True","lastTransitionTime":"2026-11-23T08:00:03Z"}],
  "containerStatuses":[{"name":"worker","ready":true,"restartCount":0,"image":"registry/train:1.4",
    "imageID":"","containerID":"shoal://17","started":true,
    "state":{"running":{"startedAt":"2026-11-23T08:00:03Z"}}}],"qosClass":"Burstable"})";

std::chrono::system_clock::time_point Now() {
  return std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + std::chrono::hours(8);
}

// A pod as stored after create (tracked for kubectl-create) and scheduling (binding).
json::object StoredPod() {
  json::object pod = json::parse(kPod).as_object();
  pod["status"] = json::parse(R"({"phase":"Pending","qosClass":"Burstable"})");
  json::object created = pod;
  created["spec"].as_object().erase("nodeName");
  created.erase("status");
  if (!TrackUpdate(nullptr, created, {"kubectl-create", "", Now()}).ok()) std::abort();
  json::object bound = created;
  bound["spec"].as_object()["nodeName"] = "node-0042";
  if (!TrackUpdate(&created, bound, {"shoal-scheduler", "", Now()}).ok()) std::abort();
  json::object old = bound;
  bound["status"] = json::parse(R"({"phase":"Pending","conditions":[{"type":"PodScheduled",
      "status":"True","lastTransitionTime":"2026-11-23T08:00:01Z"}],"qosClass":"Burstable"})");
  if (!TrackUpdate(&old, bound, {"shoal-agent", "status", Now()}).ok()) std::abort();
  return bound;
}

void BM_TrackUpdatePodStatus(benchmark::State& state) {
  const json::object old = StoredPod();
  json::object next = old;
  next["status"] = json::parse(kRunningStatus);
  for (auto _ : state) {
    json::object updated = next;  // the handler's own copy; included as it is per write
    absl::Status st = TrackUpdate(&old, updated, {"shoal-agent", "status", Now()});
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(updated);
  }
}
BENCHMARK(BM_TrackUpdatePodStatus);

void BM_CopyPodOnly(benchmark::State& state) {  // the baseline copy in the loop above
  json::object next = StoredPod();
  for (auto _ : state) {
    json::object updated = next;
    benchmark::DoNotOptimize(updated);
  }
}
BENCHMARK(BM_CopyPodOnly);

void BM_TrackUpdatePodCreate(benchmark::State& state) {
  const json::object pod = json::parse(kPod).as_object();
  for (auto _ : state) {
    json::object created = pod;
    absl::Status st = TrackUpdate(nullptr, created, {"kubectl-create", "", Now()});
    benchmark::DoNotOptimize(st);
  }
}
BENCHMARK(BM_TrackUpdatePodCreate);

constexpr std::string_view kJob = R"({"apiVersion":"batch/v1","kind":"Job",
  "metadata":{"name":"train-0","namespace":"ml","labels":{"app":"train"}},
  "spec":{"parallelism":64,"completions":64,"completionMode":"Indexed","backoffLimit":0,
   "template":{"metadata":{"labels":{"app":"train"}},"spec":{"containers":[{"name":"worker",
     "image":"registry/train:1.4","command":["python","train.py"],
     "env":[{"name":"WORLD","value":"64"}],"ports":[{"containerPort":29500}],
     "resources":{"requests":{"cpu":"8","memory":"64Gi","nvidia.com/gpu":"8"},
                  "limits":{"nvidia.com/gpu":"8"}}}],"restartPolicy":"Never",
     "tolerations":[{"key":"nvidia.com/gpu","operator":"Exists"}]}}}})";

void BM_ApplyJobCreate(benchmark::State& state) {
  const json::object config = json::parse(kJob).as_object();
  ApplyRequest r{"kubectl", false, "batch/v1", "Job", "", Now()};
  for (auto _ : state) {
    absl::StatusOr<json::object> got = Apply(nullptr, config, r);
    benchmark::DoNotOptimize(got);
  }
}
BENCHMARK(BM_ApplyJobCreate);

void BM_ApplyJobUnchanged(benchmark::State& state) {
  const json::object config = json::parse(kJob).as_object();
  ApplyRequest r{"kubectl", false, "batch/v1", "Job", "", Now()};
  absl::StatusOr<json::object> live = Apply(nullptr, config, r);
  if (!live.ok()) std::abort();
  (*live)["status"] = json::parse(R"({"active":64,"ready":64})");
  for (auto _ : state) {
    absl::StatusOr<json::object> got = Apply(&*live, config, r);
    benchmark::DoNotOptimize(got);
  }
}
BENCHMARK(BM_ApplyJobUnchanged);

}  // namespace
}  // namespace shoal::api
