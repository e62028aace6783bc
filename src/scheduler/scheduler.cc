#include "scheduler/scheduler.h"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "api/object.h"
#include "base/clock.h"
#include "base/strings.h"
#include "client/event_recorder.h"
#include "scheduler/plugins/registry.h"
#include "scheduler/preemption.h"

namespace shoal::scheduler {

namespace asio = boost::asio;
namespace json = boost::json;
using client::InformerEvent;
using client::MakeRequest;
using client::Request;

namespace {

using base::NowRfc3339;

// Whether a pod update changed anything the scheduling decision reads (so that its own status
// writes do not requeue an unschedulable pod).
bool SameSchedulingSpec(const PodInfo& a, const PodInfo& b) {
  return a.requests == b.requests && a.priority == b.priority && a.gated == b.gated &&
         a.node_selector == b.node_selector && a.tolerations.size() == b.tolerations.size() &&
         a.required_terms.size() == b.required_terms.size() && a.gang == b.gang &&
         a.node_name == b.node_name && a.deleting == b.deleting && a.terminal == b.terminal;
}

json::object PodRef(const PodInfo& p) {
  return json::object{{"kind", "Pod"}, {"apiVersion", "v1"}, {"namespace", p.ns},
                      {"name", p.name}, {"uid", p.uid}};
}

json::object PodGroupRef(const PodGroupInfo& g) {
  // With the uid: `kubectl describe` selects a PodGroup's Events by it.
  return json::object{{"kind", "PodGroup"}, {"apiVersion", "scheduling.x-k8s.io/v1alpha1"},
                      {"namespace", g.ns}, {"name", g.name}, {"uid", g.uid}};
}

std::string PodPath(const PodInfo& p) {
  return base::StrCat("/api/v1/namespaces/", p.ns, "/pods/", p.name);
}

// One scheduling attempt for `own` at `priority`: room reserved for them and for nominated
// pods of lower priority is theirs to take meanwhile (ClusterState::BeginAttempt).
class AttemptScope {
 public:
  AttemptScope(ClusterState& state, const std::vector<const PodInfo*>& own, int32_t priority)
      : state_(state) {
    state_.BeginAttempt(own, priority);
  }
  ~AttemptScope() { state_.EndAttempt(); }
  AttemptScope(const AttemptScope&) = delete;
  AttemptScope& operator=(const AttemptScope&) = delete;

