#include "api/quantity.h"

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace shoal::api {
namespace {

constexpr char kFormatWrong[] =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr char kSuffixWrong[] = "unable to parse quantity's suffix";
constexpr char kNumericWrong[] = "unable to parse numeric part of quantity";
constexpr int64_t kMax = Quantity::kMaxMilli;
constexpr int64_t kMin = Quantity::kMinMilli;

using F = Quantity::Format;

Quantity Q(std::string_view text) {
  absl::StatusOr<Quantity> q = Quantity::Parse(text);
  EXPECT_TRUE(q.ok()) << text << ": " << q.status();
  return q.ok() ? *q : Quantity();
}

struct GoodCase {
  std::string input;
  int64_t milli;
  std::string canonical;
  F format;
};

TEST(QuantityParseTest, Accepts) {
  const std::vector<GoodCase> cases = {
      // Plain numbers and decimal SI.
      {"0", 0, "0", F::kDecimalSI},
      {"1", 1000, "1", F::kDecimalSI},
      {"-1", -1000, "-1", F::kDecimalSI},
      {"+1", 1000, "1", F::kDecimalSI},
      {"-0", 0, "0", F::kDecimalSI},
      {"00001", 1000, "1", F::kDecimalSI},
      {"0.5", 500, "500m", F::kDecimalSI},
      {".5", 500, "500m", F::kDecimalSI},
      {"1.", 1000, "1", F::kDecimalSI},
      {"1.5", 1500, "1500m", F::kDecimalSI},
      {"-1.5", -1500, "-1500m", F::kDecimalSI},
      {"100m", 100, "100m", F::kDecimalSI},
      {"1000m", 1000, "1", F::kDecimalSI},
      {"1500m", 1500, "1500m", F::kDecimalSI},
      {"2000", 2000000, "2k", F::kDecimalSI},
      {"2k", 2000000, "2k", F::kDecimalSI},
      {"1.5k", 1500000, "1500", F::kDecimalSI},
      {"1M", 1000000000, "1M", F::kDecimalSI},
      {"1.G", 1000000000000, "1G", F::kDecimalSI},
      {"128974848", 128974848000, "128974848", F::kDecimalSI},
      {"129e6", 129000000000, "129e6", F::kDecimalExponent},
      {"129M", 129000000000, "129M", F::kDecimalSI},
      {"1T", 1000000000000000, "1T", F::kDecimalSI},
      {"1P", 1000000000000000000, "1P", F::kDecimalSI},
      {"9P", 9000000000000000000, "9P", F::kDecimalSI},
      // Below a milli-unit: rounded up, away from zero, like MilliValue().
      {"1n", 1, "1m", F::kDecimalSI},
      {"1u", 1, "1m", F::kDecimalSI},
      {"999999n", 1, "1m", F::kDecimalSI},
      {"1000000n", 1, "1m", F::kDecimalSI},
      {"1000001n", 2, "2m", F::kDecimalSI},
      {"0.0001", 1, "1m", F::kDecimalSI},
      {"0.001", 1, "1m", F::kDecimalSI},
      {"0.0011", 2, "2m", F::kDecimalSI},
      {"1.0001", 1001, "1001m", F::kDecimalSI},
      {"-0.0001", -1, "-1m", F::kDecimalSI},
      {"-1n", -1, "-1m", F::kDecimalSI},
      {"0.000000000000000000000000000000000000000001", 1, "1m", F::kDecimalSI},
      {"0.000000000000", 0, "0", F::kDecimalSI},
      // Binary SI.
      {"1Ki", 1024000, "1Ki", F::kBinarySI},
      {"1Mi", 1048576000, "1Mi", F::kBinarySI},
      {"1024Ki", 1048576000, "1Mi", F::kBinarySI},
      {"1025Ki", 1049600000, "1025Ki", F::kBinarySI},
      {"1.5Gi", 1610612736000, "1536Mi", F::kBinarySI},
      {"0.5Gi", 536870912000, "512Mi", F::kBinarySI},
      {"100Mi", 104857600000, "100Mi", F::kBinarySI},
      {"1Ti", 1099511627776000, "1Ti", F::kBinarySI},
      {"1Pi", 1125899906842624000, "1Pi", F::kBinarySI},
      {"8Pi", 9007199254740992000, "8Pi", F::kBinarySI},
      {"-1Ki", -1024000, "-1Ki", F::kBinarySI},
      {"0.5Ki", 512000, "512", F::kBinarySI},      // Below 1024: printed as DecimalSI.
      {"1.5Ki", 1536000, "1536", F::kBinarySI},    // Not a whole number of Ki.
      {"0.1Ki", 102400, "102400m", F::kBinarySI},  // Fractional units.
      {"0.0001Ki", 103, "103m", F::kBinarySI},     // 102.4m rounded up.
      {".Ki", 0, "0", F::kBinarySI},
      // Decimal exponents.
      {"1e3", 1000000, "1e3", F::kDecimalExponent},
      {"1E3", 1000000, "1e3", F::kDecimalExponent},
      {"1e+3", 1000000, "1e3", F::kDecimalExponent},
      {"1e0", 1000, "1", F::kDecimalExponent},
      {"1e00", 1000, "1", F::kDecimalExponent},
      {"5e-3", 5, "5e-3", F::kDecimalExponent},
      {"1.5E-3", 2, "2e-3", F::kDecimalExponent},  // 1.5m rounded up.
      {"12e-2", 120, "120e-3", F::kDecimalExponent},
      {"1e-07", 1, "1e-3", F::kDecimalExponent},
      {"1e-9999999999", 1, "1e-3", F::kDecimalExponent},
      {"0e99999999", 0, "0", F::kDecimalExponent},
      // Kubernetes' parser reads a bare sign or dot as zero.
      {"+", 0, "0", F::kDecimalSI},
      {"-", 0, "0", F::kDecimalSI},
      {".", 0, "0", F::kDecimalSI},
      {"M", 0, "0", F::kDecimalSI},
      {"-k", 0, "0", F::kDecimalSI},
      {"Mi", 0, "0", F::kBinarySI},
      {"+.Ti", 0, "0", F::kBinarySI},
      {"e-9", 0, "0", F::kDecimalExponent},
      // Long digit strings are exact.
      {"1234567890123456789012345e-22", 123457, "123457e-3", F::kDecimalExponent},
      {"1.0000000000000000000001Ki", 1024001, "1024001m", F::kBinarySI},
      {"0.00000000000000000000000000001Ki", 1, "1m", F::kBinarySI},
      {"1234567.890123456789012345", 1234567891, "1234567891m", F::kDecimalSI},
      {"000000000000000000000000000000001", 1000, "1", F::kDecimalSI},
  };
  for (const GoodCase& c : cases) {
    SCOPED_TRACE("input: \"" + c.input + "\"");
    absl::StatusOr<Quantity> q = Quantity::Parse(c.input);
    ASSERT_TRUE(q.ok()) << q.status();
    EXPECT_EQ(q->MilliValue(), c.milli);
    EXPECT_EQ(q->String(), c.canonical);
    EXPECT_EQ(q->format(), c.format);
    // The canonical text parses back to the same value.
    absl::StatusOr<Quantity> again = Quantity::Parse(q->String());
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->MilliValue(), c.milli);
    EXPECT_EQ(again->String(), c.canonical);
  }
}

TEST(QuantityParseTest, Saturates) {
  for (const char* text : {"10P", "1E", "9Pi", "1Ei", "9223372036854775808", "1e99999999",
                           "12345678901234567890123Ki", "123456789012345678901234567890n",
                           "9223372036854775.808", "99999999999999999999999999999999999999999"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Q(text).MilliValue(), kMax);
    EXPECT_EQ(Q(std::string("-") + text).MilliValue(), kMin);
  }
  EXPECT_EQ(Q("9223372036854775.807").MilliValue(), kMax);  // Exactly the bound.
  EXPECT_EQ(Q("9223372036854775.806").MilliValue(), kMax - 1);
  EXPECT_EQ(Q("9223372036854775.8061").MilliValue(), kMax);
  EXPECT_EQ(Q("10P").String(), "9223372036854775807m");
  EXPECT_EQ(Q("-10P").String(), "-9223372036854775807m");
}

struct BadCase {
  std::string input;
  std::string message;
};

TEST(QuantityParseTest, Rejects) {
  const std::vector<BadCase> cases = {
      {"", kFormatWrong},
      {"abc", kFormatWrong},
      {"aoeu", kFormatWrong},
      {"1.2.3", kFormatWrong},
      {"1.1.M", kFormatWrong},
      {"1+1.0M", kFormatWrong},
      {"1Zi", kFormatWrong},
      {" 1", kFormatWrong},
      {"1 ", kFormatWrong},
      {"1Gi ", kFormatWrong},
      {"1,000", kFormatWrong},
      {"1_000", kFormatWrong},
      {"0x10", kFormatWrong},
      {"0.1am", kFormatWrong},
      {"1x", kFormatWrong},
      {"1KI", kFormatWrong},
      {"1e3.5", kFormatWrong},
      {"1e3e", kFormatWrong},
      {"\xef\xbc\x91", kFormatWrong},  // Fullwidth digit one.
      {"NaN", kFormatWrong},
      {"Inf", kFormatWrong},
      {"1K", kSuffixWrong},
      {"1i", kSuffixWrong},
      {".5i", kSuffixWrong},
      {"-3.01i", kSuffixWrong},
      {"0.1mi", kSuffixWrong},
      {"1mm", kSuffixWrong},
      {"1Ki2", kSuffixWrong},
      {"1e", kSuffixWrong},
      {"1ee", kSuffixWrong},
      {"1e-", kSuffixWrong},
      {"-3.01e-", kSuffixWrong},
      {"1-", kSuffixWrong},
      {"--1", kSuffixWrong},
      {"1e99999999999999999999", kSuffixWrong},  // Exponent beyond int64, as Go's ParseInt.
      // No digits on Kubernetes' arbitrary-precision path.
      {"Pi", kNumericWrong},
      {"-.Ei", kNumericWrong},
      {"e-10", kNumericWrong},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE("input: \"" + c.input + "\"");
    absl::StatusOr<Quantity> q = Quantity::Parse(c.input);
    ASSERT_FALSE(q.ok()) << "parsed as " << q->String();
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(q.status().message()), c.message);
  }
}

