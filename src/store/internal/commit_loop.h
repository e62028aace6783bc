// CommitLoop: the write path shared by every Store backend. It owns the queue of pending writes,
// the commit thread, the in-memory index (KeyIndex) with the store revision, and the commit
// listeners. A backend plugs in one function, `persist`, that makes a batch of events durable.
//
// The commit thread drains the queue in batches (group commit): it stages every write of the
// batch against the index (BatchStager), hands the events to `persist` once, then - only if
// that succeeded - publishes them to the index, calls every listener with the whole batch, and
// last runs the write callbacks. Readers therefore never see a write that is not durable, and
// a write's callback runs after every listener has seen it. With a commit delay, a busy loop
// first waits a moment for more writes, so that one fsync serves more of them (see
// CommitLoopOptions::commit_delay).
//
// Threading: all public methods are thread-safe. `persist`, `periodic`, listeners, callbacks
// and tasks run on the commit thread, never under one of the loop's locks. The loop owns the
// thread, started by Start; Close (or the destructor) joins it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/internal/key_index.h"
#include "store/store.h"

namespace shoal::store::internal {

struct CommitLoopOptions {
  // Most writes committed in one batch (one transaction, one fsync).
  size_t max_batch = 1000;
  // Makes a non-empty batch of events (consecutive revisions, in order) durable. OK means all
  // of them are; an error means none is, and fails every write of the batch with Unavailable.
  // Required.
  std::function<absl::Status(const std::vector<Event>&)> persist;
  // Optional housekeeping run on the commit thread every `periodic_interval` (between batches).
  std::function<void()> periodic;
  std::chrono::milliseconds periodic_interval{0};
  // Group commit's wait, as PostgreSQL's commit_delay: when a write finds the loop busy (its
  // last batch ended less than this ago), the thread waits up to this long for more writes
  // (until kDelayTarget are queued) before it commits, so that one persist (one fsync) serves
  // several. Writes that come at their own pace (7,500 nodes renewing leases: a write every
  // 1.2 ms on average) then share commits; alone, each would have its own. Waits that collect
  // nothing are a loss: writers that wait for their own write (one client writing in
  // sequence, or N clients all in the batch) cannot add to it. So when its waits stop
  // collecting writes the loop stops waiting for kDelayPause, then tries again. 0: never
  // waits.
  std::chrono::microseconds commit_delay{0};
};

class CommitLoop {
 public:
  // A loop over `index`, whose latest committed revision is `revision`. Writes queue up until
  // Start.
  CommitLoop(CommitLoopOptions options, KeyIndex index, int64_t revision);
  // Closes the loop (see Close).
  ~CommitLoop();

  CommitLoop(const CommitLoop&) = delete;
  CommitLoop& operator=(const CommitLoop&) = delete;

  // Starts the commit thread. Call once, after whatever `persist` and `periodic` use is ready.
  void Start();

  // Queues a write; see Store::Write for the results. Once the loop is closed, `done` runs
  // inline, on the caller's thread, with Unavailable.
  void Write(WriteOp op, WriteCallback done);
  // Queues a transaction; see Store::Txn. A transaction is never split across batches.
  void Txn(std::vector<WriteOp> ops, TxnCallback done);

  // Store::Get / List / Revision / AddCommitListener over the published state.
  absl::StatusOr<KeyValue> Get(const std::string& key) const;
  ListResult List(const std::string& prefix) const;
  int64_t Revision() const { return revision_.load(std::memory_order_acquire); }
  void AddCommitListener(CommitListener listener);

  // Runs `task` on the commit thread between two batches and returns its status; runs it inline
  // if called from the commit thread. Unavailable if the loop is closed.
  absl::Status RunOnCommitThread(std::function<absl::Status()> task);

  // Counters since Start.
  CommitStats Stats() const;

  // How long the loop stops waiting for more writes once its waits stop collecting any.
  static constexpr std::chrono::seconds kDelayPause{1};
  // A wait for more writes ends when this many are queued (none starts with as many queued):
  // a batch of 4 already saves three fsyncs of four, and writers that come in bunches (N
  // clients whose writes were all in the last batch) are not held back.
  static constexpr size_t kDelayTarget = 4;

  // True when called from the commit thread (from persist, a listener, a callback or a task).
  bool OnCommitThread() const { return std::this_thread::get_id() == thread_id_.load(); }

  // Stops accepting writes and tasks, finishes those already queued, and joins the commit
  // thread. Idempotent. From the commit thread it only stops intake (a thread cannot join
  // itself); the destructor must then run on another thread.
  void Close();

 private:
  // One queued write, or one transaction (txn_done set, ops in `txn`).
  struct PendingWrite {
    WriteOp op;
    WriteCallback done;
    std::vector<WriteOp> txn;
    TxnCallback txn_done;
    void Fail(const absl::Status& status) {
      if (txn_done) {
        txn_done(status);
      } else {
        done(status);
      }
    }
  };
  // Queues `write` unless closing; returns false (leaving it untouched) if closing.
  bool Enqueue(PendingWrite& write);
  struct PendingTask {
    std::function<absl::Status()> run;
    std::function<void(absl::Status)> done;
  };

  void Run();
  // Before a batch is taken (queue_mu_ held, the queue not empty): waits up to commit_delay
  // for more writes if the loop is busy and its recent waits paid off. Commit thread only.
  void MaybeDelay(std::unique_lock<std::mutex>& lock);
  // Stages, persists, publishes and acknowledges one batch. Commit thread only.
  void CommitBatch(std::vector<PendingWrite>& batch);

  const CommitLoopOptions options_;

  // Queue state, guarded by queue_mu_.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<PendingWrite> queue_;
  std::vector<PendingTask> tasks_;
  bool closing_ = false;
  bool delaying_ = false;  // the thread waits for more writes: an enqueue need not wake it

  // The commit delay's state. Commit thread only.
  std::chrono::steady_clock::time_point last_batch_end_;
  std::chrono::steady_clock::time_point delay_paused_until_;
  // Moving average of whether recent waits collected writes; under the floor the loop pauses.
  // From the restart value four fruitless waits in a row reach the floor: what a writer that
  // waits for its own write loses, once per kDelayPause.
  double delay_payoff_ = kDelayPayoffRestart;
  static constexpr double kDelayPayoffFloor = 0.3;
  static constexpr double kDelayPayoffRestart = 0.35;

  std::atomic<int64_t> writes_{0};
  std::atomic<int64_t> batches_{0};
  std::atomic<int64_t> delays_{0};
  std::atomic<int64_t> fruitless_delays_{0};
  std::atomic<int64_t> delay_pauses_{0};

  // Published state. Mutated only by the commit thread, under an exclusive state_mu_; read
  // under a shared state_mu_ (or, on the commit thread, without it).
  mutable std::shared_mutex state_mu_;
  KeyIndex index_;
  std::atomic<int64_t> revision_;
  std::shared_ptr<const std::vector<CommitListener>> listeners_;

  std::mutex join_mu_;  // serializes concurrent Close calls
  std::atomic<std::thread::id> thread_id_;
  std::thread thread_;
};

}  // namespace shoal::store::internal
