#include "api/patch.h"

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::api {
namespace {

namespace json = boost::json;

json::value Json(std::string_view text) { return json::parse(text); }

// ----------------------------------------------------------------------------------------------
// JSON merge patch (RFC 7386)

struct MergeCase {
  std::string target;
  std::string patch;
  std::string want;
};

TEST(MergePatchTest, Rfc7386AppendixA) {
  const std::vector<MergeCase> cases = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", "null", "null"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const MergeCase& c : cases) {
    EXPECT_EQ(ApplyMergePatch(Json(c.target), Json(c.patch)), Json(c.want))
        << c.target << " + " << c.patch;
  }
}

TEST(MergePatchTest, NestedMergeDeletesAndReplacesArrays) {
  json::value target = Json(R"({"metadata":{"name":"a","labels":{"app":"web","tier":"fe"}},
      "spec":{"containers":[{"name":"c","image":"v1"},{"name":"d"}],"nodeName":"n1"}})");
  json::value before = target;
  json::value got =
      ApplyMergePatch(target, Json(R"({"metadata":{"labels":{"tier":null,"env":"prod"}},
                       "spec":{"containers":[{"name":"c","image":"v2"}],"nodeName":null}})"));
  EXPECT_EQ(got, Json(R"({"metadata":{"name":"a","labels":{"app":"web","env":"prod"}},
                          "spec":{"containers":[{"name":"c","image":"v2"}]}})"));
  EXPECT_EQ(target, before);  // The target is not modified.
}

// ----------------------------------------------------------------------------------------------
// JSON patch (RFC 6902)

absl::StatusOr<json::value> JsonPatch(std::string_view target, std::string_view patch) {
  return ApplyJsonPatch(Json(target), Json(patch));
}

void ExpectPatched(std::string_view target, std::string_view patch, std::string_view want) {
  absl::StatusOr<json::value> got = JsonPatch(target, patch);
  ASSERT_TRUE(got.ok()) << patch << ": " << got.status();
  EXPECT_EQ(*got, Json(want)) << patch;
}

void ExpectPatchError(std::string_view target, std::string_view patch, absl::StatusCode code,
                      std::string_view message) {
  absl::StatusOr<json::value> got = JsonPatch(target, patch);
  ASSERT_FALSE(got.ok()) << patch << " gave " << json::serialize(*got);
  EXPECT_EQ(got.status().code(), code) << patch;
  EXPECT_EQ(std::string(got.status().message()), message) << patch;
}

TEST(JsonPatchTest, Add) {
  ExpectPatched(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])",
                R"({"foo":"bar","baz":"qux"})");
  ExpectPatched(R"({"foo":["bar","baz"]})", R"([{"op":"add","path":"/foo/1","value":"qux"}])",
                R"({"foo":["bar","qux","baz"]})");
  ExpectPatched(R"({"foo":["bar"]})", R"([{"op":"add","path":"/foo/1","value":"end"}])",
                R"({"foo":["bar","end"]})");
  ExpectPatched(R"({"foo":"bar"})", R"([{"op":"add","path":"/foo","value":{"x":null}}])",
                R"({"foo":{"x":null}})");  // An existing member is replaced.
  ExpectPatched(R"({"a":{}})", R"([{"op":"add","path":"/a/b","value":null}])",
                R"({"a":{"b":null}})");
  ExpectPatched(R"({"a":1})", R"([{"op":"add","path":"","value":[1]}])", R"([1])");
}

TEST(JsonPatchTest, AddDashAppends) {
  ExpectPatched(R"({"foo":["bar"]})", R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])",
                R"({"foo":["bar",["abc","def"]]})");
  ExpectPatched(
      R"({"foo":[]})",
      R"([{"op":"add","path":"/foo/-","value":1},{"op":"add","path":"/foo/-","value":2}])",
      R"({"foo":[1,2]})");
}

