// The GarbageCollector against shoal's real ApiServer (MemoryStore, in process): background
// deletion of dependents, foreground deletion (the owner stays while a blocking dependent
// does), orphaning, dependents with several owners, references across namespaces, owners of a
// type the collector does not watch, and retries after failed API calls. Waits poll the API
// (up to 15 s); nothing is timed.
#include "controllers/garbage_collector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
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

namespace shoal::controllers {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using client::Request;
using client::Response;

// Passes everything to the real server, except that the next `fail_deletes` DELETE requests
// are answered 500 without reaching it.
class FlakyTransport : public client::ForwardingTransport {
 public:
  using ForwardingTransport::ForwardingTransport;
  std::atomic<int> fail_deletes{0};
  std::atomic<int> failed{0};

  asio::awaitable<absl::StatusOr<Response>> Call(Request req) override {
    if (req.method == "DELETE" && fail_deletes.fetch_sub(1) > 0) {
      ++failed;
      Response r;
      r.code = 500;
      r.body = R"({"kind":"Status","status":"Failure","message":"injected","code":500})";
      co_return r;
    }
    co_return co_await next().Call(std::move(req));
  }
};

constexpr std::string_view kConfigMaps = "/api/v1/namespaces/default/configmaps";

class GarbageCollectorTest : public ::testing::Test {
 protected:
  GarbageCollectorTest() : flaky_(api_.transport()) { MakeGc(true); }
  ~GarbageCollectorTest() override {
    api_.Stop();
    gc_.reset();
  }

  // A collector (not started) that watches only its table, or every deletable type too.
  void MakeGc(bool watch_all_deletable) {
    GarbageCollectorOptions options;
    options.base_backoff = std::chrono::milliseconds(5);
    options.max_backoff = std::chrono::milliseconds(100);
    options.watch_all_deletable = watch_all_deletable;
    gc_ = std::make_unique<GarbageCollector>(api_.io().get_executor(), flaky_, options);
  }
  // Starts the collector on the io thread (each test says when).
  void StartGc() { asio::post(api_.io(), [this] { gc_->Start(); }); }

