#include "api/schema.h"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/schema_test_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::api {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

json::value Parse(std::string_view text) {
  auto v = ParseJsonWithDuplicates(text, nullptr);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : json::value();
}

std::shared_ptr<const Schema> Kind(std::string_view group, std::string_view version,
                                   std::string_view kind) {
  auto s = BuiltinSchemas().ForKind(group, version, kind);
  EXPECT_NE(s, nullptr) << kind;
  return s;
}

FieldIssues Check(std::string_view group, std::string_view version, std::string_view kind,
                  std::string_view text, bool prune = false) {
  json::value v = Parse(text);
  return CheckFields(*Kind(group, version, kind), v, prune);
}

TEST(BuiltinSchemasTest, EveryServedKindHasASchema) {
  const std::vector<GroupVersionKind> kinds = {
      {"", "v1", "Namespace"},
      {"", "v1", "Node"},
      {"", "v1", "Pod"},
      {"", "v1", "Event"},
      {"", "v1", "ConfigMap"},
      {"", "v1", "Secret"},
      {"", "v1", "Binding"},
      {"", "v1", "DeleteOptions"},
      {"", "v1", "Status"},
      {"policy", "v1", "Eviction"},
      {"coordination.k8s.io", "v1", "Lease"},
      {"batch", "v1", "Job"},
      {"scheduling.k8s.io", "v1", "PriorityClass"},
      {"scheduling.x-k8s.io", "v1alpha1", "PodGroup"},
      {"apiextensions.k8s.io", "v1", "CustomResourceDefinition"},
  };
  for (const GroupVersionKind& k : kinds) {
    auto s = BuiltinSchemas().ForKind(k.group, k.version, k.kind);
    ASSERT_NE(s, nullptr) << k.group << "/" << k.version << "/" << k.kind;
    EXPECT_EQ(s->type(), SchemaType::kObject);
  }
  EXPECT_EQ(BuiltinSchemas().ForKind("", "v1", "Deployment"), nullptr);
  EXPECT_EQ(Kind("", "v1", "Pod")->name(), "io.k8s.api.core.v1.Pod");
  const Schema* spec = Kind("", "v1", "Pod")->FindProperty("spec");
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->Resolved().name(), "io.k8s.api.core.v1.PodSpec");
}

TEST(CheckFieldsTest, RealManifestsHaveNoIssues) {
  struct Case {
    const char* group;
    const char* kind;
    const char* text;
  };
  for (const Case& c : {Case{"", "Pod", testdata::kFullPod}, Case{"", "Pod", testdata::kTypicalPod},
                        Case{"batch", "Job", testdata::kJob}, Case{"", "Node", testdata::kNode}}) {
    SCOPED_TRACE(c.kind);
    FieldIssues issues = Check(c.group, "v1", c.kind, c.text);
    EXPECT_THAT(issues.unknown, IsEmpty());
    EXPECT_THAT(issues.invalid, IsEmpty());
  }
}

