// Store: shoal's revisioned key-value store, the durable source of truth under the API server.
//
// Model (the same as etcd's, so that an etcd backend can implement it):
//   - One global revision counter. Every successful write (create, update, delete) gets the
//     next revision; the revision of a key's latest write is its mod_revision, and Kubernetes'
//     resourceVersion is that number.
//   - Writes are conditional (optimistic concurrency) and asynchronous. Concurrent writes are
//     group-committed: many share one transaction and one fsync. A write's callback runs only
//     after the write is durable AND after every commit listener has seen it, so a reader of
//     the watch cache after the ack always sees the write.
//   - The commit stream (listeners) receives every committed event exactly once, in revision
//     order, with the previous value of the key. The watch cache is fed from it.
//   - Old revisions are compacted; history at or below the compacted revision is gone.
//
// Threading: all methods are thread-safe. Callbacks and listeners run on the store's own
// commit thread; they must not block for long and must not call Write*Sync (deadlock).
// Ownership: values are immutable shared strings, so the cache and every watcher share the
// bytes the store committed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace shoal::store {

using Bytes = std::shared_ptr<const std::string>;

inline Bytes MakeBytes(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

struct KeyValue {
  std::string key;
  Bytes value;                 // never null for a live key
  int64_t create_revision = 0;  // revision of the write that created this incarnation of the key
  int64_t mod_revision = 0;     // revision of the latest write to the key
};

enum class EventType { kPut, kDelete };

// One committed write. For kPut, `kv` is the new state; for kDelete, `kv.value` is the last
// value the key had and `kv.mod_revision` is the revision of the delete. `prev` is the state
// before this write (absent for a create).
struct Event {
  EventType type = EventType::kPut;
  KeyValue kv;
  std::optional<KeyValue> prev;
  // The hint of the WriteOp that made this kPut, for the commit listeners (WriteOp::hint);
  // empty for deletes and for events a store reads back.
  std::shared_ptr<const void> hint;
  int64_t revision() const { return kv.mod_revision; }
};

struct WriteOp {
  enum class Kind { kCreate, kUpdate, kDelete };
  Kind kind = Kind::kCreate;
  std::string key;
  std::string value;  // ignored for kDelete
  // For kUpdate and kDelete: the mod_revision the key must have, or 0 for "whatever it is".
  int64_t expected_mod_revision = 0;
  // Optional, for kCreate and kUpdate: rewrites the value once its revision is known, before
  // it is persisted, published and returned. The API server records the resourceVersion in the
  // object this way, so that the store, the watch cache and every response share one copy of
  // the bytes. Runs on the commit thread: it must be cheap, must not block, and must not call
  // the store.
  std::function<std::string(std::string_view value, int64_t revision)> stamp;
  // Optional, for kCreate and kUpdate: opaque to the store, handed to the commit listeners
  // with the write's event (Event::hint). The API server passes what its watch cache would
  // otherwise parse the value again for (labels, selectable fields).
  std::shared_ptr<const void> hint;
};

// Result of a successful write: for create/update the new KeyValue; for delete the last value
// with mod_revision set to the delete's revision.
using WriteCallback = std::function<void(absl::StatusOr<KeyValue>)>;
// Result of a successful transaction: one KeyValue per op, in op order (as for WriteCallback).
using TxnCallback = std::function<void(absl::StatusOr<std::vector<KeyValue>>)>;
using CommitListener = std::function<void(const std::vector<Event>& events)>;

// What a store's commit thread has done since it opened (for logs and tests).
struct CommitStats {
  int64_t writes = 0;   // writes and transactions taken from the queue (a transaction is one)
  int64_t batches = 0;  // commits (one fsync each on disk), counted before their callbacks run
  int64_t delays = 0;   // waits for more writes before a commit (the commit delay)
  int64_t fruitless_delays = 0;  // of those, waits that collected none
  int64_t delay_pauses = 0;      // times the loop stopped waiting, its waits collecting nothing
  int64_t wal_checkpoints = 0;   // SqliteStore: WAL checkpoints, run off the commit thread
};

struct ListResult {
  std::vector<KeyValue> kvs;  // sorted by key
  int64_t revision = 0;       // the store revision the list reflects
};

class Store {
 public:
  virtual ~Store() = default;

  // Queues a write. `done` is called exactly once, on the commit thread, with:
  //   AlreadyExists  - kCreate of a live key;
  //   NotFound       - kUpdate/kDelete of a missing key;
  //   Aborted        - expected_mod_revision given and different (Kubernetes' 409 Conflict);
  //   Unavailable    - the store is closed or the disk write failed (nothing was applied);
  //   otherwise the new KeyValue, once durable and seen by all listeners.
  virtual void Write(WriteOp op, WriteCallback done) = 0;

  // Queues several writes that commit all or none: in one batch, with consecutive revisions,
  // published to listeners together. Each op is checked as Write checks it, seeing the earlier
  // ops of the same transaction; the first failing op fails the whole transaction with its
  // error (AlreadyExists, NotFound, Aborted) and nothing of it is applied or consumes a
  // revision. Unavailable as for Write. An empty transaction succeeds with no result.
  // The API server binds a gang's pods this way, so no reader sees half a gang bound.
  virtual void Txn(std::vector<WriteOp> ops, TxnCallback done) = 0;

  // Blocking convenience over Write for tests and startup code. Never call it from a
  // callback or listener.
  absl::StatusOr<KeyValue> WriteSync(WriteOp op);
  // Blocking convenience over Txn; same restrictions as WriteSync.
  absl::StatusOr<std::vector<KeyValue>> TxnSync(std::vector<WriteOp> ops);

  // Current value of `key`, NotFound if absent.
  virtual absl::StatusOr<KeyValue> Get(const std::string& key) = 0;

  // Every live key that starts with `prefix`, at the current revision.
  virtual absl::StatusOr<ListResult> List(const std::string& prefix) = 0;

  // Committed events with revision > `after_revision`, in order, with prev values, for keys
  // starting with `prefix`. OutOfRange if `after_revision` < CompactedRevision() (history gone).
  virtual absl::StatusOr<std::vector<Event>> EventsSince(int64_t after_revision,
                                                         const std::string& prefix) = 0;

  // Registers a listener for the commit stream. Listeners see events with revision greater
  // than Revision() at the time of the call. Register before starting concurrent writes.
  virtual void AddCommitListener(CommitListener listener) = 0;

  // The revision of the latest committed write (0 for an empty store).
  virtual int64_t Revision() const = 0;

  // Drops history at or below `revision` (kept: the latest state of every live key).
  // InvalidArgument if revision > Revision().
  virtual absl::Status Compact(int64_t revision) = 0;
  virtual int64_t CompactedRevision() const = 0;

  // Stops accepting writes, finishes queued ones, and joins the commit thread. Idempotent.
  virtual void Close() = 0;
};

}  // namespace shoal::store