TEST(JsonPatchTest, Remove) {
  ExpectPatched(R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])",
                R"({"foo":"bar"})");
  ExpectPatched(R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])",
                R"({"foo":["bar","baz"]})");
  ExpectPatched(R"({"a":{"b":{"c":1,"d":2}}})", R"([{"op":"remove","path":"/a/b/c"}])",
                R"({"a":{"b":{"d":2}}})");
}

TEST(JsonPatchTest, Replace) {
  ExpectPatched(R"({"baz":"qux","foo":"bar"})", R"([{"op":"replace","path":"/baz","value":"boo"}])",
                R"({"baz":"boo","foo":"bar"})");
  ExpectPatched(R"({"a":[1,2,3]})", R"([{"op":"replace","path":"/a/1","value":9}])",
                R"({"a":[1,9,3]})");
}

TEST(JsonPatchTest, Move) {
  ExpectPatched(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
                R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
                R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})");
  ExpectPatched(R"({"foo":["all","grass","cows","eat"]})",
                R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
                R"({"foo":["all","cows","eat","grass"]})");
}

TEST(JsonPatchTest, Copy) {
  ExpectPatched(R"({"a":{"x":[1]},"b":{}})", R"([{"op":"copy","from":"/a/x","path":"/b/y"}])",
                R"({"a":{"x":[1]},"b":{"y":[1]}})");
  ExpectPatched(R"({"a":[1,2]})", R"([{"op":"copy","from":"/a/0","path":"/a/-"}])",
                R"({"a":[1,2,1]})");
}

TEST(JsonPatchTest, TestOpPassesAndLaterOpsApply) {
  ExpectPatched(R"({"baz":"qux","foo":["a",2,"c"],"o":{"k":[true]}})",
                R"([{"op":"test","path":"/baz","value":"qux"},
                    {"op":"test","path":"/foo/1","value":2},
                    {"op":"test","path":"/o","value":{"k":[true]}},
                    {"op":"remove","path":"/baz"}])",
                R"({"foo":["a",2,"c"],"o":{"k":[true]}})");
}

TEST(JsonPatchTest, FailingTestIsFailedPrecondition) {
  ExpectPatchError(
      R"({"baz":"qux"})",
      R"([{"op":"add","path":"/x","value":1},{"op":"test","path":"/baz","value":"bar"}])",
      absl::StatusCode::kFailedPrecondition, "testing value /baz failed: test failed");
  ExpectPatchError(R"({"n":1})", R"([{"op":"test","path":"/n","value":"1"}])",
                   absl::StatusCode::kFailedPrecondition, "testing value /n failed: test failed");
}

// RFC 6902 4.6: numbers compare by value (1 == 1.0).
TEST(JsonPatchTest, TestComparesNumbersByValue) {
  ExpectPatched(R"({"n":1,"m":2.0})",
                R"([{"op":"test","path":"/n","value":1.0},{"op":"test","path":"/m","value":2}])",
                R"({"n":1,"m":2.0})");
}

TEST(JsonPatchTest, PointerEscapes) {
  ExpectPatched(R"({"a/b":1,"m~n":2})",
                R"([{"op":"replace","path":"/a~1b","value":10},
                    {"op":"replace","path":"/m~0n","value":20}])",
                R"({"a/b":10,"m~n":20})");
  // "~01" is "~1", not "/" (RFC 6901 section 4).
  ExpectPatched(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10},
                                          {"op":"remove","path":"/~01"}])",
                R"({"/":9})");
  ExpectPatched(R"({})", R"([{"op":"add","path":"/x~1y~0z","value":1}])", R"({"x/y~z":1})");
}

