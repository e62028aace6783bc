#include "api/yaml.h"

#include <yaml.h>

#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <regex>
#include <string>

#include "base/status_macros.h"
#include "base/strings.h"

namespace shoal::api {

namespace json = boost::json;

namespace {

constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";
constexpr std::string_view kIntTag = "tag:yaml.org,2002:int";
constexpr std::string_view kFloatTag = "tag:yaml.org,2002:float";
constexpr std::string_view kBoolTag = "tag:yaml.org,2002:bool";
constexpr std::string_view kNullTag = "tag:yaml.org,2002:null";

std::string_view View(const yaml_char_t* s, size_t n) {
  return {reinterpret_cast<const char*>(s), n};
}
std::string_view View(const yaml_char_t* s) {
  return s == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(s));
}

bool IsOneOf(std::string_view s, std::initializer_list<std::string_view> set) {
  for (std::string_view x : set) {
    if (s == x) return true;
  }
  return false;
}

// An integer as go-yaml v2 reads one (strconv.ParseInt with base 0 after dropping '_'):
// optional sign, then 0x hex, 0o or leading-0 octal, 0b binary, or decimal.
std::optional<json::value> ParseInteger(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c != '_') s.push_back(c);
  }
  if (s.empty()) return std::nullopt;
  bool negative = false;
  size_t i = 0;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    i = 1;
  }
  int base = 10;
  if (s.size() - i > 1 && s[i] == '0') {
    char p = s[i + 1];
    if (p == 'x' || p == 'X') {
      base = 16;
      i += 2;
    } else if (p == 'o' || p == 'O') {
      base = 8;
      i += 2;
    } else if (p == 'b' || p == 'B') {
      base = 2;
      i += 2;
    } else {
      base = 8;
      i += 1;
    }
  }
  if (i >= s.size()) return std::nullopt;
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(s.data() + i, s.data() + s.size(), magnitude, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  if (!negative) {
    if (magnitude <= static_cast<uint64_t>(INT64_MAX)) {
      return json::value(static_cast<int64_t>(magnitude));
    }
    return json::value(magnitude);
  }
  if (magnitude <= static_cast<uint64_t>(INT64_MAX) + 1) {
    return json::value(static_cast<int64_t>(0 - magnitude));
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<json::value>> ParseFloat(std::string_view s) {
  std::string lower;
  for (char c : s) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (IsOneOf(lower, {".inf", "+.inf", "-.inf", ".nan"})) {
    return absl::InvalidArgumentError(
        base::StrCat("yaml: the number ", s, " has no JSON representation"));
  }
  static const std::regex kFloat(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
  std::string plain;
  for (char c : s) {
    if (c != '_') plain.push_back(c);
  }
  if (!std::regex_match(plain, kFloat)) return std::optional<json::value>();
  double d = 0;
  const char* begin = plain.data() + (plain[0] == '+' ? 1 : 0);
  auto [end, ec] = std::from_chars(begin, plain.data() + plain.size(), d);
  if (ec != std::errc() || end != plain.data() + plain.size() || !std::isfinite(d)) {
    return absl::InvalidArgumentError(
        base::StrCat("yaml: the number ", s, " has no JSON representation"));
  }
  return std::optional<json::value>(json::value(d));
}

// A plain (unquoted, untagged) scalar, resolved by YAML 1.1's rules as go-yaml v2 does.
absl::StatusOr<json::value> ResolvePlain(std::string_view s) {
  if (IsOneOf(s, {"", "~", "null", "Null", "NULL"})) return json::value(nullptr);
  if (IsOneOf(s, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})) {
    return json::value(true);
  }
  if (IsOneOf(s, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})) {
    return json::value(false);
  }
  char c = s[0];
  if (c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9')) {
    if (std::optional<json::value> i = ParseInteger(s)) return *i;
    ASSIGN_OR_RETURN(std::optional<json::value> f, ParseFloat(s));
    if (f) return *f;
  }
  return json::value(json::string(s));
}

std::string KeyText(const json::value& key) {
  if (key.is_string()) return std::string(key.get_string());
  if (key.is_null()) return "null";
  return json::serialize(key);
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<std::string>* duplicates) : duplicates_(duplicates) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  ~Parser() { yaml_parser_delete(&parser_); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  absl::StatusOr<json::value> Document() {
    Event e;
    RETURN_IF_ERROR(Next(e));  // STREAM_START
    RETURN_IF_ERROR(Next(e));
    if (e.ev.type == YAML_STREAM_END_EVENT) return json::value(nullptr);  // empty input
    Event node;
    RETURN_IF_ERROR(Next(node));  // after DOCUMENT_START
    ASSIGN_OR_RETURN(json::value root, Value(node, ""));
    RETURN_IF_ERROR(Next(e));  // DOCUMENT_END
    RETURN_IF_ERROR(Next(e));
    if (e.ev.type != YAML_STREAM_END_EVENT) {
      return absl::InvalidArgumentError(
          "yaml: the body holds more than one document; send one object per request");
    }
    return root;
  }

 private:
  struct Event {
    yaml_event_t ev{};
    bool live = false;
    Event() = default;
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;
    ~Event() { Reset(); }
    void Reset() {
      if (live) yaml_event_delete(&ev);
      live = false;
    }
  };

  absl::Status Next(Event& e) {
    e.Reset();
    if (!yaml_parser_parse(&parser_, &e.ev)) {
      return absl::InvalidArgumentError(base::StrCat(
          "yaml: line ", parser_.problem_mark.line + 1, ", column ",
          parser_.problem_mark.column + 1, ": ",
          parser_.problem != nullptr ? parser_.problem : "invalid YAML",
          parser_.context != nullptr ? base::StrCat(" ", parser_.context) : std::string()));
    }
    e.live = true;
    return absl::OkStatus();
  }

  void Remember(const yaml_char_t* anchor, const json::value& v) {
    if (anchor != nullptr) anchors_[std::string(View(anchor))] = v;
  }

  absl::StatusOr<json::value> Scalar(const yaml_event_t& ev) {
    const auto& sc = ev.data.scalar;
    std::string_view text = View(sc.value, sc.length);
    std::string_view tag = View(sc.tag);
    if (tag == kStrTag || (tag.empty() && sc.style != YAML_PLAIN_SCALAR_STYLE)) {
      return json::value(json::string(text));
    }
    if (tag.empty() || tag == "!" || tag == kIntTag || tag == kFloatTag || tag == kBoolTag ||
        tag == kNullTag) {
      return ResolvePlain(text);
    }
    return json::value(json::string(text));  // other tags: the text as it is
  }

  absl::StatusOr<json::value> Value(Event& first, const std::string& path) {
    const yaml_event_t& ev = first.ev;
    switch (ev.type) {
      case YAML_SCALAR_EVENT: {
        ASSIGN_OR_RETURN(json::value v, Scalar(ev));
        Remember(ev.data.scalar.anchor, v);
        return v;
      }
      case YAML_ALIAS_EVENT: {
        auto it = anchors_.find(std::string(View(ev.data.alias.anchor)));
        if (it == anchors_.end()) {
          return absl::InvalidArgumentError(
              base::StrCat("yaml: unknown anchor '", View(ev.data.alias.anchor), "' referenced"));
        }
        return it->second;
      }
      case YAML_SEQUENCE_START_EVENT: {
        std::string anchor(View(ev.data.sequence_start.anchor));
        json::array out;
        for (size_t i = 0;; ++i) {
          Event item;
          RETURN_IF_ERROR(Next(item));
          if (item.ev.type == YAML_SEQUENCE_END_EVENT) break;
          ASSIGN_OR_RETURN(json::value v, Value(item, base::StrCat(path, "[", i, "]")));
          out.push_back(std::move(v));
        }
        json::value v(std::move(out));
        if (!anchor.empty()) anchors_[anchor] = v;
        return v;
      }
      case YAML_MAPPING_START_EVENT: {
        std::string anchor(View(ev.data.mapping_start.anchor));
        json::object out;
        for (;;) {
          Event key_event;
          RETURN_IF_ERROR(Next(key_event));
          if (key_event.ev.type == YAML_MAPPING_END_EVENT) break;
          ASSIGN_OR_RETURN(json::value key_value, Value(key_event, path));
          std::string key = KeyText(key_value);
          std::string child = path.empty() ? key : base::StrCat(path, ".", key);
          Event value_event;
          RETURN_IF_ERROR(Next(value_event));
          ASSIGN_OR_RETURN(json::value v, Value(value_event, child));
          if (out.contains(key) && duplicates_ != nullptr) duplicates_->push_back(child);
          out[key] = std::move(v);
        }
        json::value v(std::move(out));
        if (!anchor.empty()) anchors_[anchor] = v;
        return v;
      }
      default:
        return absl::InvalidArgumentError("yaml: unexpected event");
    }
  }

  yaml_parser_t parser_;
  std::map<std::string, json::value> anchors_;
  std::vector<std::string>* duplicates_;
};

}  // namespace

absl::StatusOr<json::value> ParseYaml(std::string_view text,
                                      std::vector<std::string>* duplicate_paths) {
  Parser parser(text, duplicate_paths);
  return parser.Document();
}

}  // namespace shoal::api
