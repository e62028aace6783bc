// Checking request bodies against schemas: unknown fields (and pruning them), wrong types, the
// value checks of CRD schemas, and duplicate keys found while parsing.
#include <boost/json/basic_parser_impl.hpp>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_set>

#include "api/schema.h"
#include "api/schema_internal.h"
#include "base/strings.h"

namespace shoal::api {

namespace json = boost::json;

namespace {

// The JSON type of a value, as Kubernetes names it in type errors.
std::string_view JsonTypeName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      return "object";
    case json::kind::array:
      return "array";
    case json::kind::string:
      return "string";
    case json::kind::int64:
    case json::kind::uint64:
      return "integer";
    case json::kind::double_:
      return "number";
    case json::kind::bool_:
      return "boolean";
    case json::kind::null:
      return "null";
  }
  return "unknown";
}

std::string_view TypeName(SchemaType t) {
  switch (t) {
    case SchemaType::kAny:
      return "any";
    case SchemaType::kObject:
      return "object";
    case SchemaType::kArray:
      return "array";
    case SchemaType::kString:
      return "string";
    case SchemaType::kInteger:
      return "integer";
    case SchemaType::kNumber:
      return "number";
    case SchemaType::kBoolean:
      return "boolean";
    case SchemaType::kIntOrString:
      return "integer or string";
    case SchemaType::kQuantity:
      return "string or number";
  }
  return "unknown";
}

bool IsInteger(const json::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  if (!v.is_double()) return false;
  double d = v.get_double();
  return std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.3e18;
}

// Offset of the first byte that base64.StdEncoding (Go) rejects, or -1 when `s` decodes.
// Go skips \r and \n.
int64_t Base64ErrorOffset(std::string_view s) {
  size_t n = 0;  // significant characters seen
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\r' || c == '\n') continue;
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c == '=') {
      if (n % 4 < 2 || pad >= 2) return static_cast<int64_t>(i);
      ++pad;
    } else if ((alnum || c == '+' || c == '/') && pad == 0) {
      // ok
    } else {
      return static_cast<int64_t>(i);
    }
    ++n;
  }
  if (n % 4 != 0) return static_cast<int64_t>(s.size());
  return -1;
}

}  // namespace

// Walks a value against a schema, keeping the current path in one growing string.
class SchemaChecker {
 public:
  SchemaChecker(bool prune, FieldIssues* out) : prune_(prune), out_(out) {}

  void Check(const Schema& node, json::value& v) {
    const Schema& s = node.Resolved();
    if (v.is_null()) return;  // null is "unset" for every field
    switch (s.type_) {
      case SchemaType::kAny:
        if (v.is_object() && (!s.properties_.empty() || s.additional_ != nullptr)) {
          Object(s, v.get_object());
        }
        break;
      case SchemaType::kObject:
        if (!v.is_object()) return TypeError(s, v);
        Object(s, v.get_object());
        break;
      case SchemaType::kArray: {
        if (!v.is_array()) return TypeError(s, v);
        json::array& a = v.get_array();
        if (s.enforce_) Items(s, a.size());
        if (s.items_ == nullptr) break;
        size_t base = path_.size();
        for (size_t i = 0; i < a.size(); ++i) {
          base::StrAppend(&path_, "[", i, "]");
          Check(*s.items_, a[i]);
          path_.resize(base);
        }
        break;
      }
      case SchemaType::kString:
        if (!v.is_string()) return TypeError(s, v);
        if (s.format_ == "byte") Base64(v.get_string());
        if (s.enforce_) Length(s, v.get_string());
        break;
      case SchemaType::kInteger:
        if (!IsInteger(v)) return TypeError(s, v);
        if (s.enforce_) Bounds(s, v);
        break;
      case SchemaType::kNumber:
        if (!v.is_number()) return TypeError(s, v);
        if (s.enforce_) Bounds(s, v);
        break;
      case SchemaType::kBoolean:
        if (!v.is_bool()) return TypeError(s, v);
        break;
      case SchemaType::kIntOrString:
        if (!v.is_string() && !IsInteger(v)) return TypeError(s, v);
        break;
      case SchemaType::kQuantity:
        if (!v.is_string() && !v.is_number()) return TypeError(s, v);
        break;
    }
    if (s.enforce_ && !s.enum_.empty()) Enum(s, v);
  }

