// HttpTransport against a real HttpServer (HTTPS on 127.0.0.1, port 0, PKI in a temp dir) in
// front of an ApiServer backed by a MemoryStore. The server and the client each run on a
// one-thread io_context of their own. The common tests run twice: over HTTP/1.1 (a pool of
// connections and a connection per watch) and over HTTP/2 (one connection for everything).
#include "client/http_transport.h"


#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "absl/strings/match.h"
#include "apiserver/flow_control.h"
#include "apiserver/http_server.h"
#include "base/clock.h"
#include "base/strings.h"
#include "client/loopback_pki_for_test.h"
#include "client/status.h"
#include "store/memory_store.h"

namespace shoal::client {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
constexpr auto kWait = std::chrono::seconds(20);

std::string PodJson(const std::string& name, const std::string& app,
                    const std::string& note = "") {
  return base::StrCat(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")", name,
                      R"(","labels":{"app":")", app, R"("},"annotations":{"note":")", note,
                      R"("}},"spec":{"containers":[{"name":"c","image":"busybox"}]}})");
}

Request Make(std::string method, std::string path, std::map<std::string, std::string> query = {},
             std::string body = "") {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.body = std::move(body);
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

TEST(EncodeTargetTest, EncodesPathAndQuery) {
  EXPECT_EQ(EncodeTarget("/api/v1/pods", {}), "/api/v1/pods");
  EXPECT_EQ(EncodeTarget("/api/v1/namespaces/a b/pods", {{"labelSelector", "app in (a,b)"},
                                                        {"limit", "5"}}),
            "/api/v1/namespaces/a%20b/pods?labelSelector=app%20in%20%28a%2Cb%29&limit=5");
  EXPECT_EQ(EncodeTarget("/x", {{"fieldSelector", "spec.nodeName=n+1&x"}}),
            "/x?fieldSelector=spec.nodeName%3Dn%2B1%26x");
  EXPECT_EQ(EncodeTarget("", {}), "/");
}

class HttpTransportFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<LoopbackPkiForTest>> pki =
        LoopbackPkiForTest::Create("http_transport_test");
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = *std::move(pki);
    ASSERT_TRUE(api_.Start().ok());
    apiserver::HttpServerOptions options = pki_->ServerOptions();
    options.authenticate = [this, admin = options.authenticate](std::string_view token) {
      std::lock_guard<std::mutex> lock(auth_mu_);
      auth_threads_.insert(std::this_thread::get_id());
      return admin(token);
    };
    flow_ = std::make_shared<apiserver::FlowControl>(FlowOptions());
    options.flow_control_for_test = flow_;
    options.http2 = ServerHttp2();
    server_ = std::make_unique<apiserver::HttpServer>(server_io_, api_, options);
    ASSERT_TRUE(server_->Listen().ok());
    server_thread_ = std::thread([this] { server_io_.run(); });
    client_thread_ = std::thread([this] { client_io_.run(); });
    kubeconfig_ = pki_->KubeconfigFor(server_->port());
    absl::StatusOr<std::unique_ptr<HttpTransport>> t =
        HttpTransport::Create(client_io_.get_executor(), kubeconfig_, TransportOptions());
    ASSERT_TRUE(t.ok()) << t.status();
    transport_ = std::move(*t);
  }
  // The server's seats (its defaults unless a test fixture says otherwise).
  virtual apiserver::FlowControlOptions FlowOptions() { return {}; }
  virtual HttpTransportOptions TransportOptions() { return {}; }
  virtual bool ServerHttp2() { return true; }

  void TearDown() override {
    if (server_ != nullptr) server_->Stop();
    client_work_.reset();
    server_work_.reset();
    client_io_.stop();
    server_io_.stop();
    if (client_thread_.joinable()) client_thread_.join();
    if (server_thread_.joinable()) server_thread_.join();
    transport_.reset();
    store_.Close();
  }

  absl::StatusOr<Response> Call(Request req, HttpTransport* transport = nullptr) {
    if (transport == nullptr) transport = transport_.get();
    return asio::co_spawn(client_io_, transport->Call(std::move(req)), asio::use_future).get();
  }
  std::future<absl::Status> StartWatch(Request req, std::vector<std::string>* events,
                                       std::function<bool(const json::value&)> more) {
    auto on_event = [events, more](std::string_view line) {
      events->emplace_back(line);
      return more(json::parse(line));
    };
    return asio::co_spawn(client_io_, transport_->Watch(std::move(req), std::move(on_event)),
                          asio::use_future);
  }
  // A watch of the default namespace's pods that the server ends after a second.
  absl::Status WatchForASecond(std::vector<std::string>* events) {
    auto watch = StartWatch(Make("GET", "/api/v1/namespaces/default/pods",
                                 {{"watch", "1"}, {"timeoutSeconds", "1"}}),
                            events, [](const json::value&) { return true; });
    if (watch.wait_for(kWait) != std::future_status::ready) {
      return absl::DeadlineExceededError("the watch did not end");
    }
    return watch.get();
  }
  std::string PodsRevision() {
    absl::StatusOr<Response> r = Call(Make("GET", "/api/v1/namespaces/default/pods"));
    EXPECT_TRUE(r.ok() && r->code == 200);
    return r.ok() ? At(json::parse(r->Text()), {"metadata", "resourceVersion"}) : "";
  }

  std::unique_ptr<LoopbackPkiForTest> pki_;
  base::FakeClock clock_{std::chrono::system_clock::from_time_t(1'800'000'000)};
  store::MemoryStore store_;
  apiserver::ApiServer api_{store_, api::Registry::Default(), clock_, {}};
  asio::io_context server_io_;
  asio::io_context client_io_;
  asio::executor_work_guard<asio::io_context::executor_type> server_work_ =
      asio::make_work_guard(server_io_);
  asio::executor_work_guard<asio::io_context::executor_type> client_work_ =
      asio::make_work_guard(client_io_);
  std::shared_ptr<apiserver::FlowControl> flow_;
  std::unique_ptr<apiserver::HttpServer> server_;
  std::thread server_thread_;
  std::thread client_thread_;
  std::mutex auth_mu_;
  std::set<std::thread::id> auth_threads_;  // where requests were authenticated
  Kubeconfig kubeconfig_;
  std::unique_ptr<HttpTransport> transport_;
};

// The common tests, over HTTP/1.1 (false) and HTTP/2 (true).
class HttpTransportTest : public HttpTransportFixture, public ::testing::WithParamInterface<bool> {
 protected:
  HttpTransportOptions TransportOptions() override {
    HttpTransportOptions o;
    o.http2 = GetParam();
    return o;
  }
  bool h2() const { return GetParam(); }
};

INSTANTIATE_TEST_SUITE_P(Protocols, HttpTransportTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Http2" : "Http11";
                         });

