// NodeLifecycleController against shoal's real ApiServer (MemoryStore, in process) with a
// fake clock shared by both: time only moves when a test advances it, and each monitor pass
// runs when the test calls TickForTest. Waits poll the API or the controller (up to 15 s) for
// the informers to catch up; nothing is timed.
#include "controllers/node_lifecycle.h"

#include <gtest/gtest.h>

#include <atomic>
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
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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
using std::chrono::milliseconds;
using std::chrono::seconds;

// ---- taints and tolerations -----------------------------------------------------------------

TimePoint At(int s) { return TimePoint(seconds(1'800'000'000 + s)); }

TEST(Tolerations, MatchLikeKubernetes) {
  Taint t{"k", "v", "NoExecute", At(0)};
  EXPECT_TRUE(ToleratesTaint({"k", "Equal", "v", "NoExecute", {}}, t));
  EXPECT_TRUE(ToleratesTaint({"k", "", "v", "", {}}, t));  // "" = Equal; any effect
  EXPECT_FALSE(ToleratesTaint({"k", "Equal", "w", "NoExecute", {}}, t));
  EXPECT_TRUE(ToleratesTaint({"k", "Exists", "", "NoExecute", {}}, t));
  EXPECT_FALSE(ToleratesTaint({"k", "Exists", "", "NoSchedule", {}}, t));
  EXPECT_FALSE(ToleratesTaint({"other", "Exists", "", "", {}}, t));
  EXPECT_TRUE(ToleratesTaint({"", "Exists", "", "", {}}, t));  // tolerates everything
  EXPECT_FALSE(ToleratesTaint({"k", "Gt", "v", "", {}}, t));
}

TEST(Tolerations, EvictionTimeIsTheEarliestOverNoExecuteTaints) {
  std::vector<Taint> taints{
      {"a", "", "NoExecute", At(0)}, {"b", "", "NoExecute", At(5)}, {"c", "", "NoSchedule", At(0)}};
  // Untolerated NoExecute taint: at once (its timeAdded).
  EXPECT_EQ(EvictionTime(taints, {{"a", "Exists", "", "", 30}}), At(5));
  // Both tolerated for a while: the earliest deadline, the shortest toleration per taint.
  EXPECT_EQ(EvictionTime(taints, {{"a", "Exists", "", "", 30},
                                  {"a", "Exists", "", "", 20},
                                  {"b", "Exists", "", "", 10}}),
            At(15));
  // Tolerated forever, except `b` for 10 s.
  EXPECT_EQ(EvictionTime(taints, {{"", "Exists", "", "", {}}, {"b", "Exists", "", "", 10}}),
            At(15));
  EXPECT_EQ(EvictionTime(taints, {{"", "Exists", "", "", {}}}), std::nullopt);
  EXPECT_EQ(EvictionTime(taints, {{"", "Exists", "", "", -3}}), At(0));  // <= 0: at once
  EXPECT_EQ(EvictionTime({{"c", "", "NoSchedule", At(0)}}, {}), std::nullopt);
}

TEST(Tolerations, ParseKeepsTheFirstSightOfATaintWithoutTimeAdded) {
  auto v = json::parse(R"([{"key":"a","effect":"NoExecute","timeAdded":"2027-01-15T08:00:00Z"},
                           {"key":"b","value":"x","effect":"NoExecute"}])");
  std::vector<Taint> first = ParseTaints(&v, {}, At(100));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].since, *base::ParseRfc3339("2027-01-15T08:00:00Z"));
  EXPECT_EQ(first[1].since, At(100));
  std::vector<Taint> again = ParseTaints(&v, first, At(200));
  EXPECT_EQ(again[1].since, At(100));
  auto tv = json::parse(R"([{"key":"k","operator":"Exists","effect":"NoExecute",
                             "tolerationSeconds":300},{"operator":"Exists"}])");
  std::vector<Toleration> tols = ParseTolerations(&tv);
  ASSERT_EQ(tols.size(), 2u);
  EXPECT_EQ(tols[0].seconds, 300);
  EXPECT_EQ(tols[1].seconds, std::nullopt);
  EXPECT_EQ(tols[1].key, "");
}