 private:
  std::string_view Path() const { return path_.empty() ? std::string_view("<root>") : path_; }

  void TypeError(const Schema& s, const json::value& v) {
    std::string_view found = JsonTypeName(v);
    out_->invalid.push_back(base::StrCat(Path(), ": Invalid value: \"", found, "\": ", Path(),
                                         " in body must be of type ", TypeName(s.type_), ": \"",
                                         found, "\""));
  }

  void Object(const Schema& s, json::object& obj) {
    size_t base = path_.size();
    bool any_unknown = false;
    for (json::key_value_pair& kv : obj) {
      const Schema* p = s.FindProperty(kv.key());
      if (p == nullptr) p = s.additional_;
      if (!path_.empty()) path_.push_back('.');
      path_.append(kv.key().data(), kv.key().size());
      if (p != nullptr) {
        Check(*p, kv.value());
      } else if (!s.preserve_unknown_) {
        out_->unknown.push_back(path_);
        any_unknown = true;
      }
      path_.resize(base);
    }
    if (s.enforce_) {
      for (const std::string& r : s.required_) {
        auto it = obj.find(r);
        if (it == obj.end() || it->value().is_null()) {
          out_->invalid.push_back(base::StrCat(path_.empty() ? "" : path_, path_.empty() ? "" : ".",
                                               r, ": Required value"));
        }
      }
      if (s.max_properties_ && static_cast<int64_t>(obj.size()) > *s.max_properties_) {
        out_->invalid.push_back(base::StrCat(Path(), ": Too many: ", obj.size(),
                                             ": must have at most ", *s.max_properties_, " items"));
      }
      if (s.min_properties_ && static_cast<int64_t>(obj.size()) < *s.min_properties_) {
        out_->invalid.push_back(base::StrCat(Path(), ": Invalid value: ", obj.size(), ": ", Path(),
                                             " in body should have at least ", *s.min_properties_,
                                             " properties"));
      }
    }
    if (prune_ && any_unknown) {
      // json::object::erase moves the last member into the gap (Boost 1.81 has no
      // stable_erase); rebuild instead so that the remaining fields keep their order.
      json::object kept(obj.storage());
      kept.reserve(obj.size());
      for (json::key_value_pair& kv : obj) {
        if (s.FindProperty(kv.key()) != nullptr || s.additional_ != nullptr) {
          kept.emplace(kv.key(), std::move(kv.value()));
        }
      }
      obj = std::move(kept);
    }
  }

  void Items(const Schema& s, size_t n) {
    if (s.max_items_ && static_cast<int64_t>(n) > *s.max_items_) {
      out_->invalid.push_back(
          base::StrCat(Path(), ": Too many: ", n, ": must have at most ", *s.max_items_, " items"));
    }
    if (s.min_items_ && static_cast<int64_t>(n) < *s.min_items_) {
      out_->invalid.push_back(base::StrCat(Path(), ": Invalid value: ", n, ": ", Path(),
                                           " in body should have at least ", *s.min_items_,
                                           " items"));
    }
  }

  void Length(const Schema& s, const json::string& str) {
    // Kubernetes counts characters (runes), not bytes.
    int64_t runes = 0;
    for (unsigned char c : str) runes += (c & 0xC0) != 0x80;
    if (s.max_length_ && runes > *s.max_length_) {
      out_->invalid.push_back(
          base::StrCat(Path(), ": Too long: may not be more than ", *s.max_length_, " bytes"));
    }
    if (s.min_length_ && runes < *s.min_length_) {
      out_->invalid.push_back(base::StrCat(Path(), ": Invalid value: \"", std::string_view(str),
                                           "\": ", Path(), " in body should be at least ",
                                           *s.min_length_, " chars long"));
    }
  }

