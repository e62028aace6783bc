#include "api/managed_fields.h"

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::api {
namespace {

namespace json = boost::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

json::value Json(std::string_view text) { return json::parse(text); }
json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

std::chrono::system_clock::time_point At(int h, int m, int s) {
  return std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + hours(h) + minutes(m) +
         seconds(s);
}

const json::value& ManagedFields(const json::object& o) {
  return o.at("metadata").at("managedFields");
}

// The entry of `manager` (and operation), or nullptr.
const json::object* Entry(const json::object& o, std::string_view manager,
                          std::string_view operation) {
  for (const json::value& e : ManagedFields(o).as_array()) {
    if (e.at("manager").as_string() == manager && e.at("operation").as_string() == operation) {
      return &e.as_object();
    }
  }
  return nullptr;
}

std::vector<std::string> PathsOf(const json::object& entry) {
  return FieldSet::FromJson(entry.at("fieldsV1")).value().Paths();
}

// ----------------------------------------------------------------------------------------------
// FieldSet

// What kube-apiserver wrote for kubectl-client-side-apply in reference/kubectl-traces.
constexpr std::string_view kTraceFieldsV1 =
    R"({"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:app":{},"f:rev":{}}},"f:spec":{"f:backoffLimit":{},"f:completionMode":{},"f:completions":{},"f:parallelism":{},"f:suspend":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:command":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{".":{},"f:requests":{".":{},"f:cpu":{}}},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}}}})";

TEST(FieldSetTest, FieldsV1RoundTripIsByteExact) {
  absl::StatusOr<FieldSet> set = FieldSet::FromJson(Json(kTraceFieldsV1));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(json::serialize(set->ToJson()), kTraceFieldsV1);
  EXPECT_TRUE(set->Has({"f:metadata", "f:labels"}));
  EXPECT_TRUE(set->Has({"f:metadata", "f:labels", "f:app"}));
  EXPECT_FALSE(set->Has({"f:metadata"}));
  EXPECT_TRUE(set->Has({"f:spec", "f:template", "f:spec", "f:containers", R"(k:{"name":"c"})",
                        "f:image"}));
}

TEST(FieldSetTest, FromJsonSortsAndRejectsGarbage) {
  absl::StatusOr<FieldSet> set = FieldSet::FromJson(Json(
      R"({"v:\"b\"":{},"f:z":{},"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}":{},
          "k:{\"containerPort\":9,\"protocol\":\"TCP\"}":{},"v:\"a\"":{},"f:a":{"f:x":{}}})"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(json::serialize(set->ToJson()),
            R"({"f:a":{"f:x":{}},"f:z":{},"k:{\"containerPort\":9,\"protocol\":\"TCP\"}":{},)"
            R"("k:{\"containerPort\":8080,\"protocol\":\"TCP\"}":{},"v:\"a\"":{},"v:\"b\"":{}})");
  EXPECT_FALSE(FieldSet::FromJson(Json(R"({"x:y":{}})")).ok());
  EXPECT_FALSE(FieldSet::FromJson(Json(R"({"f:y":1})")).ok());
  EXPECT_FALSE(FieldSet::FromJson(Json(R"([])")).ok());
}

TEST(FieldSetTest, SetOperations) {
  FieldSet a, b;
  a.Insert({"f:spec", "f:a"});
  a.Insert({"f:spec", "f:b"});
  a.Insert({"f:status"});
  a.Insert({"f:status", "f:x"});
  b.Insert({"f:spec", "f:b"});
  b.Insert({"f:spec", "f:c"});
  b.Insert({"f:status"});
  EXPECT_EQ(json::serialize(a.Union(b).ToJson()),
            R"({"f:spec":{"f:a":{},"f:b":{},"f:c":{}},"f:status":{".":{},"f:x":{}}})");
  EXPECT_EQ(json::serialize(a.Intersection(b).ToJson()), R"({"f:spec":{"f:b":{}},"f:status":{}})");
  EXPECT_EQ(json::serialize(a.Difference(b).ToJson()), R"({"f:spec":{"f:a":{}},"f:status":{"f:x":{}}})");
  EXPECT_EQ(json::serialize(a.RecursiveDifference(b).ToJson()), R"({"f:spec":{"f:a":{}}})");
  EXPECT_TRUE(a.Difference(a).empty());
}