 private:
  ClusterState& state_;
};

}  // namespace

Scheduler::Scheduler(asio::any_io_executor executor, client::Transport& transport,
                     SchedulerOptions options)
    : executor_(executor),
      transport_(transport),
      options_(std::move(options)),
      state_(options_.topology),
      profile_(plugins::DefaultProfile(options_.strategy)),
      placer_(profile_, state_, PlacementOptions{.strategy = options_.strategy}),
      wake_(executor),
      events_(executor, transport, options_.scheduler_name) {}

Scheduler::~Scheduler() = default;

void Scheduler::Spawn(asio::awaitable<void> work) {
  // Posted, not started here: co_spawn runs a coroutine inline up to its first suspension, and
  // a request that fails at once (e.g. a refused binding) would requeue its item before the
  // decision that spawned it has finished its own queue bookkeeping (which would then drop it).
  asio::post(executor_, [ex = executor_, w = std::move(work)]() mutable {
    asio::co_spawn(ex, std::move(w), asio::detached);
  });
}

void Scheduler::Start() {
  Spawn(client::RunInformer(transport_, {.path = "/api/v1/nodes"},
                            [this](InformerEvent&& e) { OnNode(std::move(e)); }));
  Spawn(client::RunInformer(transport_, {.path = "/api/v1/pods"},
                            [this](InformerEvent&& e) { OnPod(std::move(e)); }));
  Spawn(client::RunInformer(transport_,
                            {.path = "/apis/scheduling.x-k8s.io/v1alpha1/podgroups"},
                            [this](InformerEvent&& e) { OnPodGroup(std::move(e)); }));
  Spawn(Loop());
}

void Scheduler::Wake() { wake_.cancel(); }

bool Scheduler::Pending(const PodState& p) const {
  return p.info.node_name.empty() && !p.assumed && !p.info.terminal && !p.info.deleting &&
         !p.info.gated && p.info.scheduler_name == options_.scheduler_name;
}

void Scheduler::Enqueue(const PodInfo& p) {
  std::string item = p.gang.empty() ? p.key : GangItem(GangKey(p));
  queue_.Add(item, p.priority, Clock::now());
  Wake();
}

void Scheduler::OnPod(InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kSynced) {
    ++synced_;
    Wake();
    return;
  }
  std::string key = client::ObjectKey(e.object());
  const PodState* old = state_.FindPod(key);
  const bool held = old != nullptr && HoldsResources(*old);
  const int old_reserved = old != nullptr ? old->reserved : -1;
  if (e.type == InformerEvent::Type::kDeleted) {
    std::string gang = old != nullptr ? GangKey(old->info) : "";
    const int node = held ? old->node : -1;
    state_.RemovePod(key);
    queue_.Remove(key);
    reported_.erase(key);
    victims_of_.erase(key);
    if (held || old_reserved >= 0) {  // its room, or the room reserved for it, is free
      queue_.MoveAllToActive(Clock::now());
      RoomMadeOn(node);
    }
    Wake();
    return;
  }
  auto info = PodInfoFromJson(e.object(), state_.names());
  if (!info.ok()) {
    spdlog::warn("scheduler: ignoring pod {}: {}", key, info.status().ToString());
    return;
  }
  const bool changed = old == nullptr || !SameSchedulingSpec(old->info, *info);
  const int old_node = held ? old->node : -1;
  state_.UpsertPod(*std::move(info));
  const PodState& p = *state_.FindPod(key);
  if (held && !HoldsResources(p)) {
    queue_.MoveAllToActive(Clock::now());  // a pod finished: its room is free
    RoomMadeOn(old_node);
    Wake();
  } else if (old_reserved >= 0 && p.reserved != old_reserved && p.node != old_reserved) {
    queue_.MoveAllToActive(Clock::now());  // the room reserved for it is free
    Wake();
  }
  if (Pending(p)) {
    if (changed || !queue_.Contains(p.info.gang.empty() ? key : GangItem(GangKey(p.info)))) {
      Enqueue(p.info);
    }
  } else if (p.info.gang.empty()) {
    queue_.Remove(key);
  }
}

void Scheduler::OnNode(InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kSynced) {
    ++synced_;
    Wake();
    return;
  }
  std::string name(api::StringAt(e.object(), "metadata.name"));
  if (e.type == InformerEvent::Type::kDeleted) {
    state_.RemoveNode(name);
  } else {
    auto info = NodeInfoFromJson(e.object(), state_.names(), state_.topology_keys());
    if (!info.ok()) {
      spdlog::warn("scheduler: ignoring node {}: {}", name, info.status().ToString());
      return;
    }
    // A heartbeat (the kubelet's status write every few seconds: lastHeartbeatTime) changes
    // nothing the scheduler reads, and must not send every waiting pod and gang back to a
    // scheduling attempt (7,500 nodes write about 125 statuses a second): kube-scheduler's
    // queueing hints skip such updates too.
    if (const int n = state_.FindNode(name); n >= 0 && state_.node(n).info == *info) return;
    state_.UpsertNode(*std::move(info));
  }
  queue_.MoveAllToActive(Clock::now());
  Wake();
}

void Scheduler::OnPodGroup(InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kSynced) return;
  std::string key = client::ObjectKey(e.object());
  if (e.type == InformerEvent::Type::kDeleted) {
    state_.RemovePodGroup(key);
    waiting_reported_.erase(key);
    return;
  }
  const PodGroupInfo* old = state_.FindPodGroup(key);
  PodGroupInfo g = PodGroupInfoFromJson(e.object());
  bool changed = old == nullptr || old->min_member != g.min_member || old->locality != g.locality ||
                 old->schedule_timeout_seconds != g.schedule_timeout_seconds;
  state_.UpsertPodGroup(std::move(g));
  if (!changed) return;  // our own status writes
  for (const std::string& m : state_.GangMembers(key)) {
    const PodState* p = state_.FindPod(m);
    if (p != nullptr && Pending(*p)) {
      Enqueue(p->info);
      break;
    }
  }
}

