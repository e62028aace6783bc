// EventRecorder against the real ApiServer (MemoryStore, in process): repeats of one Event are
// aggregated into its count, different ones are separate objects.
#include "client/event_recorder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "base/clock.h"
#include "client/in_process_transport.h"
#include "store/memory_store.h"

namespace shoal::client {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

class EventRecorderTest : public ::testing::Test {
 protected:
  EventRecorderTest()
      : clock_(std::chrono::system_clock::from_time_t(1'800'000'000)),
        api_(store_, api::Registry::Default(), clock_, {}),
        transport_(api_),
        work_(asio::make_work_guard(io_)),
        recorder_(io_.get_executor(), transport_, "test-controller", 2) {
    EXPECT_TRUE(api_.Start().ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~EventRecorderTest() override {
    work_.reset();
    io_.stop();
    thread_.join();
    store_.Close();
  }
  void Record(const json::object& obj, const char* reason, const std::string& message) {
    asio::post(io_, [&, reason, message] { recorder_.Record(obj, "Warning", reason, message); });
  }
  // The Events in "default", polled until `want` of them exist with counts summing to `sum`.
  json::array EventsWhen(size_t want, int64_t sum) {
    json::array items;
    for (int i = 0; i < 500; ++i) {
      auto r = asio::co_spawn(io_, transport_.Call(MakeRequest(
                                       "GET", "/api/v1/namespaces/default/events")),
                              asio::use_future)
                   .get();
      EXPECT_TRUE(r.ok());
      items = json::parse(r->Text()).at("items").as_array();
      int64_t total = 0;
      for (const json::value& e : items) total += e.at("count").as_int64();
      if (items.size() == want && total == sum) return items;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "events never reached " << want << " objects / count " << sum << ": "
                  << json::serialize(items);
    return items;
  }

  base::FakeClock clock_;
  store::MemoryStore store_;
  apiserver::ApiServer api_;
  InProcessTransport transport_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  EventRecorder recorder_;
  std::thread thread_;
};

const json::object kNode{{"apiVersion", "v1"},
                         {"kind", "Node"},
                         {"metadata", json::object{{"name", "n1"}, {"uid", "u-1"}}}};

TEST_F(EventRecorderTest, RepeatsBumpTheCountOfOneEvent) {
  for (int i = 0; i < 5; ++i) Record(kNode, "NodeNotReady", "Node n1 status is now: NodeNotReady");
  json::array items = EventsWhen(1, 5);
  ASSERT_EQ(items.size(), 1u);
  const json::object& e = items[0].as_object();
  EXPECT_EQ(e.at("count").as_int64(), 5);
  EXPECT_EQ(e.at("reason").as_string(), "NodeNotReady");
  EXPECT_EQ(e.at("involvedObject").at("uid").as_string(), "u-1");
  EXPECT_EQ(e.at("involvedObject").at("kind").as_string(), "Node");
  EXPECT_EQ(e.at("source").at("component").as_string(), "test-controller");
}

TEST_F(EventRecorderTest, DifferentMessagesAreDifferentEvents) {
  Record(kNode, "NodeNotReady", "a");
  Record(kNode, "NodeNotReady", "b");
  Record(kNode, "NodeNotReady", "a");
  json::array items = EventsWhen(2, 3);
  EXPECT_EQ(items.size(), 2u);
}

TEST_F(EventRecorderTest, ForgetsTheLeastRecentBeyondItsLimit) {
  // Limit 2: after a, b, c, the entry for a is gone, so a repeat of a is a new Event.
  Record(kNode, "R", "a");
  EventsWhen(1, 1);
  Record(kNode, "R", "b");
  Record(kNode, "R", "c");
  EventsWhen(3, 3);
  Record(kNode, "R", "a");
  json::array items = EventsWhen(4, 4);
  EXPECT_EQ(items.size(), 4u);
}

}  // namespace
}  // namespace shoal::client
