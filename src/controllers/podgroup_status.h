// PodGroup status controller: keeps each PodGroup's phase and member counts (scheduled,
// running, succeeded, failed) current from its pods (label scheduling.x-k8s.io/pod-group), as
// scheduler-plugins' PodGroup controller does. The scheduler writes only the `Scheduled`
// condition (why a gang waits); this controller owns phase and counts.
//
// Phases: Succeeded (minMember members succeeded); Failed (a member failed and no member is
// left to run, fewer than minMember succeeded); Running (at least minMember members started:
// running or succeeded); Scheduled (at least minMember bound to nodes); Pending otherwise.
// Succeeded is final: the phase and counts stay as they were then, as scheduler-plugins'
// controller stops at Finished (its pods being garbage-collected later made it Pending again,
// with a status write per deleted pod). Failed is not: a gang Job restarts its gang in the
// same PodGroup.
//
// Threading: one executor; Start spawns the informers on it.
#pragma once

#include <map>
#include <string>
#include <unordered_map>

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
  PodGroupCounts& operator+=(const PodGroupCounts& o);
  PodGroupCounts& operator-=(const PodGroupCounts& o);
  // Members counted (each is pending, running, succeeded or failed).
  int32_t members() const { return pending + running + succeeded + failed; }
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
    std::string final_status;  // once Succeeded: the status it keeps
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
  // Each group's counts, kept as its members' events arrive: a pod event costs the same in a
  // 1,024-member gang as in a pair (recounting every member on each event made a gang's
  // start quadratic: about 4,000 events of 1,024 members each).
  struct Member {
    std::string group;        // group key
    PodGroupCounts counted;   // what this pod adds to its group's counts
  };
  std::unordered_map<std::string, Member> members_;                 // pod key -> member
  std::unordered_map<std::string, PodGroupCounts> counts_;          // group key -> counts
};

}  // namespace shoal::controllers
