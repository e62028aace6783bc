#include "api/object.h"

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::StartsWith;

json::value Json(std::string_view text) { return json::parse(text); }
json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

// The value of `name` in `fields`; fails the test if it is missing or repeated.
std::string FieldValue(const Fields& fields, std::string_view name) {
  std::vector<std::string> found;
  for (const auto& [k, v] : fields) {
    if (k == name) found.push_back(v);
  }
  EXPECT_EQ(found.size(), 1u) << name;
  return found.empty() ? "<missing>" : found[0];
}

// Textual count: boost::json keeps only the last of duplicate keys, so parsing cannot see them.
size_t CountOccurrences(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

const ResourceType& TypeOf(std::string_view plural) {
  const ResourceType* t = Registry::Default().Find("", "v1", plural);
  EXPECT_NE(t, nullptr) << plural;
  return *t;
}

// ----------------------------------------------------------------------------------------------
// FindPath / StringAt

TEST(FindPathTest, ValueOverloadWalksNestedObjects) {
  json::value root = Json(R"({"spec":{"nodeName":"n1","replicas":3}})");
  const json::value* v = FindPath(root, "spec.nodeName");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(*v, "n1");
  // The pointer is into `root`, not into a copy.
  EXPECT_EQ(v, &root.at("spec").at("nodeName"));
  ASSERT_NE(FindPath(root, "spec.replicas"), nullptr);
  EXPECT_EQ(*FindPath(root, "spec.replicas"), 3);
  EXPECT_EQ(FindPath(root, "spec"), &root.at("spec"));
  EXPECT_EQ(FindPath(root, ""), &root);
}

TEST(FindPathTest, ValueOverloadMissingOrNonObjectStepIsNull) {
  json::value root =
      Json(R"({"spec":{"nodeName":"n1","containers":[{"name":"c"}]},"status":null})");
  EXPECT_EQ(FindPath(root, "metadata"), nullptr);
  EXPECT_EQ(FindPath(root, "spec.missing"), nullptr);
  EXPECT_EQ(FindPath(root, "spec.nodeName.x"), nullptr);    // Through a string.
  EXPECT_EQ(FindPath(root, "spec.containers.0"), nullptr);  // Arrays are not indexed.
  EXPECT_EQ(FindPath(root, "status.phase"), nullptr);       // Through null.
  EXPECT_EQ(FindPath(Json("[1,2]"), "0"), nullptr);         // Root not an object.
  EXPECT_EQ(FindPath(Json(R"("spec")"), "spec"), nullptr);
}

TEST(FindPathTest, ObjectOverloadPointsIntoTheObject) {
  json::object root = Obj(R"({"metadata":{"name":"a","labels":{"app":"web"}},"kind":"Pod"})");
  const json::value* v = FindPath(root, "metadata.labels.app");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v, &root.at("metadata").at("labels").at("app"));
  EXPECT_EQ(*v, "web");
  EXPECT_EQ(FindPath(root, "kind"), &root.at("kind"));
  EXPECT_EQ(FindPath(root, "metadata"), &root.at("metadata"));
}

TEST(FindPathTest, ObjectOverloadMissingOrNonObjectStepIsNull) {
  json::object root = Obj(R"({"metadata":{"name":"a"},"kind":"Pod","items":[{"a":1}]})");
  EXPECT_EQ(FindPath(root, "spec"), nullptr);
  EXPECT_EQ(FindPath(root, "spec.nodeName"), nullptr);
  EXPECT_EQ(FindPath(root, "metadata.namespace"), nullptr);
  EXPECT_EQ(FindPath(root, "kind.x"), nullptr);
  EXPECT_EQ(FindPath(root, "items.0.a"), nullptr);
  EXPECT_EQ(FindPath(root, "metadata.name.first"), nullptr);
}

TEST(StringAtTest, ValueOverload) {
  json::value root = Json(R"({"metadata":{"name":"web-0","generation":2,"uid":null},"on":true})");
  EXPECT_EQ(StringAt(root, "metadata.name"), "web-0");
  // Views the string inside root rather than a copy.
  EXPECT_EQ(StringAt(root, "metadata.name").data(),
            root.at("metadata").at("name").get_string().data());
  EXPECT_EQ(StringAt(root, "metadata.generation"), "");  // Not a string.
  EXPECT_EQ(StringAt(root, "metadata.uid"), "");
  EXPECT_EQ(StringAt(root, "on"), "");
  EXPECT_EQ(StringAt(root, "metadata"), "");
  EXPECT_EQ(StringAt(root, "metadata.namespace"), "");
  EXPECT_EQ(StringAt(root, "metadata.name.x"), "");
  EXPECT_EQ(StringAt(Json("null"), "metadata.name"), "");
}