TEST(CheckFieldsTest, OtherKindsAccepted) {
  EXPECT_TRUE(Check("", "v1", "ConfigMap",
                    R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},
                        "data":{"a.yaml":"x: 1","b":""},"binaryData":{"bin":"AAEC"},
                        "immutable":true})")
                  .empty());
  EXPECT_TRUE(Check("", "v1", "Secret",
                    R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},
                        "type":"kubernetes.io/tls","data":{"tls.crt":"aGVsbG8=","tls.key":""},
                        "stringData":{"password":"hunter2"}})")
                  .empty());
  EXPECT_TRUE(Check("coordination.k8s.io", "v1", "Lease",
                    R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
                        "metadata":{"name":"n1","namespace":"kube-node-lease"},
                        "spec":{"holderIdentity":"n1","leaseDurationSeconds":40,
                                "renewTime":"2025-01-10T08:00:00.123456Z","leaseTransitions":0}})")
                  .empty());
  EXPECT_TRUE(Check("", "v1", "Event",
                    R"({"apiVersion":"v1","kind":"Event","metadata":{"name":"e"},
                        "involvedObject":{"kind":"Pod","name":"p","namespace":"d","uid":"u",
                                          "apiVersion":"v1","resourceVersion":"1",
                                          "fieldPath":"spec.containers{c}"},
                        "reason":"Scheduled","message":"ok","source":{"component":"sched"},
                        "firstTimestamp":null,"lastTimestamp":null,"count":1,"type":"Normal",
                        "eventTime":"2025-01-10T08:00:00.000001Z","reportingComponent":"s",
                        "reportingInstance":"i","action":"Binding",
                        "series":{"count":2,"lastObservedTime":"2025-01-10T08:00:00.000001Z"}})")
                  .empty());
  EXPECT_TRUE(Check("scheduling.x-k8s.io", "v1alpha1", "PodGroup",
                    R"({"apiVersion":"scheduling.x-k8s.io/v1alpha1","kind":"PodGroup",
                        "metadata":{"name":"g"},
                        "spec":{"minMember":64,"minResources":{"nvidia.com/gpu":"512","cpu":100},
                                "scheduleTimeoutSeconds":600},
                        "status":{"phase":"Running","scheduled":64,"running":64,"succeeded":0,
                                  "failed":0,"occupiedBy":"ml/trainer",
                                  "scheduleStartTime":"2025-01-10T08:00:00Z"}})")
                  .empty());
  EXPECT_TRUE(Check("policy", "v1", "Eviction",
                    R"({"apiVersion":"policy/v1","kind":"Eviction",
                        "metadata":{"name":"p","namespace":"d"},
                        "deleteOptions":{"gracePeriodSeconds":0,"propagationPolicy":"Background",
                                         "preconditions":{"uid":"u"},"dryRun":["All"]}})")
                  .empty());
  EXPECT_TRUE(Check("", "v1", "Binding",
                    R"({"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},
                        "target":{"apiVersion":"v1","kind":"Node","name":"n1"}})")
                  .empty());
  EXPECT_TRUE(Check("scheduling.k8s.io", "v1", "PriorityClass",
                    R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass",
                        "metadata":{"name":"high"},"value":1000000,"globalDefault":false,
                        "description":"d","preemptionPolicy":"Never"})")
                  .empty());
  EXPECT_TRUE(Check("", "v1", "Namespace",
                    R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ml"},
                        "spec":{"finalizers":["kubernetes"]},
                        "status":{"phase":"Active","conditions":[]}})")
                  .empty());
}

TEST(CheckFieldsTest, CustomResourceDefinitionAccepted) {
  FieldIssues issues = Check("apiextensions.k8s.io", "v1", "CustomResourceDefinition", R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "crontabs.stable.example.com"},
    "spec": {"group": "stable.example.com", "scope": "Namespaced",
             "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab",
                       "listKind": "CronTabList", "shortNames": ["ct"], "categories": ["all"]},
             "versions": [{"name": "v1", "served": true, "storage": true,
                           "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                               "spec": {"type": "object", "x-kubernetes-whatever": 1}}}},
                           "subresources": {"status": {},
                                            "scale": {"specReplicasPath": ".spec.replicas",
                                                      "statusReplicasPath": ".status.replicas"}},
                           "additionalPrinterColumns": [{"name": "Spec", "type": "string",
                               "jsonPath": ".spec.cronSpec", "description": "d", "priority": 0,
                               "format": "byte"}]}]},
    "status": {"conditions": [{"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                               "message": "", "lastTransitionTime": "2025-01-10T08:00:00Z"}],
               "acceptedNames": {"plural": "crontabs", "kind": "CronTab"},
               "storedVersions": ["v1"]}})");
  EXPECT_TRUE(issues.empty()) << testing::PrintToString(issues.unknown)
                              << testing::PrintToString(issues.invalid);
}

