// Quantity: a Kubernetes resource.Quantity ("500m", "1.5Gi", "1e3") held as an exact int64
// count of milli-units, for resource requests, limits, capacity and quota arithmetic.
//
// Differences from k8s.io/apimachinery pkg/api/resource, all consequences of the fixed
// milli-unit representation:
//  * Precision: values are rounded UP (away from zero) to a whole milli-unit when parsed, so
//    "1n", "0.0001" and "1u" are all 1m, exactly what Kubernetes' MilliValue() returns for them.
//  * Range: parsing and arithmetic SATURATE at +/-kMaxMilli (INT64_MAX milli-units, about
//    9.2e15 units = 8 PiB of bytes), where Kubernetes caps at 2^63-1 whole units; a "1E" quota
//    parses, as in Kubernetes, but as kMaxMilli. Nothing is reported as an error.
//  * String() prints the canonical form of the milli value, so "1n" prints "1m".
// Otherwise parsing accepts and rejects what ParseQuantity does, with its error texts, and
// String() follows Quantity.String() (format kept from the input: DecimalSI, BinarySI or
// DecimalExponent).
//
// A Quantity is a small value type (16 bytes); it is not synchronised, copy it freely.
#pragma once

#include <boost/json/fwd.hpp>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace shoal::api {

class Quantity {
 public:
  // How String() writes the value (resource.Format).
  enum class Format {
    kDecimalSI,        // 1500m, 2k, 3M
    kBinarySI,         // 1Ki, 512Mi (values below 1024 and fractions print as DecimalSI)
    kDecimalExponent,  // 1e3, 5e-3
  };

  // The saturation bounds; the range is symmetric so that negation never overflows.
  static constexpr int64_t kMaxMilli = INT64_MAX;
  static constexpr int64_t kMinMilli = -INT64_MAX;

  // Zero, DecimalSI.
  constexpr Quantity() = default;

  // A quantity of `milli` thousandths of a unit (clamped to [kMinMilli, kMaxMilli]).
  static Quantity FromMilli(int64_t milli, Format format = Format::kDecimalSI);
  // A quantity of `units` whole units; saturates like parsing.
  static Quantity FromUnits(int64_t units, Format format = Format::kDecimalSI);

  // resource.ParseQuantity: optional sign, digits with an optional fraction, and an optional
  // suffix: binary Ki Mi Gi Ti Pi Ei, decimal n u m k M G T P E, or an exponent e<int>/E<int>.
  // No blanks. Returns InvalidArgument with Kubernetes' message:
  //   "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
  //   for malformed text (""; "abc"; "1.2.3"; "1Zi"; " 1"), and
  //   "unable to parse quantity's suffix" for a well-formed but unknown suffix ("1K", "1i"),
  //   and "unable to parse numeric part of quantity" where Kubernetes gives it ("Pi", "e-10").
  static absl::StatusOr<Quantity> Parse(std::string_view text);

  // The value in milli-units (exact: this is the stored value).
  int64_t MilliValue() const { return milli_; }
  // The value in whole units, rounded up away from zero ("100m" -> 1, "-100m" -> -1), like
  // Quantity.Value().
  int64_t Value() const;
  bool IsZero() const { return milli_ == 0; }
  Format format() const { return format_; }

  // Canonical text (Quantity.String()): "0"; DecimalSI "500m", "1", "1500m", "2k";
  // BinarySI "1Ki", "1536Mi" (DecimalSI when below 1024 or fractional); DecimalExponent "1e3".
  std::string String() const;

  // Comparisons look at the value only, never the format ("1Ki" == "1024").
  friend bool operator==(const Quantity& a, const Quantity& b) { return a.milli_ == b.milli_; }
  friend std::strong_ordering operator<=>(const Quantity& a, const Quantity& b) {
    return a.milli_ <=> b.milli_;
  }

  // Saturating arithmetic. The result keeps the left operand's format, or the right one's when
  // the left is zero (Quantity.Add / Sub).
  Quantity operator+(const Quantity& other) const;
  Quantity operator-(const Quantity& other) const;
  Quantity operator-() const { return FromMilli(-milli_, format_); }
  Quantity& operator+=(const Quantity& other) { return *this = *this + other; }
  Quantity& operator-=(const Quantity& other) { return *this = *this - other; }

 private:
  constexpr Quantity(int64_t milli, Format format) : milli_(milli), format_(format) {}

  int64_t milli_ = 0;
  Format format_ = Format::kDecimalSI;
};

// Quantity.UnmarshalJSON: a JSON string (blanks around it are trimmed) or a JSON number; JSON
// null is zero. A number is parsed from the shortest decimal text of the value Boost.JSON holds
// (0.5 -> "0.5" -> 500m), so a fractional number is only as exact as a double, where Kubernetes
// reads the raw digits. Returns InvalidArgument for other JSON types or text Parse rejects.
absl::StatusOr<Quantity> QuantityFromJson(const boost::json::value& value);

}  // namespace shoal::api
