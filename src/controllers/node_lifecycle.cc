#include "controllers/node_lifecycle.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cmath>
#include <utility>

#include "api/object.h"
#include "base/strings.h"

namespace shoal::controllers {

namespace asio = boost::asio;
namespace json = boost::json;
using client::InformerEvent;

namespace {

constexpr std::string_view kUnreachable = "node.kubernetes.io/unreachable";
constexpr std::string_view kNotReady = "node.kubernetes.io/not-ready";
constexpr std::string_view kNoSchedule = "NoSchedule";
constexpr std::string_view kNoExecute = "NoExecute";
constexpr std::string_view kLeases =
    "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";
// Conditions the agent (kubelet) owns: kube's nodeConditionTypes, plus shoal's Healthy.
constexpr const char* kAgentConditions[] = {"Ready", "MemoryPressure", "DiskPressure",
                                            "PIDPressure", "Healthy"};
// Node updates and pod writes in flight at once; a pass leaves the rest to the next one.
constexpr int kMaxInFlight = 256;

std::string NodePath(std::string_view name) { return base::StrCat("/api/v1/nodes/", name); }

// "ns/name" -> the pod's path.
std::string PodPath(std::string_view key) {
  const size_t slash = key.find('/');
  return base::StrCat("/api/v1/namespaces/", key.substr(0, slash), "/pods/", key.substr(slash + 1));
}

json::object PodRef(std::string_view key, std::string_view uid) {
  const size_t slash = key.find('/');
  json::object ref{{"apiVersion", "v1"},
                   {"kind", "Pod"},
                   {"namespace", key.substr(0, slash)},
                   {"name", key.substr(slash + 1)}};
  if (!uid.empty()) ref["uid"] = uid;
  return ref;
}

json::object NodeRef(std::string_view name, std::string_view uid) {
  json::object ref{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", name}};
  if (!uid.empty()) ref["uid"] = uid;
  return ref;
}

bool IsOurs(std::string_view key) { return key == kUnreachable || key == kNotReady; }

// The (key, effect) pairs of our taints that a Ready status calls for.
std::vector<std::pair<std::string_view, std::string_view>> WantedTaints(std::string_view ready) {
  if (ready == "False") return {{kNotReady, kNoSchedule}, {kNotReady, kNoExecute}};
  if (ready == "Unknown") return {{kUnreachable, kNoSchedule}, {kUnreachable, kNoExecute}};
  return {};
}

// True when `taints` already hold exactly the taints of ours that `ready` calls for ("": no
// opinion, a node that has not posted a Ready condition yet).
bool TaintsMatch(const std::vector<Taint>& taints, std::string_view ready) {
  if (ready.empty()) return true;
  auto wanted = WantedTaints(ready);
  size_t found = 0;
  for (const Taint& t : taints) {
    if (!IsOurs(t.key)) continue;
    auto w = std::find(wanted.begin(), wanted.end(),
                       std::pair<std::string_view, std::string_view>(t.key, t.effect));
    if (w == wanted.end()) return false;
    ++found;
  }
  return found == wanted.size();
}

bool ResponseOk(const absl::StatusOr<client::Response>& r) {
  return r.ok() && r->code >= 200 && r->code < 300;
}

std::string Describe(const absl::StatusOr<client::Response>& r) {
  return r.ok() ? r->Text() : r.status().ToString();
}

}  // namespace

std::optional<TimePoint> EvictionTime(const std::vector<Taint>& taints,
                                      const std::vector<Toleration>& tolerations) {
  std::optional<TimePoint> earliest;
  for (const Taint& taint : taints) {
    if (taint.effect != kNoExecute) continue;
    bool tolerated = false;
    std::optional<int64_t> shortest;
    for (const Toleration& t : tolerations) {
      if (!ToleratesTaint(t, taint)) continue;
      tolerated = true;
      if (t.seconds) shortest = shortest ? std::min(*shortest, *t.seconds) : *t.seconds;
    }
    if (tolerated && !shortest) continue;  // tolerated forever
    TimePoint at = taint.since;
    if (tolerated) at += std::chrono::seconds(std::max<int64_t>(0, *shortest));
    if (!earliest || at < *earliest) earliest = at;
  }
  return earliest;
}

NodeLifecycleController::NodeLifecycleController(asio::any_io_executor executor,
                                                 client::Transport& transport,
                                                 const ControllerOptions& options,
                                                 const base::Clock& clock)
    : executor_(executor),
      transport_(transport),
      options_(options),
      clock_(clock),
      recorder_(executor, transport, "node-controller"),
      wake_(executor) {}

void NodeLifecycleController::Start() {
  StartInformersForTest();
  asio::co_spawn(executor_, MonitorLoop(), asio::detached);
  asio::co_spawn(executor_, EvictionLoop(), asio::detached);
}

void NodeLifecycleController::StartInformersForTest() {
  client::SpawnInformer(executor_, transport_, "/api/v1/nodes",
                        [this](InformerEvent&& e) { OnNode(std::move(e)); });
  client::SpawnInformer(executor_, transport_, std::string(kLeases),
                        [this](InformerEvent&& e) { OnLease(std::move(e)); });
  client::SpawnInformer(executor_, transport_, "/api/v1/pods",
                        [this](InformerEvent&& e) { OnPod(std::move(e)); });
}

std::optional<TimePoint> NodeLifecycleController::LeaseRenewForTest(const std::string& node) const {
  auto it = lease_renew_.find(node);
  if (it == lease_renew_.end()) return std::nullopt;
  return it->second;
}

std::string NodeLifecycleController::ReadyForTest(const std::string& node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? "" : it->second.ready;
}

std::string NodeLifecycleController::PodStateForTest(const std::string& key) const {
  auto it = pods_.find(key);
  if (it == pods_.end()) return "";
  return base::StrCat(it->second.node, it->second.ready_true ? " ready" : "",
                      it->second.terminating ? " terminating" : "");
}

// ---- informers ------------------------------------------------------------------------------

void NodeLifecycleController::OnNode(InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kSynced) {
    nodes_synced_ = true;
    return;
  }
  if (e.type == InformerEvent::Type::kDeleted) {
    // Its pods are the pod garbage collector's (orphans); queued evictions drop on re-check.
    nodes_.erase(std::string(api::StringAt(e.object(), "metadata.name")));
    return;
  }
  ObserveNode(e.object());
}

void NodeLifecycleController::ObserveNode(const json::object& object, bool known_only) {
  std::string name(api::StringAt(object, "metadata.name"));
  if (known_only && !nodes_.contains(name)) return;  // deleted while the write was in flight
  const TimePoint now = clock_.Now();
  auto [it, added] = nodes_.try_emplace(name);
  NodeHealth& n = it->second;
  std::string uid(api::StringAt(object, "metadata.uid"));
  const int64_t rv = api::ResourceVersionAt(object);
  // The answer of a write of ours and the watch event of a later write by someone else can
  // arrive in either order (the store tells watchers of a commit batch before it answers its
  // writes): the older copy never replaces the newer.
  if (!added && n.uid == uid && rv < n.resource_version) return;
  n.resource_version = rv;
  if (added) n.probe = now;
  n.uid = std::move(uid);
  n.created = std::string(api::StringAt(object, "metadata.creationTimestamp"));
  std::string ready, heartbeat;
  n.conditions.clear();
  if (const json::value* conds = api::FindPath(object, "status.conditions");
      conds != nullptr && conds->is_array()) {
    for (const json::value& c : conds->get_array()) {
      Condition cond{std::string(api::StringAt(c, "type")),
                     std::string(api::StringAt(c, "status"))};
      if (cond.type == "Ready") {
        ready = cond.status;
        heartbeat = std::string(api::StringAt(c, "lastHeartbeatTime"));
      }
      n.conditions.push_back(std::move(cond));
    }
  }
  // kube: a new lastHeartbeatTime of the Ready condition is a sign of life. The heartbeat
  // this controller writes itself for a node that never posted one (its creationTimestamp)
  // is not.
  if (!added && heartbeat != n.ready_heartbeat && !heartbeat.empty() && heartbeat != n.created) {
    n.probe = now;
  }
  n.ready_heartbeat = std::move(heartbeat);
  SetReady(name, n, ready);

  std::vector<Taint> taints = ParseTaints(api::FindPath(object, "spec.taints"), n.taints, now);
  auto no_execute = [](const std::vector<Taint>& ts) {
    std::vector<Taint> out;
    for (const Taint& t : ts) {
      if (t.effect == kNoExecute) out.push_back(t);
    }
    return out;
  };
  const bool changed = added || no_execute(taints) != no_execute(n.taints);
  n.taints = std::move(taints);
  if (changed) EvaluateNodePods(name);
}

void NodeLifecycleController::SetReady(const std::string& name, NodeHealth& node,
                                       const std::string& ready) {
  if (node.ready == "True" && ready != "True") {
    spdlog::info("node-controller: node {} is not Ready (Ready={})", name,
                 ready.empty() ? "none" : ready);
    recorder_.RecordFor("default", NodeRef(name, node.uid), "Normal", "NodeNotReady",
                        base::StrCat("Node ", name, " status is now: NodeNotReady"));
  }
  node.ready = ready;
}

void NodeLifecycleController::OnLease(InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kSynced) {
    leases_synced_ = true;
    return;
  }
  std::string name(api::StringAt(e.object(), "metadata.name"));
  if (e.type == InformerEvent::Type::kDeleted) {
    lease_renew_.erase(name);
    return;
  }
  auto renew = base::ParseRfc3339(api::StringAt(e.object(), "spec.renewTime"));
  if (!renew) return;
  auto it = lease_renew_.find(name);
  if (it != lease_renew_.end() && *renew <= it->second) return;  // kube: only a newer renewal
  lease_renew_[name] = *renew;
  if (auto n = nodes_.find(name); n != nodes_.end()) n->second.probe = clock_.Now();
}