// ---- the controller against the API server ----------------------------------------------------

class NodeLifecycleTest : public ::testing::Test {
 protected:
  NodeLifecycleTest()
      : clock_(At(0)),
        api_(store_, api::Registry::Default(), clock_, {}),
        transport_(api_),
        work_(asio::make_work_guard(io_)) {
    EXPECT_TRUE(api_.Start().ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~NodeLifecycleTest() override {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    controller_.reset();
    store_.Close();
  }

  // The controller talks through `via` when given (it must forward to transport_).
  void StartController(ControllerOptions options, client::Transport* via = nullptr) {
    controller_ = std::make_unique<NodeLifecycleController>(
        io_.get_executor(), via != nullptr ? *via : transport_, options, clock_);
    controller_->StartInformersForTest();
    ASSERT_TRUE(WaitFor([&] { return OnIo([&] { return controller_->SyncedForTest(); }); }));
  }

  // Runs `f` on the controller's thread and returns its result.
  template <typename F>
  auto OnIo(F f) -> decltype(f()) {
    std::promise<decltype(f())> p;
    asio::post(io_, [&] { p.set_value(f()); });
    return p.get_future().get();
  }
  void Tick() { asio::co_spawn(io_, controller_->TickForTest(), asio::use_future).get(); }
  void Advance(milliseconds d) { clock_.Advance(d); }
  std::string Now() { return base::FormatRfc3339(clock_.Now()); }

  // Polls `done` every 10 ms for up to 15 s.
  static bool WaitFor(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return done();
  }

  client::Response Call(std::string method, std::string path, const json::value& body = nullptr,
                        std::string content_type = "application/json") {
    client::Request r =
        client::MakeRequest(std::move(method), std::move(path),
                            body.is_null() ? "" : json::serialize(body), std::move(content_type));
    auto resp = asio::co_spawn(io_, transport_.Call(std::move(r)), asio::use_future).get();
    EXPECT_TRUE(resp.ok());
    return resp.ok() ? *resp : client::Response{};
  }
  json::value Get(const std::string& path) {
    client::Response r = Call("GET", path);
    if (r.code != 200) return nullptr;
    auto v = api::ParseJson(r.Text());
    return v.ok() ? *v : json::value();
  }
  void Patch(const std::string& path, const std::string& patch) {
    client::Response r = Call("PATCH", path, json::parse(patch), "application/merge-patch+json");
    ASSERT_EQ(r.code, 200) << path << ": " << r.Text();
  }

  // A node as an agent registers it: Ready=True with a heartbeat, and a foreign taint.
  void AddNode(const std::string& name) {
    json::object node{{"apiVersion", "v1"},
                      {"kind", "Node"},
                      {"metadata", {{"name", name}}},
                      {"spec",
                       {{"taints", json::array{json::object{{"key", "shoal.io/unhealthy"},
                                                            {"effect", "NoSchedule"}}}}}},
                      {"status",
                       {{"conditions", json::array{json::object{{"type", "Ready"},
                                                                {"status", "True"},
                                                                {"reason", "KubeletReady"},
                                                                {"lastHeartbeatTime", Now()},
                                                                {"lastTransitionTime", Now()}}}}}}};
    client::Response r = Call("POST", "/api/v1/nodes", node);
    ASSERT_EQ(r.code, 201) << r.Text();
  }
  // The agent posts Ready=`status` with a new heartbeat.
  void PostReady(const std::string& node, const std::string& status) {
    Patch(base::StrCat("/api/v1/nodes/", node, "/status"),
          base::StrCat(R"({"status":{"conditions":[{"type":"Ready","status":")", status,
                       R"(","reason":"KubeletReady","lastHeartbeatTime":")", Now(),
                       R"(","lastTransitionTime":")", Now(), R"("}]}})"));
    ASSERT_TRUE(
        WaitFor([&] { return OnIo([&] { return controller_->ReadyForTest(node); }) == status; }));
  }
  // Renews (creates) the node's Lease at the clock's now and waits until the controller saw it.
  void RenewLease(const std::string& node) {
    const std::string path =
        "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + node;
    const std::string now = Now();
    const std::string micro = now.substr(0, now.size() - 1) + ".000000Z";
    json::object spec{{"holderIdentity", node}, {"leaseDurationSeconds", 40}, {"renewTime", micro}};
    if (Call("GET", path).code == 404) {
      json::object lease{{"apiVersion", "coordination.k8s.io/v1"},
                         {"kind", "Lease"},
                         {"metadata", {{"name", node}, {"namespace", "kube-node-lease"}}},
                         {"spec", spec}};
      client::Response r =
          Call("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease);
      ASSERT_EQ(r.code, 201) << r.Text();
    } else {
      Patch(path, json::serialize(json::object{{"spec", spec}}));
    }
    if (!controller_) return;
    const TimePoint want = *base::ParseRfc3339(now);
    ASSERT_TRUE(WaitFor(
        [&] { return OnIo([&] { return controller_->LeaseRenewForTest(node); }) == want; }));
  }
  // A pod bound to `node` with `tolerations` (admission adds the 300 s defaults for the
  // not-ready/unreachable keys it does not mention), Ready=True.
  void AddPod(const std::string& name, const std::string& node, json::array tolerations = {}) {
    json::object pod{{"apiVersion", "v1"},
                     {"kind", "Pod"},
                     {"metadata", {{"name", name}, {"namespace", "default"}}},
                     {"spec",
                      {{"nodeName", node},
                       {"tolerations", std::move(tolerations)},
                       {"containers", json::array{json::object{{"name", "c"}, {"image", "x"}}}}}}};
    client::Response r = Call("POST", "/api/v1/namespaces/default/pods", pod);
    ASSERT_EQ(r.code, 201) << r.Text();
    Patch("/api/v1/namespaces/default/pods/" + name + "/status",
          R"({"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}})");
    ASSERT_TRUE(WaitFor([&] {
      return OnIo([&] { return controller_->PodStateForTest("default/" + name); }) ==
             node + " ready";
    }));
  }
  static json::object Tolerate(const std::string& key, std::optional<int64_t> seconds,
                               const std::string& op = "Exists", const std::string& value = "") {
    json::object t{{"operator", op}, {"effect", "NoExecute"}};
    if (!key.empty()) t["key"] = key;
    if (!value.empty()) t["value"] = value;
    if (seconds) t["tolerationSeconds"] = *seconds;
    return t;
  }

  json::value Node(const std::string& name) { return Get("/api/v1/nodes/" + name); }
  json::value Pod(const std::string& name) {
    return Get("/api/v1/namespaces/default/pods/" + name);
  }
  // The condition `type` of an object (null if absent).
  static json::value ConditionOf(const json::value& obj, std::string_view type) {
    const json::value* conds = api::FindPath(obj, "status.conditions");
    if (conds == nullptr || !conds->is_array()) return nullptr;
    for (const json::value& c : conds->get_array()) {
      if (api::StringAt(c, "type") == type) return c;
    }
    return nullptr;
  }
  // "key:effect" of each taint of a node, in order.
  std::vector<std::string> Taints(const std::string& node) {
    std::vector<std::string> out;
    json::value n = Node(node);
    const json::value* ts = api::FindPath(n, "spec.taints");
    if (ts == nullptr || !ts->is_array()) return out;
    for (const json::value& t : ts->get_array()) {
      out.push_back(base::StrCat(api::StringAt(t, "key"), ":", api::StringAt(t, "effect")));
    }
    return out;
  }
  bool Terminating(const std::string& pod) {
    return !api::StringAt(Pod(pod), "metadata.deletionTimestamp").empty();
  }
  int TerminatingCount(const std::vector<std::string>& pods) {
    int n = 0;
    for (const std::string& p : pods) n += Terminating(p) ? 1 : 0;
    return n;
  }
  // "reason: message" of the Events about `kind`/`name` in namespace default.
  std::vector<std::string> Events(const std::string& kind, const std::string& name) {
    std::vector<std::string> out;
    json::value list = Get("/api/v1/namespaces/default/events");
    const json::value* items = api::FindPath(list, "items");
    if (items == nullptr || !items->is_array()) return out;
    for (const json::value& e : items->get_array()) {
      if (api::StringAt(e, "involvedObject.kind") == kind &&
          api::StringAt(e, "involvedObject.name") == name) {
        out.push_back(base::StrCat(api::StringAt(e, "reason"), ": ", api::StringAt(e, "message")));
      }
    }
    return out;
  }
  bool HasEvent(const std::string& kind, const std::string& name, const std::string& text) {
    return WaitFor([&] {
      for (const std::string& e : Events(kind, name)) {
        if (e == text) return true;
      }
      return false;
    });
  }

  base::FakeClock clock_;
  store::MemoryStore store_;
  apiserver::ApiServer api_;
  client::InProcessTransport transport_;
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::unique_ptr<NodeLifecycleController> controller_;
  std::unique_ptr<client::Transport> via_;  // the controller's, when a test wraps transport_
};

