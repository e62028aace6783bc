// SqliteStore-specific tests: durability across reopen, recovery after SIGKILL, failed commits,
// bad files, compaction on disk. The Store contract itself is tested by the conformance suite.
#include "store/sqlite_store.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <future>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

WriteOp Create(std::string key, std::string value) {
  return WriteOp{WriteOp::Kind::kCreate, std::move(key), std::move(value), 0};
}
WriteOp Update(std::string key, std::string value, int64_t expected = 0) {
  return WriteOp{WriteOp::Kind::kUpdate, std::move(key), std::move(value), expected};
}
WriteOp Delete(std::string key) { return WriteOp{WriteOp::Kind::kDelete, std::move(key), "", 0}; }

// A value that can be checked for tearing: the key repeated to about 1.5 KB.
std::string ValueFor(const std::string& key) {
  std::string value;
  while (value.size() < 1500) value += key + ";";
  return value;
}

// "key=value@mod(create)" for every live key, in key order.
std::vector<std::string> Dump(Store& store) {
  std::vector<std::string> out;
  absl::StatusOr<ListResult> list = store.List("");
  if (!list.ok()) return {list.status().ToString()};
  for (const KeyValue& kv : list->kvs) {
    out.push_back(kv.key + "=" + *kv.value + "@" + std::to_string(kv.mod_revision) + "(" +
                  std::to_string(kv.create_revision) + ")");
  }
  return out;
}

std::vector<std::string> DumpEvents(Store& store, int64_t after) {
  absl::StatusOr<std::vector<Event>> events = store.EventsSince(after, "");
  if (!events.ok()) return {events.status().ToString()};
  std::vector<std::string> out;
  for (const Event& e : *events) {
    out.push_back(
        (e.type == EventType::kPut ? "PUT " : "DELETE ") + e.kv.key + "=" + *e.kv.value + "@" +
        std::to_string(e.revision()) +
        (e.prev ? " prev=" + *e.prev->value + "@" + std::to_string(e.prev->mod_revision) : ""));
  }
  return out;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "shoal_sqlite_store.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/store.db";
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::unique_ptr<SqliteStore> MustOpen(SqliteStoreOptions options = {}) {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_, options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  static KeyValue MustWrite(Store& store, WriteOp op) {
    absl::StatusOr<KeyValue> kv = store.WriteSync(std::move(op));
    EXPECT_TRUE(kv.ok()) << kv.status();
    return kv.ok() ? *kv : KeyValue{};
  }

  std::string dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, ReopenKeepsStateRevisionsAndHistory) {
  std::vector<std::string> state;
  std::vector<std::string> history;
  {
    std::unique_ptr<SqliteStore> store = MustOpen();
    ASSERT_NE(store, nullptr);
    MustWrite(*store, Create("/a", "a1"));     // 1
    MustWrite(*store, Create("/b", "b1"));     // 2
    MustWrite(*store, Update("/a", "a2", 1));  // 3
    MustWrite(*store, Delete("/b"));           // 4
    MustWrite(*store, Create("/c", ""));       // 5: an empty value is a value
    MustWrite(*store, Create("/b", "b2"));     // 6
    state = Dump(*store);
    history = DumpEvents(*store, 0);
    store->Close();
  }
  EXPECT_THAT(state, ElementsAre("/a=a2@3(1)", "/b=b2@6(6)", "/c=@5(5)"));
  std::unique_ptr<SqliteStore> store = MustOpen();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Revision(), 6);
  EXPECT_EQ(Dump(*store), state);
  EXPECT_EQ(DumpEvents(*store, 0), history);
  EXPECT_THAT(
      DumpEvents(*store, 2),
      ElementsAre("PUT /a=a2@3 prev=a1@1", "DELETE /b=b1@4 prev=b1@2", "PUT /c=@5", "PUT /b=b2@6"));
  EXPECT_EQ(MustWrite(*store, Update("/a", "a3", 3)).mod_revision, 7);
}

