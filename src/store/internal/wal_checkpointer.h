// WalCheckpointer: checkpoints an SQLite database's write-ahead log on a thread of its own
// ("store-ckpt"), so that the store's commit thread never runs a checkpoint.
//
// By default SQLite checkpoints inside the COMMIT that leaves the WAL at 1,000 pages or more:
// it copies the WAL's pages into the database file and fsyncs it, on the committing thread.
// For a store that commits thousands of writes a second that is a stall of tens to hundreds
// of milliseconds every few seconds, during which every write waits (while 7,500 nodes
// registered at 500 a second, the server's p99 for writes was 180 ms with it and 90 ms
// without). Here a WAL hook on the writer's connection (which replaces SQLite's automatic
// checkpoint) only notes that the WAL has reached the threshold; this thread then runs a
// PASSIVE checkpoint through a connection of its own, which never blocks the writer or
// readers. Once every frame is copied, the writer starts the WAL from its beginning again, so
// the file stops growing.
//
// Threading: the hook runs on the writer's thread (inside its COMMIT) and only signals; Stop
// must run when the writer is not committing (after the commit thread is gone).
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "store/internal/sqlite_db.h"

namespace shoal::store::internal {

class WalCheckpointer {
 public:
  // Opens a connection to the database at `path` and hooks `writer` (a connection to the same
  // database in WAL mode): after a commit that leaves the WAL with `threshold_pages` pages or
  // more, the thread checkpoints, at most once every `min_interval`. Errors: as
  // SqliteDb::Open.
  static absl::StatusOr<std::unique_ptr<WalCheckpointer>> Start(
      const std::string& path, sqlite3* writer, int threshold_pages,
      std::chrono::milliseconds min_interval);
  // Stop.
  ~WalCheckpointer();

  // Unhooks the writer, joins the thread and closes its connection. Idempotent.
  void Stop();

  // Checkpoints run so far (each a PASSIVE one).
  int64_t checkpoints() const { return checkpoints_.load(); }

 private:
  WalCheckpointer(SqliteDb db, sqlite3* writer, int threshold_pages,
                  std::chrono::milliseconds min_interval);
  static int Hook(void* self, sqlite3* db, const char* name, int pages);
  void Run();

  SqliteDb db_;
  sqlite3* writer_;
  const int threshold_pages_;
  const std::chrono::milliseconds min_interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stopping_ = false;
  std::atomic<int64_t> checkpoints_{0};
  std::thread thread_;
};

}  // namespace shoal::store::internal
