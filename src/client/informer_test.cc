// RunInformer against a scripted transport: a failed watch resumes from the last
// resourceVersion without listing again; only 410 Gone (OutOfRange) makes it list again.
#include "client/informer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

namespace shoal::client {
namespace {

namespace asio = boost::asio;

// Answers every LIST with one pod at resourceVersion "10" and plays `watches` in order, one per
// WATCH call (an event line to deliver, then the status to end with); records what was asked.
class Scripted : public Transport {
 public:
  struct Step {
    std::string event;  // "" = none
    absl::Status end;
  };
  std::deque<Step> watches;
  int lists = 0;
  std::vector<std::string> watched_from;  // resourceVersion of each WATCH
  std::vector<int> timeouts;               // timeoutSeconds of each WATCH
  asio::io_context* io = nullptr;

  asio::awaitable<absl::StatusOr<Response>> Call(Request) override {
    ++lists;
    Response r;
    r.code = 200;
    r.body = R"({"kind":"PodList","metadata":{"resourceVersion":"10"},"items":[
        {"metadata":{"name":"a","namespace":"ns","resourceVersion":"10"}}]})";
    co_return r;
  }
  asio::awaitable<absl::Status> Watch(Request req,
                                      std::function<bool(std::string_view)> on_event) override {
    watched_from.push_back(req.query["resourceVersion"]);
    timeouts.push_back(std::stoi(req.query["timeoutSeconds"]));
    if (watches.empty()) {
      io->stop();  // the script is over
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(1));
      co_await t.async_wait(asio::use_awaitable);
      co_return absl::OkStatus();
    }
    Step w = watches.front();
    watches.pop_front();
    if (!w.event.empty()) on_event(w.event);
    co_return w.end;
  }
};

// Runs an informer of pods over `t` until its script is over; the event types it handed on.
std::vector<InformerEvent::Type> RunScript(asio::io_context& io, Scripted& t) {
  std::vector<InformerEvent::Type> seen;
  asio::co_spawn(io,
                 RunInformer(t, InformerOptions{.path = "/api/v1/pods"},
                             [&](InformerEvent&& e) { seen.push_back(e.type); }),
                 asio::detached);
  io.run();
  return seen;
}

TEST(InformerTest, AFailedWatchResumesFromTheLastResourceVersionWithoutListing) {
  asio::io_context io;
  Scripted t;
  t.io = &io;
  t.watches.push_back({R"({"type":"MODIFIED","object":{"metadata":{"name":"a","namespace":"ns",
      "resourceVersion":"12"}}})",
                       absl::UnavailableError("connection reset")});
  t.watches.push_back({"", absl::OkStatus()});  // the server's timeout: watch again
  std::vector<InformerEvent::Type> seen = RunScript(io, t);
  EXPECT_EQ(t.lists, 1);
  EXPECT_EQ(t.watched_from, (std::vector<std::string>{"10", "12", "12"}));
  EXPECT_EQ(seen, (std::vector<InformerEvent::Type>{InformerEvent::Type::kAdded,
                                                      InformerEvent::Type::kSynced,
                                                      InformerEvent::Type::kModified}));
}

TEST(InformerTest, GoneListsAgain) {
  asio::io_context io;
  Scripted t;
  t.io = &io;
  t.watches.push_back({"", absl::OutOfRangeError("too old resource version")});
  RunScript(io, t);
  EXPECT_EQ(t.lists, 2);
  EXPECT_EQ(t.watched_from, (std::vector<std::string>{"10", "10"}));
}

// Each watch asks for its own timeout between the minimum and twice it (kube's reflector):
// informers started together do not all watch again in the same second.
TEST(InformerTest, EachWatchAsksForARandomTimeoutBetweenTheMinimumAndTwiceIt) {
  asio::io_context io;
  Scripted t;
  t.io = &io;
  for (int i = 0; i < 40; ++i) t.watches.push_back({"", absl::OkStatus()});
  RunScript(io, t);
  ASSERT_EQ(t.timeouts.size(), 41u);
  for (int s : t.timeouts) {
    EXPECT_GE(s, 300);
    EXPECT_LT(s, 600);
  }
  const auto [lo, hi] = std::minmax_element(t.timeouts.begin(), t.timeouts.end());
  EXPECT_GT(*hi - *lo, 60);  // 41 draws from 300 values: spread out, not one fixed value
}

// A handler that keeps the object takes it: moved out when its event is the only holder (the
// HTTPS transport's events), copied when other informers share it (the in-process ones).
TEST(InformerEventTest, TakeObjectMovesWhenAloneAndCopiesWhenShared) {
  namespace json = boost::json;
  auto shared = std::make_shared<json::object>(json::object{{"name", "pod-a"}});
  std::shared_ptr<const json::object> other = shared;
  InformerEvent e(InformerEvent::Type::kAdded, std::move(shared));
  json::object copy = e.TakeObject();
  EXPECT_EQ(copy, *other);
  EXPECT_EQ(other->at("name").as_string(), "pod-a");  // the other holder's object is untouched
  EXPECT_TRUE(e.object().empty());

  const std::string text(64, 'x');  // longer than a json::string keeps inline
  InformerEvent alone(InformerEvent::Type::kAdded, json::object{{"text", text}});
  const char* storage = alone.object().at("text").get_string().data();
  json::object mine = alone.TakeObject();
  EXPECT_EQ(mine.at("text").get_string().data(), storage);  // the same storage: moved
  EXPECT_EQ(mine.at("text").as_string(), text);
}

}  // namespace
}  // namespace shoal::client