TEST(JsonPatchTest, PathThatDoesNotExist) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  ExpectPatchError(R"({"a":1})", R"([{"op":"remove","path":"/b"}])", kInvalid,
                   R"(jsonpatch: path "/b" not found)");
  ExpectPatchError(R"({"a":1})", R"([{"op":"replace","path":"/b","value":2}])", kInvalid,
                   R"(jsonpatch: path "/b" not found)");
  ExpectPatchError(R"({"a":1})", R"([{"op":"add","path":"/x/y","value":2}])", kInvalid,
                   R"(jsonpatch: path "/x/y" not found)");
  ExpectPatchError(R"({"a":1})", R"([{"op":"add","path":"/a/y","value":2}])", kInvalid,
                   R"(jsonpatch: path "/a/y" not found)");
  ExpectPatchError(R"({"a":1})", R"([{"op":"move","from":"/m","path":"/n"}])", kInvalid,
                   R"(jsonpatch: path "/m" not found)");
  ExpectPatchError(R"({"a":1})", R"([{"op":"copy","from":"/m/n","path":"/n"}])", kInvalid,
                   R"(jsonpatch: path "/m/n" not found)");
  ExpectPatchError(R"({"a":[1,2]})", R"([{"op":"remove","path":"/a/2"}])", kInvalid,
                   R"(jsonpatch: index out of range in "/a/2")");
  ExpectPatchError(R"({"a":[1,2]})", R"([{"op":"add","path":"/a/3","value":0}])", kInvalid,
                   R"(jsonpatch: index out of range in "/a/3")");
  ExpectPatchError(R"({"a":[1,2]})", R"([{"op":"remove","path":"/a/x"}])", kInvalid,
                   R"(jsonpatch: index out of range in "/a/x")");
  ExpectPatchError(R"({"a":[1,2]})", R"([{"op":"remove","path":"/a/-"}])", kInvalid,
                   R"(jsonpatch: index out of range in "/a/-")");
}

TEST(JsonPatchTest, MalformedPatch) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  ExpectPatchError("{}", R"({"op":"add","path":"/a","value":1})", kInvalid,
                   "json patch must be a JSON array of operations");
  ExpectPatchError("{}", R"([{"op":"add","value":1}])", kInvalid,
                   R"(json patch operation needs string "op" and "path")");
  ExpectPatchError("{}", R"([{"path":"/a"}])", kInvalid,
                   R"(json patch operation needs string "op" and "path")");
  ExpectPatchError("{}", R"([{"op":"add","path":1,"value":1}])", kInvalid,
                   R"(json patch operation needs string "op" and "path")");
  ExpectPatchError("{}", R"([1])", kInvalid,
                   R"(json patch operation needs string "op" and "path")");
  ExpectPatchError("{}", R"([{"op":"add","path":"/a"}])", kInvalid,
                   "jsonpatch add operation does not have a value");
  ExpectPatchError(R"({"a":1})", R"([{"op":"replace","path":"/a"}])", kInvalid,
                   "jsonpatch replace operation does not have a value");
  ExpectPatchError(R"({"a":1})", R"([{"op":"test","path":"/a"}])", kInvalid,
                   "jsonpatch test operation does not have a value");
  ExpectPatchError(R"({"a":1})", R"([{"op":"move","path":"/b"}])", kInvalid,
                   "jsonpatch move operation does not have a from");
  ExpectPatchError(R"({"a":1})", R"([{"op":"copy","path":"/b","from":5}])", kInvalid,
                   "jsonpatch copy operation does not have a from");
  ExpectPatchError("{}", R"([{"op":"frob","path":"/a"}])", kInvalid, "Unexpected kind: frob");
  ExpectPatchError("{}", R"([{"op":"add","path":"a","value":1}])", kInvalid,
                   R"(invalid JSON pointer "a")");
  ExpectPatchError(R"({"a":1})", R"([{"op":"remove","path":""}])", kInvalid,
                   "jsonpatch: cannot remove the root");
}

TEST(JsonPatchTest, EmptyPatchIsIdentity) {
  ExpectPatched(R"({"a":[1,{"b":null}]})", "[]", R"({"a":[1,{"b":null}]})");
}

// ----------------------------------------------------------------------------------------------
// Strategic merge patch

