// The Job controller against shoal's real ApiServer (MemoryStore, in process), through a
// transport that holds each pod DELETE a little and records how many were in flight at once.
// Waits poll the API (up to 15 s); nothing is timed.
#include "controllers/job_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "api/object.h"
#include "apiserver/api_server.h"
#include "base/clock.h"
#include "client/in_process_transport.h"
#include "store/memory_store.h"

namespace shoal::controllers {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using client::Request;
using client::Response;

// Passes everything on; a pod DELETE waits 50 ms first, so that deletions sent together
// overlap, and the most DELETEs in flight at once is recorded.
class CountingTransport : public client::Transport {
 public:
  explicit CountingTransport(client::Transport& next) : next_(next) {}

  std::atomic<int> deletes{0};
  std::atomic<int> most_deletes_at_once{0};

  asio::awaitable<absl::StatusOr<Response>> Call(Request req) override {
    const bool pod_delete = req.method == "DELETE" && req.path.find("/pods/") != std::string::npos;
    if (!pod_delete) co_return co_await next_.Call(std::move(req));
    const int now = ++in_flight_;
    int most = most_deletes_at_once.load();
    while (now > most && !most_deletes_at_once.compare_exchange_weak(most, now)) {
    }
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    auto resp = co_await next_.Call(std::move(req));
    --in_flight_;
    ++deletes;
    co_return resp;
  }
  asio::awaitable<absl::Status> Watch(
      Request req, std::function<bool(std::string_view event)> on_event) override {
    co_return co_await next_.Watch(std::move(req), std::move(on_event));
  }

 private:
  client::Transport& next_;
  std::atomic<int> in_flight_{0};
};

class JobControllerTest : public ::testing::Test {
 protected:
  JobControllerTest()
      : api_(store_, api::Registry::Default(), base::RealClock::Get(), {}),
        in_process_(api_),
        counting_(in_process_),
        work_(asio::make_work_guard(io_)) {
    EXPECT_TRUE(api_.Start().ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~JobControllerTest() override {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    controller_.reset();
    store_.Close();
  }

  void StartController() {
    controller_ = std::make_unique<JobController>(io_.get_executor(), counting_, options_);
    asio::post(io_, [this] { controller_->Start(); });
  }

  Response Call(std::string method, std::string path, std::string body = "",
                std::string content_type = "application/json") {
    Request r = client::MakeRequest(std::move(method), std::move(path), std::move(body),
                                    std::move(content_type));
    auto resp = asio::co_spawn(io_, in_process_.Call(std::move(r)), asio::use_future).get();
    EXPECT_TRUE(resp.ok());
    if (resp.ok()) return *resp;
    Response failed;
    failed.code = 0;
    return failed;
  }
  int PodCount() {
    Response r = Call("GET", "/api/v1/namespaces/default/pods");
    auto v = api::ParseJson(r.Text());
    if (!v.ok() || !v->is_object() || !v->get_object().contains("items")) return -1;
    return static_cast<int>(v->at("items").as_array().size());
  }
  // Polls `done` every 20 ms for up to 15 s.
  static bool WaitFor(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  }

  store::MemoryStore store_;
  apiserver::ApiServer api_;
  client::InProcessTransport in_process_;
  CountingTransport counting_;
  ControllerOptions options_;
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<JobController> controller_;
  std::thread thread_;
};

TEST_F(JobControllerTest, ASuspendedJobsPodsAreDeletedTogether) {
  // A gang of 8 is suspended (preempted, in a queue): its pods go at once, not one after
  // another, so that whoever waits for their room gets it sooner.
  Response created = Call(
      "POST", "/apis/batch/v1/namespaces/default/jobs",
      R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"g"},
          "spec":{"parallelism":8,"completions":8,"completionMode":"Indexed",
                  "template":{"spec":{"restartPolicy":"Never",
                                      "containers":[{"name":"c","image":"x"}]}}}})");
  ASSERT_EQ(created.code, 201) << created.Text();
  StartController();
  ASSERT_TRUE(WaitFor([&] { return PodCount() == 8; }));

  Response patched = Call("PATCH", "/apis/batch/v1/namespaces/default/jobs/g",
                          R"({"spec":{"suspend":true}})", "application/merge-patch+json");
  ASSERT_EQ(patched.code, 200) << patched.Text();
  ASSERT_TRUE(WaitFor([&] { return PodCount() == 0; }));
  EXPECT_EQ(counting_.deletes, 8);
  // Sent one after another, never more than one would be in flight.
  EXPECT_EQ(counting_.most_deletes_at_once, 8);
}

}  // namespace
}  // namespace shoal::controllers
