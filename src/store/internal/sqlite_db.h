// Thin RAII wrappers over the SQLite C API that report errors as absl::Status: SqliteDb (one
// connection) and SqliteStatement (one prepared statement). Used by SqliteStore only.
//
// Ownership: a SqliteDb owns its connection; a SqliteStatement owns its sqlite3_stmt and must
// be destroyed before the SqliteDb it was prepared on. Threading: none of these lock; a
// connection (and its statements) must be used by one thread at a time (the connections are
// opened with SQLITE_OPEN_NOMUTEX).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace shoal::store::internal {

// Maps an SQLite result code to a Status, naming `what` failed and SQLite's message:
// DataLoss for a corrupt file or one that is not a database, Unavailable for I/O, disk full,
// permission, lock and can't-open errors, Internal otherwise.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what);

class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  ~SqliteStatement();

  // Binds parameter `index` (1-based). A binding error is reported by the next Step.
  void BindInt(int index, int64_t value);
  // BindBlob and BindText copy nothing: `value` must outlive the next Step.
  void BindBlob(int index, absl::string_view value);
  void BindText(int index, absl::string_view value);

  // Advances: true if a row is available, false when done. Errors as SqliteError.
  absl::StatusOr<bool> Step();
  // Steps to completion (for statements that return no rows) and resets.
  absl::Status Run();
  // Resets the statement and clears its bindings, ready for the next use.
  void Reset();

  // Column accessors for the current row (0-based). ColumnBlob's view is valid until the next
  // Step or Reset.
  int64_t ColumnInt(int column) const;
  absl::string_view ColumnBlob(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  friend class SqliteDb;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int bind_rc_ = 0;  // first failed binding since Reset, reported by Step
};

class SqliteDb {
 public:
  // Opens (creating if needed) the database file at `path`, read-write, with a busy timeout.
  // Errors as SqliteError (e.g. Unavailable for a missing directory).
  static absl::StatusOr<SqliteDb> Open(const std::string& path);

  SqliteDb() = default;
  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  // Closes the connection; every statement prepared on it must be gone.
  ~SqliteDb();

  // Runs one or more SQL statements that return no rows of interest.
  absl::Status Exec(const std::string& sql);
  // Prepares `sql` for repeated use.
  absl::StatusOr<SqliteStatement> Prepare(absl::string_view sql);
  // Runs a one-row, one-column query (e.g. a PRAGMA) and returns the column as text; NotFound
  // if it returns no row.
  absl::StatusOr<std::string> QueryText(absl::string_view sql);
  // True if a transaction is open (e.g. SQLite did not roll back a failed COMMIT itself).
  bool InTransaction() const;

  sqlite3* get() const { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

}  // namespace shoal::store::internal