asio::awaitable<void> Scheduler::Loop() {
  constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
  for (;;) {
    std::optional<std::string> item;
    if (synced_ >= 2) item = queue_.Pop(Clock::now());
    if (!item) {
      auto next = queue_.NextWakeup();
      wake_.expires_at(next && synced_ >= 2 ? *next : Clock::now() + std::chrono::hours(1));
      co_await wake_.async_wait(use_tuple);
      continue;
    }
    if (item->starts_with("gang:")) {
      ScheduleGang(item->substr(5));
    } else {
      ScheduleOne(*item);
    }
    // Let informer events in between decisions.
    co_await asio::post(executor_, asio::use_awaitable);
  }
}

void Scheduler::ScheduleOne(const std::string& key) {
  const PodState* p = state_.FindPod(key);
  if (p == nullptr || !Pending(*p)) {
    queue_.Done(key);
    return;
  }
  ++attempts_;
  if (!p->info.gang.empty()) {  // joined a gang since it was queued
    queue_.Done(key);
    Enqueue(p->info);
    return;
  }
  AttemptScope attempt(state_, {&p->info}, p->info.priority);
  int n = placer_.PlaceOne(p->info);
  if (n >= 0) {
    std::string node = state_.node(n).info.name;
    state_.Assume(key, n);
    queue_.Done(key);
    victims_of_.erase(key);
    Spawn(BindOne(key, node));
    return;
  }
  std::string message = placer_.ExplainOne(p->info);
  if (TryPreempt({&p->info}, PodGroupInfo::Locality::kPreferred)) {
    base::StrAppend(&message, " Preempting lower-priority pods.");
  }
  ReportUnschedulable(p->info, message);
  queue_.MarkUnschedulable(key, Clock::now());
}

