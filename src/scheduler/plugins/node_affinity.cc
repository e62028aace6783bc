#include "scheduler/plugins/node_affinity.h"

#include <algorithm>

#include "absl/strings/numbers.h"

namespace shoal::scheduler::plugins {

namespace {

bool RequirementMatches(const NodeSelectorRequirement& r, const std::string* value) {
  using Op = NodeSelectorRequirement::Op;
  switch (r.op) {
    case Op::kIn:
      return value != nullptr && std::find(r.values.begin(), r.values.end(), *value) != r.values.end();
    case Op::kNotIn:
      return value == nullptr || std::find(r.values.begin(), r.values.end(), *value) == r.values.end();
    case Op::kExists:
      return value != nullptr;
    case Op::kDoesNotExist:
      return value == nullptr;
    case Op::kGt:
    case Op::kLt: {
      int64_t v = 0;
      if (value == nullptr || !absl::SimpleAtoi(*value, &v)) return false;
      return r.op == Op::kGt ? v > r.number : v < r.number;
    }
  }
  return false;
}

}  // namespace

bool TermMatches(const NodeSelectorTerm& term, const NodeInfo& node) {
  // An empty term matches no node (Kubernetes' rule for nodeSelectorTerms).
  if (term.match_expressions.empty() && term.match_fields.empty()) return false;
  for (const NodeSelectorRequirement& r : term.match_expressions) {
    if (!RequirementMatches(r, FindLabel(node.labels, r.key))) return false;
  }
  for (const NodeSelectorRequirement& r : term.match_fields) {
    const std::string* v = r.key == "metadata.name" ? &node.name : nullptr;
    if (!RequirementMatches(r, v)) return false;
  }
  return true;
}

bool NodeAffinity::Filter(const PodInfo& pod, const NodeState& node) const {
  for (const auto& [k, v] : pod.node_selector) {
    const std::string* have = FindLabel(node.info.labels, k);
    if (have == nullptr || *have != v) return false;
  }
  if (pod.required_terms.empty()) return true;
  for (const NodeSelectorTerm& t : pod.required_terms) {
    if (TermMatches(t, node.info)) return true;
  }
  return false;
}

void NodeAffinity::Reasons(const PodInfo&, const NodeState&, const ResourceNames&,
                           std::vector<std::string>& out) const {
  out.emplace_back("node(s) didn't match Pod's node affinity/selector");
}

int64_t NodeAffinityScore::Score(const PodInfo& pod, const NodeState& node,
                                 const ClusterState&) const {
  int64_t total = 0, matched = 0;
  for (const PreferredSchedulingTerm& t : pod.preferred_terms) {
    total += t.weight;
    if (TermMatches(t.term, node.info)) matched += t.weight;
  }
  return total <= 0 ? 0 : matched * 100 / total;
}

}  // namespace shoal::scheduler::plugins
