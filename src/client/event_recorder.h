// EventRecorder: records core/v1 Events for a component the way client-go's recorder does,
// with its aggregation of repeats: the same (object, type, reason, message) seen again within
// ten minutes bumps `count` and `lastTimestamp` of the Event already written (a merge patch)
// instead of creating a new object, so that a flapping node or a crash-looping job leaves one
// Event with a count, not thousands.
//
// Threading: owned by one executor; Record is called on it and posts the write there. Writes
// are fire-and-forget (an Event is best effort, as in Kubernetes): failures are logged once.
#pragma once

#include <chrono>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "client/transport.h"

namespace shoal::client {

class EventRecorder {
 public:
  // `component` becomes source.component and reportingComponent; `host` source.host (a node
  // agent's node name).
  EventRecorder(boost::asio::any_io_executor executor, Transport& transport,
                std::string component, size_t max_remembered = 4096, std::string host = "");

  // Records an Event about `object` (any Kubernetes object: its kind, apiVersion, name,
  // namespace and uid are referenced). Events of cluster-scoped objects go to "default", as
  // kube's recorder does. `type` is "Normal" or "Warning".
  void Record(const boost::json::object& object, std::string_view type, std::string_view reason,
              const std::string& message);
  // The same with an explicit involvedObject reference.
  void RecordFor(std::string ns, boost::json::object involved, std::string_view type,
                 std::string_view reason, const std::string& message);

  // How many distinct Events are remembered for aggregation (for tests).
  size_t RememberedForTest() const { return entries_.size(); }

 private:
  struct Entry {
    std::string ns;
    std::string name;  // empty while the create is in flight
    int64_t count = 0;
    std::chrono::steady_clock::time_point last;
    std::list<std::string>::iterator lru;
  };
  boost::asio::awaitable<void> Create(std::string key, std::string ns,
                                      boost::json::object event);
  boost::asio::awaitable<void> Bump(std::string key, std::string ns, std::string name,
                                    int64_t count, boost::json::object fallback);

  boost::asio::any_io_executor executor_;
  Transport& transport_;
  std::string component_;
  size_t max_remembered_;
  std::string host_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // most recent first
};

// An ObjectReference (apiVersion, kind, name, namespace, uid) to `object`.
boost::json::object ObjectReference(const boost::json::object& object);

}  // namespace shoal::client