TEST(CheckFieldsTest, UnknownFieldsAtSeveralDepthsArePrunedInOrder) {
  json::value pod = Parse(R"({
    "apiVersion": "v1", "kind": "Pod", "extra": 1,
    "metadata": {"name": "p", "labelz": {"a": "b"}, "labels": {"any.key/x": "y"}},
    "spec": {"containers": [{"name": "c", "image": "i", "foo": true,
                             "livenessProbe": {"httpGet": {"port": 80, "bogus": "x"}}},
                            {"name": "d", "image": "i"}],
             "volumes": [{"name": "v", "emptyDir": {}},
                         {"name": "w", "configMap": {"nme": "x", "name": "y"}}],
             "nodeSelectr": {}},
    "status": {"foo": 1}})");
  FieldIssues issues = CheckFields(*Kind("", "v1", "Pod"), pod, /*prune_unknown=*/true);
  EXPECT_THAT(issues.unknown,
              ElementsAre("extra", "metadata.labelz", "spec.containers[0].foo",
                          "spec.containers[0].livenessProbe.httpGet.bogus",
                          "spec.volumes[1].configMap.nme", "spec.nodeSelectr", "status.foo"));
  EXPECT_THAT(issues.invalid, IsEmpty());
  EXPECT_EQ(
      json::serialize(pod),
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"any.key/x":"y"}},)"
      R"("spec":{"containers":[{"name":"c","image":"i","livenessProbe":{"httpGet":{"port":80}}},)"
      R"({"name":"d","image":"i"}],"volumes":[{"name":"v","emptyDir":{}},)"
      R"({"name":"w","configMap":{"name":"y"}}]},"status":{}})");
  // A second pass finds nothing.
  EXPECT_TRUE(CheckFields(*Kind("", "v1", "Pod"), pod, true).empty());
}

TEST(CheckFieldsTest, WithoutPruneTheObjectIsUnchanged) {
  const char* text = R"({"metadata":{"name":"p","bad":1},"spec":{"containers":[]}})";
  json::value pod = Parse(text);
  FieldIssues issues = CheckFields(*Kind("", "v1", "Pod"), pod, false);
  EXPECT_THAT(issues.unknown, ElementsAre("metadata.bad"));
  EXPECT_EQ(pod, Parse(text));
}

TEST(CheckFieldsTest, MapsAndFreeFormFieldsAreNotUnknown) {
  FieldIssues issues = Check("", "v1", "Pod", R"({
    "metadata": {"labels": {"a.b/c": "d", "e": ""}, "annotations": {"x/y": "{\"json\": 1}"},
                 "managedFields": [{"manager": "m", "fieldsV1": {"f:spec": {"f:anything": {}}}}]},
    "spec": {"nodeSelector": {"k": "v"}, "overhead": {"cpu": "1"},
             "containers": [{"name": "c", "resources": {"limits": {"example.com/dev": "1", "cpu": 2.5},
                                                        "requests": {"memory": "1Gi"}}}],
             "volumes": [{"name": "old", "rbd": {"monitors": ["m"], "image": "i", "anything": {"x": 1}}}]}})");
  EXPECT_TRUE(issues.empty()) << testing::PrintToString(issues.unknown);
}

TEST(CheckFieldsTest, TypeMismatchesAreInvalid) {
  FieldIssues issues = Check("", "v1", "Pod", R"({
    "metadata": {"name": 5, "labels": {"a": 1}},
    "spec": {"priority": "high", "hostNetwork": "true", "containers": "c",
             "tolerations": [{"tolerationSeconds": 1.5}], "overhead": {"cpu": true},
             "activeDeadlineSeconds": 30.0, "nodeName": null}})");
  EXPECT_THAT(
      issues.invalid,
      ElementsAre(
          R"(metadata.name: Invalid value: "integer": metadata.name in body must be of type string: "integer")",
          R"(metadata.labels.a: Invalid value: "integer": metadata.labels.a in body must be of type string: "integer")",
          R"(spec.priority: Invalid value: "string": spec.priority in body must be of type integer: "string")",
          R"(spec.hostNetwork: Invalid value: "string": spec.hostNetwork in body must be of type boolean: "string")",
          R"(spec.containers: Invalid value: "string": spec.containers in body must be of type array: "string")",
          R"(spec.tolerations[0].tolerationSeconds: Invalid value: "number": spec.tolerations[0].tolerationSeconds in body must be of type integer: "number")",
          R"(spec.overhead.cpu: Invalid value: "boolean": spec.overhead.cpu in body must be of type string or number: "boolean")"));
  EXPECT_THAT(issues.unknown, IsEmpty());

  issues = Check("", "v1", "Pod", R"({"spec": {"containers": [{"name": "c",
      "ports": [{"containerPort": 80}], "livenessProbe": {"httpGet": {"port": ["x"]}}}]}})");
  EXPECT_THAT(issues.invalid, ElementsAre(testing::StartsWith(
                                  "spec.containers[0].livenessProbe.httpGet.port: Invalid value: "
                                  "\"array\"")));
  issues = Check("", "v1", "Pod", R"("just a string")");
  EXPECT_THAT(issues.invalid, ElementsAre(testing::HasSubstr("must be of type object")));
}

