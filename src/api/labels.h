// Label sets and label selectors, matching k8s.io/apimachinery pkg/labels (the `?labelSelector=`
// string syntax) and metav1.LabelSelector (matchLabels / matchExpressions in object specs).
//
// LabelSelector and LabelRequirement are immutable values once built: every const method may be
// called from any number of threads at once. Matching allocates nothing, so one parsed selector
// can be shared by a watch cache or a controller and applied to every object.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace shoal::api {

// An object's labels as (key, value) pairs sorted by key, keys unique (LabelsFromJson builds it
// that way). Matching does not rely on the order, so a hand-built unsorted set still works.
using Labels = std::vector<std::pair<std::string, std::string>>;

// The labels of `metadata.labels`: the (string) members of a JSON object, sorted by key.
// nullptr or a non-object gives an empty set; members whose value is not a string are skipped
// (the API layer rejects them when it validates the object).
Labels LabelsFromJson(const boost::json::value* labels_object);

// The operators of k8s.io/apimachinery/pkg/selection.
enum class SelectorOperator {
  kIn,            // "in"
  kNotIn,         // "notin"
  kEquals,        // "="
  kDoubleEquals,  // "=="
  kNotEquals,     // "!="
  kExists,        // "exists": key alone
  kDoesNotExist,  // "!": !key
  kGreaterThan,   // "gt": key>5
  kLessThan,      // "lt": key<5
};

// One term of a selector: a key, an operator and its values (labels.Requirement).
class LabelRequirement {
 public:
  // labels.NewRequirement: validates the key (label key rules), each value (label value rules),
  // and the number of values for the operator (In/NotIn: at least one; =, ==, !=, gt, lt:
  // exactly one; gt/lt: a base-10 int64; Exists/DoesNotExist: none). Values are kept in the
  // given order. Returns InvalidArgument with apimachinery's aggregated field-error text.
  static absl::StatusOr<LabelRequirement> Create(std::string key, SelectorOperator op,
                                                 std::vector<std::string> values);

  const std::string& key() const { return key_; }
  SelectorOperator op() const { return op_; }
  const std::vector<std::string>& values() const { return values_; }

  // Whether `labels` satisfy this requirement. A missing key satisfies only NotIn, != and !key.
  // gt/lt compare base-10 integers; a label value that is not one never matches.
  bool Matches(const Labels& labels) const;

  // Kubernetes' text form, e.g. "a in (x,y)", "!a", "a>5"; values are printed sorted.
  std::string String() const;

 private:
  friend class LabelSelector;  // FromSet builds unvalidated requirements.
  LabelRequirement(std::string key, SelectorOperator op, std::vector<std::string> values,
                   int64_t number)
      : key_(std::move(key)), op_(op), values_(std::move(values)), number_(number) {}

  std::string key_;
  SelectorOperator op_;
  std::vector<std::string> values_;
  int64_t number_;  // The parsed value of gt / lt; unused for other operators.
};

// A conjunction of requirements (labels.Selector). The default value selects everything.
class LabelSelector {
 public:
  // Selects everything (labels.Everything()); same as a default-constructed selector.
  LabelSelector() = default;
  static LabelSelector Everything() { return LabelSelector(); }
  // Selects nothing (labels.Nothing(), what a nil metav1.LabelSelector means).
  static LabelSelector Nothing();

  // labels.Parse: the selector string syntax of `?labelSelector=` and `kubectl -l`:
  //   a=b, a==b, a!=b, a in (x,y), a notin (x,y), a, !a, a>5, a<5, comma-separated (AND),
  //   blanks allowed around tokens. "" selects everything. `a in ()` is accepted and means
  //   `a in ("")`, as in Kubernetes.
  // Returns InvalidArgument with Kubernetes' message, e.g.
  //   "unable to parse requirement: <nil>: Invalid value: \"a b\": name part must consist of..."
  //   "found ')', expected: ',' or 'end of string'".
  static absl::StatusOr<LabelSelector> Parse(std::string_view text);

  // A selector requiring key=value for every pair of `set` (labels.SelectorFromValidatedSet,
  // used for Service / ReplicationController `spec.selector` maps). No validation; an empty set
  // selects everything.
  static LabelSelector FromSet(const Labels& set);

  // A selector from already-built requirements; they are sorted by key (stable).
  static LabelSelector FromRequirements(std::vector<LabelRequirement> requirements);

  // Whether every requirement holds for `labels`. Always true for Everything(), false for
  // Nothing().
  bool Matches(const Labels& labels) const;

  // True when the selector does not restrict anything (no requirements). Nothing() is not
  // empty, as in Kubernetes.
  bool Empty() const { return !nothing_ && requirements_.empty(); }

  // True only for Nothing().
  bool MatchesNothing() const { return nothing_; }

  // Kubernetes' canonical text: requirements sorted by key, joined by ","; "" for Everything()
  // and Nothing(). Parse(String()) gives back an equivalent selector.
  std::string String() const;

  // labels.Selector.RequiresExactMatch: when the first requirement on `key` is `key=v`, `key==v`
  // or `key in (v)` with a single value, that value (for index lookups); otherwise nullopt.
  std::optional<std::string> RequiredValue(std::string_view key) const;

  // The requirements, sorted by key.
  const std::vector<LabelRequirement>& requirements() const { return requirements_; }

 private:
  std::vector<LabelRequirement> requirements_;
  bool nothing_ = false;
};

// metav1.LabelSelectorAsSelector on the JSON form of a metav1.LabelSelector:
//   {"matchLabels": {"k": "v"}, "matchExpressions": [{"key": "k", "operator": "In",
//    "values": ["a"]}]} with operators In, NotIn, Exists, DoesNotExist.
// JSON null selects nothing; an object with no terms selects everything. Returns
// InvalidArgument for a wrong JSON shape, an unknown operator
// ("\"Foo\" is not a valid label selector operator") or an invalid requirement.
absl::StatusOr<LabelSelector> FromLabelSelectorJson(const boost::json::value& selector);

}  // namespace shoal::api
