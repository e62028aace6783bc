// The Store conformance suite: one set of tests, run against every backend (MemoryStore and
// SqliteStore), so that they all keep the contract of store.h. Backend-specific behaviour
// (durability, recovery, corruption) is tested next to each backend.
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/memory_store.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace shoal::store {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

struct MemoryBackend {
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& dir) {
    return std::make_unique<MemoryStore>();
  }
};

struct SqliteBackend {
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& dir) {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir + "/store.db");
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
};

WriteOp Create(std::string key, std::string value) {
  return WriteOp{WriteOp::Kind::kCreate, std::move(key), std::move(value), 0};
}
WriteOp Update(std::string key, std::string value, int64_t expected = 0) {
  return WriteOp{WriteOp::Kind::kUpdate, std::move(key), std::move(value), expected};
}
WriteOp Delete(std::string key, int64_t expected = 0) {
  return WriteOp{WriteOp::Kind::kDelete, std::move(key), "", expected};
}

// A compact, comparable view of an event: "PUT key=value@rev(create) prev=value@rev".
std::string Describe(const Event& e) {
  std::string out = e.type == EventType::kPut ? "PUT " : "DELETE ";
  out += e.kv.key + "=" + (e.kv.value ? *e.kv.value : "<null>") + "@" +
         std::to_string(e.kv.mod_revision) + "(" + std::to_string(e.kv.create_revision) + ")";
  if (e.prev.has_value()) {
    out += " prev=" + *e.prev->value + "@" + std::to_string(e.prev->mod_revision);
  }
  return out;
}

std::vector<std::string> Describe(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) out.push_back(Describe(e));
  return out;
}

std::vector<std::string> Keys(const ListResult& list) {
  std::vector<std::string> out;
  for (const KeyValue& kv : list.kvs) out.push_back(kv.key);
  return out;
}

// Records every batch a commit listener receives.
class Recorder {
 public:
  CommitListener Listener() {
    return [this](const std::vector<Event>& events) {
      std::lock_guard<std::mutex> lock(mu_);
      batches_++;
      events_.insert(events_.end(), events.begin(), events.end());
    };
  }
  std::vector<Event> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  int batches() {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }

 private:
  std::mutex mu_;
  std::vector<Event> events_;
  int batches_ = 0;
};

template <typename Backend>
class StoreConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "shoal_store_conformance.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    absl::StatusOr<std::unique_ptr<Store>> store = Backend::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  void TearDown() override {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  Store& store() { return *store_; }

  // Writes `op` and expects success.
  KeyValue MustWrite(WriteOp op) {
    absl::StatusOr<KeyValue> kv = store_->WriteSync(std::move(op));
    EXPECT_TRUE(kv.ok()) << kv.status();
    return kv.ok() ? *kv : KeyValue{};
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

using Backends = ::testing::Types<MemoryBackend, SqliteBackend>;
class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryBackend> ? "Memory" : "Sqlite";
  }
};
TYPED_TEST_SUITE(StoreConformanceTest, Backends, BackendNames);

