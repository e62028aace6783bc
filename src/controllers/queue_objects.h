// Kueue's objects (kueue.x-k8s.io/v1beta1) as shoal's queue controller reads and writes them:
// the Workload of a Job or of queued pods, and the ClusterQueues, ResourceFlavors and Workloads
// read into queue_quota.h's types; plus the condition and label helpers the controller shares.
// Pure functions; any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "controllers/queue_quota.h"

namespace shoal::controllers {

inline constexpr std::string_view kQueueNameLabel = "kueue.x-k8s.io/queue-name";

// The Workload name Kueue gives an owner's workload: "<prefix>-<name>-<5 hex digits of its
// uid>", with prefix "job" for a Job and "pod" for a bare pod.
std::string WorkloadName(std::string_view prefix, std::string_view name, std::string_view uid);
inline std::string WorkloadNameForJob(std::string_view job_name, std::string_view job_uid) {
  return WorkloadName("job", job_name, job_uid);
}

// The key ("ns/name") of the Workload of a queued bare pod: its pod group's
// ("podgroup-<label scheduling.x-k8s.io/pod-group>") or, without a group, its own.
std::string QueuedPodWorkloadKey(const boost::json::object& pod);

// The Workload (kueue.x-k8s.io/v1beta1) for `job`, owned by it.
// `priority_class` (may be empty) and `source` ("scheduling.k8s.io/priorityclass" or
// "kueue.x-k8s.io/workloadpriorityclass") are recorded as Kueue records them.
boost::json::object WorkloadForJob(const boost::json::object& job, int32_t priority,
                                   std::string_view priority_class,
                                   std::string_view source = "scheduling.k8s.io/priorityclass");

// Reads a ClusterQueue / ResourceFlavor object. Malformed quantities count as 0.
ClusterQueueSpec ParseClusterQueue(const boost::json::object& cq);
ResourceFlavorSpec ParseResourceFlavor(const boost::json::object& flavor);
// Reads a Workload's pod sets, priority, creation time and admission (nullopt unless it holds
// quota: QuotaReserved true, not finished).
WorkloadInfo ParseWorkload(const boost::json::object& workload);

namespace kueue {

inline constexpr std::string_view kKueue = "/apis/kueue.x-k8s.io/v1beta1";
inline constexpr std::string_view kKueueVersion = "kueue.x-k8s.io/v1beta1";
inline constexpr std::string_view kJobUidLabel = "kueue.x-k8s.io/job-uid";
inline constexpr std::string_view kPodGroupLabel = "scheduling.x-k8s.io/pod-group";
inline constexpr std::string_view kWorkloadPriorityClassLabel = "kueue.x-k8s.io/priority-class";
inline constexpr std::string_view kGroupTotalAnnotation = "kueue.x-k8s.io/pod-group-total-count";
inline constexpr std::string_view kAdmissionGate = "kueue.x-k8s.io/admission";

// The string at `path` ("" when absent).
std::string Str(const boost::json::value& v, std::string_view path);
// status.conditions[type], or nullptr; whether it is "True".
const boost::json::object* ConditionOf(const boost::json::object& obj, std::string_view type);
bool ConditionTrue(const boost::json::object& obj, std::string_view type);
// Sets a condition, keeping lastTransitionTime when the status is unchanged.
void SetCondition(boost::json::array& conditions, std::string_view type, std::string_view status,
                  std::string_view reason, std::string_view message, const std::string& now);
// A copy of status.conditions (empty when absent).
boost::json::array ConditionsOf(const boost::json::object& obj);
// The string members of a JSON object (nullptr or not an object: none).
std::map<std::string, std::string> StringMap(const boost::json::value* m);
// "ns/name".
std::string KeyOf(const std::string& ns, const std::string& name);
// "Succeeded" or "Failed" for a finished Job (its Complete or Failed condition), else "".
// A Job whose pods have all succeeded (its completions reached, none active or terminating)
// is "Succeeded" before its Complete condition: nothing of it holds quota any more.
std::string JobFinished(const boost::json::object& job);
// metadata.labels[label], or "".
std::string LabelOf(const boost::json::object& obj, std::string_view label);
// The Workload of queued bare pods: one per pod, or one per pod group (a gang), owned by them.
boost::json::object WorkloadForPods(const std::string& name,
                                    const std::vector<const boost::json::object*>& pods,
                                    int64_t count, int32_t priority,
                                    std::string_view priority_class, std::string_view source);

}  // namespace kueue
}  // namespace shoal::controllers
