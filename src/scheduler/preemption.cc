#include "scheduler/preemption.h"

#include <algorithm>
#include <limits>
#include <set>
#include <unordered_map>

#include "scheduler/plugins/node_resources.h"

namespace shoal::scheduler {

namespace {

// Pods that may be evicted for a preemptor of `priority`, by key. Members of a gang qualify
// only if every bound member of the gang does.
std::unordered_map<std::string, bool> Preemptible(const ClusterState& state, int32_t priority,
                                                  const std::string& own_gang) {
  std::unordered_map<std::string, bool> gang_ok;  // gang key -> every member lower
  for (const auto& [key, p] : state.pods()) {
    std::string g = GangKey(p.info);
    if (g.empty() || !HoldsResources(p)) continue;
    auto [it, added] = gang_ok.emplace(g, true);
    if (p.info.priority >= priority) it->second = false;
  }
  std::unordered_map<std::string, bool> out;
  for (const auto& [key, p] : state.pods()) {
    if (!HoldsResources(p) || p.assumed || p.info.deleting) continue;
    if (p.info.priority >= priority) continue;
    std::string g = GangKey(p.info);
    if (!g.empty() && (g == own_gang || !gang_ok[g])) continue;
    out.emplace(key, true);
  }
  return out;
}

// The fewest, lowest-priority victims on node `n` that make room for `adding`: all
// preemptible pods (of priority up to `max_priority`) go, then the most important ones come
// back while everything still fits.
std::vector<std::string> Reprieve(const ClusterState& state, int n, const Resources& adding,
                                  const std::unordered_map<std::string, bool>& preemptible,
                                  bool* possible,
                                  int32_t max_priority = std::numeric_limits<int32_t>::max()) {
  const NodeState& node = state.node(n);
  std::vector<const PodState*> removable;
  Resources free;
  for (int i = 0; i < kMaxResources; ++i) free[i] = node.Free(i);
  for (const std::string& key : node.pods) {
    const PodState* p = state.FindPod(key);
    if (p == nullptr) continue;
    if (p->info.deleting) {
      free += p->info.requests;  // already on its way out
      continue;
    }
    if (preemptible.count(key) && p->info.priority <= max_priority) {
      removable.push_back(p);
      free += p->info.requests;
    }
  }
  *possible = plugins::Fits(adding, free);
  if (!*possible) return {};
  std::sort(removable.begin(), removable.end(), [](const PodState* a, const PodState* b) {
    return a->info.priority > b->info.priority;
  });
  std::vector<std::string> victims;
  for (const PodState* p : removable) {
    Resources after = free;
    after -= p->info.requests;
    if (plugins::Fits(adding, after)) {
      free = after;  // reprieved: it stays
    } else {
      victims.push_back(p->info.key);
    }
  }
  return victims;
}

// Adds the rest of every victim's gang.
std::vector<std::string> WithWholeGangs(const ClusterState& state,
                                        const std::vector<std::string>& victims) {
  std::set<std::string> out(victims.begin(), victims.end());
  for (const std::string& v : victims) {
    const PodState* p = state.FindPod(v);
    if (p == nullptr) continue;
    std::string g = GangKey(p->info);
    if (g.empty()) continue;
    for (const std::string& m : state.GangMembers(g)) {
      const PodState* mp = state.FindPod(m);
      if (mp != nullptr && HoldsResources(*mp) && !mp->info.deleting) out.insert(m);
    }
  }
  return {out.begin(), out.end()};
}

}  // namespace

PreemptionPlan PlanPreemption(const Profile& profile, ClusterState& state,
                              const std::vector<const PodInfo*>& pods,
                              PodGroupInfo::Locality locality, PlacementOptions options) {
  PreemptionPlan plan;
  if (pods.empty() || pods.front()->preempt_never) return plan;
  const PodInfo& rep = *pods.front();
  auto preemptible = Preemptible(state, rep.priority, GangKey(rep));
  if (preemptible.empty()) return plan;

  if (pods.size() == 1 && rep.gang.empty()) {
    int best = -1;
    std::vector<std::string> best_victims;
    int64_t best_sum = 0;
    for (size_t n = 0; n < state.nodes().size(); ++n) {
      const NodeState& node = state.node(static_cast<int>(n));
      if (!node.live || !profile.FeasibleIgnoringResources(rep, node)) continue;
      bool possible = false;
      auto victims = WithWholeGangs(
          state, Reprieve(state, static_cast<int>(n), rep.requests, preemptible, &possible));
      if (!possible) continue;
      int64_t sum = 0;
      for (const std::string& v : victims) sum += state.FindPod(v)->info.priority;
      if (best < 0 || sum < best_sum ||
          (sum == best_sum && victims.size() < best_victims.size())) {
        best = static_cast<int>(n);
        best_sum = sum;
        best_victims = std::move(victims);
      }
    }
    if (best < 0) return plan;
    plan.ok = true;
    plan.nodes = {best};
    plan.victims = std::move(best_victims);
    return plan;
  }

  // A gang: place it as if preemptible pods were gone, taking them off one priority level at
  // a time, lowest first, so that balloons go before real work: the first level at which the
  // gang fits bounds the victims' priority. Within that level the victims on the chosen nodes
  // are then reprieved down to the fewest. The pods are taken off the state itself and put
  // back (ClusterState::TakeOffForWhatIf): a copy of 7,500 nodes and their pods per attempt
  // was a quarter of the server's CPU in ml-7500's gang burst.
  std::vector<std::pair<int32_t, const std::string*>> by_priority;
  by_priority.reserve(preemptible.size());
  for (const auto& [key, _] : preemptible) {
    by_priority.emplace_back(state.FindPod(key)->info.priority, &key);
  }
  std::sort(by_priority.begin(), by_priority.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  struct TakenOff {
    ClusterState& state;
    std::vector<const std::string*> keys;
    void Take(const std::string& key) {
      if (state.TakeOffForWhatIf(key)) keys.push_back(&key);
    }
    void PutBack() {
      for (auto it = keys.rbegin(); it != keys.rend(); ++it) state.PutBackForWhatIf(**it);
      keys.clear();
    }
    ~TakenOff() { PutBack(); }
  } taken{state, {}};
  for (size_t i = 0; i < by_priority.size();) {
    const int32_t level = by_priority[i].first;
    if (taken.keys.empty()) {  // put back to reprieve at a lower level: take those off again
      for (size_t j = 0; j < i; ++j) taken.Take(*by_priority[j].second);
    }
    for (; i < by_priority.size() && by_priority[i].first == level; ++i) {
      taken.Take(*by_priority[i].second);
    }
    Placer placer(profile, state, options);
    GangPlan gp = placer.PlaceGang(pods, locality);
    if (!gp.ok) continue;
    taken.PutBack();  // Reprieve reads the state as it is
    std::unordered_map<int, Resources> adding;
    for (size_t k = 0; k < pods.size(); ++k) adding[gp.nodes[k]] += pods[k]->requests;
    std::vector<std::string> victims;
    bool possible = true;
    for (const auto& [n, req] : adding) {
      auto v = Reprieve(state, n, req, preemptible, &possible, level);
      if (!possible) break;
      victims.insert(victims.end(), v.begin(), v.end());
    }
    if (!possible) continue;
    plan.ok = true;
    plan.nodes = gp.nodes;
    plan.victims = WithWholeGangs(state, victims);
    return plan;
  }
  return plan;
}

}  // namespace shoal::scheduler