TYPED_TEST(StoreConformanceTest, CreateGetUpdateDelete) {
  Store& s = this->store();
  EXPECT_EQ(s.Revision(), 0);

  KeyValue created = this->MustWrite(Create("/a", "v1"));
  EXPECT_EQ(created.key, "/a");
  EXPECT_EQ(*created.value, "v1");
  EXPECT_EQ(created.create_revision, 1);
  EXPECT_EQ(created.mod_revision, 1);
  EXPECT_EQ(s.Revision(), 1);

  absl::StatusOr<KeyValue> got = s.Get("/a");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got->value, "v1");
  EXPECT_EQ(got->mod_revision, 1);

  KeyValue updated = this->MustWrite(Update("/a", "v2", 1));
  EXPECT_EQ(*updated.value, "v2");
  EXPECT_EQ(updated.create_revision, 1);
  EXPECT_EQ(updated.mod_revision, 2);
  EXPECT_EQ(*s.Get("/a")->value, "v2");

  KeyValue deleted = this->MustWrite(Delete("/a", 2));
  EXPECT_EQ(*deleted.value, "v2") << "a delete returns the last value";
  EXPECT_EQ(deleted.create_revision, 1);
  EXPECT_EQ(deleted.mod_revision, 3);
  EXPECT_EQ(s.Get("/a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.Revision(), 3);
}

TYPED_TEST(StoreConformanceTest, CreateOfLiveKeyIsAlreadyExistsAndConsumesNoRevision) {
  Store& s = this->store();
  this->MustWrite(Create("/a", "v1"));
  EXPECT_EQ(s.WriteSync(Create("/a", "v2")).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(*s.Get("/a")->value, "v1");
  EXPECT_EQ(s.Revision(), 1);
  EXPECT_EQ(this->MustWrite(Create("/b", "v")).mod_revision, 2);
}

TYPED_TEST(StoreConformanceTest, UpdateAndDeleteOfMissingKeyAreNotFound) {
  Store& s = this->store();
  EXPECT_EQ(s.WriteSync(Update("/missing", "v")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.WriteSync(Delete("/missing")).status().code(), absl::StatusCode::kNotFound);
  this->MustWrite(Create("/a", "v"));
  this->MustWrite(Delete("/a"));
  EXPECT_EQ(s.WriteSync(Update("/a", "v")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.WriteSync(Delete("/a")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.Revision(), 2);
}

TYPED_TEST(StoreConformanceTest, TxnCommitsAllOpsWithConsecutiveRevisionsInOneBatch) {
  Recorder recorder;
  this->store().AddCommitListener(recorder.Listener());
  KeyValue a = this->MustWrite(Create("/a", "1"));
  std::vector<WriteOp> ops;
  ops.push_back(Update("/a", "2", a.mod_revision));
  ops.push_back(Create("/b", "1"));
  ops.push_back(Update("/b", "2"));  // sees the create before it
  absl::StatusOr<std::vector<KeyValue>> kvs = this->store().TxnSync(std::move(ops));
  ASSERT_TRUE(kvs.ok()) << kvs.status();
  ASSERT_THAT(*kvs, SizeIs(3));
  EXPECT_EQ((*kvs)[0].mod_revision, a.mod_revision + 1);
  EXPECT_EQ((*kvs)[2].mod_revision, a.mod_revision + 3);
  EXPECT_EQ(*(*kvs)[2].value, "2");
  EXPECT_EQ(this->store().Revision(), a.mod_revision + 3);
  EXPECT_EQ(recorder.batches(), 2);
  EXPECT_THAT(Describe(recorder.events()),
              ElementsAre("PUT /a=1@1(1)", "PUT /a=2@2(1) prev=1@1", "PUT /b=1@3(3)",
                          "PUT /b=2@4(3) prev=1@3"));
}

TYPED_TEST(StoreConformanceTest, FailedTxnAppliesNothingAndConsumesNoRevision) {
  KeyValue a = this->MustWrite(Create("/a", "1"));
  this->MustWrite(Create("/c", "1"));
  for (WriteOp bad : {Update("/a", "x", a.mod_revision + 7), Create("/c", "again"),
                      Delete("/missing")}) {
    std::vector<WriteOp> ops;
    ops.push_back(Create("/b", "1"));
    ops.push_back(Update("/a", "2", a.mod_revision));
    ops.push_back(bad);
    absl::StatusOr<std::vector<KeyValue>> kvs = this->store().TxnSync(std::move(ops));
    ASSERT_FALSE(kvs.ok());
    EXPECT_TRUE(absl::IsAborted(kvs.status()) || absl::IsAlreadyExists(kvs.status()) ||
                absl::IsNotFound(kvs.status()))
        << kvs.status();
    EXPECT_EQ(this->store().Revision(), 2);
    EXPECT_TRUE(absl::IsNotFound(this->store().Get("/b").status()));
    EXPECT_EQ(*this->store().Get("/a")->value, "1");
  }
  // A write queued after a failed transaction sees none of it.
  EXPECT_EQ(this->MustWrite(Create("/b", "ok")).mod_revision, 3);
}

TYPED_TEST(StoreConformanceTest, ConcurrentTxnsAndWritesNeverInterleaveHalfATxn) {
  Recorder recorder;
  this->store().AddCommitListener(recorder.Listener());
  constexpr int kTxns = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kTxns; ++i) {
        std::string p = "/t" + std::to_string(t) + "/" + std::to_string(i) + "/";
        std::vector<WriteOp> ops;
        for (int k = 0; k < 5; ++k) ops.push_back(Create(p + std::to_string(k), "v"));
        EXPECT_TRUE(this->store().TxnSync(std::move(ops)).ok());
        this->MustWrite(Create(p + "single", "v"));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  // The five ops of each transaction carry consecutive revisions.
  std::map<std::string, std::vector<int64_t>> by_txn;
  for (const Event& e : recorder.events()) {
    if (e.kv.key.ends_with("single")) continue;
    by_txn[e.kv.key.substr(0, e.kv.key.rfind('/'))].push_back(e.revision());
  }
  ASSERT_THAT(by_txn, SizeIs(2 * kTxns));
  for (const auto& [txn, revs] : by_txn) {
    ASSERT_THAT(revs, SizeIs(5));
    EXPECT_EQ(revs.back() - revs.front(), 4) << txn;
  }
}

TYPED_TEST(StoreConformanceTest, StaleExpectedModRevisionIsAborted) {
  Store& s = this->store();
  this->MustWrite(Create("/a", "v1"));
  this->MustWrite(Update("/a", "v2", 1));
  absl::StatusOr<KeyValue> stale = s.WriteSync(Update("/a", "v3", 1));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(s.WriteSync(Delete("/a", 1)).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(*s.Get("/a")->value, "v2");
  EXPECT_EQ(s.Revision(), 2);
  // 0 means "whatever it is".
  EXPECT_EQ(this->MustWrite(Update("/a", "v4", 0)).mod_revision, 3);
}

TYPED_TEST(StoreConformanceTest, RevisionIsSharedAcrossKeysAndMonotonic) {
  Store& s = this->store();
  EXPECT_EQ(this->MustWrite(Create("/a", "1")).mod_revision, 1);
  EXPECT_EQ(this->MustWrite(Create("/b", "2")).mod_revision, 2);
  EXPECT_EQ(this->MustWrite(Update("/a", "3")).mod_revision, 3);
  EXPECT_EQ(this->MustWrite(Delete("/b")).mod_revision, 4);
  EXPECT_EQ(this->MustWrite(Create("/c", "5")).mod_revision, 5);
  EXPECT_EQ(s.Revision(), 5);
  EXPECT_EQ(s.Get("/a")->create_revision, 1);
  EXPECT_EQ(s.Get("/a")->mod_revision, 3);
}

TYPED_TEST(StoreConformanceTest, CreateAfterDeleteStartsANewIncarnation) {
  Store& s = this->store();
  this->MustWrite(Create("/a", "v1"));
  this->MustWrite(Delete("/a"));
  KeyValue again = this->MustWrite(Create("/a", "v2"));
  EXPECT_EQ(again.create_revision, 3);
  EXPECT_EQ(again.mod_revision, 3);
  EXPECT_EQ(s.Get("/a")->create_revision, 3);
}

TYPED_TEST(StoreConformanceTest, ListReturnsLiveKeysWithPrefixSortedByKey) {
  Store& s = this->store();
  for (const char* key :
       {"/pods/ns1/b", "/pods/ns2/a", "/pods/ns1/a", "/nodes/n1", "/pods/ns1/c"}) {
    this->MustWrite(Create(key, std::string("value of ") + key));
  }
  this->MustWrite(Delete("/pods/ns1/c"));

  absl::StatusOr<ListResult> pods = s.List("/pods/ns1/");
  ASSERT_TRUE(pods.ok()) << pods.status();
  EXPECT_THAT(Keys(*pods), ElementsAre("/pods/ns1/a", "/pods/ns1/b"));
  EXPECT_EQ(*pods->kvs[0].value, "value of /pods/ns1/a");
  EXPECT_EQ(pods->kvs[0].mod_revision, 3);
  EXPECT_EQ(pods->revision, 6);

  EXPECT_THAT(Keys(*s.List("")),
              ElementsAre("/nodes/n1", "/pods/ns1/a", "/pods/ns1/b", "/pods/ns2/a"));
  EXPECT_THAT(s.List("/services/")->kvs, IsEmpty());
}

TYPED_TEST(StoreConformanceTest, WritesAreEvaluatedInQueueOrderIncludingTheirOwnBatch) {
  Store& s = this->store();
  this->MustWrite(Create("/other", "x"));
  // Queued back to back, these likely share a batch; the answers must not depend on it.
  std::vector<std::promise<absl::StatusOr<KeyValue>>> results(5);
  auto done = [&](int i) {
    return [&results, i](absl::StatusOr<KeyValue> kv) { results[i].set_value(std::move(kv)); };
  };
  s.Write(Create("/a", "v1"), done(0));
  s.Write(Create("/a", "dup"), done(1));
  s.Write(Update("/a", "v2", 2), done(2));
  s.Write(Update("/a", "stale", 2), done(3));
  s.Write(Delete("/a", 3), done(4));
  std::vector<absl::StatusOr<KeyValue>> r;
  for (auto& p : results) r.push_back(p.get_future().get());
  ASSERT_TRUE(r[0].ok()) << r[0].status();
  EXPECT_EQ(r[0]->mod_revision, 2);
  EXPECT_EQ(r[1].status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(r[2].ok()) << r[2].status();
  EXPECT_EQ(r[2]->mod_revision, 3);
  EXPECT_EQ(r[3].status().code(), absl::StatusCode::kAborted);
  ASSERT_TRUE(r[4].ok()) << r[4].status();
  EXPECT_EQ(r[4]->mod_revision, 4);
  EXPECT_EQ(*r[4]->value, "v2");
  EXPECT_EQ(s.Revision(), 4);
}

TYPED_TEST(StoreConformanceTest, StampRewritesTheValueWithItsRevisionEverywhere) {
  Recorder recorder;
  this->store().AddCommitListener(recorder.Listener());
  auto stamp = [](std::string_view value, int64_t revision) {
    return std::string(value) + "#" + std::to_string(revision);
  };
  this->MustWrite(Create("/x", "unrelated"));
  WriteOp create = Create("/a", "v1");
  create.stamp = stamp;
  KeyValue created = this->MustWrite(std::move(create));
  EXPECT_EQ(*created.value, "v1#2");
  WriteOp update = Update("/a", "v2", 2);
  update.stamp = stamp;
  KeyValue updated = this->MustWrite(std::move(update));
  EXPECT_EQ(*updated.value, "v2#3");
  // A failed precondition does not call the stamp or consume a revision.
  WriteOp stale = Update("/a", "v3", 2);
  stale.stamp = [](std::string_view, int64_t) -> std::string {
    ADD_FAILURE() << "stamp called for a write that failed its precondition";
    return "";
  };
  EXPECT_TRUE(absl::IsAborted(this->store().WriteSync(std::move(stale)).status()));

  EXPECT_EQ(*this->store().Get("/a")->value, "v2#3");
  EXPECT_THAT(Describe(recorder.events()),
              ElementsAre("PUT /x=unrelated@1(1)", "PUT /a=v1#2@2(2)", "PUT /a=v2#3@3(2) prev=v1#2@2"));
  EXPECT_THAT(Describe(*this->store().EventsSince(1, "/a")),
              ElementsAre("PUT /a=v1#2@2(2)", "PUT /a=v2#3@3(2) prev=v1#2@2"));
}

TYPED_TEST(StoreConformanceTest, ListenerSeesEveryEventInOrderWithPrevValues) {
  Store& s = this->store();
  Recorder recorder;
  s.AddCommitListener(recorder.Listener());
  this->MustWrite(Create("/a", "v1"));
  this->MustWrite(Update("/a", "v2"));
  this->MustWrite(Create("/b", "w1"));
  this->MustWrite(Delete("/a"));
  EXPECT_EQ(s.WriteSync(Create("/b", "dup")).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Describe(recorder.events()),
              ElementsAre("PUT /a=v1@1(1)", "PUT /a=v2@2(1) prev=v1@1", "PUT /b=w1@3(3)",
                          "DELETE /a=v2@4(1) prev=v2@2"));
}

// A write's hint reaches the listeners with its event (creates and updates), opaque and
// unchanged; a delete's event has none.
TYPED_TEST(StoreConformanceTest, ListenersGetEachWritesHint) {
  Store& s = this->store();
  Recorder recorder;
  s.AddCommitListener(recorder.Listener());
  auto created_hint = std::make_shared<const std::string>("created");
  auto updated_hint = std::make_shared<const std::string>("updated");
  WriteOp create = Create("/h", "v1");
  create.hint = created_hint;
  WriteOp update = Update("/h", "v2");
  update.hint = updated_hint;
  WriteOp del = Delete("/h");
  del.hint = created_hint;  // ignored: a delete's event carries the last value, not the op's
  this->MustWrite(std::move(create));
  this->MustWrite(std::move(update));
  this->MustWrite(std::move(del));
  this->MustWrite(Create("/plain", "v"));
  std::vector<Event> events = recorder.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].hint.get(), created_hint.get());
  EXPECT_EQ(events[1].hint.get(), updated_hint.get());
  EXPECT_EQ(events[2].hint, nullptr);
  EXPECT_EQ(events[3].hint, nullptr);
}

TYPED_TEST(StoreConformanceTest, ListenerAddedLaterSeesOnlyLaterEvents) {
  Store& s = this->store();
  this->MustWrite(Create("/a", "v1"));
  Recorder recorder;
  s.AddCommitListener(recorder.Listener());
  this->MustWrite(Create("/b", "v1"));
  EXPECT_THAT(Describe(recorder.events()), ElementsAre("PUT /b=v1@2(2)"));
}

TYPED_TEST(StoreConformanceTest, CallbackRunsAfterListenersAndSeesTheWriteInGet) {
  Store& s = this->store();
  std::atomic<int64_t> listened{0};
  s.AddCommitListener(
      [&](const std::vector<Event>& events) { listened.store(events.back().revision()); });
  std::promise<std::string> checked;
  s.Write(Create("/a", "v1"), [&](absl::StatusOr<KeyValue> kv) {
    if (!kv.ok()) return checked.set_value(kv.status().ToString());
    if (listened.load() < kv->mod_revision) return checked.set_value("listener not called yet");
    absl::StatusOr<KeyValue> got = s.Get("/a");
    if (!got.ok() || got->mod_revision != kv->mod_revision) {
      return checked.set_value("Get does not see the acknowledged write");
    }
    checked.set_value("ok");
  });
  EXPECT_EQ(checked.get_future().get(), "ok");
}

TYPED_TEST(StoreConformanceTest, CallbackMayQueueAnotherWrite) {
  Store& s = this->store();
  std::promise<absl::StatusOr<KeyValue>> second;
  s.Write(Create("/a", "v1"), [&](absl::StatusOr<KeyValue> kv) {
    s.Write(Update("/a", "v2", kv.ok() ? kv->mod_revision : -1),
            [&](absl::StatusOr<KeyValue> kv2) { second.set_value(std::move(kv2)); });
  });
  absl::StatusOr<KeyValue> result = second.get_future().get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->mod_revision, 2);
}

TYPED_TEST(StoreConformanceTest, EventsSinceReturnsHistoryWithPrevValues) {
  Store& s = this->store();
  this->MustWrite(Create("/pods/a", "a1"));   // 1
  this->MustWrite(Create("/nodes/n", "n1"));  // 2
  this->MustWrite(Update("/pods/a", "a2"));   // 3
  this->MustWrite(Delete("/pods/a"));         // 4
  this->MustWrite(Create("/pods/a", "a3"));   // 5

  absl::StatusOr<std::vector<Event>> all = s.EventsSince(0, "");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(
      Describe(*all),
      ElementsAre("PUT /pods/a=a1@1(1)", "PUT /nodes/n=n1@2(2)", "PUT /pods/a=a2@3(1) prev=a1@1",
                  "DELETE /pods/a=a2@4(1) prev=a2@3", "PUT /pods/a=a3@5(5)"));
  absl::StatusOr<std::vector<Event>> pods = s.EventsSince(2, "/pods/");
  ASSERT_TRUE(pods.ok()) << pods.status();
  EXPECT_THAT(Describe(*pods),
              ElementsAre("PUT /pods/a=a2@3(1) prev=a1@1", "DELETE /pods/a=a2@4(1) prev=a2@3",
                          "PUT /pods/a=a3@5(5)"));
  EXPECT_THAT(*s.EventsSince(5, ""), IsEmpty());
  EXPECT_THAT(*s.EventsSince(0, "/services/"), IsEmpty());
}

TYPED_TEST(StoreConformanceTest, CompactDropsHistoryButNotState) {
  Store& s = this->store();
  this->MustWrite(Create("/a", "a1"));  // 1
  this->MustWrite(Update("/a", "a2"));  // 2
  this->MustWrite(Create("/b", "b1"));  // 3
  this->MustWrite(Delete("/b"));        // 4
  this->MustWrite(Update("/a", "a3"));  // 5

  EXPECT_EQ(s.Compact(6).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(s.Compact(4).ok());
  EXPECT_EQ(s.CompactedRevision(), 4);
  EXPECT_TRUE(s.Compact(2).ok()) << "compacting an older revision is a no-op";
  EXPECT_EQ(s.CompactedRevision(), 4);

  EXPECT_EQ(s.EventsSince(3, "").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(s.EventsSince(0, "").status().code(), absl::StatusCode::kOutOfRange);
  absl::StatusOr<std::vector<Event>> rest = s.EventsSince(4, "");
  ASSERT_TRUE(rest.ok()) << rest.status();
  // The prev value of the first event after the compacted revision is still there.
  EXPECT_THAT(Describe(*rest), ElementsAre("PUT /a=a3@5(1) prev=a2@2"));

  EXPECT_EQ(*s.Get("/a")->value, "a3");
  EXPECT_EQ(s.Get("/b").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Keys(*s.List("")), ElementsAre("/a"));
  EXPECT_EQ(s.Revision(), 5);
  EXPECT_EQ(this->MustWrite(Update("/a", "a4", 5)).mod_revision, 6);
  EXPECT_THAT(Describe(*s.EventsSince(5, "")), ElementsAre("PUT /a=a4@6(1) prev=a3@5"));
}

TYPED_TEST(StoreConformanceTest, CompactToTheLatestRevisionAfterADelete) {
  Store& s = this->store();
  this->MustWrite(Create("/a", "a1"));
  this->MustWrite(Delete("/a"));
  ASSERT_TRUE(s.Compact(2).ok());
  EXPECT_EQ(s.Revision(), 2);
  EXPECT_THAT(*s.EventsSince(2, ""), IsEmpty());
  EXPECT_THAT(s.List("")->kvs, IsEmpty());
  EXPECT_EQ(this->MustWrite(Create("/a", "a2")).mod_revision, 3);
}

TYPED_TEST(StoreConformanceTest, ConcurrentWritersGetUniqueRevisionsSeenOnceInOrder) {
  constexpr int kThreads = 16;
  constexpr int kWritesPerThread = 200;
  Store& s = this->store();
  Recorder recorder;
  s.AddCommitListener(recorder.Listener());

  std::vector<std::vector<int64_t>> acked(kThreads);
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        const std::string key = "/k/" + std::to_string(t) + "/" + std::to_string(i);
        absl::StatusOr<KeyValue> kv = s.WriteSync(Create(key, std::string(100, 'x')));
        acked[t].push_back(kv.ok() ? kv->mod_revision : -1);
      }
    });
  }
  for (std::thread& w : writers) w.join();

  constexpr int kTotal = kThreads * kWritesPerThread;
  std::set<int64_t> revisions;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_THAT(acked[t], SizeIs(kWritesPerThread));
    for (size_t i = 0; i < acked[t].size(); ++i) {
      EXPECT_GT(acked[t][i], 0);
      if (i > 0) {
        EXPECT_GT(acked[t][i], acked[t][i - 1]) << "one writer's revisions increase";
      }
      revisions.insert(acked[t][i]);
    }
  }
  EXPECT_THAT(revisions, SizeIs(kTotal)) << "every acknowledged revision is unique";
  EXPECT_EQ(*revisions.begin(), 1);
  EXPECT_EQ(*revisions.rbegin(), kTotal);
  EXPECT_EQ(s.Revision(), kTotal);

  std::vector<Event> events = recorder.events();
  ASSERT_THAT(events, SizeIs(kTotal));
  for (int i = 0; i < kTotal; ++i) ASSERT_EQ(events[i].revision(), i + 1);
  EXPECT_LT(recorder.batches(), kTotal) << "concurrent writes should share commits";
  EXPECT_THAT(s.List("/k/")->kvs, SizeIs(kTotal));
}

TYPED_TEST(StoreConformanceTest, ConcurrentConditionalUpdatesLoseNoIncrement) {
  constexpr int kThreads = 8;
  constexpr int kIncrementsPerThread = 50;
  Store& s = this->store();
  this->MustWrite(Create("/counter", "0"));
  std::atomic<int> conflicts{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&] {
      for (int done = 0; done < kIncrementsPerThread;) {
        absl::StatusOr<KeyValue> current = s.Get("/counter");
        if (!current.ok()) return;
        const std::string next = std::to_string(std::stoi(*current->value) + 1);
        absl::StatusOr<KeyValue> kv = s.WriteSync(Update("/counter", next, current->mod_revision));
        if (kv.ok()) {
          ++done;
        } else if (kv.status().code() == absl::StatusCode::kAborted) {
          conflicts++;
        } else {
          return;
        }
      }
    });
  }
  for (std::thread& w : writers) w.join();
  EXPECT_EQ(*s.Get("/counter")->value, std::to_string(kThreads * kIncrementsPerThread));
  EXPECT_EQ(s.Revision(), 1 + kThreads * kIncrementsPerThread) << "conflicts take no revision";
}

TYPED_TEST(StoreConformanceTest, CloseFinishesQueuedWritesThenRefusesWrites) {
  constexpr int kWrites = 300;
  Store& s = this->store();
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  for (int i = 0; i < kWrites; ++i) {
    s.Write(Create("/q/" + std::to_string(i), "v"),
            [&](absl::StatusOr<KeyValue> kv) { (kv.ok() ? ok : failed)++; });
  }
  s.Close();
  EXPECT_EQ(ok.load(), kWrites);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(s.Revision(), kWrites);
  EXPECT_EQ(s.WriteSync(Create("/late", "v")).status().code(), absl::StatusCode::kUnavailable);
  s.Close();  // idempotent
}

}  // namespace
}  // namespace shoal::store