TEST(FieldSetTest, PathsArePrintedAsKubernetesDoes) {
  FieldSet s;
  s.Insert({"f:spec", "f:parallelism"});
  s.Insert({"f:spec", "f:containers", R"(k:{"name":"c"})", "f:image"});
  s.Insert({"f:spec", "f:ports", R"(k:{"containerPort":80,"protocol":"TCP"})"});
  s.Insert({"f:metadata", "f:finalizers", R"(v:"x")"});
  EXPECT_THAT(s.Paths(), ::testing::ElementsAre(R"(.metadata.finalizers[="x"])",
                                                R"(.spec.containers[name="c"].image)",
                                                ".spec.parallelism",
                                                R"(.spec.ports[containerPort=80,protocol="TCP"])"));
}

TEST(FieldsOfTest, Pod) {
  absl::StatusOr<FieldSet> set = FieldsOf(Obj(R"({
      "apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"p","namespace":"d","uid":"u","resourceVersion":"5","generation":1,
                  "creationTimestamp":"2026-11-23T08:00:00Z","labels":{"app":"web"},
                  "finalizers":["a/b"],"ownerReferences":[{"uid":"o1","kind":"Job","name":"j"}],
                  "managedFields":[{"manager":"x"}]},
      "spec":{"containers":[{"name":"c","image":"i","args":["x"],"securityContext":{},
                             "ports":[{"containerPort":80}],
                             "env":[{"name":"A","value":"1"}]}],
              "tolerations":[{"key":"k"}]},
      "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}})"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(
      json::serialize(set->ToJson()),
      R"({"f:metadata":{"f:finalizers":{"v:\"a/b\"":{}},"f:labels":{"f:app":{}},)"
      R"("f:ownerReferences":{"k:{\"uid\":\"o1\"}":{".":{},"f:kind":{},"f:name":{},"f:uid":{}}}},)"
      R"("f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:args":{},)"
      R"("f:env":{"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:name":{},)"
      R"("f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}},)"
      R"("f:tolerations":{}},)"
      R"("f:status":{"f:conditions":{"k:{\"type\":\"Ready\"}":{".":{},"f:status":{},"f:type":{}}},)"
      R"("f:phase":{}}})");
}

TEST(FieldsOfTest, ListMapItemWithoutKeyIsAnError) {
  absl::StatusOr<FieldSet> set =
      FieldsOf(Obj(R"({"kind":"Pod","spec":{"containers":[{"image":"x"}]}})"));
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(std::string(set.status().message()),
            ".containers: element 0: associative list with keys has an element that omits key "
            "field \"name\" (and doesn't have default value)");
  set = FieldsOf(Obj(R"({"kind":"Pod","spec":{"containers":[{"name":"a"},{"name":"a"}]}})"));
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(std::string(set.status().message()),
            R"(.containers: duplicate entries for key [name="a"])");
}

// ----------------------------------------------------------------------------------------------
// Apply

// The body kubectl sent for `kubectl apply --server-side -f job-v2.yaml` in the traces.
constexpr std::string_view kJobConfig = R"({"apiVersion":"batch/v1","kind":"Job",
    "metadata":{"labels":{"app":"trace-job","rev":"2"},"name":"trace-job","namespace":"default"},
    "spec":{"backoffLimit":1,"template":{"spec":{"containers":[{"command":["echo","hi"],
    "image":"busybox:1.36","name":"c","resources":{"requests":{"cpu":"1"}}}],
    "restartPolicy":"Never"}}}})";

ApplyRequest JobApply(std::string_view manager, bool force = false) {
  ApplyRequest r;
  r.manager = manager;
  r.force = force;
  r.api_version = "batch/v1";
  r.kind = "Job";
  r.now = At(8, 4, 4);
  return r;
}

