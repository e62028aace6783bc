#include "apiserver/kueue_crds.h"

#include <boost/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "api/object.h"
#include "api/registry.h"
#include "api/schema.h"
#include "apiserver/errors.h"
#include "apiserver/internal/rest.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::apiserver {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// Kueue's documentation example (site/static/examples/admin/single-clusterqueue-setup.yaml,
// kept in shared/reference/kueue-examples/), as JSON.
constexpr char kResourceFlavor[] = R"({
  "apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ResourceFlavor",
  "metadata": {"name": "default-flavor"}})";
constexpr char kClusterQueue[] = R"({
  "apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ClusterQueue",
  "metadata": {"name": "cluster-queue"},
  "spec": {
    "namespaceSelector": {},
    "resourceGroups": [{
      "coveredResources": ["cpu", "memory"],
      "flavors": [{
        "name": "default-flavor",
        "resources": [{"name": "cpu", "nominalQuota": 9},
                      {"name": "memory", "nominalQuota": "36Gi"}]}]}]}})";
constexpr char kLocalQueue[] = R"({
  "apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "LocalQueue",
  "metadata": {"namespace": "default", "name": "user-queue"},
  "spec": {"clusterQueue": "cluster-queue"}})";

// The Workload Kueue makes for the documentation's sample-job.yaml, once admitted.
constexpr char kWorkload[] = R"({
  "apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "Workload",
  "metadata": {"name": "job-sample-job-abc12", "namespace": "default",
               "labels": {"kueue.x-k8s.io/job-uid": "0c8e"}},
  "spec": {
    "queueName": "user-queue", "priority": 0, "active": true,
    "podSets": [{
      "name": "main", "count": 3, "minCount": 1,
      "template": {
        "metadata": {"labels": {"app": "x"}},
        "spec": {"containers": [{"name": "dummy-job",
                                 "image": "registry.k8s.io/e2e-test-images/agnhost:2.53",
                                 "args": ["entrypoint-tester", "hello", "world"],
                                 "resources": {"requests": {"cpu": 1, "memory": "200Mi"}}}],
                 "restartPolicy": "Never"}}}]},
  "status": {
    "admission": {
      "clusterQueue": "cluster-queue",
      "podSetAssignments": [{"name": "main", "count": 3,
                             "flavors": {"cpu": "default-flavor", "memory": "default-flavor"},
                             "resourceUsage": {"cpu": "3", "memory": "600Mi"}}]},
    "conditions": [
      {"type": "QuotaReserved", "status": "True", "reason": "QuotaReserved",
       "message": "Quota reserved in ClusterQueue cluster-queue",
       "lastTransitionTime": "2024-05-01T10:00:00Z", "observedGeneration": 1},
      {"type": "Admitted", "status": "True", "reason": "Admitted", "message": "",
       "lastTransitionTime": "2024-05-01T10:00:00Z"}],
    "requeueState": {"count": 1, "requeueAt": "2024-05-01T10:05:00Z"},
    "reclaimablePods": [{"name": "main", "count": 1}],
    "schedulingStats": {"evictions": []}}})";

json::value Parse(std::string_view text) { return json::parse(text); }

std::map<std::string, json::object> CrdsByKind() {
  std::map<std::string, json::object> out;
  for (json::object& crd : KueueCrds()) {
    std::string kind(api::StringAt(crd, "spec.names.kind"));
    out.emplace(kind, std::move(crd));
  }
  return out;
}

// The ResourceType a Kueue kind is served as in `version`.
api::ResourceType TypeOf(std::string_view kind, std::string_view version = "v1beta1") {
  for (api::ResourceType& t :
       internal::CrdResourceTypes(json::value(CrdsByKind().at(std::string(kind))))) {
    if (t.version == version) return t;
  }
  ADD_FAILURE() << kind << " is not served as " << version;
  return {};
}

// The issues the served schema finds in a body (nothing pruned).
api::FieldIssues Issues(std::string_view kind, const json::value& obj,
                        std::string_view version = "v1beta1") {
  api::ResourceType t = TypeOf(kind, version);
  if (t.schema == nullptr) {
    ADD_FAILURE() << kind << " has no schema";
    return {};
  }
  json::value copy = obj;
  return api::CheckFields(*t.schema, copy, /*prune_unknown=*/false);
}