const std::vector<std::string> kUnreachableTaints{"shoal.io/unhealthy:NoSchedule",
                                                  "node.kubernetes.io/unreachable:NoSchedule",
                                                  "node.kubernetes.io/unreachable:NoExecute"};

TEST_F(NodeLifecycleTest, LeaseExpiryMarksNodeUnknownTaintsItAndEvictsAfterTheTolerations) {
  StartController({});
  AddNode("n1");
  RenewLease("n1");
  AddPod("p1", "n1");  // the default 300 s tolerations

  Advance(seconds(30));
  Tick();
  EXPECT_EQ(api::StringAt(ConditionOf(Node("n1"), "Ready"), "status"), "True");
  EXPECT_EQ(Taints("n1"), std::vector<std::string>{"shoal.io/unhealthy:NoSchedule"});

  Advance(seconds(11));  // 41 s without a renewal
  const std::string tainted_at = Now();
  Tick();
  json::value node = Node("n1");
  json::value ready = ConditionOf(node, "Ready");
  EXPECT_EQ(api::StringAt(ready, "status"), "Unknown");
  EXPECT_EQ(api::StringAt(ready, "reason"), "NodeStatusUnknown");
  EXPECT_EQ(api::StringAt(ready, "message"), "Kubelet stopped posting node status.");
  EXPECT_EQ(api::StringAt(ConditionOf(node, "MemoryPressure"), "status"), "Unknown");
  EXPECT_EQ(Taints("n1"), kUnreachableTaints);
  EXPECT_EQ(api::StringAt(node.at("spec").at("taints").at(2), "timeAdded"), tainted_at);
  EXPECT_TRUE(HasEvent("Node", "n1", "NodeNotReady: Node n1 status is now: NodeNotReady"));
  // MarkPodsNotReady.
  EXPECT_EQ(api::StringAt(ConditionOf(Pod("p1"), "Ready"), "status"), "False");
  EXPECT_TRUE(HasEvent("Pod", "p1", "NodeNotReady: Node is not ready"));
  EXPECT_FALSE(Terminating("p1"));

  Advance(seconds(299));
  Tick();
  EXPECT_FALSE(Terminating("p1"));
  Advance(seconds(2));  // 301 s after the taint
  Tick();
  json::value pod = Pod("p1");
  EXPECT_FALSE(api::StringAt(pod, "metadata.deletionTimestamp").empty()) << pod;
  json::value target = ConditionOf(pod, "DisruptionTarget");
  EXPECT_EQ(api::StringAt(target, "status"), "True");
  EXPECT_EQ(api::StringAt(target, "reason"), "DeletionByTaintManager");
  EXPECT_EQ(api::StringAt(target, "message"), "Taint manager: deleting due to NoExecute taint");
  EXPECT_TRUE(HasEvent("Pod", "p1", "TaintManagerEviction: Marking for deletion Pod default/p1"));
}