TEST(StringAtTest, ObjectOverload) {
  json::object root = Obj(R"({"kind":"Pod","metadata":{"name":"web-0","generation":2}})");
  EXPECT_EQ(StringAt(root, "kind"), "Pod");
  EXPECT_EQ(StringAt(root, "metadata.name"), "web-0");
  EXPECT_EQ(StringAt(root, "metadata.name").data(),
            root.at("metadata").at("name").get_string().data());
  EXPECT_EQ(StringAt(root, "metadata.generation"), "");
  EXPECT_EQ(StringAt(root, "metadata"), "");
  EXPECT_EQ(StringAt(root, "spec.nodeName"), "");
  EXPECT_EQ(StringAt(root, "kind.x"), "");
}

TEST(ResourceVersionAtTest, DecimalOrZero) {
  EXPECT_EQ(ResourceVersionAt(Obj(R"({"metadata":{"resourceVersion":"19081"}})")), 19081);
  EXPECT_EQ(ResourceVersionAt(Obj(R"({"metadata":{"name":"x"}})")), 0);
  EXPECT_EQ(ResourceVersionAt(Obj(R"({"metadata":{"resourceVersion":"12ab"}})")), 0);
  EXPECT_EQ(ResourceVersionAt(Obj(R"({"metadata":{"resourceVersion":""}})")), 0);
  EXPECT_EQ(ResourceVersionAt(Obj(R"({"metadata":{"resourceVersion":19081}})")), 0);
}

// ----------------------------------------------------------------------------------------------
// ExtractLabels / ExtractFields

TEST(ExtractLabelsTest, SortedStringLabels) {
  json::value pod = Json(R"({"metadata":{"labels":{"tier":"db","app":"web","n":3,"env":""}}})");
  EXPECT_THAT(ExtractLabels(pod),
              ElementsAre(Pair("app", "web"), Pair("env", ""), Pair("tier", "db")));
}

TEST(ExtractLabelsTest, AbsentOrNotAnObjectIsEmpty) {
  EXPECT_THAT(ExtractLabels(Json(R"({"metadata":{"name":"a"}})")), IsEmpty());
  EXPECT_THAT(ExtractLabels(Json(R"({"metadata":{"labels":["a"]}})")), IsEmpty());
  EXPECT_THAT(ExtractLabels(Json(R"({})")), IsEmpty());
  EXPECT_THAT(ExtractLabels(Json("null")), IsEmpty());
}

TEST(ExtractFieldsTest, Pod) {
  const ResourceType& pods = TypeOf("pods");
  json::value pod = Json(R"({"metadata":{"name":"web-0","namespace":"prod"},
      "spec":{"nodeName":"node-1","restartPolicy":"Always","hostNetwork":true},
      "status":{"phase":"Running","podIP":"10.0.0.7"}})");
  Fields f = ExtractFields(pods, pod);
  EXPECT_EQ(f.size(), 2 + pods.selectable_fields.size());
  EXPECT_EQ(FieldValue(f, "metadata.name"), "web-0");
  EXPECT_EQ(FieldValue(f, "metadata.namespace"), "prod");
  EXPECT_EQ(FieldValue(f, "spec.nodeName"), "node-1");
  EXPECT_EQ(FieldValue(f, "spec.restartPolicy"), "Always");
  EXPECT_EQ(FieldValue(f, "spec.hostNetwork"), "true");
  EXPECT_EQ(FieldValue(f, "status.phase"), "Running");
  EXPECT_EQ(FieldValue(f, "status.podIP"), "10.0.0.7");
  EXPECT_EQ(FieldValue(f, "spec.schedulerName"), "");
  EXPECT_EQ(FieldValue(f, "status.nominatedNodeName"), "");
}

TEST(ExtractFieldsTest, PodWithoutOptionalFields) {
  Fields f = ExtractFields(TypeOf("pods"), Json(R"({"metadata":{"name":"p"}})"));
  EXPECT_EQ(FieldValue(f, "metadata.name"), "p");
  EXPECT_EQ(FieldValue(f, "metadata.namespace"), "");
  EXPECT_EQ(FieldValue(f, "spec.nodeName"), "");
  EXPECT_EQ(FieldValue(f, "status.phase"), "");
  EXPECT_EQ(FieldValue(f, "spec.hostNetwork"), "false");  // Absent Go bool.
}

