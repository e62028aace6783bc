// The quota arithmetic of shoal's queues (issue 8; Kueue's model, kueue.x-k8s.io/v1beta1):
// ClusterQueues hold nominal quotas per ResourceFlavor and resource, grouped in cohorts whose
// members lend their unused quota to each other; workloads (a Job's pods, as one unit) are
// admitted whole into one flavor per resource group, in order of priority, then of their
// ClusterQueue's dominant-resource share of what it borrows, then FIFO; a workload that fits
// only by taking back lent quota, or by displacing lower-priority work of its own queue,
// preempts whole workloads (lowest priority, most recently admitted first).
//
// Pure functions and value types, no I/O: the QueueController (queue_controller.h) reads the
// objects into these types, calls Schedule, and writes what it decides. Any thread.
//
// Amounts are int64: milli-units for cpu, whole units (rounded up) for everything else, as
// Kueue counts them, so that 7,500 nodes of 1.5 TiB still fit.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "controllers/queue_placement.h"
#include "controllers/taints.h"

namespace shoal::controllers {

// The amount of `quantity` (a Quantity's JSON) for `resource`, in the units above.
absl::StatusOr<int64_t> AmountOf(const std::string& resource, const boost::json::value& quantity);
// The quantity text of an amount ("1500m", "8", "38654705664").
std::string AmountText(const std::string& resource, int64_t amount);
// What one pod of `pod_spec` requests: the sum of its containers' requests, or more if an
// init container asks for more (kube's effective requests). Requests only; limits were
// already defaulted into requests by admission.
ResourceAmounts PodRequests(const boost::json::object& pod_spec);

struct ResourceFlavorSpec {
  std::string name;
  std::map<std::string, std::string> node_labels;
  std::vector<Taint> node_taints;
  std::vector<Toleration> tolerations;  // added to the pods admitted to this flavor
  // spec.topologyName set (Kueue's topology-aware scheduling): shoal then admits work to this
  // flavor only when its pods fit in the free room of the flavor's nodes (queue_placement.h).
  bool topology_aware = false;
};

struct ResourceQuota {
  int64_t nominal = 0;
  std::optional<int64_t> borrowing_limit;  // how much more than nominal it may use
  std::optional<int64_t> lending_limit;    // how much of nominal the cohort may use
};

struct FlavorQuotas {
  std::string flavor;
  std::map<std::string, ResourceQuota> resources;
};

struct ResourceGroup {
  std::vector<std::string> covered;
  std::vector<FlavorQuotas> flavors;  // tried in order
};

enum class PreemptionPolicy { kNever, kLowerPriority, kAny };

struct ClusterQueueSpec {
  std::string name;
  std::string cohort;  // "" = on its own
  bool strict_fifo = false;  // StrictFIFO; BestEffortFIFO lets later workloads pass one that does not fit
  std::vector<ResourceGroup> groups;
  PreemptionPolicy reclaim_within_cohort = PreemptionPolicy::kNever;
  PreemptionPolicy within_cluster_queue = PreemptionPolicy::kNever;  // kAny is not offered
  double weight = 1;  // fairSharing.weight
  bool active = true;  // every flavor it names exists
};

// Whether `cq` may preempt at all (reclaimWithinCohort or withinClusterQueue is not Never).
inline bool MayPreempt(const ClusterQueueSpec& cq) {
  return cq.reclaim_within_cohort != PreemptionPolicy::kNever ||
         cq.within_cluster_queue != PreemptionPolicy::kNever;
}

struct PodSet {
  std::string name;
  int32_t count = 1;
  ResourceAmounts per_pod;
  std::vector<Toleration> tolerations;
  std::map<std::string, std::string> node_selector;
};

// The flavor chosen for each resource of each pod set, and what the workload uses.
struct Assignment {
  std::map<std::string, std::map<std::string, std::string>> flavors;  // pod set -> resource -> flavor
  std::map<std::string, ResourceAmounts> usage;                         // flavor -> resource -> amount
};

struct WorkloadInfo {
  std::string key;            // "namespace/name"
  std::string cluster_queue;  // resolved from its LocalQueue; "" = no such queue
  int32_t priority = 0;
  std::string created;        // RFC 3339: FIFO order
  // RFC 3339, when it was last evicted ("" if never, or admitted again). An evicted workload
  // queues from its eviction, not its creation (Kueue's default requeuingStrategy timestamp
  // Eviction): the preemptor it made way for goes first, instead of the victim taking its
  // quota straight back and being preempted again, pass after pass.
  std::string evicted_at;
  // Set by the caller on a workload evicted to make room on nodes for this admitted workload
  // whose pods are not placed yet: it waits until they are, so that it does not take that
  // room back (its pods may only fit there) and be evicted again.
  std::string makes_room_for;
  // Set by the caller on an evicted workload: how many of its pods that held room when it was
  // evicted are not gone yet. It is not admitted again until they are, as in Kueue (which
  // releases an evicted workload's quota only then): readmitted sooner, its Job could resume
  // with those pods still in the room its preemptor was promised.
  int32_t stopping_pods = 0;
  std::vector<PodSet> pod_sets;
  std::optional<Assignment> admitted;  // holds quota
  std::string admitted_at;             // RFC 3339, when admitted
};

// What one scheduling pass decides.
struct Decisions {
  struct Admit {
    std::string workload;
    std::string cluster_queue;
    Assignment assignment;
  };
  std::vector<Admit> admit;                     // in the order they were decided
  std::map<std::string, std::string> preempt;  // victim -> why ("Preempted to accommodate ...")
  // Victims of reclaim or of preemption within a ClusterQueue -> the workload they make way
  // for (admitted by a later pass).
  std::map<std::string, std::string> preempted_for;
  std::map<std::string, std::string> waiting;  // pending workload -> why it waits
  // Victims of defragmentation -> the admitted workload whose pods they make room for.
  std::map<std::string, std::string> displaced;
};

// One pass over every pending workload (those without `admitted`): orders them (priority,
// then the ClusterQueue's weighted dominant share of borrowed quota, then creation), admits
// what fits, and plans preemptions for what fits only by reclaiming lent quota or displacing
// lower-priority work of the same ClusterQueue (victims are not admitted anything this pass;
// the preemptor is admitted on a later pass, once their quota is released). Workloads of an
// unknown or inactive ClusterQueue wait with a message saying so.
// With `room` (where admitted work runs: called at most once, when preemption or a
// topology-aware flavor first needs it; may be empty or return null), preemption chooses
// victims whose eviction leaves node room for the preemptor's pods (queue_placement.h), work
// assigned a topology-aware flavor is admitted only when its pods fit in the free room (it
// waits otherwise, and BestEffortFIFO lets later work pass), and the room that admitted and
// preempting work will take is used up in the model as the pass goes.
//
// `overdue` (needs `room`): admitted workloads whose pods have waited for nodes longer than
// the caller's grace, each with how many of its pods have not been placed. Before admitting
// anything, the pass defragments for them: if their ClusterQueue may preempt, smaller work of
// its ClusterQueue or cohort, of no higher priority, is evicted node by node until their pods
// fit (architecture.md "Defragmentation").
Decisions Schedule(const std::map<std::string, ClusterQueueSpec>& queues,
                   const std::map<std::string, ResourceFlavorSpec>& flavors,
                   const std::vector<WorkloadInfo>& workloads,
                   const std::function<RoomModel*()>& room = {},
                   const std::map<std::string, int32_t>& overdue = {});

// Quota in use per ClusterQueue, flavor and resource, from the admitted workloads.
using Usage = std::map<std::string, std::map<std::string, ResourceAmounts>>;
Usage UsageOf(const std::vector<WorkloadInfo>& workloads);

}  // namespace shoal::controllers