TEST_F(NodeLifecycleTest, RenewalsKeepANodeReadyAndAStaleLeaseSeenFirstCountsAsOne) {
  AddNode("n1");
  Advance(-seconds(3600));
  RenewLease("n1");  // an hour old when the controller starts: it may just have restarted
  Advance(seconds(3600));
  StartController({});
  Tick();
  for (int i = 0; i < 6; ++i) {
    Advance(seconds(20));
    RenewLease("n1");
    Tick();
  }
  EXPECT_EQ(OnIo([&] { return controller_->ReadyForTest("n1"); }), "True");
  EXPECT_EQ(Taints("n1"), std::vector<std::string>{"shoal.io/unhealthy:NoSchedule"});
  Advance(seconds(39));
  Tick();
  EXPECT_EQ(Taints("n1"), std::vector<std::string>{"shoal.io/unhealthy:NoSchedule"});
  Advance(seconds(2));
  Tick();
  EXPECT_EQ(Taints("n1"), kUnreachableTaints);
}

TEST_F(NodeLifecycleTest, NotReadyNodeIsTaintedAndRecoveryRemovesOnlyOurTaints) {
  StartController({});
  AddNode("n1");
  RenewLease("n1");
  PostReady("n1", "False");
  Tick();
  EXPECT_EQ(Taints("n1"), (std::vector<std::string>{"shoal.io/unhealthy:NoSchedule",
                                                    "node.kubernetes.io/not-ready:NoSchedule",
                                                    "node.kubernetes.io/not-ready:NoExecute"}));
  // The agent's own condition stays as it posted it.
  EXPECT_EQ(api::StringAt(ConditionOf(Node("n1"), "Ready"), "reason"), "KubeletReady");
  EXPECT_TRUE(HasEvent("Node", "n1", "NodeNotReady: Node n1 status is now: NodeNotReady"));

  // Silent too long: unreachable instead of not-ready.
  Advance(seconds(41));
  Tick();
  EXPECT_EQ(Taints("n1"), kUnreachableTaints);

  // Back: lease renewed and Ready posted.
  RenewLease("n1");
  PostReady("n1", "True");
  Tick();
  EXPECT_EQ(Taints("n1"), std::vector<std::string>{"shoal.io/unhealthy:NoSchedule"});
}