TEST(CheckFieldsTest, SecretDataMustBeBase64) {
  FieldIssues issues = Check("", "v1", "Secret", R"({"data": {"ok": "aGk=", "bad": "a!b=",
                                                     "short": "abc"}})");
  EXPECT_THAT(
      issues.invalid,
      ElementsAre(R"(data.bad: Invalid value: "string": illegal base64 data at input byte 1)",
                  R"(data.short: Invalid value: "string": illegal base64 data at input byte 3)"));
}

TEST(ParseJsonWithDuplicatesTest, ReportsPathsAndKeepsTheLastValue) {
  std::vector<std::string> dups;
  auto v = ParseJsonWithDuplicates(R"({
    "metadata": {"name": "a", "labels": {"x": "1"}, "name": "b"},
    "spec": {"containers": [{"name": "c", "image": "i1"},
                            {"name": "d", "image": "i2", "image": "i3", "ports": [{"a": 1, "a": 2}]}]},
    "spec2": [[{"k": 1, "k": 2}]],
    "metadata": {"name": "c"}})",
                                   &dups);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_THAT(dups, ElementsAre("metadata.name", "spec.containers[1].image",
                                "spec.containers[1].ports[0].a", "spec2[0][0].k", "metadata"));
  EXPECT_EQ(json::serialize(v->at("metadata")), R"({"name":"c"})");
  EXPECT_EQ(json::serialize(v->at("spec").at("containers").at(1).at("image")), R"("i3")");
}

TEST(ParseJsonWithDuplicatesTest, LargeObjectsAndEscapedKeys) {
  std::string text = "{\"data\":{";
  for (int i = 0; i < 1000; ++i) text += "\"k" + std::to_string(i) + "\":\"v\",";
  text += "\"k500\":\"again\",\"\\u006b7\":\"escaped\"}}";
  std::vector<std::string> dups;
  auto v = ParseJsonWithDuplicates(text, &dups);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_THAT(dups, ElementsAre("data.k500", "data.k7"));
  EXPECT_EQ(v->at("data").as_object().size(), 1000u);
}

TEST(ParseJsonWithDuplicatesTest, NoDuplicatesAndErrors) {
  std::vector<std::string> dups;
  auto v = ParseJsonWithDuplicates(testdata::kFullPod, &dups);
  ASSERT_TRUE(v.ok());
  EXPECT_THAT(dups, IsEmpty());
  EXPECT_EQ(*v, json::parse(testdata::kFullPod));

  auto bad = ParseJsonWithDuplicates(R"({"a": })", &dups);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), testing::StartsWith("invalid JSON at offset 6"));
  EXPECT_FALSE(ParseJsonWithDuplicates(R"({"a": 1} x)", &dups).ok());
  EXPECT_FALSE(ParseJsonWithDuplicates("", &dups).ok());
  EXPECT_FALSE(ParseJsonWithDuplicates(std::string(200, '['), &dups).ok());
  EXPECT_TRUE(ParseJsonWithDuplicates(R"( [1, "x", null, true] )", nullptr).ok());
}

TEST(MessagesTest, KubernetesTexts) {
  EXPECT_EQ(UnknownFieldMessage("spec.foo"), R"(unknown field "spec.foo")");
  EXPECT_EQ(DuplicateFieldMessage("metadata.name"), R"(duplicate field "metadata.name")");
}

constexpr char kCronTabSchema[] = R"({
  "type": "object",
  "properties": {
    "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}}},
    "spec": {
      "type": "object",
      "required": ["cronSpec", "image"],
      "properties": {
        "cronSpec": {"type": "string", "minLength": 1},
        "image": {"type": "string"},
        "replicas": {"type": "integer", "minimum": 1, "maximum": 10},
        "mode": {"type": "string", "enum": ["a", "b"]},
        "port": {"x-kubernetes-int-or-string": true},
        "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
        "workers": {"type": "array", "items": {"type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string"}, "gpus": {"type": "number"}}}},
        "env": {"type": "object", "additionalProperties": {"type": "string"}},
        "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                   "properties": {"level": {"type": "integer"}}},
        "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                     "x-kubernetes-preserve-unknown-fields": true}
      }
    },
    "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}
  }
})";