// CheckObjectFields as the server runs it for a fieldValidation=Strict request.
absl::Status Strict(std::string_view kind, json::value obj, std::string_view version = "v1beta1") {
  return internal::CheckObjectFields(TypeOf(kind, version), obj, {},
                                     internal::FieldValidation::kStrict, nullptr);
}

TEST(KueueCrdsTest, FourDefinitionsNamedAfterTheirResources) {
  std::vector<json::object> crds = KueueCrds();
  std::vector<std::string> names;
  for (const json::object& crd : crds) {
    EXPECT_EQ(api::StringAt(crd, "apiVersion"), "apiextensions.k8s.io/v1");
    EXPECT_EQ(api::StringAt(crd, "kind"), "CustomResourceDefinition");
    EXPECT_EQ(api::StringAt(crd, "spec.group"), "kueue.x-k8s.io");
    EXPECT_FALSE(crd.contains("status"));
    names.emplace_back(api::StringAt(crd, "metadata.name"));
  }
  EXPECT_THAT(names, ElementsAre("resourceflavors.kueue.x-k8s.io", "clusterqueues.kueue.x-k8s.io",
                                 "localqueues.kueue.x-k8s.io", "workloads.kueue.x-k8s.io",
                                 "workloadpriorityclasses.kueue.x-k8s.io"));
}

TEST(KueueCrdsTest, DefinitionsAreValidCrds) {
  std::shared_ptr<const api::Schema> crd_schema =
      api::BuiltinSchemas().ForKind("apiextensions.k8s.io", "v1", "CustomResourceDefinition");
  ASSERT_NE(crd_schema, nullptr);
  for (json::object& crd : KueueCrds()) {
    SCOPED_TRACE(api::StringAt(crd, "metadata.name"));
    std::vector<Cause> causes;
    internal::ValidateCrd(crd, causes);
    for (const Cause& c : causes) ADD_FAILURE() << c.field << ": " << c.message;
    // The definition also passes the server's field validation of the CRD object itself.
    json::value v(crd);
    api::FieldIssues issues = api::CheckFields(*crd_schema, v, false);
    EXPECT_THAT(issues.unknown, IsEmpty());
    EXPECT_THAT(issues.invalid, IsEmpty());

    internal::CompleteCrd(crd, "2024-05-01T10:00:00Z");
    EXPECT_EQ(json::serialize(*api::FindPath(crd, "status.storedVersions")), R"(["v1beta1"])");
    EXPECT_EQ(api::StringAt(crd, "status.acceptedNames.listKind"),
              std::string(api::StringAt(crd, "spec.names.kind")) + "List");
  }
}

TEST(KueueCrdsTest, EachKindIsServedInTwoVersions) {
  struct Want {
    std::string kind, plural, singular;
    bool namespaced;
    std::vector<std::string> short_names;
    bool has_status;
  };
  const std::vector<Want> wants = {
      {"ResourceFlavor",
       "resourceflavors",
       "resourceflavor",
       false,
       {"flavor", "flavors", "rf"},
       false},
      {"ClusterQueue", "clusterqueues", "clusterqueue", false, {"cq"}, true},
      {"LocalQueue", "localqueues", "localqueue", true, {"queue", "queues", "lq"}, true},
      {"Workload", "workloads", "workload", true, {"wl"}, true},
  };
  std::map<std::string, json::object> crds = CrdsByKind();
  for (const Want& w : wants) {
    SCOPED_TRACE(w.kind);
    std::vector<api::ResourceType> types = internal::CrdResourceTypes(json::value(crds.at(w.kind)));
    ASSERT_EQ(types.size(), 2u);
    EXPECT_EQ(types[0].version, "v1beta1");
    EXPECT_EQ(types[1].version, "v1beta2");
    for (const api::ResourceType& t : types) {
      EXPECT_EQ(t.group, "kueue.x-k8s.io");
      EXPECT_EQ(t.kind, w.kind);
      EXPECT_EQ(t.plural, w.plural);
      EXPECT_EQ(t.singular, w.singular);
      EXPECT_EQ(t.namespaced, w.namespaced);
      EXPECT_EQ(t.short_names, w.short_names);
      EXPECT_THAT(t.categories, ElementsAre("kueue"));
      EXPECT_EQ(t.has_status, w.has_status);
      EXPECT_TRUE(t.custom);
      ASSERT_NE(t.schema, nullptr);
      EXPECT_EQ(t.schema->name(), "io.x-k8s.kueue." + t.version + "." + w.kind);
    }
  }
}

