#include "scheduler/placement.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "base/strings.h"
#include "scheduler/plugins/node_resources.h"

namespace shoal::scheduler {

int Placer::PlaceOne(const PodInfo& pod) {
  const auto& nodes = state_.nodes();
  const int gpu = state_.names().gpu();
  int best = -1;
  int64_t best_score = -1;
  int found = 0;
  auto consider = [&](int n) {
    const NodeState& node = nodes[n];
    if (!node.live || !profile_.Feasible(pod, node)) return;
    ++found;
    int64_t score = profile_.Score(pod, node, state_);
    if (score > best_score) {
      best_score = score;
      best = n;
    }
  };
  if (options_.strategy == ScoringStrategy::kPack && pod.requests[gpu] > 0 &&
      pod.requests[gpu] <= ClusterState::kMaxGpuBucket) {
    // Tightest nodes first: those with just enough free GPUs.
    for (int b = static_cast<int>(pod.requests[gpu]); b <= ClusterState::kMaxGpuBucket; ++b) {
      for (int n : state_.GpuBucket(b)) {
        consider(n);
        if (found >= options_.max_scored_nodes) return best;
      }
      if (found > 0) return best;  // a looser bucket can only score lower on packing
    }
    return best;
  }
  const size_t total = nodes.size();
  for (size_t i = 0; i < total && found < options_.max_scored_nodes; ++i) {
    consider(static_cast<int>((rotation_ + i) % total));
  }
  rotation_ = total == 0 ? 0 : (rotation_ + 1) % total;
  return best;
}

std::string Placer::NodeReasons(const PodInfo& pod) const {
  std::map<std::string, int> counts;
  std::vector<std::string> reasons;
  for (const NodeState& node : state_.nodes()) {
    if (!node.live) continue;
    reasons.clear();
    // The first failing filter speaks for the node, as in kube-scheduler (RunFilterPlugins
    // stops there), so that the counts add up to the nodes.
    for (const auto& f : profile_.filters) {
      if (!f->Filter(pod, node)) {
        f->Reasons(pod, node, state_.names(), reasons);
        break;
      }
    }
    for (const std::string& r : reasons) ++counts[r];
  }
  std::vector<std::pair<int, std::string>> sorted;
  for (auto& [reason, n] : counts) sorted.emplace_back(n, reason);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out;
  for (const auto& [n, reason] : sorted) {
    base::StrAppend(&out, out.empty() ? "" : ", ", n, " ", reason);
  }
  return out;
}

std::string Placer::ExplainOne(const PodInfo& pod) const {
  std::string reasons = NodeReasons(pod);
  return base::StrCat("0/", state_.live_nodes(), " nodes are available",
                      reasons.empty() ? "" : ": ", reasons, ".");
}

std::vector<int64_t> Placer::Capacities(const PodInfo& rep) const {
  const auto& nodes = state_.nodes();
  std::vector<int64_t> cap(nodes.size(), 0);
  for (size_t n = 0; n < nodes.size(); ++n) {
    const NodeState& node = nodes[n];
    if (!node.live || !profile_.FeasibleIgnoringResources(rep, node)) continue;
    Resources free;
    for (int i = 0; i < kMaxResources; ++i) free[i] = node.Free(i);
    cap[n] = plugins::FitCount(rep.requests, free);
  }
  return cap;
}

bool Placer::Assign(const std::vector<const PodInfo*>& pods, std::vector<int> domain_nodes,
                    const std::vector<int64_t>& capacity, std::vector<int>& out) const {
  // Nodes with no room at all would sort first and, never being "full for this gang", stall
  // the skip below: every pod would rescan every node it had filled (quadratic).
  domain_nodes.erase(std::remove_if(domain_nodes.begin(), domain_nodes.end(),
                                    [&](int n) { return capacity[n] <= 0; }),
                     domain_nodes.end());
  // Tightest first: nodes with the least room left, so partly used nodes fill up.
  std::stable_sort(domain_nodes.begin(), domain_nodes.end(),
                   [&](int a, int b) { return capacity[a] < capacity[b]; });
  std::map<int, Resources> extra;  // what this gang already takes on a node
  out.assign(pods.size(), -1);
  size_t next = 0;
  for (size_t p = 0; p < pods.size(); ++p) {
    const PodInfo& pod = *pods[p];
    for (size_t k = next; k < domain_nodes.size(); ++k) {
      int n = domain_nodes[k];
      const NodeState& node = state_.node(n);
      if (!profile_.FeasibleIgnoringResources(pod, node)) continue;
      Resources free;
      const Resources& taken = extra[n];
      for (int i = 0; i < kMaxResources; ++i) free[i] = node.Free(i) - taken[i];
      if (!plugins::Fits(pod.requests, free)) {
        if (k == next) ++next;  // full for this gang: skip it from now on
        continue;
      }
      extra[n] += pod.requests;
      out[p] = n;
      break;
    }
    if (out[p] < 0) return false;
  }
  return true;
}

GangPlan Placer::PlaceGang(const std::vector<const PodInfo*>& pods,
                           PodGroupInfo::Locality locality) {
  GangPlan plan;
  if (pods.empty()) {
    plan.ok = true;
    return plan;
  }
  const PodInfo& rep = *pods.front();
  const int64_t need = static_cast<int64_t>(pods.size());
  std::vector<int64_t> cap = Capacities(rep);
  const auto& leaves = state_.leaves();
  const auto& spines = state_.spines();
  std::vector<int64_t> leaf_cap(leaves.size(), 0), spine_cap(spines.size(), 0);
  int64_t total = 0;
  for (size_t l = 0; l < leaves.size(); ++l) {
    for (int n : leaves[l].nodes) leaf_cap[l] += cap[n];
    if (leaves[l].parent >= 0) spine_cap[leaves[l].parent] += leaf_cap[l];
    total += leaf_cap[l];
  }
  const int gpu = state_.names().gpu();
  if (total < need) {
    int64_t short_by = need - total;
    std::string what = base::StrCat(short_by, " pods");
    if (rep.requests[gpu] > 0) {
      what = base::StrCat(short_by, " pods with ", rep.requests[gpu], " free ",
                          state_.names().Name(gpu), " each");
      // Whole-node pods: say it in nodes.
      bool whole_node = true;
      for (int n : leaves.empty() ? std::vector<int>{} : leaves[0].nodes) {
        whole_node = whole_node && state_.node(n).info.allocatable[gpu] == rep.requests[gpu];
      }
      if (whole_node) {
        what = base::StrCat(short_by, short_by == 1 ? " node with " : " nodes with ",
                            rep.requests[gpu], " free ",
                            state_.names().Name(gpu));
      }
    }
    std::string reasons = NodeReasons(rep);
    plan.why = base::StrCat("gang needs ", need, " pods at once, the cluster has room for ",
                            total, ": short by ", what, reasons.empty() ? "" : "; ", reasons);
    return plan;
  }

  // Candidate sets of leaves, best first by (leaves, spines, spare room).
  std::vector<int> chosen;
  auto leaves_by_cap = [&](const std::vector<int>& ls) {
    std::vector<int> v = ls;
    std::stable_sort(v.begin(), v.end(), [&](int a, int b) { return leaf_cap[a] > leaf_cap[b]; });
    return v;
  };
  // Fewest leaves of `ls` that hold `need`, the last one as tight as possible.
  auto cover = [&](const std::vector<int>& ls) -> std::vector<int> {
    std::vector<int> v = leaves_by_cap(ls);
    std::vector<int> out;
    int64_t have = 0;
    for (int l : v) {
      if (have >= need || leaf_cap[l] == 0) break;
      out.push_back(l);
      have += leaf_cap[l];
    }
    if (have < need) return {};
    int64_t before_last = have - leaf_cap[out.back()];
    int64_t rest = need - before_last;
    // Replace the last leaf by the smallest unused leaf that still holds the rest.
    int best = out.back();
    for (int l : v) {
      if (std::find(out.begin(), out.end() - 1, l) != out.end() - 1) continue;
      if (leaf_cap[l] >= rest && leaf_cap[l] < leaf_cap[best]) best = l;
    }
    out.back() = best;
    return out;
  };
  // 1. One leaf: the tightest that holds the gang.
  int one_leaf = -1;
  for (size_t l = 0; l < leaves.size(); ++l) {
    if (leaf_cap[l] >= need && (one_leaf < 0 || leaf_cap[l] < leaf_cap[one_leaf])) {
      one_leaf = static_cast<int>(l);
    }
  }
  if (one_leaf >= 0) {
    chosen = {one_leaf};
  } else if (locality == PodGroupInfo::Locality::kLeaf) {
    int64_t largest = *std::max_element(leaf_cap.begin(), leaf_cap.end());
    plan.why = base::StrCat("no leaf has room for the gang's ", need,
                            " pods (topology leaf required; the roomiest leaf takes ", largest,
                            ")");
    return plan;
  } else {
    // 2. One spine: the one needing the fewest leaves, then the tightest.
    int best_spine = -1;
    std::vector<int> best_cover;
    for (size_t s = 0; s < spines.size(); ++s) {
      if (spine_cap[s] < need) continue;
      std::vector<int> ls;
      for (size_t l = 0; l < leaves.size(); ++l) {
        if (leaves[l].parent == static_cast<int>(s)) ls.push_back(static_cast<int>(l));
      }
      std::vector<int> c = cover(ls);
      if (c.empty()) continue;
      if (best_spine < 0 || c.size() < best_cover.size() ||
          (c.size() == best_cover.size() && spine_cap[s] < spine_cap[best_spine])) {
        best_spine = static_cast<int>(s);
        best_cover = c;
      }
    }
    if (best_spine >= 0) {
      chosen = best_cover;
    } else if (locality == PodGroupInfo::Locality::kSpine) {
      int64_t largest = *std::max_element(spine_cap.begin(), spine_cap.end());
      plan.why = base::StrCat("no spine has room for the gang's ", need,
                              " pods (topology spine required; the roomiest spine takes ",
                              largest, ")");
      return plan;
    } else {
      // 3. Across spines: the roomiest spines first, fewest leaves within them.
      std::vector<int> ss(spines.size());
      std::iota(ss.begin(), ss.end(), 0);
      std::stable_sort(ss.begin(), ss.end(),
                       [&](int a, int b) { return spine_cap[a] > spine_cap[b]; });
      std::vector<int> ls;
      int64_t have = 0;
      for (int s : ss) {
        if (have >= need) break;
        have += spine_cap[s];
        for (size_t l = 0; l < leaves.size(); ++l) {
          if (leaves[l].parent == s) ls.push_back(static_cast<int>(l));
        }
      }
      chosen = cover(ls);
    }
  }
  std::vector<int> domain_nodes;
  for (int l : chosen) {
    for (int n : leaves[l].nodes) domain_nodes.push_back(n);
  }
  if (!Assign(pods, domain_nodes, cap, plan.nodes)) {
    // Members unlike the first one: try every node before giving up.
    std::vector<int> all;
    for (size_t n = 0; n < state_.nodes().size(); ++n) {
      if (state_.node(static_cast<int>(n)).live) all.push_back(static_cast<int>(n));
    }
    std::vector<int64_t> any_cap(state_.nodes().size(), 1);
    if (!Assign(pods, all, any_cap, plan.nodes)) {
      plan.why = base::StrCat("the gang's ", need,
                              " pods do not fit together (members with different requests or "
                              "constraints; first member: ",
                              ExplainOne(rep), ")");
      return plan;
    }
  }
  std::vector<int> ls, ss;
  for (int n : plan.nodes) {
    ls.push_back(state_.node(n).leaf);
    ss.push_back(state_.node(n).spine);
  }
  std::sort(ls.begin(), ls.end());
  std::sort(ss.begin(), ss.end());
  plan.leaves = static_cast<int>(std::unique(ls.begin(), ls.end()) - ls.begin());
  plan.spines = static_cast<int>(std::unique(ss.begin(), ss.end()) - ss.begin());
  plan.ok = true;
  return plan;
}

}  // namespace shoal::scheduler