std::shared_ptr<const Schema> CronTab() {
  auto s =
      SchemaFromCrd(json::parse(kCronTabSchema).as_object(), "stable.example.com", "v1", "CronTab");
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : nullptr;
}

TEST(SchemaFromCrdTest, ValidObjectPasses) {
  auto schema = CronTab();
  ASSERT_NE(schema, nullptr);
  EXPECT_EQ(schema->name(), "com.example.stable.v1.CronTab");
  json::value obj = Parse(R"({
    "apiVersion": "stable.example.com/v1", "kind": "CronTab",
    "metadata": {"name": "a-very-long-name-is-fine-in-metadata", "labels": {"x": "y"}},
    "spec": {"cronSpec": "* * * * */5", "image": "img", "replicas": 3, "mode": "b", "port": "http",
             "tags": ["x"], "workers": [{"name": "w", "gpus": 8}], "env": {"A": "1"},
             "config": {"level": 2, "anything": {"goes": true}},
             "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "t"}, "spec": {}}},
    "status": {"ready": true}})");
  FieldIssues issues = CheckFields(*schema, obj, true);
  EXPECT_TRUE(issues.empty()) << testing::PrintToString(issues.unknown)
                              << testing::PrintToString(issues.invalid);
}

TEST(SchemaFromCrdTest, RequiredTypesBoundsEnumAndPruning) {
  auto schema = CronTab();
  ASSERT_NE(schema, nullptr);
  json::value obj = Parse(R"({
    "apiVersion": "stable.example.com/v1", "kind": "CronTab",
    "metadata": {"name": "x", "labelz": {}},
    "spec": {"cronSpec": "", "replicas": 11, "mode": "c", "port": 1.5, "tags": ["a", "b", "c"],
             "workers": [{"gpus": "8", "extra": 1}], "env": {"A": 1}, "config": {"level": "x"},
             "unknownSpecField": {"a": 1}},
    "status": {"ready": "yes"},
    "topLevelJunk": true})");
  FieldIssues issues = CheckFields(*schema, obj, true);
  EXPECT_THAT(issues.unknown, ElementsAre("metadata.labelz", "spec.workers[0].extra",
                                          "spec.unknownSpecField", "topLevelJunk"));
  EXPECT_THAT(
      issues.invalid,
      UnorderedElementsAre(
          R"(spec.cronSpec: Invalid value: "": spec.cronSpec in body should be at least 1 chars long)",
          R"(spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10)",
          R"(spec.mode: Unsupported value: "c": supported values: "a", "b")",
          R"(spec.port: Invalid value: "number": spec.port in body must be of type integer or string: "number")",
          R"(spec.tags: Too many: 3: must have at most 2 items)",
          R"(spec.workers[0].gpus: Invalid value: "string": spec.workers[0].gpus in body must be of type number: "string")",
          R"(spec.workers[0].name: Required value)",
          R"(spec.env.A: Invalid value: "integer": spec.env.A in body must be of type string: "integer")",
          R"(spec.config.level: Invalid value: "string": spec.config.level in body must be of type integer: "string")",
          R"(spec.image: Required value)",
          R"(status.ready: Invalid value: "string": status.ready in body must be of type boolean: "string")"));
  EXPECT_FALSE(obj.as_object().contains("topLevelJunk"));
  EXPECT_FALSE(obj.at("spec").as_object().contains("unknownSpecField"));
  EXPECT_FALSE(obj.at("metadata").as_object().contains("labelz"));

  json::value missing_spec_fields = Parse(R"({"spec": {}})");
  EXPECT_THAT(CheckFields(*schema, missing_spec_fields, false).invalid,
              ElementsAre("spec.cronSpec: Required value", "spec.image: Required value"));
}

