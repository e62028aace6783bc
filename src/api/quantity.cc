#include "api/quantity.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <optional>

#include "absl/status/status.h"
#include "base/strings.h"

namespace shoal::api {
namespace {

using u128 = unsigned __int128;

constexpr std::string_view kErrFormatWrong =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr std::string_view kErrSuffix = "unable to parse quantity's suffix";
constexpr std::string_view kErrNumeric = "unable to parse numeric part of quantity";

constexpr uint64_t kMaxMagnitude = static_cast<uint64_t>(Quantity::kMaxMilli);

// Exponents beyond this make any non-zero value saturate or round to 1m whatever the digit
// count; clamping keeps the exponent arithmetic far from int64 overflow.
constexpr int64_t kExponentClamp = int64_t{1} << 40;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The pieces of a quantity string, as resource.parseQuantityString splits them.
struct QuantityParts {
  bool positive = true;
  std::string_view num;     // Integer digits without leading zeros; "0" when there are none.
  std::string_view denom;   // Fraction digits (may be empty).
  std::string_view suffix;  // Everything after the number.
  bool has_digits = false;  // Whether the number had any digit at all ("+", ".", "" do not).
};

// A transcription of parseQuantityString, which is laxer than the regular expression it quotes
// ("+", "-" and "." alone read as zero, and "1." is accepted), so that we accept exactly what
// Kubernetes accepts.
std::optional<QuantityParts> SplitQuantity(std::string_view s) {
  QuantityParts parts;
  size_t pos = 0;
  const size_t end = s.size();
  if (pos < end && (s[0] == '-' || s[0] == '+')) {
    parts.positive = s[0] == '+';
    ++pos;
  }
  const size_t number_start = pos;
  while (pos < end && s[pos] == '0') ++pos;  // Leading zeros.
  parts.has_digits = pos > number_start;
  if (pos >= end) {
    parts.num = "0";
    return parts;
  }
  size_t start = pos;
  while (pos < end && IsDigit(s[pos])) ++pos;
  parts.num = pos > start ? s.substr(start, pos - start) : std::string_view("0");
  if (pos < end && s[pos] == '.') {
    ++pos;
    start = pos;
    while (pos < end && IsDigit(s[pos])) ++pos;
    parts.denom = s.substr(start, pos - start);
  }
  parts.has_digits = parts.has_digits || parts.num != "0" || !parts.denom.empty();
  // Suffix: letters from [eEinumkKMGTP], an optional sign, digits, then the end.
  const size_t suffix_start = pos;
  while (pos < end && std::string_view("eEinumkKMGTP").find(s[pos]) != std::string_view::npos) {
    ++pos;
  }
  if (pos < end && (s[pos] == '-' || s[pos] == '+')) ++pos;
  while (pos < end && IsDigit(s[pos])) ++pos;
  if (pos != end) return std::nullopt;
  parts.suffix = s.substr(suffix_start);
  return parts;
}

struct Suffix {
  int base;          // 10 or 2
  int64_t exponent;  // Power of `base`.
  Quantity::Format format;
};

// suffixHandler.interpret.
std::optional<Suffix> InterpretSuffix(std::string_view suffix) {
  using F = Quantity::Format;
  struct Entry {
    std::string_view text;
    int base;
    int exponent;
  };
  static constexpr Entry kDecimal[] = {{"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"", 10, 0},
                                       {"k", 10, 3},  {"M", 10, 6},  {"G", 10, 9},  {"T", 10, 12},
                                       {"P", 10, 15}, {"E", 10, 18}};
  static constexpr Entry kBinary[] = {{"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30},
                                      {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60}};
  for (const Entry& e : kDecimal) {
    if (e.text == suffix) return Suffix{e.base, e.exponent, F::kDecimalSI};
  }
  for (const Entry& e : kBinary) {
    if (e.text == suffix) return Suffix{e.base, e.exponent, F::kBinarySI};
  }
  if (suffix.size() > 1 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    // strconv.ParseInt(suffix[1:], 10, 64): optional sign, then only digits.
    std::string_view rest = suffix.substr(1);
    bool negative = false;
    if (rest[0] == '+' || rest[0] == '-') {
      negative = rest[0] == '-';
      rest.remove_prefix(1);
    }
    if (rest.empty() || !std::all_of(rest.begin(), rest.end(), IsDigit)) return std::nullopt;
    // Go rejects exponents outside int64; beyond the clamp the value saturates anyway.
    size_t first = rest.find_first_not_of('0');
    rest = first == std::string_view::npos ? std::string_view("0") : rest.substr(first);
    if (rest.size() > 19) return std::nullopt;
    uint64_t magnitude = 0;
    std::from_chars(rest.data(), rest.data() + rest.size(), magnitude);
    if (magnitude > static_cast<uint64_t>(INT64_MAX) + (negative ? 1 : 0)) return std::nullopt;
    int64_t exponent =
        static_cast<int64_t>(std::min<uint64_t>(magnitude, static_cast<uint64_t>(kExponentClamp)));
    return Suffix{10, negative ? -exponent : exponent, F::kDecimalExponent};
  }
  return std::nullopt;
}

// 10^k for 0 <= k <= 38 (10^38 < 2^127).
u128 Pow10(int64_t k) {
  static constexpr auto kPowers = [] {
    std::array<u128, 39> powers{};
    powers[0] = 1;
    for (size_t i = 1; i < powers.size(); ++i) powers[i] = powers[i - 1] * 10;
    return powers;
  }();
  return kPowers[static_cast<size_t>(k)];
}

// ceil(digits * 2^binary_exponent * 10^decimal_exponent), saturated at kMaxMagnitude, for a
// digit string of any length without leading zeros (and not zero). Exact: long inputs are
// multiplied out as decimal strings rather than approximated.
uint64_t CeilMagnitude(std::string_view digits, int binary_exponent, int64_t decimal_exponent) {
  if (digits.size() <= 19) {
    uint64_t d = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), d);
    const u128 p = static_cast<u128>(d) << binary_exponent;  // < 2^124
    if (decimal_exponent >= 0) {
      if (decimal_exponent > 19 || p > kMaxMagnitude) return kMaxMagnitude;
      const u128 v = p * Pow10(decimal_exponent);  // < 2^63 * 10^19 < 2^127
      return v > kMaxMagnitude ? kMaxMagnitude : static_cast<uint64_t>(v);
    }
    if (decimal_exponent < -38) return 1;  // 0 < p / 10^k < 2^124 / 10^39 < 1.
    const u128 divisor = Pow10(-decimal_exponent);
    const u128 v = p / divisor + (p % divisor != 0 ? 1 : 0);
    return v > kMaxMagnitude ? kMaxMagnitude : static_cast<uint64_t>(v);
  }

  // More than 19 significant digits: multiply by 2^binary_exponent in decimal, then split the
  // integer part from the fraction.
  std::string p(digits);
  for (int i = 0; i < binary_exponent; i += 10) {
    uint32_t carry = 0;
    for (auto it = p.rbegin(); it != p.rend(); ++it) {
      uint32_t x = static_cast<uint32_t>(*it - '0') * 1024 + carry;
      *it = static_cast<char>('0' + x % 10);
      carry = x / 10;
    }
    while (carry > 0) {
      p.insert(p.begin(), static_cast<char>('0' + carry % 10));
      carry /= 10;
    }
  }
  const int64_t integer_digits = static_cast<int64_t>(p.size()) + decimal_exponent;
  if (integer_digits > 19) return kMaxMagnitude;
  uint64_t v = 0;
  if (decimal_exponent >= 0) {  // At most 19 digits in all, so no overflow.
    for (char c : p) v = v * 10 + static_cast<uint64_t>(c - '0');
    for (int64_t i = 0; i < decimal_exponent; ++i) v *= 10;
  } else {
    const size_t split = static_cast<size_t>(std::max<int64_t>(integer_digits, 0));
    for (size_t i = 0; i < split; ++i) v = v * 10 + static_cast<uint64_t>(p[i] - '0');
    if (p.find_first_not_of('0', split) != std::string::npos) ++v;  // Round the fraction up.
  }
  return std::min(v, kMaxMagnitude);
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return a > 0 ? Quantity::kMaxMilli : Quantity::kMinMilli;
  return std::clamp(r, Quantity::kMinMilli, Quantity::kMaxMilli);
}

int64_t SaturatingMultiply(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) {
    return (a < 0) != (b < 0) ? Quantity::kMinMilli : Quantity::kMaxMilli;
  }
  return std::clamp(r, Quantity::kMinMilli, Quantity::kMaxMilli);
}

}  // namespace