absl::StatusOr<json::value> Strategic(std::string_view target, std::string_view patch) {
  return ApplyStrategicMergePatch(Json(target), Json(patch));
}

void ExpectStrategic(std::string_view target, std::string_view patch, std::string_view want) {
  absl::StatusOr<json::value> got = Strategic(target, patch);
  ASSERT_TRUE(got.ok()) << patch << ": " << got.status();
  EXPECT_EQ(*got, Json(want)) << json::serialize(*got);
}

constexpr std::string_view kPod = R"({"metadata":{"name":"p","labels":{"app":"web"}},
    "spec":{"containers":[
      {"name":"a","image":"a:1","args":["x","y"],
       "env":[{"name":"E1","value":"1"},{"name":"E2","value":"2"}]},
      {"name":"b","image":"b:1"}]}})";

TEST(StrategicMergePatchTest, ContainersMergeByName) {
  ExpectStrategic(
      kPod, R"({"spec":{"containers":[{"name":"b","image":"b:2"},{"name":"c","image":"c:1"}]}})",
      R"({"metadata":{"name":"p","labels":{"app":"web"}},"spec":{"containers":[
      {"name":"a","image":"a:1","args":["x","y"],
       "env":[{"name":"E1","value":"1"},{"name":"E2","value":"2"}]},
      {"name":"b","image":"b:2"},{"name":"c","image":"c:1"}]}})");
}

TEST(StrategicMergePatchTest, NestedListsMergeAndOtherListsAreReplaced) {
  ExpectStrategic(kPod,
                  R"({"spec":{"containers":[{"name":"a","args":["z"],
                      "env":[{"name":"E2","value":"two"},{"name":"E3","value":"3"}]}]}})",
                  R"({"metadata":{"name":"p","labels":{"app":"web"}},"spec":{"containers":[
      {"name":"a","image":"a:1","args":["z"],"env":[{"name":"E1","value":"1"},
       {"name":"E2","value":"two"},{"name":"E3","value":"3"}]},
      {"name":"b","image":"b:1"}]}})");
}

TEST(StrategicMergePatchTest, MapsMergeAndNullDeletes) {
  ExpectStrategic(kPod,
                  R"({"metadata":{"labels":{"app":null,"env":"prod"}},
          "spec":{"containers":null,"nodeName":"n"}})",
                  R"({"metadata":{"name":"p","labels":{"env":"prod"}},"spec":{"nodeName":"n"}})");
}

TEST(StrategicMergePatchTest, OtherMergeKeys) {
  ExpectStrategic(R"({"status":{"conditions":[{"type":"Ready","status":"False"},
                                             {"type":"PodScheduled","status":"True"}]}})",
                  R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})",
                  R"({"status":{"conditions":[{"type":"Ready","status":"True"},
                                             {"type":"PodScheduled","status":"True"}]}})");
  // A new item with no anchor among the live items goes first, as Kubernetes'
  // mergeSortedSlice puts it (kustomize documents the same "prepend" behaviour).
  ExpectStrategic(
      R"({"spec":{"volumes":[{"name":"v1","emptyDir":{}}],
          "containers":[{"name":"a","volumeMounts":[{"mountPath":"/d","name":"v1"}]}]}})",
      R"({"spec":{"volumes":[{"name":"v2","emptyDir":{}}],
          "containers":[{"name":"a","volumeMounts":[{"mountPath":"/e","name":"v2"}]}]}})",
      R"({"spec":{"volumes":[{"name":"v2","emptyDir":{}},{"name":"v1","emptyDir":{}}],
          "containers":[{"name":"a","volumeMounts":[{"mountPath":"/e","name":"v2"},
                                                    {"mountPath":"/d","name":"v1"}]}]}})");
  ExpectStrategic(R"({"status":{"podIPs":[{"ip":"10.0.0.1"}],"hostIPs":[{"ip":"1.2.3.4"}]}})",
                  R"({"status":{"podIPs":[{"ip":"10.0.0.1"},{"ip":"fd00::1"}],
                                "hostIPs":[{"ip":"1.2.3.4","x":1}]}})",
                  R"({"status":{"podIPs":[{"ip":"10.0.0.1"},{"ip":"fd00::1"}],
                                "hostIPs":[{"ip":"1.2.3.4","x":1}]}})");
}

