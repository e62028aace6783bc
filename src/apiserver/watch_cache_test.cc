#include "apiserver/watch_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api/object.h"
#include "api/registry.h"
#include "base/strings.h"

namespace shoal::apiserver {
namespace {

const api::ResourceType& Pods() { return *api::Registry::Default().Find("", "v1", "pods"); }

std::string PodJson(const std::string& name, const std::string& node, const std::string& app) {
  return base::StrCat(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")", name,
                      R"(","namespace":"default","labels":{"app":")", app,
                      R"("}},"spec":{"nodeName":")", node, R"("}})");
}

// Applies a put (create or update) of pod `name` to `cache` at revision ++*rev.
void ApplyPut(WatchCache& cache, int64_t* rev, const std::string& name,
              const std::string& node = "", const std::string& app = "a") {
  store::Event e;
  e.type = store::EventType::kPut;
  e.kv.key = Pods().Key("default", name);
  e.kv.value = store::MakeBytes(PodJson(name, node, app));
  e.kv.mod_revision = ++*rev;
  cache.Apply(e);
}

class WatchCacheTest : public ::testing::Test {
 protected:
  WatchCacheTest() : cache_(Pods(), /*history=*/8, /*watcher_capacity=*/4) {}

  // Applies a put (create or update) at the next revision.
  void Put(const std::string& name, const std::string& node = "", const std::string& app = "a") {
    ApplyPut(cache_, &rev_, name, node, app);
  }
  void Del(const std::string& name) {
    store::Event e;
    e.type = store::EventType::kDelete;
    e.kv.key = Pods().Key("default", name);
    e.kv.value = store::MakeBytes(PodJson(name, "", "a"));
    e.kv.mod_revision = ++rev_;
    cache_.Apply(e);
  }
  std::vector<std::string> Names(const ListResult& r) {
    std::vector<std::string> out;
    for (const auto& o : r.items) out.push_back(o->name);
    return out;
  }
  Filter LabelFilter(const std::string& sel) {
    Filter f;
    f.labels = *api::LabelSelector::Parse(sel);
    return f;
  }

  WatchCache cache_;
  int64_t rev_ = 0;
};

TEST(MakeCachedObjectTest, SharesStampedBytesAndStampsOthers) {
  const std::string key = Pods().Key("default", "a");
  store::Bytes stamped = store::MakeBytes(api::InjectResourceVersion(PodJson("a", "n1", "x"), 7));
  ObjectPtr shared = MakeCachedObject(Pods(), key, stamped, 7);
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(shared->json.get(), stamped.get());  // the very same bytes, not a copy
  EXPECT_EQ(shared->name, "a");
  EXPECT_EQ(shared->ns, "default");

  // The last state of a deleted object is served with the delete's revision: a new copy.
  ObjectPtr deleted = MakeCachedObject(Pods(), key, stamped, 9);
  ASSERT_NE(deleted, nullptr);
  EXPECT_NE(deleted->json.get(), stamped.get());
  EXPECT_TRUE(api::HasResourceVersion(*deleted->json, 9));
  EXPECT_EQ(deleted->json->find("\"resourceVersion\":\"7\""), std::string::npos) << *deleted->json;
  EXPECT_EQ(MakeCachedObject(Pods(), key, store::MakeBytes("{not json"), 3), nullptr);
}

// FieldsOf (a write's hint, from the object the writer holds) reads what parsing the stored
// bytes reads.
TEST(MakeCachedObjectTest, FieldsOfTheWrittenObjectAreThoseOfItsBytes) {
  const std::string text = PodJson("a", "n1", "x");
  auto parsed = api::ParseJson(text);
  ASSERT_TRUE(parsed.ok() && parsed->is_object());
  std::shared_ptr<const ObjectFields> hint = FieldsOf(Pods(), parsed->get_object());
  ObjectPtr from_bytes = MakeCachedObject(Pods(), Pods().Key("default", "a"),
                                          store::MakeBytes(text), 3);
  ASSERT_NE(from_bytes, nullptr);
  EXPECT_EQ(hint->ns, from_bytes->ns);
  EXPECT_EQ(hint->name, from_bytes->name);
  EXPECT_EQ(hint->labels, from_bytes->labels);
  EXPECT_EQ(hint->fields, from_bytes->fields);
  EXPECT_FALSE(hint->fields.empty());
}