Quantity Quantity::FromMilli(int64_t milli, Format format) {
  return Quantity(std::clamp(milli, kMinMilli, kMaxMilli), format);
}

Quantity Quantity::FromUnits(int64_t units, Format format) {
  return Quantity(SaturatingMultiply(units, 1000), format);
}

absl::StatusOr<Quantity> Quantity::Parse(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError(base::AbslView(kErrFormatWrong));
  std::optional<QuantityParts> parts = SplitQuantity(text);
  if (!parts) return absl::InvalidArgumentError(base::AbslView(kErrFormatWrong));
  std::optional<Suffix> suffix = InterpretSuffix(parts->suffix);
  if (!suffix) return absl::InvalidArgumentError(base::AbslView(kErrSuffix));
  if (!parts->has_digits && ((suffix->base == 2 && suffix->exponent >= 50) ||
                             (suffix->base == 10 && suffix->exponent < -9))) {
    // Kubernetes reads a number without digits as zero, except on its arbitrary-precision path
    // (binary suffixes from Pi, exponents below -9), where it fails with ErrNumeric.
    return absl::InvalidArgumentError(base::AbslView(kErrNumeric));
  }

  // All significant digits, and the power of ten that makes them milli-units.
  std::string buffer;
  std::string_view digits = parts->num;
  if (!parts->denom.empty()) {
    buffer.reserve(parts->num.size() + parts->denom.size());
    buffer.append(parts->num).append(parts->denom);
    digits = buffer;
  }
  digits.remove_prefix(std::min(digits.find_first_not_of('0'), digits.size()));
  if (digits.empty()) return Quantity(0, suffix->format);

  const int64_t exponent = std::clamp(suffix->exponent, -kExponentClamp, kExponentClamp);
  const int64_t denom_digits = static_cast<int64_t>(
      std::min<size_t>(parts->denom.size(), static_cast<size_t>(kExponentClamp)));
  int binary_exponent = 0;
  int64_t decimal_exponent = 3 - denom_digits;
  if (suffix->base == 2) {
    binary_exponent = static_cast<int>(exponent);
  } else {
    decimal_exponent += exponent;
  }
  const int64_t magnitude =
      static_cast<int64_t>(CeilMagnitude(digits, binary_exponent, decimal_exponent));
  return Quantity(parts->positive ? magnitude : -magnitude, suffix->format);
}

