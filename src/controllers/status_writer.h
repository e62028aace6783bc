// StatusWriter: writes objects' status subresources by merge patch ({"status": ...}), at most
// one write in flight per object. Two PATCHes of one object in flight at once may commit in
// either order, so the older status could stay, and they lose races against each other (409
// after the API server's retries). A status asked for while a write is in flight is written
// once that write is done, only the latest; one equal to the last written is skipped. After a
// failed write (anything but 2xx, or 404: the object is gone) a newer status asked for
// meanwhile is written at once, and the same one again at the next Write.
// Used by the PodGroup status controller and the queue controller.
//
// Threading: every call on one single-threaded executor (the controller's).
#pragma once

#include <functional>
#include <map>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "client/transport.h"

namespace shoal::controllers {

class StatusWriter {
 public:
  // `transport` must outlive the writer and its writes. `who` prefixes log lines;
  // `on_failure` (may be empty) runs after a failed write.
  StatusWriter(boost::asio::any_io_executor executor, client::Transport& transport,
               std::string who, std::function<void()> on_failure = {});

  // Writes `status` (a serialized JSON object) to `path` (the object's /status) for object
  // `key`, as described above.
  void Write(const std::string& key, std::string path, std::string status);
  // The object may no longer hold what was last written (it was read afresh): the next Write
  // writes even an equal status.
  void Forget(const std::string& key);
  // The object is gone: its record goes (once a write in flight is done).
  void Erase(const std::string& key);

 private:
  struct Object {
    std::string path;
    std::string want;     // the latest status asked for
    std::string written;  // the last one the server took ("" when unknown)
    bool busy = false;    // a write is in flight (Loop runs)
    bool erased = false;  // Erase came while busy
  };
  boost::asio::awaitable<void> Loop(std::string key);

  boost::asio::any_io_executor executor_;
  client::Transport& transport_;
  const std::string who_;
  std::function<void()> on_failure_;
  std::map<std::string, Object> objects_;
};

}  // namespace shoal::controllers
