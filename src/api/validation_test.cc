#include "api/validation.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::api {
namespace {

using ::testing::HasSubstr;

// Kubernetes' exact texts, for comparison.
constexpr char kSubdomainMsg[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr char kLabelMsg[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
constexpr char kNamePartMsg[] =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
constexpr char kLabelValueMsg[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  "
    "or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

struct Case {
  std::string input;
  std::string want_error;  // "" = valid.
};

void RunCases(absl::Status (*validate)(std::string_view), const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE("input: \"" + c.input + "\"");
    absl::Status s = validate(c.input);
    if (c.want_error.empty()) {
      EXPECT_TRUE(s.ok()) << s;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(std::string(s.message()), c.want_error);
    }
  }
}

TEST(ValidateDns1123SubdomainTest, Table) {
  const std::string too_long = "a" + std::string(252, 'b') + "c";  // 254
  const std::string max_len = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                              std::string(63, 'c') + "." + std::string(61, 'd');  // 253
  ASSERT_EQ(max_len.size(), 253u);
  RunCases(
      ValidateDns1123Subdomain,
      {
          {"a", ""},
          {"ab", ""},
          {"abc", ""},
          {"a1", ""},
          {"a-1", ""},
          {"a--1--2--b", ""},
          {"0", ""},
          {"01", ""},
          {"0-1", ""},
          {"a.a", ""},
          {"ab.a", ""},
          {"a1.a", ""},
          {"a-1.a", ""},
          {"a.b.c.d.e", ""},
          {"example.com", ""},
          {"1.2.3.4", ""},
          {std::string(63, 'a'), ""},
          {std::string(64, 'a'), ""},  // Label length is not limited inside a subdomain.
          {max_len, ""},
          {"", kSubdomainMsg},
          {"A", kSubdomainMsg},
          {"ABC", kSubdomainMsg},
          {"aBc", kSubdomainMsg},
          {"A1", kSubdomainMsg},
          {"a-1-", kSubdomainMsg},
          {"-a", kSubdomainMsg},
          {"a-", kSubdomainMsg},
          {"a_b", kSubdomainMsg},
          {"a b", kSubdomainMsg},
          {"a..b", kSubdomainMsg},
          {".a", kSubdomainMsg},
          {"a.", kSubdomainMsg},
          {"a.-b", kSubdomainMsg},
          {"a-.b", kSubdomainMsg},
          {"a@b", kSubdomainMsg},
          {"a/b", kSubdomainMsg},
          {"a\nb", kSubdomainMsg},
          {"a\n", kSubdomainMsg},  // Go's $ does not match before a final newline.
          {"caf\xc3\xa9", kSubdomainMsg},
          {too_long, "must be no more than 253 characters"},
          {too_long + "-", std::string("must be no more than 253 characters; ") + kSubdomainMsg},
      });
}

TEST(ValidateDns1123LabelTest, Table) {
  RunCases(ValidateDns1123Label,
           {
               {"a", ""},
               {"ab", ""},
               {"abc", ""},
               {"a1", ""},
               {"a-1", ""},
               {"a--1--2--b", ""},
               {"0", ""},
               {"01", ""},
               {"0-1", ""},
               {"kube-system", ""},
               {std::string(63, 'a'), ""},
               {"", kLabelMsg},
               {"A", kLabelMsg},
               {"ABC", kLabelMsg},
               {"aBc", kLabelMsg},
               {"a-1-", kLabelMsg},
               {"-a", kLabelMsg},
               {"a_b", kLabelMsg},
               {"a b", kLabelMsg},
               {"a..b", kLabelMsg},
               {".a", kLabelMsg},
               {"a.b", "must not contain dots"},
               {"example.com", "must not contain dots"},
               {std::string(64, 'a'), "must be no more than 63 characters"},
               {std::string(64, 'a') + "-",
                std::string("must be no more than 63 characters; ") + kLabelMsg},
               {std::string(60, 'a') + ".abc",
                "must be no more than 63 characters; must not contain dots"},
           });
}

TEST(ValidateLabelKeyTest, Table) {
  const std::string prefix_msg = std::string("prefix part ") + kSubdomainMsg;
  RunCases(ValidateLabelKey,
           {
               {"simple", ""},
               {"now-with-dashes", ""},
               {"1-starts-with-num", ""},
               {"1234", ""},
               {"simple/simple", ""},
               {"now-with-dashes/simple", ""},
               {"now-with-dashes/now-with-dashes", ""},
               {"now.with.dots/now-with-dashes", ""},
               {"now-with.dashes-and.dots/now-with-dashes", ""},
               {"now.with.dots/now.with.dots", ""},
               {"now-with.dashes-and.dots/now.with.dots", ""},
               {"1.2.3.4/5678", ""},
               {"Uppercase_Is_OK_123", ""},
               {"example.com/Uppercase_Is_OK_123", ""},
               {"requests.storage-foo", ""},
               {"app.kubernetes.io/name", ""},
               {"a", ""},
               {"A", ""},
               {"a_b", ""},
               {"a.b", ""},
               {std::string(63, 'a'), ""},
               {std::string(253, 'a') + "/" + std::string(63, 'b'), ""},
               {"", std::string("name part must be non-empty; ") + kNamePartMsg},
               {" ", kNamePartMsg},
               {"a b", kNamePartMsg},
               {"nospecialchars%^=@", kNamePartMsg},
               {"cantendwithadash-", kNamePartMsg},
               {"-cantstartwithadash-", kNamePartMsg},
               {"_a", kNamePartMsg},
               {"a_", kNamePartMsg},
               {".a", kNamePartMsg},
               {"a.", kNamePartMsg},
               {"app:monolith", kNamePartMsg},
               {"only/one/slash",
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and "
                "must start and end with an alphanumeric character (e.g. 'MyName',  or "
                "'my.name',  or '123-abc', regex used for validation is "
                "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain "
                "prefix and '/' (e.g. 'example.com/MyName')"},
               {"Example.com/abc", prefix_msg},
               {"example_com/abc", prefix_msg},
               {"example.com/", std::string("name part must be non-empty; ") + kNamePartMsg},
               {"/simple", "prefix part must be non-empty"},
               {"/", std::string("prefix part must be non-empty; name part must be non-empty; ") +
                         kNamePartMsg},
               {"app.kubernetes_io/name", prefix_msg},
               {std::string(64, 'a'), "name part must be no more than 63 characters"},
               {std::string(64, 'a') + "-",
                std::string("name part must be no more than 63 characters; ") + kNamePartMsg},
               {std::string(254, 'a') + "/b", "prefix part must be no more than 253 characters"},
           });
}

TEST(ValidateLabelValueTest, Table) {
  RunCases(ValidateLabelValue,
           {
               {"", ""},
               {"simple", ""},
               {"now-with-dashes", ""},
               {"1-starts-with-num", ""},
               {"end-with-num-1", ""},
               {"1234", ""},
               {"Uppercase_Is_OK_123", ""},
               {"a.b_c-d", ""},
               {"a", ""},
               {std::string(63, 'a'), ""},
               {"nospecialchars%^=@", kLabelValueMsg},
               {"Tama-nui-te-rā.is.Māori.sun", kLabelValueMsg},
               {"\\backslashes\\are\\bad", kLabelValueMsg},
               {"-starts-with-dash", kLabelValueMsg},
               {"ends-with-dash-", kLabelValueMsg},
               {".starts.with.dot", kLabelValueMsg},
               {"ends.with.dot.", kLabelValueMsg},
               {"a/b", kLabelValueMsg},
               {"a b", kLabelValueMsg},
               {" ", kLabelValueMsg},
               {std::string(64, 'a'), "must be no more than 63 characters"},
               {std::string(64, 'a') + "-",
                std::string("must be no more than 63 characters; ") + kLabelValueMsg},
           });
}

TEST(ToLabelValueTest, MakesAValidLabelValueOfAnyText) {
  EXPECT_EQ(ToLabelValue("NVIDIA H200"), "NVIDIA-H200");
  EXPECT_EQ(ToLabelValue("NVIDIA H100 80GB HBM3"), "NVIDIA-H100-80GB-HBM3");
  EXPECT_EQ(ToLabelValue("Tesla V100-SXM2-16GB"), "Tesla-V100-SXM2-16GB");
  EXPECT_EQ(ToLabelValue(" (odd) name/x "), "odd--name-x");
  EXPECT_EQ(ToLabelValue(std::string(80, 'a')), std::string(63, 'a'));
  EXPECT_EQ(ToLabelValue(""), "");
  for (std::string_view text : {" (odd) name/x ", "Tama-nui-te-rā", "-x-", "%^=@"}) {
    EXPECT_TRUE(ValidateLabelValue(ToLabelValue(text)).ok()) << text;
  }
}

TEST(ValidationTest, MessagesQuoteTheRegexLikeKubernetes) {
  absl::Status s = ValidateDns1123Subdomain("Bad");
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("regex used for validation is "
                        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'"));
}

}  // namespace
}  // namespace shoal::api
