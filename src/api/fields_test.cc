#include "api/fields.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::api {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct GoodCase {
  std::string input;
  std::string canonical;
};

TEST(FieldSelectorParseTest, Accepts) {
  const std::vector<GoodCase> cases = {
      {"", ""},
      {",", ""},
      {",,,", ""},
      {"x=a", "x=a"},
      {"x==a", "x=a"},
      {"x!=a", "x!=a"},
      {"x=a,y=b,z=c", "x=a,y=b,z=c"},
      {"z=c,y=b,x=a", "x=a,y=b,z=c"},  // Terms are sorted by their text.
      {"x!=a,y=b", "x!=a,y=b"},
      {"x=a,,y=b", "x=a,y=b"},
      {"x=", "x="},
      {"x!=", "x!="},
      {"=a", "=a"},
      {"=", ""},  // Neither field nor value: Kubernetes drops the term.
      {"!=", ""},
      {"notin=in", "notin=in"},
      {R"(x=a\=b)", R"(x=a\=b)"},
      {R"(x=a\,b)", R"(x=a\,b)"},
      {R"(x=a\\b)", R"(x=a\\b)"},
      {R"(x=\\\,\=)", R"(x=\\\,\=)"},
      {"a = b", "a = b"},  // No trimming: field "a " and value " b".
      {"!x=a", "!x=a"},    // The field is "!x": the first operator is at '='.
      {"metadata.name=web-0,metadata.namespace=default",
       "metadata.name=web-0,metadata.namespace=default"},
      {"spec.nodeName=,status.phase!=Succeeded", "spec.nodeName=,status.phase!=Succeeded"},
      {"x=caf\xc3\xa9", "x=caf\xc3\xa9"},
      {"x=a b c", "x=a b c"},
      {"x=(a)", "x=(a)"},
  };
  for (const GoodCase& c : cases) {
    SCOPED_TRACE("input: \"" + c.input + "\"");
    absl::StatusOr<FieldSelector> s = FieldSelector::Parse(c.input);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->String(), c.canonical);
    EXPECT_EQ(s->Empty(), c.canonical.empty());
    absl::StatusOr<FieldSelector> again = FieldSelector::Parse(s->String());
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->String(), c.canonical);
  }
}

TEST(FieldSelectorParseTest, TermsAreUnescaped) {
  absl::StatusOr<FieldSelector> s = FieldSelector::Parse(R"(b!=x\,y,a=\\p\=q)");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->terms().size(), 2u);
  EXPECT_EQ(s->terms()[0].field, "a");
  EXPECT_FALSE(s->terms()[0].negated);
  EXPECT_EQ(s->terms()[0].value, R"(\p=q)");
  EXPECT_EQ(s->terms()[1].field, "b");
  EXPECT_TRUE(s->terms()[1].negated);
  EXPECT_EQ(s->terms()[1].value, "x,y");
}

struct BadCase {
  std::string input;
  std::string message;
};

TEST(FieldSelectorParseTest, Rejects) {
  const std::vector<BadCase> cases = {
      {"x", "invalid selector: 'x'; can't understand 'x'"},
      {"x=a,b", "invalid selector: 'x=a,b'; can't understand 'b'"},
      {"x in (a)", "invalid selector: 'x in (a)'; can't understand 'x in (a)'"},
      {"x in (a,b,c)", "invalid selector: 'x in (a,b,c)'; can't understand 'b'"},
      {"x>1", "invalid selector: 'x>1'; can't understand 'x>1'"},
      {"!x", "invalid selector: '!x'; can't understand '!x'"},
      {R"(x=a\)", R"(invalid field selector: invalid escape sequence: \)"},
      {R"(x=a\b)", R"(invalid field selector: invalid escape sequence: \b)"},
      {"x=\\\xc3\xa9", "invalid field selector: invalid escape sequence: \\\xc3\xa9"},
      {"x=a||y=b", "invalid field selector: unescaped character in value: '='"},
      {"x==a==b", "invalid field selector: unescaped character in value: '='"},
      {"x=a=b", "invalid field selector: unescaped character in value: '='"},
      {"x!=a=b", "invalid field selector: unescaped character in value: '='"},
      {"x=!=a", "invalid field selector: unescaped character in value: '='"},
      {R"(x=a\\,b)", "invalid selector: 'x=a\\\\,b'; can't understand 'b'"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE("input: \"" + c.input + "\"");
    absl::StatusOr<FieldSelector> s = FieldSelector::Parse(c.input);
    ASSERT_FALSE(s.ok()) << "parsed as: " << s->String();
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(s.status().message()), c.message);
  }
}

