// The Job controller against shoal's real ApiServer (MemoryStore, in process), through a
// transport that holds each pod DELETE a little and records how many were in flight at once.
// Waits poll the API (up to 15 s); nothing is timed.
#include "controllers/job_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "api/object.h"
#include "base/strings.h"
#include "client/forwarding_transport.h"
#include "client/in_process_api_for_test.h"

namespace shoal::controllers {
namespace {

namespace asio = boost::asio;
using client::Request;
using client::Response;

// A pod DELETE waits 50 ms before it is passed on, so that deletions sent together overlap;
// the most DELETEs in flight at once is recorded.
class CountingTransport : public client::ForwardingTransport {
 public:
  using ForwardingTransport::ForwardingTransport;

  std::atomic<int> deletes{0};
  std::atomic<int> most_deletes_at_once{0};

  asio::awaitable<absl::StatusOr<Response>> Call(Request req) override {
    const bool pod_delete = req.method == "DELETE" && req.path.find("/pods/") != std::string::npos;
    if (!pod_delete) co_return co_await next().Call(std::move(req));
    const int now = ++in_flight_;
    int most = most_deletes_at_once.load();
    while (now > most && !most_deletes_at_once.compare_exchange_weak(most, now)) {
    }
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    auto resp = co_await next().Call(std::move(req));
    --in_flight_;
    ++deletes;
    co_return resp;
  }

 private:
  std::atomic<int> in_flight_{0};
};

// The first status write of a Job is answered only after the Job has been suspended (by the
// test, as a queue controller would) and that change has had time to reach the controller's
// watch: the write's answer is then older than what the controller has seen.
class LateAnswerTransport : public client::ForwardingTransport {
 public:
  using ForwardingTransport::ForwardingTransport;
  std::atomic<bool> suspended{false};

  asio::awaitable<absl::StatusOr<Response>> Call(Request req) override {
    const bool status_put = req.method == "PUT" && req.path.ends_with("/status");
    const std::string job = status_put ? req.path.substr(0, req.path.rfind('/')) : "";
    auto resp = co_await next().Call(std::move(req));
    if (status_put && !suspended.exchange(true)) {
      auto patched = co_await next().Call(client::MakeRequest(
          "PATCH", job, R"({"spec":{"suspend":true}})", "application/merge-patch+json"));
      EXPECT_TRUE(patched.ok() && patched->code == 200);
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(300));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return resp;
  }
};

// Counts the controller's Job status writes.
class StatusWriteCounter : public client::ForwardingTransport {
 public:
  using ForwardingTransport::ForwardingTransport;
  std::atomic<int> writes{0};

  asio::awaitable<absl::StatusOr<Response>> Call(Request req) override {
    if (req.method == "PUT" && req.path.ends_with("/status")) ++writes;
    co_return co_await next().Call(std::move(req));
  }
};

class JobControllerTest : public ::testing::Test {
 protected:
  JobControllerTest()
      : counting_(api_.transport()), late_(api_.transport()), status_writes_(api_.transport()) {}
  ~JobControllerTest() override {
    api_.Stop();
    controller_.reset();
  }

  void StartController(client::Transport& transport, ControllerOptions options = {}) {
    controller_ = std::make_unique<JobController>(api_.io().get_executor(), transport, options);
    asio::post(api_.io(), [this] { controller_->Start(); });
  }
  std::vector<std::string> PodNames() {
    std::vector<std::string> names;
    boost::json::value v = api_.Get("/api/v1/namespaces/default/pods");
    const boost::json::value* items = api::FindPath(v, "items");
    if (items == nullptr || !items->is_array()) return names;
    for (const boost::json::value& p : items->get_array()) {
      names.emplace_back(api::StringAt(p, "metadata.name"));
    }
    return names;
  }
  int64_t JobStatusInt(const std::string& job, const char* field) {
    boost::json::value v = api_.Get("/apis/batch/v1/namespaces/default/jobs/" + job);
    const boost::json::value* f = api::FindPath(v, std::string("status.") + field);
    return f != nullptr && f->is_int64() ? f->get_int64() : -1;
  }
  // Creates Job `name` with `n` pods to run at once and to complete, plus `extra_spec` (JSON
  // members of spec, with a trailing comma).
  void CreateJob(const std::string& name, int n, const std::string& extra_spec = "") {
    Response created = api_.Call(
        "POST", "/apis/batch/v1/namespaces/default/jobs",
        base::StrCat(R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":")", name,
                     R"("},"spec":{"parallelism":)", n, R"(,"completions":)", n, ",",
                     extra_spec,
                     R"("template":{"spec":{"restartPolicy":"Never",)",
                     R"("containers":[{"name":"c","image":"x"}]}}}})"));
    ASSERT_EQ(created.code, 201) << created.Text();
  }
  int PodCount() {
    boost::json::value v = api_.Get("/api/v1/namespaces/default/pods");
    if (!v.is_object() || !v.get_object().contains("items")) return -1;
    return static_cast<int>(v.at("items").as_array().size());
  }