TEST(ApplyTest, CreateRecordsTheAppliedFieldsAsKubernetesDoes) {
  absl::StatusOr<json::object> got = Apply(nullptr, Obj(kJobConfig), JobApply("kubectl"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(
      json::serialize(ManagedFields(*got)),
      R"([{"manager":"kubectl","operation":"Apply","apiVersion":"batch/v1",)"
      R"("time":"2026-11-23T08:04:04Z","fieldsType":"FieldsV1","fieldsV1":)"
      R"({"f:metadata":{"f:labels":{"f:app":{},"f:rev":{}}},"f:spec":{"f:backoffLimit":{},)"
      R"("f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:command":{},)"
      R"("f:image":{},"f:name":{},"f:resources":{"f:requests":{"f:cpu":{}}}}},)"
      R"("f:restartPolicy":{}}}}}}])");
  json::object want = Obj(kJobConfig);
  want["metadata"].as_object()["managedFields"] = ManagedFields(*got);
  EXPECT_EQ(*got, want);
}

TEST(ApplyTest, ReapplyWithoutAFieldRemovesIt) {
  absl::StatusOr<json::object> first = Apply(nullptr, Obj(kJobConfig), JobApply("kubectl"));
  ASSERT_TRUE(first.ok()) << first.status();
  // The server adds what it adds (uid, status...), unowned.
  json::object live = *first;
  live["metadata"].as_object()["uid"] = "u1";
  live["status"] = Json(R"({"active":1})");
  json::object config = Obj(kJobConfig);
  config["metadata"].as_object()["labels"].as_object().erase("rev");
  config["spec"].as_object().erase("backoffLimit");
  absl::StatusOr<json::object> second = Apply(&live, config, JobApply("kubectl"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->at("metadata").at("labels"), Json(R"({"app":"trace-job"})"));
  EXPECT_FALSE(second->at("spec").as_object().contains("backoffLimit"));
  EXPECT_EQ(second->at("metadata").at("uid"), "u1");
  EXPECT_EQ(second->at("status"), Json(R"({"active":1})"));
  EXPECT_THAT(PathsOf(*Entry(*second, "kubectl", "Apply")),
              ::testing::Not(::testing::Contains(".metadata.labels.rev")));
  // Dropping every label removes the emptied map too.
  config["metadata"].as_object().erase("labels");
  absl::StatusOr<json::object> third = Apply(&*second, config, JobApply("kubectl"));
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_FALSE(third->at("metadata").as_object().contains("labels"));
}

TEST(ApplyTest, FieldStillOwnedByAnotherManagerIsKept) {
  absl::StatusOr<json::object> first = Apply(nullptr, Obj(kJobConfig), JobApply("kubectl"));
  ASSERT_TRUE(first.ok());
  absl::StatusOr<json::object> other = Apply(&*first, Obj(R"({"apiVersion":"batch/v1",
      "kind":"Job","metadata":{"name":"trace-job","labels":{"rev":"2"}}})"), JobApply("other"));
  ASSERT_TRUE(other.ok()) << other.status();
  json::object config = Obj(kJobConfig);
  config["metadata"].as_object()["labels"].as_object().erase("rev");
  absl::StatusOr<json::object> got = Apply(&*other, config, JobApply("kubectl"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->at("metadata").at("labels"), Json(R"({"app":"trace-job","rev":"2"})"));
}

// A Job made by `kubectl create` (an Update), then applied with another parallelism.
json::object CreatedJob() {
  json::object job = Obj(R"({"apiVersion":"batch/v1","kind":"Job",
      "metadata":{"name":"trace-job","namespace":"default","labels":{"app":"trace-job"}},
      "spec":{"parallelism":1,"backoffLimit":1,"template":{"spec":{"containers":[
        {"name":"c","image":"busybox:1.36"}],"restartPolicy":"Never"}}}})");
  UpdateRequest u{"kubectl-client-side-apply", "", At(8, 4, 3)};
  EXPECT_TRUE(TrackUpdate(nullptr, job, u).ok());
  return job;
}

constexpr std::string_view kParallelism2 = R"({"apiVersion":"batch/v1","kind":"Job",
    "metadata":{"name":"trace-job","namespace":"default"},"spec":{"parallelism":2,
    "template":{"spec":{"containers":[{"name":"c","image":"busybox:1.36"}]}}}})";

TEST(ApplyTest, ChangingAnotherManagersFieldIsAConflict) {
  json::object live = CreatedJob();
  std::vector<FieldConflict> conflicts;
  absl::StatusOr<json::object> got =
      Apply(&live, Obj(kParallelism2), JobApply("kubectl"), &conflicts);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(std::string(got.status().message()),
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using "
            "batch/v1: .spec.parallelism");
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].message, "conflict with \"kubectl-client-side-apply\" using batch/v1");
  EXPECT_EQ(conflicts[0].field, ".spec.parallelism");
  EXPECT_EQ(json::serialize(ConflictCauses(conflicts)),
            R"([{"reason":"FieldManagerConflict","message":"conflict with \"kubectl-client-side-apply\" using batch/v1","field":".spec.parallelism"}])");
}

