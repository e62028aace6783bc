// PodGroup phase and counts from member pods; the controller against shoal's real ApiServer
// (MemoryStore, in process).
#include "controllers/podgroup_status.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "api/object.h"
#include "apiserver/api_server.h"
#include "base/clock.h"
#include "base/strings.h"
#include "client/forwarding_transport.h"
#include "client/in_process_transport.h"
#include "store/memory_store.h"

namespace shoal::controllers {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

PodGroupCounts Count(std::initializer_list<std::pair<const char*, const char*>> members) {
  PodGroupCounts c;
  for (const auto& [node, phase] : members) {
    json::object pod{{"spec", json::object{{"nodeName", node}}},
                     {"status", json::object{{"phase", phase}}}};
    CountMember(pod, c);
  }
  return c;
}

TEST(PodGroupStatus, CountsMembersByNodeAndPhase) {
  PodGroupCounts c = Count({{"", "Pending"}, {"n1", "Pending"}, {"n1", "Running"},
                            {"n2", "Succeeded"}, {"n2", "Failed"}});
  EXPECT_EQ(c.pending, 2);
  EXPECT_EQ(c.scheduled, 2);  // bound and not finished
  EXPECT_EQ(c.running, 1);
  EXPECT_EQ(c.succeeded, 1);
  EXPECT_EQ(c.failed, 1);
}

TEST(PodGroupStatus, PhaseFollowsTheGang) {
  EXPECT_EQ(PodGroupPhase(Count({{"", "Pending"}, {"", "Pending"}}), 2), "Pending");
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Pending"}, {"", "Pending"}}), 2), "Pending");
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Pending"}, {"n2", "Pending"}}), 2), "Scheduled");
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Running"}, {"n2", "Pending"}}), 2), "Scheduled");
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Running"}, {"n2", "Running"}}), 2), "Running");
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Running"}, {"n2", "Succeeded"}}), 2), "Running");
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Succeeded"}, {"n2", "Succeeded"}}), 2), "Succeeded");
  // A failed member while others still run: still Running; once nothing is left to run and
  // fewer than minMember succeeded: Failed.
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Failed"}, {"n2", "Running"}, {"n3", "Running"}}), 2),
            "Running");
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Failed"}, {"n2", "Succeeded"}}), 2), "Failed");
  EXPECT_EQ(PodGroupPhase(Count({}), 1), "Pending");
}

// Passes everything on, counting how many status writes of PodGroups are in flight at once.
class CountingTransport : public client::ForwardingTransport {
 public:
  using ForwardingTransport::ForwardingTransport;
  std::atomic<int> in_flight{0}, most{0}, failed{0};

  asio::awaitable<absl::StatusOr<client::Response>> Call(client::Request req) override {
    const bool counted = req.method == "PATCH" && req.path.find("/podgroups/") != std::string::npos;
    if (counted) {
      const int now = ++in_flight;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
    }
    auto resp = co_await next().Call(std::move(req));
    if (counted) {
      --in_flight;
      if (!resp.ok() || resp->code != 200) ++failed;
    }
    co_return resp;
  }
};

