// SqliteStore: the durable Store backend, one SQLite file in WAL mode with synchronous=FULL
// (a write is on disk when its callback runs).
//
// On-disk layout, log-structured like k3s's kine: table `kv` holds one row per committed write
// (revision INTEGER PRIMARY KEY, key, value, create_revision, prev_revision, deleted), with an
// index on (key, revision); a delete is a tombstone row whose value is read through
// prev_revision. Table `meta` holds the schema version, the compacted revision and a revision
// floor (so that Revision() survives a compaction that deleted every row). In memory: the
// latest KeyValue of every live key, loaded at Open, serving Get and List without disk reads.
//
// Writes are group-committed by one commit thread: every queued write (up to max_batch) goes
// into one BEGIN IMMEDIATE ... COMMIT transaction and one fsync. Compaction runs on the same
// thread. EventsSince reads the log through a second, read-only connection.
//
// Ownership: Open returns the sole owner; the store owns its thread and connections. Threading:
// every method is thread-safe; callbacks and listeners run on the commit thread, never under a
// lock of the store. Only one SqliteStore, in any process, may have a given file open at a time
// (enforced with an flock on "<path>.lock").
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/internal/commit_loop.h"
#include "store/internal/sqlite_db.h"
#include "store/internal/wal_checkpointer.h"
#include "store/store.h"

namespace shoal::store {

struct SqliteStoreOptions {
  // Most writes committed in one transaction (one fsync).
  size_t max_batch = 1000;
  // Automatic compaction, off when zero: every `auto_compact_interval` the commit thread
  // compacts to Revision() - auto_compact_keep_revisions. Kubernetes compacts every 5 minutes
  // and keeps what the watch cache needs; the API server may instead call Compact itself.
  std::chrono::milliseconds auto_compact_interval{0};
  int64_t auto_compact_keep_revisions = 10000;
  // Group commit's wait for more writes when writes keep coming, so that one fsync serves
  // several (internal::CommitLoopOptions::commit_delay). 0: none.
  std::chrono::microseconds commit_delay{2000};
};

class SqliteStore : public Store {
 public:
  // Opens (creating if needed) the store in the file at `path`, loads the latest state of
  // every key, and starts the commit thread. Errors: Unavailable if the file cannot be opened
  // or written (missing directory, permissions, a directory at `path`), DataLoss if it is not
  // an SQLite database or is corrupt, FailedPrecondition if another store has it open or for
  // an unknown schema version, InvalidArgument for bad options.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                           SqliteStoreOptions options = {});
  // Closes the store.
  ~SqliteStore() override;

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // See store.h for the contracts. EventsSince additionally returns Unavailable once closed,
  // and DataLoss or Unavailable if the log cannot be read.
  void Write(WriteOp op, WriteCallback done) override;
  void Txn(std::vector<WriteOp> ops, TxnCallback done) override;
  absl::StatusOr<KeyValue> Get(const std::string& key) override;
  absl::StatusOr<ListResult> List(const std::string& prefix) override;
  absl::StatusOr<std::vector<Event>> EventsSince(int64_t after_revision,
                                                 const std::string& prefix) override;
  void AddCommitListener(CommitListener listener) override;
  int64_t Revision() const override;
  // What the commit thread has done since Open.
  CommitStats Stats() const;
  // Deletes, durably, every row at or below `revision` that a later row at or below it
  // supersedes, and every tombstone at or below it. OK and no-op if `revision` <=
  // CompactedRevision(); InvalidArgument if > Revision(); Unavailable if closed or the disk
  // write failed. Runs on the commit thread (writes wait meanwhile).
  absl::Status Compact(int64_t revision) override;
  int64_t CompactedRevision() const override;
  void Close() override;

  // Makes the next `n` batch commits fail (after their rows are written, before COMMIT), as a
  // failed fsync would.
  void FailNextCommitsForTest(int n) { fail_commits_for_test_.store(n); }

 private:
  explicit SqliteStore(SqliteStoreOptions options) : options_(options) {}

  // Open's steps: the lock file, schema and pragmas, prepared statements, the in-memory state.
  absl::Status LockFile(const std::string& path);
  absl::Status InitSchema(const std::string& path);
  absl::Status PrepareStatements();
  absl::Status Load(internal::KeyIndex* index, int64_t* revision);

  // Commit thread only.
  absl::Status Persist(const std::vector<Event>& events);
  absl::Status WriteBatch(const std::vector<Event>& events);
  absl::Status CompactOnCommitThread(int64_t revision);
  void AutoCompact();
  // Rolls back the open write transaction, if SQLite has not already.
  void RollbackWrite();

  const SqliteStoreOptions options_;

  // Write connection: used by Open, then by the commit thread only.
  internal::SqliteDb write_db_;
  // Checkpoints write_db_'s WAL on a thread of its own (SQLite would, inside a COMMIT).
  std::unique_ptr<internal::WalCheckpointer> checkpointer_;
  internal::SqliteStatement begin_;
  internal::SqliteStatement commit_;
  internal::SqliteStatement insert_;
  internal::SqliteStatement compact_superseded_;
  internal::SqliteStatement compact_tombstones_;
  internal::SqliteStatement set_meta_;
  internal::SqliteStatement max_revision_;
  // Set on the commit thread when a failed COMMIT may have reached the disk anyway; from then
  // on every write fails with Unavailable until the store is reopened.
  bool poisoned_ = false;
  std::atomic<int> fail_commits_for_test_{0};

  // Read connection for EventsSince, guarded by read_mu_; closed (null) after Close.
  std::mutex read_mu_;
  internal::SqliteDb read_db_;
  internal::SqliteStatement read_begin_;
  internal::SqliteStatement read_end_;
  internal::SqliteStatement read_compacted_;
  internal::SqliteStatement read_events_;

  int lock_fd_ = -1;                   // holds an flock on "<path>.lock" while open
  std::atomic<int64_t> compacted_{0};  // written on the commit thread after a compaction commits
  std::unique_ptr<internal::CommitLoop> loop_;
};

}  // namespace shoal::store