// New connections' handshakes run on the server's handshake thread; their requests then run on
// the server's io_context (here one thread).
TEST_P(HttpTransportTest, RequestsAreServedOnTheIoContextAfterTheHandshake) {
  absl::StatusOr<std::unique_ptr<HttpTransport>> second =
      HttpTransport::Create(client_io_.get_executor(), kubeconfig_, TransportOptions());
  ASSERT_TRUE(second.ok()) << second.status();
  for (HttpTransport* t : {transport_.get(), second->get()}) {
    for (int i = 0; i < 3; ++i) {
      absl::StatusOr<Response> r = Call(Make("GET", "/api/v1/namespaces"), t);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->code, 200) << r->body;
    }
  }
  EXPECT_EQ(server_->open_connections(), 2);
  std::lock_guard<std::mutex> lock(auth_mu_);
  EXPECT_EQ(auth_threads_, std::set<std::thread::id>{server_thread_.get_id()});
}

// A watch is served on the server's watch thread, over either protocol (an HTTP/2 stream's
// request is handled on a strand of its own, not on its connection's); calls on the I/O
// threads (here the one server thread).
TEST_P(HttpTransportTest, WatchesAreServedOnTheWatchThread) {
  ASSERT_TRUE(Call(Make("GET", "/api/v1/namespaces"))->code == 200);
  {
    std::lock_guard<std::mutex> lock(auth_mu_);
    EXPECT_EQ(auth_threads_, std::set<std::thread::id>{server_thread_.get_id()});
  }
  std::vector<std::string> events;
  absl::Status st = WatchForASecond(&events);
  EXPECT_TRUE(st.ok()) << st;
  ASSERT_TRUE(Call(Make("GET", "/api/v1/namespaces"))->code == 200);
  std::lock_guard<std::mutex> lock(auth_mu_);
  EXPECT_EQ(auth_threads_.size(), 2u);  // the server thread and the watch thread
  EXPECT_TRUE(auth_threads_.contains(server_thread_.get_id()));
  EXPECT_EQ(transport_->http2_connections_opened(), h2() ? 1 : 0);
}

