#include "store/internal/wal_checkpointer.h"

#include <utility>

#include "base/process.h"

namespace shoal::store::internal {

absl::StatusOr<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Start(
    const std::string& path, sqlite3* writer, int threshold_pages,
    std::chrono::milliseconds min_interval) {
  absl::StatusOr<SqliteDb> db = SqliteDb::Open(path);
  if (!db.ok()) return db.status();
  // A connection learns that the database is in WAL mode when it first reads it; until then
  // its checkpoints do nothing (and say log -1).
  absl::StatusOr<std::string> mode = db->QueryText("PRAGMA journal_mode");
  if (!mode.ok()) return mode.status();
  if (*mode != "wal") {
    return absl::FailedPreconditionError("the database is not in WAL mode: nothing to checkpoint");
  }
  std::unique_ptr<WalCheckpointer> c(
      new WalCheckpointer(std::move(*db), writer, threshold_pages, min_interval));
  // Replaces SQLite's automatic checkpoint on the writer (itself a WAL hook).
  sqlite3_wal_hook(writer, &WalCheckpointer::Hook, c.get());
  c->thread_ = std::thread([self = c.get()] {
    base::NameThisThread("store-ckpt");
    self->Run();
  });
  return c;
}

WalCheckpointer::WalCheckpointer(SqliteDb db, sqlite3* writer, int threshold_pages,
                                 std::chrono::milliseconds min_interval)
    : db_(std::move(db)),
      writer_(writer),
      threshold_pages_(threshold_pages),
      min_interval_(min_interval) {}

WalCheckpointer::~WalCheckpointer() { Stop(); }

void WalCheckpointer::Stop() {
  if (writer_ != nullptr) {
    sqlite3_wal_hook(writer_, nullptr, nullptr);
    writer_ = nullptr;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  db_ = SqliteDb();
}

int WalCheckpointer::Hook(void* self, sqlite3*, const char*, int pages) {
  auto* c = static_cast<WalCheckpointer*>(self);
  if (pages >= c->threshold_pages_) {
    std::lock_guard<std::mutex> lock(c->mu_);
    if (!c->wanted_) {
      c->wanted_ = true;
      c->cv_.notify_one();
    }
  }
  return SQLITE_OK;
}

void WalCheckpointer::Run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return wanted_ || stopping_; });
      if (stopping_) return;
      wanted_ = false;
    }
    int log_frames = 0, copied_frames = 0;
    // PASSIVE: copies what it can without waiting for the writer or readers. An error (e.g.
    // SQLITE_BUSY when another checkpoint runs) only means this one did less; the next commit
    // over the threshold asks again.
    sqlite3_wal_checkpoint_v2(db_.get(), "main", SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                              &copied_frames);
    checkpoints_.fetch_add(1);
    // At most one checkpoint per interval: while writes keep coming the WAL stays over the
    // threshold until the writer restarts it, and every commit asks.
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, min_interval_, [this] { return stopping_; })) return;
  }
}

}  // namespace shoal::store::internal
