// ApiServer: the Kubernetes API, transport-neutral. It owns one WatchCache per resource type,
// fed by the store's commit stream, and implements the REST verbs (get, list, watch, create,
// update, patch, delete, status and binding subresources), discovery and OpenAPI documents.
// The HTTPS front end (http_server.h) and the in-process client both call Handle()/Watch().
//
// Threading: Handle() and Watch() may be called concurrently from any executor thread. Writes
// go to the store asynchronously (group commit) and resume the calling coroutine on its own
// executor. Caches are written only by the store's commit thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "api/registry.h"
#include "apiserver/request.h"
#include "apiserver/request_metrics.h"
#include "apiserver/watch_cache.h"
#include "base/clock.h"
#include "store/store.h"

namespace shoal::apiserver {

struct ApiServerOptions {
  size_t history_capacity = 100000;  // events kept per resource for watch resume / paging
  // ... and of them only those younger than this (kube-apiserver's continue tokens last until
  // etcd compacts, every 5 minutes; shoal serves them from this history). Nodes' status
  // writes at 7,500 nodes fill 100,000 events in 13 minutes.
  std::chrono::steady_clock::duration history_max_age = std::chrono::minutes(5);
  size_t watcher_capacity = 10000;   // events queued per watcher before it is cut off
  std::string server_address = "127.0.0.1:6443";  // advertised in /api
};

// How a WATCH request should be served: the watcher to drain and how to encode events.
struct WatchSession {
  WatchCache* cache = nullptr;
  std::shared_ptr<Watcher> watcher;
  bool bookmarks = false;        // allowWatchBookmarks=true
  bool as_table = false;         // Accept asked for a meta.k8s.io Table
  bool initial_events_end = false;  // sendInitialEvents=true: bookmark after the initial state
  int64_t timeout_seconds = 0;   // 0 = server default
  std::string error_event;       // non-empty: send this single ERROR event and end
  std::string api_version;       // a custom resource's: objects are sent in this version
};

// When a watch with allowWatchBookmarks sends BOOKMARKs, as kube-apiserver's cacher does:
// once `interval` has passed since its last event or bookmark (the cacher's default
// bookmark frequency is a minute), and once 2 s before the watch's deadline, so that a client
// that watches again after the timeout starts from a recent resourceVersion. Owned by one
// watch loop.
class BookmarkSchedule {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  BookmarkSchedule(TimePoint start, TimePoint deadline, std::chrono::seconds interval)
      : interval_(interval),
        before_deadline_(deadline - std::chrono::seconds(2)),
        before_deadline_pending_(before_deadline_ > start) {}

  // When the next bookmark is due, given the watch's last write.
  TimePoint Next(TimePoint last_write) const {
    TimePoint next = last_write + interval_;
    if (before_deadline_pending_ && before_deadline_ < next) next = before_deadline_;
    return next;
  }
  // Whether one is due at `now`; the one before the deadline is due once.
  bool Due(TimePoint now, TimePoint last_write) {
    bool due = now >= last_write + interval_;
    if (before_deadline_pending_ && now >= before_deadline_) {
      before_deadline_pending_ = false;
      due = true;
    }
    return due;
  }

 private:
  const std::chrono::seconds interval_;
  const TimePoint before_deadline_;
  bool before_deadline_pending_;
};

class ApiServer {
 public:
  // Serves the types of `builtins` (copied) plus the custom resources of the
  // CustomResourceDefinitions in the store.
  ApiServer(store::Store& store, const api::Registry& builtins, const base::Clock& clock,
            ApiServerOptions options);
  ~ApiServer();

  // Loads every cache from the store, subscribes to the commit stream, and creates the
  // default namespaces. Call once before serving.
  absl::Status Start();

  // Serves one non-watch request. Never throws; every failure is a metav1.Status response.
  boost::asio::awaitable<Response> Handle(Request req);

  // True if `req` is a WATCH (GET with watch=true/1).
  static bool IsWatch(const Request& req);
  // Starts a WATCH. `notify` is called (from the commit thread) whenever events are queued;
  // it must only post to the caller's executor. Failures come back as a Status response.
  // `share_parse`: an in-process watcher, whose live events carry one parse of their object
  // shared with the other such watchers (CacheEvent::parsed).
  absl::StatusOr<WatchSession> Watch(const Request& req, std::function<void()> notify,
                                     bool share_parse = false);
  // Encodes one watch event as a JSON line, sharing the object's bytes where possible.
  std::string EncodeWatchEvent(const WatchSession& s, const CacheEvent& e, bool first);
  void StopWatch(const WatchSession& s);
  // Calls StopWatch for `s` when it goes out of scope: a watch's coroutine holds one, so that
  // its watcher is unregistered however it ends, also when its frame is destroyed suspended
  // with a stopped io_context (the commit thread would otherwise notify a dead executor).
  class WatchStopper {
   public:
    WatchStopper(ApiServer& api, const WatchSession& s) : api_(api), s_(s) {}
    WatchStopper(const WatchStopper&) = delete;
    WatchStopper& operator=(const WatchStopper&) = delete;
    ~WatchStopper() { api_.StopWatch(s_); }

   private:
    ApiServer& api_;
    const WatchSession& s_;
  };

  // The cache of a served type (never nullptr for a type found in registry()). Caches live as
  // long as the server, so a pointer stays valid after its CRD is deleted.
  WatchCache* CacheFor(const api::ResourceType& type);
  const api::Registry& registry() const { return registry_; }
  store::Store& store() { return store_; }
  const base::Clock& clock() const { return clock_; }
  const ApiServerOptions& options() const { return options_; }
  // The request and storage metrics served at GET /metrics (request_metrics.h).
  RequestMetrics& metrics() { return metrics_; }

 private:
  friend class RestHandler;
  void OnCommit(const std::vector<store::Event>& events);
  // Serves (or stops serving) the custom resource of one CustomResourceDefinition; called
  // at start and by the commit thread when a CRD changes.
  void ApplyCrd(const store::KeyValue& kv, bool deleted, int64_t revision);
  WatchCache* EnsureCache(const api::ResourceType& type, int64_t revision);
  // Startup: creates a built-in object (with the usual create rules) unless it exists.
  absl::Status CreateIfMissing(const api::ResourceType& type, boost::json::object obj);

  store::Store& store_;
  api::Registry registry_;
  const base::Clock& clock_;
  const ApiServerOptions options_;
  struct CrdVersion {
    std::string group, version, plural;
  };
  std::map<std::string, std::vector<CrdVersion>> crds_;  // by CRD name; commit thread only
  mutable std::shared_mutex caches_mu_;  // guards the map; caches are never removed
  std::map<std::string, std::unique_ptr<WatchCache>> caches_;  // by key prefix
  RequestMetrics metrics_;
};

}  // namespace shoal::apiserver
