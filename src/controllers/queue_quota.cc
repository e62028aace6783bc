#include "controllers/queue_quota.h"

#include <algorithm>
#include <limits>
#include <set>
#include <tuple>

#include <boost/json.hpp>

#include "api/object.h"
#include "api/quantity.h"
#include "base/strings.h"

namespace shoal::controllers {

namespace json = boost::json;

namespace {

constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::max() / 4;

void AddTo(ResourceAmounts& into, const std::string& r, int64_t v) {
  into[r] = AmountIn(into, r) + v;
}

// The quota of `cq` for (flavor, resource); nullptr when it has none.
const ResourceQuota* QuotaOf(const ClusterQueueSpec& cq, const std::string& flavor,
                             const std::string& resource) {
  for (const ResourceGroup& g : cq.groups) {
    for (const FlavorQuotas& f : g.flavors) {
      if (f.flavor != flavor) continue;
      auto it = f.resources.find(resource);
      if (it != f.resources.end()) return &it->second;
    }
  }
  return nullptr;
}

int64_t Lendable(const ResourceQuota* q) {
  if (q == nullptr) return 0;
  return q->lending_limit ? std::min(*q->lending_limit, q->nominal) : q->nominal;
}

// Quota bookkeeping for one pass: usage per ClusterQueue, with the cohort pools derived.
class Ledger {
 public:
  Ledger(const std::map<std::string, ClusterQueueSpec>& queues, Usage usage)
      : queues_(queues), usage_(std::move(usage)) {}

  int64_t Used(const std::string& cq, const std::string& f, const std::string& r) const {
    auto q = usage_.find(cq);
    if (q == usage_.end()) return 0;
    auto fl = q->second.find(f);
    return fl == q->second.end() ? 0 : AmountIn(fl->second, r);
  }

  void Add(const std::string& cq, const Assignment& a, int sign) {
    for (const auto& [f, amounts] : a.usage) {
      for (const auto& [r, v] : amounts) AddTo(usage_[cq][f], r, sign * v);
    }
  }

  // The members of `cq`'s cohort (itself alone when it has none).
  std::vector<const ClusterQueueSpec*> Cohort(const ClusterQueueSpec& cq) const {
    std::vector<const ClusterQueueSpec*> out;
    if (cq.cohort.empty()) return {&cq};
    for (const auto& [name, q] : queues_) {
      if (q.cohort == cq.cohort) out.push_back(&q);
    }
    return out;
  }

  // The cohort's lendable quota of (f, r), and how much of it is in use.
  std::pair<int64_t, int64_t> Pool(const ClusterQueueSpec& cq, const std::string& f,
                                   const std::string& r) const {
    int64_t pool = 0, used = 0;
    for (const ClusterQueueSpec* q : Cohort(cq)) {
      const ResourceQuota* quota = QuotaOf(*q, f, r);
      int64_t lendable = Lendable(quota);
      int64_t guaranteed = (quota ? quota->nominal : 0) - lendable;
      pool += lendable;
      used += std::max<int64_t>(0, Used(q->name, f, r) - guaranteed);
    }
    return {pool, used};
  }

  // How much more of (f, r) `cq` may take now.
  int64_t Available(const ClusterQueueSpec& cq, const std::string& f, const std::string& r) const {
    const ResourceQuota* quota = QuotaOf(cq, f, r);
    int64_t nominal = quota ? quota->nominal : 0;
    int64_t used = Used(cq.name, f, r);
    if (cq.cohort.empty()) return nominal - used;
    int64_t cap = quota && quota->borrowing_limit ? nominal + *quota->borrowing_limit - used
                                                  : kUnlimited;
    auto [pool, pool_used] = Pool(cq, f, r);
    int64_t guaranteed = nominal - Lendable(quota);
    int64_t from_pool = pool - pool_used + std::max<int64_t>(0, guaranteed - used);
    return std::min(cap, from_pool);
  }

  int64_t Nominal(const ClusterQueueSpec& cq, const std::string& f, const std::string& r) const {
    const ResourceQuota* quota = QuotaOf(cq, f, r);
    return quota ? quota->nominal : 0;
  }

  // Whether `cq` uses more than its nominal quota of (f, r).
  bool Borrowing(const ClusterQueueSpec& cq, const std::string& f, const std::string& r) const {
    const ResourceQuota* quota = QuotaOf(cq, f, r);
    return Used(cq.name, f, r) > (quota ? quota->nominal : 0);
  }