TEST(ExtractFieldsTest, NodeUnschedulableAbsentIsFalse) {
  const ResourceType& nodes = TypeOf("nodes");
  Fields absent = ExtractFields(nodes, Json(R"({"metadata":{"name":"n1"},"spec":{}})"));
  EXPECT_THAT(absent, ElementsAre(Pair("metadata.name", "n1"), Pair("metadata.namespace", ""),
                                  Pair("spec.unschedulable", "false")));
  Fields no_spec = ExtractFields(nodes, Json(R"({"metadata":{"name":"n1"}})"));
  EXPECT_EQ(FieldValue(no_spec, "spec.unschedulable"), "false");
  Fields yes =
      ExtractFields(nodes, Json(R"({"metadata":{"name":"n1"},"spec":{"unschedulable":true}})"));
  EXPECT_EQ(FieldValue(yes, "spec.unschedulable"), "true");
  Fields no =
      ExtractFields(nodes, Json(R"({"metadata":{"name":"n1"},"spec":{"unschedulable":false}})"));
  EXPECT_EQ(FieldValue(no, "spec.unschedulable"), "false");
}

// ----------------------------------------------------------------------------------------------
// Serialize / SerializeForStore

constexpr std::string_view kUnordered =
    R"({"spec":{"nodeName":"n1"},"metadata":{"name":"a","resourceVersion":"5","uid":"u"},)"
    R"("status":{"phase":"Pending"},"kind":"Pod","apiVersion":"v1"})";

TEST(SerializeTest, PutsApiVersionKindMetadataFirst) {
  EXPECT_EQ(Serialize(Obj(kUnordered)),
            R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","resourceVersion":"5",)"
            R"("uid":"u"},"spec":{"nodeName":"n1"},"status":{"phase":"Pending"}})");
}

TEST(SerializeTest, ForStoreOmitsResourceVersionOnly) {
  json::object obj = Obj(kUnordered);
  EXPECT_EQ(SerializeForStore(obj),
            R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","uid":"u"},)"
            R"("spec":{"nodeName":"n1"},"status":{"phase":"Pending"}})");
  // The input is left alone.
  EXPECT_EQ(obj.at("metadata").at("resourceVersion"), "5");
}

TEST(SerializeTest, MissingHeaderFieldsAreSkipped) {
  EXPECT_EQ(Serialize(Obj(R"({"b":1,"kind":"List","a":[]})")), R"({"kind":"List","b":1,"a":[]})");
  EXPECT_EQ(SerializeForStore(Obj(R"({"metadata":{"resourceVersion":"1"}})")),
            R"({"metadata":{}})");
  EXPECT_EQ(Serialize(Obj("{}")), "{}");
}

TEST(SerializeTest, RoundTripsThroughParse) {
  json::object obj = Obj(R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"q\"uote\u00e9"},
      "data":{"x":[1,2.5,null,false]}})");
  EXPECT_EQ(Json(Serialize(obj)), json::value(obj));
}

// ----------------------------------------------------------------------------------------------
// InjectResourceVersion / HasResourceVersion

constexpr std::string_view kStored =
    R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"d"},"spec":{}})";

TEST(InjectResourceVersionTest, InsertsFirstInCanonicalMetadata) {
  EXPECT_EQ(InjectResourceVersion(kStored, 42),
            R"({"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"42","name":"a",)"
            R"("namespace":"d"},"spec":{}})");
  std::string stored = SerializeForStore(Obj(kUnordered));
  std::string out = InjectResourceVersion(stored, 7);
  EXPECT_EQ(out, R"({"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"7","name":"a",)"
                 R"("uid":"u"},"spec":{"nodeName":"n1"},"status":{"phase":"Pending"}})");
}

TEST(InjectResourceVersionTest, EmptyMetadata) {
  EXPECT_EQ(InjectResourceVersion(R"({"apiVersion":"v1","kind":"Pod","metadata":{}})", 9),
            R"({"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"9"}})");
}

TEST(InjectResourceVersionTest, ReplacesResourceVersionAlreadyFirst) {
  std::string stamped = InjectResourceVersion(kStored, 5);
  std::string out = InjectResourceVersion(stamped, 123);
  EXPECT_EQ(out, R"({"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"123",)"
                 R"("name":"a","namespace":"d"},"spec":{}})");
  EXPECT_EQ(out, InjectResourceVersion(kStored, 123));
  EXPECT_EQ(CountOccurrences(out, "\"resourceVersion\""), 1u);
  json::value parsed = Json(out);
  EXPECT_EQ(parsed.at("metadata").as_object().size(), 3u);
  EXPECT_EQ(parsed.at("metadata").at("resourceVersion"), "123");
  // A shorter replacement, and metadata holding only the resourceVersion.
  EXPECT_EQ(InjectResourceVersion(out, 8), InjectResourceVersion(kStored, 8));
  std::string only = R"({"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"5"}})";
  EXPECT_EQ(InjectResourceVersion(only, 66),
            R"({"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"66"}})");
}