int64_t Quantity::Value() const {
  int64_t units = milli_ / 1000;
  int64_t rest = milli_ % 1000;
  if (rest > 0) ++units;
  if (rest < 0) --units;
  return units;
}

std::string Quantity::String() const {
  if (milli_ == 0) return "0";
  Format format = format_;
  // Quantity.CanonicalizeBytes: binary only for whole numbers of at least 1024 units.
  if (format == Format::kBinarySI &&
      (milli_ % 1000 != 0 || (milli_ > -1024000 && milli_ < 1024000))) {
    format = Format::kDecimalSI;
  }
  if (format == Format::kBinarySI) {
    int64_t amount = milli_ / 1000;
    int power = 0;
    while (power < 6 && (amount >= 1024 || amount <= -1024) && amount % 1024 == 0) {
      amount /= 1024;
      ++power;
    }
    static constexpr std::string_view kBinarySuffix[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    return base::StrCat(amount, kBinarySuffix[power]);
  }
  // Strip factors of ten, then move the exponent down to a multiple of three (AsCanonicalBytes).
  int64_t amount = milli_;
  int exponent = -3;
  while ((amount >= 10 || amount <= -10) && amount % 10 == 0) {
    amount /= 10;
    ++exponent;
  }
  switch (((exponent % 3) + 3) % 3) {
    case 1:
      amount *= 10;
      exponent -= 1;
      break;
    case 2:
      amount *= 100;
      exponent -= 2;
      break;
  }
  if (format == Format::kDecimalExponent) {
    if (exponent == 0) return base::StrCat(amount);
    return base::StrCat(amount, "e", exponent);
  }
  static constexpr std::string_view kDecimalSuffix[] = {"m", "", "k", "M", "G", "T", "P", "E"};
  return base::StrCat(amount, kDecimalSuffix[(exponent + 3) / 3]);
}

Quantity Quantity::operator+(const Quantity& other) const {
  return Quantity(SaturatingAdd(milli_, other.milli_), milli_ == 0 ? other.format_ : format_);
}

Quantity Quantity::operator-(const Quantity& other) const {
  return Quantity(SaturatingAdd(milli_, -other.milli_), milli_ == 0 ? other.format_ : format_);
}

absl::StatusOr<Quantity> QuantityFromJson(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::null:
      return Quantity();
    case boost::json::kind::string: {
      // strings.TrimSpace, ASCII part.
      std::string_view text(value.get_string().data(), value.get_string().size());
      auto blank = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
      while (!text.empty() && blank(text.front())) text.remove_prefix(1);
      while (!text.empty() && blank(text.back())) text.remove_suffix(1);
      return Quantity::Parse(text);
    }
    case boost::json::kind::int64:
      return Quantity::Parse(std::to_string(value.get_int64()));
    case boost::json::kind::uint64:
      return Quantity::Parse(std::to_string(value.get_uint64()));
    case boost::json::kind::double_: {
      // Shortest text that reads back as the same double, e.g. 0.1 -> "0.1", 1e-07 -> "1e-07".
      char buffer[64];
      auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value.get_double());
      if (ec != std::errc()) return absl::InvalidArgumentError(base::AbslView(kErrFormatWrong));
      return Quantity::Parse(std::string_view(buffer, end - buffer));
    }
    default:
      return absl::InvalidArgumentError("a quantity must be a JSON string or number");
  }
}

}  // namespace shoal::api