  Response Call(std::string method, std::string path, std::string body = "",
                std::string content_type = "application/json") {
    return api_.Call(std::move(method), std::move(path), std::move(body), std::move(content_type));
  }
  json::value Get(const std::string& path) {
    Response r = Call("GET", path);
    if (r.code != 200) return json::value();
    auto v = api::ParseJson(r.Text());
    return v.ok() ? *v : json::value();
  }
  bool Exists(const std::string& path) { return Call("GET", path).code == 200; }
  // Creates an object and returns its uid.
  std::string Create(const std::string& collection, const std::string& body) {
    Response r = Call("POST", collection, body);
    EXPECT_EQ(r.code, 201) << collection << ": " << r.Text();
    auto v = api::ParseJson(r.Text());
    return v.ok() ? std::string(api::StringAt(*v, "metadata.uid")) : "";
  }
  struct Owner {
    std::string api_version = "v1", kind = "ConfigMap", name, uid;
    bool block = false;
  };
  static std::string Refs(const std::vector<Owner>& owners) {
    json::array refs;
    for (const Owner& o : owners) {
      json::object ref{{"apiVersion", o.api_version}, {"kind", o.kind}, {"name", o.name},
                       {"uid", o.uid}};
      if (o.block) ref["blockOwnerDeletion"] = true;
      refs.push_back(std::move(ref));
    }
    return json::serialize(refs);
  }
  // A ConfigMap in `ns` owned by `owners`, with `finalizers` (a JSON array).
  std::string ConfigMap(const std::string& name, const std::vector<Owner>& owners = {},
                        const std::string& ns = "default",
                        const std::string& finalizers = "[]") {
    return Create(base::StrCat("/api/v1/namespaces/", ns, "/configmaps"),
                  base::StrCat(R"({"metadata":{"name":")", name, R"(","ownerReferences":)",
                               Refs(owners), R"(,"finalizers":)", finalizers, "}}"));
  }
  std::string PodOwnedBy(const std::string& name, const std::vector<Owner>& owners) {
    return Create("/api/v1/namespaces/default/pods",
                  base::StrCat(R"({"metadata":{"name":")", name, R"(","ownerReferences":)",
                               Refs(owners),
                               R"(},"spec":{"containers":[{"name":"c","image":"x"}]}})"));
  }
  std::string CmPath(const std::string& name) { return base::StrCat(kConfigMaps, "/", name); }
  // The uids of an object's ownerReferences, in order ("<gone>" if it does not exist).
  std::vector<std::string> OwnerUids(const std::string& path) {
    json::value o = Get(path);
    if (!o.is_object()) return {"<gone>"};
    std::vector<std::string> out;
    const json::value* refs = api::FindPath(o, "metadata.ownerReferences");
    if (refs == nullptr || !refs->is_array()) return out;
    for (const json::value& r : refs->get_array()) out.emplace_back(api::StringAt(r, "uid"));
    return out;
  }
  std::vector<std::string> Finalizers(const std::string& path) {
    json::value o = Get(path);
    std::vector<std::string> out;
    const json::value* f = o.is_object() ? api::FindPath(o, "metadata.finalizers") : nullptr;
    if (f == nullptr || !f->is_array()) return out;
    for (const json::value& v : f->get_array()) out.emplace_back(v.as_string());
    return out;
  }
  void Delete(const std::string& path, const std::string& policy) {
    Response r = Call("DELETE", path, base::StrCat(R"({"propagationPolicy":")", policy, "\"}"));
    ASSERT_EQ(r.code, 200) << path << ": " << r.Text();
  }
  static bool WaitFor(const std::function<bool()>& done) {
    return client::InProcessApiForTest::WaitFor(done);
  }
  // Event reasons about the object `name` in `ns`.
  std::vector<std::string> EventReasons(const std::string& ns, const std::string& name) {
    std::vector<std::string> out;
    json::value list = Get(base::StrCat("/api/v1/namespaces/", ns, "/events"));
    if (!list.is_object() || !list.get_object().contains("items")) return out;
    for (const json::value& e : list.at("items").as_array()) {
      if (api::StringAt(e, "involvedObject.name") == name) {
        out.emplace_back(api::StringAt(e, "reason"));
      }
    }
    return out;
  }

  client::InProcessApiForTest api_;
  FlakyTransport flaky_;
  std::unique_ptr<GarbageCollector> gc_;
};

TEST_F(GarbageCollectorTest, BackgroundDeletionRemovesDependents) {
  StartGc();
  const std::string owner = ConfigMap("owner");
  ConfigMap("dep-cm", {{.name = "owner", .uid = owner}});
  PodOwnedBy("dep-pod", {{.name = "owner", .uid = owner, .block = true}});
  ConfigMap("bystander");
  ASSERT_TRUE(WaitFor([&] { return Exists(CmPath("dep-cm")); }));
  Delete(CmPath("owner"), "Background");
  EXPECT_FALSE(Exists(CmPath("owner")));
  EXPECT_TRUE(WaitFor([&] {
    return !Exists(CmPath("dep-cm")) && !Exists("/api/v1/namespaces/default/pods/dep-pod");
  }));
  EXPECT_TRUE(Exists(CmPath("bystander")));
}

TEST_F(GarbageCollectorTest, DependentOfAnOwnerThatNeverExistedIsDeleted) {
  StartGc();
  // Created after the collector synced, with an owner uid nobody has: the GET finds nothing.
  const std::string kept = ConfigMap("real-owner");
  ConfigMap("kept", {{.name = "real-owner", .uid = kept}});
  ConfigMap("orphan", {{.name = "nobody", .uid = "0a5b2d3e-0000-4000-8000-000000000000"}});
  EXPECT_TRUE(WaitFor([&] { return !Exists(CmPath("orphan")); }));
  EXPECT_TRUE(Exists(CmPath("kept")));
  EXPECT_EQ(OwnerUids(CmPath("kept")), std::vector<std::string>{kept});
}

