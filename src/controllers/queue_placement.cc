#include "controllers/queue_placement.h"

#include <algorithm>
#include <limits>
#include <queue>
#include <tuple>

namespace shoal::controllers {

int64_t AmountIn(const ResourceAmounts& m, const std::string& r) {
  auto it = m.find(r);
  return it == m.end() ? 0 : it->second;
}

namespace {

bool Suits(const NodeRoom& node, const PodsToPlace& pods) {
  for (const auto& [k, v] : pods.node_selector) {
    auto it = node.labels.find(k);
    if (it == node.labels.end() || it->second != v) return false;
  }
  for (const Taint& t : node.taints) {
    if (t.effect == "PreferNoSchedule") continue;
    if (!ToleratedByAny(pods.tolerations, t)) return false;
  }
  return true;
}

// The room of every node in the resources the pods ask for, and where each pod set may go:
// one pass's working copy, so that the model itself changes only on commit.
struct Scratch {
  std::vector<std::string> resources;
  std::vector<std::vector<int64_t>> size;   // pod set -> amount per resource
  std::vector<int32_t> remaining;           // pod set -> pods not placed yet
  std::vector<size_t> order;                // pod sets, largest pods first
  std::vector<std::vector<int64_t>> room;   // node -> amount per resource
  std::vector<std::vector<char>> suits;     // pod set -> node -> may go there
  std::vector<char> changed;                // node -> its room differs from the model's

  Scratch(const std::vector<NodeRoom>& nodes, const std::vector<PodsToPlace>& pods) {
    std::set<std::string> names;
    for (const PodsToPlace& p : pods) {
      for (const auto& [r, v] : p.per_pod) {
        if (v > 0) names.insert(r);
      }
    }
    resources.assign(names.begin(), names.end());
    for (const PodsToPlace& p : pods) {
      std::vector<int64_t> s;
      for (const std::string& r : resources) s.push_back(AmountIn(p.per_pod, r));
      size.push_back(std::move(s));
      remaining.push_back(p.count);
      std::vector<char> ok;
      ok.reserve(nodes.size());
      for (const NodeRoom& n : nodes) ok.push_back(Suits(n, p));
      suits.push_back(std::move(ok));
    }
    for (size_t g = 0; g < pods.size(); ++g) order.push_back(g);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return size[a] > size[b];
    });
    room.reserve(nodes.size());
    changed.assign(nodes.size(), 0);
    for (const NodeRoom& n : nodes) {
      std::vector<int64_t> r;
      for (const std::string& name : resources) r.push_back(AmountIn(n.free, name));
      room.push_back(std::move(r));
    }
  }

  void Add(size_t node, const ResourceAmounts& amounts, int sign) {
    changed[node] = 1;
    for (size_t i = 0; i < resources.size(); ++i) {
      room[node][i] += sign * AmountIn(amounts, resources[i]);
    }
  }

  static bool Covers(const std::vector<int64_t>& room, const std::vector<int64_t>& need) {
    for (size_t i = 0; i < need.size(); ++i) {
      if (room[i] < need[i]) return false;
    }
    return true;
  }

  // Places what still fits on `node`; the number of pods placed.
  int PlaceOn(size_t node) {
    int placed = Place(node, room[node], remaining);
    if (placed > 0) changed[node] = 1;
    return placed;
  }

  // Places pods of `left` into `r`, the room of `node`, while they fit; how many.
  int Place(size_t node, std::vector<int64_t>& r, std::vector<int32_t>& left) const {
    int placed = 0;
    for (size_t g : order) {
      if (!suits[g][node]) continue;
      while (left[g] > 0 && Covers(r, size[g])) {
        for (size_t i = 0; i < resources.size(); ++i) r[i] -= size[g][i];
        --left[g];
        ++placed;
      }
    }
    return placed;
  }

  bool Done() const {
    return std::all_of(remaining.begin(), remaining.end(), [](int32_t n) { return n == 0; });
  }

  // The first pod set with pods left that may go on `node`, or -1.
  int NextFor(size_t node) const {
    for (size_t g : order) {
      if (remaining[g] > 0 && suits[g][node]) return static_cast<int>(g);
    }
    return -1;
  }
};

}  // namespace

