// The Scheduler driver against shoal's real ApiServer (MemoryStore, in process), through a
// transport that can fail chosen bindings: gang rollback when bindings are sent one by one,
// a refused BindingList, scheduleTimeoutSeconds, members beyond minMember, and preemption with
// nominatedNodeName and graceful victims. Waits poll the API (up to 15 s); nothing is timed.
#include "scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "api/object.h"
#include "base/clock.h"
#include "base/strings.h"
#include "client/forwarding_transport.h"
#include "client/in_process_api_for_test.h"
#include "store/memory_store.h"

namespace shoal::scheduler {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using client::Request;
using client::Response;

// Passes everything to the real server, except that the next `fail_bindings` binding requests
// (pods/binding or a BindingList) are answered 500 without reaching it. Records every write.
class FaultyTransport : public client::ForwardingTransport {
 public:
  using ForwardingTransport::ForwardingTransport;

  std::atomic<int> fail_bindings{0};
  // Fail only bindings of this pod name (empty: any binding request).
  std::string fail_pod;
  // When set, the first PATCH of a pod's status binds that pod to this node (another client's
  // bind landing just before the scheduler's write), then passes the PATCH on.
  std::string bind_before_status_patch;
  std::atomic<int> status_patch_codes_409{0};

  std::vector<std::string> Writes() {
    std::lock_guard lock(mu_);
    return writes_;
  }

