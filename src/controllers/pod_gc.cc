#include "controllers/pod_gc.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <map>
#include <utility>
#include <vector>

#include "api/object.h"
#include "base/strings.h"

namespace shoal::controllers {

namespace asio = boost::asio;
namespace json = boost::json;
using client::InformerEvent;

namespace {

constexpr std::string_view kOutOfService = "node.kubernetes.io/out-of-service";

std::string PodPath(std::string_view key) {
  const size_t slash = key.find('/');
  return base::StrCat("/api/v1/namespaces/", key.substr(0, slash), "/pods/", key.substr(slash + 1));
}

std::string Describe(const absl::StatusOr<client::Response>& r) {
  return r.ok() ? r->Text() : r.status().ToString();
}

}  // namespace

PodGCController::PodGCController(asio::any_io_executor executor, client::Transport& transport,
                                 const ControllerOptions& options, const base::Clock& clock)
    : executor_(executor), transport_(transport), options_(options), clock_(clock) {}

void PodGCController::Start() {
  StartInformersForTest();
  asio::co_spawn(executor_, Loop(), asio::detached);
}

void PodGCController::StartInformersForTest() {
  client::SpawnInformer(executor_, transport_, "/api/v1/pods",
                        [this](InformerEvent&& e) { OnPod(std::move(e)); });
  client::SpawnInformer(executor_, transport_, "/api/v1/nodes",
                        [this](InformerEvent&& e) { OnNode(std::move(e)); });
}

void PodGCController::OnPod(InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kSynced) {
    pods_synced_ = true;
    return;
  }
  std::string key = client::ObjectKey(e.object());
  if (e.type == InformerEvent::Type::kDeleted) {
    pods_.erase(key);
    return;
  }
  PodInfo& p = pods_[std::move(key)];
  p.node = std::string(api::StringAt(e.object(), "spec.nodeName"));
  p.uid = std::string(api::StringAt(e.object(), "metadata.uid"));
  auto created = base::ParseRfc3339(api::StringAt(e.object(), "metadata.creationTimestamp"));
  p.created =
      created
          ? std::chrono::duration_cast<std::chrono::seconds>(created->time_since_epoch()).count()
          : 0;
  std::string_view phase = api::StringAt(e.object(), "status.phase");
  p.terminated = phase == "Succeeded" || phase == "Failed";
  p.terminating = !api::StringAt(e.object(), "metadata.deletionTimestamp").empty();
}

void PodGCController::OnNode(InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kSynced) {
    nodes_synced_ = true;
    return;
  }
  std::string name(api::StringAt(e.object(), "metadata.name"));
  if (e.type == InformerEvent::Type::kDeleted) {
    nodes_.erase(name);
    return;
  }
  NodeInfo& n = nodes_[std::move(name)];
  n.ready = false;
  n.out_of_service = false;
  if (const json::value* conds = api::FindPath(e.object(), "status.conditions");
      conds != nullptr && conds->is_array()) {
    for (const json::value& c : conds->get_array()) {
      if (api::StringAt(c, "type") == "Ready") n.ready = api::StringAt(c, "status") == "True";
    }
  }
  if (const json::value* taints = api::FindPath(e.object(), "spec.taints");
      taints != nullptr && taints->is_array()) {
    for (const json::value& t : taints->get_array()) {
      if (api::StringAt(t, "key") == kOutOfService) n.out_of_service = true;
    }
  }
}

asio::awaitable<void> PodGCController::Loop() {
  asio::steady_timer timer(executor_);
  for (;;) {
    timer.expires_after(options_.pod_gc_period);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    co_await Collect();
  }
}