TEST(SchemaFromCrdTest, PreserveUnknownAtTheRootAndMalformedSchemas) {
  auto open = SchemaFromCrd(
      json::parse(R"({"type":"object","x-kubernetes-preserve-unknown-fields":true})").as_object(),
      "example.com", "v1", "Thing");
  ASSERT_TRUE(open.ok());
  json::value obj = Parse(R"({"apiVersion":"example.com/v1","kind":"Thing","metadata":{"name":"t",
                              "bogus":1},"spec":{"a":[1,{"b":2}]},"x":1})");
  FieldIssues issues = CheckFields(**open, obj, true);
  EXPECT_THAT(issues.unknown, ElementsAre("metadata.bogus"));
  EXPECT_TRUE(obj.as_object().contains("x"));

  for (const char* bad : {R"({"type":"object","properties":{"a":{"type":"strin"}}})",
                          R"({"type":"object","properties":{"a":[1]}})",
                          R"({"type":"object","properties":{"a":{"type":"array","items":[]}}})",
                          R"({"type":"string"})", R"({"type":"object","required":"a"})"}) {
    SCOPED_TRACE(bad);
    auto s = SchemaFromCrd(json::parse(bad).as_object(), "example.com", "v1", "Thing");
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  }
  auto bad = SchemaFromCrd(
      json::parse(R"({"type":"object","properties":{"a":{"type":"strin"}}})").as_object(),
      "example.com", "v1", "Thing");
  EXPECT_THAT(std::string(bad.status().message()),
              testing::HasSubstr("openAPIV3Schema.properties.a: unsupported type \"strin\""));

  std::string deep = R"({"type":"object"})";
  for (int i = 0; i < 70; ++i) deep = R"({"type":"object","properties":{"a":)" + deep + "}}";
  json::parse_options opts;
  opts.max_depth = 1000;
  json::value deep_json = json::parse(deep, {}, opts);
  EXPECT_FALSE(SchemaFromCrd(deep_json.as_object(), "example.com", "v1", "Thing").ok());
}

TEST(SchemaFromCrdTest, ConcurrentBuildAndCheck) {
  std::vector<std::thread> threads;
  std::atomic<int> failures = 0;
  auto shared = CronTab();
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto own = CronTab();
        json::value obj = json::parse(R"({"spec":{"cronSpec":"x","image":"i","bad":1}})");
        if (CheckFields(*own, obj, true).unknown.size() != 1) ++failures;
        json::value obj2 = json::parse(R"({"spec":{"cronSpec":"x","image":"i","bad":1}})");
        if (CheckFields(*shared, obj2, false).unknown.size() != 1) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, 0);
}

// Every $ref in a document names a definition of the document.
void ExpectRefsResolve(const json::value& v, const json::object& defs, std::string_view prefix,
                       std::set<std::string>* seen) {
  if (v.is_object()) {
    for (const auto& kv : v.as_object()) {
      if (kv.key() == "$ref") {
        std::string_view ref = kv.value().as_string();
        ASSERT_TRUE(ref.starts_with(prefix)) << ref;
        std::string name(ref.substr(prefix.size()));
        EXPECT_TRUE(defs.contains(name)) << name;
        seen->insert(name);
      } else {
        ExpectRefsResolve(kv.value(), defs, prefix, seen);
      }
    }
  } else if (v.is_array()) {
    for (const json::value& e : v.as_array()) ExpectRefsResolve(e, defs, prefix, seen);
  }
}