  void Bounds(const Schema& s, const json::value& v) {
    double d = v.to_number<double>();
    std::string shown = json::serialize(v);
    auto limit = [](double x) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g", x);
      return std::string(buf);
    };
    if (s.maximum_ && (s.exclusive_maximum_ ? d >= *s.maximum_ : d > *s.maximum_)) {
      out_->invalid.push_back(base::StrCat(
          Path(), ": Invalid value: ", shown, ": ", Path(), " in body should be less than ",
          s.exclusive_maximum_ ? "" : "or equal to ", limit(*s.maximum_)));
    }
    if (s.minimum_ && (s.exclusive_minimum_ ? d <= *s.minimum_ : d < *s.minimum_)) {
      out_->invalid.push_back(base::StrCat(
          Path(), ": Invalid value: ", shown, ": ", Path(), " in body should be greater than ",
          s.exclusive_minimum_ ? "" : "or equal to ", limit(*s.minimum_)));
    }
  }

  void Enum(const Schema& s, const json::value& v) {
    for (const json::value& allowed : s.enum_) {
      if (allowed == v) return;
      if (allowed.is_number() && v.is_number() &&
          allowed.to_number<double>() == v.to_number<double>()) {
        return;
      }
    }
    std::string msg =
        base::StrCat(Path(), ": Unsupported value: ", json::serialize(v), ": supported values: ");
    for (size_t i = 0; i < s.enum_.size(); ++i) {
      if (i > 0) msg += ", ";
      msg += json::serialize(s.enum_[i]);
    }
    out_->invalid.push_back(std::move(msg));
  }

  void Base64(const json::string& str) {
    int64_t at = Base64ErrorOffset(str);
    if (at < 0) return;
    out_->invalid.push_back(base::StrCat(Path(),
                                         ": Invalid value: \"string\": illegal base64 "
                                         "data at input byte ",
                                         at));
  }

  bool prune_;
  FieldIssues* out_;
  std::string path_;
};

FieldIssues CheckFields(const Schema& schema, json::value& object, bool prune_unknown) {
  FieldIssues issues;
  SchemaChecker(prune_unknown, &issues).Check(schema, object);
  return issues;
}

std::string UnknownFieldMessage(std::string_view path) {
  return base::StrCat("unknown field \"", path, "\"");
}

std::string DuplicateFieldMessage(std::string_view path) {
  return base::StrCat("duplicate field \"", path, "\"");
}

namespace {

// A boost::json parser handler that builds the value as the stock parser does (value_stack)
// and remembers, per open object, the keys seen so far, to report repeats with their path.
class DuplicateKeyHandler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  // `temp` is scratch space for the value stack (as boost::json::parse gives its parser).
  DuplicateKeyHandler(std::vector<std::string>* duplicates, unsigned char* temp, size_t size)
      : st(json::storage_ptr(), temp, size), duplicates_(duplicates) {
    if (duplicates_ != nullptr) {
      levels_.reserve(16);
      keys_.reserve(64);
      buf_.reserve(1024);
    }
  }

