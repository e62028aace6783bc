// The scheduler's typed views of Kubernetes objects: PodInfo, NodeInfo and PodGroupInfo, and
// the parts of their specs that scheduling reads (taints, tolerations, node selector terms).
// Objects stay JSON documents everywhere else (DESIGN.md); these views are extracted once per
// watch event so that the scheduling loop works on plain values.
//
// Threading: plain values; the parse functions are stateless except for ResourceNames, which
// belongs to the scheduler's thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "scheduler/resources.h"

namespace shoal::scheduler {

enum class TaintEffect { kNoSchedule, kPreferNoSchedule, kNoExecute };

struct Taint {
  std::string key, value;
  TaintEffect effect = TaintEffect::kNoSchedule;
  // "{key: value}" as kube-scheduler names an untolerated taint.
  std::string Describe() const;
  friend bool operator==(const Taint&, const Taint&) = default;
};

struct Toleration {
  std::string key;          // "" with Exists: every key
  bool exists = false;      // operator Exists (else Equal)
  std::string value;
  bool any_effect = true;   // effect "" matches every effect
  TaintEffect effect = TaintEffect::kNoSchedule;
  bool Tolerates(const Taint& t) const;
};

struct NodeSelectorRequirement {
  enum class Op { kIn, kNotIn, kExists, kDoesNotExist, kGt, kLt };
  std::string key;
  Op op = Op::kIn;
  std::vector<std::string> values;
  int64_t number = 0;  // Gt / Lt
};

// A node selector term: requirements ANDed; matchFields on metadata.name only, as Kubernetes.
struct NodeSelectorTerm {
  std::vector<NodeSelectorRequirement> match_expressions;
  std::vector<NodeSelectorRequirement> match_fields;
};

struct PreferredSchedulingTerm {
  int32_t weight = 0;
  NodeSelectorTerm term;
};

using LabelMap = std::vector<std::pair<std::string, std::string>>;  // sorted by key

// The label's value, or nullptr.
const std::string* FindLabel(const LabelMap& labels, std::string_view key);

struct PodInfo {
  std::string ns, name, uid;
  std::string key;  // ns/name
  std::string scheduler_name;
  std::string node_name;          // spec.nodeName ("" while pending)
  std::string nominated_node;     // status.nominatedNodeName
  Resources requests;             // incl. pods = 1; init containers by the max rule
  int32_t priority = 0;
  bool preempt_never = false;     // preemptionPolicy: Never
  bool terminal = false;          // phase Succeeded or Failed: holds no resources
  bool deleting = false;          // deletionTimestamp set
  bool gated = false;             // spec.schedulingGates not empty
  LabelMap node_selector;
  std::vector<NodeSelectorTerm> required_terms;  // ORed; empty = no requirement
  std::vector<PreferredSchedulingTerm> preferred_terms;
  std::vector<Toleration> tolerations;
  std::string gang;               // PodGroup name (label scheduling.x-k8s.io/pod-group)
  std::string creation;           // metadata.creationTimestamp, for stable order
  int64_t resource_version = 0;
};

struct NodeInfo {
  std::string name;
  LabelMap labels;
  std::vector<Taint> taints;
  bool unschedulable = false;
  bool ready = true;  // Ready condition is not False/Unknown
  Resources allocatable;
  std::string leaf, spine;  // topology label values ("" when unlabelled)
  // Everything the scheduler reads of a node: equal infos schedule alike.
  friend bool operator==(const NodeInfo&, const NodeInfo&) = default;
};

struct PodGroupInfo {
  std::string ns, name, key, uid;
  int32_t min_member = 1;
  int32_t schedule_timeout_seconds = 0;  // 0 = none
  enum class Locality { kPreferred, kLeaf, kSpine };
  Locality locality = Locality::kPreferred;
};

// Label keys that give a node's place in the network (configurable, DESIGN.md "Topology").
struct TopologyKeys {
  std::string leaf = "topology.shoal.io/leaf";
  std::string spine = "topology.shoal.io/spine";
};

inline constexpr std::string_view kPodGroupLabel = "scheduling.x-k8s.io/pod-group";
inline constexpr std::string_view kTopologyAnnotation = "shoal.io/topology";

// Extracts a pod's scheduling view. InvalidArgument for a malformed quantity or selector (the
// API server validated the pod, so this means a foreign server sent something odd);
// ResourceExhausted when too many extended resources are in use.
absl::StatusOr<PodInfo> PodInfoFromJson(const boost::json::object& pod, ResourceNames& names);
absl::StatusOr<NodeInfo> NodeInfoFromJson(const boost::json::object& node, ResourceNames& names,
                                          const TopologyKeys& keys);
PodGroupInfo PodGroupInfoFromJson(const boost::json::object& pg);

}  // namespace shoal::scheduler