TEST(StrategicMergePatchTest, PatchDeleteRemovesListItem) {
  ExpectStrategic(kPod, R"({"spec":{"containers":[{"name":"a","$patch":"delete"}]}})",
                  R"({"metadata":{"name":"p","labels":{"app":"web"}},
                      "spec":{"containers":[{"name":"b","image":"b:1"}]}})");
  // Deleting an item that is not there changes nothing.
  ExpectStrategic(kPod, R"({"spec":{"containers":[{"name":"zz","$patch":"delete"}]}})", kPod);
}

TEST(StrategicMergePatchTest, PatchReplaceReplacesListAndMap) {
  // The list-level marker item replaces the list with the patch's other items.
  ExpectStrategic(kPod,
                  R"({"spec":{"containers":[{"name":"a","image":"a:9"},{"$patch":"replace"}]}})",
                  R"({"metadata":{"name":"p","labels":{"app":"web"}},"spec":{"containers":[
                      {"name":"a","image":"a:9"}]}})");
  // As in Kubernetes, an item carrying `$patch: replace` is a list-level marker too: the item
  // itself is not kept.
  ExpectStrategic(kPod,
                  R"({"spec":{"containers":[{"name":"a","image":"a:9","$patch":"replace"},
                                            {"name":"z"}]}})",
                  R"({"metadata":{"name":"p","labels":{"app":"web"}},"spec":{"containers":[
                      {"name":"z"}]}})");
  ExpectStrategic(kPod, R"({"metadata":{"labels":{"$patch":"replace","tier":"db"}}})",
                  R"({"metadata":{"name":"p","labels":{"tier":"db"}},"spec":{"containers":[
      {"name":"a","image":"a:1","args":["x","y"],
       "env":[{"name":"E1","value":"1"},{"name":"E2","value":"2"}]},
      {"name":"b","image":"b:1"}]}})");
}

TEST(StrategicMergePatchTest, PatchDeleteRemovesMap) {
  ExpectStrategic(R"({"spec":{"affinity":{"nodeAffinity":{}},"nodeName":"n"}})",
                  R"({"spec":{"affinity":{"$patch":"delete"}}})", R"({"spec":{"nodeName":"n"}})");
}

TEST(StrategicMergePatchTest, DeleteFromPrimitiveList) {
  ExpectStrategic(R"({"metadata":{"finalizers":["a","b","c","b"]}})",
                  R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b","zz"]}})",
                  R"({"metadata":{"finalizers":["a","c"]}})");
}

TEST(StrategicMergePatchTest, DirectivesAreNeverStored) {
  ExpectStrategic(kPod,
                  R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],
                      "$retainKeys":["containers"],
                      "containers":[{"name":"b","image":"b:2"}]}})",
                  R"({"metadata":{"name":"p","labels":{"app":"web"}},"spec":{"containers":[
      {"name":"a","image":"a:1","args":["x","y"],
       "env":[{"name":"E1","value":"1"},{"name":"E2","value":"2"}]},
      {"name":"b","image":"b:2"}]}})");
  ExpectStrategic(R"({"metadata":{}})",
                  R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["x"]}})",
                  R"({"metadata":{}})");
}

// A `$patch: delete` item for a list the target lacks is applied to an empty list.
TEST(StrategicMergePatchTest, DeleteDirectiveOnAbsentListIsNotStored) {
  absl::StatusOr<json::value> got =
      Strategic(R"({"spec":{"nodeName":"n"}})",
                R"({"spec":{"containers":[{"name":"a","$patch":"delete"}]}})");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(json::serialize(*got).find("$patch"), std::string::npos) << json::serialize(*got);
}

