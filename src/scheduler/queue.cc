#include "scheduler/queue.h"

#include <algorithm>

namespace shoal::scheduler {

SchedulingQueue::Clock::duration SchedulingQueue::BackoffFor(int attempts) const {
  Clock::duration d = kInitialBackoff;
  for (int i = 1; i < attempts && d < kMaxBackoff; ++i) d *= 2;
  return std::min<Clock::duration>(d, kMaxBackoff);
}

void SchedulingQueue::Detach(const std::string& key, Item& item) {
  switch (item.where) {
    case Where::kActive: active_.erase(ActiveOrder{item.priority, item.seq, key}); break;
    case Where::kBackoff:
      backoff_.erase({item.until, key});
      moved_.erase({item.until, key});
      break;
    case Where::kUnschedulable: unschedulable_.erase({item.until, key}); break;
    case Where::kWaiting: break;
    case Where::kNone: break;
  }
  item.where = Where::kNone;
}

void SchedulingQueue::ToActive(const std::string& key, Item& item) {
  Detach(key, item);
  item.where = Where::kActive;
  active_.insert(ActiveOrder{item.priority, item.seq, key});
}

void SchedulingQueue::Add(const std::string& key, int32_t priority, Clock::time_point now) {
  auto [it, added] = items_.try_emplace(key);
  Item& item = it->second;
  if (added) item.seq = next_seq_++;
  if (item.where == Where::kBackoff && item.until > now) {
    item.priority = priority;
    return;
  }
  Detach(key, item);
  item.priority = priority;
  ToActive(key, item);
}

void SchedulingQueue::Remove(const std::string& key) {
  auto it = items_.find(key);
  if (it == items_.end()) return;
  Detach(key, it->second);
  items_.erase(it);
}

std::optional<std::string> SchedulingQueue::Pop(Clock::time_point now) {
  while (!backoff_.empty() && backoff_.begin()->first <= now) {
    std::string key = backoff_.begin()->second;
    ToActive(key, items_[key]);
  }
  while (!unschedulable_.empty() && unschedulable_.begin()->first + kMaxUnschedulable <= now) {
    std::string key = unschedulable_.begin()->second;
    ToActive(key, items_[key]);
  }
  if (active_.empty() && !moved_.empty() &&
      (!last_early_pop_ || now - *last_early_pop_ >= kEarlyPopInterval)) {
    last_early_pop_ = now;
    std::string key = moved_.begin()->second;
    ToActive(key, items_[key]);
  }
  if (active_.empty()) return std::nullopt;
  std::string key = active_.begin()->key;
  active_.erase(active_.begin());
  items_[key].where = Where::kNone;  // in flight
  return key;
}

void SchedulingQueue::MarkUnschedulable(const std::string& key, Clock::time_point now) {
  auto it = items_.find(key);
  if (it == items_.end()) return;
  Item& item = it->second;
  Detach(key, item);
  ++item.attempts;
  item.where = Where::kUnschedulable;
  item.until = now;
  unschedulable_.insert({now, key});
}

void SchedulingQueue::MarkWaiting(const std::string& key) {
  auto it = items_.find(key);
  if (it == items_.end()) return;
  Detach(key, it->second);
  it->second.where = Where::kWaiting;
}

void SchedulingQueue::ActivateNow(const std::string& key) {
  auto it = items_.find(key);
  if (it == items_.end() || it->second.where == Where::kNone) return;  // in flight or gone
  ToActive(key, it->second);
}

void SchedulingQueue::MarkBackoff(const std::string& key, Clock::time_point now) {
  auto it = items_.find(key);
  if (it == items_.end()) return;
  Item& item = it->second;
  Detach(key, item);
  ++item.attempts;
  item.where = Where::kBackoff;
  item.until = now + BackoffFor(item.attempts);
  backoff_.insert({item.until, key});
}

void SchedulingQueue::Done(const std::string& key) {
  auto it = items_.find(key);
  if (it == items_.end()) return;
  Detach(key, it->second);
  items_.erase(it);
}

void SchedulingQueue::MoveAllToActive(Clock::time_point now) {
  while (!unschedulable_.empty()) {
    std::string key = unschedulable_.begin()->second;
    Item& item = items_[key];
    Detach(key, item);
    Clock::time_point until = item.until + BackoffFor(item.attempts);
    if (until > now) {
      item.where = Where::kBackoff;
      item.until = until;
      backoff_.insert({until, key});
      moved_.insert({until, key});
    } else {
      ToActive(key, item);
    }
  }
}

std::optional<SchedulingQueue::Clock::time_point> SchedulingQueue::NextWakeup() const {
  std::optional<Clock::time_point> t;
  if (!backoff_.empty()) t = backoff_.begin()->first;
  if (!moved_.empty() && last_early_pop_) {
    // Pop was asked while nothing was active: the next early pop is due then.
    Clock::time_point e = *last_early_pop_ + kEarlyPopInterval;
    if (!t || e < *t) t = e;
  }
  if (!unschedulable_.empty()) {
    Clock::time_point u = unschedulable_.begin()->first + kMaxUnschedulable;
    if (!t || u < *t) t = u;
  }
  return t;
}

}  // namespace shoal::scheduler