// The controller's first write of a node's status is answered only after another request has
// changed the node (`meanwhile`, given the status path) and the controller's watch has shown
// that (`seen`): the write's answer is then older than what the controller has seen.
class LateStatusAnswerTransport : public client::ForwardingTransport {
 public:
  LateStatusAnswerTransport(client::Transport& next,
                            std::function<client::Request(const std::string&)> meanwhile,
                            std::function<bool()> seen)
      : ForwardingTransport(next), meanwhile_(std::move(meanwhile)), seen_(std::move(seen)) {}
  std::atomic<bool> held{false};

  asio::awaitable<absl::StatusOr<client::Response>> Call(client::Request req) override {
    const bool status_patch = req.method == "PATCH" && req.path.ends_with("/status") &&
                              req.path.starts_with("/api/v1/nodes/");
    const std::string path = req.path;
    auto resp = co_await next().Call(std::move(req));
    if (status_patch && !held.exchange(true)) {
      auto changed = co_await next().Call(meanwhile_(path));
      EXPECT_TRUE(changed.ok() && changed->code == 200);
      asio::steady_timer t(co_await asio::this_coro::executor);
      for (int i = 0; i < 1500 && !seen_(); ++i) {
        t.expires_after(milliseconds(10));
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      }
    }
    co_return resp;
  }

 private:
  std::function<client::Request(const std::string&)> meanwhile_;
  std::function<bool()> seen_;
};