// The list-level `{"$patch":"replace"}` marker is never appended as an item.
TEST(StrategicMergePatchTest, ListReplaceDirective) {
  ExpectStrategic(R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})",
                  R"({"spec":{"containers":[{"name":"c"},{"$patch":"replace"}]}})",
                  R"({"spec":{"containers":[{"name":"c"}]}})");
}

TEST(StrategicMergePatchTest, DirectivesOnAbsentTargetsAreApplied) {
  ExpectStrategic(R"({"spec":{"nodeName":"n"}})",
                  R"({"spec":{"containers":[{"name":"a","$patch":"delete"},{"name":"b","x":null}],
                              "affinity":{"$patch":"delete"},
                              "dnsConfig":{"$patch":"replace","options":[{"name":"ndots"}]},
                              "volumes":[{"$patch":"replace"}]}})",
                  R"({"spec":{"nodeName":"n","containers":[{"name":"b"}],
                              "dnsConfig":{"options":[{"name":"ndots"}]}}})");
  // A value of another JSON type is replaced by the patch, cleaned the same way.
  ExpectStrategic(R"({"metadata":{"labels":"oops"}})",
                  R"({"metadata":{"labels":{"a":"1","b":null}}})",
                  R"({"metadata":{"labels":{"a":"1"}}})");
}

TEST(StrategicMergePatchTest, DeleteDirectiveRemovesEveryMatchAndNeedsTheKey) {
  ExpectStrategic(R"({"spec":{"containers":[{"name":"a","i":1},{"name":"b"},{"name":"a","i":2}]}})",
                  R"({"spec":{"containers":[{"name":"a","$patch":"delete"}]}})",
                  R"({"spec":{"containers":[{"name":"b"}]}})");
  absl::StatusOr<json::value> got =
      Strategic(R"({"spec":{"containers":[{"name":"a"}]}})",
                R"({"spec":{"containers":[{"image":"x","$patch":"delete"}]}})");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()),
            "map: map[$patch:delete image:x] does not contain declared merge key: name");
}

TEST(StrategicMergePatchTest, ItemWithoutMergeKeyIsAnError) {
  absl::StatusOr<json::value> got = Strategic(R"({"spec":{"containers":[{"name":"a"}]}})",
                                              R"({"spec":{"containers":[{"image":"x"}]}})");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(got.status().message()),
            "map: map[image:x] does not contain declared merge key: name");
}

// Kubernetes rejects `$patch: merge` (and unknown directives) in maps and in lists.
TEST(StrategicMergePatchTest, MergeAndUnknownDirectivesAreRejected) {
  absl::StatusOr<json::value> got =
      Strategic(R"({"metadata":{"labels":{"a":"1"}}})",
                R"({"metadata":{"labels":{"$patch":"merge","b":"2"}}})");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()),
            "unknown patch type: merge in map: map[$patch:merge b:2]");
  got = Strategic(R"({"spec":{"containers":[{"name":"a"}]}})",
                  R"({"spec":{"containers":[{"$patch":"merge"}]}})");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()),
            "merging lists cannot yet be specified in the patch");
  got = Strategic(R"({"spec":{"containers":[{"name":"a"}]}})",
                  R"({"spec":{"containers":[{"name":"a","$patch":"frob"}]}})");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()),
            "unknown patch type: frob in map: map[$patch:frob name:a]");
}

TEST(StrategicMergePatchTest, TopLevelDirectives) {
  ExpectStrategic(R"({"a":1,"b":{"c":2}})", R"({"$patch":"replace","d":3})", R"({"d":3})");
  ExpectStrategic(R"({"a":1,"b":{"c":2}})", R"({"$patch":"delete"})", R"({})");
}

