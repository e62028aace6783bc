// In-process tests of the REST semantics (no sockets): ApiServer over a MemoryStore with a
// fake clock. The end-to-end suite in tests/ covers the same ground through kubectl.
#include "apiserver/api_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "apiserver/errors.h"
#include "base/strings.h"
#include "store/memory_store.h"

namespace shoal::apiserver {
namespace {

using ::testing::HasSubstr;

namespace json = boost::json;
namespace asio = boost::asio;

class ApiServerTest : public ::testing::Test {
 protected:
  ApiServerTest()
      : clock_(std::chrono::system_clock::from_time_t(1'800'000'000)),
        api_(store_, api::Registry::Default(), clock_, {}),
        work_(asio::make_work_guard(io_)) {
    EXPECT_TRUE(api_.Start().ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ApiServerTest() override {
    work_.reset();
    io_.stop();
    thread_.join();
    store_.Close();
  }

  Response Call(std::string method, std::string path, std::string body = "",
                std::string content_type = "application/json",
                std::map<std::string, std::string> query = {}) {
    Request req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.body = std::move(body);
    req.content_type = std::move(content_type);
    req.query = std::move(query);
    return asio::co_spawn(io_, api_.Handle(std::move(req)), asio::use_future).get();
  }
  json::value Body(const Response& r) { return json::parse(r.Text()); }
  std::string Str(const json::value& v, std::string_view path) {
    const json::value* cur = &v;
    size_t start = 0;
    while (start <= path.size()) {
      size_t dot = path.find('.', start);
      std::string_view step = path.substr(start, dot == std::string_view::npos ? dot : dot - start);
      if (!cur->is_object() || !cur->get_object().contains(step)) return "<absent>";
      cur = &cur->get_object().at(step);
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    return cur->is_string() ? std::string(cur->get_string()) : json::serialize(*cur);
  }
  std::string Pod(const std::string& name, const std::string& extra_meta = "") {
    return base::StrCat(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")", name, "\"",
                        extra_meta,
                        R"(},"spec":{"containers":[{"name":"c","image":"busybox","resources":{"requests":{"cpu":"500m"}}}]}})");
  }
  size_t CountPods() {
    Response r = Call("GET", "/api/v1/namespaces/default/pods");
    return Body(r).at("items").as_array().size();
  }

  base::FakeClock clock_;
  store::MemoryStore store_;
  ApiServer api_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

TEST_F(ApiServerTest, DefaultNamespacesExist) {
  Response r = Call("GET", "/api/v1/namespaces");
  ASSERT_EQ(r.code, 200);
  std::set<std::string> names;
  json::value list = Body(r);
  for (const auto& ns : list.at("items").as_array()) names.insert(Str(ns, "metadata.name"));
  EXPECT_EQ(names, (std::set<std::string>{"default", "kube-node-lease", "kube-public",
                                          "kube-system"}));
}

TEST_F(ApiServerTest, CreateSetsServerMetadataAndDefaults) {
  Response r = Call("POST", "/api/v1/namespaces/default/pods", Pod("p1"));
  ASSERT_EQ(r.code, 201) << r.body;
  json::value v = Body(r);
  EXPECT_NE(Str(v, "metadata.uid"), "<absent>");
  EXPECT_EQ(Str(v, "metadata.creationTimestamp"), "2027-01-15T08:00:00Z");
  EXPECT_NE(Str(v, "metadata.resourceVersion"), "<absent>");
  EXPECT_EQ(Str(v, "metadata.namespace"), "default");
  EXPECT_EQ(Str(v, "status.phase"), "Pending");
  EXPECT_EQ(Str(v, "status.qosClass"), "Burstable");
  EXPECT_EQ(Str(v, "spec.restartPolicy"), "Always");
  Response g = Call("GET", "/api/v1/namespaces/default/pods/p1");
  ASSERT_EQ(g.code, 200);
  EXPECT_EQ(Str(Body(g), "metadata.resourceVersion"), Str(v, "metadata.resourceVersion"));
}

TEST_F(ApiServerTest, AnUnchangedUpdateIsNotWrittenAndAStatusChangeIs) {
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/pods", Pod("p")).code, 201);
  const std::string path = "/api/v1/namespaces/default/pods/p";
  Response first = Call("PATCH", path + "/status", R"({"status":{"phase":"Running"}})",
                        "application/merge-patch+json");
  ASSERT_EQ(first.code, 200) << first.Text();
  const std::string rv = Str(Body(first), "metadata.resourceVersion");
  // The same patch again, and a merge patch that sets members to what they are: no write
  // (the stored bytes match), the same resourceVersion.
  Response again = Call("PATCH", path + "/status", R"({"status":{"phase":"Running"}})",
                        "application/merge-patch+json");
  ASSERT_EQ(again.code, 200);
  EXPECT_EQ(Str(Body(again), "metadata.resourceVersion"), rv);
  Response same_meta = Call("PATCH", path, R"({"metadata":{"name":"p"}})",
                            "application/merge-patch+json");
  ASSERT_EQ(same_meta.code, 200);
  EXPECT_EQ(Str(Body(same_meta), "metadata.resourceVersion"), rv);
  // A change in status alone is written.
  Response changed = Call("PATCH", path + "/status", R"({"status":{"phase":"Succeeded"}})",
                          "application/merge-patch+json");
  ASSERT_EQ(changed.code, 200);
  EXPECT_NE(Str(Body(changed), "metadata.resourceVersion"), rv);
  EXPECT_EQ(Str(Body(Call("GET", path)), "status.phase"), "Succeeded");
}

TEST_F(ApiServerTest, DuplicateCreateIsAlreadyExists) {
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/pods", Pod("p1")).code, 201);
  Response r = Call("POST", "/api/v1/namespaces/default/pods", Pod("p1"));
  EXPECT_EQ(r.code, 409);
  EXPECT_EQ(Str(Body(r), "reason"), "AlreadyExists");
  EXPECT_EQ(CountPods(), 1u);
}

TEST_F(ApiServerTest, MalformedJsonIsBadRequestAndStoresNothing) {
  Response r = Call("POST", "/api/v1/namespaces/default/pods", "{\"kind\": ");
  EXPECT_EQ(r.code, 400);
  EXPECT_EQ(Str(Body(r), "kind"), "Status");
  EXPECT_EQ(CountPods(), 0u);
}

TEST_F(ApiServerTest, BadQuantityIsBadRequest) {
  std::string pod = Pod("p1");
  size_t at = pod.find("500m");
  pod.replace(at, 4, "lots");
  Response r = Call("POST", "/api/v1/namespaces/default/pods", pod);
  EXPECT_EQ(r.code, 400) << r.body;
  EXPECT_NE(r.body.find("quantities must match"), std::string::npos) << r.body;
  EXPECT_EQ(CountPods(), 0u);
}

TEST_F(ApiServerTest, InvalidNameIsInvalid) {
  Response r = Call("POST", "/api/v1/namespaces/default/pods", Pod("Bad_Name"));
  EXPECT_EQ(r.code, 422);
  EXPECT_EQ(Str(Body(r), "reason"), "Invalid");
  EXPECT_NE(r.body.find("metadata.name"), std::string::npos);
}

TEST_F(ApiServerTest, MismatchedVersionKindAndNamespaceAreBadRequests) {
  std::string pod = Pod("p1");
  std::string v2 = pod;
  v2.replace(v2.find("\"v1\""), 4, "\"v2\"");
  EXPECT_EQ(Call("POST", "/api/v1/namespaces/default/pods", v2).code, 400);
  std::string node_kind = pod;
  node_kind.replace(node_kind.find("\"Pod\""), 5, "\"Node\"");
  EXPECT_EQ(Call("POST", "/api/v1/namespaces/default/pods", node_kind).code, 400);
  EXPECT_EQ(Call("POST", "/api/v1/namespaces/default/pods",
                 Pod("p1", R"(,"namespace":"kube-system")")).code,
            400);
  EXPECT_EQ(CountPods(), 0u);
}

TEST_F(ApiServerTest, MissingNamespaceIsNotFound) {
  Response r = Call("POST", "/api/v1/namespaces/nope/pods", Pod("p1"));
  EXPECT_EQ(r.code, 404);
  EXPECT_NE(r.body.find(R"(namespaces \"nope\" not found)"), std::string::npos) << r.body;
}

TEST_F(ApiServerTest, StaleResourceVersionIsConflict) {
  Response c = Call("POST", "/api/v1/namespaces/default/pods", Pod("p1"));
  json::value v = Body(c);
  std::string rv = Str(v, "metadata.resourceVersion");
  // A first update moves the resourceVersion on.
  v.as_object()["metadata"].as_object()["labels"] = json::object{{"a", "1"}};
  Response u1 = Call("PUT", "/api/v1/namespaces/default/pods/p1", json::serialize(v));
  ASSERT_EQ(u1.code, 200) << u1.body;
  // The same stale body again: 409 and the object keeps the first update.
  v.as_object()["metadata"].as_object()["labels"] = json::object{{"a", "2"}};
  Response u2 = Call("PUT", "/api/v1/namespaces/default/pods/p1", json::serialize(v));
  EXPECT_EQ(u2.code, 409);
  EXPECT_EQ(Str(Body(u2), "reason"), "Conflict");
  Response g = Call("GET", "/api/v1/namespaces/default/pods/p1");
  EXPECT_EQ(Str(Body(g), "metadata.labels.a"), "1");
}

TEST_F(ApiServerTest, StatusSubresourceSplit) {
  Response c = Call("POST", "/api/v1/namespaces/default/pods", Pod("p1"));
  json::value v = Body(c);
  v.as_object()["status"].as_object()["phase"] = "Running";
  v.as_object()["metadata"].as_object().erase("resourceVersion");
  // Main resource: status ignored.
  Response u = Call("PUT", "/api/v1/namespaces/default/pods/p1", json::serialize(v));
  ASSERT_EQ(u.code, 200) << u.body;
  EXPECT_EQ(Str(Body(u), "status.phase"), "Pending");
  // /status: only status changes.
  v.as_object()["spec"].as_object()["restartPolicy"] = "Never";
  Response s = Call("PUT", "/api/v1/namespaces/default/pods/p1/status", json::serialize(v));
  ASSERT_EQ(s.code, 200) << s.body;
  EXPECT_EQ(Str(Body(s), "status.phase"), "Running");
  EXPECT_EQ(Str(Body(s), "spec.restartPolicy"), "Always");
}

TEST_F(ApiServerTest, FinalizersHoldDeletionUntilRemoved) {
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/configmaps",
                 R"({"metadata":{"name":"cm","finalizers":["example.com/hold"]},"data":{"k":"v"}})")
                .code,
            201);
  Response d = Call("DELETE", "/api/v1/namespaces/default/configmaps/cm");
  ASSERT_EQ(d.code, 200);
  Response g = Call("GET", "/api/v1/namespaces/default/configmaps/cm");
  ASSERT_EQ(g.code, 200);
  EXPECT_NE(Str(Body(g), "metadata.deletionTimestamp"), "<absent>");
  Response p = Call("PATCH", "/api/v1/namespaces/default/configmaps/cm",
                    R"({"metadata":{"finalizers":null}})", "application/merge-patch+json");
  EXPECT_EQ(p.code, 200) << p.body;
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/default/configmaps/cm").code, 404);
}

TEST_F(ApiServerTest, GenerationBumpsOnSpecChangesOnly) {
  // Leases do not use generation; use a namespace-scoped type that does not either, so this
  // checks that no generation appears where Kubernetes sets none.
  Response c = Call("POST", "/api/v1/namespaces/default/pods", Pod("p1"));
  EXPECT_EQ(Str(Body(c), "metadata.generation"), "<absent>");
}

TEST_F(ApiServerTest, BindingSetsNodeNameOnce) {
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/pods", Pod("p1")).code, 201);
  std::string binding = R"({"apiVersion":"v1","kind":"Binding","metadata":{"name":"p1"},"target":{"kind":"Node","name":"n1"}})";
  Response b = Call("POST", "/api/v1/namespaces/default/pods/p1/binding", binding);
  EXPECT_EQ(b.code, 201) << b.body;
  Response g = Call("GET", "/api/v1/namespaces/default/pods/p1");
  EXPECT_EQ(Str(Body(g), "spec.nodeName"), "n1");
  Response again = Call("POST", "/api/v1/namespaces/default/pods/p1/binding", binding);
  EXPECT_EQ(again.code, 409);
}

TEST_F(ApiServerTest, BindingListBindsAllPodsOrNone) {
  for (const char* p : {"g0", "g1", "g2"}) {
    ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/pods", Pod(p)).code, 201);
  }
  auto list = [](std::vector<std::pair<std::string, std::string>> pairs) {
    json::array items;
    for (auto& [pod, node] : pairs) {
      items.push_back(json::object{{"apiVersion", "v1"}, {"kind", "Binding"},
                                   {"metadata", json::object{{"name", pod}}},
                                   {"target", json::object{{"kind", "Node"}, {"name", node}}}});
    }
    return json::serialize(json::object{{"apiVersion", "v1"}, {"kind", "BindingList"},
                                        {"items", items}});
  };
  // g2 is bound already: the whole list fails with 409 and g0 and g1 stay unbound.
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/bindings",
                 R"({"apiVersion":"v1","kind":"Binding","metadata":{"name":"g2"},"target":{"name":"n9"}})")
                .code,
            201);
  Response bad = Call("POST", "/api/v1/namespaces/default/bindings",
                      list({{"g0", "n1"}, {"g1", "n2"}, {"g2", "n3"}}));
  EXPECT_EQ(bad.code, 409) << bad.body;
  EXPECT_THAT(bad.body, HasSubstr(R"(pod g2 is already assigned to node \"n9\")"));
  EXPECT_EQ(Str(Body(Call("GET", "/api/v1/namespaces/default/pods/g0")), "spec.nodeName"),
            "<absent>");
  Response missing = Call("POST", "/api/v1/namespaces/default/bindings",
                          list({{"g0", "n1"}, {"nope", "n2"}}));
  EXPECT_EQ(missing.code, 404) << missing.body;
  EXPECT_EQ(Call("POST", "/api/v1/namespaces/default/bindings", list({{"g0", ""}})).code, 422);
  EXPECT_EQ(Call("POST", "/api/v1/namespaces/default/bindings", "[1]").code, 400);
  // A good list binds both, at consecutive revisions.
  Response ok = Call("POST", "/api/v1/namespaces/default/bindings", list({{"g0", "n1"}, {"g1", "n2"}}));
  ASSERT_EQ(ok.code, 201) << ok.body;
  json::value g0 = Body(Call("GET", "/api/v1/namespaces/default/pods/g0"));
  json::value g1 = Body(Call("GET", "/api/v1/namespaces/default/pods/g1"));
  EXPECT_EQ(Str(g0, "spec.nodeName"), "n1");
  EXPECT_EQ(Str(g1, "spec.nodeName"), "n2");
  EXPECT_EQ(std::stoll(std::string(Str(g1, "metadata.resourceVersion"))),
            std::stoll(std::string(Str(g0, "metadata.resourceVersion"))) + 1);
}

TEST_F(ApiServerTest, PatchTypes) {
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/pods", Pod("p1")).code, 201);
  Response m = Call("PATCH", "/api/v1/namespaces/default/pods/p1",
                    R"({"metadata":{"labels":{"x":"1"}}})", "application/merge-patch+json");
  ASSERT_EQ(m.code, 200) << m.body;
  EXPECT_EQ(Str(Body(m), "metadata.labels.x"), "1");
  Response j = Call("PATCH", "/api/v1/namespaces/default/pods/p1",
                    R"([{"op":"replace","path":"/metadata/labels/x","value":"2"}])",
                    "application/json-patch+json");
  ASSERT_EQ(j.code, 200) << j.body;
  EXPECT_EQ(Str(Body(j), "metadata.labels.x"), "2");
  Response t = Call("PATCH", "/api/v1/namespaces/default/pods/p1",
                    R"([{"op":"test","path":"/metadata/labels/x","value":"9"}])",
                    "application/json-patch+json");
  EXPECT_EQ(t.code, 422) << t.body;
  Response s = Call("PATCH", "/api/v1/namespaces/default/pods/p1",
                    R"({"spec":{"containers":[{"name":"c","image":"busybox:2"}]}})",
                    "application/strategic-merge-patch+json");
  ASSERT_EQ(s.code, 200) << s.body;
  json::value pod = Body(s);
  ASSERT_EQ(pod.at("spec").at("containers").as_array().size(), 1u);
  EXPECT_EQ(Str(pod.at("spec").at("containers").as_array()[0], "image"), "busybox:2");
  // The merge by name kept the container's other fields.
  EXPECT_NE(Str(pod.at("spec").at("containers").as_array()[0], "resources"), "<absent>");
  Response bad = Call("PATCH", "/api/v1/namespaces/default/pods/p1", "{", "application/merge-patch+json");
  EXPECT_EQ(bad.code, 400);
}

TEST_F(ApiServerTest, BoundPodIsDeletedGracefully) {
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/pods", Pod("p1")).code, 201);
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/pods/p1/binding",
                 R"({"target":{"name":"n1"}})").code,
            201);
  Response d = Call("DELETE", "/api/v1/namespaces/default/pods/p1");
  ASSERT_EQ(d.code, 200);
  EXPECT_EQ(Str(Body(d), "metadata.deletionGracePeriodSeconds"), "30");
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/default/pods/p1").code, 200);
  // The agent's status writes during the grace period keep it (only grace 0 and no
  // finalizers make an update delete, as kube-apiserver's shouldDeleteDuringUpdate).
  Response st = Call("PATCH", "/api/v1/namespaces/default/pods/p1/status",
                     R"({"status":{"phase":"Running"}})", "application/merge-patch+json");
  EXPECT_EQ(st.code, 200) << st.body;
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/default/pods/p1").code, 200);
  // Grace period 0 (what the node agent sends once the containers are gone) deletes it.
  Response now = Call("DELETE", "/api/v1/namespaces/default/pods/p1", R"({"gracePeriodSeconds":0})");
  EXPECT_EQ(now.code, 200) << now.body;
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/default/pods/p1").code, 404);
}

TEST_F(ApiServerTest, ListSelectorsAndPagination) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/pods",
                   Pod(base::StrCat("p", i), base::StrCat(R"(,"labels":{"i":")", i % 2, "\"}")))
                  .code,
              201);
  }
  Response sel = Call("GET", "/api/v1/namespaces/default/pods", "", "", {{"labelSelector", "i=1"}});
  EXPECT_EQ(Body(sel).at("items").as_array().size(), 2u);
  Response bad = Call("GET", "/api/v1/namespaces/default/pods", "", "", {{"labelSelector", "i in (1"}});
  EXPECT_EQ(bad.code, 400);
  Response badf = Call("GET", "/api/v1/namespaces/default/pods", "", "", {{"fieldSelector", "spec.foo=1"}});
  EXPECT_EQ(badf.code, 400);
  EXPECT_NE(badf.body.find("field label not supported"), std::string::npos);
  std::vector<std::string> seen;
  std::string cont;
  do {
    std::map<std::string, std::string> q{{"limit", "2"}};
    if (!cont.empty()) q["continue"] = cont;
    Response page = Call("GET", "/api/v1/namespaces/default/pods", "", "", q);
    ASSERT_EQ(page.code, 200) << page.body;
    json::value v = Body(page);
    for (const auto& it : v.at("items").as_array()) seen.push_back(Str(it, "metadata.name"));
    cont = Str(v, "metadata.continue");
    if (cont == "<absent>") cont.clear();
  } while (!cont.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"p0", "p1", "p2", "p3", "p4"}));
}