TEST(InjectResourceVersionTest, NonCanonicalFallsBackToReencode) {
  std::string out = InjectResourceVersion(R"({"kind":"Pod","apiVersion":"v1","spec":{"a":1}})", 3);
  EXPECT_EQ(out, R"({"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"3"},)"
                 R"("spec":{"a":1}})");
  // Whitespace makes a document non-canonical too.
  std::string spaced = InjectResourceVersion(
      R"({ "apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"1"}})", 4);
  EXPECT_EQ(spaced, R"({"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"4"}})");
  // metadata that is not an object is replaced.
  EXPECT_EQ(InjectResourceVersion(R"({"metadata":"x"})", 2),
            R"({"metadata":{"resourceVersion":"2"}})");
}

TEST(InjectResourceVersionTest, FallbackKeepsOtherMetadata) {
  json::value out =
      Json(InjectResourceVersion(R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a"}})", 7));
  EXPECT_EQ(out, Json(R"({"apiVersion":"v1","kind":"Pod",)"
                      R"("metadata":{"name":"a","resourceVersion":"7"}})"));
}

TEST(InjectResourceVersionTest, FallbackPutsResourceVersionFirst) {
  EXPECT_EQ(InjectResourceVersion(R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a"}})", 7),
            R"({"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"7","name":"a"}})");
}

TEST(InjectResourceVersionTest, ReinjectingFallbackOutputKeepsOneResourceVersion) {
  std::string first =
      InjectResourceVersion(R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a"}})", 7);
  std::string second = InjectResourceVersion(first, 8);
  EXPECT_EQ(CountOccurrences(second, "\"resourceVersion\""), 1u) << second;
  EXPECT_EQ(Json(second).at("metadata").at("resourceVersion"), "8");
}

TEST(InjectResourceVersionTest, UnparsableInputIsReturnedUnchanged) {
  EXPECT_EQ(InjectResourceVersion("{not json", 1), "{not json");
  EXPECT_EQ(InjectResourceVersion("[1,2]", 1), "[1,2]");
  EXPECT_EQ(InjectResourceVersion("", 1), "");
}

TEST(HasResourceVersionTest, ExactVersionAtCanonicalPosition) {
  std::string doc = InjectResourceVersion(kStored, 123);
  EXPECT_TRUE(HasResourceVersion(doc, 123));
  EXPECT_FALSE(HasResourceVersion(doc, 12));  // A prefix of "123".
  EXPECT_FALSE(HasResourceVersion(doc, 1234));
  EXPECT_FALSE(HasResourceVersion(doc, 124));
  EXPECT_FALSE(HasResourceVersion(doc, 0));
  EXPECT_TRUE(HasResourceVersion(InjectResourceVersion(kStored, 12), 12));
  EXPECT_FALSE(HasResourceVersion(InjectResourceVersion(kStored, 12), 123));
}

TEST(StampedFromTest, TrueOnlyForTheSameStoredBytesAndRevision) {
  const std::string stamped = InjectResourceVersion(kStored, 123);
  EXPECT_TRUE(StampedFrom(stamped, 123, kStored));
  EXPECT_FALSE(StampedFrom(stamped, 12, kStored));
  EXPECT_FALSE(StampedFrom(stamped, 124, kStored));
  std::string changed(kStored);
  changed.back() = ' ';  // same size, one byte off at the end
  EXPECT_FALSE(StampedFrom(stamped, 123, changed));
  EXPECT_FALSE(StampedFrom(stamped, 123, std::string(kStored) + " "));
  EXPECT_FALSE(StampedFrom(stamped, 123, ""));
  // Not stamped (or not in canonical form): false, the caller compares otherwise.
  EXPECT_FALSE(StampedFrom(kStored, 123, kStored));
  // Empty metadata: the stamp has no comma after it.
  const std::string empty_meta = R"({"apiVersion":"v1","kind":"Pod","metadata":{}})";
  const std::string stamped_empty = InjectResourceVersion(empty_meta, 7);
  ASSERT_NE(stamped_empty, empty_meta);
  EXPECT_TRUE(StampedFrom(stamped_empty, 7, empty_meta));
  EXPECT_FALSE(StampedFrom(stamped_empty, 7, R"({"apiVersion":"v1","kind":"Pod","metadata":{}} )"));
}