void Scheduler::ScheduleGang(const std::string& group_key) {
  const std::string item = GangItem(group_key);
  const auto now = Clock::now();
  std::vector<const PodInfo*> pending;
  int placed = 0;
  for (const std::string& m : state_.GangMembers(group_key)) {
    const PodState* p = state_.FindPod(m);
    if (p == nullptr || p->info.scheduler_name != options_.scheduler_name) continue;
    if (Pending(*p)) pending.push_back(&p->info);
    if (HoldsResources(*p) || (!p->info.node_name.empty() && !p->info.terminal)) ++placed;
  }
  if (pending.empty()) {
    queue_.Done(item);
    return;
  }
  ++attempts_;
  std::sort(pending.begin(), pending.end(), [](const PodInfo* a, const PodInfo* b) {
    return a->creation != b->creation ? a->creation < b->creation : a->key < b->key;
  });
  AttemptScope attempt(state_, pending, pending.front()->priority);
  const PodGroupInfo* group = state_.FindPodGroup(group_key);
  if (group == nullptr) {
    std::string msg = base::StrCat("pod group \"", group_key, "\" not found: the pod waits for it");
    for (const PodInfo* p : pending) ReportUnschedulable(*p, msg);
    queue_.MarkUnschedulable(item, now);
    return;
  }
  auto place_individually = [&](size_t from) {
    bool all = true;
    for (size_t i = from; i < pending.size(); ++i) {
      int n = placer_.PlaceOne(*pending[i]);
      if (n < 0) {
        all = false;
        ReportUnschedulable(*pending[i], placer_.ExplainOne(*pending[i]));
        continue;
      }
      state_.Assume(pending[i]->key, n);
      Spawn(BindOne(pending[i]->key, state_.node(n).info.name));
    }
    return all;
  };
  const int need = group->min_member - placed;
  if (need <= 0) {
    // The gang runs already; extra members are placed as capacity allows.
    if (place_individually(0)) {
      queue_.Done(item);
    } else {
      queue_.MarkUnschedulable(item, now);
    }
    return;
  }
  if (static_cast<int>(pending.size()) < need) {
    // Told when it starts waiting, then at most every kWaitingReportEvery: a report per member
    // arriving (999 PodGroup status writes and as many Events for each 1,024-pod gang of
    // ml-7500) competed with the burst's bindings and pod status writes.
    auto [last, first_time] = waiting_reported_.try_emplace(group_key, now);
    if (first_time || now - last->second >= kWaitingReportEvery) {
      last->second = now;
      ReportGang(*group, false,
                 base::StrCat("waiting for pods: ", placed + pending.size(), " of minMember ",
                              group->min_member, " exist"));
    }
    queue_.MarkWaiting(item);  // the next member's arrival makes it active again
    return;
  }
  waiting_reported_.erase(group_key);
  std::vector<const PodInfo*> first(pending.begin(), pending.begin() + need);
  GangPlan plan = placer_.PlaceGang(first, group->locality);
  if (plan.ok) {
    std::vector<std::string> keys, nodes;
    for (size_t i = 0; i < first.size(); ++i) {
      keys.push_back(first[i]->key);
      nodes.push_back(state_.node(plan.nodes[i]).info.name);
      state_.Assume(first[i]->key, plan.nodes[i]);
    }
    gang_first_failure_.erase(group_key);
    victims_of_.erase(item);
    std::string placed_msg = base::StrCat("placed ", need, " pods at once on ", plan.leaves,
                                          " leaf(s) in ", plan.spines, " spine(s)");
    spdlog::info("scheduler: {} {}", item, placed_msg);
    ReportGang(*group, true, placed_msg);
    Spawn(BindGang(item, std::move(keys), std::move(nodes)));
    // `pending` pointers stay valid: Assume does not add or remove pods.
    if (place_individually(need)) {
      queue_.Done(item);
    } else {
      queue_.MarkUnschedulable(item, now);
    }
    return;
  }
  std::string msg = plan.why;
  if (TryPreempt(first, group->locality)) {
    base::StrAppend(&msg, "; preempting lower-priority pods to make room");
  }
  ReportGang(*group, false, msg);
  for (const PodInfo* p : pending) {
    ReportUnschedulable(*p, base::StrCat("pod group ", group->name, ": ", msg));
  }
  if (group->schedule_timeout_seconds > 0) {
    auto [it, first] = gang_first_failure_.try_emplace(group_key, now);
    if (first) Spawn(RetryGangAt(group_key, pending.front()->priority, now));
    if (now - it->second >= std::chrono::seconds(group->schedule_timeout_seconds)) {
      gang_first_failure_.erase(it);
      RecordEvent(group->ns, PodGroupRef(*group), "Warning", "ScheduleTimeout",
                  base::StrCat("gang not placed within scheduleTimeoutSeconds=",
                               group->schedule_timeout_seconds, ": ", msg, "; backing off"));
      queue_.MarkBackoff(item, now);
      return;
    }
  }
  queue_.MarkUnschedulable(item, now);
}

bool Scheduler::TryPreempt(const std::vector<const PodInfo*>& pods,
                           PodGroupInfo::Locality locality) {
  const std::string item = pods.front()->gang.empty() ? pods.front()->key
                                                      : GangItem(GangKey(*pods.front()));
  if (WaitsForItsVictims(item)) return true;
  PreemptionPlan plan = PlanPreemption(profile_, state_, pods, locality,
                                       PlacementOptions{.strategy = options_.strategy});
  if (!plan.ok) {
    // No room to make: a nomination from an earlier preemption no longer holds room (as
    // kube-scheduler clears nominatedNodeName when preemption finds nothing).
    // Reserve(-1) also keeps the attempt from putting back the reservation it set aside.
    for (const PodInfo* p : pods) {
      state_.Reserve(p->key, -1);
      if (!p->nominated_node.empty()) Spawn(Nominate(p->key, ""));
    }
    return false;
  }
  const std::string preemptor = pods.front()->gang.empty()
                                    ? pods.front()->key
                                    : base::StrCat("pod group ", GangKey(*pods.front()));
  for (const std::string& v : plan.victims) Spawn(Evict(v, preemptor));
  if (!plan.victims.empty()) victims_of_[item] = {plan.victims, Clock::now()};
  for (size_t i = 0; i < pods.size(); ++i) {
    const std::string& node = state_.node(plan.nodes[i]).info.name;
    state_.Reserve(pods[i]->key, plan.nodes[i]);
    if (pods[i]->nominated_node != node) Spawn(Nominate(pods[i]->key, node));
    preemptors_on_[node].insert(item);  // also when its room is already being freed
  }
  if (!plan.victims.empty()) {
    spdlog::info("scheduler: {} preempts {} pod(s)", preemptor, plan.victims.size());
  }
  return true;
}