TEST_F(ApiServerTest, UnknownResourceIsNotFound) {
  EXPECT_EQ(Call("GET", "/api/v1/widgets").code, 404);
  EXPECT_EQ(Call("GET", "/apis/example.com/v1/things").code, 404);
}

TEST_F(ApiServerTest, NamespaceDeletionRemovesContent) {
  ASSERT_EQ(Call("POST", "/api/v1/namespaces", R"({"metadata":{"name":"team-a"}})").code, 201);
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/team-a/configmaps", R"({"metadata":{"name":"c"}})").code,
            201);
  ASSERT_EQ(Call("DELETE", "/api/v1/namespaces/team-a").code, 200);
  for (int i = 0; i < 100 && Call("GET", "/api/v1/namespaces/team-a").code != 404; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/team-a").code, 404);
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/team-a/configmaps/c").code, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/namespaces/default").code, 403);
}

// ---- DeleteOptions.propagationPolicy (the API side of garbage collection) ----

// metadata.finalizers of a stored object, joined with ","; "<gone>" if it does not exist.
std::string FinalizersOf(const json::value& obj) {
  const json::value* meta = obj.is_object() ? obj.get_object().if_contains("metadata") : nullptr;
  const json::value* list =
      meta != nullptr ? meta->get_object().if_contains("finalizers") : nullptr;
  if (list == nullptr || !list->is_array()) return "";
  std::string out;
  for (const json::value& f : list->get_array()) {
    if (!out.empty()) out += ",";
    out += std::string(f.as_string());
  }
  return out;
}