  asio::awaitable<absl::StatusOr<Response>> Call(Request req) override {
    const bool binding = req.method == "POST" && (req.path.ends_with("/binding") ||
                                                  req.path.ends_with("/bindings"));
    if (req.method != "GET") {
      std::lock_guard lock(mu_);
      writes_.push_back(req.method + " " + req.path);
    }
    if (binding && (fail_pod.empty() || req.path.ends_with("/" + fail_pod + "/binding")) &&
        fail_bindings.fetch_sub(1) > 0) {
      Response r;
      r.code = 500;
      r.body = R"({"kind":"Status","status":"Failure","message":"injected","code":500})";
      co_return r;
    }
    const bool pod_status = req.method == "PATCH" && req.path.ends_with("/status") &&
                            req.path.find("/pods/") != std::string::npos;
    if (pod_status && !bind_before_status_patch.empty()) {
      std::string pod = req.path.substr(0, req.path.size() - std::string("/status").size());
      std::string name = pod.substr(pod.rfind('/') + 1);
      Request bind = client::MakeRequest(
          "POST", pod + "/binding",
          base::StrCat(R"({"apiVersion":"v1","kind":"Binding","metadata":{"name":")", name,
                       R"("},"target":{"kind":"Node","name":")", bind_before_status_patch,
                       R"("}})"));
      bind_before_status_patch.clear();
      auto bound = co_await next().Call(std::move(bind));
      EXPECT_TRUE(bound.ok() && bound->code == 201);
    }
    auto resp = co_await next().Call(std::move(req));
    if (pod_status && resp.ok() && resp->code == 409) ++status_patch_codes_409;
    co_return resp;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> writes_;
};

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerTest() : faulty_(api_.transport()) {}
  ~SchedulerTest() override {
    api_.Stop();
    scheduler_.reset();
  }

  void StartScheduler(bool atomic_gang_binding) {
    SchedulerOptions options;
    options.atomic_gang_binding = atomic_gang_binding;
    scheduler_ = std::make_unique<Scheduler>(api_.io().get_executor(), faulty_, options);
    scheduler_->Start();  // spawns onto the running io_context
  }

  Response Call(std::string method, std::string path, std::string body = "",
                std::map<std::string, std::string> query = {}) {
    Request r = client::MakeRequest(std::move(method), std::move(path), std::move(body));
    r.query = std::move(query);
    return api_.Call(std::move(r));
  }
  void Create(const std::string& path, const std::string& body) {
    Response r = Call("POST", path, body);
    ASSERT_EQ(r.code, 201) << path << ": " << r.Text();
  }
  json::value Get(const std::string& path) { return api_.Get(path); }
  json::value Pod(const std::string& name) {
    return Get("/api/v1/namespaces/default/pods/" + name);
  }
  std::string NodeOf(const std::string& pod) {
    return std::string(api::StringAt(Pod(pod), "spec.nodeName"));
  }
  // The pod's condition of `type` (empty if it has none).
  json::object Condition(const std::string& pod, std::string_view type) {
    json::value p = Pod(pod);
    const json::value* conds = api::FindPath(p, "status.conditions");
    if (conds == nullptr || !conds->is_array()) return {};
    for (const json::value& c : conds->get_array()) {
      if (api::StringAt(c, "type") == type) return c.get_object();
    }
    return {};
  }
  static bool WaitFor(const std::function<bool()>& done) {
    return client::InProcessApiForTest::WaitFor(done);
  }
  // Event reasons about `kind`/`name` in namespace default.
  std::vector<std::string> EventReasons(const std::string& kind, const std::string& name) {
    std::vector<std::string> out;
    json::value list = Get("/api/v1/namespaces/default/events");
    if (!list.is_object() || !list.get_object().contains("items")) return out;
    for (const json::value& e : list.at("items").as_array()) {
      if (api::StringAt(e, "involvedObject.kind") == kind &&
          api::StringAt(e, "involvedObject.name") == name) {
        out.emplace_back(api::StringAt(e, "reason"));
      }
    }
    return out;
  }

  void AddGpuNode(const std::string& name, int gpus) {
    const std::string res = base::StrCat(R"({"cpu":"96","memory":"1536Gi","pods":"110",)",
                                         R"("nvidia.com/gpu":")", gpus, R"("})");
    Create("/api/v1/nodes",
           base::StrCat(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")", name,
                        R"("},"status":{"capacity":)", res, R"(,"allocatable":)", res,
                        R"(,"conditions":[{"type":"Ready","status":"True"}]}})"));
  }
  void AddPodGroup(const std::string& name, int min_member, int timeout_seconds = 0) {
    std::string spec = base::StrCat(R"({"minMember":)", min_member);
    if (timeout_seconds > 0) base::StrAppend(&spec, R"(,"scheduleTimeoutSeconds":)", timeout_seconds);
    spec += "}";
    Create("/apis/scheduling.x-k8s.io/v1alpha1/namespaces/default/podgroups",
           base::StrCat(R"({"apiVersion":"scheduling.x-k8s.io/v1alpha1","kind":"PodGroup",)",
                        R"("metadata":{"name":")", name, R"("},"spec":)", spec, "}"));
  }
  // A one-GPU pod, optionally in `gang`, with `extra_spec` (JSON members) added to its spec.
  void AddGpuPod(const std::string& name, const std::string& gang = "",
                 const std::string& extra_spec = "") {
    std::string labels = gang.empty() ? "{}"
                                      : base::StrCat(R"({"scheduling.x-k8s.io/pod-group":")",
                                                     gang, R"("})");
    Create("/api/v1/namespaces/default/pods",
           base::StrCat(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")", name,
                        R"(","labels":)", labels, R"(},"spec":{)", extra_spec,
                        extra_spec.empty() ? "" : ",",
                        R"("containers":[{"name":"c","image":"x","resources":{"limits":)",
                        R"({"nvidia.com/gpu":"1"}}}]}})"));
  }

  client::InProcessApiForTest api_;
  FaultyTransport faulty_;
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(SchedulerTest, GangBoundPodByPodIsRolledBackWhenABindingFailsThenPlacedWhole) {
  AddGpuNode("n0", 1);
  AddGpuNode("n1", 1);
  AddPodGroup("g", 2);
  AddGpuPod("g-0", "g");
  const std::string first_uid(api::StringAt(Pod("g-0"), "metadata.uid"));
  faulty_.fail_pod = "g-1";
  faulty_.fail_bindings = 1;
  AddGpuPod("g-1", "g");
  StartScheduler(/*atomic_gang_binding=*/false);

  ASSERT_TRUE(WaitFor([&] { return !NodeOf("g-0").empty() && !NodeOf("g-1").empty(); }));
  EXPECT_NE(NodeOf("g-0"), NodeOf("g-1"));
  // g-0 was bound first, then g-1's binding failed: g-0 was deleted and created again unbound
  // (a new uid) before the gang was placed whole on the retry.
  EXPECT_NE(api::StringAt(Pod("g-0"), "metadata.uid"), first_uid);
  const std::vector<std::string> writes = faulty_.Writes();
  auto has = [&](const std::string& w) {
    return std::find(writes.begin(), writes.end(), w) != writes.end();
  };
  EXPECT_TRUE(has("DELETE /api/v1/namespaces/default/pods/g-0"));
  EXPECT_TRUE(has("POST /api/v1/namespaces/default/pods"));
  EXPECT_EQ(std::count(writes.begin(), writes.end(),
                       "POST /api/v1/namespaces/default/pods/g-1/binding"),
            2);
}