std::shared_ptr<const std::vector<Toleration>> NodeLifecycleController::Intern(
    const json::value* tolerations) {
  std::string text = tolerations == nullptr ? "" : json::serialize(*tolerations);
  auto it = tolerations_.find(text);
  if (it != tolerations_.end()) return it->second;
  auto parsed = std::make_shared<const std::vector<Toleration>>(ParseTolerations(tolerations));
  tolerations_.emplace(std::move(text), parsed);
  return parsed;
}

void NodeLifecycleController::OnPod(InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kSynced) {
    pods_synced_ = true;
    Wake();
    return;
  }
  const std::string key = client::ObjectKey(e.object());
  auto old = pods_.find(key);
  std::string node = e.type == InformerEvent::Type::kDeleted
                         ? ""
                         : std::string(api::StringAt(e.object(), "spec.nodeName"));
  if (old != pods_.end() && old->second.node != node) {
    auto set = pods_on_node_.find(old->second.node);
    if (set != pods_on_node_.end()) {
      set->second.erase(key);
      if (set->second.empty()) pods_on_node_.erase(set);
    }
  }
  if (node.empty()) {
    if (old != pods_.end()) pods_.erase(old);
    eviction_at_.erase(key);
    return;
  }
  PodInfo info;
  info.node = node;
  info.uid = std::string(api::StringAt(e.object(), "metadata.uid"));
  info.tolerations = Intern(api::FindPath(e.object(), "spec.tolerations"));
  info.terminating = !api::StringAt(e.object(), "metadata.deletionTimestamp").empty();
  if (old != pods_.end() && old->second.uid == info.uid && old->second.terminating) {
    info.terminating = true;  // deleted by us; the informer has not caught up yet
  }
  if (const json::value* conds = api::FindPath(e.object(), "status.conditions");
      conds != nullptr && conds->is_array()) {
    for (const json::value& c : conds->get_array()) {
      if (api::StringAt(c, "type") == "Ready")
        info.ready_true = api::StringAt(c, "status") == "True";
    }
  }
  pods_[key] = std::move(info);
  pods_on_node_[node].insert(key);
  EvaluatePod(key);
}