std::vector<std::string> WarningsOf(const Response& r) {
  std::vector<std::string> out;
  for (const auto& [name, value] : r.headers) {
    if (name == "Warning") out.push_back(value);
  }
  return out;
}

TEST_F(ApiServerTest, DeletePropagationPolicySetsGcFinalizers) {
  const std::string base = "/api/v1/namespaces/default/configmaps";
  for (const char* name : {"fg", "orphan", "orphan-query", "orphan-deprecated", "bg", "held"}) {
    std::string extra = std::string(name) == "held" ? R"(,"finalizers":["example.com/hold"])" : "";
    ASSERT_EQ(Call("POST", base, base::StrCat(R"({"metadata":{"name":")", name, "\"", extra, "}}"))
                  .code,
              201);
  }
  // Foreground: kept, marked for deletion with grace 0 and the foregroundDeletion finalizer.
  Response fg = Call("DELETE", base + "/fg", R"({"propagationPolicy":"Foreground"})");
  ASSERT_EQ(fg.code, 200) << fg.body;
  json::value cm = Body(Call("GET", base + "/fg"));
  EXPECT_EQ(Str(cm, "metadata.deletionTimestamp"), "2027-01-15T08:00:00Z");
  EXPECT_EQ(Str(cm, "metadata.deletionGracePeriodSeconds"), "0");
  EXPECT_EQ(FinalizersOf(cm), "foregroundDeletion");
  // Orphan, from the body, the query, or the deprecated orphanDependents.
  ASSERT_EQ(Call("DELETE", base + "/orphan", R"({"propagationPolicy":"Orphan"})").code, 200);
  ASSERT_EQ(Call("DELETE", base + "/orphan-query", "", "", {{"propagationPolicy", "Orphan"}}).code,
            200);
  ASSERT_EQ(Call("DELETE", base + "/orphan-deprecated", R"({"orphanDependents":true})").code, 200);
  for (const char* name : {"orphan", "orphan-query", "orphan-deprecated"}) {
    json::value o = Body(Call("GET", base + "/" + name));
    EXPECT_EQ(FinalizersOf(o), "orphan") << name;
    EXPECT_EQ(Str(o, "metadata.deletionGracePeriodSeconds"), "0") << name;
  }
  // Background (the default for a ConfigMap): gone at once.
  ASSERT_EQ(Call("DELETE", base + "/bg", R"({"propagationPolicy":"Background"})").code, 200);
  EXPECT_EQ(Call("GET", base + "/bg").code, 404);
  // Other finalizers stay beside the garbage collector's.
  ASSERT_EQ(Call("DELETE", base + "/held", R"({"propagationPolicy":"Foreground"})").code, 200);
  EXPECT_EQ(FinalizersOf(Body(Call("GET", base + "/held"))), "example.com/hold,foregroundDeletion");
  // An object already being deleted takes the policy of a later delete (kube does this)...
  ASSERT_EQ(Call("DELETE", base + "/fg", R"({"propagationPolicy":"Orphan"})").code, 200);
  EXPECT_EQ(FinalizersOf(Body(Call("GET", base + "/fg"))), "orphan");
  // ...a delete without a policy leaves its finalizers as they are...
  ASSERT_EQ(Call("DELETE", base + "/fg").code, 200);
  EXPECT_EQ(FinalizersOf(Body(Call("GET", base + "/fg"))), "orphan");
  // ...and Background drops them, which completes the deletion.
  ASSERT_EQ(Call("DELETE", base + "/fg", R"({"propagationPolicy":"Background"})").code, 200);
  EXPECT_EQ(Call("GET", base + "/fg").code, 404);
  // The garbage collector removing the last finalizer completes a deletion.
  Response p = Call("PATCH", base + "/orphan", R"({"metadata":{"finalizers":null}})",
                    "application/merge-patch+json");
  EXPECT_EQ(p.code, 200) << p.body;
  EXPECT_EQ(Call("GET", base + "/orphan").code, 404);
}

