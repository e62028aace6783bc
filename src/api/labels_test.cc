#include "api/labels.h"

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kNamePartMsg[] =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
constexpr char kLabelValueMsg[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  "
    "or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

std::string Str(const std::string& a, const std::string& b) { return a + b; }

// ----------------------------------------------------------------------------------------------
// Parse: accepted inputs and their canonical String().

struct GoodCase {
  std::string input;
  std::string canonical;
};

TEST(LabelSelectorParseTest, AcceptsKubernetesSyntax) {
  const std::vector<GoodCase> cases = {
      {"", ""},
      {"   ", ""},
      {"x=a,y=b,z=c", "x=a,y=b,z=c"},
      {"z=c,y=b,x=a", "x=a,y=b,z=c"},  // Sorted by key.
      {"x!=a,y=b", "x!=a,y=b"},
      {"x==a", "x==a"},
      {"x=", "x="},
      {"x= ", "x="},
      {"x=,z= ", "x=,z="},
      {"x= ,z= ", "x=,z="},
      {"x", "x"},
      {"!x", "!x"},
      {"! x", "!x"},
      {"x>1", "x>1"},
      {"x>1,z<5", "x>1,z<5"},
      {"x > 1", "x>1"},
      {"x in (a)", "x in (a)"},
      {"x notin (a)", "x notin (a)"},
      {"x in (a,b)", "x in (a,b)"},
      {"x in (b,a,b)", "x in (a,b)"},  // A set: sorted, deduplicated.
      {"x in (a,b, c)", "x in (a,b,c)"},
      {"\rx", "x"},
      {"this-is-a-dns.domain.com/key-with-dash", "this-is-a-dns.domain.com/key-with-dash"},
      {"this-is-another-dns.domain.com/key-with-dash in (so,what)",
       "this-is-another-dns.domain.com/key-with-dash in (so,what)"},
      {"0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
       "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)"},
      {"foo  in\t (abc)", "foo in (abc)"},
      {"x notin\n (abc)", "x notin (abc)"},
      {"x  notin\t\t\t(abc,def)", "x notin (abc,def)"},
      {"x in (abc,)", "x in (,abc)"},
      {"x in (,abc)", "x in (,abc)"},
      {"x in (a,,b)", "x in (,a,b)"},
      {"x in (,)", "x in ()"},
      // `in ()` is valid in Kubernetes: it means the single empty value.
      {"x in ()", "x in ()"},
      {"x notin ( )", "x notin ()"},
      {"x notin (, a)", "x notin (,a)"},
      {"x notin (abc,,def),bar,z in (),w", "bar,w,x notin (,abc,def),z in ()"},
      {"x,y in (a)", "x,y in (a)"},
      {"x=a,y!=b,z in (h,i,j)", "x=a,y!=b,z in (h,i,j)"},
      {"a ", "a"},
      {"a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)"},
      // Keywords are identifiers where a key or value is expected.
      {"notin=in", "notin=in"},
      {"in=notin", "in=notin"},
      {"in in (in)", "in in (in)"},
      {"notin notin (notin)", "notin notin (notin)"},
      {"  x  =  y  ,  z  ", "x=y,z"},
      {"\tx\n==\ry\n", "x==y"},
      {"app.kubernetes.io/name=web,tier!=db", "app.kubernetes.io/name=web,tier!=db"},
      {"Uppercase_Key=Value_1.2-3", "Uppercase_Key=Value_1.2-3"},
  };
  for (const GoodCase& c : cases) {
    SCOPED_TRACE("input: \"" + c.input + "\"");
    absl::StatusOr<LabelSelector> s = LabelSelector::Parse(c.input);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->String(), c.canonical);
    // The canonical text parses back to the same selector.
    absl::StatusOr<LabelSelector> again = LabelSelector::Parse(s->String());
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->String(), c.canonical);
    EXPECT_EQ(s->Empty(), c.canonical.empty());
  }
}