std::vector<std::string> Columns(const api::ResourceType& t) {
  std::vector<std::string> out;
  for (const auto& c : t.printer_columns) {
    out.push_back(c.name + "|" + c.type + "|" + c.json_path + "|" + std::to_string(c.priority));
  }
  return out;
}

TEST(KueueCrdsTest, PrinterColumnsAreKueues) {
  EXPECT_THAT(Columns(TypeOf("ResourceFlavor")),
              ElementsAre("Age|date|.metadata.creationTimestamp|0"));
  EXPECT_THAT(
      Columns(TypeOf("ClusterQueue", "v1beta2")),
      ElementsAre("Cohort|string|.spec.cohort|0", "Strategy|string|.spec.queueingStrategy|1",
                  "Pending Workloads|integer|.status.pendingWorkloads|0",
                  "Admitted Workloads|integer|.status.admittedWorkloads|0",
                  "Usage|string|.status.flavorsUsage[0].resources[0].total|0",
                  "Borrowed|string|.status.flavorsUsage[0].resources[0].borrowed|1"));
  EXPECT_THAT(Columns(TypeOf("LocalQueue")),
              ElementsAre("ClusterQueue|string|.spec.clusterQueue|0",
                          "Pending Workloads|integer|.status.pendingWorkloads|0",
                          "Admitted Workloads|integer|.status.admittedWorkloads|0"));
  EXPECT_THAT(Columns(TypeOf("Workload")),
              ElementsAre("Queue|string|.spec.queueName|0",
                          "Reserved in|string|.status.admission.clusterQueue|0",
                          "Admitted|string|.status.conditions[?(@.type=='Admitted')].status|0",
                          "Finished|string|.status.conditions[?(@.type=='Finished')].status|0",
                          "Age|date|.metadata.creationTimestamp|0"));
  for (const auto& c : TypeOf("Workload").printer_columns) EXPECT_FALSE(c.description.empty());
}

TEST(KueueCrdsTest, DocumentationExamplesAreAcceptedInBothVersions) {
  for (std::string_view version : {"v1beta1", "v1beta2"}) {
    for (auto [kind, text] :
         {std::pair{"ResourceFlavor", kResourceFlavor}, std::pair{"ClusterQueue", kClusterQueue},
          std::pair{"LocalQueue", kLocalQueue}, std::pair{"Workload", kWorkload}}) {
      SCOPED_TRACE(std::string(kind) + " " + std::string(version));
      json::value obj = Parse(text);
      obj.as_object()["apiVersion"] = "kueue.x-k8s.io/" + std::string(version);
      api::FieldIssues issues = Issues(kind, obj, version);
      EXPECT_THAT(issues.unknown, IsEmpty());
      EXPECT_THAT(issues.invalid, IsEmpty());
      json::value checked = obj;
      EXPECT_TRUE(Strict(kind, checked, version).ok()) << Strict(kind, checked, version);
      // Nothing was pruned: the pod template and undescribed status fields are kept.
      std::vector<std::string> warnings;
      ASSERT_TRUE(internal::CheckObjectFields(TypeOf(kind, version), checked, {},
                                              internal::FieldValidation::kWarn, &warnings)
                      .ok());
      EXPECT_THAT(warnings, IsEmpty());
      EXPECT_EQ(checked, obj);
    }
  }
}

TEST(KueueCrdsTest, UnknownFieldsAreReportedAndPruned) {
  json::value cq = Parse(kClusterQueue);
  cq.at_pointer("/spec/resourceGroups/0").as_object()["bogus"] = 1;
  cq.at_pointer("/spec/resourceGroups/0/flavors/0/resources/1").as_object()["quota"] = "1";
  cq.at_pointer("/spec").as_object()["cohortName"] = "x";
  EXPECT_THAT(Issues("ClusterQueue", cq).unknown,
              ElementsAre("spec.resourceGroups[0].flavors[0].resources[1].quota",
                          "spec.resourceGroups[0].bogus", "spec.cohortName"));
  absl::Status strict = Strict("ClusterQueue", cq);
  EXPECT_EQ(HttpCode(strict), 400);
  EXPECT_THAT(std::string(strict.message()),
              HasSubstr(R"(unknown field "spec.resourceGroups[0].bogus")"));

  std::vector<std::string> warnings;
  ASSERT_TRUE(internal::CheckObjectFields(TypeOf("ClusterQueue"), cq, {},
                                          internal::FieldValidation::kWarn, &warnings)
                  .ok());
  EXPECT_EQ(warnings.size(), 3u);
  EXPECT_EQ(cq, Parse(kClusterQueue));
}