TEST(QuantityTest, ValueRoundsUpAwayFromZero) {
  EXPECT_EQ(Q("0").Value(), 0);
  EXPECT_EQ(Q("1").Value(), 1);
  EXPECT_EQ(Q("100m").Value(), 1);
  EXPECT_EQ(Q("1001m").Value(), 2);
  EXPECT_EQ(Q("1500m").Value(), 2);
  EXPECT_EQ(Q("2").Value(), 2);
  EXPECT_EQ(Q("-100m").Value(), -1);
  EXPECT_EQ(Q("-1500m").Value(), -2);
  EXPECT_EQ(Q("1Ki").Value(), 1024);
  EXPECT_EQ(Q("1.5Gi").Value(), 1610612736);
  EXPECT_EQ(Q("10P").Value(), kMax / 1000 + 1);
}

TEST(QuantityTest, DefaultIsZero) {
  Quantity q;
  EXPECT_TRUE(q.IsZero());
  EXPECT_EQ(q.MilliValue(), 0);
  EXPECT_EQ(q.String(), "0");
  EXPECT_EQ(q.format(), F::kDecimalSI);
}

TEST(QuantityTest, FromMilliAndFromUnits) {
  EXPECT_EQ(Quantity::FromMilli(250).String(), "250m");
  EXPECT_EQ(Quantity::FromMilli(INT64_MIN).MilliValue(), kMin);
  EXPECT_EQ(Quantity::FromUnits(5).MilliValue(), 5000);
  EXPECT_EQ(Quantity::FromUnits(2048, F::kBinarySI).String(), "2Ki");
  EXPECT_EQ(Quantity::FromUnits(-3).String(), "-3");
  EXPECT_EQ(Quantity::FromUnits(INT64_MAX).MilliValue(), kMax);
  EXPECT_EQ(Quantity::FromUnits(INT64_MIN).MilliValue(), kMin);
  EXPECT_EQ(Quantity::FromUnits(1000, F::kDecimalExponent).String(), "1e3");
}