TEST(LabelSelectorParseTest, NulEndsTheInputLikeGo) {
  // A NUL where a token may start ends the input; inside an identifier it ends that identifier.
  absl::StatusOr<LabelSelector> s = LabelSelector::Parse(std::string_view("x=a,\0y", 6));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "found '', expected: identifier after ','");
  s = LabelSelector::Parse(std::string_view("x\0", 2));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->String(), "x");
}

TEST(LabelSelectorParseTest, RequirementsExposeOperatorsAndValues) {
  absl::StatusOr<LabelSelector> s =
      LabelSelector::Parse("e, !d, c in (y,x), b notin (z), a>3, f<4, g=1, h==2, i!=3");
  ASSERT_TRUE(s.ok()) << s.status();
  const auto& r = s->requirements();
  ASSERT_EQ(r.size(), 9u);
  EXPECT_EQ(r[0].key(), "a");
  EXPECT_EQ(r[0].op(), SelectorOperator::kGreaterThan);
  EXPECT_THAT(r[0].values(), ElementsAre("3"));
  EXPECT_EQ(r[1].op(), SelectorOperator::kNotIn);
  EXPECT_EQ(r[2].op(), SelectorOperator::kIn);
  EXPECT_THAT(r[2].values(), ElementsAre("x", "y"));
  EXPECT_EQ(r[3].op(), SelectorOperator::kDoesNotExist);
  EXPECT_TRUE(r[3].values().empty());
  EXPECT_EQ(r[4].op(), SelectorOperator::kExists);
  EXPECT_EQ(r[5].op(), SelectorOperator::kLessThan);
  EXPECT_EQ(r[6].op(), SelectorOperator::kEquals);
  EXPECT_EQ(r[7].op(), SelectorOperator::kDoubleEquals);
  EXPECT_EQ(r[8].op(), SelectorOperator::kNotEquals);
}

// ----------------------------------------------------------------------------------------------
// Parse: rejected inputs, with Kubernetes' exact messages.

struct BadCase {
  std::string input;
  std::string message;
};

