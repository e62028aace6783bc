#include "controllers/podgroup_status.h"

#include <utility>

#include <boost/json.hpp>

#include "api/object.h"
#include "base/strings.h"

namespace shoal::controllers {

namespace asio = boost::asio;
namespace json = boost::json;
using client::InformerEvent;

namespace {

constexpr std::string_view kGroupLabel = "scheduling.x-k8s.io/pod-group";

std::string GroupOf(const json::object& pod) {
  const json::value* labels = api::FindPath(pod, "metadata.labels");
  if (labels == nullptr || !labels->is_object()) return "";
  const json::value* g = labels->get_object().if_contains(kGroupLabel);
  if (g == nullptr || !g->is_string() || g->get_string().empty()) return "";
  return base::StrCat(api::StringAt(pod, "metadata.namespace"), "/",
                      std::string_view(g->get_string()));
}

}  // namespace

void CountMember(const json::object& pod, PodGroupCounts& c) {
  std::string_view phase = api::StringAt(pod, "status.phase");
  const bool bound = !api::StringAt(pod, "spec.nodeName").empty();
  if (phase == "Succeeded") {
    ++c.succeeded;
  } else if (phase == "Failed") {
    ++c.failed;
  } else if (phase == "Running") {
    ++c.running;
  } else {
    ++c.pending;
  }
  if (bound && phase != "Succeeded" && phase != "Failed") ++c.scheduled;
}

PodGroupCounts& PodGroupCounts::operator+=(const PodGroupCounts& o) {
  scheduled += o.scheduled;
  running += o.running;
  succeeded += o.succeeded;
  failed += o.failed;
  pending += o.pending;
  return *this;
}

PodGroupCounts& PodGroupCounts::operator-=(const PodGroupCounts& o) {
  scheduled -= o.scheduled;
  running -= o.running;
  succeeded -= o.succeeded;
  failed -= o.failed;
  pending -= o.pending;
  return *this;
}

std::string PodGroupPhase(const PodGroupCounts& c, int32_t min_member) {
  if (c.succeeded >= min_member) return "Succeeded";
  if (c.failed > 0 && c.running == 0 && c.pending == 0) return "Failed";
  if (c.running + c.succeeded >= min_member && c.running > 0) return "Running";
  if (c.scheduled + c.succeeded >= min_member && c.scheduled > 0) return "Scheduled";
  return "Pending";
}

PodGroupStatusController::PodGroupStatusController(asio::any_io_executor executor,
                                                   client::Transport& transport)
    : executor_(executor), transport_(transport), writer_(executor, transport, "controllers") {}

void PodGroupStatusController::Start() {
  client::InformerOptions pods;
  pods.path = "/api/v1/pods";
  pods.label_selector = std::string(kGroupLabel);  // members only
  client::SpawnInformer(executor_, transport_, std::move(pods),
                        [this](InformerEvent&& e) { OnPod(std::move(e)); });
  client::SpawnInformer(executor_, transport_, "/apis/scheduling.x-k8s.io/v1alpha1/podgroups",
                        [this](InformerEvent&& e) { OnPodGroup(std::move(e)); });
}

void PodGroupStatusController::OnPod(InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kSynced) return;
  const std::string key = client::ObjectKey(e.object());
  const std::string group = e.type == InformerEvent::Type::kDeleted ? "" : GroupOf(e.object());
  PodGroupCounts now;
  if (!group.empty()) CountMember(e.object(), now);
  // The pod's old contribution out, its new one in. The group is synced even when nothing
  // counted moved (cheap now): after a failed status write, StatusWriter writes the same
  // status again at the next Write.
  std::string old_group;
  if (auto it = members_.find(key); it != members_.end()) {
    old_group = std::move(it->second.group);
    auto c = counts_.find(old_group);
    c->second -= it->second.counted;
    if (c->second.members() == 0) counts_.erase(c);
    members_.erase(it);
  }
  if (!group.empty()) {
    members_[key] = Member{group, now};
    counts_[group] += now;
  }
  if (!old_group.empty() && old_group != group) Sync(old_group);
  if (!group.empty()) Sync(group);
}

void PodGroupStatusController::OnPodGroup(InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kSynced) return;
  const std::string key = client::ObjectKey(e.object());
  if (e.type == InformerEvent::Type::kDeleted) {
    groups_.erase(key);
    writer_.Erase(key);
    return;
  }
  Group& g = groups_[key];
  g.exists = true;
  if (const json::value* m = api::FindPath(e.object(), "spec.minMember"); m && m->is_int64()) {
    g.min_member = static_cast<int32_t>(std::max<int64_t>(1, m->get_int64()));
  }
  // What the object says now (another writer, or a restart of this controller).
  json::object seen;
  for (const char* f : {"phase", "scheduled", "running", "succeeded", "failed"}) {
    const json::value* v = api::FindPath(e.object(), base::StrCat("status.", f));
    if (v != nullptr) seen[f] = *v;
  }
  g.seen = json::serialize(seen);
  if (g.final_status.empty() && api::StringAt(e.object(), "status.phase") == "Succeeded") {
    g.final_status = g.seen;  // e.g. read back after a restart of this controller
  }
  writer_.Forget(key);  // the object speaks for itself now: restore our status if it differs
  Sync(key);
}

void PodGroupStatusController::Sync(const std::string& group_key) {
  auto it = groups_.find(group_key);
  if (it == groups_.end() || !it->second.exists) return;
  Group& g = it->second;
  PodGroupCounts counts;
  if (auto c = counts_.find(group_key); c != counts_.end()) counts = c->second;
  json::object status{{"phase", PodGroupPhase(counts, g.min_member)},
                      {"scheduled", counts.scheduled},
                      {"running", counts.running},
                      {"succeeded", counts.succeeded},
                      {"failed", counts.failed}};
  std::string text = json::serialize(status);
  if (!g.final_status.empty()) {
    text = g.final_status;
  } else if (status.at("phase").as_string() == "Succeeded") {
    g.final_status = text;
  }
  if (text == g.seen) return;
  const size_t slash = group_key.find('/');
  writer_.Write(group_key,
                base::StrCat("/apis/scheduling.x-k8s.io/v1alpha1/namespaces/",
                             group_key.substr(0, slash), "/podgroups/",
                             group_key.substr(slash + 1), "/status"),
                std::move(text));
}

}  // namespace shoal::controllers
