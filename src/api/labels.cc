#include "api/labels.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_join.h"
#include "api/validation.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace shoal::api {
namespace {

// ---------------------------------------------------------------------------------------------
// Error text. apimachinery reports requirement problems as field.Error values
// ("<path>: Invalid value: <value>: <detail>") aggregated by utilerrors.NewAggregate; the
// helpers below reproduce that text so that clients see the messages they know.

// Go's strconv.Quote (what %q prints) for the byte strings we meet here: printable ASCII as is,
// the usual backslash escapes, \xNN for other control bytes. Bytes >= 0x80 are copied.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

// How field.Invalid renders a []string bad value: json.Marshal, so nil prints as null.
std::string GoJsonStrings(const std::vector<std::string>& values) {
  if (values.empty()) return "null";
  boost::json::array array;
  for (const std::string& v : values) array.emplace_back(v);
  return boost::json::serialize(array);
}

std::string InvalidValue(std::string_view path, std::string_view rendered_value,
                         absl::string_view detail) {
  return base::StrCat(path, ": Invalid value: ", rendered_value, ": ", detail);
}

// utilerrors.NewAggregate(...).Error(): one message alone, several deduplicated in brackets.
std::string Aggregate(const std::vector<std::string>& errs) {
  std::vector<std::string> unique;
  for (const std::string& e : errs) {
    if (std::find(unique.begin(), unique.end(), e) == unique.end()) unique.push_back(e);
  }
  if (unique.size() == 1) return unique[0];
  return base::StrCat("[", absl::StrJoin(unique, ", "), "]");
}

// strconv.ParseInt(s, 10, 64): optional sign, at least one digit, nothing else, no overflow.
std::optional<int64_t> ParseGoInt64(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (negative) {
    if (magnitude > kMax + 1) return std::nullopt;
    return magnitude == kMax + 1 ? INT64_MIN : -static_cast<int64_t>(magnitude);
  }
  if (magnitude > kMax) return std::nullopt;
  return static_cast<int64_t>(magnitude);
}

// The label value for `key`, or nullptr. Linear: objects carry few labels, and it keeps
// matching correct even for a hand-built unsorted set.
const std::string* FindLabel(const Labels& labels, std::string_view key) {
  for (const auto& [k, v] : labels) {
    if (k == key) return &v;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// The selector string lexer and parser: a transcription of the recursive-descent parser in
// apimachinery labels/selector.go, so that accepted inputs, results and error texts agree.

enum class Token {
  kEndOfString,
  kClosedPar,
  kComma,
  kDoesNotExist,  // "!"
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct ScannedItem {
  Token token;
  std::string_view literal;
};

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsSpecialSymbol(char c) {
  switch (c) {
    case '=':
    case '!':
    case '(':
    case ')':
    case ',':
    case '>':
    case '<':
      return true;
    default:
      return false;
  }
}

// Splits `text` into tokens ending with kEndOfString. Like the Go lexer, a NUL byte where a
// token may start ends the input, and a NUL inside an identifier ends that identifier.
std::vector<ScannedItem> Scan(std::string_view text) {
  std::vector<ScannedItem> items;
  size_t pos = 0;
  const size_t n = text.size();
  while (true) {
    while (pos < n && IsWhitespace(text[pos])) ++pos;
    if (pos >= n || text[pos] == '\0') {
      items.push_back({Token::kEndOfString, ""});
      return items;
    }
    const size_t start = pos;
    if (IsSpecialSymbol(text[pos])) {
      // Longest operator wins; only "!=" and "==" have two characters.
      if (pos + 1 < n && text[pos + 1] == '=' && (text[pos] == '!' || text[pos] == '=')) {
        pos += 2;
        items.push_back(
            {text[start] == '!' ? Token::kNotEquals : Token::kDoubleEquals, text.substr(start, 2)});
        continue;
      }
      ++pos;
      Token token = Token::kEquals;
      switch (text[start]) {
        case '=':
          token = Token::kEquals;
          break;
        case '!':
          token = Token::kDoesNotExist;
          break;
        case '(':
          token = Token::kOpenPar;
          break;
        case ')':
          token = Token::kClosedPar;
          break;
        case ',':
          token = Token::kComma;
          break;
        case '>':
          token = Token::kGreaterThan;
          break;
        case '<':
          token = Token::kLessThan;
          break;
      }
      items.push_back({token, text.substr(start, 1)});
      continue;
    }
    while (pos < n && text[pos] != '\0' && !IsSpecialSymbol(text[pos]) &&
           !IsWhitespace(text[pos])) {
      ++pos;
    }
    std::string_view word = text.substr(start, pos - start);
    if (pos < n && text[pos] == '\0') ++pos;  // The Go lexer consumes the NUL.
    Token token = Token::kIdentifier;
    if (word == "in") token = Token::kIn;
    if (word == "notin") token = Token::kNotIn;
    items.push_back({token, word});
  }
}

enum class Context { kKeyAndOperator, kValues };

class Parser {
 public:
  explicit Parser(std::string_view text) : items_(Scan(text)) {}

  absl::StatusOr<std::vector<LabelRequirement>> Parse() {
    std::vector<LabelRequirement> requirements;
    while (true) {
      auto [token, literal] = Lookahead(Context::kValues);
      switch (token) {
        case Token::kIdentifier:
        case Token::kDoesNotExist: {
          absl::StatusOr<LabelRequirement> r = ParseRequirement();
          if (!r.ok()) {
            return absl::InvalidArgumentError(
                base::StrCat("unable to parse requirement: ", r.status().message()));
          }
          requirements.push_back(*std::move(r));
          auto [t, l] = Consume(Context::kValues);
          if (t == Token::kEndOfString) return requirements;
          if (t != Token::kComma) {
            return Error("found '", l, "', expected: ',' or 'end of string'");
          }
          auto [t2, l2] = Lookahead(Context::kValues);
          if (t2 != Token::kIdentifier && t2 != Token::kDoesNotExist) {
            return Error("found '", l2, "', expected: identifier after ','");
          }
          break;
        }
        case Token::kEndOfString:
          return requirements;
        default:
          return Error("found '", literal, "', expected: !, identifier, or 'end of string'");
      }
    }
  }

 private:
  template <typename... Args>
  static absl::Status Error(const Args&... args) {
    return absl::InvalidArgumentError(base::StrCat(args...));
  }

  // In a values context the keywords "in" and "notin" are plain identifiers.
  static ScannedItem InContext(ScannedItem item, Context context) {
    if (context == Context::kValues && (item.token == Token::kIn || item.token == Token::kNotIn)) {
      item.token = Token::kIdentifier;
    }
    return item;
  }
  ScannedItem Lookahead(Context context) const { return InContext(items_[position_], context); }
  ScannedItem Consume(Context context) {
    ScannedItem item = InContext(items_[position_], context);
    // Never step past kEndOfString: the Go parser never asks for more after it either.
    if (items_[position_].token != Token::kEndOfString) ++position_;
    return item;
  }

  absl::StatusOr<LabelRequirement> ParseRequirement() {
    // Key, and the operator when it is implied ("key", "!key").
    ScannedItem item = Consume(Context::kValues);
    bool does_not_exist = false;
    if (item.token == Token::kDoesNotExist) {
      does_not_exist = true;
      item = Consume(Context::kValues);
    }
    std::string_view literal = item.literal;
    if (item.token != Token::kIdentifier) {
      return Error("found '", literal, "', expected: identifier");
    }
    if (absl::Status s = ValidateLabelKey(literal); !s.ok()) {
      // The Go parser validates with a nil field path, which prints as "<nil>".
      return absl::InvalidArgumentError(InvalidValue("<nil>", GoQuote(literal), s.message()));
    }
    std::string key(literal);
    Token next = Lookahead(Context::kValues).token;
    if (does_not_exist) {
      return LabelRequirement::Create(std::move(key), SelectorOperator::kDoesNotExist, {});
    }
    if (next == Token::kEndOfString || next == Token::kComma) {
      return LabelRequirement::Create(std::move(key), SelectorOperator::kExists, {});
    }

    ASSIGN_OR_RETURN(SelectorOperator op, ParseOperator());
    std::vector<std::string> values;
    if (op == SelectorOperator::kIn || op == SelectorOperator::kNotIn) {
      ASSIGN_OR_RETURN(values, ParseValues());
    } else {
      ASSIGN_OR_RETURN(values, ParseExactValue());
    }
    // sets.String.List(): sorted, without duplicates.
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return LabelRequirement::Create(std::move(key), op, std::move(values));
  }

  absl::StatusOr<SelectorOperator> ParseOperator() {
    auto [token, literal] = Consume(Context::kKeyAndOperator);
    switch (token) {
      case Token::kIn:
        return SelectorOperator::kIn;
      case Token::kEquals:
        return SelectorOperator::kEquals;
      case Token::kDoubleEquals:
        return SelectorOperator::kDoubleEquals;
      case Token::kGreaterThan:
        return SelectorOperator::kGreaterThan;
      case Token::kLessThan:
        return SelectorOperator::kLessThan;
      case Token::kNotIn:
        return SelectorOperator::kNotIn;
      case Token::kNotEquals:
        return SelectorOperator::kNotEquals;
      default:
        return Error("found '", literal, "', expected: in, notin, =, ==, !=, gt, lt");
    }
  }

  // "(" values ")", where empty entries ("(,a)", "(a,,b)", "()") stand for the empty value.
  absl::StatusOr<std::vector<std::string>> ParseValues() {
    ScannedItem item = Consume(Context::kValues);
    if (item.token != Token::kOpenPar) return Error("found '", item.literal, "' expected: '('");
    item = Lookahead(Context::kValues);
    std::string_view literal = item.literal;
    switch (item.token) {
      case Token::kIdentifier:
      case Token::kComma: {
        ASSIGN_OR_RETURN(std::vector<std::string> values, ParseIdentifiersList());
        if (Consume(Context::kValues).token != Token::kClosedPar) {
          // Kubernetes quotes the token seen after '(' here, not the offending one.
          return Error("found '", literal, "', expected: ')'");
        }
        return values;
      }
      case Token::kClosedPar:
        Consume(Context::kValues);
        return std::vector<std::string>{""};
      default:
        return Error("found '", literal, "', expected: ',', ')' or identifier");
    }
  }

  absl::StatusOr<std::vector<std::string>> ParseIdentifiersList() {
    std::vector<std::string> values;
    while (true) {
      auto [token, literal] = Consume(Context::kValues);
      switch (token) {
        case Token::kIdentifier: {
          values.emplace_back(literal);
          auto [token2, literal2] = Lookahead(Context::kValues);
          if (token2 == Token::kComma) continue;
          if (token2 == Token::kClosedPar) return values;
          return Error("found '", literal2, "', expected: ',' or ')'");
        }
        case Token::kComma: {
          if (values.empty()) values.emplace_back();  // "(,"
          Token token2 = Lookahead(Context::kValues).token;
          if (token2 == Token::kClosedPar) {  // ",)"
            values.emplace_back();
            return values;
          }
          if (token2 == Token::kComma) {  // ",,"
            Consume(Context::kValues);
            values.emplace_back();
          }
          break;
        }
        default:
          return Error("found '", literal, "', expected: ',', or identifier");
      }
    }
  }

  // The single value after =, ==, !=, > or <; nothing before ',' or the end means "".
  absl::StatusOr<std::vector<std::string>> ParseExactValue() {
    Token next = Lookahead(Context::kValues).token;
    if (next == Token::kEndOfString || next == Token::kComma) return std::vector<std::string>{""};
    auto [token, literal] = Consume(Context::kValues);
    if (token == Token::kIdentifier) return std::vector<std::string>{std::string(literal)};
    return Error("found '", literal, "', expected: identifier");
  }

  std::vector<ScannedItem> items_;
  size_t position_ = 0;
};

void SortByKey(std::vector<LabelRequirement>& requirements) {
  std::stable_sort(
      requirements.begin(), requirements.end(),
      [](const LabelRequirement& a, const LabelRequirement& b) { return a.key() < b.key(); });
}

}  // namespace

// -----------------------------------------------------------------------------------------------

Labels LabelsFromJson(const boost::json::value* labels_object) {
  Labels labels;
  if (labels_object == nullptr || !labels_object->is_object()) return labels;
  const boost::json::object& object = labels_object->get_object();
  labels.reserve(object.size());
  for (const auto& member : object) {
    if (!member.value().is_string()) continue;
    labels.emplace_back(std::string(member.key()), std::string(member.value().get_string()));
  }
  std::sort(labels.begin(), labels.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return labels;
}

absl::StatusOr<LabelRequirement> LabelRequirement::Create(std::string key, SelectorOperator op,
                                                          std::vector<std::string> values) {
  // Same checks, order and paths as labels.NewRequirement called without a field path.
  std::vector<std::string> errs;
  if (absl::Status s = ValidateLabelKey(key); !s.ok()) {
    errs.push_back(InvalidValue("key", GoQuote(key), s.message()));
  }
  int64_t number = 0;
  switch (op) {
    case SelectorOperator::kIn:
    case SelectorOperator::kNotIn:
      if (values.empty()) {
        errs.push_back(InvalidValue("values", GoJsonStrings(values),
                                    "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case SelectorOperator::kEquals:
    case SelectorOperator::kDoubleEquals:
    case SelectorOperator::kNotEquals:
      if (values.size() != 1) {
        errs.push_back(InvalidValue("values", GoJsonStrings(values),
                                    "exact-match compatibility requires one single value"));
      }
      break;
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      if (!values.empty()) {
        errs.push_back(InvalidValue("values", GoJsonStrings(values),
                                    "values set must be empty for exists and does not exist"));
      }
      break;
    case SelectorOperator::kGreaterThan:
    case SelectorOperator::kLessThan:
      if (values.size() != 1) {
        errs.push_back(InvalidValue("values", GoJsonStrings(values),
                                    "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      for (size_t i = 0; i < values.size(); ++i) {
        std::optional<int64_t> parsed = ParseGoInt64(values[i]);
        if (!parsed) {
          errs.push_back(InvalidValue(base::StrCat("values[", i, "]"), GoQuote(values[i]),
                                      "for 'Gt', 'Lt' operators, the value must be an integer"));
        } else if (i == 0) {
          number = *parsed;
        }
      }
      break;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (absl::Status s = ValidateLabelValue(values[i]); !s.ok()) {
      errs.push_back(InvalidValue(base::StrCat("values[", i, "][", key, "]"), GoQuote(values[i]),
                                  s.message()));
    }
  }
  if (!errs.empty()) return absl::InvalidArgumentError(Aggregate(errs));
  return LabelRequirement(std::move(key), op, std::move(values), number);
}

bool LabelRequirement::Matches(const Labels& labels) const {
  const std::string* value = FindLabel(labels, key_);
  auto has_value = [&] {
    return std::find(values_.begin(), values_.end(), *value) != values_.end();
  };
  switch (op_) {
    case SelectorOperator::kIn:
    case SelectorOperator::kEquals:
    case SelectorOperator::kDoubleEquals:
      return value != nullptr && has_value();
    case SelectorOperator::kNotIn:
    case SelectorOperator::kNotEquals:
      return value == nullptr || !has_value();
    case SelectorOperator::kExists:
      return value != nullptr;
    case SelectorOperator::kDoesNotExist:
      return value == nullptr;
    case SelectorOperator::kGreaterThan:
    case SelectorOperator::kLessThan: {
      if (value == nullptr) return false;
      std::optional<int64_t> label_number = ParseGoInt64(*value);
      if (!label_number) return false;
      return op_ == SelectorOperator::kGreaterThan ? *label_number > number_
                                                   : *label_number < number_;
    }
  }
  return false;
}

std::string LabelRequirement::String() const {
  std::string out;
  if (op_ == SelectorOperator::kDoesNotExist) out += '!';
  out += key_;
  bool parens = false;
  switch (op_) {
    case SelectorOperator::kEquals:
      out += "=";
      break;
    case SelectorOperator::kDoubleEquals:
      out += "==";
      break;
    case SelectorOperator::kNotEquals:
      out += "!=";
      break;
    case SelectorOperator::kIn:
      out += " in (";
      parens = true;
      break;
    case SelectorOperator::kNotIn:
      out += " notin (";
      parens = true;
      break;
    case SelectorOperator::kGreaterThan:
      out += ">";
      break;
    case SelectorOperator::kLessThan:
      out += "<";
      break;
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      return out;
  }
  if (std::is_sorted(values_.begin(), values_.end())) {
    base::StrAppend(&out, absl::StrJoin(values_, ","));
  } else {
    std::vector<std::string> sorted = values_;
    std::sort(sorted.begin(), sorted.end());
    base::StrAppend(&out, absl::StrJoin(sorted, ","));
  }
  if (parens) out += ')';
  return out;
}

LabelSelector LabelSelector::Nothing() {
  LabelSelector selector;
  selector.nothing_ = true;
  return selector;
}

absl::StatusOr<LabelSelector> LabelSelector::Parse(std::string_view text) {
  ASSIGN_OR_RETURN(std::vector<LabelRequirement> requirements, Parser(text).Parse());
  return FromRequirements(std::move(requirements));
}

LabelSelector LabelSelector::FromSet(const Labels& set) {
  std::vector<LabelRequirement> requirements;
  requirements.reserve(set.size());
  for (const auto& [key, value] : set) {
    // Unvalidated, like SelectorFromValidatedSet: build the requirement directly.
    requirements.push_back(LabelRequirement(key, SelectorOperator::kEquals, {value}, 0));
  }
  return FromRequirements(std::move(requirements));
}

LabelSelector LabelSelector::FromRequirements(std::vector<LabelRequirement> requirements) {
  LabelSelector selector;
  selector.requirements_ = std::move(requirements);
  SortByKey(selector.requirements_);
  return selector;
}

bool LabelSelector::Matches(const Labels& labels) const {
  if (nothing_) return false;
  for (const LabelRequirement& r : requirements_) {
    if (!r.Matches(labels)) return false;
  }
  return true;
}

std::string LabelSelector::String() const {
  std::string out;
  for (const LabelRequirement& r : requirements_) {
    if (!out.empty()) out += ',';
    out += r.String();
  }
  return out;
}

std::optional<std::string> LabelSelector::RequiredValue(std::string_view key) const {
  for (const LabelRequirement& r : requirements_) {
    if (r.key() != key) continue;
    switch (r.op()) {
      case SelectorOperator::kEquals:
      case SelectorOperator::kDoubleEquals:
      case SelectorOperator::kIn:
        if (r.values().size() == 1) return r.values()[0];
        return std::nullopt;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

absl::StatusOr<LabelSelector> FromLabelSelectorJson(const boost::json::value& selector) {
  if (selector.is_null()) return LabelSelector::Nothing();
  if (!selector.is_object()) {
    return absl::InvalidArgumentError("label selector: must be a JSON object or null");
  }
  const boost::json::object& object = selector.get_object();
  std::vector<LabelRequirement> requirements;

  if (const boost::json::value* match_labels = object.if_contains("matchLabels");
      match_labels != nullptr && !match_labels->is_null()) {
    if (!match_labels->is_object()) {
      return absl::InvalidArgumentError("label selector: matchLabels must be a JSON object");
    }
    for (const auto& member : match_labels->get_object()) {
      if (!member.value().is_string()) {
        return absl::InvalidArgumentError(base::StrCat(
            "label selector: matchLabels[", GoQuote(member.key()), "] must be a string"));
      }
      ASSIGN_OR_RETURN(LabelRequirement r, LabelRequirement::Create(
                                               std::string(member.key()), SelectorOperator::kEquals,
                                               {std::string(member.value().get_string())}));
      requirements.push_back(std::move(r));
    }
  }

  if (const boost::json::value* expressions = object.if_contains("matchExpressions");
      expressions != nullptr && !expressions->is_null()) {
    if (!expressions->is_array()) {
      return absl::InvalidArgumentError("label selector: matchExpressions must be a JSON array");
    }
    size_t index = 0;
    for (const boost::json::value& expression : expressions->get_array()) {
      const std::string where = base::StrCat("label selector: matchExpressions[", index++, "]");
      if (!expression.is_object()) {
        return absl::InvalidArgumentError(base::StrCat(where, " must be a JSON object"));
      }
      const boost::json::object& e = expression.get_object();
      std::string key;
      std::string op_name;
      std::vector<std::string> values;
      if (const boost::json::value* v = e.if_contains("key"); v != nullptr && !v->is_null()) {
        if (!v->is_string()) {
          return absl::InvalidArgumentError(base::StrCat(where, ".key must be a string"));
        }
        key = v->get_string();
      }
      if (const boost::json::value* v = e.if_contains("operator"); v != nullptr && !v->is_null()) {
        if (!v->is_string()) {
          return absl::InvalidArgumentError(base::StrCat(where, ".operator must be a string"));
        }
        op_name = v->get_string();
      }
      if (const boost::json::value* v = e.if_contains("values"); v != nullptr && !v->is_null()) {
        if (!v->is_array()) {
          return absl::InvalidArgumentError(
              base::StrCat(where, ".values must be an array of strings"));
        }
        for (const boost::json::value& item : v->get_array()) {
          if (!item.is_string()) {
            return absl::InvalidArgumentError(
                base::StrCat(where, ".values must be an array of strings"));
          }
          values.emplace_back(item.get_string());
        }
      }
      SelectorOperator op;
      if (op_name == "In") {
        op = SelectorOperator::kIn;
      } else if (op_name == "NotIn") {
        op = SelectorOperator::kNotIn;
      } else if (op_name == "Exists") {
        op = SelectorOperator::kExists;
      } else if (op_name == "DoesNotExist") {
        op = SelectorOperator::kDoesNotExist;
      } else {
        return absl::InvalidArgumentError(
            base::StrCat(GoQuote(op_name), " is not a valid label selector operator"));
      }
      ASSIGN_OR_RETURN(LabelRequirement r,
                       LabelRequirement::Create(std::move(key), op, std::move(values)));
      requirements.push_back(std::move(r));
    }
  }
  // An object without terms selects everything, which FromRequirements({}) is.
  return LabelSelector::FromRequirements(std::move(requirements));
}

}  // namespace shoal::api