// ---- health ---------------------------------------------------------------------------------

asio::awaitable<void> NodeLifecycleController::MonitorLoop() {
  asio::steady_timer timer(executor_);
  for (;;) {
    timer.expires_after(options_.node_monitor_period);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    MonitorPass();
  }
}

void NodeLifecycleController::MonitorPass() {
  if (!SyncedForTest()) return;
  const TimePoint now = clock_.Now();
  size_t total = 0, not_ready = 0;
  for (auto& [name, n] : nodes_) {
    ++total;
    std::string effective = n.ready;
    bool mark_unknown = false;
    if (now - n.probe > options_.node_monitor_grace_period) {
      effective = "Unknown";
      for (const char* type : kAgentConditions) {
        auto c = std::find_if(n.conditions.begin(), n.conditions.end(),
                              [&](const Condition& x) { return x.type == type; });
        if (c != n.conditions.end() ? c->status != "Unknown" : type == std::string_view("Ready")) {
          mark_unknown = true;
        }
      }
    }
    if (effective != "True") ++not_ready;
    if (n.busy || in_flight_ >= kMaxInFlight) continue;
    if (mark_unknown || !TaintsMatch(n.taints, effective)) {
      n.busy = true;
      ++in_flight_;
      asio::co_spawn(executor_, UpdateNode(name, mark_unknown, effective), asio::detached);
    }
  }

  // Disruption guard (kube's zone states, with the cluster as the one zone).
  const bool paused =
      total >= 3 && static_cast<double>(not_ready) >
                        options_.unhealthy_zone_threshold * static_cast<double>(total);
  if (paused != paused_) {
    paused_ = paused;
    json::object ref{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"name", "kube-node-lease"}};
    if (paused) {
      std::string msg = base::StrCat(not_ready, " of ", total, " nodes are not Ready (more than ",
                                     std::lround(options_.unhealthy_zone_threshold * 100),
                                     "%): pod evictions paused");
      spdlog::warn("node-controller: {}", msg);
      recorder_.RecordFor("default", std::move(ref), "Warning", "EvictionsPaused", msg);
    } else {
      std::string msg =
          base::StrCat(not_ready, " of ", total, " nodes are not Ready: pod evictions resumed");
      spdlog::info("node-controller: {}", msg);
      recorder_.RecordFor("default", std::move(ref), "Normal", "EvictionsResumed", msg);
      Wake();
    }
  }

  // Forget toleration sets no pod uses any more.
  if (tolerations_.size() > 64) {
    std::erase_if(tolerations_, [](const auto& kv) { return kv.second.use_count() == 1; });
  }
}