TEST(ApplyTest, SeveralConflictsAreListedByManager) {
  json::object live = CreatedJob();
  json::object config = Obj(kParallelism2);
  config["spec"].as_object()["backoffLimit"] = 3;
  config["metadata"].as_object()["labels"] = Json(R"({"app":"x"})");
  std::vector<FieldConflict> conflicts;
  absl::StatusOr<json::object> got = Apply(&live, config, JobApply("kubectl"), &conflicts);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()),
            "Apply failed with 3 conflicts: conflicts with \"kubectl-client-side-apply\" using "
            "batch/v1:\n- .metadata.labels.app\n- .spec.backoffLimit\n- .spec.parallelism");
  EXPECT_EQ(conflicts.size(), 3u);
}

TEST(ApplyTest, ForceMovesOwnership) {
  json::object live = CreatedJob();
  absl::StatusOr<json::object> got = Apply(&live, Obj(kParallelism2), JobApply("kubectl", true));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->at("spec").at("parallelism"), 2);
  EXPECT_EQ(got->at("spec").at("backoffLimit"), 1);  // not in the config, kept
  EXPECT_THAT(PathsOf(*Entry(*got, "kubectl", "Apply")), ::testing::Contains(".spec.parallelism"));
  std::vector<std::string> csa = PathsOf(*Entry(*got, "kubectl-client-side-apply", "Update"));
  EXPECT_THAT(csa, ::testing::Not(::testing::Contains(".spec.parallelism")));
  EXPECT_THAT(csa, ::testing::Contains(".spec.backoffLimit"));
  // Same-valued fields stay shared.
  EXPECT_THAT(csa, ::testing::Contains(R"(.spec.template.spec.containers[name="c"].image)"));
}

