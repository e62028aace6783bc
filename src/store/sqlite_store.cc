#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "spdlog/spdlog.h"

namespace shoal::store {
namespace {

constexpr int64_t kSchemaVersion = 1;

// `key` and `value` are BLOBs so that SQLite compares and slices them bytewise, like
// std::string. A tombstone (deleted = 1) stores an empty value: its last value is the value of
// its prev_revision row. prev_revision is 0 for a create.
constexpr char kSchema[] = R"sql(
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS kv (
  revision INTEGER PRIMARY KEY,
  key BLOB NOT NULL,
  value BLOB NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  deleted INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_key_revision ON kv (key, revision);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', 1);
COMMIT;
)sql";

constexpr char kInsert[] =
    "INSERT INTO kv (revision, key, value, create_revision, prev_revision, deleted) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

// Compaction keeps, for each key, its latest row at or below the compacted revision unless
// that row is a tombstone: it is the current state, or the prev value of the key's first later
// event, which EventsSince must still return. A superseded row is exactly one that a later row
// at or below the compacted revision names as its prev_revision (updates and deletes point at
// the live row they replace; a create after a delete points at nothing, and the tombstone it
// follows is dropped by the second statement).
constexpr char kCompactSuperseded[] =
    "DELETE FROM kv WHERE revision IN "
    "(SELECT prev_revision FROM kv WHERE revision <= ?1 AND prev_revision > 0)";
constexpr char kCompactTombstones[] = "DELETE FROM kv WHERE revision <= ?1 AND deleted = 1";

constexpr char kSetMeta[] =
    "INSERT INTO meta (name, value) VALUES (?1, ?2) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value";
constexpr char kGetMeta[] = "SELECT value FROM meta WHERE name = ?1";
constexpr char kMaxRevision[] = "SELECT COALESCE(MAX(revision), 0) FROM kv";

constexpr char kLoadLatest[] =
    "SELECT key, value, create_revision, revision FROM kv "
    "WHERE revision IN (SELECT MAX(revision) FROM kv GROUP BY key) AND deleted = 0";

constexpr char kReadEvents[] =
    "SELECT r.revision, r.key, r.value, r.create_revision, r.deleted, r.prev_revision, "
    "       p.value, p.create_revision "
    "FROM kv AS r LEFT JOIN kv AS p ON p.revision = r.prev_revision "
    "WHERE r.revision > ?1 AND r.revision <= ?2 AND (?3 = 0 OR substr(r.key, 1, ?3) = ?4) "
    "ORDER BY r.revision";

constexpr char kMetaCompacted[] = "compact_revision";
constexpr char kMetaRevisionFloor[] = "revision_floor";

absl::Status Annotate(const absl::Status& status, const std::string& path) {
  return absl::Status(status.code(),
                      absl::StrCat("open sqlite store \"", path, "\": ", status.message()));
}

// Reads meta value `name` through `stmt` (prepared kGetMeta), 0 if absent.
absl::StatusOr<int64_t> ReadMeta(internal::SqliteStatement& stmt, absl::string_view name) {
  stmt.BindText(1, name);
  absl::StatusOr<bool> row = stmt.Step();
  int64_t value = row.ok() && *row ? stmt.ColumnInt(0) : 0;
  stmt.Reset();
  if (!row.ok()) return row.status();
  return value;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                               SqliteStoreOptions options) {
  if (options.max_batch == 0) return absl::InvalidArgumentError("max_batch: must be positive");
  if (options.commit_delay.count() < 0) {
    return absl::InvalidArgumentError("commit_delay: must not be negative");
  }
  if (options.auto_compact_keep_revisions < 0) {
    return absl::InvalidArgumentError("auto_compact_keep_revisions: must not be negative");
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(options));
  absl::Status status = store->LockFile(path);
  if (status.ok()) status = store->InitSchema(path);
  if (status.ok()) status = store->PrepareStatements();
  if (status.ok()) {
    // SQLite's own threshold (1,000 pages, about 4 MB), checked after every commit.
    auto checkpointer = internal::WalCheckpointer::Start(path, store->write_db_.get(), 1000,
                                                         std::chrono::milliseconds(100));
    if (checkpointer.ok()) {
      store->checkpointer_ = std::move(*checkpointer);
    } else {
      status = checkpointer.status();
    }
  }
  internal::KeyIndex index;
  int64_t revision = 0;
  if (status.ok()) status = store->Load(&index, &revision);
  if (!status.ok()) return Annotate(status, path);

  internal::CommitLoopOptions loop;
  loop.max_batch = options.max_batch;
  loop.commit_delay = options.commit_delay;
  SqliteStore* self = store.get();
  loop.persist = [self](const std::vector<Event>& events) { return self->Persist(events); };
  if (options.auto_compact_interval.count() > 0) {
    loop.periodic = [self] { self->AutoCompact(); };
    loop.periodic_interval = options.auto_compact_interval;
  }
  store->loop_ =
      std::make_unique<internal::CommitLoop>(std::move(loop), std::move(index), revision);
  store->loop_->Start();
  return store;
}

SqliteStore::~SqliteStore() { SqliteStore::Close(); }

absl::Status SqliteStore::LockFile(const std::string& path) {
  // SQLite's own locks would let a second store interleave its writes (and revisions) with
  // ours; an flock on a side file keeps a second SqliteStore, in any process, out. The kernel
  // drops it when the process dies, so a crash leaves nothing to clean up.
  const std::string lock_path = path + ".lock";
  lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    return absl::UnavailableError(absl::StrCat("open \"", lock_path, "\": ", strerror(errno)));
  }
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("already open by another store (lock \"", lock_path, "\" is held)"));
    }
    return absl::UnavailableError(absl::StrCat("flock \"", lock_path, "\": ", strerror(error)));
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::InitSchema(const std::string& path) {
  ASSIGN_OR_RETURN(write_db_, internal::SqliteDb::Open(path));
  // The first statement reads the file: a non-database fails here with DataLoss.
  ASSIGN_OR_RETURN(std::string mode, write_db_.QueryText("PRAGMA journal_mode=WAL"));
  if (mode != "wal") {
    return absl::UnavailableError(absl::StrCat("cannot use WAL journal mode (got \"", mode, "\")"));
  }
  RETURN_IF_ERROR(write_db_.Exec("PRAGMA synchronous=FULL"));
  RETURN_IF_ERROR(write_db_.Exec(kSchema));
  ASSIGN_OR_RETURN(std::string version,
                   write_db_.QueryText("SELECT value FROM meta WHERE name = 'schema_version'"));
  if (version != std::to_string(kSchemaVersion)) {
    return absl::FailedPreconditionError(
        absl::StrCat("schema version ", version, " is not supported (want ", kSchemaVersion, ")"));
  }
  ASSIGN_OR_RETURN(read_db_, internal::SqliteDb::Open(path));
  return read_db_.Exec("PRAGMA query_only=1");
}