TEST(OpenApiTest, V3CoreComponents) {
  json::object schemas = OpenApiV3Schemas(BuiltinSchemas(), "", "v1");
  ASSERT_TRUE(schemas.contains("io.k8s.api.core.v1.Pod"));
  const json::object& pod = schemas.at("io.k8s.api.core.v1.Pod").as_object();
  EXPECT_EQ(json::serialize(pod.at("x-kubernetes-group-version-kind")),
            R"([{"group":"","kind":"Pod","version":"v1"}])");
  EXPECT_EQ(pod.at("type"), "object");
  EXPECT_EQ(json::serialize(pod.at("properties").at("spec").at("allOf")),
            R"([{"$ref":"#/components/schemas/io.k8s.api.core.v1.PodSpec"}])");
  const json::object& containers =
      schemas.at("io.k8s.api.core.v1.PodSpec").at("properties").at("containers").as_object();
  EXPECT_EQ(containers.at("type"), "array");
  EXPECT_EQ(containers.at("x-kubernetes-patch-merge-key"), "name");
  EXPECT_EQ(containers.at("x-kubernetes-patch-strategy"), "merge");
  EXPECT_EQ(containers.at("x-kubernetes-list-type"), "map");
  EXPECT_EQ(json::serialize(containers.at("x-kubernetes-list-map-keys")), R"(["name"])");
  EXPECT_EQ(json::serialize(containers.at("items")),
            R"({"$ref":"#/components/schemas/io.k8s.api.core.v1.Container"})");
  EXPECT_FALSE(containers.at("description").as_string().empty());
  EXPECT_EQ(json::serialize(schemas.at("io.k8s.api.core.v1.PodSpec").at("required")),
            R"(["containers"])");
  const json::object& quantity =
      schemas.at("io.k8s.apimachinery.pkg.api.resource.Quantity").as_object();
  EXPECT_EQ(json::serialize(quantity.at("oneOf")), R"([{"type":"string"},{"type":"number"}])");
  EXPECT_EQ(schemas.at("io.k8s.apimachinery.pkg.apis.meta.v1.Time").at("format"), "date-time");
  EXPECT_EQ(schemas.at("io.k8s.api.core.v1.PodSpec").at("properties").at("priority").at("format"),
            "int32");
  EXPECT_TRUE(schemas.contains("io.k8s.api.core.v1.Node"));
  EXPECT_FALSE(schemas.contains("io.k8s.api.batch.v1.Job"));
  std::set<std::string> seen;
  ExpectRefsResolve(schemas, schemas, "#/components/schemas/", &seen);
  EXPECT_TRUE(seen.contains("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
  // Only what the group-version's kinds use.
  for (const auto& kv : schemas) {
    if (kv.value().as_object().contains("x-kubernetes-group-version-kind")) continue;
    EXPECT_TRUE(seen.contains(std::string(kv.key()))) << kv.key();
  }

  json::object batch = OpenApiV3Schemas(BuiltinSchemas(), "batch", "v1");
  EXPECT_TRUE(batch.contains("io.k8s.api.batch.v1.Job"));
  EXPECT_TRUE(batch.contains("io.k8s.api.core.v1.PodSpec"));
  seen.clear();
  ExpectRefsResolve(batch, batch, "#/components/schemas/", &seen);
}

TEST(OpenApiTest, V2Document) {
  json::object doc = OpenApiV2Document(BuiltinSchemas());
  json::value round_trip = json::parse(json::serialize(doc));
  EXPECT_EQ(round_trip.at("swagger"), "2.0");
  const json::object& defs = round_trip.at("definitions").as_object();
  EXPECT_TRUE(defs.contains("io.k8s.api.core.v1.Pod"));
  EXPECT_TRUE(defs.contains("io.k8s.api.batch.v1.Job"));
  EXPECT_TRUE(defs.contains("io.x-k8s.scheduling.v1alpha1.PodGroup"));
  EXPECT_EQ(
      json::serialize(defs.at("io.k8s.api.core.v1.Pod").at("properties").at("spec")),
      R"({"$ref":"#/definitions/io.k8s.api.core.v1.PodSpec","description":)" +
          json::serialize(
              defs.at("io.k8s.api.core.v1.Pod").at("properties").at("spec").at("description")) +
          "}");
  EXPECT_EQ(
      json::serialize(
          defs.at("io.k8s.apimachinery.pkg.util.intstr.IntOrString").as_object().at("format")),
      R"("int-or-string")");
  std::set<std::string> seen;
  ExpectRefsResolve(round_trip, defs, "#/definitions/", &seen);
  EXPECT_EQ(defs.at("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions")
                .at("x-kubernetes-group-version-kind")
                .as_array()
                .size(),
            6u);
}

TEST(OpenApiTest, CustomResourceComponents) {
  auto schema = CronTab();
  ASSERT_NE(schema, nullptr);
  std::vector<KindSchema> kinds = {{{"stable.example.com", "v1", "CronTab"}, schema}};
  json::object schemas = OpenApiV3Schemas(kinds);
  ASSERT_TRUE(schemas.contains("com.example.stable.v1.CronTab"));
  const json::object& crontab = schemas.at("com.example.stable.v1.CronTab").as_object();
  EXPECT_EQ(json::serialize(crontab.at("x-kubernetes-group-version-kind")),
            R"([{"group":"stable.example.com","kind":"CronTab","version":"v1"}])");
  EXPECT_EQ(crontab.at("properties").at("spec").at("properties").at("replicas").at("maximum"), 10);
  EXPECT_EQ(json::serialize(crontab.at("properties").at("spec").at("required")),
            R"(["cronSpec","image"])");
  EXPECT_TRUE(schemas.contains("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
  std::set<std::string> seen;
  ExpectRefsResolve(schemas, schemas, "#/components/schemas/", &seen);
}

}  // namespace
}  // namespace shoal::api