TEST_F(GarbageCollectorTest, ForegroundKeepsTheOwnerUntilBlockingDependentsAreGone) {
  StartGc();
  const std::string owner = ConfigMap("owner");
  // Blocks the owner and holds its own deletion with a finalizer.
  ConfigMap("blocking", {{.name = "owner", .uid = owner, .block = true}}, "default",
            R"(["example.com/hold"])");
  // Deleted too, but not waited for.
  ConfigMap("nonblocking", {{.name = "owner", .uid = owner}});
  Delete(CmPath("owner"), "Foreground");
  // The dependents are deleted: one is gone, the other is terminating (held).
  ASSERT_TRUE(WaitFor([&] {
    return !Exists(CmPath("nonblocking")) &&
           !api::StringAt(Get(CmPath("blocking")), "metadata.deletionTimestamp").empty();
  }));
  // The owner waits for the blocking one.
  json::value o = Get(CmPath("owner"));
  ASSERT_TRUE(o.is_object());
  EXPECT_FALSE(api::StringAt(o, "metadata.deletionTimestamp").empty());
  EXPECT_EQ(Finalizers(CmPath("owner")), std::vector<std::string>{"foregroundDeletion"});
  // Once it is gone, the finalizer goes and with it the owner.
  Response p = Call("PATCH", CmPath("blocking"), R"({"metadata":{"finalizers":null}})",
                    "application/merge-patch+json");
  ASSERT_EQ(p.code, 200) << p.Text();
  EXPECT_TRUE(WaitFor([&] { return !Exists(CmPath("owner")); }));
  EXPECT_FALSE(Exists(CmPath("blocking")));
}

TEST_F(GarbageCollectorTest, ForegroundWithoutDependentsCompletesAtOnce) {
  StartGc();
  ConfigMap("lonely");
  Delete(CmPath("lonely"), "Foreground");
  EXPECT_TRUE(WaitFor([&] { return !Exists(CmPath("lonely")); }));
}

TEST_F(GarbageCollectorTest, OrphanRemovesTheReferencesAndKeepsTheDependents) {
  StartGc();
  const std::string owner = ConfigMap("owner");
  const std::string other = ConfigMap("other");
  ConfigMap("only-child", {{.name = "owner", .uid = owner, .block = true}});
  ConfigMap("shared", {{.name = "other", .uid = other}, {.name = "owner", .uid = owner}});
  PodOwnedBy("pod", {{.name = "owner", .uid = owner, .block = true}});
  Delete(CmPath("owner"), "Orphan");
  EXPECT_TRUE(WaitFor([&] { return !Exists(CmPath("owner")); }));
  EXPECT_EQ(OwnerUids(CmPath("only-child")), std::vector<std::string>{});
  EXPECT_EQ(OwnerUids(CmPath("shared")), std::vector<std::string>{other});
  EXPECT_EQ(OwnerUids("/api/v1/namespaces/default/pods/pod"), std::vector<std::string>{});
  // The field itself goes when the last reference does (as from a Go client), not [].
  EXPECT_EQ(api::FindPath(Get(CmPath("only-child")), "metadata.ownerReferences"), nullptr);
}

TEST_F(GarbageCollectorTest, PartialOwnersLoseOnlyTheDanglingReference) {
  StartGc();
  const std::string a = ConfigMap("owner-a");
  const std::string b = ConfigMap("owner-b");
  ConfigMap("dep", {{.name = "owner-a", .uid = a}, {.name = "owner-b", .uid = b}});
  Delete(CmPath("owner-a"), "Background");
  EXPECT_TRUE(WaitFor([&] { return OwnerUids(CmPath("dep")) == std::vector<std::string>{b}; }))
      << OwnerUids(CmPath("dep")).size();
  EXPECT_TRUE(Exists(CmPath("dep")));
  Delete(CmPath("owner-b"), "Background");
  EXPECT_TRUE(WaitFor([&] { return !Exists(CmPath("dep")); }));
}