TEST(LabelSelectorParseTest, RejectsWithKubernetesMessages) {
  const std::string ops = "in, notin, =, ==, !=, gt, lt";
  const std::vector<BadCase> cases = {
      {"x=a||y=b",
       Str("unable to parse requirement: values[0][x]: Invalid value: \"a||y\": ", kLabelValueMsg)},
      {"x==a==b", "found '==', expected: ',' or 'end of string'"},
      {"!x=a", "found '=', expected: ',' or 'end of string'"},
      {"x<a",
       "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, "
       "the value must be an integer"},
      {"x>",
       "unable to parse requirement: values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, "
       "the value must be an integer"},
      {"x>9223372036854775808",
       "unable to parse requirement: values[0]: Invalid value: \"9223372036854775808\": for "
       "'Gt', 'Lt' operators, the value must be an integer"},
      {"x>1.5",
       "unable to parse requirement: values[0]: Invalid value: \"1.5\": for 'Gt', 'Lt' "
       "operators, the value must be an integer"},
      {"x,,y", "found ',', expected: identifier after ','"},
      {",x,y", "found ',', expected: !, identifier, or 'end of string'"},
      {",", "found ',', expected: !, identifier, or 'end of string'"},
      {"x nott in (y)", "unable to parse requirement: found 'nott', expected: " + ops},
      {"a in (xyz),", "found '', expected: identifier after ','"},
      {"a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'"},
      {"a in (xyz abc)", "unable to parse requirement: found 'abc', expected: ',' or ')'"},
      {"a notin(", "unable to parse requirement: found '', expected: ',', ')' or identifier"},
      {"a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"},
      {"a in (x,=)", "unable to parse requirement: found '=', expected: ',', or identifier"},
      {"a in (x,y", "unable to parse requirement: found '', expected: ',' or ')'"},
      {"a in (x,", "unable to parse requirement: found '', expected: ',', or identifier"},
      {"a in x", "unable to parse requirement: found 'x' expected: '('"},
      {"a in", "unable to parse requirement: found '' expected: '('"},
      {"a (", "unable to parse requirement: found '(', expected: " + ops},
      {"a b", "unable to parse requirement: found 'b', expected: " + ops},
      {"a b=c", "unable to parse requirement: found 'b', expected: " + ops},
      {"a=(", "unable to parse requirement: found '(', expected: identifier"},
      {"a=b c", "found 'c', expected: ',' or 'end of string'"},
      {"a=b)", "found ')', expected: ',' or 'end of string'"},
      {"(", "found '(', expected: !, identifier, or 'end of string'"},
      {")", "found ')', expected: !, identifier, or 'end of string'"},
      {"=a", "found '=', expected: !, identifier, or 'end of string'"},
      {"!", "unable to parse requirement: found '', expected: identifier"},
      {"!!x", "unable to parse requirement: found '!', expected: identifier"},
      {"!=x", "found '!=', expected: !, identifier, or 'end of string'"},
      {"x<=5", "unable to parse requirement: found '=', expected: identifier"},
      {"x,", "found '', expected: identifier after ','"},
      {"app:monolith",
       Str("unable to parse requirement: <nil>: Invalid value: \"app:monolith\": ", kNamePartMsg)},
      {"*bar", Str("unable to parse requirement: <nil>: Invalid value: \"*bar\": ", kNamePartMsg)},
      {"a/b/c ?=? def",
       "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must "
       "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
       "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
       "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain "
       "prefix and '/' (e.g. 'example.com/MyName')"},
      {"app.kubernetes_io/name=x",
       "unable to parse requirement: <nil>: Invalid value: \"app.kubernetes_io/name\": prefix "
       "part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
       "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
       "regex used for validation is "
       "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"},
      {std::string(64, 'k'), "unable to parse requirement: <nil>: Invalid value: \"" +
                                 std::string(64, 'k') +
                                 "\": name part must be no more than 63 characters"},
      {"x=" + std::string(64, 'v'), "unable to parse requirement: values[0][x]: Invalid value: \"" +
                                        std::string(64, 'v') +
                                        "\": must be no more than 63 characters"},
      // Negative numbers are valid for ParseInt but not as label values.
      {"x<-5",
       Str("unable to parse requirement: values[0][x]: Invalid value: \"-5\": ", kLabelValueMsg)},
      {"x=-1",
       Str("unable to parse requirement: values[0][x]: Invalid value: \"-1\": ", kLabelValueMsg)},
      {"x in (a,b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"},
      {"x in (ok,bad!)", "unable to parse requirement: found '!', expected: ',' or ')'"},
      {"x in (ok,bad value)", "unable to parse requirement: found 'value', expected: ',' or ')'"},
      {"x in (ok,-bad)",
       Str("unable to parse requirement: values[0][x]: Invalid value: \"-bad\": ", kLabelValueMsg)},
      {"x=\"quoted\"",
       Str("unable to parse requirement: values[0][x]: Invalid value: \"\\\"quoted\\\"\": ",
           kLabelValueMsg)},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE("input: \"" + c.input + "\"");
    absl::StatusOr<LabelSelector> s = LabelSelector::Parse(c.input);
    ASSERT_FALSE(s.ok()) << "parsed as: " << s->String();
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(s.status().message()), c.message);
  }
}

TEST(LabelSelectorParseTest, SeveralValueErrorsAreAggregated) {
  // Values are validated in sorted order; several failures print as a bracketed list.
  absl::StatusOr<LabelSelector> s = LabelSelector::Parse("x in (-b,-a)");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(std::string(s.status().message()),
            Str(Str(Str("unable to parse requirement: [values[0][x]: Invalid value: \"-a\": ",
                        kLabelValueMsg),
                    ", values[1][x]: Invalid value: \"-b\": "),
                Str(kLabelValueMsg, "]")));
}

// ----------------------------------------------------------------------------------------------
// Matching.

struct MatchCase {
  std::string selector;
  Labels labels;
  bool want;
};

