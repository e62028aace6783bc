#include "controllers/garbage_collector.h"

#include <algorithm>
#include <optional>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "api/object.h"
#include "base/strings.h"

namespace shoal::controllers {

namespace asio = boost::asio;
namespace json = boost::json;
using client::InformerEvent;

namespace {

constexpr std::string_view kOrphanFinalizer = "orphan";
constexpr std::string_view kForegroundFinalizer = "foregroundDeletion";
constexpr size_t kMaxAbsent = 8192;  // owners remembered as gone (kube: absentOwnerCache, 500)
constexpr int kPatchAttempts = 3;

// "/api/v1" or "/apis/<group>/<version>".
std::string GroupVersionPath(std::string_view api_version) {
  if (api_version.find('/') == std::string_view::npos) return base::StrCat("/api/", api_version);
  return base::StrCat("/apis/", api_version);
}

std::string ObjectPath(std::string_view api_version, std::string_view plural, std::string_view ns,
                       std::string_view name) {
  std::string path = GroupVersionPath(api_version);
  if (!ns.empty()) base::StrAppend(&path, "/namespaces/", ns);
  base::StrAppend(&path, "/", plural, "/", name);
  return path;
}

std::vector<std::string> StringList(const json::object& o, std::string_view path) {
  std::vector<std::string> out;
  const json::value* list = api::FindPath(o, path);
  if (list == nullptr || !list->is_array()) return out;
  for (const json::value& v : list->get_array()) {
    if (v.is_string()) out.emplace_back(v.get_string());
  }
  return out;
}

std::vector<std::string> OwnerUids(const json::object& o) {
  std::vector<std::string> out;
  const json::value* list = api::FindPath(o, "metadata.ownerReferences");
  if (list == nullptr || !list->is_array()) return out;
  for (const json::value& r : list->get_array()) out.emplace_back(api::StringAt(r, "uid"));
  return out;
}

// A JSON patch that removes the entries of the list at `list_path` (ownerReferences, whose
// `test_suffix` is "/uid", or finalizers) for which `drop` holds, given the list as it is now.
// Each removal first tests the entry, and the object's uid is tested, so the patch fails
// (409/422) rather than removing the wrong entry when the object changed meanwhile. nullopt
// when nothing is to be removed.
std::optional<std::string> RemovalPatch(std::string_view uid, std::string_view list_path,
                                        std::string_view test_suffix,
                                        const std::vector<std::string>& entries,
                                        const std::unordered_set<std::string>& drop) {
  size_t dropped = 0;
  for (const std::string& e : entries) dropped += drop.count(e);
  if (dropped == 0) return std::nullopt;
  json::array ops;
  ops.push_back(json::object{{"op", "test"}, {"path", "/metadata/uid"}, {"value", uid}});
  const bool all = dropped == entries.size();
  for (size_t i = entries.size(); i-- > 0;) {  // from the end: earlier indexes stay valid
    if (!drop.count(entries[i])) continue;
    std::string at = base::StrCat(list_path, "/", i);
    ops.push_back(json::object{
        {"op", "test"}, {"path", base::StrCat(at, test_suffix)}, {"value", entries[i]}});
    if (!all) ops.push_back(json::object{{"op", "remove"}, {"path", at}});
  }
  // Nothing left: the field goes, as it would from a Go client (omitempty), not [].
  if (all) ops.push_back(json::object{{"op", "remove"}, {"path", list_path}});
  return json::serialize(ops);
}

asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

}  // namespace

std::vector<GcResource> DefaultGcResources() {
  return {
      {"v1", "Pod", "pods", true},
      {"batch/v1", "Job", "jobs", true},
      {"scheduling.x-k8s.io/v1alpha1", "PodGroup", "podgroups", true},
      {"v1", "ConfigMap", "configmaps", true},
      {"v1", "Secret", "secrets", true},
      {"coordination.k8s.io/v1", "Lease", "leases", true},
      {"v1", "Node", "nodes", false},
  };
}

bool GarbageCollector::Node::HasFinalizer(std::string_view f) const {
  return std::find(finalizers.begin(), finalizers.end(), f) != finalizers.end();
}
bool GarbageCollector::Node::DeletingDependents() const {
  return deleting && HasFinalizer(kForegroundFinalizer);
}
bool GarbageCollector::Node::Orphaning() const {
  return deleting && HasFinalizer(kOrphanFinalizer);
}

GarbageCollector::GarbageCollector(asio::any_io_executor executor, client::Transport& transport,
                                   GarbageCollectorOptions options)
    : executor_(executor),
      transport_(transport),
      options_(std::move(options)),
      recorder_(executor, transport, "garbage-collector-controller"),
      resources_(options_.resources),
      started_(resources_.size(), false),
      listed_(resources_.size(), false),
      unserved_(resources_.size(), false) {}

void GarbageCollector::Start() {
  asio::co_spawn(executor_, RunDiscovery(), asio::detached);
}

// ---- discovery and informers --------------------------------------------------------------

// Starts an informer for every type of the table that the server serves and, with
// watch_all_deletable, for every other type that can be listed, watched and deleted; looks
// again every discovery_interval (a CRD installed later), as kube's collector resyncs its
// monitors from discovery.
asio::awaitable<void> GarbageCollector::RunDiscovery() {
  for (;;) {
    bool failed = false;
    std::set<std::string> fetched;  // group versions read in this pass
    for (size_t r = 0; r < resources_.size(); ++r) {
      if (started_[r]) continue;
      const std::string api_version = resources_[r].api_version;
      if (!fetched.count(api_version)) {
        auto served = co_await FetchDiscovery(api_version);
        if (!served.ok()) {
          failed = true;
          continue;
        }
        fetched.insert(api_version);
      }
      bool served = false;
      for (const auto& [kind, m] : discovered_[api_version]) {
        served |= m.plural == resources_[r].plural;
      }
      if (served) {
        StartInformer(r);
      } else if (!unserved_[r]) {
        unserved_[r] = true;
        spdlog::info("garbage collector: {}/{} is not served; not watching it",
                     GroupVersionPath(api_version), resources_[r].plural);
      }
    }
    if (options_.watch_all_deletable && !co_await WatchDeletableTypes(fetched)) failed = true;
    if (!failed && !discovery_done_) {
      discovery_done_ = true;
      MaybeSynced();
    }
    co_await Sleep(failed && !discovery_done_ ? std::chrono::milliseconds(1000)
                                              : options_.discovery_interval);
  }
}

// Adds and watches every served type (in its group's preferred version) that supports list,
// watch and delete and is not watched yet, except Events (kube's collector ignores them too).
// False when discovery failed.
asio::awaitable<bool> GarbageCollector::WatchDeletableTypes(std::set<std::string>& fetched) {
  client::Request req = client::MakeRequest("GET", "/apis");
  auto resp = co_await transport_.Call(std::move(req));
  if (!resp.ok() || resp->code != 200) co_return false;
  auto doc = api::ParseJson(resp->Text());
  if (!doc.ok() || !doc->is_object()) co_return false;
  std::vector<std::string> versions{"v1"};
  if (const json::value* groups = doc->get_object().if_contains("groups");
      groups != nullptr && groups->is_array()) {
    for (const json::value& g : groups->get_array()) {
      std::string_view gv = api::StringAt(g, "preferredVersion.groupVersion");
      if (!gv.empty()) versions.emplace_back(gv);
    }
  }
  bool ok = true;
  for (const std::string& api_version : versions) {
    if (!fetched.count(api_version)) {
      auto served = co_await FetchDiscovery(api_version);
      if (!served.ok()) {
        ok = false;
        continue;
      }
      fetched.insert(api_version);
    }
    const std::string group = api_version.find('/') == std::string::npos
                                  ? ""
                                  : api_version.substr(0, api_version.find('/'));
    for (const auto& [kind, m] : discovered_[api_version]) {
      if (!m.deletable || m.plural == "events") continue;
      bool known = false;
      for (const GcResource& res : resources_) {
        const size_t slash = res.api_version.find('/');
        const std::string res_group =
            slash == std::string::npos ? "" : res.api_version.substr(0, slash);
        known |= res_group == group && res.plural == m.plural;
      }
      if (known) continue;
      resources_.push_back(GcResource{api_version, kind, m.plural, m.namespaced});
      started_.push_back(false);
      listed_.push_back(false);
      unserved_.push_back(false);
      StartInformer(resources_.size() - 1);
    }
  }
  co_return ok;
}

// Reads the resource list of `api_version` into discovered_. False when the server does not
// serve that group version (404).
asio::awaitable<absl::StatusOr<bool>> GarbageCollector::FetchDiscovery(std::string api_version) {
  client::Request req = client::MakeRequest("GET", GroupVersionPath(api_version));
  auto resp = co_await transport_.Call(std::move(req));
  if (!resp.ok()) co_return resp.status();
  if (resp->code == 404) {
    discovered_.erase(api_version);
    co_return false;
  }
  if (resp->code != 200) {
    co_return absl::UnavailableError(base::StrCat("discovery of ", api_version, ": HTTP ",
                                                  resp->code));
  }
  auto doc = api::ParseJson(resp->Text());
  if (!doc.ok() || !doc->is_object()) co_return absl::InternalError("discovery: bad document");
  std::map<std::string, Mapping> kinds;
  if (const json::value* list = doc->get_object().if_contains("resources");
      list != nullptr && list->is_array()) {
    for (const json::value& r : list->get_array()) {
      std::string_view name = api::StringAt(r, "name");
      if (name.empty() || name.find('/') != std::string_view::npos) continue;  // subresources
      Mapping m{std::string(name), api::BoolAt(r, "namespaced"), false};
      if (const json::value* verbs = r.get_object().if_contains("verbs");
          verbs != nullptr && verbs->is_array()) {
        int have = 0;
        for (const json::value& v : verbs->get_array()) {
          have += v.is_string() && (v.get_string() == "list" || v.get_string() == "watch" ||
                                    v.get_string() == "delete");
        }
        m.deletable = have == 3;
      }
      kinds[std::string(api::StringAt(r, "kind"))] = std::move(m);
    }
  }
  discovered_[api_version] = std::move(kinds);
  co_return true;
}

void GarbageCollector::StartInformer(size_t r) {
  started_[r] = true;
  client::InformerOptions opts;
  const GcResource& res = resources_[r];
  opts.path = base::StrCat(GroupVersionPath(res.api_version), "/", res.plural);
  client::SpawnInformer(executor_, transport_, std::move(opts),
                        [this, r](InformerEvent&& e) { OnEvent(r, std::move(e)); });
}

void GarbageCollector::OnEvent(size_t r, InformerEvent&& e) {
  if (e.type == InformerEvent::Type::kSynced) {
    listed_[r] = true;
    MaybeSynced();
    return;
  }
  const std::string key = Key(r, api::StringAt(e.object(), "metadata.namespace"),
                              api::StringAt(e.object(), "metadata.name"));
  std::string uid(api::StringAt(e.object(), "metadata.uid"));
  auto known = uid_by_key_.find(key);
  if (e.type == InformerEvent::Type::kDeleted) {
    // A deletion found by a relist carries only the name.
    if (uid.empty() && known != uid_by_key_.end()) uid = known->second;
    if (!uid.empty()) Remove(uid);
    return;
  }
  if (uid.empty()) return;
  // The same name with another uid: the old object went while we were not looking.
  if (known != uid_by_key_.end() && known->second != uid) {
    std::string old = known->second;
    Remove(old);
  }
  Upsert(r, std::move(uid), e.object());
}

void GarbageCollector::MaybeSynced() {
  if (synced_ || !discovery_done_) return;
  for (size_t r = 0; r < started_.size(); ++r) {
    if (started_[r] && !listed_[r]) return;
  }
  synced_ = true;
  // Everything that may need work (a dependent whose owner went while nobody watched, an
  // owner whose deletion waits for us): the queue was not fed before the graph was complete.
  for (const auto& [uid, n] : nodes_) {
    if (!n.owners.empty() || n.DeletingDependents()) Enqueue(Work::kDelete, uid);
    if (n.Orphaning()) Enqueue(Work::kOrphan, uid);
  }
  size_t types = 0;
  for (bool started : started_) types += started;
  spdlog::info("garbage collector: synced, {} objects of {} types", nodes_.size(), types);
}

// ---- the graph ------------------------------------------------------------------------------

std::string GarbageCollector::Key(size_t r, std::string_view ns, std::string_view name) const {
  return base::StrCat(r, "/", ns, "/", name);
}

std::string GarbageCollector::PathOf(const Node& n) const {
  const GcResource& res = resources_[n.resource];
  return ObjectPath(res.api_version, res.plural, n.ns, n.name);
}

void GarbageCollector::Link(const Node& n) {
  for (const OwnerRef& ref : n.owners) dependents_[ref.uid].insert(n.uid);
}

void GarbageCollector::Unlink(const Node& n) {
  for (const OwnerRef& ref : n.owners) {
    auto it = dependents_.find(ref.uid);
    if (it == dependents_.end()) continue;
    it->second.erase(n.uid);
    if (it->second.empty()) dependents_.erase(it);
  }
}

std::vector<GarbageCollector::OwnerRef> GarbageCollector::OwnersOf(const json::object& o) {
  std::vector<OwnerRef> owners;
  const json::value* refs = api::FindPath(o, "metadata.ownerReferences");
  if (refs == nullptr || !refs->is_array()) return owners;
  for (const json::value& ref : refs->get_array()) {
    OwnerRef owner{std::string(api::StringAt(ref, "apiVersion")),
                   std::string(api::StringAt(ref, "kind")), std::string(api::StringAt(ref, "name")),
                   std::string(api::StringAt(ref, "uid")), api::BoolAt(ref, "blockOwnerDeletion")};
    if (!owner.uid.empty()) owners.push_back(std::move(owner));
  }
  return owners;
}

void GarbageCollector::Upsert(size_t r, std::string uid, const json::object& o) {
  Node next;
  next.resource = r;
  next.ns = api::StringAt(o, "metadata.namespace");
  next.name = api::StringAt(o, "metadata.name");
  next.uid = uid;
  next.deleting = !api::StringAt(o, "metadata.deletionTimestamp").empty();
  next.finalizers = StringList(o, "metadata.finalizers");
  next.owners = OwnersOf(o);
  auto [it, inserted] = nodes_.try_emplace(uid);
  Node& n = it->second;
  const bool was_deleting_dependents = !inserted && n.DeletingDependents();
  const bool was_orphaning = !inserted && n.Orphaning();
  if (inserted) {
    uid_by_key_[Key(r, next.ns, next.name)] = uid;
    n = std::move(next);
    Link(n);
    if (!n.owners.empty()) Enqueue(Work::kDelete, uid);
  } else {
    if (n.owners != next.owners) {
      // An owner waiting in foreground deletion may be free now: a reference to it was
      // removed or no longer blocks it.
      for (const OwnerRef& old : n.owners) {
        auto same = std::find_if(next.owners.begin(), next.owners.end(),
                                 [&](const OwnerRef& o) { return o.uid == old.uid; });
        if (same != next.owners.end() && (same->block || !old.block)) continue;
        auto owner = nodes_.find(old.uid);
        if (owner != nodes_.end() && owner->second.DeletingDependents()) {
          Enqueue(Work::kDelete, old.uid);
        }
      }
      Unlink(n);
      n.owners = std::move(next.owners);
      Link(n);
      if (!n.owners.empty()) Enqueue(Work::kDelete, uid);
    }
    n.finalizers = std::move(next.finalizers);
    n.deleting = next.deleting;
  }
  if (n.DeletingDependents() && !was_deleting_dependents) {
    Enqueue(Work::kDelete, uid);
    if (auto deps = dependents_.find(uid); deps != dependents_.end()) {
      for (const std::string& dep : deps->second) Enqueue(Work::kDelete, dep);
    }
  }
  if (n.Orphaning() && !was_orphaning) Enqueue(Work::kOrphan, uid);
}

void GarbageCollector::Remove(const std::string& uid) {
  auto it = nodes_.find(uid);
  if (it == nodes_.end()) return;
  Node n = std::move(it->second);
  nodes_.erase(it);
  if (auto k = uid_by_key_.find(Key(n.resource, n.ns, n.name));
      k != uid_by_key_.end() && k->second == uid) {
    uid_by_key_.erase(k);
  }
  MarkAbsent(uid);  // uids are never reused: gone for good
  Unlink(n);
  // Its owners in foreground deletion may be free now; its dependents may be garbage.
  for (const OwnerRef& ref : n.owners) {
    auto owner = nodes_.find(ref.uid);
    if (owner != nodes_.end() && owner->second.DeletingDependents()) {
      Enqueue(Work::kDelete, ref.uid);
    }
  }
  if (auto deps = dependents_.find(uid); deps != dependents_.end()) {
    for (const std::string& dep : deps->second) Enqueue(Work::kDelete, dep);
  }
}

void GarbageCollector::MarkAbsent(std::string key) {
  if (!absent_.insert(key).second) return;
  absent_order_.push_back(std::move(key));
  if (absent_order_.size() > kMaxAbsent) {
    absent_.erase(absent_order_.front());
    absent_order_.pop_front();
  }
}

// ---- the work queue -------------------------------------------------------------------------

void GarbageCollector::Enqueue(Work work, const std::string& uid) {
  // Before the graph is complete nothing is queued: MaybeSynced looks at every object then.
  if (!synced_) return;
  std::string item(1, static_cast<char>(work));
  item += uid;
  if (active_.count(item)) {
    again_.insert(std::move(item));
    return;
  }
  if (!queued_.insert(item).second) return;
  ready_.push_back(std::move(item));
  Kick();
}

// One more worker per item queued, up to options_.workers; a worker drains the queue.
void GarbageCollector::Kick() {
  if (running_ < options_.workers && !ready_.empty()) {
    ++running_;
    // Posted, not run inline: the caller may be in the middle of changing the graph.
    asio::post(executor_, [this] { asio::co_spawn(executor_, Worker(), asio::detached); });
  }
}

asio::awaitable<void> GarbageCollector::Worker() {
  while (!ready_.empty()) {
    std::string item = std::move(ready_.front());
    ready_.pop_front();
    queued_.erase(item);
    active_.insert(item);
    const bool done = co_await Process(item);
    active_.erase(item);
    if (done) {
      failures_.erase(item);
    } else {
      // kube's per-item exponential backoff (workqueue's default controller rate limiter).
      int n = ++failures_[item];
      auto delay = options_.base_backoff * (int64_t{1} << std::min(n - 1, 30));
      delay = std::min<std::chrono::milliseconds>(delay, options_.max_backoff);
      again_.erase(item);  // the retry comes after the backoff, not at once
      asio::co_spawn(executor_, Retry(item, delay), asio::detached);
      continue;
    }
    if (again_.erase(item)) {
      const Work work = static_cast<Work>(item[0]);
      std::string uid = item.substr(1);
      Enqueue(work, uid);
    }
  }
  --running_;
}

asio::awaitable<void> GarbageCollector::Retry(std::string item, std::chrono::milliseconds delay) {
  co_await Sleep(delay);
  const Work work = static_cast<Work>(item[0]);
  std::string uid = item.substr(1);
  Enqueue(work, uid);
}

asio::awaitable<bool> GarbageCollector::Process(const std::string& item) {
  std::string uid = item.substr(1);
  if (static_cast<Work>(item[0]) == Work::kOrphan) co_return co_await AttemptToOrphan(uid);
  co_return co_await AttemptToDelete(uid);
}

// ---- the work -------------------------------------------------------------------------------

// kube's attemptToDeleteItem: decides about one object from the state of its owners.
asio::awaitable<bool> GarbageCollector::AttemptToDelete(const std::string& uid) {
  auto it = nodes_.find(uid);
  if (it == nodes_.end()) co_return true;
  if (it->second.deleting) {
    if (!it->second.DeletingDependents()) co_return true;  // on its way out already
    co_return co_await ProcessDeletingDependents(uid);
  }
  Node n = it->second;  // a copy: the graph may change while we wait on the server
  const std::string path = PathOf(n);
  std::unordered_set<std::string> gone;  // dangling, or waiting for their dependents to go
  bool solid = false, waiting = false;
  for (int round = 0;; ++round) {
    if (n.owners.empty()) co_return true;
    gone.clear();
    solid = waiting = false;
    for (const OwnerRef& ref : n.owners) {
      auto state = co_await ClassifyOwner(n, ref);
      if (!state.ok()) {
        spdlog::warn("garbage collector: owner {} {} of {}: {}", ref.kind, ref.name, path,
                     state.status().ToString());
        co_return false;
      }
      // Retrying cannot fix an invalid reference (kube forgets the item too).
      if (*state == OwnerState::kInvalid) co_return true;
      solid |= *state == OwnerState::kSolid;
      waiting |= *state == OwnerState::kWaiting;
      if (*state != OwnerState::kSolid) gone.insert(ref.uid);
    }
    if (gone.empty()) co_return true;
    // About to write: check the object as it is now, as kube does (its informer may not have
    // shown us yet that, say, an orphaning removed the reference to an owner that is gone).
    client::Request get = client::MakeRequest("GET", path);
    auto resp = co_await transport_.Call(std::move(get));
    if (!resp.ok()) co_return false;
    if (resp->code == 404) co_return true;
    if (resp->code != 200) co_return false;
    auto latest = api::ParseJson(resp->Text());
    if (!latest.ok() || !latest->is_object()) co_return false;
    const json::object& obj = latest->get_object();
    if (api::StringAt(obj, "metadata.uid") != n.uid) co_return true;  // another object now
    if (!api::StringAt(obj, "metadata.deletionTimestamp").empty()) co_return true;
    n.finalizers = StringList(obj, "metadata.finalizers");
    std::vector<OwnerRef> owners = OwnersOf(obj);
    if (owners == n.owners) break;
    if (round >= 2) co_return false;  // changing under us: later
    n.owners = std::move(owners);
  }
  if (solid) {
    // Some owners remain: only the references to the others go.
    std::vector<std::string> entries;
    for (const OwnerRef& ref : n.owners) entries.push_back(ref.uid);
    co_return co_await RemoveEntries(path, n.uid, true, std::move(entries), gone);
  }
  // No owner remains. An object that has dependents of its own goes in the foreground when an
  // owner waits for it (kube propagates foreground deletion down the tree); otherwise as its
  // own finalizers say, else in the background.
  std::string policy = "Background";
  if (waiting && dependents_.count(n.uid)) {
    policy = "Foreground";
  } else if (n.HasFinalizer(kOrphanFinalizer)) {
    policy = "Orphan";
  } else if (n.HasFinalizer(kForegroundFinalizer)) {
    policy = "Foreground";
  }
  spdlog::debug("garbage collector: deleting {} ({}, {})", path, n.uid, policy);
  co_return co_await DeleteObject(path, n.uid, policy);
}

// kube's processDeletingDependentsItem: an owner in foreground deletion loses its finalizer
// once no dependent blocks it; until then its dependents are deleted.
asio::awaitable<bool> GarbageCollector::ProcessDeletingDependents(const std::string& uid) {
  auto it = nodes_.find(uid);
  if (it == nodes_.end()) co_return true;
  const Node owner = it->second;
  bool blocked = false;
  if (auto deps = dependents_.find(uid); deps != dependents_.end()) {
    std::vector<std::string> to_delete;
    for (const std::string& dep_uid : deps->second) {
      auto dep = nodes_.find(dep_uid);
      if (dep == nodes_.end()) continue;
      const Node& d = dep->second;
      // A dependent in another namespace does not belong to a namespaced owner.
      if (!owner.ns.empty() && d.ns != owner.ns) continue;
      for (const OwnerRef& ref : d.owners) blocked |= ref.uid == uid && ref.block;
      if (!d.deleting) to_delete.push_back(dep_uid);
    }
    for (const std::string& dep : to_delete) Enqueue(Work::kDelete, dep);
  }
  if (blocked) co_return true;  // a dependent's removal brings the owner back here
  const std::unordered_set<std::string> drop{std::string(kForegroundFinalizer)};
  const std::string path = PathOf(owner);
  co_return co_await RemoveEntries(path, owner.uid, false, owner.finalizers, drop);
}

// kube's orphanDependents + removeFinalizer(orphan).
asio::awaitable<bool> GarbageCollector::AttemptToOrphan(const std::string& uid) {
  auto it = nodes_.find(uid);
  if (it == nodes_.end() || !it->second.Orphaning()) co_return true;
  const Node owner = it->second;
  std::vector<std::string> deps;
  if (auto d = dependents_.find(uid); d != dependents_.end()) {
    deps.assign(d->second.begin(), d->second.end());
  }
  const std::unordered_set<std::string> owner_uid{uid};
  for (const std::string& dep_uid : deps) {
    auto dep = nodes_.find(dep_uid);
    if (dep == nodes_.end()) continue;
    std::vector<std::string> entries;
    for (const OwnerRef& ref : dep->second.owners) entries.push_back(ref.uid);
    const std::string path = PathOf(dep->second);
    const std::string dep_object_uid = dep->second.uid;
    if (!co_await RemoveEntries(path, dep_object_uid, true, std::move(entries), owner_uid)) {
      co_return false;
    }
  }
  const std::unordered_set<std::string> drop{std::string(kOrphanFinalizer)};
  const std::string path = PathOf(owner);
  co_return co_await RemoveEntries(path, owner.uid, false, owner.finalizers, drop);
}

// kube's isDangling, answered from the graph where it can be and with a GET otherwise (an
// owner of a type not watched, or one the informers have not shown yet).
asio::awaitable<absl::StatusOr<GarbageCollector::OwnerState>> GarbageCollector::ClassifyOwner(
    const Node& dep, const OwnerRef& ref) {
  std::optional<size_t> watched;
  for (size_t r = 0; r < resources_.size(); ++r) {
    const GcResource& res = resources_[r];
    if (res.api_version == ref.api_version && res.kind == ref.kind) watched = r;
  }
  Mapping mapping;
  if (watched) {
    mapping = Mapping{resources_[*watched].plural, resources_[*watched].namespaced, true};
  } else {
    auto m = co_await Discover(ref.api_version, ref.kind);
    if (!m.ok()) co_return m.status();
    mapping = *m;
  }
  if (mapping.namespaced && dep.ns.empty()) {
    // A cluster-scoped object cannot have a namespaced owner: not fixed by retrying.
    RecordInvalidNamespace(dep, ref);
    co_return OwnerState::kInvalid;
  }
  const std::string ns = mapping.namespaced ? dep.ns : "";
  const std::string absent_key = base::StrCat(ns, "/", ref.name, "/", ref.uid);
  if (absent_.count(ref.uid) || absent_.count(absent_key)) co_return OwnerState::kDangling;
  if (watched) {
    auto k = uid_by_key_.find(Key(*watched, ns, ref.name));
    if (k != uid_by_key_.end() && k->second == ref.uid) {
      co_return nodes_.at(ref.uid).DeletingDependents() ? OwnerState::kWaiting
                                                        : OwnerState::kSolid;
    }
    if (auto other = nodes_.find(ref.uid); other != nodes_.end()) {
      // The uid exists, but not under this name here: the reference points across namespaces
      // (kube: an owner is looked up in its dependent's namespace) or names another object.
      if (other->second.ns != ns) RecordInvalidNamespace(dep, ref);
      co_return OwnerState::kDangling;
    }
  }
  // Not in the graph: ask the server (the owner's informer may lag behind its dependent's).
  client::Request req =
      client::MakeRequest("GET", ObjectPath(ref.api_version, mapping.plural, ns, ref.name));
  auto resp = co_await transport_.Call(std::move(req));
  if (!resp.ok()) co_return resp.status();
  if (resp->code == 404) {
    MarkAbsent(absent_key);
    co_return OwnerState::kDangling;
  }
  if (resp->code != 200) {
    co_return absl::UnavailableError(base::StrCat("GET owner: HTTP ", resp->code));
  }
  auto owner = api::ParseJson(resp->Text());
  if (!owner.ok() || !owner->is_object()) co_return absl::InternalError("GET owner: bad body");
  if (api::StringAt(*owner, "metadata.uid") != ref.uid) {
    MarkAbsent(absent_key);
    co_return OwnerState::kDangling;
  }
  const bool deleting = !api::StringAt(*owner, "metadata.deletionTimestamp").empty();
  std::vector<std::string> finalizers = StringList(owner->get_object(), "metadata.finalizers");
  const bool foreground = std::find(finalizers.begin(), finalizers.end(),
                                    kForegroundFinalizer) != finalizers.end();
  co_return deleting && foreground ? OwnerState::kWaiting : OwnerState::kSolid;
}

// The resource of an owner kind outside the table, from discovery (looked up again when the
// kind is missing: a CRD may have been installed since).
asio::awaitable<absl::StatusOr<GarbageCollector::Mapping>> GarbageCollector::Discover(
    const std::string& api_version, const std::string& kind) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (auto gv = discovered_.find(api_version); gv != discovered_.end()) {
      if (auto m = gv->second.find(kind); m != gv->second.end()) co_return m->second;
      if (attempt > 0) break;
    }
    auto served = co_await FetchDiscovery(api_version);
    if (!served.ok()) co_return served.status();
    if (!*served) break;
  }
  co_return absl::NotFoundError(
      base::StrCat("the server does not serve kind ", kind, " in ", api_version));
}