TEST_F(NodeLifecycleTest, AnAgentBackBeforeTheAnswerOfOurUnknownWriteIsNotTainted) {
  const std::string back = base::FormatRfc3339(clock_.Now() + seconds(41));
  const std::string agent_patch =
      base::StrCat(R"({"status":{"conditions":[{"type":"Ready","status":"True",)",
                   R"("reason":"KubeletReady","lastHeartbeatTime":")", back,
                   R"(","lastTransitionTime":")", back, R"("}]}})");
  auto owned = std::make_unique<LateStatusAnswerTransport>(
      transport_,
      [agent_patch](const std::string& status_path) {
        return client::MakeRequest("PATCH", status_path, agent_patch,
                                   "application/merge-patch+json");
      },
      [this] { return controller_->ReadyForTest("n1") == "True"; });
  LateStatusAnswerTransport& via = *owned;
  via_ = std::move(owned);  // outlives the controller's thread
  StartController({}, &via);
  AddNode("n1");
  RenewLease("n1");
  AddPod("p1", "n1");

  Advance(seconds(41));  // silent too long: the controller writes Ready=Unknown...
  Tick();
  ASSERT_TRUE(via.held);
  // ...but the agent was back before that write was answered: no taints, pods stay Ready.
  EXPECT_EQ(api::StringAt(ConditionOf(Node("n1"), "Ready"), "status"), "True");
  EXPECT_EQ(OnIo([&] { return controller_->ReadyForTest("n1"); }), "True");
  EXPECT_EQ(Taints("n1"), std::vector<std::string>{"shoal.io/unhealthy:NoSchedule"});
  EXPECT_EQ(api::StringAt(ConditionOf(Pod("p1"), "Ready"), "status"), "True");
  Tick();
  EXPECT_EQ(Taints("n1"), std::vector<std::string>{"shoal.io/unhealthy:NoSchedule"});
}

TEST_F(NodeLifecycleTest, ANodeDeletedBeforeTheAnswerOfOurWriteIsNotKept) {
  auto owned = std::make_unique<LateStatusAnswerTransport>(
      transport_,
      [](const std::string& status_path) {
        return client::MakeRequest("DELETE", status_path.substr(0, status_path.rfind('/')));
      },
      [this] { return controller_->NodeCountForTest() == 0; });
  LateStatusAnswerTransport& via = *owned;
  via_ = std::move(owned);
  StartController({}, &via);
  AddNode("n1");
  RenewLease("n1");

  Advance(seconds(41));  // silent too long: Ready=Unknown is written, the node deleted meanwhile
  Tick();
  ASSERT_TRUE(via.held);
  EXPECT_EQ(OnIo([&] { return controller_->NodeCountForTest(); }), 0u);
  EXPECT_EQ(Call("GET", "/api/v1/nodes/n1").code, 404);
}

TEST_F(NodeLifecycleTest, UntoleratedNoExecuteTaintEvictsAtOnceTolerationSecondsWait) {
  ControllerOptions options;
  options.node_eviction_rate = 1000;
  StartController(options);
  AddNode("n1");
  RenewLease("n1");
  AddPod("plain", "n1");
  AddPod("wrong-value", "n1", {Tolerate("example.com/maintenance", {}, "Equal", "y")});
  AddPod("ten", "n1", {Tolerate("example.com/maintenance", 10)});
  AddPod("forever", "n1", {Tolerate("", {})});
  Tick();

  // An operator's NoExecute taint (timeAdded now).
  const std::string added = Now();
  Patch("/api/v1/nodes/n1",
        base::StrCat(R"({"spec":{"taints":[{"key":"example.com/maintenance","value":"x",)",
                     R"("effect":"NoExecute","timeAdded":")", added, R"("}]}})"));
  // One token per tick (burst 1): a few ticks 10 ms apart.
  ASSERT_TRUE(WaitFor([&] {
    Advance(milliseconds(10));
    Tick();
    return Terminating("plain") && Terminating("wrong-value");
  }));
  EXPECT_FALSE(Terminating("ten"));
  EXPECT_FALSE(Terminating("forever"));
  Advance(seconds(9));
  Tick();
  EXPECT_FALSE(Terminating("ten"));
  Advance(seconds(1));
  Tick();
  EXPECT_TRUE(Terminating("ten"));
  // The node's own health was never in question.
  EXPECT_EQ(api::StringAt(ConditionOf(Node("n1"), "Ready"), "status"), "True");
  Advance(seconds(1000));
  Tick();
  EXPECT_FALSE(Terminating("forever"));
}

