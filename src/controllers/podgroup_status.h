// PodGroup status controller: keeps each PodGroup's phase and member counts (scheduled,
// running, succeeded, failed) current from its pods (label scheduling.x-k8s.io/pod-group), as
// scheduler-plugins' PodGroup controller does. The scheduler writes only the `Scheduled`
// condition (why a gang waits); this controller owns phase and counts.
//
// Phases: Succeeded (minMember members succeeded); Failed (a member failed and no member is
// left to run, fewer than minMember succeeded); Running (at least minMember members started:
// running or succeeded); Scheduled (at least minMember bound to nodes); Pending otherwise.
//
// Threading: one executor; Start spawns the informers on it.
#pragma once

#include <map>
#include <set>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "client/informer.h"
#include "client/transport.h"
#include "controllers/status_writer.h"

namespace shoal::controllers {

struct PodGroupCounts {
  int32_t scheduled = 0, running = 0, succeeded = 0, failed = 0, pending = 0;
  bool operator==(const PodGroupCounts&) const = default;
};

// What one member pod contributes (from its spec.nodeName and status.phase).
void CountMember(const boost::json::object& pod, PodGroupCounts& counts);
// The phase for these counts (see above).
std::string PodGroupPhase(const PodGroupCounts& counts, int32_t min_member);

class PodGroupStatusController {
 public:
  PodGroupStatusController(boost::asio::any_io_executor executor, client::Transport& transport);
  void Start();

 private:
  struct Group {
    int32_t min_member = 1;
    bool exists = false;
    std::string seen;  // phase and counts as last read from the object
  };
  void OnPod(client::InformerEvent&& e);
  void OnPodGroup(client::InformerEvent&& e);
  void Sync(const std::string& group_key);

  boost::asio::any_io_executor executor_;
  client::Transport& transport_;
  // One status write at a time per group (the members of a gang change together); a change
  // while one is in flight is written once it is done.
  StatusWriter writer_;
  std::map<std::string, Group> groups_;                             // "ns/name"
  std::map<std::string, boost::json::object> pods_;                 // pod key -> pod (members only)
  std::map<std::string, std::set<std::string>> members_;            // group key -> pod keys
  std::map<std::string, std::string> group_of_;                     // pod key -> group key
};

}  // namespace shoal::controllers