asio::awaitable<void> NodeLifecycleController::UpdateNode(std::string name, bool mark_unknown,
                                                          std::string ready) {
  bool ok = true;
  if (mark_unknown) {
    ok = co_await MarkConditionsUnknown(name);
    // Unknown now, unless a newer copy of the node came meanwhile (the agent is back).
    auto it = nodes_.find(name);
    if (ok && it != nodes_.end()) ready = it->second.ready;
  }
  if (ok) co_await ReconcileTaints(name, ready);
  if (auto it = nodes_.find(name); it != nodes_.end()) it->second.busy = false;
  --in_flight_;
}

asio::awaitable<bool> NodeLifecycleController::MarkConditionsUnknown(const std::string& name) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) co_return false;
  const std::string now = base::FormatRfc3339(clock_.Now());
  const std::string was = it->second.ready;
  json::array conds;
  for (const char* type : kAgentConditions) {
    const auto& cs = it->second.conditions;
    auto c = std::find_if(cs.begin(), cs.end(), [&](const Condition& x) { return x.type == type; });
    if (c != cs.end()) {
      if (c->status == "Unknown") continue;
      conds.push_back(json::object{{"type", type},
                                   {"status", "Unknown"},
                                   {"reason", "NodeStatusUnknown"},
                                   {"message", "Kubelet stopped posting node status."},
                                   {"lastTransitionTime", now}});
    } else if (type != std::string_view("Healthy")) {
      // kube: a condition the agent never posted is added as Unknown, its heartbeat the
      // node's creation.
      conds.push_back(json::object{{"type", type},
                                   {"status", "Unknown"},
                                   {"reason", "NodeStatusNeverUpdated"},
                                   {"message", "Kubelet never posted node status."},
                                   {"lastHeartbeatTime", it->second.created},
                                   {"lastTransitionTime", now}});
    }
  }
  if (conds.empty()) co_return true;
  json::object patch{{"status", json::object{{"conditions", std::move(conds)}}}};
  client::Request req =
      client::MakeRequest("PATCH", NodePath(name) + "/status", json::serialize(patch),
                          "application/strategic-merge-patch+json");
  auto resp = co_await transport_.Call(std::move(req));
  if (!ResponseOk(resp)) {
    if (!resp.ok() || resp->code != 404) {
      spdlog::warn("node-controller: node {} status not written: {}", name, Describe(resp));
    }
    co_return false;
  }
  spdlog::info("node-controller: node {} stopped posting status for more than {} s: Ready=Unknown",
               name, options_.node_monitor_grace_period.count() / 1000.0);
  if (auto written = api::ParseJson(resp->Text()); written.ok() && written->is_object()) {
    ObserveNode(written->get_object(), /*known_only=*/true);
  }
  it = nodes_.find(name);
  if (it == nodes_.end()) co_return true;
  if (it->second.ready == "Unknown" && was != "Unknown") {
    // kube's MarkPodsNotReady: nobody else will tell services and gangs these pods are gone.
    ++in_flight_;
    asio::co_spawn(executor_, MarkPodsNotReady(name), asio::detached);
  }
  co_return true;
}