TEST(ApplyTest, SameValueIsSharedOwnershipWithoutConflict) {
  json::object live = CreatedJob();
  json::object config = Obj(kParallelism2);
  config["spec"].as_object()["parallelism"] = 1;
  absl::StatusOr<json::object> got = Apply(&live, config, JobApply("kubectl"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(PathsOf(*Entry(*got, "kubectl", "Apply")), ::testing::Contains(".spec.parallelism"));
  EXPECT_THAT(PathsOf(*Entry(*got, "kubectl-client-side-apply", "Update")),
              ::testing::Contains(".spec.parallelism"));
  // Entries sort Apply before Update.
  EXPECT_EQ(ManagedFields(*got).as_array()[0].at("operation"), "Apply");
}

TEST(ApplyTest, ReapplyingWithoutChangeKeepsTheTime) {
  absl::StatusOr<json::object> first = Apply(nullptr, Obj(kJobConfig), JobApply("kubectl"));
  ASSERT_TRUE(first.ok());
  ApplyRequest later = JobApply("kubectl");
  later.now = At(9, 0, 0);
  absl::StatusOr<json::object> again = Apply(&*first, Obj(kJobConfig), later);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *first);  // kube-apiserver writes nothing for it
  json::object config = Obj(kJobConfig);
  config["spec"].as_object()["backoffLimit"] = 2;
  absl::StatusOr<json::object> changed = Apply(&*again, config, later);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(Entry(*changed, "kubectl", "Apply")->at("time"), "2026-11-23T09:00:00Z");
}

// CreatedJob() as `kubectl apply` (client-side) leaves it: with its annotation.
json::object ClientSideAppliedJob(std::string_view last_applied) {
  json::object job = Obj(R"({"apiVersion":"batch/v1","kind":"Job",
      "metadata":{"name":"trace-job","namespace":"default","labels":{"app":"trace-job"},
        "annotations":{"kubectl.kubernetes.io/last-applied-configuration":""}},
      "spec":{"parallelism":1,"backoffLimit":1,"template":{"spec":{"containers":[
        {"name":"c","image":"busybox:1.36"}],"restartPolicy":"Never"}}}})");
  job["metadata"].as_object()["annotations"].as_object()[
      "kubectl.kubernetes.io/last-applied-configuration"] = last_applied;
  UpdateRequest u{"kubectl-client-side-apply", "", At(8, 4, 3)};
  EXPECT_TRUE(TrackUpdate(nullptr, job, u).ok());
  return job;
}

constexpr std::string_view kLastApplied =
    R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"labels":{"app":"trace-job"},)"
    R"("name":"trace-job","namespace":"default"},"spec":{"backoffLimit":1,"parallelism":1,)"
    R"("template":{"spec":{"containers":[{"image":"busybox:1.36","name":"c"}],)"
    R"("restartPolicy":"Never"}}}})"
    "\n";

TEST(ApplyTest, KubectlTakesFieldsItsClientSideApplySetWithoutConflict) {
  json::object live = ClientSideAppliedJob(kLastApplied);
  absl::StatusOr<json::object> got = Apply(&live, Obj(kParallelism2), JobApply("kubectl"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->at("spec").at("parallelism"), 2);
  EXPECT_THAT(PathsOf(*Entry(*got, "kubectl-client-side-apply", "Update")),
              ::testing::Not(::testing::Contains(".spec.parallelism")));
  // The annotation now holds the server-side configuration, keys sorted as Go writes them.
  EXPECT_EQ(got->at("metadata").at("annotations").at(
                "kubectl.kubernetes.io/last-applied-configuration"),
            R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"trace-job",)"
            R"("namespace":"default"},"spec":{"parallelism":2,"template":{"spec":)"
            R"({"containers":[{"image":"busybox:1.36","name":"c"}]}}}})"
            "\n");
  // Another manager gets no such leniency.
  std::vector<FieldConflict> conflicts;
  EXPECT_EQ(Apply(&live, Obj(kParallelism2), JobApply("helm"), &conflicts).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(conflicts.size(), 1u);
}

TEST(ApplyTest, KubectlStillConflictsOnFieldsChangedSinceItsClientSideApply) {
  // The annotation says parallelism 3; the live object has 1: somebody else changed it.
  std::string last(kLastApplied);
  last.replace(last.find(R"("parallelism":1)"), 15, R"("parallelism":3)");
  json::object live = ClientSideAppliedJob(last);
  json::object config = Obj(kParallelism2);
  config["spec"].as_object()["backoffLimit"] = 4;  // backoffLimit still matches: taken
  std::vector<FieldConflict> conflicts;
  absl::StatusOr<json::object> got = Apply(&live, config, JobApply("kubectl"), &conflicts);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()),
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using "
            "batch/v1: .spec.parallelism");
}

TEST(ApplyTest, AnnotationIsNotAddedWhereThereWasNone) {
  json::object live = CreatedJob();
  absl::StatusOr<json::object> got = Apply(&live, Obj(kParallelism2), JobApply("kubectl", true));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->at("metadata").as_object().contains("annotations"));
}