TEST_F(SchedulerTest, RefusedBindingListBindsNobodyAndTheGangIsRetried) {
  AddGpuNode("n0", 1);
  AddGpuNode("n1", 1);
  AddPodGroup("g", 2);
  AddGpuPod("g-0", "g");
  AddGpuPod("g-1", "g");
  const std::string uid(api::StringAt(Pod("g-0"), "metadata.uid"));
  faulty_.fail_bindings = 1;
  StartScheduler(/*atomic_gang_binding=*/true);

  ASSERT_TRUE(WaitFor([&] { return !NodeOf("g-0").empty() && !NodeOf("g-1").empty(); }));
  const std::vector<std::string> writes = faulty_.Writes();
  EXPECT_EQ(std::count(writes.begin(), writes.end(), "POST /api/v1/namespaces/default/bindings"),
            2);
  // Nothing to roll back: the pods are the ones created at first.
  EXPECT_EQ(api::StringAt(Pod("g-0"), "metadata.uid"), uid);
  EXPECT_EQ(std::count(writes.begin(), writes.end(), "DELETE /api/v1/namespaces/default/pods/g-0"),
            0);
}

TEST_F(SchedulerTest, ScheduleTimeoutBacksTheGangOffWithAnEventWithoutAnyClusterEvent) {
  AddGpuNode("n0", 1);
  AddPodGroup("g", 2, /*timeout_seconds=*/1);
  AddGpuPod("g-0", "g");
  AddGpuPod("g-1", "g");
  StartScheduler(/*atomic_gang_binding=*/true);

  ASSERT_TRUE(WaitFor([&] {
    std::vector<std::string> r = EventReasons("PodGroup", "g");
    return std::find(r.begin(), r.end(), "ScheduleTimeout") != r.end();
  }));
  EXPECT_EQ(NodeOf("g-0"), "");
  EXPECT_EQ(NodeOf("g-1"), "");
  json::value group = Get("/apis/scheduling.x-k8s.io/v1alpha1/namespaces/default/podgroups/g");
  EXPECT_NE(std::string(api::StringAt(group, "status.phase")), "Scheduled");
}