TEST_F(SqliteStoreTest, ReopenKeepsCompactionAndTheRevisionOfDeletedRows) {
  {
    std::unique_ptr<SqliteStore> store = MustOpen();
    ASSERT_NE(store, nullptr);
    MustWrite(*store, Create("/a", "a1"));  // 1
    MustWrite(*store, Update("/a", "a2"));  // 2
    MustWrite(*store, Delete("/a"));        // 3
    ASSERT_TRUE(store->Compact(3).ok());    // deletes every row
  }                                         // the destructor closes
  std::unique_ptr<SqliteStore> store = MustOpen();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Revision(), 3);
  EXPECT_EQ(store->CompactedRevision(), 3);
  EXPECT_THAT(Dump(*store), IsEmpty());
  EXPECT_EQ(store->EventsSince(2, "").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(DumpEvents(*store, 3), IsEmpty());
  EXPECT_EQ(MustWrite(*store, Create("/a", "a3")).mod_revision, 4);
}

TEST_F(SqliteStoreTest, CompactionDeletesSupersededRowsOnDisk) {
  std::unique_ptr<SqliteStore> store = MustOpen();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 10; ++i) {
    MustWrite(*store, i == 0 ? Create("/a", "0") : Update("/a", std::to_string(i)));
  }
  MustWrite(*store, Create("/b", "b"));  // 11
  MustWrite(*store, Delete("/b"));       // 12
  ASSERT_TRUE(store->Compact(12).ok());
  store->Close();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT group_concat(revision) FROM kv", -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "10")
      << "only the latest row of the live key is left";
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, FailedCommitFailsTheBatchAndChangesNothing) {
  std::unique_ptr<SqliteStore> store = MustOpen();
  ASSERT_NE(store, nullptr);
  std::atomic<int> listened{0};
  store->AddCommitListener([&](const std::vector<Event>& events) { listened += events.size(); });
  MustWrite(*store, Create("/a", "a1"));

  store->FailNextCommitsForTest(1);
  absl::StatusOr<KeyValue> failed = store->WriteSync(Update("/a", "lost"));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(failed.status().message(), HasSubstr("injected"));
  EXPECT_EQ(*store->Get("/a")->value, "a1");
  EXPECT_EQ(store->Revision(), 1);
  EXPECT_EQ(listened.load(), 1) << "listeners never see a failed batch";

  // The store goes on, reusing the revision nobody was told about.
  EXPECT_EQ(MustWrite(*store, Update("/a", "a2", 1)).mod_revision, 2);
  store->Close();
  store = MustOpen();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(Dump(*store), ElementsAre("/a=a2@2(1)"));
  EXPECT_THAT(DumpEvents(*store, 0), ElementsAre("PUT /a=a1@1", "PUT /a=a2@2 prev=a1@1"));
}

TEST_F(SqliteStoreTest, FailedCommitFailsEveryWriteOfItsBatch) {
  std::unique_ptr<SqliteStore> store = MustOpen();
  ASSERT_NE(store, nullptr);
  store->FailNextCommitsForTest(1);
  constexpr int kWrites = 50;
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, absl::Status> results;
  for (int i = 0; i < kWrites; ++i) {
    const std::string key = "/k/" + std::to_string(i);
    store->Write(Create(key, "v"), [&, key](absl::StatusOr<KeyValue> kv) {
      std::lock_guard<std::mutex> lock(mu);
      results[key] = kv.status();
      cv.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return results.size() == kWrites; });
  }
  int failed = 0;
  for (const auto& [key, status] : results) {
    if (status.ok()) {
      EXPECT_TRUE(store->Get(key).ok()) << key;
    } else {
      ++failed;
      EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << key;
      EXPECT_EQ(store->Get(key).status().code(), absl::StatusCode::kNotFound) << key;
    }
  }
  EXPECT_GE(failed, 1);
  EXPECT_EQ(store->Revision(), kWrites - failed);
  std::vector<std::string> before = Dump(*store);
  store->Close();
  store = MustOpen();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Dump(*store), before);
}