TEST(ApplyTest, ConflictWithAnApplierNamesNoVersion) {
  absl::StatusOr<json::object> first = Apply(nullptr, Obj(kJobConfig), JobApply("alice"));
  ASSERT_TRUE(first.ok());
  json::object config = Obj(kJobConfig);
  config["spec"].as_object()["backoffLimit"] = 5;
  absl::StatusOr<json::object> got = Apply(&*first, config, JobApply("bob"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()),
            "Apply failed with 1 conflict: conflict with \"alice\": .spec.backoffLimit");
}

TEST(ApplyTest, StatusInTheConfigIsIgnoredOnTheMainResource) {
  json::object config = Obj(kJobConfig);
  config["status"] = Json(R"({"active":3})");
  absl::StatusOr<json::object> got = Apply(nullptr, config, JobApply("kubectl"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->contains("status"));
  EXPECT_THAT(PathsOf(*Entry(*got, "kubectl", "Apply")),
              ::testing::Not(::testing::Contains(".status.active")));
}

TEST(ApplyTest, ListMapsMergeByKeyAndListOrderFollowsTheConfig) {
  json::object live = Obj(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
      "spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}],
              "tolerations":[{"key":"x"}]}})");
  ApplyRequest r;
  r.manager = "m";
  r.api_version = "v1";
  r.kind = "Pod";
  r.now = At(9, 0, 0);
  absl::StatusOr<json::object> got = Apply(&live, Obj(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"c:1"},
      {"name":"a","image":"a:2"}],"tolerations":[{"key":"y"}]}})"), r);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->at("spec"), Json(R"({"containers":[{"name":"c","image":"c:1"},
      {"name":"a","image":"a:2"},{"name":"b","image":"b:1"}],"tolerations":[{"key":"y"}]})"));
}

TEST(ApplyTest, BadConfigs) {
  absl::StatusOr<json::object> got =
      Apply(nullptr, Obj(R"({"apiVersion":"v1","kind":"Pod"})"), JobApply("kubectl"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(got.status().message()), "invalid object type: /v1, Kind=Pod");
  json::object config = Obj(kJobConfig);
  config["metadata"].as_object()["managedFields"] = json::array();
  got = Apply(nullptr, config, JobApply("kubectl"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()), "metadata.managedFields must be nil");
  got = Apply(nullptr, Obj(kJobConfig), JobApply(""));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()), "fieldManager is required for apply requests");
}

// ----------------------------------------------------------------------------------------------
// TrackUpdate

