#include "store/internal/commit_loop.h"

#include <algorithm>
#include <future>
#include <iterator>
#include <utility>

#include "base/process.h"

namespace shoal::store::internal {

CommitLoop::CommitLoop(CommitLoopOptions options, KeyIndex index, int64_t revision)
    : options_(std::move(options)),
      index_(std::move(index)),
      revision_(revision),
      listeners_(std::make_shared<const std::vector<CommitListener>>()) {}

void CommitLoop::Start() {
  std::lock_guard<std::mutex> lock(join_mu_);
  std::lock_guard<std::mutex> queue_lock(queue_mu_);
  if (!closing_ && !thread_.joinable()) thread_ = std::thread([this] {
      base::NameThisThread("store-commit");
      Run();
    });
}

CommitLoop::~CommitLoop() { Close(); }

bool CommitLoop::Enqueue(PendingWrite& write) {
  std::lock_guard<std::mutex> lock(queue_mu_);
  if (closing_) return false;
  queue_.push_back(std::move(write));
  // Notify under the lock: Close may otherwise join and destroy the loop in between. A thread
  // waiting for more writes wakes when the batch is full (or at the end of its wait).
  if (!delaying_ || queue_.size() >= std::min(kDelayTarget, options_.max_batch)) {
    queue_cv_.notify_one();
  }
  return true;
}

void CommitLoop::Write(WriteOp op, WriteCallback done) {
  PendingWrite write{std::move(op), std::move(done), {}, nullptr};
  if (!Enqueue(write)) write.Fail(absl::UnavailableError("store is closed"));
}

void CommitLoop::Txn(std::vector<WriteOp> ops, TxnCallback done) {
  PendingWrite write{WriteOp{}, nullptr, std::move(ops), std::move(done)};
  if (!Enqueue(write)) write.Fail(absl::UnavailableError("store is closed"));
}

absl::StatusOr<KeyValue> CommitLoop::Get(const std::string& key) const {
  std::shared_lock<std::shared_mutex> lock(state_mu_);
  const KeyValue* kv = index_.Find(key);
  if (kv == nullptr) return absl::NotFoundError("key \"" + key + "\" not found");
  return *kv;
}

ListResult CommitLoop::List(const std::string& prefix) const {
  std::shared_lock<std::shared_mutex> lock(state_mu_);
  ListResult result;
  result.kvs = index_.List(prefix);
  result.revision = revision_.load(std::memory_order_relaxed);
  return result;
}

void CommitLoop::AddCommitListener(CommitListener listener) {
  // Copy-on-write, under the same lock that publishes a batch: a listener added before a
  // batch is published sees that whole batch, one added after sees none of it.
  std::unique_lock<std::shared_mutex> lock(state_mu_);
  auto listeners = std::make_shared<std::vector<CommitListener>>(*listeners_);
  listeners->push_back(std::move(listener));
  listeners_ = std::move(listeners);
}

absl::Status CommitLoop::RunOnCommitThread(std::function<absl::Status()> task) {
  if (OnCommitThread()) return task();
  // Shared with the commit thread, which may still be inside set_value when get() returns.
  auto promise = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> result = promise->get_future();
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (closing_) return absl::UnavailableError("store is closed");
    tasks_.push_back(PendingTask{std::move(task), [promise](absl::Status status) {
                                   promise->set_value(std::move(status));
                                 }});
    queue_cv_.notify_one();
  }
  return result.get();
}

void CommitLoop::Close() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    closing_ = true;
    queue_cv_.notify_one();
  }
  // The thread cannot join itself; it exits once the queue is drained and a later Close (or
  // the destructor) on another thread joins it.
  if (OnCommitThread()) return;
  std::deque<PendingWrite> orphans;
  std::vector<PendingTask> orphan_tasks;
  {
    std::lock_guard<std::mutex> lock(join_mu_);
    if (thread_.joinable()) thread_.join();
    // Only a loop that was never started leaves work behind.
    std::lock_guard<std::mutex> queue_lock(queue_mu_);
    orphans.swap(queue_);
    orphan_tasks.swap(tasks_);
  }
  const absl::Status closed = absl::UnavailableError("store is closed");
  for (PendingWrite& write : orphans) write.Fail(closed);
  for (PendingTask& task : orphan_tasks) task.done(closed);
}

