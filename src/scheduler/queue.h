// SchedulingQueue: what to schedule next, after kube-scheduler's three queues.
//   - active: ready items, highest priority first, then first come first served;
//   - backoff: items that failed with an error (or a bind failure), waiting out an
//     exponential back-off (1 s doubling to 10 s) before they become active again, and
//     unschedulable items that a cluster event moved while their back-off still runs. When
//     nothing is active, one of those moved by an event is popped early (soonest back-off end
//     first), at most one every kEarlyPopInterval (after kube-scheduler's
//     SchedulerPopFromBackoffQ, KEP-5142, with a rate limit because every pod event here is a
//     cluster event): an idle scheduler does not wait out the seconds of back-off of a gang
//     whose room an eviction just freed;
//   - unschedulable: items that fit nowhere. They are retried when a cluster event may have
//     made room (MoveAllToActive: a node added or changed, a pod deleted or finished), not by
//     polling; as kube-scheduler does, an item left there for 5 minutes is retried anyway.
//   - waiting: gangs that lack members. Only a change of the gang (a member arriving, Add)
//     makes them active again, at once and whatever their back-off: no cluster event can
//     help them, and the last member's arrival must start the gang without delay.
// An item is a pod key ("ns/name") or a gang ("gang:ns/name"); a gang is scheduled as one.
//
// Threading: not thread-safe; owned by the scheduler's thread. Time is passed in, so tests
// drive it with a fake clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

namespace shoal::scheduler {

class SchedulingQueue {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kInitialBackoff{1000};
  static constexpr std::chrono::milliseconds kMaxBackoff{10000};
  static constexpr std::chrono::seconds kMaxUnschedulable{300};
  static constexpr std::chrono::milliseconds kEarlyPopInterval{200};

  // Makes `key` active (a new or changed item). An item in backoff stays there; one in the
  // unschedulable set or waiting moves to active (its own change may make it fit). Updates
  // priority.
  void Add(const std::string& key, int32_t priority, Clock::time_point now);
  // Forgets `key` wherever it is.
  void Remove(const std::string& key);
  // The next active item, after moving due backoff entries to active; when none is active,
  // the backoff entry moved there by a cluster event whose back-off ends soonest.
  std::optional<std::string> Pop(Clock::time_point now);
  // The item fit nowhere: park it until a cluster event.
  void MarkUnschedulable(const std::string& key, Clock::time_point now);
  // The gang lacks members: park it, without counting an attempt, until Add.
  void MarkWaiting(const std::string& key);
  // Room was made for `key` (its victims' resources are free): active at once, whatever its
  // back-off. No-op for an item that is not queued or is active already.
  void ActivateNow(const std::string& key);
  // The item failed (error, failed bind, gang timeout): retry after its back-off.
  void MarkBackoff(const std::string& key, Clock::time_point now);
  // The item was scheduled: reset its attempts.
  void Done(const std::string& key);
  // A cluster event may have made room: unschedulable items go to active (or to backoff
  // while their back-off runs).
  void MoveAllToActive(Clock::time_point now);
  // When Pop would next have something to do (due backoff, an early pop, or stale
  // unschedulable entries).
  std::optional<Clock::time_point> NextWakeup() const;

  size_t active_size() const { return active_.size(); }
  size_t backoff_size() const { return backoff_.size(); }
  size_t unschedulable_size() const { return unschedulable_.size(); }
  bool Contains(const std::string& key) const { return items_.count(key) > 0; }

 private:
  enum class Where { kActive, kBackoff, kUnschedulable, kWaiting, kNone };
  struct Item {
    int32_t priority = 0;
    uint64_t seq = 0;        // arrival order
    int attempts = 0;
    Where where = Where::kNone;
    Clock::time_point until;  // backoff end, or when it became unschedulable
  };
  struct ActiveOrder {
    int32_t priority;
    uint64_t seq;
    std::string key;
    bool operator<(const ActiveOrder& o) const {
      if (priority != o.priority) return priority > o.priority;
      return seq < o.seq;
    }
  };
  void ToActive(const std::string& key, Item& item);
  void Detach(const std::string& key, Item& item);
  Clock::duration BackoffFor(int attempts) const;

  std::unordered_map<std::string, Item> items_;
  std::set<ActiveOrder> active_;
  std::set<std::pair<Clock::time_point, std::string>> backoff_;
  // The part of backoff_ whose items are there because MoveAllToActive found them backing
  // off (moved by a cluster event): the candidates for an early pop.
  std::set<std::pair<Clock::time_point, std::string>> moved_;
  std::set<std::pair<Clock::time_point, std::string>> unschedulable_;
  uint64_t next_seq_ = 0;
  std::optional<Clock::time_point> last_early_pop_;
};

}  // namespace shoal::scheduler
