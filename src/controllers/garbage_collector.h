// GarbageCollector: kube-controller-manager's garbage collector (ownerReferences and cascading
// deletion). From informers over the types in GarbageCollectorOptions::resources (and, as
// kube's does, every other type discovery shows can be listed, watched and deleted, except
// Events) it keeps a graph of objects - per object only its uid, name, ownerReferences,
// deletion state and finalizers, never the whole object - and acts as kube's does:
//   - Background: a dependent whose owners are all gone is deleted (propagationPolicy
//     Background); one that lost only some owners gets the dangling ownerReferences removed.
//   - Foreground: the dependents of an owner marked for deletion with the `foregroundDeletion`
//     finalizer are deleted; the finalizer is removed once no dependent with
//     blockOwnerDeletion is left (a dependent still terminating counts as left).
//   - Orphan: the ownerReference to an owner marked for deletion with the `orphan` finalizer
//     is removed from each dependent, then the finalizer.
// A namespaced dependent's owner is looked up in the dependent's namespace (or is
// cluster-scoped); a reference across namespaces is dangling and reported with an Event
// (OwnerRefInvalidNamespace). An owner that is not in the graph (a type not watched, or
// one its informer has not shown yet) is checked with a GET, its resource found through
// discovery, when its dependent is added or changes.
//
// It uses only ordinary API calls (list/watch, get, delete with preconditions, JSON patches
// with `test` operations), so it runs against any Kubernetes API server. Work is event driven:
// a queue of objects to look at, drained by a few concurrent workers once every informer has
// synced; a failed API call puts its object back after an exponential backoff.
//
// Threading: everything runs on the one executor given to the constructor (a single thread);
// Start spawns the discovery loop, informers and workers there. The object must outlive them
// (until that executor is stopped).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/transport.h"

namespace shoal::controllers {

// A type whose objects the garbage collector watches as owners and dependents.
struct GcResource {
  std::string api_version;  // "v1", "batch/v1", "scheduling.x-k8s.io/v1alpha1"
  std::string kind;         // "Pod"
  std::string plural;       // "pods"
  bool namespaced = true;
};

// shoal's owner and dependent types: pods, jobs, podgroups, configmaps, secrets, leases and
// nodes. Extend the list (or GarbageCollectorOptions::resources) for new owner types.
std::vector<GcResource> DefaultGcResources();

struct GarbageCollectorOptions {
  // Always watched. Types that are not served (a CRD not installed) are looked for again
  // every `discovery_interval` and watched once they appear.
  std::vector<GcResource> resources = DefaultGcResources();
  // Also watch every other served type that supports list, watch and delete (kube's
  // collector does: an object of any type may be deleted in the foreground or orphan its
  // dependents, and waits for the collector to remove its finalizer). Events are never watched.
  bool watch_all_deletable = true;
  int workers = 8;  // objects handled concurrently (API calls in flight)
  std::chrono::milliseconds base_backoff{5};  // first retry of a failed object, doubled per failure
  std::chrono::milliseconds max_backoff{std::chrono::minutes(5)};
  std::chrono::milliseconds discovery_interval{std::chrono::seconds(30)};
};

class GarbageCollector {
 public:
  // `transport` must outlive the collector.
  GarbageCollector(boost::asio::any_io_executor executor, client::Transport& transport,
                   GarbageCollectorOptions options = {});

  // Spawns the discovery loop, which starts an informer per served type; the workers start
  // once every one of them has listed.
  void Start();

 private:
  struct OwnerRef {
    std::string api_version, kind, name, uid;
    bool block = false;  // blockOwnerDeletion
    bool operator==(const OwnerRef&) const = default;
  };
  // What the collector keeps of one object.
  struct Node {
    size_t resource = 0;  // index into resources_
    std::string ns, name, uid;
    std::vector<OwnerRef> owners;  // in the object's order
    std::vector<std::string> finalizers;
    bool deleting = false;  // metadata.deletionTimestamp is set
    bool HasFinalizer(std::string_view f) const;
    bool DeletingDependents() const;  // deleting with the foregroundDeletion finalizer
    bool Orphaning() const;           // deleting with the orphan finalizer
  };
  // An owner's resource: from the table or from discovery.
  struct Mapping {
    std::string plural;
    bool namespaced = true;
    bool deletable = false;  // supports list, watch and delete
  };
  enum class OwnerState { kSolid, kDangling, kWaiting, kInvalid };
  enum class Work : char { kDelete = 'd', kOrphan = 'o' };