TEST(LabelSelectorMatchTest, Table) {
  const Labels foo_baz = {{"baz", "blah"}, {"foo", "bar"}};
  const std::vector<MatchCase> cases = {
      {"", {}, true},
      {"", {{"x", "y"}}, true},
      {"x=y", {{"x", "y"}}, true},
      {"x==y", {{"x", "y"}}, true},
      {"x=y,z=w", {{"x", "y"}, {"z", "w"}}, true},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "a"}}, true},
      {"notin=in", {{"notin", "in"}}, true},
      {"x", {{"x", "z"}}, true},
      {"x", {{"x", ""}}, true},
      {"!x", {{"y", "z"}}, true},
      {"x>1", {{"x", "2"}}, true},
      {"x<1", {{"x", "0"}}, true},
      {"x<1", {{"x", "-3"}}, true},
      {"x>1", {{"x", "+5"}}, true},  // strconv.ParseInt accepts a sign.
      {"x=z", {}, false},
      {"x=y", {{"x", "z"}}, false},
      {"x=y,z=w", {{"x", "w"}, {"z", "w"}}, false},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "w"}}, false},
      {"x", {{"y", "z"}}, false},
      {"!x", {{"x", "z"}}, false},
      {"x>1", {{"x", "0"}}, false},
      {"x>1", {{"x", "1"}}, false},
      {"x<1", {{"x", "2"}}, false},
      {"x>1", {}, false},
      {"x<1", {}, false},
      {"x>1", {{"x", "abc"}}, false},
      {"x>1", {{"x", "2.5"}}, false},
      {"x<1", {{"x", ""}}, false},
      {"x>1", {{"x", "99999999999999999999"}}, false},  // Out of int64: never matches.
      {"x!=y", {}, true},                               // != and notin match a missing key.
      {"x notin (a,b)", {}, true},
      {"x notin (a,b)", {{"x", "c"}}, true},
      {"x notin (a,b)", {{"x", "a"}}, false},
      {"x in (a,b)", {{"x", "b"}}, true},
      {"x in (a,b)", {{"x", "c"}}, false},
      {"x in (a,b)", {}, false},
      {"x in ()", {{"x", ""}}, true},
      {"x in ()", {{"x", "a"}}, false},
      {"x in ()", {}, false},
      {"x notin ()", {}, true},
      {"x notin ()", {{"x", ""}}, false},
      {"x in (a,,b)", {{"x", ""}}, true},
      {"x=", {{"x", ""}}, true},
      {"x=", {}, false},
      {"x!=", {}, true},
      {"foo=bar", foo_baz, true},
      {"baz=blah", foo_baz, true},
      {"foo=bar,baz=blah", foo_baz, true},
      {"foo=blah", foo_baz, false},
      {"baz=bar", foo_baz, false},
      {"foo=bar,foobar=bar,baz=blah", foo_baz, false},
      {"foo,!nope,baz in (blah,x),foo!=x", foo_baz, true},
      {"app.kubernetes.io/name=web", {{"app.kubernetes.io/name", "web"}}, true},
      // Unsorted label sets still match.
      {"a=1,z=2", {{"z", "2"}, {"a", "1"}}, true},
  };
  for (const MatchCase& c : cases) {
    SCOPED_TRACE("selector: \"" + c.selector + "\"");
    absl::StatusOr<LabelSelector> s = LabelSelector::Parse(c.selector);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->Matches(c.labels), c.want);
  }
}

TEST(LabelSelectorTest, EverythingAndNothing) {
  LabelSelector everything;
  EXPECT_TRUE(everything.Empty());
  EXPECT_FALSE(everything.MatchesNothing());
  EXPECT_TRUE(everything.Matches({}));
  EXPECT_TRUE(everything.Matches({{"a", "b"}}));
  EXPECT_EQ(everything.String(), "");
  EXPECT_TRUE(LabelSelector::Everything().Empty());

  LabelSelector nothing = LabelSelector::Nothing();
  EXPECT_FALSE(nothing.Empty());
  EXPECT_TRUE(nothing.MatchesNothing());
  EXPECT_FALSE(nothing.Matches({}));
  EXPECT_FALSE(nothing.Matches({{"a", "b"}}));
  EXPECT_EQ(nothing.String(), "");
}