TEST_P(HttpTransportTest, CreateGetAndListWithAnEncodedSelector) {
  absl::StatusOr<Response> ns = Call(Make(
      "POST", "/api/v1/namespaces", {},
      R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"}})"));
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(ns->code, 201) << ns->body;
  for (const auto& [name, app] : {std::pair{"p1", "a"}, {"p2", "b"}, {"p3", "c"}}) {
    absl::StatusOr<Response> r =
        Call(Make("POST", "/api/v1/namespaces/team-a/pods", {}, PodJson(name, app)));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->code, 201) << r->body;
    EXPECT_EQ(r->content_type, "application/json");
  }
  absl::StatusOr<Response> got = Call(Make("GET", "/api/v1/namespaces/team-a/pods/p2"));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->code, 200);
  EXPECT_EQ(At(json::parse(got->body), {"metadata", "labels", "app"}), "b");

  absl::StatusOr<Response> list = Call(Make("GET", "/api/v1/namespaces/team-a/pods",
                                            {{"labelSelector", "app in (a,b)"}}));
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->code, 200) << list->body;
  std::vector<std::string> names;
  const json::value body = json::parse(list->body);
  for (const json::value& item : body.at("items").as_array()) {
    names.push_back(At(item, {"metadata", "name"}));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"p1", "p2"}));
  // Every request above went over one kept-alive connection.
  EXPECT_EQ(server_->open_connections(), 1);
  EXPECT_EQ(transport_->idle_connections_for_test(), h2() ? 0u : 1u);
  EXPECT_EQ(transport_->call_connections_opened(), h2() ? 0 : 1);
  EXPECT_EQ(transport_->http2_connections_opened(), h2() ? 1 : 0);
  EXPECT_EQ(transport_->watch_connections_opened(), 0);
}