  // Discovery and informers.
  boost::asio::awaitable<void> RunDiscovery();
  boost::asio::awaitable<bool> WatchDeletableTypes(std::set<std::string>& fetched);
  boost::asio::awaitable<absl::StatusOr<bool>> FetchDiscovery(std::string api_version);
  void StartInformer(size_t resource);
  void OnEvent(size_t resource, client::InformerEvent&& e);
  void MaybeSynced();

  // The graph.
  static std::vector<OwnerRef> OwnersOf(const boost::json::object& object);
  void Upsert(size_t resource, std::string uid, const boost::json::object& object);
  void Remove(const std::string& uid);
  void Link(const Node& n);
  void Unlink(const Node& n);
  void MarkAbsent(std::string key);
  std::string Key(size_t resource, std::string_view ns, std::string_view name) const;
  std::string PathOf(const Node& n) const;

  // The work queue.
  void Enqueue(Work work, const std::string& uid);
  void Kick();
  boost::asio::awaitable<void> Worker();
  boost::asio::awaitable<void> Retry(std::string item, std::chrono::milliseconds delay);

  // The work: true when done, false to retry later.
  boost::asio::awaitable<bool> Process(const std::string& item);
  boost::asio::awaitable<bool> AttemptToDelete(const std::string& uid);
  boost::asio::awaitable<bool> ProcessDeletingDependents(const std::string& uid);
  boost::asio::awaitable<bool> AttemptToOrphan(const std::string& uid);
  boost::asio::awaitable<absl::StatusOr<OwnerState>> ClassifyOwner(const Node& dependent,
                                                                    const OwnerRef& ref);
  boost::asio::awaitable<absl::StatusOr<Mapping>> Discover(const std::string& api_version,
                                                           const std::string& kind);
  void RecordInvalidNamespace(const Node& dependent, const OwnerRef& ref);

  // API calls.
  boost::asio::awaitable<bool> DeleteObject(const std::string& path, const std::string& uid,
                                            const std::string& policy);
  // Removes the ownerReferences to `owner_uids` (refs = true) or the finalizers named in
  // `drop` from the object at `path`, given its current `entries` (ownerReference uids or
  // finalizers, in order); re-reads the object when they changed meanwhile.
  boost::asio::awaitable<bool> RemoveEntries(const std::string& path, const std::string& uid,
                                             bool refs, std::vector<std::string> entries,
                                             const std::unordered_set<std::string>& drop);

  boost::asio::any_io_executor executor_;
  client::Transport& transport_;
  const GarbageCollectorOptions options_;
  client::EventRecorder recorder_;

  // The types: the table first, then those found by discovery (only ever appended, so an
  // index stays valid); which are watched, and whether the graph is complete.
  std::vector<GcResource> resources_;
  std::vector<bool> started_, listed_, unserved_;
  bool discovery_done_ = false;  // every type was found served or not served once
  bool synced_ = false;          // ... and every served one has listed: the workers may run
  std::map<std::string, std::map<std::string, Mapping>> discovered_;  // apiVersion -> kind ->

  std::unordered_map<std::string, Node> nodes_;             // uid -> object
  std::unordered_map<std::string, std::string> uid_by_key_;  // Key() -> uid
  // owner uid -> uids of the objects that reference it (the owner need not exist).
  std::unordered_map<std::string, std::unordered_set<std::string>> dependents_;
  // Owners known to be gone: "uid" seen deleted, or "ns/name/uid" a GET did not find. Bounded.
  std::unordered_set<std::string> absent_;
  std::deque<std::string> absent_order_;

  // Work items are "<Work><uid>".
  std::deque<std::string> ready_;
  std::unordered_set<std::string> queued_;  // in ready_
  std::unordered_set<std::string> active_;  // being processed
  std::unordered_set<std::string> again_;   // enqueued while being processed
  std::unordered_map<std::string, int> failures_;
  int running_ = 0;  // workers
};

}  // namespace shoal::controllers
