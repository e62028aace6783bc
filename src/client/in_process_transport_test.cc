// InProcessTransport over an ApiServer backed by a MemoryStore (no sockets), on a one-thread
// io_context.
#include "client/in_process_transport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "base/clock.h"
#include "base/strings.h"
#include "client/status.h"
#include "store/memory_store.h"

namespace shoal::client {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
constexpr auto kWait = std::chrono::seconds(10);

std::string PodJson(const std::string& name) {
  return base::StrCat(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")", name,
                      R"("},"spec":{"containers":[{"name":"c","image":"busybox"}]}})");
}

Request Make(std::string method, std::string path, std::map<std::string, std::string> query = {},
             std::string body = "") {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.body = std::move(body);
  if (!r.body.empty()) r.content_type = "application/json";
  return r;
}

std::string At(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* cur = &v;
  for (std::string_view step : path) {
    if (!cur->is_object() || !cur->get_object().contains(step)) return "<absent>";
    cur = &cur->get_object().at(step);
  }
  return cur->is_string() ? std::string(cur->get_string()) : json::serialize(*cur);
}

class InProcessTransportTest : public ::testing::Test {
 protected:
  explicit InProcessTransportTest(apiserver::ApiServerOptions options = {})
      : clock_(std::chrono::system_clock::from_time_t(1'800'000'000)),
        api_(store_, api::Registry::Default(), clock_, options),
        transport_(api_),
        work_(asio::make_work_guard(io_)) {
    EXPECT_TRUE(api_.Start().ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~InProcessTransportTest() override {
    work_.reset();
    io_.stop();
    thread_.join();
    store_.Close();
  }

  absl::StatusOr<Response> Call(Request req) {
    return asio::co_spawn(io_, transport_.Call(std::move(req)), asio::use_future).get();
  }
  // Starts a watch on the io_context; the events it saw are in `events` once it ended.
  std::future<absl::Status> StartWatch(Request req, std::vector<std::string>* events,
                                       std::function<bool(const json::value&)> more) {
    auto on_event = [events, more](std::string_view line) {
      events->emplace_back(line);
      return more(json::parse(line));
    };
    return asio::co_spawn(io_, transport_.Watch(std::move(req), std::move(on_event)),
                          asio::use_future);
  }
  // Starts a WatchObjects on the io_context; what it saw is in `events` once it ended.
  struct Seen {
    std::string type;
    std::shared_ptr<const json::object> object;
  };
  std::future<absl::Status> StartObjectWatch(Request req, std::vector<Seen>* events,
                                             std::function<bool(const Seen&)> more) {
    std::function<bool(ObjectEvent&&)> on_event = [events, more](ObjectEvent&& e) {
      events->push_back({std::string(e.type), std::move(e.object)});
      return more(events->back());
    };
    return asio::co_spawn(io_, transport_.WatchObjects(std::move(req), std::move(on_event)),
                          asio::use_future);
  }
  std::string PodsRevision() {
    absl::StatusOr<Response> r = Call(Make("GET", "/api/v1/namespaces/default/pods"));
    EXPECT_TRUE(r.ok() && r->code == 200);
    return r.ok() ? At(json::parse(r->Text()), {"metadata", "resourceVersion"}) : "";
  }
  size_t PodWatchers() {
    const api::ResourceType* pods = api_.registry().Find("", "v1", "pods");
    return pods == nullptr ? 0 : api_.CacheFor(*pods)->watcher_count();
  }

  base::FakeClock clock_;
  store::MemoryStore store_;
  apiserver::ApiServer api_;
  InProcessTransport transport_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

TEST_F(InProcessTransportTest, CreatesThroughCall) {
  absl::StatusOr<Response> ns =
      Call(Make("POST", "/api/v1/namespaces", {},
                R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"}})"));
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(ns->code, 201) << ns->Text();
  absl::StatusOr<Response> pod =
      Call(Make("POST", "/api/v1/namespaces/team-a/pods", {}, PodJson("p1")));
  ASSERT_TRUE(pod.ok()) << pod.status();
  ASSERT_EQ(pod->code, 201) << pod->Text();
  EXPECT_EQ(At(json::parse(pod->Text()), {"metadata", "namespace"}), "team-a");
  EXPECT_TRUE(StatusFromResponse(*pod).ok());
}

TEST_F(InProcessTransportTest, ErrorsAreResponses) {
  absl::StatusOr<Response> r = Call(Make("GET", "/api/v1/namespaces/default/pods/nope"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->code, 404);
  absl::Status st = StatusFromResponse(*r);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(st.message(), "pods \"nope\" not found");
}

TEST_F(InProcessTransportTest, WatchSeesACreateAndStopsWhenAsked) {
  std::vector<std::string> events;
  // From the current revision: only what is created after this point is delivered.
  auto watch = StartWatch(Make("GET", "/api/v1/namespaces/default/pods",
                               {{"watch", "1"}, {"resourceVersion", PodsRevision()}}),
                          &events, [](const json::value&) { return false; });
  absl::StatusOr<Response> created =
      Call(Make("POST", "/api/v1/namespaces/default/pods", {}, PodJson("p1")));
  ASSERT_TRUE(created.ok() && created->code == 201);
  ASSERT_EQ(watch.wait_for(kWait), std::future_status::ready);
  absl::Status st = watch.get();
  EXPECT_TRUE(st.ok()) << st;
  ASSERT_EQ(events.size(), 1u);
  json::value e = json::parse(events[0]);
  EXPECT_EQ(At(e, {"type"}), "ADDED");
  EXPECT_EQ(At(e, {"object", "metadata", "name"}), "p1");
  EXPECT_EQ(At(e, {"object", "metadata", "resourceVersion"}),
            At(json::parse(created->Text()), {"metadata", "resourceVersion"}));
  EXPECT_EQ(events[0].back(), '}');  // no trailing newline
  EXPECT_EQ(PodWatchers(), 0u);
}

TEST_F(InProcessTransportTest, WatchDeliversEveryEventUntilStopped) {
  std::vector<std::string> events;
  auto watch = StartWatch(
      Make("GET", "/api/v1/namespaces/default/pods", {{"watch", "true"}}), &events,
      [](const json::value& e) { return At(e, {"type"}) != "DELETED"; });
  for (const char* name : {"a", "b"}) {
    ASSERT_EQ(Call(Make("POST", "/api/v1/namespaces/default/pods", {}, PodJson(name)))->code, 201);
  }
  ASSERT_EQ(Call(Make("DELETE", "/api/v1/namespaces/default/pods/a"))->code, 200);
  ASSERT_EQ(watch.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(watch.get().ok());
  std::vector<std::string> seen;
  for (const std::string& line : events) {
    json::value e = json::parse(line);
    seen.push_back(base::StrCat(At(e, {"type"}), " ", At(e, {"object", "metadata", "name"})));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED a", "ADDED b", "DELETED a"}));
}

TEST_F(InProcessTransportTest, WatchEndsAtItsTimeout) {
  std::vector<std::string> events;
  auto watch = StartWatch(Make("GET", "/api/v1/namespaces/default/pods",
                               {{"watch", "1"}, {"timeoutSeconds", "1"}}),
                          &events, [](const json::value&) { return true; });
  ASSERT_EQ(watch.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(watch.get().ok());
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(PodWatchers(), 0u);
}

TEST_F(InProcessTransportTest, InitialEventsEndWithABookmark) {
  ASSERT_EQ(Call(Make("POST", "/api/v1/namespaces/default/pods", {}, PodJson("p1")))->code, 201);
  std::vector<std::string> events;
  auto watch = StartWatch(
      Make("GET", "/api/v1/namespaces/default/pods",
           {{"watch", "1"}, {"sendInitialEvents", "true"}, {"allowWatchBookmarks", "true"},
            {"resourceVersionMatch", "NotOlderThan"}}),
      &events, [](const json::value& e) { return At(e, {"type"}) != "BOOKMARK"; });
  ASSERT_EQ(watch.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(watch.get().ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(At(json::parse(events[0]), {"object", "metadata", "name"}), "p1");
  json::value bookmark = json::parse(events[1]);
  EXPECT_EQ(At(bookmark, {"type"}), "BOOKMARK");
  EXPECT_EQ(At(bookmark, {"object", "metadata", "annotations", "k8s.io/initial-events-end"}),
            "true");
}

TEST_F(InProcessTransportTest, RefusedWatchReturnsTheStatus) {
  std::vector<std::string> events;
  auto watch = StartWatch(Make("GET", "/api/v1/nothings", {{"watch", "1"}}), &events,
                          [](const json::value&) { return true; });
  ASSERT_EQ(watch.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(watch.get().code(), absl::StatusCode::kNotFound);
  auto future = StartWatch(
      Make("GET", "/api/v1/pods", {{"watch", "1"}, {"resourceVersion", "not-a-number"}}), &events,
      [](const json::value&) { return true; });
  ASSERT_EQ(future.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(future.get().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(events.empty());
}

// The server's scheduler and controllers watch through WatchObjects: every watcher of a live
// event gets the one object parsed for all of them, equal to what the line form carries.
TEST_F(InProcessTransportTest, WatchObjectsParsesEachEventOnceForAllWatchers) {
  const std::string from = PodsRevision();
  Request req = Make("GET", "/api/v1/namespaces/default/pods",
                     {{"watch", "1"}, {"resourceVersion", from}});
  auto until_deleted = [](const Seen& e) { return e.type != "DELETED"; };
  std::vector<Seen> first, second;
  auto w1 = StartObjectWatch(req, &first, until_deleted);
  auto w2 = StartObjectWatch(req, &second, until_deleted);
  std::vector<std::string> lines;
  auto w3 = StartWatch(req, &lines,
                       [](const json::value& e) { return At(e, {"type"}) != "DELETED"; });
  // Registered before the writes: an event replayed to a late watcher is that watcher's own.
  for (int i = 0; i < 500 && PodWatchers() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(PodWatchers(), 3u);
  ASSERT_EQ(Call(Make("POST", "/api/v1/namespaces/default/pods", {}, PodJson("a")))->code, 201);
  Request label = Make("PATCH", "/api/v1/namespaces/default/pods/a", {},
                       R"({"metadata":{"labels":{"app":"x"}}})");
  label.content_type = "application/merge-patch+json";
  ASSERT_EQ(Call(label)->code, 200);
  ASSERT_EQ(Call(Make("DELETE", "/api/v1/namespaces/default/pods/a"))->code, 200);
  for (auto* w : {&w1, &w2, &w3}) {
    ASSERT_EQ(w->wait_for(kWait), std::future_status::ready);
    EXPECT_TRUE(w->get().ok());
  }
  ASSERT_EQ(first.size(), 3u);
  ASSERT_EQ(second.size(), 3u);
  ASSERT_EQ(lines.size(), 3u);
  const char* types[] = {"ADDED", "MODIFIED", "DELETED"};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(first[i].type, types[i]);
    EXPECT_EQ(second[i].type, types[i]);
    ASSERT_NE(first[i].object, nullptr);
    EXPECT_EQ(first[i].object.get(), second[i].object.get()) << "event " << i << " parsed twice";
    // The same object the line carries, resourceVersion included.
    json::value line = json::parse(lines[i]);
    EXPECT_EQ(json::value(*first[i].object), line.at("object")) << lines[i];
  }
  EXPECT_EQ(At(json::value(*first[1].object), {"metadata", "labels", "app"}), "x");
}

// What does not come from the cache's live events (initial events, bookmarks) is parsed from
// the line the HTTPS front end would write.
TEST_F(InProcessTransportTest, WatchObjectsPassesInitialEventsAndBookmarks) {
  ASSERT_EQ(Call(Make("POST", "/api/v1/namespaces/default/pods", {}, PodJson("p1")))->code, 201);
  std::vector<Seen> events;
  auto watch = StartObjectWatch(
      Make("GET", "/api/v1/namespaces/default/pods",
           {{"watch", "1"}, {"sendInitialEvents", "true"}, {"allowWatchBookmarks", "true"},
            {"resourceVersionMatch", "NotOlderThan"}}),
      &events, [](const Seen& e) { return e.type != "BOOKMARK"; });
  ASSERT_EQ(watch.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(watch.get().ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "ADDED");
  EXPECT_EQ(At(json::value(*events[0].object), {"metadata", "name"}), "p1");
  EXPECT_EQ(events[1].type, "BOOKMARK");
  EXPECT_EQ(At(json::value(*events[1].object),
               {"metadata", "annotations", "k8s.io/initial-events-end"}),
            "true");
}

class ShortHistoryTest : public InProcessTransportTest {
 protected:
  ShortHistoryTest() : InProcessTransportTest({.history_capacity = 2}) {}
};

// A resourceVersion older than the history kept: one ERROR event with a 410 Status, as
// kube-apiserver sends on an established stream, then the watch ends.
TEST_F(ShortHistoryTest, TooOldResourceVersionGetsOneErrorEvent) {
  const std::string start = PodsRevision();
  for (const char* name : {"a", "b", "c", "d"}) {
    ASSERT_EQ(Call(Make("POST", "/api/v1/namespaces/default/pods", {}, PodJson(name)))->code, 201);
  }
  std::vector<std::string> events;
  auto watch = StartWatch(Make("GET", "/api/v1/namespaces/default/pods",
                               {{"watch", "1"}, {"resourceVersion", start}}),
                          &events, [](const json::value&) { return true; });
  ASSERT_EQ(watch.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(watch.get().ok());
  ASSERT_EQ(events.size(), 1u);
  json::value e = json::parse(events[0]);
  EXPECT_EQ(At(e, {"type"}), "ERROR");
  EXPECT_EQ(At(e, {"object", "code"}), "410");

  std::vector<Seen> objects;
  auto parsed = StartObjectWatch(Make("GET", "/api/v1/namespaces/default/pods",
                                      {{"watch", "1"}, {"resourceVersion", start}}),
                                 &objects, [](const Seen&) { return true; });
  ASSERT_EQ(parsed.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(parsed.get().ok());
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].type, "ERROR");
  EXPECT_EQ(At(json::value(*objects[0].object), {"code"}), "410");
}

}  // namespace
}  // namespace shoal::client