TEST(LabelSelectorTest, RequiredValue) {
  struct Case {
    std::string selector;
    std::string key;
    std::optional<std::string> want;
  };
  const std::vector<Case> cases = {
      {"x=a", "x", "a"},
      {"x==a", "x", "a"},
      {"x in (a)", "x", "a"},
      {"x=", "x", ""},
      {"x in (a,b)", "x", std::nullopt},
      {"x!=a", "x", std::nullopt},
      {"x notin (a)", "x", std::nullopt},
      {"x", "x", std::nullopt},
      {"x>1", "x", std::nullopt},
      {"y=b,x=a", "x", "a"},
      {"y=b", "x", std::nullopt},
      {"", "x", std::nullopt},
      {"x,x=a", "x", std::nullopt},  // The first requirement on the key decides (Kubernetes).
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.selector);
    absl::StatusOr<LabelSelector> s = LabelSelector::Parse(c.selector);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->RequiredValue(c.key), c.want);
  }
}

TEST(LabelSelectorTest, FromSet) {
  LabelSelector s = LabelSelector::FromSet({{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(s.String(), "a=1,b=2");
  EXPECT_TRUE(s.Matches({{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  EXPECT_FALSE(s.Matches({{"a", "1"}}));
  EXPECT_TRUE(LabelSelector::FromSet({}).Empty());
  EXPECT_EQ(LabelSelector::FromSet({{"a", "1"}}).RequiredValue("a"), "1");
}

// ----------------------------------------------------------------------------------------------
// LabelRequirement::Create (labels.NewRequirement).

TEST(LabelRequirementTest, CreateValidatesLikeNewRequirement) {
  struct Case {
    std::string key;
    SelectorOperator op;
    std::vector<std::string> values;
    std::string error;  // "" = valid.
  };
  const std::vector<Case> cases = {
      {"x", SelectorOperator::kIn, {"a", "b"}, ""},
      {"x", SelectorOperator::kExists, {}, ""},
      {"x", SelectorOperator::kGreaterThan, {"7"}, ""},
      {"x",
       SelectorOperator::kIn,
       {},
       "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"},
      {"x",
       SelectorOperator::kNotIn,
       {},
       "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"},
      {"x",
       SelectorOperator::kEquals,
       {"a", "b"},
       "values: Invalid value: [\"a\",\"b\"]: exact-match compatibility requires one single "
       "value"},
      {"x",
       SelectorOperator::kNotEquals,
       {},
       "values: Invalid value: null: exact-match compatibility requires one single value"},
      {"x",
       SelectorOperator::kExists,
       {"a"},
       "values: Invalid value: [\"a\"]: values set must be empty for exists and does not exist"},
      {"x",
       SelectorOperator::kLessThan,
       {"1", "2"},
       "values: Invalid value: [\"1\",\"2\"]: for 'Gt', 'Lt' operators, exactly one value is "
       "required"},
      {"a b", SelectorOperator::kExists, {}, Str("key: Invalid value: \"a b\": ", kNamePartMsg)},
      {"a b",
       SelectorOperator::kEquals,
       {"-"},
       Str(Str(Str("[key: Invalid value: \"a b\": ", kNamePartMsg),
               ", values[0][a b]: Invalid value: \"-\": "),
           Str(kLabelValueMsg, "]"))},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key + " " + c.error);
    absl::StatusOr<LabelRequirement> r = LabelRequirement::Create(c.key, c.op, c.values);
    if (c.error.empty()) {
      EXPECT_TRUE(r.ok()) << r.status();
    } else {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(std::string(r.status().message()), c.error);
    }
  }
}

TEST(LabelRequirementTest, StringSortsValuesWithoutChangingThem) {
  absl::StatusOr<LabelRequirement> r =
      LabelRequirement::Create("x", SelectorOperator::kNotIn, {"b", "a"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->String(), "x notin (a,b)");
  EXPECT_THAT(r->values(), ElementsAre("b", "a"));
  LabelSelector s = LabelSelector::FromRequirements({*r});
  EXPECT_EQ(s.String(), "x notin (a,b)");
}

TEST(LabelSelectorTest, FromRequirementsSortsByKeyStably) {
  auto req = [](std::string key, SelectorOperator op, std::vector<std::string> values) {
    absl::StatusOr<LabelRequirement> r = LabelRequirement::Create(key, op, values);
    EXPECT_TRUE(r.ok()) << r.status();
    return *r;
  };
  LabelSelector s = LabelSelector::FromRequirements({req("b", SelectorOperator::kExists, {}),
                                                     req("a", SelectorOperator::kIn, {"2"}),
                                                     req("a", SelectorOperator::kIn, {"1"})});
  EXPECT_EQ(s.String(), "a in (2),a in (1),b");
}

// ----------------------------------------------------------------------------------------------
// metav1.LabelSelector from JSON.

absl::StatusOr<LabelSelector> FromJson(std::string_view json) {
  return FromLabelSelectorJson(boost::json::parse(json));
}

TEST(FromLabelSelectorJsonTest, Accepts) {
  const std::vector<GoodCase> cases = {
      {R"({})", ""},
      {R"({"matchLabels": null, "matchExpressions": null})", ""},
      {R"({"matchLabels": {}, "matchExpressions": []})", ""},
      {R"({"matchLabels": {"app": "web"}})", "app=web"},
      {R"({"matchLabels": {"b": "2", "a": "1"}})", "a=1,b=2"},
      {R"({"matchLabels": {"app": ""}})", "app="},
      {R"({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}]})",
       "tier in (a,b)"},
      {R"({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["a"]}]})",
       "tier notin (a)"},
      {R"({"matchExpressions": [{"key": "tier", "operator": "Exists"}]})", "tier"},
      {R"({"matchExpressions": [{"key": "tier", "operator": "Exists", "values": []}]})", "tier"},
      {R"({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]})", "!tier"},
      {R"({"matchLabels": {"app": "web"},
           "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]},
                                {"key": "app", "operator": "Exists"}],
           "unknownField": 1})",
       "app=web,app,env notin (prod)"},
  };
  for (const GoodCase& c : cases) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<LabelSelector> s = FromJson(c.input);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->String(), c.canonical);
    EXPECT_EQ(s->Empty(), c.canonical.empty());
  }
}

TEST(FromLabelSelectorJsonTest, NullSelectsNothingEmptySelectsEverything) {
  absl::StatusOr<LabelSelector> null_selector = FromJson("null");
  ASSERT_TRUE(null_selector.ok());
  EXPECT_TRUE(null_selector->MatchesNothing());
  EXPECT_FALSE(null_selector->Matches({{"a", "b"}}));

  absl::StatusOr<LabelSelector> empty = FromJson("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->Empty());
  EXPECT_TRUE(empty->Matches({{"a", "b"}}));
}

TEST(FromLabelSelectorJsonTest, Matches) {
  absl::StatusOr<LabelSelector> s = FromJson(R"({
      "matchLabels": {"app": "web"},
      "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "staging"]},
                           {"key": "canary", "operator": "DoesNotExist"}]})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->Matches({{"app", "web"}, {"env", "prod"}}));
  EXPECT_TRUE(s->Matches({{"app", "web"}, {"env", "staging"}, {"x", "y"}}));
  EXPECT_FALSE(s->Matches({{"app", "web"}, {"env", "dev"}}));
  EXPECT_FALSE(s->Matches({{"app", "web"}}));
  EXPECT_FALSE(s->Matches({{"app", "web"}, {"canary", "true"}, {"env", "prod"}}));
  EXPECT_FALSE(s->Matches({{"app", "db"}, {"env", "prod"}}));
}