TEST_F(GarbageCollectorTest, OwnerInAnotherNamespaceIsDanglingAndReported) {
  StartGc();
  ASSERT_EQ(Call("POST", "/api/v1/namespaces", R"({"metadata":{"name":"team-b"}})").code, 201);
  const std::string owner = ConfigMap("owner");  // in default
  ConfigMap("cross", {{.name = "owner", .uid = owner}}, "team-b");
  EXPECT_TRUE(WaitFor([&] { return !Exists("/api/v1/namespaces/team-b/configmaps/cross"); }));
  EXPECT_TRUE(WaitFor([&] {
    std::vector<std::string> reasons = EventReasons("team-b", "cross");
    return std::find(reasons.begin(), reasons.end(), "OwnerRefInvalidNamespace") != reasons.end();
  }));
  EXPECT_TRUE(Exists(CmPath("owner")));
}

TEST_F(GarbageCollectorTest, OwnerOfAnUnwatchedTypeIsCheckedWithAGet) {
  MakeGc(false);
  StartGc();
  // PriorityClass (cluster-scoped, not in the table, not watched here): found through
  // discovery and a GET.
  const std::string pc = Create("/apis/scheduling.k8s.io/v1/priorityclasses",
                                R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass",)"
                                R"("metadata":{"name":"high"},"value":1000})");
  ASSERT_FALSE(pc.empty());
  const Owner real{.api_version = "scheduling.k8s.io/v1", .kind = "PriorityClass",
                   .name = "high", .uid = pc};
  Owner stale = real;
  stale.uid = "0a5b2d3e-0000-4000-8000-000000000001";  // same name, another uid: gone
  ConfigMap("owned", {real});
  ConfigMap("stale", {stale});
  EXPECT_TRUE(WaitFor([&] { return !Exists(CmPath("stale")); }));
  EXPECT_TRUE(Exists(CmPath("owned")));
}

TEST_F(GarbageCollectorTest, TypesOutsideTheTableAreWatchedToo) {
  StartGc();
  // A PriorityClass deleted in the foreground waits for the collector like any other owner.
  const std::string pc = Create("/apis/scheduling.k8s.io/v1/priorityclasses",
                                R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass",)"
                                R"("metadata":{"name":"high"},"value":1000})");
  ConfigMap("owned", {{.api_version = "scheduling.k8s.io/v1", .kind = "PriorityClass",
                       .name = "high", .uid = pc, .block = true}});
  Delete("/apis/scheduling.k8s.io/v1/priorityclasses/high", "Foreground");
  EXPECT_TRUE(WaitFor([&] {
    return !Exists("/apis/scheduling.k8s.io/v1/priorityclasses/high") &&
           !Exists(CmPath("owned"));
  }));
}

TEST_F(GarbageCollectorTest, FailedDeletesAreRetried) {
  StartGc();
  const std::string owner = ConfigMap("owner");
  ConfigMap("dep", {{.name = "owner", .uid = owner}});
  flaky_.fail_deletes = 3;
  Delete(CmPath("owner"), "Background");  // through the real transport: not failed
  EXPECT_TRUE(WaitFor([&] { return !Exists(CmPath("dep")); }));
  EXPECT_EQ(flaky_.failed.load(), 3);
}

TEST_F(GarbageCollectorTest, WorkLeftWhileNotRunningIsDoneAfterSync) {
  // Before the collector runs: an owner goes (its dependent stays), another is deleted in
  // the foreground (it waits with its finalizer), a third orphans its dependent.
  const std::string gone = ConfigMap("gone");
  ConfigMap("left-behind", {{.name = "gone", .uid = gone}});
  Delete(CmPath("gone"), "Background");
  ConfigMap("waiting");
  Delete(CmPath("waiting"), "Foreground");
  const std::string orphaning = ConfigMap("orphaning");
  ConfigMap("orphaned", {{.name = "orphaning", .uid = orphaning}});
  Delete(CmPath("orphaning"), "Orphan");
  ASSERT_TRUE(Exists(CmPath("left-behind")));
  ASSERT_TRUE(Exists(CmPath("waiting")));
  StartGc();
  EXPECT_TRUE(WaitFor([&] {
    return !Exists(CmPath("left-behind")) && !Exists(CmPath("waiting")) &&
           !Exists(CmPath("orphaning"));
  }));
  EXPECT_EQ(OwnerUids(CmPath("orphaned")), std::vector<std::string>{});
}

}  // namespace
}  // namespace shoal::controllers
