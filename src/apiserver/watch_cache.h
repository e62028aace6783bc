// WatchCache: the in-memory view of one resource type that serves GET, LIST and WATCH
// (kube-apiserver's cacher). It is fed by the store's commit stream and holds:
//   - the current object of every key (serialized once, shared by every reader and watcher),
//   - a ring buffer of recent events, so that a watch can start from an older
//     resourceVersion and so that paginated LISTs see a consistent snapshot,
//   - the registered watchers, each with a bounded queue.
//
// Threading: Apply/AdvanceRevision are called by one writer (the store's commit thread).
// Readers (Get, List, Watch) may call from any thread. The lock is never held while calling
// out: dispatch only appends to watcher queues and calls each watcher's notify function,
// which must be cheap and non-blocking (it posts to the watcher's executor).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "api/fields.h"
#include "api/labels.h"
#include "api/registry.h"
#include "store/store.h"

namespace shoal::apiserver {

// What the cache reads from an object besides its bytes: what watch filters match on.
struct ObjectFields {
  std::string ns;
  std::string name;
  api::Labels labels;
  api::Fields fields;
};

// One version of one object, immutable once built.
struct CachedObject : ObjectFields {
  std::string key;  // store key
  int64_t rv = 0;
  store::Bytes json;  // serialized object, metadata.resourceVersion == rv
};
using ObjectPtr = std::shared_ptr<const CachedObject>;

// The ObjectFields of `object` (of `type`), for a write's store::WriteOp::hint: the writer has
// the object parsed, so the commit thread need not parse the stored bytes again. The stored
// value must be this object serialized (its resourceVersion aside).
std::shared_ptr<const ObjectFields> FieldsOf(const api::ResourceType& type,
                                            const boost::json::object& object);

// Builds the cached form of a stored value at revision `rv`, sharing `stored_value` when it
// already carries that resourceVersion. With `known` (a write's hint, FieldsOf) the value is
// not parsed: `known` is trusted to describe it. nullptr if it does not parse.
ObjectPtr MakeCachedObject(const api::ResourceType& type, const std::string& key,
                           const store::Bytes& stored_value, int64_t rv,
                           const ObjectFields* known = nullptr);

// One live event's object parsed once for every in-process watcher it reaches
// (InProcessTransport::WatchObjects, the server's own scheduler and controllers): the first of
// them to ask parses, the others share the result. Only watchers started with `share_parse`
// get one (not those over HTTP, whose queues may hold many events), and the cache's history
// and current objects never hold one, so a parsed object lives only while an event that
// carries it is queued for, or handled by, such a watcher.
// Threading: Get may be called from any thread.
// `object`'s bytes parsed, as a new object of its own (made non-const, so a sole holder may
// move it out: client::InformerEvent::TakeObject). nullptr if they are not a JSON object,
// which the store never holds.
std::shared_ptr<const boost::json::object> ParseCachedObject(const CachedObject& object);

class SharedParse {
 public:
  // ParseCachedObject(object), parsed by the first caller (every caller passes the event's
  // object).
  std::shared_ptr<const boost::json::object> Get(const CachedObject& object);

 private:
  std::once_flag once_;
  std::shared_ptr<const boost::json::object> parsed_;
};

struct CacheEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kAdded;
  int64_t rv = 0;
  ObjectPtr object;  // the new state; for kDeleted the last state, with rv of the delete
  ObjectPtr prev;    // the state before this event (absent for kAdded)
  // Live events to `share_parse` watchers only (not the history's copy, initial or replayed
  // events): `object` parsed once for all of them, see SharedParse.
  std::shared_ptr<SharedParse> parsed;
  // When the cache applied the event (live events only; an initial or replayed event has none):
  // the start of the watch delivery delay (shoal_watch_delivery_seconds, docs/operations.md).
  std::chrono::steady_clock::time_point applied{};
};

// The watch event type as the API names it: "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR".
std::string_view WatchTypeName(CacheEvent::Type type);

// What a LIST or WATCH selects.
struct Filter {
  std::string ns;  // "" = all namespaces
  api::LabelSelector labels;
  api::FieldSelector fields;
  bool Matches(const CachedObject& o) const;
};