TEST_F(SchedulerTest, AGangIsToldOnceThatItWaitsForItsMembersNotPerMember) {
  for (int i = 0; i < 4; ++i) AddGpuNode(base::StrCat("n", i), 1);
  StartScheduler(/*atomic_gang_binding=*/true);
  AddPodGroup("g", 4);
  for (int i = 0; i < 3; ++i) {
    const uint64_t before = scheduler_->AttemptsForTest();
    AddGpuPod(base::StrCat("g-", i), "g");
    ASSERT_TRUE(WaitFor([&] { return scheduler_->AttemptsForTest() > before; }));
  }
  auto failed = [&] {
    std::vector<std::string> r = EventReasons("PodGroup", "g");
    return std::count(r.begin(), r.end(), "FailedScheduling");
  };
  ASSERT_TRUE(WaitFor([&] { return failed() >= 1; }));
  json::value g = Get("/apis/scheduling.x-k8s.io/v1alpha1/namespaces/default/podgroups/g");
  const json::value* conds = api::FindPath(g, "status.conditions");
  ASSERT_TRUE(conds != nullptr && conds->is_array() && !conds->as_array().empty());
  EXPECT_EQ(api::StringAt(conds->as_array()[0], "message"),
            "waiting for pods: 1 of minMember 4 exist");
  AddGpuPod("g-3", "g");
  ASSERT_TRUE(WaitFor([&] { return !NodeOf("g-3").empty(); }));
  EXPECT_EQ(failed(), 1);  // three members arrived short of minMember: one report
}

TEST_F(SchedulerTest, MembersBeyondMinMemberArePlacedAsCapacityAllows) {
  for (int i = 0; i < 3; ++i) AddGpuNode("n" + std::to_string(i), 1);
  AddPodGroup("g", 2);
  for (int i = 0; i < 4; ++i) AddGpuPod("g-" + std::to_string(i), "g");
  StartScheduler(/*atomic_gang_binding=*/true);

  auto bound = [&] {
    int n = 0;
    for (int i = 0; i < 4; ++i) n += NodeOf("g-" + std::to_string(i)).empty() ? 0 : 1;
    return n;
  };
  ASSERT_TRUE(WaitFor([&] { return bound() == 3; }));
  // The fourth waits, told why (only 3 GPUs), and gets its node when a member goes away.
  std::string waiting;
  for (int i = 0; i < 4; ++i) {
    if (NodeOf("g-" + std::to_string(i)).empty()) waiting = "g-" + std::to_string(i);
  }
  ASSERT_TRUE(WaitFor([&] {
    return api::StringAt(Condition(waiting, "PodScheduled"), "reason") == "Unschedulable";
  }));
  std::string message(api::StringAt(Condition(waiting, "PodScheduled"), "message"));
  EXPECT_NE(message.find("Insufficient nvidia.com/gpu"), std::string::npos) << message;
  std::string victim = waiting == "g-0" ? "g-1" : "g-0";
  Response del = Call("DELETE", "/api/v1/namespaces/default/pods/" + victim, "",
                      {{"gracePeriodSeconds", "0"}});
  ASSERT_EQ(del.code, 200) << del.Text();
  EXPECT_TRUE(WaitFor([&] { return !NodeOf(waiting).empty(); }));
}

TEST_F(SchedulerTest, UnschedulableIsNotWrittenOnAPodBoundMeanwhile) {
  // No node fits: the scheduler reports the pod Unschedulable, but another client binds it
  // just before that write lands. The write is refused (the pod changed since the attempt), so
  // a bound pod never says PodScheduled=False.
  faulty_.bind_before_status_patch = "elsewhere";
  AddGpuPod("p");
  StartScheduler(/*atomic_gang_binding=*/true);

  ASSERT_TRUE(WaitFor([&] { return faulty_.status_patch_codes_409 == 1; }));
  EXPECT_EQ(NodeOf("p"), "elsewhere");
  // The binding's own PodScheduled=True stands.
  EXPECT_EQ(api::StringAt(Condition("p", "PodScheduled"), "status"), "True");
  std::vector<std::string> r = EventReasons("Pod", "p");
  EXPECT_NE(std::find(r.begin(), r.end(), "FailedScheduling"), r.end());
}

