#include "api/fields.h"

#include <algorithm>

#include "absl/status/status.h"
#include "base/strings.h"

namespace shoal::api {
namespace {

// Splits at commas not preceded by a backslash escape; backslashes stay in the output
// (fields.splitTerms).
std::vector<std::string_view> SplitTerms(std::string_view text) {
  std::vector<std::string_view> terms;
  if (text.empty()) return terms;
  size_t start = 0;
  bool in_slash = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (in_slash) {
      in_slash = false;
    } else if (text[i] == '\\') {
      in_slash = true;
    } else if (text[i] == ',') {
      terms.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(text.substr(start));
  return terms;
}

// The number of bytes of the UTF-8 sequence that starts with `lead` (1 for anything else), so
// that an escape error quotes a whole character as Go does.
size_t Utf8Length(unsigned char lead) {
  if (lead >= 0xF0 && lead < 0xF8) return 4;
  if (lead >= 0xE0) return lead < 0xF0 ? 3 : 1;
  if (lead >= 0xC0) return 2;
  return 1;
}

// fields.UnescapeValue.
absl::StatusOr<std::string> UnescapeValue(std::string_view s) {
  if (s.find_first_of("\\,=") == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\') {
      if (i + 1 == s.size()) {
        return absl::InvalidArgumentError("invalid field selector: invalid escape sequence: \\");
      }
      char next = s[i + 1];
      if (next != '\\' && next != ',' && next != '=') {
        size_t len = std::min(Utf8Length(static_cast<unsigned char>(next)), s.size() - i - 1);
        return absl::InvalidArgumentError(base::StrCat(
            "invalid field selector: invalid escape sequence: \\", s.substr(i + 1, len)));
      }
      out += next;
      ++i;
    } else if (c == ',' || c == '=') {
      // Kubernetes prints the character's code point here (e.g. "61"); quoting the character
      // itself reads better and carries the same information.
      return absl::InvalidArgumentError(base::StrCat(
          "invalid field selector: unescaped character in value: '", std::string(1, c), "'"));
    } else {
      out += c;
    }
  }
  return out;
}

const std::string* FindField(const Fields& fields, std::string_view name) {
  for (const auto& [k, v] : fields) {
    if (k == name) return &v;
  }
  return nullptr;
}

}  // namespace

std::string EscapeFieldSelectorValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == ',' || c == '=') out += '\\';
    out += c;
  }
  return out;
}

absl::StatusOr<FieldSelector> FieldSelector::Parse(std::string_view text) {
  std::vector<std::string_view> parts = SplitTerms(text);
  // Kubernetes sorts the raw terms, which fixes the order of terms() and String().
  std::sort(parts.begin(), parts.end());
  FieldSelector selector;
  for (std::string_view part : parts) {
    if (part.empty()) continue;
    // The first position where an operator starts, trying "!=" before "==" before "="
    // (fields.splitTerm): field names cannot be escaped.
    size_t op_pos = std::string_view::npos;
    size_t op_len = 0;
    bool negated = false;
    for (size_t i = 0; i < part.size() && op_pos == std::string_view::npos; ++i) {
      std::string_view rest = part.substr(i);
      if (rest.starts_with("!=")) {
        op_pos = i, op_len = 2, negated = true;
      } else if (rest.starts_with("==")) {
        op_pos = i, op_len = 2;
      } else if (rest.starts_with("=")) {
        op_pos = i, op_len = 1;
      }
    }
    if (op_pos == std::string_view::npos) {
      return absl::InvalidArgumentError(
          base::StrCat("invalid selector: '", text, "'; can't understand '", part, "'"));
    }
    absl::StatusOr<std::string> value = UnescapeValue(part.substr(op_pos + op_len));
    if (!value.ok()) return value.status();
    std::string_view field = part.substr(0, op_pos);
    // Kubernetes' identity Transform turns a term with neither field nor value ("=", "!=")
    // into Everything, which drops out of the conjunction.
    if (field.empty() && value->empty()) continue;
    selector.terms_.push_back(Term{std::string(field), negated, *std::move(value)});
  }
  return selector;
}

bool FieldSelector::Matches(const Fields& fields) const {
  static const std::string kEmpty;
  for (const Term& term : terms_) {
    const std::string* value = FindField(fields, term.field);
    const std::string& actual = value != nullptr ? *value : kEmpty;
    if ((actual == term.value) == term.negated) return false;
  }
  return true;
}

std::vector<std::string> FieldSelector::FieldNames() const {
  std::vector<std::string> names;
  for (const Term& term : terms_) {
    if (std::find(names.begin(), names.end(), term.field) == names.end()) {
      names.push_back(term.field);
    }
  }
  return names;
}

std::optional<std::string> FieldSelector::RequiredValue(std::string_view field) const {
  for (const Term& term : terms_) {
    if (!term.negated && term.field == field) return term.value;
  }
  return std::nullopt;
}

std::string FieldSelector::String() const {
  std::string out;
  for (const Term& term : terms_) {
    if (!out.empty()) out += ',';
    base::StrAppend(&out, term.field, term.negated ? "!=" : "=",
                    EscapeFieldSelectorValue(term.value));
  }
  return out;
}

}  // namespace shoal::api