TEST(StrategicMergePatchTest, NullDeletesInsideMergedListItems) {
  ExpectStrategic(kPod,
                  R"({"spec":{"containers":[{"name":"a","args":null,"image":"a:2",
                      "env":[{"name":"E1","value":null,"valueFrom":{"fieldRef":{"fieldPath":"x"}}}]}]}})",
                  R"({"metadata":{"name":"p","labels":{"app":"web"}},"spec":{"containers":[
      {"name":"a","image":"a:2",
       "env":[{"name":"E1","valueFrom":{"fieldRef":{"fieldPath":"x"}}},{"name":"E2","value":"2"}]},
      {"name":"b","image":"b:1"}]}})");
}

// finalizers is `patchStrategy:"merge"` without a key: an ordered union, new values first
// when they have no anchor (Kubernetes' mergeSortedSlice).
TEST(StrategicMergePatchTest, PrimitiveMergeListIsAUnion) {
  ExpectStrategic(R"({"metadata":{"finalizers":["a","b"]}})",
                  R"({"metadata":{"finalizers":["c","b"]}})",
                  R"({"metadata":{"finalizers":["c","a","b"]}})");
  ExpectStrategic(R"({"metadata":{"finalizers":["a","b"]}})",
                  R"({"metadata":{"finalizers":["c"]}})",
                  R"({"metadata":{"finalizers":["c","a","b"]}})");
  ExpectStrategic(R"({"metadata":{"finalizers":["a","b"]}})",
                  R"({"metadata":{"finalizers":["b","b"]}})",
                  R"({"metadata":{"finalizers":["a","b"]}})");
  ExpectStrategic(R"({"spec":{"podCIDRs":["10.0.0.0/24"]}})",
                  R"({"spec":{"podCIDRs":["10.0.0.0/24","fd00::/64"]}})",
                  R"({"spec":{"podCIDRs":["10.0.0.0/24","fd00::/64"]}})");
  // Primitive lists without merge strategy (args, command) are replaced.
  ExpectStrategic(R"({"args":["a","b"]})", R"({"args":["c"]})", R"({"args":["c"]})");
}

TEST(StrategicMergePatchTest, DeleteFromPrimitiveListWithAdditions) {
  ExpectStrategic(R"({"metadata":{"finalizers":["a","b"]}})",
                  R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],
                                  "finalizers":["c"]}})",
                  R"({"metadata":{"finalizers":["c","b"]}})");
  absl::StatusOr<json::value> got =
      Strategic(R"({"metadata":{"finalizers":["a"]}})",
                R"({"metadata":{"$deleteFromPrimitiveList/finalizers":"a"}})");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()), "invalid patch format of primitive list");
}

TEST(StrategicMergePatchTest, SetElementOrderReordersMergedList) {
  // What kubectl apply sends to move c before a and change b.
  ExpectStrategic(R"({"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"c"}]}})",
                  R"({"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"a"},{"name":"b"}],
                              "containers":[{"name":"b","image":"b:2"}]}})",
                  R"({"spec":{"containers":[{"name":"c"},{"name":"a"},{"name":"b","image":"b:2"}]}})");
  // Items the order list does not mention (server-only) are interleaved by live position:
  // x (live 1) goes before b (live 2), the first of the ordered items.
  ExpectStrategic(R"({"spec":{"containers":[{"name":"a"},{"name":"x"},{"name":"b"}]}})",
                  R"({"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}})",
                  R"({"spec":{"containers":[{"name":"x"},{"name":"b"},{"name":"a"}]}})");
  // Primitive lists too, together with deletions.
  ExpectStrategic(R"({"metadata":{"finalizers":["a","b","c"]}})",
                  R"({"metadata":{"$setElementOrder/finalizers":["c","a"],
                                  "$deleteFromPrimitiveList/finalizers":["b"]}})",
                  R"({"metadata":{"finalizers":["c","a"]}})");
  // A list the target lacks.
  ExpectStrategic(R"({"spec":{}})",
                  R"({"spec":{"$setElementOrder/env":[{"name":"B"},{"name":"A"}],
                              "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}})",
                  R"({"spec":{"env":[{"name":"B","value":"2"},{"name":"A","value":"1"}]}})");
  absl::StatusOr<json::value> got =
      Strategic(R"({"spec":{}})", R"({"spec":{"$setElementOrder/env":{"name":"A"}}})");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()), "invalid patch format of setElementOrder list");
}