TEST_P(HttpTransportTest, ErrorsAreResponses) {
  absl::StatusOr<Response> r = Call(Make("GET", "/api/v1/namespaces/default/pods/nope"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->code, 404);
  absl::Status st = StatusFromResponse(*r);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(st.message(), "pods \"nope\" not found");
  // A bad token is the server's 401, not a transport failure.
  Kubeconfig wrong = kubeconfig_;
  wrong.token = "wrong";
  auto other = HttpTransport::Create(client_io_.get_executor(), wrong);
  ASSERT_TRUE(other.ok());
  absl::StatusOr<Response> denied = Call(Make("GET", "/api/v1/pods"), other->get());
  ASSERT_TRUE(denied.ok()) << denied.status();
  EXPECT_EQ(StatusFromResponse(*denied).code(), absl::StatusCode::kUnauthenticated);
}

TEST_P(HttpTransportTest, TransportFailuresAreUnavailable) {
  Kubeconfig gone = kubeconfig_;
  gone.server = "https://127.0.0.1:1";  // nothing listens on port 1
  auto t = HttpTransport::Create(client_io_.get_executor(), gone);
  ASSERT_TRUE(t.ok());
  absl::StatusOr<Response> r = Call(Make("GET", "/api/v1/pods"), t->get());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  Kubeconfig bad = kubeconfig_;
  bad.server = "http://127.0.0.1:1";
  EXPECT_EQ(HttpTransport::Create(client_io_.get_executor(), bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(HttpTransportTest, WatchSeesACreateAndStopsWhenAsked) {
  std::vector<std::string> events;
  auto watch = StartWatch(Make("GET", "/api/v1/namespaces/default/pods",
                               {{"watch", "1"}, {"resourceVersion", PodsRevision()}}),
                          &events, [](const json::value&) { return false; });
  absl::StatusOr<Response> created =
      Call(Make("POST", "/api/v1/namespaces/default/pods", {}, PodJson("p1", "a")));
  ASSERT_TRUE(created.ok() && created->code == 201);
  ASSERT_EQ(watch.wait_for(kWait), std::future_status::ready);
  absl::Status st = watch.get();
  EXPECT_TRUE(st.ok()) << st;
  ASSERT_EQ(events.size(), 1u);
  json::value e = json::parse(events[0]);
  EXPECT_EQ(At(e, {"type"}), "ADDED");
  EXPECT_EQ(At(e, {"object", "metadata", "name"}), "p1");
  EXPECT_EQ(events[0].back(), '}');  // no trailing newline
  if (h2()) {
    // The watch and the calls were streams of one connection.
    EXPECT_EQ(transport_->http2_connections_opened(), 1);
    EXPECT_EQ(transport_->watch_connections_opened(), 0);
    EXPECT_EQ(transport_->call_connections_opened(), 0);
    // The watch's stream was reset; its connection serves on.
    absl::StatusOr<Response> after = Call(Make("GET", "/api/v1/namespaces/default/pods/p1"));
    ASSERT_TRUE(after.ok() && after->code == 200);
    EXPECT_EQ(transport_->http2_connections_opened(), 1);
    EXPECT_EQ(server_->open_connections(), 1);
  } else {
    // The watch had a connection of its own; the POST opened the pool's first.
    EXPECT_EQ(transport_->watch_connections_opened(), 1);
    EXPECT_EQ(transport_->call_connections_opened(), 1);
  }
}

// Many events in few body pieces and events split across pieces: a watch from the start sees
// every initial object, in one piece or several, and each arrives whole.
TEST_P(HttpTransportTest, WatchSplitsTheStreamIntoEvents) {
  constexpr int kPods = 60;
  for (int i = 0; i < kPods; ++i) {
    ASSERT_EQ(Call(Make("POST", "/api/v1/namespaces/default/pods", {},
                        PodJson(base::StrCat("pod-", i), "a", std::string(2000, 'x'))))
                  ->code,
              201);
  }
  std::vector<std::string> events;
  int seen = 0;
  auto watch = StartWatch(
      Make("GET", "/api/v1/namespaces/default/pods", {{"watch", "1"}, {"labelSelector", "app"}}),
      &events, [&seen](const json::value& e) {
        return At(e, {"type"}) == "ADDED" && ++seen < kPods;
      });
  ASSERT_EQ(watch.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(watch.get().ok());
  ASSERT_EQ(events.size(), static_cast<size_t>(kPods));
  std::set<std::string> names;
  for (const std::string& line : events) {
    names.insert(At(json::parse(line), {"object", "metadata", "name"}));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kPods));
}

TEST_P(HttpTransportTest, WatchEndsWithTheServer) {
  std::vector<std::string> events;
  absl::Status st = WatchForASecond(&events);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_TRUE(events.empty());
}

TEST_P(HttpTransportTest, RefusedWatchReturnsTheServersStatus) {
  std::vector<std::string> events;
  auto watch = StartWatch(Make("GET", "/api/v1/nothings", {{"watch", "1"}}), &events,
                          [](const json::value&) { return true; });
  ASSERT_EQ(watch.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(watch.get().code(), absl::StatusCode::kNotFound);
  auto bad = StartWatch(
      Make("GET", "/api/v1/pods", {{"watch", "1"}, {"resourceVersion", "not-a-number"}}), &events,
      [](const json::value&) { return true; });
  ASSERT_EQ(bad.wait_for(kWait), std::future_status::ready);
  absl::Status st = bad.get();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("not-a-number"), absl::string_view::npos) << st;
  EXPECT_TRUE(events.empty());
}

// A server with one seat for writes and no queue; the test holds that seat, as a flood of
// other clients' writes would.
class ThrottledHttpTransportTest : public HttpTransportFixture {
 protected:
  apiserver::FlowControlOptions FlowOptions() override {
    apiserver::FlowControlOptions o;
    o.max_requests_inflight = 10;
    o.max_mutating_requests_inflight = 1;
    o.queue_length_per_seat = 0;
    return o;
  }
  // Takes the only write seat until the returned seat is destroyed.
  std::optional<apiserver::FlowControl::Seat> HoldTheWriteSeat() {
    auto seat = asio::co_spawn(client_io_, flow_->Acquire(apiserver::PriorityLevel::kMutating),
                               asio::use_future)
                    .get();
    EXPECT_TRUE(seat.has_value());
    return seat;
  }
};

class UnretriedHttpTransportTest : public ThrottledHttpTransportTest {
 protected:
  HttpTransportOptions TransportOptions() override {
    HttpTransportOptions o;
    o.max_throttle_retries = 0;
    return o;
  }
};

TEST_F(UnretriedHttpTransportTest, AWriteWithoutASeatIsAnswered429WithRetryAfter) {
  auto seat = HoldTheWriteSeat();
  absl::StatusOr<Response> r =
      Call(Make("POST", "/api/v1/namespaces/default/pods", {}, PodJson("p", "a")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->code, 429);
  std::string retry_after = "<absent>";
  for (const auto& [k, v] : r->headers) {
    if (absl::EqualsIgnoreCase(k, "Retry-After")) retry_after = v;
  }
  EXPECT_EQ(retry_after, "1");
  json::value status = json::parse(r->Text());
  EXPECT_EQ(At(status, {"reason"}), "TooManyRequests");
  EXPECT_EQ(At(status, {"details", "retryAfterSeconds"}), "1");
  EXPECT_EQ(StatusFromResponse(*r).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(transport_->throttled(), 1);
  EXPECT_EQ(flow_->Stats(apiserver::PriorityLevel::kMutating).rejected, 1);

  // Reads have seats of their own; the refused write changed nothing.
  absl::StatusOr<Response> get = Call(Make("GET", "/api/v1/namespaces/default/pods/p"));
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->code, 404);
  // So have node heartbeats: a node's Lease is written while other writes are refused.
  absl::StatusOr<Response> lease = Call(Make(
      "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", {},
      R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"n1"},)"
      R"("spec":{"holderIdentity":"n1","leaseDurationSeconds":40}})"));
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->code, 201) << lease->Text();

  // Once the seat is free, the same write goes through.
  seat.reset();
  absl::StatusOr<Response> again =
      Call(Make("POST", "/api/v1/namespaces/default/pods", {}, PodJson("p", "a")));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->code, 201) << again->Text();
}

TEST_F(ThrottledHttpTransportTest, AThrottledWriteIsSentAgainAfterRetryAfter) {
  auto seat = HoldTheWriteSeat();
  auto created = asio::co_spawn(
      client_io_,
      transport_->Call(Make("POST", "/api/v1/namespaces/default/pods", {}, PodJson("p", "a"))),
      asio::use_future);
  // Refused at least once while the seat is held, and not answered.
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (transport_->throttled() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(transport_->throttled(), 1);
  EXPECT_EQ(created.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  seat.reset();
  ASSERT_EQ(created.wait_for(kWait), std::future_status::ready);
  absl::StatusOr<Response> r = created.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->code, 201) << r->Text();
  absl::StatusOr<Response> get = Call(Make("GET", "/api/v1/namespaces/default/pods/p"));
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->code, 200);
}

// HTTP/2 only: many calls in flight at once are streams of the one connection, and a LIST
// ten times the client's first window arrives whole.
TEST_F(HttpTransportFixture, Http2CarriesConcurrentCallsAndLargeAnswersOnOneConnection) {
  for (int i = 0; i < 40; ++i) {
    const std::string name = base::StrCat("big-", i);
    absl::StatusOr<Response> r = Call(Make(
        "POST", "/api/v1/namespaces/default/configmaps", {},
        base::StrCat(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")", name,
                     R"("},"data":{"blob":")", std::string(100000, static_cast<char>('a' + i % 26)),
                     R"("}})")));
    ASSERT_TRUE(r.ok() && r->code == 201) << (r.ok() ? r->body : r.status().ToString());
  }
  std::vector<std::future<absl::StatusOr<Response>>> calls;
  for (int i = 0; i < 40; ++i) {
    calls.push_back(asio::co_spawn(
        client_io_,
        transport_->Call(Make("GET", base::StrCat("/api/v1/namespaces/default/configmaps/big-", i))),
        asio::use_future));
  }
  calls.push_back(asio::co_spawn(
      client_io_, transport_->Call(Make("GET", "/api/v1/namespaces/default/configmaps")),
      asio::use_future));
  for (int i = 0; i < 40; ++i) {
    absl::StatusOr<Response> r = calls[static_cast<size_t>(i)].get();
    ASSERT_TRUE(r.ok() && r->code == 200) << r.status();
    EXPECT_EQ(At(json::parse(r->body), {"metadata", "name"}), base::StrCat("big-", i));
  }
  absl::StatusOr<Response> list = calls.back().get();
  ASSERT_TRUE(list.ok() && list->code == 200) << list.status();
  EXPECT_GT(list->body.size(), 4'000'000u);
  EXPECT_EQ(json::parse(list->body).at("items").as_array().size(), 40u);
  EXPECT_EQ(transport_->http2_connections_opened(), 1);
  EXPECT_EQ(transport_->call_connections_opened(), 0);
  EXPECT_EQ(server_->open_connections(), 1);
}

// A server that does not offer HTTP/2: the transport speaks HTTP/1.1 to it from the first call
// on, watches included.
class Http11ServerTransportTest : public HttpTransportFixture {
 protected:
  bool ServerHttp2() override { return false; }
};

TEST_F(Http11ServerTransportTest, FallsBackToHttp11) {
  absl::StatusOr<Response> r = Call(Make("GET", "/api/v1/namespaces/default/pods"));
  ASSERT_TRUE(r.ok() && r->code == 200) << r.status();
  std::vector<std::string> events;
  absl::Status watched = WatchForASecond(&events);
  EXPECT_TRUE(watched.ok()) << watched;
  r = Call(Make("POST", "/api/v1/namespaces/default/pods", {}, PodJson("p1", "a")));
  ASSERT_TRUE(r.ok() && r->code == 201) << r.status();
  EXPECT_EQ(transport_->http2_connections_opened(), 0);
  EXPECT_EQ(transport_->call_connections_opened(), 1);
  EXPECT_EQ(transport_->watch_connections_opened(), 1);
}

}  // namespace
}  // namespace shoal::client