TEST(FromLabelSelectorJsonTest, Rejects) {
  const std::vector<BadCase> cases = {
      {R"([])", "label selector: must be a JSON object or null"},
      {R"("app=web")", "label selector: must be a JSON object or null"},
      {R"({"matchLabels": []})", "label selector: matchLabels must be a JSON object"},
      {R"({"matchLabels": {"app": 1}})", "label selector: matchLabels[\"app\"] must be a string"},
      {R"({"matchExpressions": {}})", "label selector: matchExpressions must be a JSON array"},
      {R"({"matchExpressions": [1]})", "label selector: matchExpressions[0] must be a JSON object"},
      {R"({"matchExpressions": [{"key": 1, "operator": "Exists"}]})",
       "label selector: matchExpressions[0].key must be a string"},
      {R"({"matchExpressions": [{"key": "a", "operator": 1}]})",
       "label selector: matchExpressions[0].operator must be a string"},
      {R"({"matchExpressions": [{"key": "a", "operator": "In", "values": "x"}]})",
       "label selector: matchExpressions[0].values must be an array of strings"},
      {R"({"matchExpressions": [{"key": "a", "operator": "In", "values": [1]}]})",
       "label selector: matchExpressions[0].values must be an array of strings"},
      {R"({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]})",
       "\"Gt\" is not a valid label selector operator"},
      {R"({"matchExpressions": [{"key": "a", "operator": "in", "values": ["1"]}]})",
       "\"in\" is not a valid label selector operator"},
      {R"({"matchExpressions": [{"key": "a"}]})", "\"\" is not a valid label selector operator"},
      {R"({"matchExpressions": [{"key": "name", "operator": "In", "values": []}]})",
       "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"},
      {R"({"matchExpressions": [{"key": "name", "operator": "NotIn"}]})",
       "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"},
      {R"({"matchExpressions": [{"key": "name", "operator": "Exists", "values": ["a"]}]})",
       "values: Invalid value: [\"a\"]: values set must be empty for exists and does not exist"},
      {R"({"matchExpressions": [{"operator": "Exists"}]})",
       Str("key: Invalid value: \"\": name part must be non-empty; ", kNamePartMsg)},
      {R"({"matchLabels": {"a b": "c"}})", Str("key: Invalid value: \"a b\": ", kNamePartMsg)},
      {R"({"matchLabels": {"app": "a b"}})",
       Str("values[0][app]: Invalid value: \"a b\": ", kLabelValueMsg)},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.input);
    absl::StatusOr<LabelSelector> s = FromJson(c.input);
    ASSERT_FALSE(s.ok()) << "parsed as: " << s->String();
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(s.status().message()), c.message);
  }
}