// A registered watch. The HTTP layer drains it with Take() on its own executor.
class Watcher {
 public:
  Watcher(Filter filter, size_t capacity, std::function<void()> notify, bool share_parse);
  // Moves out queued events (at most `max`). Thread-safe.
  std::vector<CacheEvent> Take(size_t max);
  // True once the watcher was cut off (queue overflow) or stopped.
  bool terminated() const;
  const Filter& filter() const { return filter_; }
  // Whether its live events carry CacheEvent::parsed.
  bool share_parse() const { return share_parse_; }
  // How many events were queued when the watch started (the initial state or the replay).
  size_t initial_count() const { return initial_count_; }

 private:
  friend class WatchCache;
  // Appends an event; returns false (and terminates) if the queue is full. Thread-safe.
  bool Push(CacheEvent e, bool unbounded);
  void Terminate();

  const Filter filter_;
  const size_t capacity_;
  const std::function<void()> notify_;
  const bool share_parse_;
  mutable std::mutex mu_;
  std::deque<CacheEvent> queue_;
  bool terminated_ = false;
  size_t initial_count_ = 0;
};

struct ListResult {
  std::vector<ObjectPtr> items;
  int64_t revision = 0;
  std::string continue_token;  // "" when complete
};

struct ListOptions {
  Filter filter;
  // "" = most recent; "0" = any; otherwise a revision (NotOlderThan or Exact).
  std::string resource_version;
  bool exact = false;  // resourceVersionMatch=Exact
  int64_t limit = 0;   // 0 = no limit
  std::string continue_token;
};

class WatchCache {
 public:
  // The history keeps the last `history_capacity` events, and of them only those applied
  // less than `history_max_age` ago (checked as events are applied).
  WatchCache(const api::ResourceType& type, size_t history_capacity, size_t watcher_capacity,
             std::chrono::steady_clock::duration history_max_age =
                 std::chrono::steady_clock::duration::max());

  // Writer side (store commit thread). Events must come in revision order. An event's hint,
  // if any, must be the written object's ObjectFields (FieldsOf): it is used instead of
  // parsing the value.
  void Apply(const store::Event& event);
  // Records that the global revision moved (events of other types), so that LIST returns the
  // current global resourceVersion and watches can be bookmarked at it.
  void AdvanceRevision(int64_t rev);
  // Loads the initial state (at startup, before serving).
  void Reset(const std::vector<store::KeyValue>& kvs, int64_t revision);

  // Reader side.
  ObjectPtr Get(const std::string& key) const;
  // Errors: InvalidArgument (bad continue token), OutOfRange (410: the snapshot or
  // resourceVersion is older than the history kept), DeadlineExceeded (resourceVersion from
  // the future).
  absl::StatusOr<ListResult> List(const ListOptions& options) const;
  // Starts a watch after `from_rv` (0 = synthetic ADDED for every current object first).
  // OutOfRange (410) if from_rv is older than the history kept; DeadlineExceeded (504) if it
  // is newer than the cache's revision. With `share_parse` its live events carry the
  // SharedParse of their object (in-process watchers).
  absl::StatusOr<std::shared_ptr<Watcher>> Watch(int64_t from_rv, Filter filter,
                                                 std::function<void()> notify,
                                                 bool share_parse = false);
  void StopWatch(const std::shared_ptr<Watcher>& w);
  // The revision a bookmark may carry for `w`: current revision if w has nothing queued.
  std::optional<int64_t> BookmarkRevision(const Watcher& w) const;

  int64_t revision() const;
  size_t size() const;
  size_t watcher_count() const;
  const api::ResourceType& type() const { return type_; }

 private:
  void DispatchLocked(const CacheEvent& e, std::vector<std::shared_ptr<Watcher>>& cut);
  // The oldest revision from which history is complete.
  int64_t OldestCompleteLocked() const { return history_start_; }

  const api::ResourceType& type_;
  const size_t history_capacity_;
  const size_t watcher_capacity_;
  const std::chrono::steady_clock::duration history_max_age_;

  mutable std::shared_mutex mu_;
  std::map<std::string, ObjectPtr> objects_;  // by key, ordered for pagination
  std::deque<CacheEvent> history_;            // recent events, oldest first
  int64_t history_start_ = 0;  // every event with rv > history_start_ is in history_
  int64_t revision_ = 0;
  std::set<std::shared_ptr<Watcher>> watchers_;  // not indexed
  std::unordered_multimap<std::string, std::shared_ptr<Watcher>> indexed_;  // by index value
};

}  // namespace shoal::apiserver