void CommitLoop::Run() {
  thread_id_.store(std::this_thread::get_id());
  using Clock = std::chrono::steady_clock;
  const bool has_periodic = options_.periodic && options_.periodic_interval.count() > 0;
  Clock::time_point next_periodic = Clock::now() + options_.periodic_interval;
  std::vector<PendingWrite> batch;
  std::vector<PendingTask> tasks;
  for (;;) {
    bool run_periodic = false;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      auto ready = [this] { return !queue_.empty() || !tasks_.empty() || closing_; };
      if (has_periodic) {
        queue_cv_.wait_until(lock, next_periodic, ready);
        run_periodic = Clock::now() >= next_periodic;
      } else {
        queue_cv_.wait(lock, ready);
      }
      if (!queue_.empty()) MaybeDelay(lock);
      if (queue_.empty() && tasks_.empty() && closing_) {
        // Thread ids are reused: a later thread must not pass for this one.
        thread_id_.store(std::thread::id());
        return;
      }
      // At most max_batch ops per batch, but always at least one queued entry, so a large
      // transaction commits whole in a batch of its own.
      size_t n = 0, ops = 0;
      while (n < queue_.size()) {
        size_t k = queue_[n].txn_done ? queue_[n].txn.size() : 1;
        if (n > 0 && ops + k > options_.max_batch) break;
        ops += k;
        ++n;
      }
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + n));
      queue_.erase(queue_.begin(), queue_.begin() + n);
      tasks.swap(tasks_);
    }
    if (!batch.empty()) {
      batches_.fetch_add(1, std::memory_order_relaxed);  // before its callbacks run
      writes_.fetch_add(static_cast<int64_t>(batch.size()), std::memory_order_relaxed);
      CommitBatch(batch);
      last_batch_end_ = Clock::now();
    }
    batch.clear();
    for (PendingTask& task : tasks) task.done(task.run());
    tasks.clear();
    if (run_periodic) {
      options_.periodic();
      next_periodic = Clock::now() + options_.periodic_interval;
    }
  }
}

void CommitLoop::MaybeDelay(std::unique_lock<std::mutex>& lock) {
  using Clock = std::chrono::steady_clock;
  const auto delay = options_.commit_delay;
  const size_t target = std::min(kDelayTarget, options_.max_batch);
  if (delay.count() <= 0 || closing_ || !tasks_.empty() || queue_.size() >= target) return;
  const Clock::time_point now = Clock::now();
  if (now - last_batch_end_ >= delay || now < delay_paused_until_) return;
  const size_t before = queue_.size();
  delaying_ = true;
  queue_cv_.wait_until(lock, now + delay, [this, target] {
    return closing_ || !tasks_.empty() || queue_.size() >= target;
  });
  delaying_ = false;
  const bool collected = queue_.size() > before;
  delays_.fetch_add(1, std::memory_order_relaxed);
  if (!collected) fruitless_delays_.fetch_add(1, std::memory_order_relaxed);
  // A slow average: at 1,000 writes/s a 2 ms wait collects some 86 % of the time, and a few
  // fruitless waits in a row must not pause it (with 0.2 and 0.5 they did, about once a
  // second, and it was paused half the time).
  delay_payoff_ = 0.95 * delay_payoff_ + (collected ? 0.05 : 0.0);
  if (delay_payoff_ < kDelayPayoffFloor) {
    delay_paused_until_ = Clock::now() + kDelayPause;
    delay_payoff_ = kDelayPayoffRestart;
    delay_pauses_.fetch_add(1, std::memory_order_relaxed);
  }
}

CommitStats CommitLoop::Stats() const {
  return {writes_.load(), batches_.load(), delays_.load(), fruitless_delays_.load(),
          delay_pauses_.load()};
}

void CommitLoop::CommitBatch(std::vector<PendingWrite>& batch) {
  // Stage in queue order. Only this thread mutates index_, so reading it unlocked is safe.
  BatchStager stager(&index_, revision_.load(std::memory_order_relaxed));
  std::vector<Event> events;
  // Per entry of the batch: its status and where its events start in `events`.
  std::vector<absl::Status> statuses(batch.size());
  std::vector<size_t> first_event(batch.size());
  events.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    PendingWrite& write = batch[i];
    first_event[i] = events.size();
    if (write.txn_done) {
      absl::StatusOr<std::vector<Event>> staged = stager.StageAll(write.txn);
      if (staged.ok()) {
        for (Event& e : *staged) events.push_back(std::move(e));
      } else {
        statuses[i] = staged.status();
      }
      continue;
    }
    absl::StatusOr<Event> event = stager.Stage(write.op);
    if (event.ok()) {
      events.push_back(*std::move(event));
    } else {
      statuses[i] = event.status();
    }
  }

  if (!events.empty()) {
    absl::Status persisted = options_.persist(events);
    if (!persisted.ok()) {
      // Nothing of the batch is durable and nothing was published, so the index is unchanged.
      // Every write fails: the precondition answers assumed the failed writes had happened.
      absl::Status unavailable = absl::UnavailableError(persisted.message());
      for (PendingWrite& write : batch) write.Fail(unavailable);
      return;
    }
    std::shared_ptr<const std::vector<CommitListener>> listeners;
    {
      std::unique_lock<std::shared_mutex> lock(state_mu_);
      for (const Event& event : events) index_.Apply(event);
      revision_.store(stager.revision(), std::memory_order_release);
      listeners = listeners_;
    }
    for (const CommitListener& listener : *listeners) listener(events);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    PendingWrite& write = batch[i];
    if (!statuses[i].ok()) {
      write.Fail(statuses[i]);
      continue;
    }
    if (!write.txn_done) {
      write.done(events[first_event[i]].kv);
      continue;
    }
    std::vector<KeyValue> kvs;
    kvs.reserve(write.txn.size());
    for (size_t j = 0; j < write.txn.size(); ++j) kvs.push_back(events[first_event[i] + j].kv);
    write.txn_done(std::move(kvs));
  }
}

}  // namespace shoal::store::internal
