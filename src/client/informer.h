// RunInformer: kube's reflector for shoal's components - LIST a collection, then WATCH it
// from the list's resourceVersion, handing every object to a handler; re-watch from the last
// resourceVersion when the server ends a watch or the transport fails (after a second), re-list
// only after 410 Gone (objects that vanished meanwhile are reported as deleted). Works over any
// Transport (in-process or HTTPS).
//
// Threading: a coroutine on the caller's executor; the handler runs there too.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "client/transport.h"

namespace shoal::client {

// One event an informer hands its handler. The object may be shared with the server's other
// in-process informers of the same watch event (InProcessTransport::WatchObjects parses each
// event once): read it through object(), take a copy of one's own with TakeObject().
struct InformerEvent {
  enum class Type { kAdded, kModified, kDeleted, kSynced };

  InformerEvent() = default;
  explicit InformerEvent(Type type, boost::json::object object = {});
  // `object` must have been made as a non-const boost::json::object (make_shared<object>):
  // TakeObject moves it out when this event is its only holder.
  InformerEvent(Type type, std::shared_ptr<const boost::json::object> object);

  // The object; an empty one for kSynced.
  const boost::json::object& object() const;
  // The object as the caller's own: moved out when no one else holds it, copied otherwise.
  // Afterwards object() is empty.
  boost::json::object TakeObject();

  Type type = Type::kAdded;

 private:
  std::shared_ptr<const boost::json::object> object_;
};

struct InformerOptions {
  std::string path;            // a collection, e.g. "/api/v1/pods"
  std::string label_selector;  // optional
  std::string field_selector;  // optional
  // Each WATCH asks the server to end it after a random time between this and twice this
  // (then it watches again from its last resourceVersion), as kube's reflector does with its
  // minWatchTimeout of 5 minutes: clients started together do not all come back together.
  int min_watch_timeout_seconds = 300;
};

// "namespace/name" of an object ("/name" for a cluster-scoped one): the key informers use.
std::string ObjectKey(const boost::json::object& o);

// Runs until the executor stops. kSynced follows the first complete list (the cache is warm).
// The handler must not block.
boost::asio::awaitable<void> RunInformer(Transport& transport, InformerOptions options,
                                         std::function<void(InformerEvent&&)> handler);

// Starts RunInformer on `executor`, detached: the informer of a controller that runs until its
// executor stops. A collection path alone is the common case.
void SpawnInformer(boost::asio::any_io_executor executor, Transport& transport,
                   InformerOptions options, std::function<void(InformerEvent&&)> handler);
void SpawnInformer(boost::asio::any_io_executor executor, Transport& transport,
                   std::string path, std::function<void(InformerEvent&&)> handler);

}  // namespace shoal::client