RoomModel::RoomModel(std::vector<NodeRoom> nodes) : nodes_(std::move(nodes)) {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (const auto& [key, amounts] : nodes_[i].held) where_[key].emplace_back(i, &amounts);
  }
}

bool RoomModel::Fits(const std::vector<PodsToPlace>& pods, const std::set<std::string>& evicted,
                     bool commit) {
  Scratch s(nodes_, pods);
  for (const std::string& key : evicted) {
    auto it = where_.find(key);
    if (it == where_.end()) continue;
    for (const auto& [node, amounts] : it->second) s.Add(node, *amounts, +1);
  }
  for (size_t n = 0; n < nodes_.size() && !s.Done(); ++n) s.PlaceOn(n);
  if (!s.Done()) return false;
  if (commit) {
    // The placed pods' room is taken and the victims' is free for good (their pods are on
    // their way out): the model's own free room becomes the scratch room.
    for (size_t n = 0; n < nodes_.size(); ++n) {
      if (!s.changed[n]) continue;
      const ResourceAmounts victims_here = Held(evicted, n);
      for (size_t i = 0; i < s.resources.size(); ++i) {
        nodes_[n].free[s.resources[i]] = s.room[n][i] - AmountIn(victims_here, s.resources[i]);
      }
    }
    for (const std::string& key : evicted) Release(key);
  }
  return true;
}

ResourceAmounts RoomModel::Held(const std::set<std::string>& keys, size_t node) const {
  ResourceAmounts out;
  for (const std::string& key : keys) {
    auto it = where_.find(key);
    if (it == where_.end()) continue;
    for (const auto& [n, amounts] : it->second) {
      if (n != node) continue;
      for (const auto& [r, v] : *amounts) out[r] += v;
    }
  }
  return out;
}

void RoomModel::Release(const std::string& key) {
  auto it = where_.find(key);
  if (it == where_.end()) return;
  for (const auto& [node, amounts] : it->second) {
    for (const auto& [r, v] : *amounts) nodes_[node].free[r] += v;
  }
  where_.erase(it);
}

void RoomModel::Reserve(const std::vector<PodsToPlace>& pods) {
  Scratch s(nodes_, pods);
  for (size_t n = 0; n < nodes_.size() && !s.Done(); ++n) {
    if (s.PlaceOn(n) == 0) continue;
    for (size_t i = 0; i < s.resources.size(); ++i) nodes_[n].free[s.resources[i]] = s.room[n][i];
  }
}

ResourceAmounts RoomModel::Held(const std::string& key) const {
  ResourceAmounts out;
  auto it = where_.find(key);
  if (it == where_.end()) return out;
  for (const auto& [node, amounts] : it->second) {
    for (const auto& [r, v] : *amounts) out[r] += v;
  }
  return out;
}