TEST(PodGroupStatusControllerTest, WritesOneStatusAtATimePerGroupAndEndsCurrent) {
  store::MemoryStore store;
  apiserver::ApiServer api(store, api::Registry::Default(), base::RealClock::Get(), {});
  ASSERT_TRUE(api.Start().ok());
  client::InProcessTransport in_process(api);
  CountingTransport counting(in_process);
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread thread([&] { io.run(); });
  auto call = [&](std::string method, std::string path, std::string body,
                  std::string type = "application/json") {
    auto r = asio::co_spawn(io,
                            in_process.Call(client::MakeRequest(std::move(method), std::move(path),
                                                                std::move(body), std::move(type))),
                            asio::use_future)
                 .get();
    return r.ok() ? r->code : 0;
  };
  EXPECT_EQ(call("POST", "/apis/scheduling.x-k8s.io/v1alpha1/namespaces/default/podgroups",
                 R"({"apiVersion":"scheduling.x-k8s.io/v1alpha1","kind":"PodGroup",
                     "metadata":{"name":"g"},"spec":{"minMember":16}})"),
            201);
  PodGroupStatusController controller(io.get_executor(), counting);
  asio::post(io, [&] { controller.Start(); });
  // 16 members bound at once, then all Running at once: each event changes the counts.
  constexpr int kMembers = 16;
  // Member m<i> of group g, bound to node n<i>.
  auto add_member = [&](int i) {
    EXPECT_EQ(call("POST", "/api/v1/namespaces/default/pods",
                   base::StrCat(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"m)", i,
                                R"(","labels":{"scheduling.x-k8s.io/pod-group":"g"}},
                                   "spec":{"nodeName":"n)", i, R"(","containers":[{"name":"c",
                                   "image":"x"}]}})")),
              201);
  };
  for (int i = 0; i < kMembers; ++i) add_member(i);
  for (int i = 0; i < kMembers; ++i) {
    EXPECT_EQ(call("PATCH", base::StrCat("/api/v1/namespaces/default/pods/m", i, "/status"),
                   R"({"status":{"phase":"Running"}})", "application/merge-patch+json"),
              200);
  }
  // Polls the group's status until it shows `want_phase` and `want_running` (or 15 s pass).
  std::string phase;
  int64_t running = 0, scheduled = 0;
  auto wait_for = [&](std::string_view want_phase, int64_t want_running) {
    for (int tries = 0; tries < 300 && !(phase == want_phase && running == want_running);
         ++tries) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      auto r = asio::co_spawn(io,
                              in_process.Call(client::MakeRequest(
                                  "GET", "/apis/scheduling.x-k8s.io/v1alpha1/namespaces/default/"
                                         "podgroups/g")),
                              asio::use_future)
                   .get();
      if (!r.ok()) continue;
      auto v = api::ParseJson(r->Text());
      if (!v.ok()) continue;
      phase = std::string(api::StringAt(*v, "status.phase"));
      const json::value* n = api::FindPath(*v, "status.running");
      running = n != nullptr && n->is_int64() ? n->get_int64() : 0;
      const json::value* sc = api::FindPath(*v, "status.scheduled");
      scheduled = sc != nullptr && sc->is_int64() ? sc->get_int64() : 0;
    }
  };
  // The status ends current: all 16 running, phase Running.
  wait_for("Running", kMembers);
  EXPECT_EQ(phase, "Running");
  EXPECT_EQ(running, kMembers);
  EXPECT_EQ(scheduled, kMembers);
  // Members leave: 5 deleted and 1 relabelled into another group. The counts follow (they
  // are kept per event, not recounted), and with 10 running of minMember 16 the gang is
  // Pending again.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(call("DELETE", base::StrCat("/api/v1/namespaces/default/pods/m", i),
                   R"({"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0})"),
              200);
  }
  EXPECT_EQ(call("PATCH", "/api/v1/namespaces/default/pods/m5",
                 R"({"metadata":{"labels":{"scheduling.x-k8s.io/pod-group":"other"}}})",
                 "application/merge-patch+json"),
            200);
  wait_for("Pending", kMembers - 6);
  EXPECT_EQ(phase, "Pending");
  EXPECT_EQ(running, kMembers - 6);
  EXPECT_EQ(scheduled, kMembers - 6);
  // Six more members, and all sixteen succeed: Succeeded, which is final. Members deleted
  // afterwards (PodGC) leave the phase and counts as they were.
  for (int i = kMembers; i < kMembers + 6; ++i) add_member(i);
  for (int i = 6; i < kMembers + 6; ++i) {
    EXPECT_EQ(call("PATCH", base::StrCat("/api/v1/namespaces/default/pods/m", i, "/status"),
                   R"({"status":{"phase":"Succeeded"}})", "application/merge-patch+json"),
              200);
  }
  wait_for("Succeeded", 0);
  ASSERT_EQ(phase, "Succeeded");
  for (int i = 6; i < 9; ++i) {
    EXPECT_EQ(call("DELETE", base::StrCat("/api/v1/namespaces/default/pods/m", i),
                   R"({"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0})"),
              200);
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the controller has seen them go
  phase.clear();  // read it again
  wait_for("Succeeded", 0);
  EXPECT_EQ(phase, "Succeeded");
  EXPECT_EQ(counting.most.load(), 1);  // never two writes of one group at once
  EXPECT_EQ(counting.failed.load(), 0);
  work.reset();
  io.stop();
  thread.join();
  store.Close();
}

}  // namespace
}  // namespace shoal::controllers
