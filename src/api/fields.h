// Field selectors (`?fieldSelector=` and `kubectl --field-selector`), matching
// k8s.io/apimachinery pkg/fields: a comma-separated conjunction of `field=value`,
// `field==value` and `field!=value` terms, with `\`, `,` and `=` in values escaped by a backslash.
//
// A FieldSelector is an immutable value once parsed: its const methods may be called from any
// number of threads at once, and matching allocates nothing. Which field names a resource
// supports (metadata.name, spec.nodeName, status.phase...) is the caller's business.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace shoal::api {

// An object's selectable fields as (name, value) pairs, e.g. {"metadata.name", "web-0"}.
// Order does not matter; a field absent from the set reads as "".
using Fields = std::vector<std::pair<std::string, std::string>>;

// Escapes `\`, `,` and `=` with a backslash so that `value` can be written into a selector
// string (fields.EscapeValue).
std::string EscapeFieldSelectorValue(std::string_view value);

class FieldSelector {
 public:
  // One term: `field=value` (negated == false) or `field!=value` (negated == true); the value is
  // unescaped.
  struct Term {
    std::string field;
    bool negated = false;
    std::string value;
  };

  // Selects everything.
  FieldSelector() = default;

  // fields.ParseSelector. "" selects everything; empty terms ("a=b,,c=d") are skipped; a term is
  // split at its first operator (`!=`, then `==`, then `=`), so field names cannot contain them.
  // No blank is trimmed: "a = b" is field "a " and value " b", as in Kubernetes.
  // Returns InvalidArgument: "invalid selector: 'x'; can't understand 'x'" for a term without an
  // operator, "invalid field selector: invalid escape sequence: \\q" for an unknown escape, and
  // "invalid field selector: unescaped character in value: '='" for a bare `,`/`=` in a value.
  static absl::StatusOr<FieldSelector> Parse(std::string_view text);

  // Whether every term holds; a field missing from `fields` is compared as "".
  bool Matches(const Fields& fields) const;

  // True when the selector has no terms (selects everything).
  bool Empty() const { return terms_.empty(); }

  // The distinct field names the terms mention, in the order of terms().
  std::vector<std::string> FieldNames() const;

  // fields.Selector.RequiresExactMatch: the value of the first `field=value` (or `==`) term on
  // `field`, for index lookups; nullopt when there is none.
  std::optional<std::string> RequiredValue(std::string_view field) const;

  // Kubernetes' canonical text: terms in sorted order, `f=v` / `f!=v` with escaped values,
  // joined by ","; "" when empty. Parse(String()) gives back an equivalent selector.
  std::string String() const;

  // The terms, ordered as Kubernetes orders them (by their source text).
  const std::vector<Term>& terms() const { return terms_; }

 private:
  std::vector<Term> terms_;
};

}  // namespace shoal::api