absl::Status SqliteStore::PrepareStatements() {
  ASSIGN_OR_RETURN(begin_, write_db_.Prepare("BEGIN IMMEDIATE"));
  ASSIGN_OR_RETURN(commit_, write_db_.Prepare("COMMIT"));
  ASSIGN_OR_RETURN(insert_, write_db_.Prepare(kInsert));
  ASSIGN_OR_RETURN(compact_superseded_, write_db_.Prepare(kCompactSuperseded));
  ASSIGN_OR_RETURN(compact_tombstones_, write_db_.Prepare(kCompactTombstones));
  ASSIGN_OR_RETURN(set_meta_, write_db_.Prepare(kSetMeta));
  ASSIGN_OR_RETURN(max_revision_, write_db_.Prepare(kMaxRevision));
  ASSIGN_OR_RETURN(read_begin_, read_db_.Prepare("BEGIN"));
  ASSIGN_OR_RETURN(read_end_, read_db_.Prepare("COMMIT"));
  ASSIGN_OR_RETURN(read_compacted_, read_db_.Prepare(kGetMeta));
  ASSIGN_OR_RETURN(read_events_, read_db_.Prepare(kReadEvents));
  return absl::OkStatus();
}

absl::Status SqliteStore::Load(internal::KeyIndex* index, int64_t* revision) {
  // Nothing else uses the file yet (the commit thread has not started).
  ASSIGN_OR_RETURN(internal::SqliteStatement get_meta, write_db_.Prepare(kGetMeta));
  ASSIGN_OR_RETURN(int64_t compacted, ReadMeta(get_meta, kMetaCompacted));
  ASSIGN_OR_RETURN(int64_t floor, ReadMeta(get_meta, kMetaRevisionFloor));
  ASSIGN_OR_RETURN(bool has_max, max_revision_.Step());
  int64_t max_revision = has_max ? max_revision_.ColumnInt(0) : 0;
  max_revision_.Reset();

  ASSIGN_OR_RETURN(internal::SqliteStatement latest, write_db_.Prepare(kLoadLatest));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, latest.Step());
    if (!row) break;
    index->Put(KeyValue{std::string(latest.ColumnBlob(0)),
                        MakeBytes(std::string(latest.ColumnBlob(1))), latest.ColumnInt(2),
                        latest.ColumnInt(3)});
  }
  compacted_.store(compacted);
  *revision = std::max(max_revision, floor);
  return absl::OkStatus();
}