asio::awaitable<void> NodeLifecycleController::ReconcileTaints(const std::string& name,
                                                               std::string ready) {
  const auto wanted = WantedTaints(ready);
  for (int attempt = 0; attempt < 5; ++attempt) {
    client::Request get = client::MakeRequest("GET", NodePath(name));
    auto got = co_await transport_.Call(std::move(get));
    if (!ResponseOk(got)) {
      if (!got.ok() || got->code != 404) {
        spdlog::warn("node-controller: reading node {} failed: {}", name, Describe(got));
      }
      co_return;
    }
    auto doc = api::ParseJson(got->Text());
    if (!doc.ok() || !doc->is_object()) co_return;
    json::object& node = doc->get_object();
    json::array taints;
    std::vector<bool> have(wanted.size(), false);
    bool changed = false;
    if (const json::value* old = api::FindPath(node, "spec.taints"); old && old->is_array()) {
      for (const json::value& t : old->get_array()) {
        std::string_view key = api::StringAt(t, "key");
        std::string_view effect = api::StringAt(t, "effect");
        if (IsOurs(key)) {
          auto w = std::find(wanted.begin(), wanted.end(),
                             std::pair<std::string_view, std::string_view>(key, effect));
          if (w == wanted.end() || have[w - wanted.begin()]) {
            changed = true;  // not (or no longer) ours to keep
            continue;
          }
          have[w - wanted.begin()] = true;
        }
        taints.push_back(t);  // someone else's (shoal.io/unhealthy...): kept as is
      }
    }
    const std::string now = base::FormatRfc3339(clock_.Now());
    for (size_t i = 0; i < wanted.size(); ++i) {
      if (have[i]) continue;
      changed = true;
      json::object t{{"key", wanted[i].first}, {"effect", wanted[i].second}};
      if (wanted[i].second == kNoExecute) t["timeAdded"] = now;
      taints.push_back(std::move(t));
    }
    if (!changed) co_return;
    json::value& spec = node["spec"];
    if (!spec.is_object()) spec = json::object();
    if (taints.empty()) {
      spec.get_object().erase("taints");
    } else {
      spec.get_object()["taints"] = std::move(taints);
    }
    client::Request update = client::MakeRequest("PUT", NodePath(name), json::serialize(node));
    auto put = co_await transport_.Call(std::move(update));
    if (put.ok() && put->code == 409) continue;  // changed meanwhile: read it again
    if (!ResponseOk(put)) {
      if (!put.ok() || put->code != 404) {
        spdlog::warn("node-controller: taints of node {} not written: {}", name, Describe(put));
      }
      co_return;
    }
    spdlog::info("node-controller: node {} (Ready={}): {}", name, ready,
                 wanted.empty() ? "removed the not-ready/unreachable taints"
                                : base::StrCat("tainted ", wanted[0].first));
    // Act on the new taints now rather than when the informer brings them.
    if (auto written = api::ParseJson(put->Text()); written.ok() && written->is_object()) {
      ObserveNode(written->get_object(), /*known_only=*/true);
    }
    co_return;
  }
  spdlog::warn("node-controller: taints of node {} not written: conflicts", name);
}