bool Scheduler::WaitsForItsVictims(const std::string& item) {
  auto it = victims_of_.find(item);
  if (it == victims_of_.end()) return false;
  const bool recent = Clock::now() - it->second.when < kVictimDeleteSeen;
  for (const std::string& v : it->second.keys) {
    const PodState* p = state_.FindPod(v);
    if (p != nullptr && HoldsResources(*p) && (p->info.deleting || recent)) return true;
  }
  victims_of_.erase(it);
  return false;
}

void Scheduler::RoomMadeOn(int n) {
  if (n < 0 || preemptors_on_.empty()) return;
  auto it = preemptors_on_.find(state_.node(n).info.name);
  if (it == preemptors_on_.end()) return;
  for (const std::string& item : it->second) queue_.ActivateNow(item);
  preemptors_on_.erase(it);
}

asio::awaitable<bool> Scheduler::PostBinding(const PodInfo& pod, const std::string& node) {
  json::object b{{"apiVersion", "v1"},
                 {"kind", "Binding"},
                 {"metadata", json::object{{"name", pod.name}, {"namespace", pod.ns}}},
                 {"target", json::object{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}}}};
  Request req = MakeRequest("POST", PodPath(pod) + "/binding", json::serialize(b));
  auto resp = co_await transport_.Call(std::move(req));
  if (resp.ok() && resp->code == 201) co_return true;
  spdlog::warn("scheduler: binding {} to {} failed: {}", pod.key, node,
               resp.ok() ? resp->Text() : resp.status().ToString());
  co_return false;
}

asio::awaitable<void> Scheduler::BindOne(std::string key, std::string node) {
  const PodState* p = state_.FindPod(key);
  if (p == nullptr) co_return;
  PodInfo pod = p->info;
  bool ok = co_await PostBinding(pod, node);
  if (!ok) {
    state_.Forget(key);
    const PodState* now = state_.FindPod(key);
    if (now != nullptr && Pending(*now)) {
      queue_.Add(key, pod.priority, Clock::now());
      queue_.MarkBackoff(key, Clock::now());
      Wake();
    }
    co_return;
  }
  // Named arguments: GCC 12 mishandles non-trivial temporaries inside co_await.
  json::object ref = PodRef(pod);
  std::string message = base::StrCat("Successfully assigned ", pod.key, " to ", node);
  RecordEvent(pod.ns, std::move(ref), "Normal", "Scheduled", std::move(message));
}

