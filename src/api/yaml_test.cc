#include "api/yaml.h"

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::api {
namespace {

namespace json = boost::json;

json::value Yaml(std::string_view text, std::vector<std::string>* dups = nullptr) {
  absl::StatusOr<json::value> v = ParseYaml(text, dups);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : json::value();
}

TEST(ParseYamlTest, AManifest) {
  json::value v = Yaml(R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
  labels: {app: web, tier: "1"}
data:
  k1: a
  script: |
    echo hi
    exit 0
)");
  EXPECT_EQ(v, json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm",
      "labels":{"app":"web","tier":"1"}},"data":{"k1":"a","script":"echo hi\nexit 0\n"}})"));
}

// YAML 1.1 as go-yaml v2 reads it, keys included: `n:` is the key "false", as in Kubernetes.
TEST(ParseYamlTest, PlainScalarsResolveAsGoYamlV2Does) {
  json::value v = Yaml(R"(
a: 1
b: -0x1F
c: 0755
d: 0o17
e: 1_000
f: 2.5
g: 1e3
h: yes
i: Off
j: ~
k:
l: "1"
m: '0755'
nn: !!str 12
n: key
o: 9223372036854775807
p: -9223372036854775808
q: 18446744073709551615
r: 1.2.3
s: 500m
t: 08
)");
  EXPECT_EQ(v, json::parse(R"({"a":1,"b":-31,"c":493,"d":15,"e":1000,"f":2.5,"g":1000.0,
      "h":true,"i":false,"j":null,"k":null,"l":"1","m":"0755","nn":"12","false":"key",
      "o":9223372036854775807,"p":-9223372036854775808,"q":18446744073709551615,
      "r":"1.2.3","s":"500m","t":8.0})"));
}

TEST(ParseYamlTest, AnchorsAliasesAndKeys) {
  json::value v = Yaml("base: &b {x: 1}\ncopy: *b\nlist: [*b, 2]\n3: three\n");
  EXPECT_EQ(v, json::parse(R"({"base":{"x":1},"copy":{"x":1},"list":[{"x":1},2],"3":"three"})"));
}

TEST(ParseYamlTest, DuplicateKeysAreReportedAndTheLastWins) {
  std::vector<std::string> dups;
  json::value v = Yaml("metadata:\n  name: a\n  name: b\nspec:\n  c:\n  - {x: 1, x: 2}\n", &dups);
  EXPECT_EQ(v, json::parse(R"({"metadata":{"name":"b"},"spec":{"c":[{"x":2}]}})"));
  EXPECT_THAT(dups, ::testing::ElementsAre("metadata.name", "spec.c[0].x"));
}

TEST(ParseYamlTest, JsonIsYaml) {
  EXPECT_EQ(Yaml(R"({"a": [1, "x", true, null], "b": {"c": 1.5}})"),
            json::parse(R"({"a":[1,"x",true,null],"b":{"c":1.5}})"));
}

TEST(ParseYamlTest, EmptyInputIsNull) { EXPECT_TRUE(Yaml("").is_null()); }

TEST(ParseYamlTest, Errors) {
  auto bad = ParseYaml("a: b: c\n", nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), ::testing::StartsWith("yaml: line 1, column"));
  auto two = ParseYaml("a: 1\n---\nb: 2\n", nullptr);
  ASSERT_FALSE(two.ok());
  EXPECT_THAT(std::string(two.status().message()), ::testing::HasSubstr("more than one document"));
  auto alias = ParseYaml("a: *nope\n", nullptr);
  EXPECT_FALSE(alias.ok());
  auto inf = ParseYaml("a: .inf\n", nullptr);
  ASSERT_FALSE(inf.ok());
  EXPECT_THAT(std::string(inf.status().message()), ::testing::HasSubstr("no JSON representation"));
  auto unclosed = ParseYaml("a: [1, 2\n", nullptr);
  EXPECT_FALSE(unclosed.ok());
}

}  // namespace
}  // namespace shoal::api