asio::awaitable<void> NodeLifecycleController::MarkPodsNotReady(std::string node) {
  std::vector<std::string> keys;
  if (auto set = pods_on_node_.find(node); set != pods_on_node_.end()) {
    keys.assign(set->second.begin(), set->second.end());
  }
  for (const std::string& key : keys) {
    auto it = pods_.find(key);
    if (it == pods_.end() || !it->second.ready_true || it->second.node != node) continue;
    const std::string uid = it->second.uid;
    json::object cond{{"type", "Ready"},
                      {"status", "False"},
                      {"lastTransitionTime", base::FormatRfc3339(clock_.Now())}};
    json::object patch{{"status", json::object{{"conditions", json::array{std::move(cond)}}}}};
    client::Request req =
        client::MakeRequest("PATCH", PodPath(key) + "/status", json::serialize(patch),
                            "application/strategic-merge-patch+json");
    auto resp = co_await transport_.Call(std::move(req));
    if (!ResponseOk(resp)) {
      if (!resp.ok() || resp->code != 404) {
        spdlog::warn("node-controller: pod {} not marked not ready: {}", key, Describe(resp));
      }
      continue;
    }
    if (it = pods_.find(key); it != pods_.end()) it->second.ready_true = false;
    const size_t slash = key.find('/');
    recorder_.RecordFor(key.substr(0, slash), PodRef(key, uid), "Warning", "NodeNotReady",
                        "Node is not ready");
  }
  --in_flight_;
}

// ---- eviction -------------------------------------------------------------------------------

std::optional<TimePoint> NodeLifecycleController::PodEvictionTime(const PodInfo& pod) const {
  if (pod.terminating) return std::nullopt;
  auto node = nodes_.find(pod.node);
  if (node == nodes_.end()) return std::nullopt;
  static const std::vector<Toleration> kNone;
  return EvictionTime(node->second.taints, pod.tolerations ? *pod.tolerations : kNone);
}

void NodeLifecycleController::EvaluateNodePods(const std::string& node) {
  auto set = pods_on_node_.find(node);
  if (set == pods_on_node_.end()) return;
  for (const std::string& key : set->second) EvaluatePod(key);
}

void NodeLifecycleController::EvaluatePod(const std::string& key) {
  auto it = pods_.find(key);
  std::optional<TimePoint> at;
  if (it != pods_.end()) at = PodEvictionTime(it->second);
  if (!at) {
    eviction_at_.erase(key);
    return;
  }
  auto [old, added] = eviction_at_.try_emplace(key, *at);
  if (!added && old->second == *at) return;
  old->second = *at;
  scheduled_.emplace(*at, key);
  Wake();
}