TEST_F(SchedulerTest, NodeHeartbeatsDoNotRetryWaitingPodsButACapacityChangeDoes) {
  // "waiting" fits nowhere. Twenty status writes over 2 s that only move the node's heartbeat
  // time change nothing the scheduler reads: no attempt (were they cluster events, an idle
  // scheduler would pop the pod early, up to every 200 ms). More GPUs: one attempt, bound.
  AddGpuNode("n0", 1);
  AddGpuPod("first");
  AddGpuPod("waiting");
  StartScheduler(/*atomic_gang_binding=*/true);
  ASSERT_TRUE(WaitFor([&] { return NodeOf("first") == "n0"; }));
  ASSERT_TRUE(WaitFor([&] {
    return api::StringAt(Condition("waiting", "PodScheduled"), "reason") == "Unschedulable";
  }));
  const uint64_t before = scheduler_->AttemptsForTest();
  for (int i = 0; i < 20; ++i) {
    const std::string beat = base::StrCat("2026-01-01T00:00:", i < 10 ? "0" : "", i, "Z");
    Response r = api_.Call(
        "PATCH", "/api/v1/nodes/n0/status",
        base::StrCat(R"({"status":{"conditions":[{"type":"Ready","status":"True",)",
                     R"("lastHeartbeatTime":")", beat, R"("}]}})"),
        "application/merge-patch+json");
    ASSERT_EQ(r.code, 200) << r.Text();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Response more = api_.Call(
      "PATCH", "/api/v1/nodes/n0/status",
      R"({"status":{"capacity":{"nvidia.com/gpu":"2"},"allocatable":{"nvidia.com/gpu":"2"}}})",
      "application/merge-patch+json");
  ASSERT_EQ(more.code, 200) << more.Text();
  ASSERT_TRUE(WaitFor([&] { return NodeOf("waiting") == "n0"; }));
  EXPECT_LE(scheduler_->AttemptsForTest() - before, 2u);
}

TEST_F(SchedulerTest, AGangWaitsForItsTerminatingVictimsInsteadOfEvictingMore) {
  // Four 1-GPU nodes run low-priority pods. A 2-pod gang preempts two of them, which take
  // their 30 s grace period. A node change then retries the gang: it still fits nowhere, and
  // must wait for its victims, not evict the other two (kube's PodEligibleToPreemptOthers).
  for (int i = 0; i < 4; ++i) {
    AddGpuNode(base::StrCat("n", i), 1);
    AddGpuPod(base::StrCat("low-", i));
  }
  StartScheduler(/*atomic_gang_binding=*/true);
  ASSERT_TRUE(WaitFor([&] {
    for (int i = 0; i < 4; ++i) {
      if (NodeOf(base::StrCat("low-", i)).empty()) return false;
    }
    return true;
  }));
  Create("/apis/scheduling.k8s.io/v1/priorityclasses",
         R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass",)"
         R"("metadata":{"name":"high"},"value":1000})");
  AddPodGroup("g", 2);
  AddGpuPod("g-0", "g", R"("priorityClassName":"high")");
  AddGpuPod("g-1", "g", R"("priorityClassName":"high")");
  auto terminating = [&] {
    int n = 0;
    for (int i = 0; i < 4; ++i) {
      n += !api::StringAt(Pod(base::StrCat("low-", i)), "metadata.deletionTimestamp").empty();
    }
    return n;
  };
  ASSERT_TRUE(WaitFor([&] { return terminating() == 2; }));
  const uint64_t before = scheduler_->AttemptsForTest();
  Response labelled = api_.Call("PATCH", "/api/v1/nodes/n0",
                                R"({"metadata":{"labels":{"retry":"now"}}})",
                                "application/merge-patch+json");
  ASSERT_EQ(labelled.code, 200) << labelled.Text();
  ASSERT_TRUE(WaitFor([&] { return scheduler_->AttemptsForTest() > before; }));
  // Whatever the retry decided has been sent by the time a pod created after it is bound.
  AddGpuNode("n4", 1);
  AddGpuPod("after");
  ASSERT_TRUE(WaitFor([&] { return !NodeOf("after").empty(); }));
  EXPECT_EQ(terminating(), 2);
  EXPECT_EQ(NodeOf("g-0"), "");
}

TEST_F(SchedulerTest, RoomBeingFreedForANominatedPreemptorIsNotPromisedToAnother) {
  AddGpuNode("n0", 1);
  AddGpuNode("n1", 1);
  AddGpuPod("low-a");
  AddGpuPod("low-b");
  StartScheduler(/*atomic_gang_binding=*/true);
  ASSERT_TRUE(WaitFor([&] { return !NodeOf("low-a").empty() && !NodeOf("low-b").empty(); }));
  Create("/apis/scheduling.k8s.io/v1/priorityclasses",
         R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass",)"
         R"("metadata":{"name":"high"},"value":1000})");
  auto nominated = [&](const std::string& pod) {
    return std::string(api::StringAt(Pod(pod), "status.nominatedNodeName"));
  };
  AddGpuPod("first", "", R"("priorityClassName":"high")");
  ASSERT_TRUE(WaitFor([&] { return !nominated("first").empty(); }));
  const std::string first_node = nominated("first");
  // The first preemptor's victim terminates (30 s grace). Its room looks free to the next
  // preemptor's plan (a terminating pod is on its way out), but it is reserved: the second
  // preemptor evicts the other low pod instead of counting on the same room.
  AddGpuPod("second", "", R"("priorityClassName":"high")");
  ASSERT_TRUE(WaitFor([&] { return !nominated("second").empty(); }));
  EXPECT_NE(nominated("second"), first_node);
  auto deleting = [&](const std::string& pod) {
    return !api::StringAt(Pod(pod), "metadata.deletionTimestamp").empty();
  };
  ASSERT_TRUE(WaitFor([&] { return deleting("low-a") && deleting("low-b"); }));
  for (const char* low : {"low-a", "low-b"}) {
    Response del = Call("DELETE", base::StrCat("/api/v1/namespaces/default/pods/", low), "",
                        {{"gracePeriodSeconds", "0"}});
    ASSERT_EQ(del.code, 200) << del.Text();
  }
  ASSERT_TRUE(WaitFor([&] { return !NodeOf("first").empty() && !NodeOf("second").empty(); }));
  EXPECT_EQ(NodeOf("first"), first_node);
  EXPECT_NE(NodeOf("second"), first_node);
}

TEST_F(SchedulerTest, PreemptorIsNominatedAndVictimsAreDeletedGracefully) {
  AddGpuNode("n0", 1);
  AddGpuPod("low");
  StartScheduler(/*atomic_gang_binding=*/true);
  ASSERT_TRUE(WaitFor([&] { return NodeOf("low") == "n0"; }));

  Create("/apis/scheduling.k8s.io/v1/priorityclasses",
         R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass",)"
         R"("metadata":{"name":"high"},"value":1000})");
  AddGpuPod("high", "", R"("priorityClassName":"high")");

  // The victim gets its grace period (30 s by default), so the preemptor waits, nominated.
  ASSERT_TRUE(WaitFor([&] {
    return api::StringAt(Pod("high"), "status.nominatedNodeName") == "n0";
  }));
  json::value low = Pod("low");
  EXPECT_NE(std::string(api::StringAt(low, "metadata.deletionTimestamp")), "");
  const json::value* grace = api::FindPath(low, "metadata.deletionGracePeriodSeconds");
  ASSERT_NE(grace, nullptr);
  EXPECT_EQ(grace->to_number<int64_t>(), 30);
  EXPECT_EQ(NodeOf("high"), "");
  ASSERT_TRUE(WaitFor([&] {
    std::vector<std::string> r = EventReasons("Pod", "low");
    return std::find(r.begin(), r.end(), "Preempted") != r.end();
  }));

  // The victim's processes end (here: forced deletion): the preemptor is bound at once.
  Response del =
      Call("DELETE", "/api/v1/namespaces/default/pods/low", "", {{"gracePeriodSeconds", "0"}});
  ASSERT_EQ(del.code, 200) << del.Text();
  EXPECT_TRUE(WaitFor([&] { return NodeOf("high") == "n0"; }));
}

}  // namespace
}  // namespace shoal::scheduler