TEST(QuantityTest, Comparisons) {
  EXPECT_EQ(Q("1Ki"), Q("1024"));
  EXPECT_EQ(Q("1"), Q("1000m"));
  EXPECT_EQ(Q("1e3"), Q("1k"));
  EXPECT_NE(Q("1"), Q("1001m"));
  EXPECT_LT(Q("1"), Q("1001m"));
  EXPECT_GT(Q("2"), Q("1999m"));
  EXPECT_LE(Q("500m"), Q("0.5"));
  EXPECT_GE(Q("1Mi"), Q("1M"));
  EXPECT_LT(Q("-1"), Q("0"));
  EXPECT_LT(Q("1n"), Q("2m"));
  EXPECT_EQ(Q("1n"), Q("1m"));  // Both round up to one milli-unit.
}

TEST(QuantityTest, Arithmetic) {
  EXPECT_EQ((Q("1") + Q("500m")).String(), "1500m");
  EXPECT_EQ((Q("1") - Q("500m")).String(), "500m");
  EXPECT_EQ((Q("500m") - Q("1")).String(), "-500m");
  EXPECT_EQ((Q("1Gi") + Q("1Gi")).String(), "2Gi");
  EXPECT_EQ((Q("1Ki") - Q("1Ki")).String(), "0");
  // The left operand's format wins unless it is zero.
  EXPECT_EQ((Q("1Ki") + Q("1k")).format(), F::kBinarySI);
  EXPECT_EQ((Q("1k") + Q("1Ki")).format(), F::kDecimalSI);
  EXPECT_EQ((Quantity() + Q("1Ki")).String(), "1Ki");
  EXPECT_EQ((Quantity() - Q("1Ki")).String(), "-1Ki");
  // Saturation.
  EXPECT_EQ((Q("8Pi") + Q("1Pi")).MilliValue(), kMax);
  EXPECT_EQ((Q("-8Pi") - Q("1Pi")).MilliValue(), kMin);
  EXPECT_EQ((Quantity::FromMilli(kMax) + Quantity::FromMilli(kMax)).MilliValue(), kMax);
  EXPECT_EQ((Quantity::FromMilli(kMin) - Quantity::FromMilli(kMax)).MilliValue(), kMin);
  EXPECT_EQ((Quantity::FromMilli(kMin) + Quantity::FromMilli(kMax)).MilliValue(), 0);
  EXPECT_EQ((-Q("1Ki")).String(), "-1Ki");
  EXPECT_EQ((-Quantity::FromMilli(kMin)).MilliValue(), kMax);
  Quantity total;
  for (const char* request : {"100m", "250m", "1", "0.5"}) total += Q(request);
  EXPECT_EQ(total.String(), "1850m");
  total -= Q("850m");
  EXPECT_EQ(total.String(), "1");
}

