// Group-commit throughput of the store backends: N writer threads, each creating fresh keys with
// ~1.5 KB values through WriteSync (so at most N writes are in flight). items/s is acknowledged
// (durable) writes per second across all threads; `batch` is the mean writes per commit.
// The MemoryStore rows are the ceiling of the shared write path without SQLite and fsync; the
// sqlite_no_delay rows turn off the commit delay (SqliteStoreOptions::commit_delay). Writers
// that wait for their own write are the case the delay does not help: these rows show what
// it costs them.
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "store/memory_store.h"
#include "store/sqlite_store.h"

namespace shoal::store {
namespace {

constexpr size_t kValueBytes = 1536;

struct Fixture {
  std::string dir;
  std::unique_ptr<Store> store;
  std::atomic<int64_t> next_key{0};
  std::atomic<int64_t> commits{0};
};

// Set up by thread 0 before the benchmark loop; the loop's start barrier publishes it to the
// other threads, and its end barrier keeps it alive until they are all done.
Fixture* fixture = nullptr;

enum class Backend { kSqlite, kSqliteNoDelay, kMemory };

std::unique_ptr<Store> OpenStore(Backend backend, const std::string& dir) {
  if (backend == Backend::kMemory) return std::make_unique<MemoryStore>();
  SqliteStoreOptions options;
  if (backend == Backend::kSqliteNoDelay) options.commit_delay = std::chrono::microseconds(0);
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(dir + "/store.db", options);
  if (!store.ok()) return nullptr;
  return std::move(*store);
}

void BM_GroupCommit(benchmark::State& state, Backend backend) {
  if (state.thread_index() == 0) {
    fixture = new Fixture();
    std::string pattern = std::filesystem::temp_directory_path().string() + "/shoal_bench.XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) fixture->dir = pattern;
    fixture->store = OpenStore(backend, fixture->dir);
    if (fixture->store != nullptr) {
      fixture->store->AddCommitListener([f = fixture](const std::vector<Event>&) { f->commits++; });
    }
  }
  const std::string value(kValueBytes, 'v');
  for (auto _ : state) {
    if (fixture->store == nullptr) {
      state.SkipWithError("cannot open the store");
      break;
    }
    WriteOp op{WriteOp::Kind::kCreate,
               "/registry/pods/bench/pod-" + std::to_string(fixture->next_key.fetch_add(1)), value,
               0};
    absl::StatusOr<KeyValue> kv = fixture->store->WriteSync(std::move(op));
    if (!kv.ok()) {
      state.SkipWithError(kv.status().ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kValueBytes));
  if (state.thread_index() == 0) {
    if (fixture->store != nullptr) fixture->store->Close();
    const int64_t commits = fixture->commits.load();
    state.counters["batch"] =
        commits > 0 ? static_cast<double>(fixture->next_key.load()) / commits : 0;
    fixture->store.reset();
    std::error_code ignored;
    if (!fixture->dir.empty()) std::filesystem::remove_all(fixture->dir, ignored);
    delete fixture;
    fixture = nullptr;
  }
}

BENCHMARK_CAPTURE(BM_GroupCommit, sqlite, Backend::kSqlite)
    ->Threads(1)
    ->Threads(4)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_GroupCommit, sqlite_no_delay, Backend::kSqliteNoDelay)
    ->Threads(1)
    ->Threads(4)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_GroupCommit, memory, Backend::kMemory)
    ->Threads(1)
    ->Threads(4)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime();

}  // namespace
}  // namespace shoal::store
