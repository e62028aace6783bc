// What the Job controller reads from pods and Job specs, as plain values: JobPod (a pod of a
// job, trimmed to the fields the controller uses, so that 60,000 pods cost little), the
// completedIndexes interval format ("0-3,5"), and podFailurePolicy matching (kube's
// pkg/controller/job/pod_failure_policy.go).
//
// Threading: pure functions and values.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace shoal::controllers {

// The finalizer that keeps a finished pod until its Job has counted it.
inline constexpr std::string_view kJobTrackingFinalizer = "batch.kubernetes.io/job-tracking";
// Annotation (and label) carrying an Indexed Job pod's completion index.
inline constexpr std::string_view kCompletionIndexKey = "batch.kubernetes.io/job-completion-index";

struct ContainerExit {
  std::string name;
  int32_t exit_code = 0;
};

struct JobPod {
  std::string ns, name, uid;
  std::string job_uid;  // the controlling ownerReference's uid ("" when none)
  std::string phase;    // Pending, Running, Succeeded, Failed
  std::string node;
  std::string created;  // creationTimestamp
  bool terminating = false;  // deletionTimestamp set
  bool tracked = false;      // carries kJobTrackingFinalizer
  bool ready = false;        // Ready condition True
  int64_t index = -1;        // completion index, -1 when none
  int64_t restarts = 0;      // restartCount summed over (init) containers
  std::vector<ContainerExit> exits;                            // terminated containers
  std::vector<std::pair<std::string, std::string>> conditions;  // (type, status)
  std::string reason, message;                                  // status.reason / message

  // Succeeded, or failed: phase Failed, or deleted before it succeeded (kube's isPodFailed
  // for podReplacementPolicy TerminatingOrFailed: a deleted pod may never reach Failed).
  bool Succeeded() const { return phase == "Succeeded"; }
  bool Failed() const { return phase == "Failed" || (terminating && phase != "Succeeded"); }
  bool Finished() const { return Succeeded() || Failed(); }
  // Counts toward .status.active.
  bool Active() const { return !terminating && phase != "Succeeded" && phase != "Failed"; }
};

JobPod ParseJobPod(const boost::json::object& pod);

// "1,3-5,7" <-> {1,3,4,5,7}. Parse ignores malformed parts and indexes >= limit (limit < 0: no
// limit).
std::set<int64_t> ParseIndexes(std::string_view text, int64_t limit = -1);
std::string FormatIndexes(const std::set<int64_t>& indexes);

// The outcome of podFailurePolicy for one failed pod.
struct FailurePolicyMatch {
  enum class Action { kNone, kFailJob, kIgnore, kCount, kFailIndex };
  Action action = Action::kNone;  // kNone: no rule matched (counts as a failure)
  int rule = -1;
  std::string message;  // for FailJob: kube's condition message
};

// The pod a Job creates: its template, generateName "<job>-" ("<job>-<index>-" for an Indexed
// Job's `index` >= 0), owned by the Job (controller, blockOwnerDeletion) and held by the
// tracking finalizer. An index is carried by the annotation and label kCompletionIndexKey, the
// env var JOB_COMPLETION_INDEX of every container and the hostname "<job>-<index>"; a gang's
// pods get the label scheduling.x-k8s.io/pod-group=<job> unless the template names a group.
boost::json::object NewJobPod(const boost::json::object& job, int64_t index, bool gang);

// Applies spec.podFailurePolicy (rules in order, the first match wins) to a failed pod.
FailurePolicyMatch MatchPodFailurePolicy(const boost::json::object& job_spec, const JobPod& pod);

}  // namespace shoal::controllers