// An event's hint is used instead of parsing its value: here the hint says app=hinted while
// the bytes say app=a, and a watcher of app=hinted gets the event.
TEST_F(WatchCacheTest, AnEventsHintIsUsedInsteadOfItsBytes) {
  auto hinted = cache_.Watch(0, LabelFilter("app=hinted"), nullptr);
  ASSERT_TRUE(hinted.ok());
  auto parsed = api::ParseJson(PodJson("p", "n1", "hinted"));
  ASSERT_TRUE(parsed.ok());
  store::Event e;
  e.type = store::EventType::kPut;
  e.kv.key = Pods().Key("default", "p");
  e.kv.value = store::MakeBytes(PodJson("p", "n1", "a"));
  e.kv.mod_revision = ++rev_;
  e.hint = FieldsOf(Pods(), parsed->get_object());
  cache_.Apply(e);
  auto got = (*hinted)->Take(10);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].object->name, "p");
  // Without a hint the bytes decide: app=a, not the watcher's.
  Put("q", "n1", "a");
  EXPECT_TRUE((*hinted)->Take(10).empty());
  cache_.StopWatch(*hinted);
}

TEST_F(WatchCacheTest, GetAndListCarryTheRevisionInTheObject) {
  Put("a");
  Put("b");
  ObjectPtr a = cache_.Get(Pods().Key("default", "a"));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->rv, 1);
  EXPECT_NE(a->json->find(R"("resourceVersion":"1")"), std::string::npos);
  auto r = cache_.List({});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Names(*r), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->revision, 2);
}

TEST_F(WatchCacheTest, PaginationIsAConsistentSnapshot) {
  for (const char* n : {"a", "b", "c", "d"}) Put(n);
  ListOptions o;
  o.limit = 2;
  auto first = cache_.List(o);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Names(*first), (std::vector<std::string>{"a", "b"}));
  ASSERT_FALSE(first->continue_token.empty());
  // Changes after the first page must not show up in later pages.
  Del("c");
  Put("bb");
  Put("d", "node-9");
  o.continue_token = first->continue_token;
  auto second = cache_.List(o);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(Names(*second), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(second->revision, 4);
  EXPECT_EQ(second->items[1]->rv, 4);  // d as it was at the snapshot
  EXPECT_TRUE(second->continue_token.empty());
}

TEST_F(WatchCacheTest, ContinueTokenOlderThanHistoryIsGone) {
  for (const char* n : {"a", "b", "c"}) Put(n);
  ListOptions o;
  o.limit = 1;
  auto first = cache_.List(o);
  ASSERT_TRUE(first.ok());
  for (int i = 0; i < 10; ++i) Put("x");  // history holds 8 events
  o.continue_token = first->continue_token;
  auto r = cache_.List(o);
  EXPECT_TRUE(absl::IsOutOfRange(r.status())) << r.status();
}

TEST_F(WatchCacheTest, BadContinueTokenIsInvalid) {
  ListOptions o;
  o.continue_token = "%%%not-base64";
  EXPECT_TRUE(absl::IsInvalidArgument(cache_.List(o).status()));
}

TEST_F(WatchCacheTest, ExactResourceVersionListsThePast) {
  Put("a");
  Put("b");
  Del("a");
  ListOptions o;
  o.resource_version = "2";
  o.exact = true;
  auto r = cache_.List(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Names(*r), (std::vector<std::string>{"a", "b"}));
  o.resource_version = "99";
  EXPECT_TRUE(absl::IsDeadlineExceeded(cache_.List(o).status()));
}

TEST_F(WatchCacheTest, WatchFromRevisionReplaysExactlyTheLaterEvents) {
  Put("a");
  Put("b");
  Put("a");
  auto w = cache_.Watch(1, Filter{}, nullptr);
  ASSERT_TRUE(w.ok());
  auto events = (*w)->Take(100);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].rv, 2);
  EXPECT_EQ(events[0].type, CacheEvent::Type::kAdded);
  EXPECT_EQ(events[1].rv, 3);
  EXPECT_EQ(events[1].type, CacheEvent::Type::kModified);
  Del("b");
  events = (*w)->Take(100);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, CacheEvent::Type::kDeleted);
  EXPECT_EQ(events[0].rv, 4);
}