TEST(HasResourceVersionTest, FalseWithoutResourceVersionOrOutsideCanonicalForm) {
  EXPECT_FALSE(HasResourceVersion(kStored, 1));
  EXPECT_FALSE(HasResourceVersion(R"({"apiVersion":"v1","kind":"Pod","metadata":{}})", 1));
  // resourceVersion present but not first in metadata.
  EXPECT_FALSE(HasResourceVersion(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","resourceVersion":"1"}})", 1));
  // Not in canonical order / not canonical bytes.
  EXPECT_FALSE(HasResourceVersion(
      R"({"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"1"}})", 1));
  EXPECT_FALSE(HasResourceVersion(
      R"({"apiVersion":"v1","kind":"Pod","metadata": {"resourceVersion":"1"}})", 1));
  EXPECT_FALSE(HasResourceVersion(R"({"metadata":{"resourceVersion":"1"}})", 1));
  EXPECT_FALSE(HasResourceVersion("", 1));
}

TEST(HasResourceVersionTest, AgreesWithInjectResourceVersion) {
  const std::vector<std::string> docs = {
      std::string(kStored),
      InjectResourceVersion(kStored, 5),
      InjectResourceVersion(kStored, 55),
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"5"}})",
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","resourceVersion":"5"}})",
      R"({"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"5"}})",
  };
  for (const std::string& doc : docs) {
    for (int64_t rv : {5, 55, 6}) {
      EXPECT_EQ(HasResourceVersion(doc, rv), InjectResourceVersion(doc, rv) == doc)
          << doc << " rv=" << rv;
    }
  }
}

// ----------------------------------------------------------------------------------------------
// ParseJson

TEST(ParseJsonTest, ParsesValidJson) {
  absl::StatusOr<json::value> v = ParseJson(R"({"a":[1,"x",null],"b":{"c":true}})");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->at("a").at(1), "x");
  EXPECT_EQ(v->at("b").at("c"), true);
}

TEST(ParseJsonTest, InvalidJsonIsInvalidArgument) {
  for (std::string_view bad : {R"({"a":})", "", "{} x", "[1,", "{'a':1}", "nul"}) {
    absl::StatusOr<json::value> v = ParseJson(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(v.status().message()), StartsWith("invalid JSON at offset ")) << bad;
  }
}

TEST(ParseJsonTest, ErrorMessageNamesTheOffset) {
  absl::StatusOr<json::value> v = ParseJson(R"({"name":"web","x":})");  // '}' at offset 18.
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("offset 18"));
}

TEST(ParseJsonTest, RejectsTooDeepNesting) {
  auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(ParseJson(nested(100)).ok());
  absl::StatusOr<json::value> deep = ParseJson(nested(101));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(deep.status().message()), StartsWith("invalid JSON at offset "));
  EXPECT_THAT(std::string(deep.status().message()), HasSubstr("too deep"));
  std::string objects;
  for (int i = 0; i < 5000; ++i) objects += R"({"a":)";
  objects += "1" + std::string(5000, '}');
  EXPECT_EQ(ParseJson(objects).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SerializeSortedLikeGoTest, SortsKeysAndEscapesAsGoDoes) {
  json::value v = json::parse(
      R"({"b":[{"z":1,"a":2.5}],"a":"<x>&\n\u2028","c":null,"d":true,"e":3.0,"aa":{},)"
      R"("f":1e-7,"g":1.5e21})");
  EXPECT_EQ(SerializeSortedLikeGo(v),
            R"({"a":"\u003cx\u003e\u0026\n\u2028","aa":{},"b":[{"a":2.5,"z":1}],"c":null,)"
            R"("d":true,"e":3,"f":1e-7,"g":1.5e+21})");
}

TEST(WithApiVersionTest, RewritesTheFirstMemberOrReencodes) {
  EXPECT_EQ(WithApiVersion(R"({"apiVersion":"x.io/v1","kind":"W","metadata":{}})", "x.io/v2"),
            R"({"apiVersion":"x.io/v2","kind":"W","metadata":{}})");
  EXPECT_EQ(WithApiVersion(R"({"apiVersion":"x.io/v2","kind":"W"})", "x.io/v2"), std::nullopt);
  EXPECT_EQ(WithApiVersion(R"({"kind":"W","apiVersion":"x.io/v1"})", "x.io/v2"),
            R"({"apiVersion":"x.io/v2","kind":"W"})");
  EXPECT_EQ(WithApiVersion("not json", "x.io/v2"), std::nullopt);
}

}  // namespace
}  // namespace shoal::api