TEST(KueueCrdsTest, WrongTypesAreInvalid) {
  json::value cq = Parse(kClusterQueue);
  cq.at_pointer("/spec").as_object()["queueingStrategy"] = 5;
  EXPECT_THAT(Issues("ClusterQueue", cq).invalid,
              ElementsAre(R"(spec.queueingStrategy: Invalid value: "integer": )"
                          R"(spec.queueingStrategy in body must be of type string: "integer")"));
  absl::Status s = Strict("ClusterQueue", cq);
  EXPECT_EQ(HttpCode(s), 422);
  EXPECT_THAT(std::string(s.message()), HasSubstr("spec.queueingStrategy"));

  json::value wl = Parse(kWorkload);
  wl.at_pointer("/spec").as_object()["priority"] = "high";
  wl.at_pointer("/spec").as_object()["active"] = "yes";
  wl.at_pointer("/spec/podSets/0").as_object()["count"] = "3";
  wl.at_pointer("/status/admission/podSetAssignments/0/resourceUsage").as_object()["cpu"] = 1.5;
  EXPECT_THAT(
      Issues("Workload", wl).invalid,
      UnorderedElementsAre(
          R"(spec.priority: Invalid value: "string": spec.priority in body must be of type integer: "string")",
          R"(spec.active: Invalid value: "string": spec.active in body must be of type boolean: "string")",
          R"(spec.podSets[0].count: Invalid value: "string": spec.podSets[0].count in body must be of type integer: "string")",
          R"(status.admission.podSetAssignments[0].resourceUsage.cpu: Invalid value: "number": status.admission.podSetAssignments[0].resourceUsage.cpu in body must be of type integer or string: "number")"));
}

TEST(KueueCrdsTest, EnumsRequiredFieldsAndBoundsAreEnforced) {
  json::value cq = Parse(kClusterQueue);
  json::object& spec = cq.at_pointer("/spec").as_object();
  spec["queueingStrategy"] = "Fastest";
  spec["stopPolicy"] = "Pause";
  spec["preemption"] = json::object{{"withinClusterQueue", "Any"}};
  cq.at_pointer("/spec/resourceGroups/0/flavors/0/resources/0").as_object().erase("nominalQuota");
  cq.at_pointer("/spec/resourceGroups/0/flavors/0/resources/1").as_object()["nominalQuota"] = 1.5;
  EXPECT_THAT(
      Issues("ClusterQueue", cq).invalid,
      UnorderedElementsAre(
          R"(spec.queueingStrategy: Unsupported value: "Fastest": supported values: "StrictFIFO", "BestEffortFIFO")",
          R"(spec.stopPolicy: Unsupported value: "Pause": supported values: "None", "Hold", "HoldAndDrain")",
          R"(spec.preemption.withinClusterQueue: Unsupported value: "Any": supported values: "Never", "LowerPriority", "LowerOrNewerEqualPriority")",
          R"(spec.resourceGroups[0].flavors[0].resources[0].nominalQuota: Required value)",
          R"(spec.resourceGroups[0].flavors[0].resources[1].nominalQuota: Invalid value: "number": spec.resourceGroups[0].flavors[0].resources[1].nominalQuota in body must be of type integer or string: "number")"));

  json::value empty_group = Parse(kClusterQueue);
  empty_group.at_pointer("/spec/resourceGroups/0").as_object()["coveredResources"] = json::array();
  EXPECT_THAT(Issues("ClusterQueue", empty_group).invalid,
              ElementsAre(HasSubstr("spec.resourceGroups[0].coveredResources in body should have "
                                    "at least 1 items")));

  json::value wl = Parse(kWorkload);
  wl.at_pointer("/spec/podSets/0").as_object().erase("count");
  wl.at_pointer("/spec/podSets/0").as_object()["minCount"] = 0;
  EXPECT_THAT(Issues("Workload", wl).invalid,
              UnorderedElementsAre("spec.podSets[0].count: Required value",
                                   HasSubstr("spec.podSets[0].minCount in body should be greater "
                                             "than or equal to 1")));
  json::value no_pod_sets = Parse(R"({"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "Workload",
                                     "metadata": {"name": "w"}, "spec": {"queueName": "q"}})");
  EXPECT_THAT(Issues("Workload", no_pod_sets).invalid, ElementsAre("spec.podSets: Required value"));
}

