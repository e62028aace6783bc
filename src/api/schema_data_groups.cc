// Schemas of the non-core groups shoal serves: batch/v1 Job, coordination.k8s.io/v1 Lease,
// scheduling.k8s.io/v1 PriorityClass, policy/v1 Eviction, and the PodGroup of the Kubernetes
// scheduler-plugins coscheduling plugin (scheduling.x-k8s.io/v1alpha1). Format: see
// schema_data.h. Fields follow Kubernetes 1.32.
#include "api/schema_data.h"

namespace shoal::api::internal {

const char kSchemaDataGroups[] = R"schema(
package io.k8s.api.batch.v1

type Job gvk=batch/v1/Job | A job: runs pods until a given number of them complete successfully.
  +typemeta
  +objectmeta
  spec JobSpec | Desired behaviour of the job.
  status JobStatus | Observed state of the job. Read-only.

type JobSpec | The desired behaviour of a job.
  activeDeadlineSeconds int64 | Seconds the job may be active, counted from its start, before it is failed and its pods stopped.
  backoffLimit int32 | Retries before the job is failed. Default 6.
  backoffLimitPerIndex int32 | For Indexed jobs: retries per index before that index is failed.
  completionMode string enum=Indexed,NonIndexed | NonIndexed (default): any completions count; Indexed: each index 0..completions-1 must succeed once.
  completions int32 | Successful pods needed for the job to complete. Unset means any single success once all pods end.
  managedBy string | Controller that manages the job; the built-in one when empty or kubernetes.io/job-controller.
  manualSelector bool | Let selector be set by hand instead of generated. Rarely wanted.
  maxFailedIndexes int32 | For Indexed jobs with backoffLimitPerIndex: failed indexes after which the whole job fails.
  parallelism int32 | Most pods running at once. Default 1.
  podFailurePolicy PodFailurePolicy | How pod failures are handled, by exit code or pod condition.
  podReplacementPolicy string enum=Failed,TerminatingOrFailed | When a replacement pod is made: TerminatingOrFailed (default) or Failed (only once fully terminated).
  selector meta.LabelSelector | The job's pods; normally generated.
  successPolicy SuccessPolicy | For Indexed jobs: when the job counts as succeeded before all indexes do.
  suspend bool | If true, no pods are created and running ones are stopped. Default false.
  template core.PodTemplateSpec req | The pods the job runs. restartPolicy must be Never or OnFailure.
  ttlSecondsAfterFinished int32 | Seconds after the job finishes before it is deleted automatically.

type PodFailurePolicy | Rules applied, in order, to each failed pod.
  rules []PodFailurePolicyRule req list=atomic | The rules; the first that matches decides. At most 20.

type PodFailurePolicyRule | What to do with a failed pod that matches.
  action string req enum=Count,FailIndex,FailJob,Ignore | FailJob, FailIndex, Ignore (not counted against backoffLimit) or Count.
  onExitCodes PodFailurePolicyOnExitCodesRequirement | Match on container exit codes.
  onPodConditions []PodFailurePolicyOnPodConditionsPattern list=atomic | Match on pod conditions (e.g. DisruptionTarget).

type PodFailurePolicyOnExitCodesRequirement | Match on the exit codes of the pod's containers.
  containerName string | Only this container; all containers if empty.
  operator string req enum=In,NotIn | In or NotIn.
  values []int32 req list=set | Exit codes, at most 255; 0 is not allowed with In.

type PodFailurePolicyOnPodConditionsPattern | Match on a pod condition.
  status string | True (default), False or Unknown.
  type string req | Condition type.

type SuccessPolicy | Rules by which an Indexed job succeeds early; any rule that holds is enough.
  rules []SuccessPolicyRule req list=atomic | The rules. At most 20.

type SuccessPolicyRule | One success rule; at least one field is set.
  succeededCount int32 | Number of succeeded indexes (among succeededIndexes, if set) needed.
  succeededIndexes string | Indexes that must succeed, as a list of intervals, e.g. "0-3,5".

type JobStatus | The observed state of a job.
  active int32 | Pods running, not terminating.
  completedIndexes string | Completed indexes of an Indexed job, as intervals, e.g. "1,3-5,7".
  completionTime meta.Time | When the job completed.
  conditions []JobCondition merge=type strategy=merge list=atomic | Conditions of the job: Complete, Failed, Suspended, FailureTarget, SuccessCriteriaMet.
  failed int32 | Pods that failed.
  failedIndexes string | Failed indexes when backoffLimitPerIndex is set, as intervals.
  ready int32 | Active pods that are ready.
  startTime meta.Time | When the job controller started working on the job.
  succeeded int32 | Pods that succeeded.
  terminating int32 | Pods terminating (with a deletionTimestamp) and not yet failed or succeeded.
  uncountedTerminatedPods UncountedTerminatedPods | UIDs of finished pods not yet counted in the status counters.

type JobCondition | One condition of a job.
  lastProbeTime meta.Time | When the condition was last checked.
  lastTransitionTime meta.Time | When the status last changed.
  message string | Human-readable detail.
  reason string | CamelCase reason for the last transition.
  status string req | True, False or Unknown.
  type string req | Type of the condition.

type UncountedTerminatedPods | UIDs of finished pods the controller has not yet counted.
  failed []string list=set | Failed pods.
  succeeded []string list=set | Succeeded pods.

package io.k8s.api.coordination.v1

type Lease gvk=coordination.k8s.io/v1/Lease | A lease: a lock held by one holder and renewed periodically. Nodes use one each as their heartbeat.
  +typemeta
  +objectmeta
  spec LeaseSpec | The lease.

type LeaseSpec | The state of a lease.
  acquireTime meta.MicroTime | When the current holder took the lease.
  holderIdentity string | Who holds the lease.
  leaseDurationSeconds int32 | Seconds candidates wait after the last renewal before taking the lease.
  leaseTransitions int32 | How many times the lease changed hands.
  preferredHolder string | Holder the lease should go to next (coordinated leader election).
  renewTime meta.MicroTime | When the holder last renewed the lease.
  strategy string | Leader election strategy when coordinated election is used.

package io.k8s.api.scheduling.v1

type PriorityClass gvk=scheduling.k8s.io/v1/PriorityClass | Maps a class name to a pod priority.
  +typemeta
  +objectmeta
  description string | When to use this class.
  globalDefault bool | Use this class for pods that name none. At most one class may set it.
  preemptionPolicy string enum=Never,PreemptLowerPriority | PreemptLowerPriority (default) or Never.
  value int32 req | The priority. Higher is more important; above 1,000,000,000 is reserved for the system.

package io.k8s.api.policy.v1

type Eviction gvk=policy/v1/Eviction | A request to evict a pod, posted to the pod's eviction subresource; disruption budgets are honoured.
  +typemeta
  deleteOptions meta.DeleteOptions | Options of the deletion.
  metadata meta.ObjectMeta | Names the pod to evict.

package io.x-k8s.scheduling.v1alpha1

type PodGroup gvk=scheduling.x-k8s.io/v1alpha1/PodGroup | A gang: pods scheduled together, all or none (scheduler-plugins coscheduling).
  +typemeta
  +objectmeta
  spec PodGroupSpec | Desired state of the group.
  status PodGroupStatus | Observed state of the group. Read-only.

type PodGroupSpec | The desired state of a pod group.
  minMember int32 | Fewest pods that must be schedulable together before any of them is bound.
  minResources {}Quantity | Fewest total resources the group needs before it is scheduled.
  scheduleTimeoutSeconds int32 | Seconds to wait for the whole group before giving up on an attempt.

type PodGroupStatus | The observed state of a pod group.
  conditions []meta.Condition list=map keys=type | shoal: the Scheduled condition; when False, its message says in one line what keeps the gang from being placed.
  failed int32 | Pods that failed.
  occupiedBy string | Workload (e.g. <namespace>/<job name>) that owns the group.
  phase string | Pending, Scheduled (minMember pods bound), Running (minMember started), Succeeded (minMember succeeded) or Failed; kept by shoal's PodGroup status controller.
  running int32 | Pods running.
  scheduleStartTime meta.Time | When scheduling of the group began.
  scheduled int32 | Pods scheduled.
  succeeded int32 | Pods that succeeded.
)schema";

}  // namespace shoal::api::internal