// Only live events carry the time the cache applied them (the start of the delivery delay): a
// replayed one would count its age in history as delay.
TEST_F(WatchCacheTest, OnlyLiveEventsCarryTheirApplyTime) {
  Put("a");
  auto w = cache_.Watch(0, Filter{}, nullptr);
  ASSERT_TRUE(w.ok());
  auto replay = cache_.Watch(1, Filter{}, nullptr);
  ASSERT_TRUE(replay.ok());
  auto initial = (*w)->Take(100);
  ASSERT_EQ(initial.size(), 1u);
  EXPECT_EQ(initial[0].applied, std::chrono::steady_clock::time_point{});
  const auto before = std::chrono::steady_clock::now();
  Put("b");
  auto live = (*w)->Take(100);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_GE(live[0].applied, before);
  EXPECT_LE(live[0].applied, std::chrono::steady_clock::now());
  Put("c");
  auto again = cache_.Watch(2, Filter{}, nullptr);  // replays c from history
  ASSERT_TRUE(again.ok());
  auto replayed = (*again)->Take(100);
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed[0].applied, std::chrono::steady_clock::time_point{});
}

// A live event carries one SharedParse for all the share_parse watchers it reaches: the first
// Get parses the event's object, the others get that same object. Other watchers' events,
// and initial and replayed events, like the history they come from, carry none (a parsed
// object lives only as long as its event).
TEST_F(WatchCacheTest, LiveEventsShareOneParseAmongTheirWatchers) {
  Put("a");
  auto w1 = cache_.Watch(0, Filter{}, nullptr, /*share_parse=*/true);
  auto w2 = cache_.Watch(0, LabelFilter("app=web"), nullptr, /*share_parse=*/true);
  auto plain = cache_.Watch(0, Filter{}, nullptr);
  ASSERT_TRUE(w1.ok() && w2.ok() && plain.ok());
  (*plain)->Take(100);
  auto initial = (*w1)->Take(100);
  ASSERT_EQ(initial.size(), 1u);
  EXPECT_EQ(initial[0].parsed, nullptr);
  Put("b", "n1", "web");
  auto e1 = (*w1)->Take(100);
  auto e2 = (*w2)->Take(100);
  ASSERT_EQ(e1.size(), 1u);
  ASSERT_EQ(e2.size(), 1u);
  ASSERT_NE(e1[0].parsed, nullptr);
  EXPECT_EQ(e1[0].parsed, e2[0].parsed);
  auto unshared = (*plain)->Take(100);
  ASSERT_EQ(unshared.size(), 1u);
  EXPECT_EQ(unshared[0].parsed, nullptr);
  auto object = e1[0].parsed->Get(*e1[0].object);
  ASSERT_NE(object, nullptr);
  EXPECT_EQ(object, e2[0].parsed->Get(*e2[0].object));
  EXPECT_EQ(api::StringAt(*object, "metadata.name"), "b");
  EXPECT_EQ(api::StringAt(*object, "metadata.resourceVersion"), std::to_string(e1[0].rv));
  auto replay = cache_.Watch(1, Filter{}, nullptr, true);  // replays b from history
  ASSERT_TRUE(replay.ok());
  auto replayed = (*replay)->Take(100);
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed[0].parsed, nullptr);
  for (auto* w : {&w1, &w2, &plain, &replay}) cache_.StopWatch(**w);
}

TEST_F(WatchCacheTest, WatchFromZeroStartsWithTheCurrentState) {
  Put("a");
  Put("b");
  auto w = cache_.Watch(0, Filter{}, nullptr);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->initial_count(), 2u);
  auto events = (*w)->Take(100);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, CacheEvent::Type::kAdded);
}

TEST_F(WatchCacheTest, WatchFromTooOldRevisionIsOutOfRange) {
  for (int i = 0; i < 12; ++i) Put("a");
  EXPECT_TRUE(absl::IsOutOfRange(cache_.Watch(1, Filter{}, nullptr).status()));
  EXPECT_TRUE(cache_.Watch(11, Filter{}, nullptr).ok());
}