  client::InProcessApiForTest api_;
  CountingTransport counting_;
  LateAnswerTransport late_;
  StatusWriteCounter status_writes_;
  std::unique_ptr<JobController> controller_;
};

TEST_F(JobControllerTest, ASuspendedJobsPodsAreDeletedTogether) {
  // A gang of 8 is suspended (preempted, in a queue): its pods go at once, not one after
  // another, so that whoever waits for their room gets it sooner.
  CreateJob("g", 8, R"("completionMode":"Indexed",)");
  StartController(counting_);
  ASSERT_TRUE(api_.WaitFor([&] { return PodCount() == 8; }));

  Response patched = api_.Call("PATCH", "/apis/batch/v1/namespaces/default/jobs/g",
                          R"({"spec":{"suspend":true}})", "application/merge-patch+json");
  ASSERT_EQ(patched.code, 200) << patched.Text();
  ASSERT_TRUE(api_.WaitFor([&] { return PodCount() == 0; }));
  EXPECT_EQ(counting_.deletes, 8);
  // Sent one after another, never more than one would be in flight.
  EXPECT_EQ(counting_.most_deletes_at_once, 8);
}

TEST_F(JobControllerTest, ASuspensionSeenBeforeTheAnswerOfAnOlderWriteIsKept) {
  // The suspension reaches the controller's watch before the answer of its own older status
  // write: it must still stop the Job (delete its pods, say Suspended), not take the older
  // answer for the Job's latest state and let the pods run on.
  CreateJob("s", 2);
  StartController(late_);
  ASSERT_TRUE(api_.WaitFor([&] { return late_.suspended.load(); }));
  EXPECT_TRUE(api_.WaitFor([&] {
    boost::json::value job = api_.Get("/apis/batch/v1/namespaces/default/jobs/s");
    const boost::json::value* conds = api::FindPath(job, "status.conditions");
    bool said = false;
    if (conds != nullptr && conds->is_array()) {
      for (const boost::json::value& c : conds->get_array()) {
        said = said || (api::StringAt(c, "type") == "Suspended" &&
                        api::StringAt(c, "status") == "True");
      }
    }
    return said && PodCount() == 0;
  })) << "the Job's pods ran on, or it never said Suspended";
}

TEST_F(JobControllerTest, PodEventsWithinTheBatchPeriodAreAnsweredByOneStatusWrite) {
  // 40 pods become Ready one after another, well within the 1 s batch period: the Job's
  // status follows with one write (two if the updates straddle a period), not one per pod.
  CreateJob("b", 40);
  StartController(status_writes_, ControllerOptions{.job_sync_batch_period = Millis(1'000)});
  ASSERT_TRUE(api_.WaitFor([&] { return PodCount() == 40; }));
  ASSERT_TRUE(api_.WaitFor([&] { return JobStatusInt("b", "active") == 40; }));
  ASSERT_EQ(JobStatusInt("b", "ready"), 0);
  const std::vector<std::string> names = PodNames();
  ASSERT_EQ(names.size(), 40u);
  const int before = status_writes_.writes;
  for (const std::string& name : names) {
    Response r = api_.Call("PATCH", "/api/v1/namespaces/default/pods/" + name + "/status",
                           R"({"status":{"phase":"Running",
                                         "conditions":[{"type":"Ready","status":"True"}]}})",
                           "application/merge-patch+json");
    ASSERT_EQ(r.code, 200) << r.Text();
  }
  ASSERT_TRUE(api_.WaitFor([&] { return JobStatusInt("b", "ready") == 40; }));
  EXPECT_LE(status_writes_.writes - before, 2) << "status writes";
}

TEST_F(JobControllerTest, ASpecChangeIsHandledAtOnceWhatEverTheBatchPeriod) {
  // A batch period longer than the test's waits: the Job's creation and its suspension (new
  // generations) are still acted on at once.
  StartController(status_writes_, ControllerOptions{.job_sync_batch_period = Millis(600'000)});
  CreateJob("i", 3);
  ASSERT_TRUE(api_.WaitFor([&] { return PodCount() == 3; }));
  Response patched = api_.Call("PATCH", "/apis/batch/v1/namespaces/default/jobs/i",
                               R"({"spec":{"suspend":true}})", "application/merge-patch+json");
  ASSERT_EQ(patched.code, 200) << patched.Text();
  EXPECT_TRUE(api_.WaitFor([&] { return PodCount() == 0; }));
}

}  // namespace
}  // namespace shoal::controllers
