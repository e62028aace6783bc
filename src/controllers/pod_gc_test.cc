// PodGCController against shoal's real ApiServer (MemoryStore, in process), with a fake clock
// so that creation times differ by whole seconds. Each collection pass runs when the test
// calls CollectForTest; waits poll the API (up to 15 s) for the informers to catch up.
#include "controllers/pod_gc.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/object.h"
#include "apiserver/api_server.h"
#include "base/clock.h"
#include "base/strings.h"
#include "client/in_process_transport.h"
#include "store/memory_store.h"

namespace shoal::controllers {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

class PodGCTest : public ::testing::Test {
 protected:
  PodGCTest()
      : clock_(std::chrono::system_clock::time_point(seconds(1'800'000'000))),
        api_(store_, api::Registry::Default(), clock_, {}),
        transport_(api_),
        work_(asio::make_work_guard(io_)) {
    EXPECT_TRUE(api_.Start().ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~PodGCTest() override {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    gc_.reset();
    store_.Close();
  }

  void StartGC(int threshold) {
    ControllerOptions options;
    options.terminated_pod_gc_threshold = threshold;
    options.pod_gc_period = seconds(1);  // orphans: 2 s of quarantine
    gc_ = std::make_unique<PodGCController>(io_.get_executor(), transport_, options, clock_);
    gc_->StartInformersForTest();
    ASSERT_TRUE(WaitFor([&] { return OnIo([&] { return gc_->SyncedForTest(); }); }));
  }
  template <typename F>
  auto OnIo(F f) -> decltype(f()) {
    std::promise<decltype(f())> p;
    asio::post(io_, [&] { p.set_value(f()); });
    return p.get_future().get();
  }
  void Collect() { asio::co_spawn(io_, gc_->CollectForTest(), asio::use_future).get(); }
  static bool WaitFor(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return done();
  }

  client::Response Call(std::string method, std::string path, std::string body = "",
                        std::string content_type = "application/json") {
    client::Request r = client::MakeRequest(std::move(method), std::move(path), std::move(body),
                                            std::move(content_type));
    auto resp = asio::co_spawn(io_, transport_.Call(std::move(r)), asio::use_future).get();
    EXPECT_TRUE(resp.ok());
    return resp.ok() ? *resp : client::Response{};
  }
  void AddNode(const std::string& name, const std::string& ready, const std::string& taints) {
    client::Response r = Call(
        "POST", "/api/v1/nodes",
        base::StrCat(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")", name,
                     R"("},"spec":{"taints":)", taints,
                     R"(},"status":{"conditions":[{"type":"Ready","status":")", ready, R"("}]}})"));
    ASSERT_EQ(r.code, 201) << r.Text();
  }
  void AddPod(const std::string& name, const std::string& node, const std::string& phase = "") {
    client::Response r =
        Call("POST", "/api/v1/namespaces/default/pods",
             base::StrCat(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")", name,
                          R"("},"spec":{"nodeName":")", node,
                          R"(","containers":[{"name":"c","image":"x"}]}})"));
    ASSERT_EQ(r.code, 201) << r.Text();
    if (!phase.empty()) {
      client::Response s = Call("PATCH", "/api/v1/namespaces/default/pods/" + name + "/status",
                                base::StrCat(R"({"status":{"phase":")", phase, R"("}})"),
                                "application/merge-patch+json");
      ASSERT_EQ(s.code, 200) << s.Text();
    }
  }
  // Graceful deletion of a pod on a node: it stays, terminating.
  void StartDeleting(const std::string& name) {
    client::Response r = Call("DELETE", "/api/v1/namespaces/default/pods/" + name);
    ASSERT_EQ(r.code, 200) << r.Text();
    ASSERT_FALSE(api::StringAt(PodObject(name), "metadata.deletionTimestamp").empty());
  }
  json::value PodObject(const std::string& name) {
    client::Response r = Call("GET", "/api/v1/namespaces/default/pods/" + name);
    if (r.code != 200) return nullptr;
    auto v = api::ParseJson(r.Text());
    return v.ok() ? *v : json::value();
  }
  bool Exists(const std::string& pod) { return !PodObject(pod).is_null(); }
  // Collects once a (fake) second until `done` holds (the informers may lag behind the
  // test's writes). Returns the seconds it took.
  std::optional<int> CollectUntil(const std::function<bool()>& done) {
    int passes = 0;
    if (!WaitFor([&] {
          clock_.Advance(seconds(1));
          ++passes;
          Collect();
          return done();
        })) {
      return std::nullopt;
    }
    return passes;
  }

  base::FakeClock clock_;
  store::MemoryStore store_;
  apiserver::ApiServer api_;
  client::InProcessTransport transport_;
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::unique_ptr<PodGCController> gc_;
};

TEST_F(PodGCTest, TerminatedPodsBeyondTheThresholdGoOldestFirst) {
  StartGC(3);
  AddNode("n1", "True", "[]");
  AddPod("running", "n1", "Running");  // the oldest, but not terminated
  for (int i = 1; i <= 6; ++i) {
    clock_.Advance(seconds(1));
    AddPod(base::StrCat("done-", i), "n1", i % 2 ? "Succeeded" : "Failed");
  }
  ASSERT_TRUE(CollectUntil([&] {
                return !Exists("done-1") && !Exists("done-2") && !Exists("done-3");
              }).has_value());
  Collect();
  for (const char* kept : {"running", "done-4", "done-5", "done-6"}) {
    EXPECT_TRUE(Exists(kept)) << kept;
  }
}

TEST_F(PodGCTest, PodsOfDeletedNodesAreMarkedFailedAndDeleted) {
  StartGC(100);
  AddNode("n1", "True", "[]");
  AddNode("n2", "True", "[]");
  AddPod("on-n1", "n1", "Running");
  AddPod("on-n2", "n2", "Running");
  AddPod("on-ghost", "ghost", "Running");  // bound to a node that never existed
  ASSERT_TRUE(CollectUntil([&] { return !Exists("on-ghost"); }).has_value());
  ASSERT_EQ(Call("DELETE", "/api/v1/nodes/n2").code, 200);
  std::optional<int> passes = CollectUntil([&] { return !Exists("on-n2"); });
  ASSERT_TRUE(passes.has_value());
  EXPECT_GE(*passes, 3);  // seen missing, then quarantined for two periods
  Collect();
  EXPECT_TRUE(Exists("on-n1"));
}

TEST_F(PodGCTest, TerminatingPodsOnOutOfServiceNodesAreForceDeleted) {
  StartGC(100);
  const std::string oos = R"([{"key":"node.kubernetes.io/out-of-service","effect":"NoExecute"}])";
  AddNode("down", "False", oos);
  AddNode("up", "True", oos);  // out of service but Ready: kube leaves it alone
  AddNode("plain", "False", "[]");
  for (const char* node : {"down", "up", "plain"}) {
    AddPod(base::StrCat("leaving-", node), node, "Running");
    StartDeleting(base::StrCat("leaving-", node));
  }
  AddPod("staying-down", "down", "Running");  // not terminating: not podgc's to take
  ASSERT_TRUE(CollectUntil([&] { return !Exists("leaving-down"); }).has_value());
  Collect();
  EXPECT_TRUE(Exists("leaving-up"));
  EXPECT_TRUE(Exists("leaving-plain"));
  EXPECT_TRUE(Exists("staying-down"));
}

}  // namespace
}  // namespace shoal::controllers