struct MatchCase {
  std::string selector;
  Fields fields;
  bool want;
};

TEST(FieldSelectorMatchTest, Table) {
  const Fields fieldset = {{"foo", "bar"}, {"baz", "blah"}, {"complex", R"(=value\,\)"}};
  const std::vector<MatchCase> cases = {
      {"", {}, true},
      {"", {{"x", "y"}}, true},
      {"x=y", {{"x", "y"}}, true},
      {"x==y", {{"x", "y"}}, true},
      {"x=y,z=w", {{"x", "y"}, {"z", "w"}}, true},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "a"}}, true},
      {"notin=in", {{"notin", "in"}}, true},
      {"x=y", {{"x", "z"}}, false},
      {"x=y,z=w", {{"x", "w"}, {"z", "w"}}, false},
      {"x!=y,z!=w", {{"x", "z"}, {"z", "w"}}, false},
      {"foo=bar", fieldset, true},
      {"baz=blah", fieldset, true},
      {"foo=bar,baz=blah", fieldset, true},
      {R"(foo=bar,baz=blah,complex=\=value\\\,\\)", fieldset, true},
      {"foo=blah", fieldset, false},
      {"baz=bar", fieldset, false},
      {"foo=bar,foobar=bar,baz=blah", fieldset, false},
      // A missing field reads as "".
      {"x=", {}, true},
      {"x=", {{"x", ""}}, true},
      {"x!=", {}, false},
      {"x!=", {{"x", "a"}}, true},
      {"x!=a", {}, true},
      {"x=a", {}, false},
      {"spec.nodeName=", {{"metadata.name", "p"}}, true},
      {"spec.nodeName=n1", {{"spec.nodeName", "n1"}, {"status.phase", "Running"}}, true},
      {"spec.nodeName=n1,status.phase!=Running",
       {{"spec.nodeName", "n1"}, {"status.phase", "Running"}},
       false},
  };
  for (const MatchCase& c : cases) {
    SCOPED_TRACE("selector: \"" + c.selector + "\"");
    absl::StatusOr<FieldSelector> s = FieldSelector::Parse(c.selector);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->Matches(c.fields), c.want);
  }
}

TEST(FieldSelectorTest, DefaultSelectsEverything) {
  FieldSelector s;
  EXPECT_TRUE(s.Empty());
  EXPECT_TRUE(s.Matches({}));
  EXPECT_TRUE(s.Matches({{"a", "b"}}));
  EXPECT_EQ(s.String(), "");
  EXPECT_THAT(s.FieldNames(), IsEmpty());
  EXPECT_EQ(s.RequiredValue("a"), std::nullopt);
}

TEST(FieldSelectorTest, RequiredValue) {
  struct Case {
    std::string selector;
    std::string field;
    std::optional<std::string> want;
  };
  const std::vector<Case> cases = {
      {"", "test", std::nullopt},
      {"a=b", "test", std::nullopt},
      {"test=b", "test", "b"},
      {"test==b", "test", "b"},
      {"test=", "test", ""},
      {"test!=b", "test", std::nullopt},
      {"test!=", "test", std::nullopt},
      {"a=x,test=b", "test", "b"},
      {"test!=c,test=b", "test", "b"},
      {R"(metadata.name=a\,b)", "metadata.name", "a,b"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.selector);
    absl::StatusOr<FieldSelector> s = FieldSelector::Parse(c.selector);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->RequiredValue(c.field), c.want);
  }
}

TEST(FieldSelectorTest, FieldNames) {
  absl::StatusOr<FieldSelector> s =
      FieldSelector::Parse("status.phase!=Failed,metadata.name=a,status.phase!=Succeeded");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(s->FieldNames(), ElementsAre("metadata.name", "status.phase"));
}

TEST(EscapeFieldSelectorValueTest, EscapesBackslashCommaEquals) {
  EXPECT_EQ(EscapeFieldSelectorValue(""), "");
  EXPECT_EQ(EscapeFieldSelectorValue("plain"), "plain");
  EXPECT_EQ(EscapeFieldSelectorValue(R"(=value\,\)"), R"(\=value\\\,\\)");
  // Escaped values round-trip through Parse.
  for (std::string value : {"a,b", "a=b", R"(a\b)", R"(\,=)", ""}) {
    absl::StatusOr<FieldSelector> s = FieldSelector::Parse("f=" + EscapeFieldSelectorValue(value));
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->RequiredValue("f"), value);
  }
}

}  // namespace
}  // namespace shoal::api