TEST_F(ApiServerTest, BadPropagationPolicyIsRejectedAndChangesNothing) {
  const std::string path = "/api/v1/namespaces/default/configmaps/cm";
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/configmaps", R"({"metadata":{"name":"cm"}})")
                .code,
            201);
  const std::string rv = Str(Body(Call("GET", path)), "metadata.resourceVersion");
  // kube-apiserver's ValidateDeleteOptions answers 422 Invalid, naming the value.
  Response bad = Call("DELETE", path, R"({"propagationPolicy":"Sideways"})");
  EXPECT_EQ(bad.code, 422) << bad.body;
  EXPECT_THAT(Str(Body(bad), "message"),
              HasSubstr(R"(propagationPolicy: Unsupported value: "Sideways": supported values: )"
                        R"("Foreground", "Background", "Orphan", "nil")"));
  Response bad_query = Call("DELETE", path, "", "", {{"propagationPolicy", "foreground"}});
  EXPECT_EQ(bad_query.code, 422) << bad_query.body;
  EXPECT_THAT(bad_query.body, HasSubstr(R"(\"foreground\")"));
  Response both = Call("DELETE", path, R"({"propagationPolicy":"Orphan","orphanDependents":true})");
  EXPECT_EQ(both.code, 422) << both.body;
  EXPECT_THAT(both.body, HasSubstr("orphanDependents and deletionPropagation cannot be both set"));
  EXPECT_EQ(Call("DELETE", path, R"({"propagationPolicy":7})").code, 400);
  EXPECT_EQ(Call("DELETE", path, R"({"orphanDependents":"yes"})").code, 400);
  json::value cm = Body(Call("GET", path));
  EXPECT_EQ(Str(cm, "metadata.resourceVersion"), rv);
  EXPECT_EQ(Str(cm, "metadata.deletionTimestamp"), "<absent>");
  EXPECT_EQ(FinalizersOf(cm), "");
}