TEST(TrackUpdateTest, CreateOwnsEverythingButServerMetadata) {
  json::object pod = Obj(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"p","namespace":"d","uid":"u","labels":{"app":"web"}},
      "spec":{"containers":[{"name":"c","image":"i","resources":{"requests":{"cpu":"1"}}}],
              "securityContext":{}}})");
  ASSERT_TRUE(TrackUpdate(nullptr, pod, {"kubectl-create", "", At(8, 0, 0)}).ok());
  EXPECT_EQ(
      json::serialize(ManagedFields(pod)),
      R"([{"manager":"kubectl-create","operation":"Update","apiVersion":"v1",)"
      R"("time":"2026-11-23T08:00:00Z","fieldsType":"FieldsV1","fieldsV1":)"
      R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":)"
      R"({"k:{\"name\":\"c\"}":{".":{},"f:image":{},"f:name":{},"f:resources":{".":{},)"
      R"("f:requests":{".":{},"f:cpu":{}}}}},"f:securityContext":{}}}}])");
}

// The Job of the traces as `kubectl create` sent it after defaulting: kube-apiserver recorded
// kTraceFieldsV1 for it.
TEST(TrackUpdateTest, CreateMatchesKubeApiserverOnTheTraceJob) {
  json::object job = Obj(R"({"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"trace-job",
      "namespace":"default","labels":{"app":"trace-job","rev":"2"},"annotations":{
      "kubectl.kubernetes.io/last-applied-configuration":"{}"}},"spec":{"parallelism":1,
      "completions":1,"backoffLimit":1,"template":{"spec":{"containers":[{"name":"c",
      "image":"busybox:1.36","command":["echo","hi"],"resources":{"requests":{"cpu":"1"}},
      "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",
      "imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Never",
      "terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},
      "schedulerName":"default-scheduler"}},"completionMode":"NonIndexed","suspend":false}})");
  ASSERT_TRUE(TrackUpdate(nullptr, job, {"kubectl-client-side-apply", "", At(8, 4, 3)}).ok());
  const json::object* e = Entry(job, "kubectl-client-side-apply", "Update");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(json::serialize(e->at("fieldsV1")), kTraceFieldsV1);
}

TEST(TrackUpdateTest, ChangedFieldsMoveToTheWriter) {
  json::object pod = Obj(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"p","labels":{"app":"web","tier":"fe"}},"spec":{"nodeName":""}})");
  ASSERT_TRUE(TrackUpdate(nullptr, pod, {"creator", "", At(8, 0, 0)}).ok());
  json::object old = pod;
  pod["metadata"].as_object()["labels"].as_object()["app"] = "api";
  ASSERT_TRUE(TrackUpdate(&old, pod, {"labeler", "", At(8, 0, 5)}).ok());
  EXPECT_THAT(PathsOf(*Entry(pod, "labeler", "Update")),
              ::testing::ElementsAre(".metadata.labels.app"));
  EXPECT_EQ(Entry(pod, "labeler", "Update")->at("time"), "2026-11-23T08:00:05Z");
  EXPECT_THAT(PathsOf(*Entry(pod, "creator", "Update")),
              ::testing::ElementsAre(".metadata.labels", ".metadata.labels.tier",
                                     ".spec.nodeName"));
  // Removing a field removes it from every manager; an emptied entry is dropped; a write
  // that gains nothing leaves the writer's time alone.
  old = pod;
  pod["metadata"].as_object()["labels"].as_object().erase("app");
  ASSERT_TRUE(TrackUpdate(&old, pod, {"labeler", "", At(8, 0, 9)}).ok());
  EXPECT_EQ(Entry(pod, "labeler", "Update"), nullptr);
  EXPECT_EQ(ManagedFields(pod).as_array().size(), 1u);
  // No change at all: nothing moves, no time changes.
  old = pod;
  ASSERT_TRUE(TrackUpdate(&old, pod, {"creator", "", At(9, 0, 0)}).ok());
  EXPECT_EQ(Entry(pod, "creator", "Update")->at("time"), "2026-11-23T08:00:00Z");
}

TEST(TrackUpdateTest, StatusSubresourceIsItsOwnEntryAndIgnoresSpec) {
  json::object pod = Obj(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
      "spec":{"nodeName":"n1"}})");
  ASSERT_TRUE(TrackUpdate(nullptr, pod, {"scheduler", "", At(8, 0, 0)}).ok());
  json::object old = pod;
  pod["status"] = Json(R"({"phase":"Running","conditions":[{"type":"Ready","status":"True"}]})");
  pod["spec"].as_object()["nodeName"] = "n2";  // reset by the status strategy; not tracked
  ASSERT_TRUE(TrackUpdate(&old, pod, {"shoal-agent", "status", At(8, 0, 1)}).ok());
  const json::object* e = Entry(pod, "shoal-agent", "Update");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->at("subresource"), "status");
  EXPECT_EQ(json::serialize(e->at("fieldsV1")),
            R"({"f:status":{"f:conditions":{".":{},"k:{\"type\":\"Ready\"}":{".":{},)"
            R"("f:status":{},"f:type":{}}},"f:phase":{}}})");
  EXPECT_THAT(PathsOf(*Entry(pod, "scheduler", "Update")),
              ::testing::ElementsAre(".spec.nodeName"));
}