TEST_F(SqliteStoreTest, AutomaticCompactionKeepsTheLastRevisions) {
  SqliteStoreOptions options;
  options.auto_compact_interval = std::chrono::milliseconds(1);
  options.auto_compact_keep_revisions = 5;
  std::unique_ptr<SqliteStore> store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  MustWrite(*store, Create("/a", "0"));
  for (int i = 1; i < 20; ++i) MustWrite(*store, Update("/a", std::to_string(i)));
  // The compaction runs on a timer; wait for it (bounded), there is no event to await.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store->CompactedRevision() < 15 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(store->CompactedRevision(), 15);
  EXPECT_EQ(store->EventsSince(14, "").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(
      DumpEvents(*store, 15),
      ElementsAre("PUT /a=15@16 prev=14@15", "PUT /a=16@17 prev=15@16", "PUT /a=17@18 prev=16@17",
                  "PUT /a=18@19 prev=17@18", "PUT /a=19@20 prev=18@19"));
}

// The WAL is checkpointed by the store's own thread (not inside a COMMIT on the commit
// thread), and that keeps the WAL bounded: after 20 MB of writes it starts again.
TEST_F(SqliteStoreTest, TheWalIsCheckpointedOffTheCommitThreadAndStaysBounded) {
  std::unique_ptr<SqliteStore> store = MustOpen();
  ASSERT_NE(store, nullptr);
  const std::string value(4000, 'w');
  std::vector<std::future<absl::StatusOr<KeyValue>>> pending;
  for (int i = 0; i < 5000; ++i) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<KeyValue>>>();
    pending.push_back(promise->get_future());
    store->Write(Create("/k/" + std::to_string(i), value),
                 [promise](absl::StatusOr<KeyValue> kv) { promise->set_value(std::move(kv)); });
    if (pending.size() == 64) {  // in waves, so that there are many commits
      for (auto& p : pending) ASSERT_TRUE(p.get().ok());
      pending.clear();
    }
  }
  for (auto& p : pending) ASSERT_TRUE(p.get().ok());
  EXPECT_GT(store->Stats().wal_checkpoints, 0);
  // The WAL starts from its beginning again at a commit once everything in it has been
  // copied: poll with one more write at a time (the last checkpoint may still be running).
  // The frame count is read from the WAL index's header in the -shm file (mxFrame, a 32-bit
  // word at byte 16, in the machine's byte order), which checkpoints nothing itself.
  auto frames_in_wal = [&]() -> int64_t {
    std::ifstream shm(path_ + "-shm", std::ios::binary);
    char header[20] = {};
    if (!shm.read(header, sizeof(header))) return -1;
    uint32_t max_frame = 0;
    std::memcpy(&max_frame, header + 16, sizeof(max_frame));
    return max_frame;
  };
  int64_t frames = -1;
  for (int i = 0; i < 50; ++i) {
    MustWrite(*store, Create("/extra/" + std::to_string(i), "x"));
    frames = frames_in_wal();
    if (frames >= 0 && frames < 100) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GE(frames, 1);
  EXPECT_LT(frames, 100) << "the WAL still holds the writes: nothing checkpointed it";
  store->Close();
  // Nothing was lost to the checkpoints.
  std::unique_ptr<SqliteStore> reopened = MustOpen();
  ASSERT_NE(reopened, nullptr);
  absl::StatusOr<ListResult> all = reopened->List("/k/");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->kvs.size(), 5000u);
}

TEST_F(SqliteStoreTest, OpenNonDatabaseFileIsDataLoss) {
  {
    std::ofstream out(path_);
    out << std::string(8192, 'g');
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
}

TEST_F(SqliteStoreTest, OpenCorruptDatabaseFailsCleanly) {
  {
    std::unique_ptr<SqliteStore> store = MustOpen();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 200; ++i)
      MustWrite(*store, Create("/k/" + std::to_string(i), ValueFor("x")));
  }
  // Overwrite everything past the first page (the header) with garbage.
  const auto size = std::filesystem::file_size(path_);
  ASSERT_GT(size, 8192u);
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);
    const std::string garbage(size - 4096, '\x5a');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
}

TEST_F(SqliteStoreTest, OpenInMissingDirectoryIsUnavailable) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(dir_ + "/no/such/dir/store.db");
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("/no/such/dir/store.db"));
}

TEST_F(SqliteStoreTest, OpenDirectoryIsUnavailable) {
  const std::string sub = dir_ + "/sub";
  ASSERT_TRUE(std::filesystem::create_directory(sub));
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(sub);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable) << store.status();
}