TEST(KueueCrdsTest, ResourceFlavorTaintsAndTolerations) {
  json::value rf = Parse(R"({
    "apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ResourceFlavor",
    "metadata": {"name": "spot"},
    "spec": {
      "nodeLabels": {"instance-type": "spot"},
      "nodeTaints": [{"key": "spot", "value": "true", "effect": "NoSchedule"}],
      "tolerations": [{"key": "spot-taint", "operator": "Exists", "effect": "NoSchedule"},
                      {"key": "x", "operator": "Equal", "value": "y", "effect": "NoExecute",
                       "tolerationSeconds": 30}],
      "topologyName": "default"}})");
  api::FieldIssues ok = Issues("ResourceFlavor", rf);
  EXPECT_THAT(ok.unknown, IsEmpty());
  EXPECT_THAT(ok.invalid, IsEmpty());

  rf.at_pointer("/spec/nodeTaints/0").as_object()["effect"] = "Sometimes";
  rf.at_pointer("/spec/nodeTaints/0").as_object().erase("key");
  rf.at_pointer("/spec/tolerations/0").as_object()["operator"] = "In";
  rf.at_pointer("/spec/tolerations/1").as_object()["tolerationSeconds"] = "30";
  rf.at_pointer("/spec/nodeLabels").as_object()["n"] = 1;
  EXPECT_THAT(
      Issues("ResourceFlavor", rf).invalid,
      UnorderedElementsAre(
          R"(spec.nodeTaints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute")",
          "spec.nodeTaints[0].key: Required value",
          R"(spec.tolerations[0].operator: Unsupported value: "In": supported values: "Equal", "Exists")",
          HasSubstr("spec.tolerations[1].tolerationSeconds in body must be of type integer"),
          HasSubstr("spec.nodeLabels.n in body must be of type string")));
}

TEST(KueueCrdsTest, StatusIsTypedButKeepsUndescribedFields) {
  json::value cq = Parse(kClusterQueue);
  cq.as_object()["status"] = Parse(R"({
    "pendingWorkloads": 1, "reservingWorkloads": 2, "admittedWorkloads": 2,
    "flavorsUsage": [{"name": "default-flavor",
                      "resources": [{"name": "cpu", "total": "3", "borrowed": 0}]}],
    "flavorsReservation": [{"name": "default-flavor",
                            "resources": [{"name": "cpu", "total": "3", "borrowed": "0"}]}],
    "conditions": [{"type": "Active", "status": "True", "reason": "Ready", "message": "Can admit",
                    "lastTransitionTime": "2024-05-01T10:00:00Z"}],
    "fairSharing": {"weightedShare": 0},
    "pendingWorkloadsStatus": {"clusterQueuePendingWorkload": [], "lastChangeTime": null}})");
  api::FieldIssues issues = Issues("ClusterQueue", cq);
  EXPECT_THAT(issues.unknown, IsEmpty());
  EXPECT_THAT(issues.invalid, IsEmpty());

  cq.at_pointer("/status").as_object()["admittedWorkloads"] = "two";
  cq.at_pointer("/status/conditions/0").as_object()["status"] = "Maybe";
  cq.at_pointer("/status/flavorsUsage/0/resources/0").as_object().erase("name");
  EXPECT_THAT(
      Issues("ClusterQueue", cq).invalid,
      UnorderedElementsAre(
          HasSubstr("status.admittedWorkloads in body must be of type integer"),
          R"(status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown")",
          "status.flavorsUsage[0].resources[0].name: Required value"));

  json::value lq = Parse(kLocalQueue);
  lq.as_object()["status"] = Parse(R"({
    "pendingWorkloads": 0, "reservingWorkloads": 1, "admittedWorkloads": 1,
    "flavorUsage": [{"name": "default-flavor", "resources": [{"name": "cpu", "total": "1"}]}],
    "flavors": [{"name": "default-flavor", "resources": ["cpu"]}]})");
  EXPECT_TRUE(Issues("LocalQueue", lq).empty());
}

}  // namespace
}  // namespace shoal::apiserver