  json::value_stack st;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    if (duplicates_ != nullptr) {
      Level& level = levels_.emplace_back();
      level.first_key = keys_.size();
      level.buf_begin = buf_.size();
    }
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    st.push_object(n);
    if (duplicates_ != nullptr) {
      keys_.resize(levels_.back().first_key);
      buf_.resize(levels_.back().buf_begin);
      levels_.pop_back();
      ValueDone();
    }
    return true;
  }
  bool on_array_begin(json::error_code&) {
    if (duplicates_ != nullptr) levels_.emplace_back().is_array = true;
    return true;
  }
  bool on_array_end(std::size_t n, json::error_code&) {
    st.push_array(n);
    if (duplicates_ != nullptr) {
      levels_.pop_back();
      ValueDone();
    }
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    if (duplicates_ != nullptr) partial_key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    st.push_key(s);
    if (duplicates_ != nullptr) {
      if (partial_key_.empty()) {
        Key(std::string_view(s.data(), s.size()));
      } else {
        partial_key_.append(s.data(), s.size());
        Key(partial_key_);
        partial_key_.clear();
      }
    }
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    st.push_string(s);
    ValueDone();
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    st.push_int64(i);
    ValueDone();
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    st.push_uint64(u);
    ValueDone();
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    st.push_double(d);
    ValueDone();
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    st.push_bool(b);
    ValueDone();
    return true;
  }
  bool on_null(json::error_code&) {
    st.push_null();
    ValueDone();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  // Past this many keys an object's keys also go into a hash set, so that a huge map (a big
  // ConfigMap) is not checked in quadratic time.
  static constexpr size_t kLinearKeys = 32;

  struct Level {
    bool is_array = false;
    size_t index = 0;      // arrays: index of the current element
    size_t first_key = 0;  // objects: first entry of keys_ that belongs to this object
    size_t buf_begin = 0;  // objects: where this object's keys start in buf_
    size_t current = 0;    // objects: entry of keys_ of the current member
    std::unique_ptr<std::unordered_set<std::string>> big;
  };

  std::string_view KeyAt(size_t i) const {
    return std::string_view(buf_).substr(keys_[i].first, keys_[i].second);
  }

  void ValueDone() {
    if (!levels_.empty() && levels_.back().is_array) ++levels_.back().index;
  }

  void Key(std::string_view key) {
    Level& level = levels_.back();
    size_t count = keys_.size() - level.first_key;
    bool seen = false;
    if (level.big != nullptr) {
      seen = !level.big->emplace(key).second;
    } else {
      for (size_t i = level.first_key; i < keys_.size() && !seen; ++i) seen = KeyAt(i) == key;
      if (count + 1 >= kLinearKeys) {
        level.big = std::make_unique<std::unordered_set<std::string>>();
        for (size_t i = level.first_key; i < keys_.size(); ++i) level.big->emplace(KeyAt(i));
        level.big->emplace(key);
      }
    }
    if (seen) duplicates_->push_back(PathTo(key));
    keys_.emplace_back(buf_.size(), key.size());
    buf_.append(key);
    level.current = keys_.size() - 1;
  }

  // Path of member `key` of the innermost object.
  std::string PathTo(std::string_view key) const {
    std::string path;
    for (size_t i = 0; i + 1 < levels_.size(); ++i) {
      const Level& l = levels_[i];
      if (l.is_array) {
        base::StrAppend(&path, "[", l.index, "]");
      } else {
        if (!path.empty()) path.push_back('.');
        path.append(KeyAt(l.current));
      }
    }
    if (!path.empty()) path.push_back('.');
    path.append(key);
    return path;
  }

  std::vector<std::string>* duplicates_;
  std::vector<Level> levels_;
  std::vector<std::pair<size_t, size_t>> keys_;  // (offset, size) in buf_
  std::string buf_;
  std::string partial_key_;
};

}  // namespace

absl::StatusOr<json::value> ParseJsonWithDuplicates(std::string_view text,
                                                    std::vector<std::string>* duplicate_paths) {
  json::parse_options opts;
  opts.max_depth = 100;  // as ParseJson
  unsigned char temp[BOOST_JSON_STACK_BUFFER_SIZE];
  json::basic_parser<DuplicateKeyHandler> parser(opts, duplicate_paths, temp, sizeof(temp));
  parser.handler().st.reset();
  json::error_code ec;
  size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used < text.size()) ec = json::error::extra_data;
  if (ec) {
    return absl::InvalidArgumentError(
        base::StrCat("invalid JSON at offset ", used, ": ", ec.message()));
  }
  return parser.handler().st.release();
}

}  // namespace shoal::api