asio::awaitable<void> PodGCController::Collect() {
  if (!SyncedForTest()) co_return;
  const std::string kNone;

  // Terminated pods beyond the threshold, oldest first (kube's gcTerminated).
  std::vector<std::pair<int64_t, std::string>> terminated;
  for (const auto& [key, p] : pods_) {
    if (p.terminated) terminated.emplace_back(p.created, key);
  }
  const size_t threshold = static_cast<size_t>(std::max(0, options_.terminated_pod_gc_threshold));
  if (options_.terminated_pod_gc_threshold > 0 && terminated.size() > threshold) {
    const size_t excess = terminated.size() - threshold;
    std::partial_sort(terminated.begin(), terminated.begin() + excess, terminated.end());
    terminated.resize(excess);
    spdlog::info("pod-gc: {} terminated pods beyond the threshold of {}: deleting the oldest",
                 excess, threshold);
    for (auto& [created, key] : terminated) co_await Delete(std::move(key), kNone, kNone);
  }

  // Terminating pods on out-of-service nodes (gcTerminating) and terminating pods never
  // bound (gcUnscheduledTerminating); orphans (gcOrphaned), by node.
  std::vector<std::string> stuck;
  std::map<std::string, std::vector<std::string>> orphans;
  for (const auto& [key, p] : pods_) {
    if (p.node.empty()) {
      if (p.terminating) stuck.push_back(key);
      continue;
    }
    auto node = nodes_.find(p.node);
    if (node == nodes_.end()) {
      orphans[p.node].push_back(key);
    } else if (p.terminating && node->second.out_of_service && !node->second.ready) {
      stuck.push_back(key);
    }
  }
  for (std::string& key : stuck) co_await Delete(std::move(key), kNone, kNone);
  // Quarantine, as kube's: a node must be missing for a while (the informer may lag behind a
  // node just created), then the server must confirm it is gone.
  const auto now = clock_.Now();
  std::erase_if(missing_since_, [&](const auto& kv) { return !orphans.contains(kv.first); });
  for (auto& [node, keys] : orphans) {
    auto [since, added] = missing_since_.try_emplace(node, now);
    if (added || now - since->second < 2 * options_.pod_gc_period) continue;
    client::Request get = client::MakeRequest("GET", base::StrCat("/api/v1/nodes/", node));
    auto resp = co_await transport_.Call(std::move(get));
    if (!resp.ok() || resp->code != 404) continue;
    spdlog::info("pod-gc: node {} no longer exists: deleting its {} pods", node, keys.size());
    const std::string reason = "DeletionByPodGC", message = "PodGC: node no longer exists";
    for (std::string& key : keys) co_await Delete(std::move(key), reason, message);
  }
}

asio::awaitable<void> PodGCController::Delete(std::string key, std::string reason,
                                              std::string message) {
  auto it = pods_.find(key);
  if (it == pods_.end()) co_return;
  const std::string uid = it->second.uid;
  if (!it->second.terminated) {
    // kube marks a pod that never finished Failed first: no agent is left to do it.
    json::object status{{"phase", "Failed"}};
    if (!reason.empty()) {
      status["conditions"] =
          json::array{json::object{{"type", "DisruptionTarget"},
                                   {"status", "True"},
                                   {"reason", reason},
                                   {"message", message},
                                   {"lastTransitionTime", base::FormatRfc3339(clock_.Now())}}};
    }
    json::object patch{{"status", std::move(status)}};
    client::Request req =
        client::MakeRequest("PATCH", PodPath(key) + "/status", json::serialize(patch),
                            "application/strategic-merge-patch+json");
    auto resp = co_await transport_.Call(std::move(req));
    if (!resp.ok() || (resp->code != 200 && resp->code != 404)) {
      spdlog::warn("pod-gc: pod {} not marked Failed: {}", key, Describe(resp));
      co_return;
    }
  }
  json::object options{{"apiVersion", "v1"},
                       {"kind", "DeleteOptions"},
                       {"gracePeriodSeconds", 0},
                       {"preconditions", json::object{{"uid", uid}}}};
  client::Request del = client::MakeRequest("DELETE", PodPath(key), json::serialize(options));
  auto resp = co_await transport_.Call(std::move(del));
  if (!resp.ok() || (resp->code >= 300 && resp->code != 404 && resp->code != 409)) {
    spdlog::warn("pod-gc: deleting pod {} failed: {}", key, Describe(resp));
    co_return;
  }
  spdlog::info("pod-gc: deleted pod {}", key);
  if (it = pods_.find(key); it != pods_.end() && it->second.uid == uid) pods_.erase(it);
}

}  // namespace shoal::controllers