TEST(WatchCacheHistoryTest, EventsOlderThanTheMaxAgeLeaveTheHistory) {
  // A large capacity and a 50 ms age bound: only age trims here.
  WatchCache cache(Pods(), /*history=*/1000, /*watcher_capacity=*/100,
                   std::chrono::milliseconds(50));
  int64_t rev = 0;
  auto put = [&](const std::string& name) { ApplyPut(cache, &rev, name); };
  for (const char* n : {"a", "b", "c"}) put(n);
  ListOptions o;
  o.limit = 1;
  auto first = cache.List(o);
  ASSERT_TRUE(first.ok());
  put("a");  // rev 4, within the age bound: the snapshot at 3 can still be rolled back to
  o.continue_token = first->continue_token;
  ASSERT_TRUE(cache.List(o).ok());
  EXPECT_TRUE(cache.Watch(1, Filter{}, nullptr).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  put("b");  // rev 5: revisions 1-4 are now older than 50 ms and leave
  auto r = cache.List(o);
  EXPECT_TRUE(absl::IsOutOfRange(r.status())) << r.status();
  EXPECT_TRUE(absl::IsOutOfRange(cache.Watch(3, Filter{}, nullptr).status()));
  // A watch from the last trimmed revision still gets every later event.
  auto w = cache.Watch(4, Filter{}, nullptr);
  ASSERT_TRUE(w.ok()) << w.status();
  std::vector<CacheEvent> events = (*w)->Take(10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].rv, 5);
  // The current state is whole.
  auto all = cache.List(ListOptions{});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 3u);
}

TEST_F(WatchCacheTest, LabelTransitionsBecomeAddedAndDeleted) {
  Put("a", "", "x");
  auto w = cache_.Watch(1, LabelFilter("app=y"), nullptr);
  ASSERT_TRUE(w.ok());
  Put("a", "", "y");  // starts matching
  Put("a", "", "y");  // still matching
  Put("a", "", "z");  // stops matching
  auto events = (*w)->Take(100);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, CacheEvent::Type::kAdded);
  EXPECT_EQ(events[1].type, CacheEvent::Type::kModified);
  EXPECT_EQ(events[2].type, CacheEvent::Type::kDeleted);
}

TEST_F(WatchCacheTest, NodeWatchersSeeOnlyTheirPods) {
  Filter f1, f2;
  f1.fields = *api::FieldSelector::Parse("spec.nodeName=n1");
  f2.fields = *api::FieldSelector::Parse("spec.nodeName=n2");
  auto w1 = cache_.Watch(0, f1, nullptr);
  auto w2 = cache_.Watch(0, f2, nullptr);
  ASSERT_TRUE(w1.ok() && w2.ok());
  Put("p", "");     // unbound: neither
  Put("p", "n1");   // bound to n1: ADDED for w1
  Put("q", "n2");   // w2
  Put("p", "n2");   // moved (not a real k8s flow, but the index must follow): w1 DELETED, w2 ADDED
  auto e1 = (*w1)->Take(100);
  auto e2 = (*w2)->Take(100);
  ASSERT_EQ(e1.size(), 2u);
  EXPECT_EQ(e1[0].type, CacheEvent::Type::kAdded);
  EXPECT_EQ(e1[1].type, CacheEvent::Type::kDeleted);
  ASSERT_EQ(e2.size(), 2u);
  EXPECT_EQ(e2[0].object->name, "q");
  EXPECT_EQ(e2[1].object->name, "p");
  EXPECT_EQ(e2[1].type, CacheEvent::Type::kAdded);
  cache_.StopWatch(*w1);
  cache_.StopWatch(*w2);
  EXPECT_EQ(cache_.watcher_count(), 0u);
}

TEST_F(WatchCacheTest, SlowWatcherIsCutOffNotGrown) {
  int notified = 0;
  auto w = cache_.Watch(0, Filter{}, [&] { ++notified; });
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 4; ++i) Put(base::StrCat("p", i));
  EXPECT_FALSE((*w)->terminated());
  Put("overflow");  // capacity is 4
  EXPECT_TRUE((*w)->terminated());
  EXPECT_TRUE((*w)->Take(100).empty());
  EXPECT_EQ(cache_.watcher_count(), 0u);
  EXPECT_GE(notified, 5);
  Put("later");  // no crash, nothing delivered
  EXPECT_TRUE((*w)->Take(100).empty());
}

TEST_F(WatchCacheTest, BookmarkOnlyWhenDrained) {
  Put("a");
  auto w = cache_.Watch(0, Filter{}, nullptr);
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(cache_.BookmarkRevision(**w).has_value());
  (*w)->Take(100);
  cache_.AdvanceRevision(7);  // another resource's write
  auto rv = cache_.BookmarkRevision(**w);
  ASSERT_TRUE(rv.has_value());
  EXPECT_EQ(*rv, 7);
}

}  // namespace
}  // namespace shoal::apiserver