TEST_F(ApiServerTest, JobDeleteOrphansByDefaultWithWarning) {
  auto job = [](const std::string& name) {
    return base::StrCat(R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":")", name,
                        R"("},"spec":{"template":{"spec":{"restartPolicy":"Never",)",
                        R"("containers":[{"name":"c","image":"busybox"}]}}}})");
  };
  const std::string base = "/apis/batch/v1/namespaces/default/jobs";
  ASSERT_EQ(Call("POST", base, job("j1")).code, 201);
  ASSERT_EQ(Call("POST", base, job("j2")).code, 201);
  const std::string generation = Str(Body(Call("GET", base + "/j1")), "metadata.generation");
  Response d = Call("DELETE", base + "/j1");
  ASSERT_EQ(d.code, 200) << d.body;
  EXPECT_THAT(WarningsOf(d),
              ::testing::ElementsAre(
                  "299 - \"child pods are preserved by default when jobs are deleted; set "
                  "propagationPolicy=Background to remove them or set propagationPolicy=Orphan "
                  "to suppress this warning\""));
  json::value j1 = Body(Call("GET", base + "/j1"));
  EXPECT_EQ(FinalizersOf(j1), "orphan");
  EXPECT_NE(Str(j1, "metadata.deletionTimestamp"), "<absent>");
  // Deletion bumps the generation, as kube-apiserver does.
  EXPECT_EQ(Str(j1, "metadata.generation"), std::to_string(std::stoi(generation) + 1));
  // An explicit policy: no warning.
  Response bg = Call("DELETE", base + "/j2", R"({"propagationPolicy":"Background"})");
  ASSERT_EQ(bg.code, 200) << bg.body;
  EXPECT_THAT(WarningsOf(bg), ::testing::IsEmpty());
  EXPECT_EQ(Call("GET", base + "/j2").code, 404);
}