TEST(TrackUpdateTest, EmptyManagedFieldsResetsTracking) {
  json::object pod = Obj(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"p","labels":{"a":"1"}},"spec":{"nodeName":"n"}})");
  ASSERT_TRUE(TrackUpdate(nullptr, pod, {"creator", "", At(8, 0, 0)}).ok());
  json::object old = pod;
  pod["metadata"].as_object()["managedFields"] = json::array();
  pod["metadata"].as_object()["labels"].as_object()["b"] = "2";
  ASSERT_TRUE(TrackUpdate(&old, pod, {"kubectl", "", At(8, 1, 0)}).ok());
  ASSERT_EQ(ManagedFields(pod).as_array().size(), 1u);
  EXPECT_THAT(PathsOf(*Entry(pod, "kubectl", "Update")),
              ::testing::ElementsAre(".metadata.labels.b"));
  // Resetting with nothing changed leaves no managedFields at all.
  old = pod;
  pod["metadata"].as_object()["managedFields"] = json::array();
  ASSERT_TRUE(TrackUpdate(&old, pod, {"kubectl", "", At(8, 2, 0)}).ok());
  EXPECT_FALSE(pod.at("metadata").as_object().contains("managedFields"));
}

TEST(TrackUpdateTest, SentManagedFieldsReplaceTheLiveOnes) {
  json::object pod = Obj(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
      "spec":{"nodeName":"n"}})");
  ASSERT_TRUE(TrackUpdate(nullptr, pod, {"creator", "", At(8, 0, 0)}).ok());
  json::object old = pod;
  pod["metadata"].as_object()["managedFields"] = Json(R"([{"manager":"imported",
      "operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1",
      "fieldsV1":{"f:spec":{"f:nodeName":{}}}}])");
  ASSERT_TRUE(TrackUpdate(&old, pod, {"kubectl-edit", "", At(8, 1, 0)}).ok());
  ASSERT_EQ(ManagedFields(pod).as_array().size(), 1u);
  EXPECT_EQ(ManagedFields(pod).as_array()[0].at("manager"), "imported");
}

TEST(TrackUpdateTest, InvalidManagedFieldsAreRejected) {
  json::object pod = Obj(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p",
      "managedFields":[{"manager":"m","operation":"Frob","apiVersion":"v1",
                        "fieldsType":"FieldsV1","fieldsV1":{}}]}})");
  absl::Status st = TrackUpdate(nullptr, pod, {"m", "", At(8, 0, 0)});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(st.message()),
            "metadata.managedFields[0].operation: Invalid value: \"Frob\": must be `Apply` or "
            "`Update`");
  pod["metadata"].as_object()["managedFields"] = Json(R"([{"manager":"m","operation":"Update",
      "apiVersion":"v1","fieldsType":"FieldsV2"}])");
  st = TrackUpdate(nullptr, pod, {"m", "", At(8, 0, 0)});
  EXPECT_EQ(std::string(st.message()),
            "metadata.managedFields[0].fieldsType: Invalid value: \"FieldsV2\": must be "
            "`FieldsV1`");
}

TEST(TrackUpdateTest, UpdateManagersAreCappedAtTen) {
  json::object cm = Obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},
      "data":{}})");
  for (int i = 0; i < 12; ++i) {
    json::object old = cm;
    cm["data"].as_object()[base::StrCat("k", i)] = "v";
    std::string manager = base::StrCat("m", i);
    ASSERT_TRUE(TrackUpdate(&old, cm, {manager, "", At(8, 0, i)}).ok());
  }
  const json::array& entries = ManagedFields(cm).as_array();
  EXPECT_EQ(entries.size(), 10u);
  const json::object* ancient = Entry(cm, "ancient-changes", "Update");
  ASSERT_NE(ancient, nullptr);
  EXPECT_THAT(PathsOf(*ancient),
              ::testing::ElementsAre(".data.k0", ".data.k1", ".data.k2"));
}

TEST(DefaultManagerTest, PrefixOfUserAgent) {
  EXPECT_EQ(DefaultManager("kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07"), "kubectl");
  EXPECT_EQ(DefaultManager("OpenAPI-Generator/29.0.0/python"), "OpenAPI-Generator");
  EXPECT_EQ(DefaultManager("curl"), "curl");
  EXPECT_EQ(DefaultManager("a\tb/1"), "ab");
  EXPECT_EQ(DefaultManager(std::string(200, 'x')).size(), 128u);
}

}  // namespace
}  // namespace shoal::api