void SqliteStore::Write(WriteOp op, WriteCallback done) {
  loop_->Write(std::move(op), std::move(done));
}

void SqliteStore::Txn(std::vector<WriteOp> ops, TxnCallback done) {
  loop_->Txn(std::move(ops), std::move(done));
}

absl::StatusOr<KeyValue> SqliteStore::Get(const std::string& key) { return loop_->Get(key); }

absl::StatusOr<ListResult> SqliteStore::List(const std::string& prefix) {
  return loop_->List(prefix);
}

void SqliteStore::AddCommitListener(CommitListener listener) {
  loop_->AddCommitListener(std::move(listener));
}

int64_t SqliteStore::Revision() const { return loop_->Revision(); }

CommitStats SqliteStore::Stats() const {
  CommitStats s = loop_->Stats();
  if (checkpointer_ != nullptr) s.wal_checkpoints = checkpointer_->checkpoints();
  return s;
}

int64_t SqliteStore::CompactedRevision() const { return compacted_.load(); }

absl::StatusOr<std::vector<Event>> SqliteStore::EventsSince(int64_t after_revision,
                                                            const std::string& prefix) {
  // Stop at the published revision so that the answer agrees with Get and List; every row at
  // or below it is committed, hence in the read transaction's snapshot.
  const int64_t until = loop_->Revision();
  std::lock_guard<std::mutex> lock(read_mu_);
  if (read_db_.get() == nullptr) return absl::UnavailableError("store is closed");
  RETURN_IF_ERROR(read_begin_.Run());
  // The compacted revision and the rows come from one snapshot, so a compaction committing
  // meanwhile cannot remove rows from under the check.
  std::vector<Event> events;
  absl::StatusOr<int64_t> compacted = ReadMeta(read_compacted_, kMetaCompacted);
  absl::Status status = compacted.status();
  if (status.ok() && after_revision < *compacted) {
    status = absl::OutOfRangeError(absl::StrCat(
        "revision ", after_revision, " has been compacted (compacted revision ", *compacted, ")"));
  }
  if (status.ok()) {
    internal::SqliteStatement& q = read_events_;
    q.BindInt(1, after_revision);
    q.BindInt(2, until);
    q.BindInt(3, static_cast<int64_t>(prefix.size()));
    q.BindBlob(4, prefix);
    for (;;) {
      absl::StatusOr<bool> row = q.Step();
      if (!row.ok() || !*row) {
        status = row.status();
        break;
      }
      const int64_t revision = q.ColumnInt(0);
      const bool deleted = q.ColumnInt(4) != 0;
      const int64_t prev_revision = q.ColumnInt(5);
      if (prev_revision != 0 && q.ColumnIsNull(6)) {
        status = absl::DataLossError(absl::StrCat("log row ", revision, " names prev_revision ",
                                                  prev_revision, ", which is missing"));
        break;
      }
      if (deleted && prev_revision == 0) {
        status = absl::DataLossError(
            absl::StrCat("log row ", revision, " is a delete without a previous value"));
        break;
      }
      Event event;
      event.type = deleted ? EventType::kDelete : EventType::kPut;
      event.kv.key = std::string(q.ColumnBlob(1));
      event.kv.create_revision = q.ColumnInt(3);
      event.kv.mod_revision = revision;
      if (prev_revision != 0) {
        event.prev = KeyValue{event.kv.key, MakeBytes(std::string(q.ColumnBlob(6))), q.ColumnInt(7),
                              prev_revision};
      }
      event.kv.value = deleted ? event.prev->value : MakeBytes(std::string(q.ColumnBlob(2)));
      events.push_back(std::move(event));
    }
    q.Reset();
  }
  absl::Status ended = read_end_.Run();
  if (!ended.ok() && read_db_.InTransaction()) read_db_.Exec("ROLLBACK").IgnoreError();
  if (status.ok()) status = ended;
  if (!status.ok()) return status;
  return events;
}

absl::Status SqliteStore::Compact(int64_t revision) {
  return loop_->RunOnCommitThread([this, revision] { return CompactOnCommitThread(revision); });
}