TEST_F(ApiServerTest, ForegroundDeleteOfBoundPodKeepsItsGracePeriod) {
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/pods", Pod("p1")).code, 201);
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/pods/p1/binding",
                 R"({"target":{"name":"n1"}})").code,
            201);
  const std::string path = "/api/v1/namespaces/default/pods/p1";
  Response d = Call("DELETE", path, R"({"propagationPolicy":"Foreground"})");
  ASSERT_EQ(d.code, 200) << d.body;
  json::value pod = Body(Call("GET", path));
  EXPECT_EQ(Str(pod, "metadata.deletionGracePeriodSeconds"), "30");
  EXPECT_EQ(Str(pod, "metadata.deletionTimestamp"), "2027-01-15T08:00:30Z");
  EXPECT_EQ(FinalizersOf(pod), "foregroundDeletion");
  // A second delete in the grace period changes nothing (kube: finalizers cannot be updated
  // while a graceful deletion is pending).
  ASSERT_EQ(Call("DELETE", path, R"({"propagationPolicy":"Orphan"})").code, 200);
  EXPECT_EQ(FinalizersOf(Body(Call("GET", path))), "foregroundDeletion");
  // The node agent's final delete (grace 0) leaves it to the garbage collector's finalizer.
  ASSERT_EQ(Call("DELETE", path, R"({"gracePeriodSeconds":0})").code, 200);
  pod = Body(Call("GET", path));
  EXPECT_EQ(Str(pod, "metadata.deletionGracePeriodSeconds"), "0");
  EXPECT_EQ(FinalizersOf(pod), "foregroundDeletion");
  Response p = Call("PATCH", path, R"({"metadata":{"finalizers":null}})",
                    "application/merge-patch+json");
  EXPECT_EQ(p.code, 200) << p.body;
  EXPECT_EQ(Call("GET", path).code, 404);
}