void GarbageCollector::RecordInvalidNamespace(const Node& dep, const OwnerRef& ref) {
  const GcResource& res = resources_[dep.resource];
  json::object involved{{"apiVersion", res.api_version}, {"kind", res.kind},
                        {"name", dep.name}, {"uid", dep.uid}};
  if (!dep.ns.empty()) involved["namespace"] = dep.ns;
  // kube's message (graph_builder.go reportInvalidNamespaceOwnerRef).
  std::string message = base::StrCat("ownerRef [", ref.api_version, "/", ref.kind,
                                     ", namespace: ", dep.ns, ", name: ", ref.name,
                                     ", uid: ", ref.uid, "] does not exist in namespace \"",
                                     dep.ns, "\"");
  recorder_.RecordFor(dep.ns.empty() ? "default" : dep.ns, std::move(involved), "Warning",
                      "OwnerRefInvalidNamespace", message);
}

// ---- API calls ------------------------------------------------------------------------------

asio::awaitable<bool> GarbageCollector::DeleteObject(const std::string& path,
                                                     const std::string& uid,
                                                     const std::string& policy) {
  json::object options{{"kind", "DeleteOptions"},
                       {"apiVersion", "v1"},
                       {"propagationPolicy", policy},
                       {"preconditions", json::object{{"uid", uid}}}};
  client::Request req = client::MakeRequest("DELETE", path, json::serialize(options));
  auto resp = co_await transport_.Call(std::move(req));
  if (!resp.ok()) {
    spdlog::warn("garbage collector: DELETE {}: {}", path, resp.status().ToString());
    co_return false;
  }
  // 404: gone already; 409: the uid precondition failed, so the object we meant is gone.
  if (resp->code == 200 || resp->code == 202 || resp->code == 404 || resp->code == 409) {
    co_return true;
  }
  spdlog::warn("garbage collector: DELETE {}: HTTP {}: {}", path, resp->code, resp->Text());
  co_return false;
}