void SqliteStore::Close() {
  if (loop_ != nullptr) {
    loop_->Close();
    // From a callback, Close only stops intake; the connections stay until the destructor.
    if (loop_->OnCommitThread()) return;
  }
  // The commit thread is gone: nothing commits. The checkpointer (and its hook) go first.
  if (checkpointer_ != nullptr) checkpointer_->Stop();
  // Nothing else uses the write connection. Statements first.
  std::lock_guard<std::mutex> lock(read_mu_);
  for (internal::SqliteStatement* stmt :
       {&begin_, &commit_, &insert_, &compact_superseded_, &compact_tombstones_, &set_meta_,
        &max_revision_, &read_begin_, &read_end_, &read_compacted_, &read_events_}) {
    *stmt = internal::SqliteStatement();
  }
  read_db_ = internal::SqliteDb();
  write_db_ = internal::SqliteDb();  // the last connection checkpoints the WAL
  if (lock_fd_ >= 0) {
    close(lock_fd_);  // releases the flock
    lock_fd_ = -1;
  }
}

absl::Status SqliteStore::Persist(const std::vector<Event>& events) {
  if (poisoned_) {
    return absl::UnavailableError(
        "an earlier commit failed in a way that may have reached the disk; reopen the store");
  }
  absl::Status status = WriteBatch(events);
  if (status.ok()) return status;
  RollbackWrite();
  // A failed COMMIT normally leaves nothing behind. If the batch's rows are visible anyway, the
  // in-memory state (which will not include them) no longer matches the disk: refuse to write
  // on top of that until a reopen reloads the truth.
  absl::StatusOr<bool> row = max_revision_.Step();
  const int64_t on_disk = row.ok() && *row ? max_revision_.ColumnInt(0) : 0;
  max_revision_.Reset();
  if (!row.ok() || on_disk >= events.front().revision()) poisoned_ = true;
  return status;
}

absl::Status SqliteStore::WriteBatch(const std::vector<Event>& events) {
  RETURN_IF_ERROR(begin_.Run());
  for (const Event& event : events) {
    const bool deleted = event.type == EventType::kDelete;
    insert_.BindInt(1, event.revision());
    insert_.BindBlob(2, event.kv.key);
    insert_.BindBlob(3, deleted ? absl::string_view() : absl::string_view(*event.kv.value));
    insert_.BindInt(4, event.kv.create_revision);
    insert_.BindInt(5, event.prev.has_value() ? event.prev->mod_revision : 0);
    insert_.BindInt(6, deleted ? 1 : 0);
    RETURN_IF_ERROR(insert_.Run());
  }
  if (fail_commits_for_test_.load() > 0) {
    fail_commits_for_test_.fetch_sub(1);
    return absl::UnavailableError("injected commit failure (test)");
  }
  return commit_.Run();
}

void SqliteStore::RollbackWrite() {
  // SQLite rolls back by itself after some errors; a second ROLLBACK would fail.
  if (write_db_.InTransaction()) write_db_.Exec("ROLLBACK").IgnoreError();
}

absl::Status SqliteStore::CompactOnCommitThread(int64_t revision) {
  const int64_t current = loop_->Revision();
  if (revision > current) {
    return absl::InvalidArgumentError(
        absl::StrCat("compact revision ", revision, " is newer than the store revision ", current));
  }
  if (revision <= compacted_.load()) return absl::OkStatus();
  if (poisoned_) return absl::UnavailableError("store needs a reopen after a failed commit");
  absl::Status status = [&]() -> absl::Status {
    RETURN_IF_ERROR(begin_.Run());
    compact_superseded_.BindInt(1, revision);
    RETURN_IF_ERROR(compact_superseded_.Run());
    compact_tombstones_.BindInt(1, revision);
    RETURN_IF_ERROR(compact_tombstones_.Run());
    set_meta_.BindText(1, kMetaCompacted);
    set_meta_.BindInt(2, revision);
    RETURN_IF_ERROR(set_meta_.Run());
    // The newest row may be a tombstone that was just deleted; remember the revision.
    set_meta_.BindText(1, kMetaRevisionFloor);
    set_meta_.BindInt(2, current);
    RETURN_IF_ERROR(set_meta_.Run());
    return commit_.Run();
  }();
  if (!status.ok()) {
    RollbackWrite();
    return status;
  }
  compacted_.store(revision);
  return absl::OkStatus();
}

void SqliteStore::AutoCompact() {
  const int64_t target = loop_->Revision() - options_.auto_compact_keep_revisions;
  if (target <= compacted_.load()) return;
  absl::Status status = CompactOnCommitThread(target);
  if (!status.ok()) {
    spdlog::warn("sqlite store: automatic compaction to revision {} failed: {}", target,
                 status.ToString());
  }
}

}  // namespace shoal::store