// ----------------------------------------------------------------------------------------------
// LabelsFromJson.

TEST(LabelsFromJsonTest, SortedStringMembers) {
  boost::json::value v = boost::json::parse(R"({"b": "2", "a": "1", "n": 3, "c": ""})");
  EXPECT_THAT(LabelsFromJson(&v), ElementsAre(Pair("a", "1"), Pair("b", "2"), Pair("c", "")));
}

TEST(LabelsFromJsonTest, NullOrNonObjectIsEmpty) {
  EXPECT_TRUE(LabelsFromJson(nullptr).empty());
  boost::json::value null_value = nullptr;
  EXPECT_TRUE(LabelsFromJson(&null_value).empty());
  boost::json::value array = boost::json::parse(R"(["a"])");
  EXPECT_TRUE(LabelsFromJson(&array).empty());
  boost::json::value text = "a=b";
  EXPECT_TRUE(LabelsFromJson(&text).empty());
  boost::json::value empty = boost::json::object();
  EXPECT_TRUE(LabelsFromJson(&empty).empty());
}

TEST(LabelsFromJsonTest, WorksWithSelectors) {
  boost::json::value metadata =
      boost::json::parse(R"({"labels": {"app": "web", "tier": "frontend", "version": "12"}})");
  Labels labels = LabelsFromJson(metadata.as_object().if_contains("labels"));
  absl::StatusOr<LabelSelector> s = LabelSelector::Parse("app=web,tier in (frontend),version>10");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Matches(labels));
  EXPECT_THAT(std::string(LabelSelector::Parse("a b").status().message()),
              HasSubstr("unable to parse requirement"));
}

}  // namespace
}  // namespace shoal::api