TEST(StrategicMergePatchTest, RetainKeysClearsOtherFields) {
  // What kubectl apply sends when a volume switches from emptyDir to hostPath.
  ExpectStrategic(R"({"spec":{"volumes":[{"name":"v","emptyDir":{}}]}})",
                  R"({"spec":{"volumes":[{"name":"v","$retainKeys":["hostPath","name"],
                                          "hostPath":{"path":"/x"}}]}})",
                  R"({"spec":{"volumes":[{"name":"v","hostPath":{"path":"/x"}}]}})");
  // Every field the patch sets must be retained.
  absl::StatusOr<json::value> got =
      Strategic(R"({"a":1,"b":2})", R"({"$retainKeys":["a"],"b":3})");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()), "invalid patch format of retainKeys");
  ExpectStrategic(R"({"a":1,"b":2,"c":3})", R"({"$retainKeys":["a"],"b":null})", R"({"a":1})");
}

TEST(StrategicMergePatchTest, MixedListItemsAreAnError) {
  absl::StatusOr<json::value> got = Strategic(R"({"spec":{"containers":[{"name":"a"}]}})",
                                              R"({"spec":{"containers":["a"]}})");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ListSchemaTest, MergeKeysAndListTypes) {
  EXPECT_EQ(ListMergeKey("containers"), "name");
  EXPECT_EQ(ListMergeKey("ports"), "containerPort");
  EXPECT_EQ(ListMergeKey("tolerations"), "");
  EXPECT_EQ(ListMergeKey("readinessGates"), "");
  EXPECT_TRUE(IsMergePrimitiveList("finalizers"));
  EXPECT_FALSE(IsMergePrimitiveList("args"));
  ApplyListSchema ports = ApplyListSchemaFor("Pod", "ports");
  EXPECT_EQ(ports.type, ListType::kMap);
  ASSERT_EQ(ports.key_count, 2);
  EXPECT_EQ(ports.keys[0].name, "containerPort");
  EXPECT_EQ(ports.keys[1].name, "protocol");
  EXPECT_EQ(ports.keys[1].default_value, "TCP");
  EXPECT_EQ(ApplyListSchemaFor("Pod", "conditions").type, ListType::kMap);
  EXPECT_EQ(ApplyListSchemaFor("Job", "conditions").type, ListType::kAtomic);
  EXPECT_EQ(ApplyListSchemaFor("Pod", "finalizers").type, ListType::kSet);
  EXPECT_EQ(ApplyListSchemaFor("Node", "taints").type, ListType::kAtomic);
  EXPECT_EQ(ApplyListSchemaFor("Pod", "hostIPs").type, ListType::kAtomic);
}

// PodSpec.tolerations (and NodeSpec.taints) have no patch merge key in Kubernetes, so the list
// is replaced whole and removals take effect.
TEST(StrategicMergePatchTest, TolerationsAreReplacedAsInKubernetes) {
  ExpectStrategic(R"({"spec":{"tolerations":[{"key":"a","effect":"NoSchedule"},
                                            {"key":"b","effect":"NoSchedule"}]}})",
                  R"({"spec":{"tolerations":[{"key":"a","effect":"NoSchedule"}]}})",
                  R"({"spec":{"tolerations":[{"key":"a","effect":"NoSchedule"}]}})");
}

TEST(StrategicMergePatchTest, NonObjectPatchIsInvalidArgument) {
  for (std::string_view patch : {"[]", "null", "1", R"("x")"}) {
    absl::StatusOr<json::value> got = Strategic("{}", patch);
    ASSERT_FALSE(got.ok()) << patch;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(got.status().message()), "strategic merge patch must be a JSON object");
  }
}

}  // namespace
}  // namespace shoal::api