  // The weighted dominant share of what `cq` borrows from its cohort (0 when it borrows
  // nothing): Kueue's fair-sharing order.
  double Share(const ClusterQueueSpec& cq) const {
    if (cq.cohort.empty()) return 0;
    double share = 0;
    for (const ResourceGroup& g : cq.groups) {
      for (const FlavorQuotas& fq : g.flavors) {
        for (const auto& [r, quota] : fq.resources) {
          int64_t borrowed = Used(cq.name, fq.flavor, r) - quota.nominal;
          if (borrowed <= 0) continue;
          auto [pool, used] = Pool(cq, fq.flavor, r);
          if (pool > 0) share = std::max(share, static_cast<double>(borrowed) / pool);
        }
      }
    }
    return share / std::max(cq.weight, 1e-9);
  }

 private:
  const std::map<std::string, ClusterQueueSpec>& queues_;
  Usage usage_;
};

bool Eligible(const PodSet& ps, const ResourceFlavorSpec& flavor) {
  for (const auto& [k, v] : ps.node_selector) {
    auto it = flavor.node_labels.find(k);
    if (it != flavor.node_labels.end() && it->second != v) return false;
  }
  std::vector<Toleration> all = ps.tolerations;
  all.insert(all.end(), flavor.tolerations.begin(), flavor.tolerations.end());
  for (const Taint& t : flavor.node_taints) {
    if (t.effect == "PreferNoSchedule") continue;
    if (!ToleratedByAny(all, t)) return false;
  }
  return true;
}

// Finds a flavor for every resource of every pod set, or says why there is none.
// With `nominal_only`, only the queue's own unused nominal quota counts (no borrowing).
std::optional<Assignment> Fit(const ClusterQueueSpec& cq,
                              const std::map<std::string, ResourceFlavorSpec>& flavors,
                              const WorkloadInfo& w, const Ledger& ledger, std::string* why,
                              bool nominal_only = false) {
  Assignment out;
  std::string first_problem;
  for (const PodSet& ps : w.pod_sets) {
    // The pod set's requests, by the resource group that covers them.
    std::map<const ResourceGroup*, std::vector<std::string>> by_group;
    for (const auto& [r, amount] : ps.per_pod) {
      if (amount <= 0) continue;
      const ResourceGroup* group = nullptr;
      for (const ResourceGroup& g : cq.groups) {
        if (std::find(g.covered.begin(), g.covered.end(), r) != g.covered.end()) group = &g;
      }
      if (group == nullptr) {
        *why = base::StrCat("couldn't assign flavors to pod set ", ps.name, ": resource ", r,
                            " unavailable in ClusterQueue");
        return std::nullopt;
      }
      by_group[group].push_back(r);
    }
    for (const auto& [group, resources] : by_group) {
      bool placed = false;
      for (const FlavorQuotas& fq : group->flavors) {
        auto fl = flavors.find(fq.flavor);
        if (fl == flavors.end() || !Eligible(ps, fl->second)) continue;
        bool fits = true;
        for (const std::string& r : resources) {
          int64_t need = ps.per_pod.at(r) * ps.count;
          int64_t already = AmountIn(out.usage[fq.flavor], r);
          int64_t available = (nominal_only ? ledger.Nominal(cq, fq.flavor, r) -
                                                  ledger.Used(cq.name, fq.flavor, r)
                                            : ledger.Available(cq, fq.flavor, r)) -
                              already;
          if (need > available) {
            fits = false;
            if (first_problem.empty()) {
              first_problem = base::StrCat(
                  "couldn't assign flavors to pod set ", ps.name, ": insufficient quota for ", r,
                  " in flavor ", fq.flavor, ": ", AmountText(r, need), " requested, ",
                  AmountText(r, std::max<int64_t>(0, available)), " available",
                  cq.cohort.empty() ? " in ClusterQueue" : " in cohort");
            }
            break;
          }
        }
        if (!fits) continue;
        for (const std::string& r : resources) {
          out.flavors[ps.name][r] = fq.flavor;
          AddTo(out.usage[fq.flavor], r, ps.per_pod.at(r) * ps.count);
        }
        placed = true;
        break;
      }
      if (!placed) {
        *why = first_problem.empty()
                   ? base::StrCat("couldn't assign flavors to pod set ", ps.name,
                                  ": no flavor of the ClusterQueue suits its node selector and "
                                  "tolerations")
                   : first_problem;
        return std::nullopt;
      }
    }
  }
  return out;
}

// The (flavor, resource) pairs `w` would use in `cq` at most: those of its requests.
bool WithinNominal(const ClusterQueueSpec& cq, const Assignment& a, const Ledger& ledger) {
  for (const auto& [f, amounts] : a.usage) {
    for (const auto& [r, v] : amounts) {
      const ResourceQuota* q = QuotaOf(cq, f, r);
      if (ledger.Used(cq.name, f, r) + v > (q ? q->nominal : 0)) return false;
    }
  }
  return true;
}

// Per resource, the most any one pod of `w` asks for.
ResourceAmounts LargestPod(const WorkloadInfo& w) {
  ResourceAmounts largest;
  for (const PodSet& ps : w.pod_sets) {
    for (const auto& [r, amount] : ps.per_pod) largest[r] = std::max(largest[r], amount);
  }
  return largest;
}

// True when every pod of `v` asks at least `largest` (LargestPod of a preemptor) of each
// resource: evicting `v` frees, on each of its nodes, room where one of the preemptor's pods
// fits (whole nodes for a gang of whole-node pods), where evicting small pods frees quota
// scattered over many nodes.
bool PodsAtLeastAsLarge(const WorkloadInfo& v, const ResourceAmounts& largest) {
  for (const PodSet& ps : v.pod_sets) {
    for (const auto& [r, amount] : largest) {
      if (amount <= 0) continue;
      auto it = ps.per_pod.find(r);
      if (it == ps.per_pod.end() || it->second < amount) return false;
    }
  }
  return true;
}

// The pods of `w` as placement sees them once admitted with `a`: each pod set with its
// flavors' node labels and tolerations added.
std::vector<PodsToPlace> PodsOf(const WorkloadInfo& w, const Assignment& a,
                                const std::map<std::string, ResourceFlavorSpec>& flavors) {
  std::vector<PodsToPlace> out;
  for (const PodSet& ps : w.pod_sets) {
    PodsToPlace p{ps.count, ps.per_pod, ps.node_selector, ps.tolerations};
    std::set<std::string> seen;
    if (auto it = a.flavors.find(ps.name); it != a.flavors.end()) {
      for (const auto& [r, f] : it->second) {
        auto fl = flavors.find(f);
        if (fl == flavors.end() || !seen.insert(f).second) continue;
        for (const auto& [k, v] : fl->second.node_labels) p.node_selector[k] = v;
        p.tolerations.insert(p.tolerations.end(), fl->second.tolerations.begin(),
                             fl->second.tolerations.end());
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

// A topology-aware flavor that `a` assigns ("" when none).
std::string TopologyAwareFlavor(const Assignment& a,
                                const std::map<std::string, ResourceFlavorSpec>& flavors) {
  for (const auto& [set, per_resource] : a.flavors) {
    for (const auto& [r, f] : per_resource) {
      auto it = flavors.find(f);
      if (it != flavors.end() && it->second.topology_aware) return f;
    }
  }
  return "";
}

// Whether `a` was admitted after `b`: victims' order among equal priorities, so that the least
// work is lost (times have one-second resolution: then the most recently created, then by key).
bool AdmittedLater(const WorkloadInfo& a, const WorkloadInfo& b) {
  return std::tie(a.admitted_at, a.created, a.key) > std::tie(b.admitted_at, b.created, b.key);
}

// The pods of admitted `w` that hold no room on a node yet, as many per pod set as what the
// workload holds on nodes does not cover.
std::vector<PodsToPlace> UnboundPods(const RoomModel& model, const WorkloadInfo& w,
                                     const std::map<std::string, ResourceFlavorSpec>& flavors) {
  ResourceAmounts held = model.Held(w.key);
  std::vector<PodsToPlace> pods = PodsOf(w, *w.admitted, flavors);
  for (PodsToPlace& p : pods) {
    int64_t bound = p.count;
    for (const auto& [r, v] : p.per_pod) {
      if (v > 0) bound = std::min(bound, std::max<int64_t>(0, AmountIn(held, r)) / v);
    }
    for (const auto& [r, v] : p.per_pod) held[r] = AmountIn(held, r) - bound * v;
    p.count -= static_cast<int32_t>(bound);
  }
  return pods;
}

// Admitted `v` as node-by-node victim choice sees it: what its admission holds in total.
VictimCandidate AsVictim(const WorkloadInfo& v) {
  ResourceAmounts usage;
  for (const auto& [f, amounts] : v.admitted->usage) {
    for (const auto& [r, amount] : amounts) usage[r] += amount;
  }
  return {v.key, v.priority, std::move(usage)};
}

bool AnyPods(const std::vector<PodsToPlace>& pods) {
  return std::any_of(pods.begin(), pods.end(), [](const PodsToPlace& p) { return p.count > 0; });
}

// Frees, in `model`, the room of pods whose workload is no longer admitted (evicted, its pods
// not deleted yet): a preemptor whose victims were evicted must not find their room taken, or
// wait for it and let other work take the quota back (which would preempt again, round after
// round).
void ReleaseEvicted(RoomModel& model, const std::vector<WorkloadInfo>& workloads) {
  for (const WorkloadInfo& w : workloads) {
    if (!w.admitted) model.Release(w.key);  // suspended Jobs lose their pods
  }
}

// Uses up, in `model`, the room of the pods of admitted workloads that are not bound yet (a
// Job's pods are created and bound some 100 ms after its admission, across passes): without
// it, the next pass would see that room free and admit other work into it. The workloads in
// `overdue` are Defragment's, which places them first.
void ReserveUnboundPods(RoomModel& model, const std::vector<WorkloadInfo>& workloads,
                        const std::map<std::string, ResourceFlavorSpec>& flavors,
                        const std::map<std::string, int32_t>& overdue) {
  for (const WorkloadInfo& w : workloads) {
    if (!w.admitted || overdue.contains(w.key)) continue;
    std::vector<PodsToPlace> pods = UnboundPods(model, w, flavors);
    if (AnyPods(pods)) model.Reserve(pods);
  }
}

// shoal's defragmentation (not in Kueue): an admitted workload whose pods have waited longer
// than the controller's grace for nodes (`overdue`: workload -> its pods not placed yet) holds
// quota that no node can give it, typically an 8-GPU-pod gang facing free GPUs spread over
// partly used nodes. If its ClusterQueue may preempt at all, smaller work of its ClusterQueue
// or cohort, of no higher priority and with smaller pods (never a peer gang), is evicted node
// by node (RoomModel::VictimsForRoom; the most recently admitted first among equals, so the
// least work is lost) until its pods fit. The victims are requeued like any preempted
// workload (`out.displaced` names the workload they made room for, so that the caller can hold
// them until its pods are placed: WorkloadInfo::makes_room_for).
void Defragment(const std::map<std::string, ClusterQueueSpec>& queues,
                const std::map<std::string, ResourceFlavorSpec>& flavors,
                const std::vector<WorkloadInfo>& workloads,
                const std::map<std::string, int32_t>& overdue, RoomModel& model,
                std::set<std::string>& taken, Decisions& out) {
  std::vector<const WorkloadInfo*> stranded;
  for (const WorkloadInfo& w : workloads) {
    if (w.admitted && overdue.contains(w.key)) stranded.push_back(&w);
  }
  std::sort(stranded.begin(), stranded.end(),
            [](const WorkloadInfo* a, const WorkloadInfo* b) { return AdmittedLater(*b, *a); });
  for (const WorkloadInfo* w : stranded) {
    std::vector<PodsToPlace> pods = UnboundPods(model, *w, flavors);
    // Finished pods hold no room and need none: at most the pods the controller sees waiting.
    int32_t waiting = overdue.at(w->key);
    for (PodsToPlace& p : pods) {
      p.count = std::min(p.count, waiting);
      waiting -= p.count;
    }
    if (!AnyPods(pods) || model.Fits(pods, {}, /*commit=*/true)) continue;
    auto q = queues.find(w->cluster_queue);
    std::vector<const WorkloadInfo*> candidates;
    if (q != queues.end() && MayPreempt(q->second)) {
      const ResourceAmounts largest = LargestPod(*w);
      for (const WorkloadInfo& v : workloads) {
        if (!v.admitted || v.key == w->key || taken.contains(v.key) || overdue.contains(v.key) ||
            v.priority > w->priority || PodsAtLeastAsLarge(v, largest)) {
          continue;
        }
        auto vq = queues.find(v.cluster_queue);
        if (vq == queues.end()) continue;
        if (v.cluster_queue == w->cluster_queue ||
            (!q->second.cohort.empty() && vq->second.cohort == q->second.cohort)) {
          candidates.push_back(&v);
        }
      }
      std::sort(candidates.begin(), candidates.end(),
                [](const WorkloadInfo* a, const WorkloadInfo* b) {
                  if (a->priority != b->priority) return a->priority < b->priority;
                  return AdmittedLater(*a, *b);
                });
    }
    std::vector<VictimCandidate> by_node;
    for (const WorkloadInfo* v : candidates) by_node.push_back(AsVictim(*v));
    std::optional<std::vector<size_t>> chosen;
    if (!by_node.empty()) {
      chosen = model.VictimsForRoom(
          pods, by_node, [](size_t) { return true; }, [](size_t) {});
    }
    if (!chosen || chosen->empty()) {
      model.Reserve(pods);  // nothing may move: it waits for pods to finish
      continue;
    }
    std::set<std::string> keys;
    for (size_t i : *chosen) {
      const WorkloadInfo* v = candidates[i];
      keys.insert(v->key);
      taken.insert(v->key);
      out.preempt[v->key] = base::StrCat(
          "Preempted to make room on nodes for an admitted workload (", w->key,
          ") whose pods found none");
      out.displaced[v->key] = w->key;
    }
    (void)model.Fits(pods, keys, /*commit=*/true);
  }
}

// Victims that would let `w` fit, or empty. Same-queue victims need kLowerPriority within the
// ClusterQueue; cohort victims must belong to a ClusterQueue that borrows, and `w` must then
// stay within its own nominal quota (reclaim), with kAny or kLowerPriority.
//
// With a RoomModel, victims chosen by quota alone whose eviction leaves no node room for
// `w`'s pods are replaced by victims chosen node by node (RoomModel::VictimsForRoom), topped
// up in the same order until the quota fits; the room the preemptor will take is then used
// up for the rest of the pass.
struct Preemption {
  std::vector<const WorkloadInfo*> victims;  // empty: preemption does not help
  Assignment assignment;                     // the preemptor's, once they are gone
};

Preemption PlanPreemption(
    const ClusterQueueSpec& cq, const std::map<std::string, ClusterQueueSpec>& queues,
    const std::map<std::string, ResourceFlavorSpec>& flavors, const WorkloadInfo& w,
    const std::vector<WorkloadInfo>& workloads, const std::set<std::string>& taken,
    const Ledger& start, const std::function<RoomModel*()>& room_of_pass) {
  // Each candidate with whether its pods are as large as w's, worked out once before sorting.
  struct Candidate {
    const WorkloadInfo* v;
    bool large = false;
  };
  std::vector<Candidate> candidates;
  for (const WorkloadInfo& v : workloads) {
    if (!v.admitted || taken.contains(v.key)) continue;
    auto q = queues.find(v.cluster_queue);
    if (q == queues.end()) continue;
    if (v.cluster_queue == cq.name) {
      if (cq.within_cluster_queue != PreemptionPolicy::kNever && v.priority < w.priority) {
        candidates.push_back({&v});
      }
    } else if (!cq.cohort.empty() && q->second.cohort == cq.cohort &&
               cq.reclaim_within_cohort != PreemptionPolicy::kNever &&
               (cq.reclaim_within_cohort == PreemptionPolicy::kAny || v.priority < w.priority)) {
      candidates.push_back({&v});
    }
  }
  if (candidates.empty()) return {};
  const ResourceAmounts largest = LargestPod(w);
  for (Candidate& c : candidates) c.large = PodsAtLeastAsLarge(*c.v, largest);
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& ca, const Candidate& cb) {
    const WorkloadInfo* a = ca.v;
    const WorkloadInfo* b = cb.v;
    if (a->priority != b->priority) return a->priority < b->priority;
    // Among equals, workloads whose pods are as large as w's go first (shoal's addition to
    // Kueue's order): the quota they release is also room on nodes that w's pods fit in.
    if (ca.large != cb.large) return ca.large;
    return AdmittedLater(*a, *b);
  });

  // Whether candidate `v` may be taken with `ledger`'s usage: only quota lent beyond the
  // victim's nominal may be taken back.
  auto may_take = [&](const WorkloadInfo& v, const Ledger& ledger) {
    if (v.cluster_queue == cq.name) return true;
    const ClusterQueueSpec& vq = queues.at(v.cluster_queue);
    for (const auto& [f, amounts] : v.admitted->usage) {
      for (const auto& [r, amount] : amounts) {
        if (ledger.Borrowing(vq, f, r)) return true;
      }
    }
    return false;
  };
  // Adds candidates in order (after those in `victims`) until w fits; w's assignment, or
  // nullopt when it never does.
  auto top_up = [&](std::vector<const WorkloadInfo*>& victims,
                    Ledger& ledger) -> std::optional<Assignment> {
    std::set<const WorkloadInfo*> in(victims.begin(), victims.end());
    std::string why;
    for (size_t i = 0;; ++i) {
      if (!victims.empty()) {
        if (std::optional<Assignment> a = Fit(cq, flavors, w, ledger, &why)) {
          bool reclaims = std::any_of(victims.begin(), victims.end(), [&](const auto* x) {
            return x->cluster_queue != cq.name;
          });
          if (!reclaims || WithinNominal(cq, *a, ledger)) return a;
        }
      }
      for (; i < candidates.size(); ++i) {
        const WorkloadInfo* v = candidates[i].v;
        if (!in.contains(v) && may_take(*v, ledger)) break;
      }
      if (i >= candidates.size()) return std::nullopt;
      ledger.Add(candidates[i].v->cluster_queue, *candidates[i].v->admitted, -1);
      victims.push_back(candidates[i].v);
      in.insert(candidates[i].v);
    }
  };

  std::vector<const WorkloadInfo*> victims;
  Ledger ledger = start;
  std::optional<Assignment> a = top_up(victims, ledger);
  if (!a) return {};
  RoomModel* room = room_of_pass();
  if (room == nullptr) return {std::move(victims), std::move(*a)};
  std::set<std::string> keys;
  for (const WorkloadInfo* v : victims) keys.insert(v->key);
  std::vector<PodsToPlace> pods = PodsOf(w, *a, flavors);
  if (!room->Fits(pods, keys, /*commit=*/false)) {
    // Quota alone frees no room where w's pods fit: choose victims by node instead.
    std::vector<VictimCandidate> by_node;
    for (const Candidate& c : candidates) by_node.push_back(AsVictim(*c.v));
    Ledger node_ledger = start;
    std::optional<std::vector<size_t>> chosen = room->VictimsForRoom(
        pods, by_node,
        [&](size_t i) { return may_take(*candidates[i].v, node_ledger); },
        [&](size_t i) {
          node_ledger.Add(candidates[i].v->cluster_queue, *candidates[i].v->admitted, -1);
        });
    if (chosen) {
      std::vector<const WorkloadInfo*> node_victims;
      for (size_t i : *chosen) node_victims.push_back(candidates[i].v);
      if (std::optional<Assignment> na = top_up(node_victims, node_ledger)) {
        victims = std::move(node_victims);
        pods = PodsOf(w, *na, flavors);
        a = std::move(na);
        keys.clear();
        for (const WorkloadInfo* v : victims) keys.insert(v->key);
      }
    }
  }
  (void)room->Fits(pods, keys, /*commit=*/true);
  return {std::move(victims), std::move(*a)};
}

}  // namespace

absl::StatusOr<int64_t> AmountOf(const std::string& resource, const json::value& quantity) {
  absl::StatusOr<api::Quantity> q = api::QuantityFromJson(quantity);
  if (!q.ok()) return q.status();
  return resource == "cpu" ? q->MilliValue() : q->Value();
}

std::string AmountText(const std::string& resource, int64_t amount) {
  if (resource == "cpu") return api::Quantity::FromMilli(amount).String();
  // Byte counts print as Kubernetes prints memory ("600Mi"); counts below 1024 as numbers.
  bool binary = amount >= 1024 && amount % 1024 == 0;
  return api::Quantity::FromUnits(amount, binary ? api::Quantity::Format::kBinarySI
                                                 : api::Quantity::Format::kDecimalSI)
      .String();
}

ResourceAmounts PodRequests(const json::object& pod_spec) {
  auto requests_of = [](const json::value& c) {
    ResourceAmounts out;
    const json::value* req = api::FindPath(c, "resources.requests");
    if (req == nullptr || !req->is_object()) return out;
    for (const auto& [k, v] : req->get_object()) {
      std::string r(k);
      absl::StatusOr<int64_t> a = AmountOf(r, v);
      if (a.ok()) out[r] = *a;
    }
    return out;
  };
  ResourceAmounts total;
  if (const json::value* cs = pod_spec.if_contains("containers"); cs && cs->is_array()) {
    for (const json::value& c : cs->get_array()) {
      for (const auto& [r, v] : requests_of(c)) AddTo(total, r, v);
    }
  }
  if (const json::value* cs = pod_spec.if_contains("initContainers"); cs && cs->is_array()) {
    for (const json::value& c : cs->get_array()) {
      for (const auto& [r, v] : requests_of(c)) total[r] = std::max(AmountIn(total, r), v);
    }
  }
  return total;
}

Usage UsageOf(const std::vector<WorkloadInfo>& workloads) {
  Usage out;
  for (const WorkloadInfo& w : workloads) {
    if (!w.admitted || w.cluster_queue.empty()) continue;
    for (const auto& [f, amounts] : w.admitted->usage) {
      for (const auto& [r, v] : amounts) AddTo(out[w.cluster_queue][f], r, v);
    }
  }
  return out;
}

Decisions Schedule(const std::map<std::string, ClusterQueueSpec>& queues,
                   const std::map<std::string, ResourceFlavorSpec>& flavors,
                   const std::vector<WorkloadInfo>& workloads,
                   const std::function<RoomModel*()>& room,
                   const std::map<std::string, int32_t>& overdue) {
  Decisions out;
  // The room model, asked for when preemption first needs it; the pods of the workloads
  // admitted until then use up their room in it first.
  RoomModel* model = nullptr;
  bool asked = false;
  std::vector<std::vector<PodsToPlace>> admitted_pods;
  std::set<std::string> taken;  // victims already chosen this pass
  auto room_of_pass = [&]() -> RoomModel* {
    if (!asked) {
      asked = true;
      model = room ? room() : nullptr;
      if (model != nullptr) {
        ReleaseEvicted(*model, workloads);
        // Overdue work holds its quota already: it gets room before newer admitted work.
        if (!overdue.empty()) Defragment(queues, flavors, workloads, overdue, *model, taken, out);
        ReserveUnboundPods(*model, workloads, flavors, overdue);
      }
    }
    if (model != nullptr) {
      for (const auto& pods : admitted_pods) (void)model->Fits(pods, {}, /*commit=*/true);
    }
    admitted_pods.clear();
    return model;
  };
  Ledger ledger(queues, UsageOf(workloads));
  // Pending workloads per ClusterQueue, in queue order.
  std::map<std::string, std::vector<const WorkloadInfo*>> pending;
  for (const WorkloadInfo& w : workloads) {
    if (w.admitted) continue;
    auto q = queues.find(w.cluster_queue);
    if (w.cluster_queue.empty() || q == queues.end()) {
      out.waiting[w.key] = "LocalQueue or ClusterQueue doesn't exist";
      continue;
    }
    if (!q->second.active) {
      out.waiting[w.key] = base::StrCat("ClusterQueue ", w.cluster_queue, " is inactive");
      continue;
    }
    if (!w.makes_room_for.empty()) {
      out.waiting[w.key] = base::StrCat("evicted to make room on nodes for ", w.makes_room_for,
                                        "; waiting until its pods are placed");
      continue;
    }
    if (w.stopping_pods > 0) {
      out.waiting[w.key] = "evicted; waiting for its pods to stop before it is admitted again";
      continue;
    }
    pending[w.cluster_queue].push_back(&w);
  }
  // FIFO: from creation, or from the last eviction (after work queued in the same second).
  auto fifo = [](const WorkloadInfo* w) {
    return std::make_pair(w->evicted_at.empty() ? w->created : w->evicted_at,
                          !w->evicted_at.empty());
  };
  for (auto& [cq, list] : pending) {
    std::sort(list.begin(), list.end(), [&](const auto* a, const auto* b) {
      if (a->priority != b->priority) return a->priority > b->priority;
      return std::make_pair(fifo(a), a->key) < std::make_pair(fifo(b), b->key);
    });
  }
  std::map<std::string, size_t> next;  // ClusterQueue -> index of its next candidate
  std::set<std::string> blocked;       // StrictFIFO queues whose head waits
  if (!overdue.empty()) (void)room_of_pass();  // defragments first
  for (;;) {
    // Kueue's order among the queues' heads: work that fits in its own nominal quota
    // first (so a lender's work passes borrowers), then priority, then the weighted share of
    // what its queue borrows, then FIFO.
    const WorkloadInfo* best = nullptr;
    double best_share = 0;
    bool best_borrows = false;
    for (const auto& [cq, list] : pending) {
      if (blocked.contains(cq) || next[cq] >= list.size()) continue;
      const WorkloadInfo* w = list[next[cq]];
      const ClusterQueueSpec& spec = queues.at(cq);
      std::string ignored;
      bool borrows = !Fit(spec, flavors, *w, ledger, &ignored, /*nominal_only=*/true) &&
                     !spec.cohort.empty();
      double share = ledger.Share(spec);
      auto key = [&](bool b, const WorkloadInfo* x, double sh) {
        return std::make_tuple(b, -static_cast<int64_t>(x->priority), sh, fifo(x), x->key);
      };
      if (best == nullptr || key(borrows, w, share) < key(best_borrows, best, best_share)) {
        best = w;
        best_share = share;
        best_borrows = borrows;
      }
    }
    if (best == nullptr) break;
    const ClusterQueueSpec& cq = queues.at(best->cluster_queue);
    ++next[cq.name];
    std::string why;
    if (std::optional<Assignment> a = Fit(cq, flavors, *best, ledger, &why)) {
      if (std::string f = TopologyAwareFlavor(*a, flavors); !f.empty()) {
        // Kueue's topology-aware admission: quota alone would reserve GPUs that no node can
        // give the pods (spread over partly used nodes), stranding them until whole nodes
        // free up; the workload waits instead and smaller work may use that room meanwhile.
        RoomModel* model = room_of_pass();
        if (model != nullptr && !model->Fits(PodsOf(*best, *a, flavors), {}, /*commit=*/true)) {
          int64_t pods = 0;
          for (const PodSet& ps : best->pod_sets) pods += ps.count;
          out.waiting[best->key] =
              base::StrCat("no room for the workload's ", pods, " pod", pods == 1 ? "" : "s",
                           " on the nodes of topology-aware flavor ", f,
                           " now; waiting for nodes to free up");
          if (cq.strict_fifo) blocked.insert(cq.name);
          continue;
        }
        ledger.Add(cq.name, *a, +1);
        out.admit.push_back({best->key, cq.name, std::move(*a)});
        continue;
      }
      ledger.Add(cq.name, *a, +1);
      // Its pods will take room: later preemptors this pass do not count on it.
      if (room && (!asked || model != nullptr)) admitted_pods.push_back(PodsOf(*best, *a, flavors));
      out.admit.push_back({best->key, cq.name, std::move(*a)});
      continue;
    }
    Preemption plan =
        PlanPreemption(cq, queues, flavors, *best, workloads, taken, ledger, room_of_pass);
    const std::vector<const WorkloadInfo*>& victims = plan.victims;
    if (!victims.empty()) {
      // The rest of the pass sees the quota as it will be: the victims' released, the
      // preemptor's held for it. Later preemptors judged against the usage before would take
      // more from a borrowing queue than it borrows, pushing it under its nominal quota, and
      // the next pass would reclaim back the other way.
      ledger.Add(cq.name, plan.assignment, +1);
      for (const WorkloadInfo* v : victims) {
        ledger.Add(v->cluster_queue, *v->admitted, -1);
        taken.insert(v->key);
        out.preempt[v->key] =
            base::StrCat("Preempted to accommodate a workload (", best->key, ") ",
                         v->cluster_queue == cq.name ? "in the ClusterQueue"
                                                     : "reclaiming quota lent to the cohort");
        out.preempted_for[v->key] = best->key;
      }
      out.waiting[best->key] =
          base::StrCat(why, "; waiting for ", victims.size(), " preempted workload",
                       victims.size() == 1 ? "" : "s", " to release quota");
    } else {
      out.waiting[best->key] = why;
    }
    if (cq.strict_fifo) blocked.insert(cq.name);
  }
  // What is left behind a blocked StrictFIFO head waits for it.
  for (const auto& [cq, list] : pending) {
    for (size_t i = next[cq]; i < list.size(); ++i) {
      if (!out.waiting.contains(list[i]->key)) {
        out.waiting[list[i]->key] = base::StrCat(
            "waiting behind workloads of StrictFIFO ClusterQueue ", cq, " that do not fit");
      }
    }
  }
  return out;
}

}  // namespace shoal::controllers