asio::awaitable<bool> GarbageCollector::RemoveEntries(
    const std::string& path, const std::string& uid, bool refs, std::vector<std::string> entries,
    const std::unordered_set<std::string>& drop) {
  const std::string_view list_path = refs ? "/metadata/ownerReferences" : "/metadata/finalizers";
  for (int attempt = 0; attempt < kPatchAttempts; ++attempt) {
    auto patch = RemovalPatch(uid, list_path, refs ? "/uid" : "", entries, drop);
    if (!patch) co_return true;
    client::Request req =
        client::MakeRequest("PATCH", path, std::move(*patch), "application/json-patch+json");
    auto resp = co_await transport_.Call(std::move(req));
    if (!resp.ok()) {
      spdlog::warn("garbage collector: PATCH {}: {}", path, resp.status().ToString());
      co_return false;
    }
    if (resp->code == 200 || resp->code == 404) co_return true;
    if (resp->code != 409 && resp->code != 422) {
      spdlog::warn("garbage collector: PATCH {}: HTTP {}: {}", path, resp->code, resp->Text());
      co_return false;
    }
    // A test failed: the object changed since we saw it. Read it and try again.
    client::Request get = client::MakeRequest("GET", path);
    auto cur = co_await transport_.Call(std::move(get));
    if (!cur.ok()) co_return false;
    if (cur->code == 404) co_return true;
    if (cur->code != 200) co_return false;
    auto obj = api::ParseJson(cur->Text());
    if (!obj.ok() || !obj->is_object()) co_return false;
    if (api::StringAt(*obj, "metadata.uid") != uid) co_return true;  // another object now
    entries = refs ? OwnerUids(obj->get_object())
                   : StringList(obj->get_object(), "metadata.finalizers");
  }
  co_return false;
}

}  // namespace shoal::controllers