asio::awaitable<void> Scheduler::BindGang(std::string item, std::vector<std::string> keys,
                                          std::vector<std::string> nodes) {
  std::vector<PodInfo> pods;
  for (const std::string& k : keys) {
    const PodState* p = state_.FindPod(k);
    if (p != nullptr) pods.push_back(p->info);
  }
  bool ok = pods.size() == keys.size();
  if (ok && options_.atomic_gang_binding) {
    json::array items;
    for (size_t i = 0; i < pods.size(); ++i) {
      items.push_back(json::object{
          {"apiVersion", "v1"},
          {"kind", "Binding"},
          {"metadata", json::object{{"name", pods[i].name}, {"namespace", pods[i].ns}}},
          {"target", json::object{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", nodes[i]}}}});
    }
    json::object list{{"apiVersion", "v1"}, {"kind", "BindingList"}, {"items", std::move(items)}};
    Request req = MakeRequest("POST", base::StrCat("/api/v1/namespaces/", pods[0].ns, "/bindings"),
                              json::serialize(list));
    const auto sent = Clock::now();
    auto resp = co_await transport_.Call(std::move(req));
    ok = resp.ok() && resp->code == 201;
    if (!ok) {
      spdlog::warn("scheduler: binding {} failed: {}", item,
                   resp.ok() ? resp->Text() : resp.status().ToString());
    } else {
      // One line per gang: when it was decided and bound, to tell a slow decision from a slow
      // binding when a gang starts late.
      spdlog::info("scheduler: {} bound ({} pods; the BindingList took {} ms)", item, pods.size(),
                   std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent)
                       .count());
    }
  } else if (ok) {
    std::vector<PodInfo> bound;
    for (size_t i = 0; i < pods.size(); ++i) {
      if (!co_await PostBinding(pods[i], nodes[i])) {
        ok = false;
        break;
      }
      bound.push_back(pods[i]);
    }
    if (!ok && !bound.empty()) co_await RollBack(bound);
  }
  if (ok) co_return;
  for (const std::string& k : keys) state_.Forget(k);
  int32_t priority = pods.empty() ? 0 : pods[0].priority;
  queue_.Add(item, priority, Clock::now());
  queue_.MarkBackoff(item, Clock::now());
  Wake();
}

asio::awaitable<void> Scheduler::RollBack(const std::vector<PodInfo>& bound) {
  // A half-bound gang must not hold GPUs: delete the bound members and create them again,
  // unbound, so that the gang is placed whole later.
  for (const PodInfo& member : bound) {
    const std::string path = PodPath(member);
    Request get = MakeRequest("GET", path);
    auto got = co_await transport_.Call(std::move(get));
    if (!got.ok() || got->code != 200) continue;
    auto doc = api::ParseJson(got->Text());
    if (!doc.ok() || !doc->is_object()) continue;
    json::object pod = std::move(doc->get_object());
    Request del = MakeRequest("DELETE", path);
    del.query["gracePeriodSeconds"] = "0";
    co_await Send(std::move(del));
    if (json::value* meta = pod.if_contains("metadata"); meta && meta->is_object()) {
      for (const char* f : {"uid", "resourceVersion", "creationTimestamp", "managedFields",
                            "deletionTimestamp", "deletionGracePeriodSeconds", "generation"}) {
        meta->get_object().erase(f);
      }
    }
    if (json::value* spec = pod.if_contains("spec"); spec && spec->is_object()) {
      spec->get_object().erase("nodeName");
    }
    pod.erase("status");
    spdlog::warn("scheduler: rolling back the binding of gang member {}", member.key);
    Request create = MakeRequest("POST", base::StrCat("/api/v1/namespaces/", member.ns, "/pods"),
                                 json::serialize(pod));
    co_await Send(std::move(create));
  }
}

asio::awaitable<void> Scheduler::Evict(std::string key, std::string preemptor) {
  const PodState* p = state_.FindPod(key);
  if (p == nullptr) co_return;
  PodInfo victim = p->info;
  std::string node = p->node >= 0 ? state_.node(p->node).info.name : victim.node_name;
  Request del = MakeRequest("DELETE", PodPath(victim));
  co_await Send(std::move(del));
  json::object ref = PodRef(victim);
  std::string message = base::StrCat("Preempted by ", preemptor, " on node ", node);
  RecordEvent(victim.ns, std::move(ref), "Normal", "Preempted", std::move(message));
}

asio::awaitable<void> Scheduler::RetryGangAt(std::string group_key, int32_t priority,
                                             Clock::time_point first_failure) {
  const PodGroupInfo* group = state_.FindPodGroup(group_key);
  if (group == nullptr) co_return;
  asio::steady_timer timer(executor_,
                           first_failure + std::chrono::seconds(group->schedule_timeout_seconds));
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  auto it = gang_first_failure_.find(group_key);
  if (it == gang_first_failure_.end() || it->second != first_failure) co_return;
  queue_.Add(GangItem(group_key), priority, Clock::now());
  Wake();
}

asio::awaitable<void> Scheduler::Nominate(std::string key, std::string node) {
  const PodState* p = state_.FindPod(key);
  if (p == nullptr) co_return;
  std::string path = PodPath(p->info) + "/status";
  // "" clears the nomination (merge patch: null removes the field).
  json::value name = node.empty() ? json::value(nullptr) : json::value(node);
  json::object patch{{"status", json::object{{"nominatedNodeName", name}}}};
  Request req = MakeRequest("PATCH", path, json::serialize(patch), "application/merge-patch+json");
  co_await Send(std::move(req));
}

void Scheduler::ReportUnschedulable(const PodInfo& pod, const std::string& message) {
  std::string& last = reported_[pod.key];
  if (last == message) return;
  last = message;
  json::object cond{{"type", "PodScheduled"},     {"status", "False"},
                    {"reason", "Unschedulable"},  {"message", message},
                    {"lastProbeTime", nullptr},   {"lastTransitionTime", NowRfc3339()}};
  json::object patch{{"status", json::object{{"conditions", json::array{cond}}}}};
  // The resourceVersion the attempt saw is a precondition: a condition written after a bind
  // (by this scheduler or another client) would say Unschedulable about a bound pod.
  if (pod.resource_version > 0) {
    patch["metadata"] = json::object{{"resourceVersion", std::to_string(pod.resource_version)}};
  }
  Spawn(SendReport(pod.key, MakeRequest("PATCH", PodPath(pod) + "/status",
                                              json::serialize(patch),
                                              "application/strategic-merge-patch+json")));
  RecordEvent(pod.ns, PodRef(pod), "Warning", "FailedScheduling", message);
}

void Scheduler::ReportGang(const PodGroupInfo& group, bool scheduled, const std::string& message) {
  std::string& last = reported_["podgroup:" + group.key];
  if (last == message) return;
  last = message;
  json::object cond{{"type", "Scheduled"},
                    {"status", scheduled ? "True" : "False"},
                    {"reason", scheduled ? "Scheduled" : "Unschedulable"},
                    {"message", message},
                    {"lastTransitionTime", NowRfc3339()}};
  // Phase and counts belong to the PodGroup status controller; the scheduler says why.
  json::object status{{"conditions", json::array{cond}}};
  json::object patch{{"status", std::move(status)}};
  std::string path = base::StrCat("/apis/scheduling.x-k8s.io/v1alpha1/namespaces/", group.ns,
                                  "/podgroups/", group.name, "/status");
  Spawn(SendReport("podgroup:" + group.key, MakeRequest("PATCH", path, json::serialize(patch),
                                                        "application/merge-patch+json")));
  RecordEvent(group.ns, PodGroupRef(group), scheduled ? "Normal" : "Warning",
              scheduled ? "Scheduled" : "FailedScheduling", message);
}

void Scheduler::RecordEvent(std::string ns, json::object involved, std::string_view type,
                            std::string_view reason, const std::string& message) {
  events_.RecordFor(std::move(ns), std::move(involved), type, reason, message);
}

asio::awaitable<int> Scheduler::Send(Request req) {
  std::string what = base::StrCat(req.method, " ", req.path);
  auto resp = co_await transport_.Call(std::move(req));
  if (!resp.ok()) {
    spdlog::warn("scheduler: {}: {}", what, resp.status().ToString());
    co_return 0;
  }
  if (resp->code >= 300) {
    spdlog::debug("scheduler: {}: HTTP {}: {}", what, resp->code, resp->Text());
  }
  co_return resp->code;
}

asio::awaitable<void> Scheduler::SendReport(std::string key, Request req) {
  const int code = co_await Send(std::move(req));
  if (code == 409) reported_.erase(key);
}

}  // namespace shoal::scheduler
