// CommitLoop's commit delay: writes that come at their own pace share commits; a writer that
// waits for its own write is not held back; Close does not wait out a delay. The rest of the
// loop is covered through the stores (store_conformance_test, sqlite_store_test).
#include "store/internal/commit_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace shoal::store::internal {
namespace {

using std::chrono::milliseconds;

// A loop whose persist only counts its calls (one call = one commit = one fsync on disk).
struct Loop {
  explicit Loop(std::chrono::microseconds delay) {
    CommitLoopOptions o;
    o.commit_delay = delay;
    o.persist = [this](const std::vector<Event>& events) {
      persists.fetch_add(1);
      persisted.fetch_add(static_cast<int64_t>(events.size()));
      return absl::OkStatus();
    };
    loop = std::make_unique<CommitLoop>(std::move(o), KeyIndex(), 0);
    loop->Start();
  }
  std::future<absl::StatusOr<KeyValue>> Create(const std::string& key) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<KeyValue>>>();
    auto result = promise->get_future();
    loop->Write(WriteOp{WriteOp::Kind::kCreate, key, "v", 0, nullptr},
                [promise](absl::StatusOr<KeyValue> kv) { promise->set_value(std::move(kv)); });
    return result;
  }

  std::atomic<int64_t> persists{0};
  std::atomic<int64_t> persisted{0};
  std::unique_ptr<CommitLoop> loop;
};

TEST(CommitLoopDelayTest, WritesThatComeAtTheirOwnPaceShareCommits) {
  // One write every millisecond, none waiting for the one before: with a 20 ms delay they
  // gather into batches of up to CommitLoop::kDelayTarget (each would otherwise find the loop
  // idle and commit alone).
  Loop l(milliseconds(20));
  std::vector<std::future<absl::StatusOr<KeyValue>>> results;
  constexpr int kWrites = 200;
  for (int i = 0; i < kWrites; ++i) {
    results.push_back(l.Create("/k/" + std::to_string(i)));
    std::this_thread::sleep_for(milliseconds(1));
  }
  for (int i = 0; i < kWrites; ++i) {
    absl::StatusOr<KeyValue> kv = results[i].get();
    ASSERT_TRUE(kv.ok()) << kv.status();
    EXPECT_EQ(kv->mod_revision, i + 1);  // in order, none lost
  }
  EXPECT_EQ(l.persisted.load(), kWrites);
  EXPECT_LE(l.persists.load(), kWrites / 2) << "the writes did not share commits";
  const CommitStats st = l.loop->Stats();
  EXPECT_GT(st.delays, 0);
  EXPECT_EQ(st.batches, l.persists.load());
  EXPECT_LT(st.fruitless_delays, st.delays);
}

TEST(CommitLoopDelayTest, AWriterThatWaitsForEachWriteIsNotHeldBack) {
  // Each write waits for the one before: a wait for more writes can never collect one. After
  // four fruitless waits the loop stops waiting for a second, far longer than these writes
  // take.
  Loop l(milliseconds(50));
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<KeyValue> kv = l.Create("/k/" + std::to_string(i)).get();
    ASSERT_TRUE(kv.ok()) << kv.status();
  }
  const CommitStats st = l.loop->Stats();
  EXPECT_EQ(st.batches, 100);
  EXPECT_EQ(st.delays, 4);
  EXPECT_EQ(st.fruitless_delays, 4);
  EXPECT_EQ(st.delay_pauses, 1);
}

TEST(CommitLoopDelayTest, AWaitEndsOnceItHasGatheredItsTarget) {
  // A 5 s delay: the writes after the first find the loop busy; the batch is committed as soon
  // as kDelayTarget writes are queued, not after 5 s.
  Loop l(milliseconds(5000));
  ASSERT_TRUE(l.Create("/k/first").get().ok());
  std::vector<std::future<absl::StatusOr<KeyValue>>> results;
  results.push_back(l.Create("/k/0"));
  std::this_thread::sleep_for(milliseconds(50));  // the loop now waits for more
  ASSERT_EQ(results[0].wait_for(milliseconds(0)), std::future_status::timeout);
  for (size_t i = 1; i < CommitLoop::kDelayTarget; ++i) {
    results.push_back(l.Create("/k/" + std::to_string(i)));
  }
  for (auto& r : results) {
    ASSERT_EQ(r.wait_for(milliseconds(2500)), std::future_status::ready);
    ASSERT_TRUE(r.get().ok());
  }
  EXPECT_EQ(l.persists.load(), 2);
  EXPECT_EQ(l.loop->Stats().delays, 1);
}

TEST(CommitLoopDelayTest, NoDelayWithoutACommitDelay) {
  Loop l(std::chrono::microseconds(0));
  std::vector<std::future<absl::StatusOr<KeyValue>>> results;
  for (int i = 0; i < 50; ++i) results.push_back(l.Create("/k/" + std::to_string(i)));
  for (auto& r : results) ASSERT_TRUE(r.get().ok());
  EXPECT_EQ(l.loop->Stats().delays, 0);
}

TEST(CommitLoopDelayTest, CloseDuringADelayCommitsWhatIsQueued) {
  // A long delay: the second write arrives while the loop is busy and starts one; Close ends
  // it, and both writes are committed, not failed.
  Loop l(milliseconds(5000));
  ASSERT_TRUE(l.Create("/k/a").get().ok());
  auto second = l.Create("/k/b");
  // Wait until the loop is in its delay (it counts the delay only at its end, so poll the
  // write instead: it must still be pending).
  std::this_thread::sleep_for(milliseconds(100));
  ASSERT_EQ(second.wait_for(milliseconds(0)), std::future_status::timeout)
      << "the second write was committed without waiting";
  const auto closing = std::chrono::steady_clock::now();
  l.loop->Close();
  EXPECT_LT(std::chrono::steady_clock::now() - closing, milliseconds(4000));
  absl::StatusOr<KeyValue> kv = second.get();
  ASSERT_TRUE(kv.ok()) << kv.status();
  EXPECT_EQ(kv->mod_revision, 2);
  EXPECT_EQ(l.loop->Stats().delays, 1);
}

}  // namespace
}  // namespace shoal::store::internal