bool NodeLifecycleController::TakeToken(TimePoint now) {
  if (tokens_at_ == TimePoint{}) tokens_at_ = now;
  if (now > tokens_at_) {
    const double elapsed = std::chrono::duration<double>(now - tokens_at_).count();
    tokens_ = std::min(1.0, tokens_ + elapsed * options_.node_eviction_rate);
    tokens_at_ = now;
  }
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

void NodeLifecycleController::Wake() { wake_.cancel(); }

asio::awaitable<void> NodeLifecycleController::EvictionLoop() {
  using std::chrono::milliseconds;
  for (;;) {
    co_await DrainEvictions();
    milliseconds wait(1000);
    if (!ready_.empty() && !paused_ && options_.node_eviction_rate > 0) {
      wait = std::min(wait, milliseconds(static_cast<int64_t>(1000 / options_.node_eviction_rate)));
    }
    if (!scheduled_.empty()) {
      auto until = std::chrono::ceil<milliseconds>(scheduled_.begin()->first - clock_.Now());
      wait = std::min(wait, until);
    }
    wake_.expires_after(std::max(wait, milliseconds(1)));
    co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> NodeLifecycleController::DrainEvictions() {
  if (draining_ || !pods_synced_ || !nodes_synced_) co_return;
  draining_ = true;
  const TimePoint now = clock_.Now();
  while (!scheduled_.empty() && scheduled_.begin()->first <= now) {
    auto first = scheduled_.begin();
    std::string key = std::move(first->second);
    const TimePoint at = first->first;
    scheduled_.erase(first);
    auto live = eviction_at_.find(key);
    if (live == eviction_at_.end() || live->second != at) continue;  // superseded
    eviction_at_.erase(live);
    if (in_ready_.insert(key).second) ready_.push_back(std::move(key));
  }
  while (!ready_.empty() && !paused_) {
    // Check again: the taint may be gone, the pod deleted or its tolerations changed.
    const std::string& key = ready_.front();
    auto pod = pods_.find(key);
    std::optional<TimePoint> at;
    if (pod != pods_.end()) at = PodEvictionTime(pod->second);
    if (!at || *at > clock_.Now()) {
      std::string k = std::move(ready_.front());
      ready_.pop_front();
      in_ready_.erase(k);
      EvaluatePod(k);
      continue;
    }
    if (!TakeToken(clock_.Now())) break;
    std::string k = std::move(ready_.front());
    ready_.pop_front();
    in_ready_.erase(k);
    co_await Evict(std::move(k));
  }
  draining_ = false;
}

asio::awaitable<void> NodeLifecycleController::Evict(std::string key) {
  auto pod = pods_.find(key);
  if (pod == pods_.end()) co_return;
  const std::string uid = pod->second.uid;
  const std::string node = pod->second.node;
  const std::string ns = key.substr(0, key.find('/'));
  spdlog::info("node-controller: evicting pod {} from node {} (NoExecute taint)", key, node);
  recorder_.RecordFor(ns, PodRef(key, uid), "Normal", "TaintManagerEviction",
                      base::StrCat("Marking for deletion Pod ", key));
  json::object cond{{"type", "DisruptionTarget"},
                    {"status", "True"},
                    {"reason", "DeletionByTaintManager"},
                    {"message", "Taint manager: deleting due to NoExecute taint"},
                    {"lastTransitionTime", base::FormatRfc3339(clock_.Now())}};
  json::object patch{{"status", json::object{{"conditions", json::array{std::move(cond)}}}}};
  client::Request mark =
      client::MakeRequest("PATCH", PodPath(key) + "/status", json::serialize(patch),
                          "application/strategic-merge-patch+json");
  auto marked = co_await transport_.Call(std::move(mark));
  if (marked.ok() && marked->code == 404) co_return;
  if (!ResponseOk(marked)) {
    spdlog::warn("node-controller: pod {} not marked DisruptionTarget: {}", key, Describe(marked));
  }
  // kube's taint manager deletes normally (graceful): on a dead node the pod stays Terminating.
  json::object options{{"apiVersion", "v1"},
                       {"kind", "DeleteOptions"},
                       {"preconditions", json::object{{"uid", uid}}}};
  client::Request del = client::MakeRequest("DELETE", PodPath(key), json::serialize(options));
  auto deleted = co_await transport_.Call(std::move(del));
  if (ResponseOk(deleted)) {
    if (pod = pods_.find(key); pod != pods_.end() && pod->second.uid == uid) {
      pod->second.terminating = true;
      eviction_at_.erase(key);
    }
    co_return;
  }
  if (deleted.ok() && (deleted->code == 404 || deleted->code == 409)) co_return;  // gone
  spdlog::warn("node-controller: evicting pod {} failed: {}", key, Describe(deleted));
  EvaluatePod(key);  // try again (still due: at the next token)
}

asio::awaitable<void> NodeLifecycleController::TickForTest() {
  MonitorPass();
  while (in_flight_ > 0) {
    asio::steady_timer t(executor_, std::chrono::milliseconds(2));
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_await DrainEvictions();
}

}  // namespace shoal::controllers