std::optional<std::vector<size_t>> RoomModel::VictimsForRoom(
    const std::vector<PodsToPlace>& pods, const std::vector<VictimCandidate>& candidates,
    const std::function<bool(size_t)>& allowed, const std::function<void(size_t)>& take) const {
  Scratch s(nodes_, pods);
  for (size_t n = 0; n < nodes_.size() && !s.Done(); ++n) s.PlaceOn(n);
  std::vector<size_t> victims;
  if (s.Done()) return victims;

  // What each candidate frees, counted in pods of the reclaimer's largest size (per resource,
  // the most any of its pods asks), and on which nodes it holds room, in preference order.
  std::vector<int64_t> largest(s.resources.size(), 0);
  for (const auto& sz : s.size) {
    for (size_t i = 0; i < sz.size(); ++i) largest[i] = std::max(largest[i], sz[i]);
  }
  std::vector<double> units(candidates.size(), 0);
  std::vector<std::vector<size_t>> on_node(nodes_.size());
  using Where = std::vector<std::pair<size_t, const ResourceAmounts*>>;
  static const Where kNowhere;
  std::vector<const Where*> where(candidates.size(), &kNowhere);
  for (size_t c = 0; c < candidates.size(); ++c) {
    for (size_t i = 0; i < s.resources.size(); ++i) {
      if (largest[i] > 0) {
        units[c] += static_cast<double>(AmountIn(candidates[c].usage, s.resources[i])) / largest[i];
      }
    }
    auto it = where_.find(candidates[c].key);
    if (it == where_.end()) continue;
    where[c] = &it->second;
    for (const auto& [node, amounts] : it->second) on_node[node].push_back(c);
  }
  std::vector<char> taken(candidates.size(), 0);

  // The cheapest eviction on `node` that lets one more pod go there: the candidates taken, in
  // preference order, until the first pod set that may go there fits. Its cost: the highest
  // priority among them, then what they free per pod it lets be placed (on every node they
  // hold room on, so that a gang spread over two nodes counts as room for two pods), then
  // more pods placed first.
  using Cost = std::tuple<int32_t, double, int>;  // top priority, units per pod, -pods
  constexpr Cost kNever{std::numeric_limits<int32_t>::max(), 0, 0};
  auto evict_on = [&](size_t node, std::vector<size_t>* chosen) -> Cost {
    int g = s.NextFor(node);
    if (g < 0) return kNever;
    std::vector<int64_t> room = s.room[node];
    int32_t top = std::numeric_limits<int32_t>::min();
    double cost = 0;
    std::vector<size_t> picked;
    for (size_t c : on_node[node]) {
      if (taken[c] || !allowed(c)) continue;
      for (const auto& [n, amounts] : *where[c]) {
        if (n != node) continue;
        for (size_t i = 0; i < s.resources.size(); ++i) {
          room[i] += AmountIn(*amounts, s.resources[i]);
        }
      }
      top = std::max(top, candidates[c].priority);
      cost += units[c];
      picked.push_back(c);
      if (!Scratch::Covers(room, s.size[g])) continue;
      // How many pods the eviction lets be placed, on a copy of the room it touches.
      std::map<size_t, std::vector<int64_t>> trial{{node, s.room[node]}};
      for (size_t p : picked) {
        for (const auto& [n, amounts] : *where[p]) {
          auto [it, fresh] = trial.try_emplace(n, s.room[n]);
          for (size_t i = 0; i < s.resources.size(); ++i) {
            it->second[i] += AmountIn(*amounts, s.resources[i]);
          }
        }
      }
      std::vector<int32_t> left = s.remaining;
      int placed = 0;
      for (auto& [n, r] : trial) placed += s.Place(n, r, left);
      if (chosen) *chosen = std::move(picked);
      return {top, cost / std::max(placed, 1), -placed};
    }
    return kNever;
  };

  using Entry = std::pair<Cost, size_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  for (size_t n = 0; n < nodes_.size(); ++n) {
    if (on_node[n].empty()) continue;
    Cost c = evict_on(n, nullptr);
    if (c != kNever) heap.emplace(c, n);
  }
  // Lazy greedy: a node's cost changes as victims are taken and pods placed, so it is worked
  // out again when it comes to the top, and put back if it is no longer the cheapest.
  while (!s.Done()) {
    if (heap.empty()) return std::nullopt;
    const size_t node = heap.top().second;
    heap.pop();
    Cost now = evict_on(node, nullptr);
    if (now == kNever) continue;
    if (!heap.empty() && heap.top().first < now) {
      heap.emplace(now, node);
      continue;
    }
    std::vector<size_t> chosen;
    evict_on(node, &chosen);
    std::set<size_t> touched;
    for (size_t c : chosen) {
      if (!allowed(c)) continue;  // taking an earlier one changed that
      taken[c] = 1;
      take(c);
      victims.push_back(c);
      for (const auto& [n, amounts] : *where[c]) {
        s.Add(n, *amounts, +1);
        touched.insert(n);
      }
    }
    touched.insert(node);
    for (size_t n : touched) s.PlaceOn(n);
    if (evict_on(node, nullptr) != kNever) heap.emplace(evict_on(node, nullptr), node);
  }
  return victims;
}

}  // namespace shoal::controllers