TEST_F(NodeLifecycleTest, EvictionsAreRateLimitedClusterWide) {
  ControllerOptions options;
  options.node_eviction_rate = 1;  // pods per second, burst 1
  StartController(options);
  AddNode("n1");
  RenewLease("n1");
  std::vector<std::string> pods{"a", "b", "c", "d", "e"};
  for (const std::string& p : pods) AddPod(p, "n1");
  Patch("/api/v1/nodes/n1", R"({"spec":{"taints":[{"key":"k","effect":"NoExecute"}]}})");
  ASSERT_TRUE(WaitFor([&] {
    Tick();
    return TerminatingCount(pods) == 1;
  }));
  Tick();
  Tick();
  EXPECT_EQ(TerminatingCount(pods), 1);
  Advance(milliseconds(1000));
  Tick();
  EXPECT_EQ(TerminatingCount(pods), 2);
  Advance(milliseconds(500));
  Tick();
  EXPECT_EQ(TerminatingCount(pods), 2);
  Advance(milliseconds(500));
  Tick();
  EXPECT_EQ(TerminatingCount(pods), 3);
  Advance(seconds(60));  // idle time does not pile up tokens beyond the burst
  Tick();
  EXPECT_EQ(TerminatingCount(pods), 4);
}

TEST_F(NodeLifecycleTest, MostNodesDownPausesEvictionsUntilTheyRecover) {
  ControllerOptions options;
  options.node_eviction_rate = 1000;
  StartController(options);
  std::vector<std::string> nodes{"n0", "n1", "n2", "n3"};
  std::vector<std::string> pods;
  for (const std::string& n : nodes) {
    AddNode(n);
    RenewLease(n);
    pods.push_back("pod-" + n);
    AddPod(pods.back(), n, {Tolerate("node.kubernetes.io/unreachable", 0)});
  }
  Tick();

  // Only n0 keeps renewing: 3 of 4 down (75% > 55%).
  for (int i = 0; i < 3; ++i) {
    Advance(seconds(20));
    RenewLease("n0");
    Tick();
  }
  for (const char* n : {"n1", "n2", "n3"}) EXPECT_EQ(Taints(n), kUnreachableTaints) << n;
  EXPECT_TRUE(OnIo([&] { return controller_->EvictionsPausedForTest(); }));
  Advance(seconds(1));
  Tick();
  EXPECT_EQ(TerminatingCount(pods), 0);
  EXPECT_TRUE(HasEvent("Namespace", "kube-node-lease",
                       "EvictionsPaused: 3 of 4 nodes are not Ready (more than 55%): pod "
                       "evictions paused"));

  // n1 and n2 come back: 1 of 4 down; n3's pod goes, the others stay.
  for (const char* n : {"n0", "n1", "n2"}) {
    RenewLease(n);
    if (n != std::string("n0")) PostReady(n, "True");
  }
  Tick();
  EXPECT_FALSE(OnIo([&] { return controller_->EvictionsPausedForTest(); }));
  ASSERT_TRUE(WaitFor([&] {
    Advance(milliseconds(10));
    Tick();
    return Terminating("pod-n3");
  }));
  EXPECT_EQ(TerminatingCount(pods), 1);
  EXPECT_EQ(Taints("n1"), std::vector<std::string>{"shoal.io/unhealthy:NoSchedule"});
  EXPECT_TRUE(HasEvent("Namespace", "kube-node-lease",
                       "EvictionsResumed: 1 of 4 nodes are not Ready: pod evictions resumed"));
}

}  // namespace
}  // namespace shoal::controllers