TEST(QuantityFromJsonTest, StringsAndNumbers) {
  struct Case {
    std::string json;
    int64_t milli;
  };
  const std::vector<Case> cases = {
      {R"("500m")", 500},
      {R"(" 1Gi ")", 1073741824000},
      {R"("\t2\n")", 2000},
      {"0.5", 500},
      {"1", 1000},
      {"-2", -2000},
      {"0", 0},
      {"1e3", 1000000},
      {"1.5e3", 1500000},
      {"1e-7", 1},
      {"0.1", 100},
      {"18446744073709551615", kMax},
      {"1e300", kMax},
      {"null", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    absl::StatusOr<Quantity> q = QuantityFromJson(boost::json::parse(c.json));
    ASSERT_TRUE(q.ok()) << q.status();
    EXPECT_EQ(q->MilliValue(), c.milli);
  }
}

TEST(QuantityFromJsonTest, Rejects) {
  for (const char* json : {"true", "[]", "{}", R"(["1"])"}) {
    SCOPED_TRACE(json);
    absl::StatusOr<Quantity> q = QuantityFromJson(boost::json::parse(json));
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(std::string(q.status().message()), "a quantity must be a JSON string or number");
  }
  absl::StatusOr<Quantity> q = QuantityFromJson(boost::json::parse(R"("abc")"));
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(std::string(q.status().message()), kFormatWrong);
  q = QuantityFromJson(boost::json::parse(R"("1K")"));
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(std::string(q.status().message()), kSuffixWrong);
}

}  // namespace
}  // namespace shoal::api