TEST_F(SqliteStoreTest, SecondOpenOfTheSameFileIsFailedPrecondition) {
  std::unique_ptr<SqliteStore> first = MustOpen();
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::unique_ptr<SqliteStore>> second = SqliteStore::Open(path_);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
  EXPECT_THAT(second.status().message(), HasSubstr("already open"));
  MustWrite(*first, Create("/a", "v"));
  first->Close();
  std::unique_ptr<SqliteStore> reopened = MustOpen();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->Revision(), 1);
}

TEST_F(SqliteStoreTest, OpenUnknownSchemaVersionIsFailedPrecondition) {
  ASSERT_NE(MustOpen(), nullptr);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = 99 WHERE name = 'schema_version'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
}

// Crash recovery: a child process writes as fast as it can, reporting each acknowledged write
// on a pipe; the parent SIGKILLs it mid-load and reopens the file. Every acknowledged write
// must be there, untorn, with its revision, and the log must have no holes.
void RunWriterChild(const std::string& path, int round, int out_fd) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  if (!store.ok()) _exit(2);
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  constexpr int kMaxInFlight = 64;
  for (int i = 0;; ++i) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return in_flight < kMaxInFlight; });
      ++in_flight;
    }
    std::string key = "/crash/" + std::to_string(round) + "/" + std::to_string(i);
    std::string value = ValueFor(key);
    (*store)->Write(Create(key, std::move(value)), [&, key](absl::StatusOr<KeyValue> kv) {
      if (!kv.ok()) _exit(3);
      const std::string line = key + " " + std::to_string(kv->mod_revision) + "\n";
      if (write(out_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(4);
      std::lock_guard<std::mutex> lock(mu);
      --in_flight;
      cv.notify_one();
    });
  }
}

TEST_F(SqliteStoreTest, AcknowledgedWritesSurviveSigkill) {
  std::map<std::string, int64_t> acked;
  for (int round = 0; round < 3; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      RunWriterChild(path_, round, fds[1]);
      _exit(0);
    }
    close(fds[1]);
    FILE* in = fdopen(fds[0], "r");
    ASSERT_NE(in, nullptr);
    const size_t kill_after = 500 + 400 * round;
    size_t seen = 0;
    bool killed = false;
    char* line = nullptr;
    size_t cap = 0;
    // Lines already in the pipe when the child dies were acknowledged too: read to EOF.
    while (getline(&line, &cap, in) > 0) {
      char key[128];
      long long revision = 0;
      ASSERT_EQ(sscanf(line, "%127s %lld", key, &revision), 2) << line;
      acked[key] = revision;
      if (++seen == kill_after && !killed) {
        ASSERT_EQ(kill(pid, SIGKILL), 0);
        killed = true;
      }
    }
    free(line);
    fclose(in);
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "the writer stopped by itself, status " << wstatus;

    std::unique_ptr<SqliteStore> store = MustOpen();
    ASSERT_NE(store, nullptr);
    for (const auto& [key, revision] : acked) {
      absl::StatusOr<KeyValue> kv = store->Get(key);
      ASSERT_TRUE(kv.ok()) << "acknowledged write lost: " << key << " " << kv.status();
      EXPECT_EQ(kv->mod_revision, revision) << key;
      EXPECT_EQ(*kv->value, ValueFor(key)) << "torn value for " << key;
    }
    // Only creates of fresh keys happened: the live keys' revisions must be exactly 1..N.
    absl::StatusOr<ListResult> all = store->List("");
    ASSERT_TRUE(all.ok());
    std::vector<bool> present(store->Revision() + 1, false);
    for (const KeyValue& kv : all->kvs) {
      ASSERT_LE(kv.mod_revision, store->Revision());
      EXPECT_EQ(*kv.value, ValueFor(kv.key)) << "torn value for " << kv.key;
      EXPECT_FALSE(present[kv.mod_revision]) << "revision used twice: " << kv.mod_revision;
      present[kv.mod_revision] = true;
    }
    EXPECT_EQ(static_cast<int64_t>(all->kvs.size()), store->Revision()) << "holes in the log";
    absl::StatusOr<std::vector<Event>> log = store->EventsSince(0, "");
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_EQ(static_cast<int64_t>(log->size()), store->Revision());
    for (size_t i = 0; i < log->size(); ++i) ASSERT_EQ((*log)[i].revision(), int64_t(i + 1));
  }
}

}  // namespace
}  // namespace shoal::store