TEST(UnsupportedValueTest, KubesWordingWithTheValuesInTheOrderGiven) {
  const Cause c = UnsupportedValue("spec.completionMode", "Sparse", {"NonIndexed", "Indexed"});
  EXPECT_EQ(c.reason, "FieldValueNotSupported");
  EXPECT_EQ(c.field, "spec.completionMode");
  EXPECT_EQ(c.message,
            R"(Unsupported value: "Sparse": supported values: "NonIndexed", "Indexed")");
}

// An idle watch with bookmarks gets one a minute after its last write and one 2 s before its
// deadline, as kube-apiserver's cacher sends them; a watch of 2 s or less gets no early one.
TEST(BookmarkScheduleTest, EveryIntervalAndOnceBeforeTheDeadline) {
  using std::chrono::seconds;
  const BookmarkSchedule::TimePoint t0{};
  BookmarkSchedule b(t0, t0 + seconds(300), seconds(60));
  EXPECT_EQ(b.Next(t0), t0 + seconds(60));
  EXPECT_FALSE(b.Due(t0 + seconds(59), t0));
  EXPECT_TRUE(b.Due(t0 + seconds(60), t0));
  // The last write was at 250 s: the one before the deadline (298 s) comes first.
  EXPECT_EQ(b.Next(t0 + seconds(250)), t0 + seconds(298));
  EXPECT_FALSE(b.Due(t0 + seconds(297), t0 + seconds(250)));
  EXPECT_TRUE(b.Due(t0 + seconds(298), t0 + seconds(250)));
  // Sent once: after it only the interval counts.
  EXPECT_EQ(b.Next(t0 + seconds(298)), t0 + seconds(358));
  EXPECT_FALSE(b.Due(t0 + seconds(299), t0 + seconds(298)));

  BookmarkSchedule short_watch(t0, t0 + seconds(2), seconds(60));
  EXPECT_EQ(short_watch.Next(t0), t0 + seconds(60));
  EXPECT_FALSE(short_watch.Due(t0 + seconds(1), t0));
}

}  // namespace
}  // namespace shoal::apiserver
