// MemoryStore: a Store kept entirely in memory, for unit tests and simulations. It has the same
// semantics as the durable backends (same write path, a commit thread, group commit, listeners,
// history for EventsSince until Compact), but nothing survives the object.
//
// Ownership: the caller owns the store; values are shared immutable Bytes. Threading: every
// method is thread-safe; callbacks and listeners run on the store's commit thread, never under
// one of its locks. History grows with every write until Compact drops it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/internal/commit_loop.h"
#include "store/store.h"

namespace shoal::store {

struct MemoryStoreOptions {
  // Most writes committed (and delivered to listeners) as one batch.
  size_t max_batch = 1000;
};

class MemoryStore : public Store {
 public:
  // Creates an empty store (revision 0) and starts its commit thread.
  explicit MemoryStore(MemoryStoreOptions options = {});
  // Closes the store.
  ~MemoryStore() override;

  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // See store.h for the contracts.
  void Write(WriteOp op, WriteCallback done) override;
  void Txn(std::vector<WriteOp> ops, TxnCallback done) override;
  absl::StatusOr<KeyValue> Get(const std::string& key) override;
  absl::StatusOr<ListResult> List(const std::string& prefix) override;
  absl::StatusOr<std::vector<Event>> EventsSince(int64_t after_revision,
                                                 const std::string& prefix) override;
  void AddCommitListener(CommitListener listener) override;
  int64_t Revision() const override;
  // OK and no-op if `revision` <= CompactedRevision(); InvalidArgument if > Revision().
  absl::Status Compact(int64_t revision) override;
  int64_t CompactedRevision() const override;
  void Close() override;

 private:
  // Appends a committed batch to history_. Commit thread only; never fails.
  absl::Status Persist(const std::vector<Event>& events);

  mutable std::mutex history_mu_;
  std::deque<Event> history_;  // every event after compacted_, in revision order
  int64_t compacted_ = 0;      // guarded by history_mu_
  internal::CommitLoop loop_;  // last: its thread calls Persist
};

}  // namespace shoal::store
