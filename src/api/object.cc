#include "api/object.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

#include "base/strings.h"

namespace shoal::api {

const json::value* FindPath(const json::value& root, std::string_view dotted_path) {
  const json::value* cur = &root;
  while (!dotted_path.empty()) {
    size_t dot = dotted_path.find('.');
    std::string_view step = dotted_path.substr(0, dot);
    const json::object* obj = cur->if_object();
    if (obj == nullptr) return nullptr;
    auto it = obj->find(step);
    if (it == obj->end()) return nullptr;
    cur = &it->value();
    dotted_path = dot == std::string_view::npos ? std::string_view() : dotted_path.substr(dot + 1);
  }
  return cur;
}

const json::value* FindPath(const json::object& root, std::string_view dotted_path) {
  size_t dot = dotted_path.find('.');
  auto it = root.find(dotted_path.substr(0, dot));
  if (it == root.end()) return nullptr;
  if (dot == std::string_view::npos) return &it->value();
  return FindPath(it->value(), dotted_path.substr(dot + 1));
}

std::string_view StringAt(const json::object& root, std::string_view dotted_path) {
  const json::value* v = FindPath(root, dotted_path);
  if (v == nullptr || !v->is_string()) return {};
  const json::string& s = v->get_string();
  return std::string_view(s.data(), s.size());
}

std::string_view StringAt(const json::value& root, std::string_view dotted_path) {
  const json::value* v = FindPath(root, dotted_path);
  if (v == nullptr || !v->is_string()) return {};
  const json::string& s = v->get_string();
  return std::string_view(s.data(), s.size());
}

bool BoolAt(const json::object& root, std::string_view dotted_path) {
  const json::value* v = FindPath(root, dotted_path);
  return v != nullptr && v->is_bool() && v->get_bool();
}

bool BoolAt(const json::value& root, std::string_view dotted_path) {
  const json::value* v = FindPath(root, dotted_path);
  return v != nullptr && v->is_bool() && v->get_bool();
}

int64_t ResourceVersionAt(const json::object& object) {
  std::string_view rv = StringAt(object, "metadata.resourceVersion");
  int64_t v = 0;
  auto [end, ec] = std::from_chars(rv.data(), rv.data() + rv.size(), v);
  return ec == std::errc() && end == rv.data() + rv.size() ? v : 0;
}

namespace {

std::string ScalarToString(const json::value* v) {
  if (v == nullptr) return "";
  switch (v->kind()) {
    case json::kind::string:
      return std::string(v->get_string());
    case json::kind::bool_:
      return v->get_bool() ? "true" : "false";
    case json::kind::int64:
      return std::to_string(v->get_int64());
    case json::kind::uint64:
      return std::to_string(v->get_uint64());
    default:
      return "";
  }
}

void AppendMember(std::string& out, std::string_view key, const json::value& v, bool& first) {
  if (!first) out.push_back(',');
  first = false;
  out.append(json::serialize(json::string_view(key.data(), key.size())));
  out.push_back(':');
  out.append(json::serialize(v));
}

std::string SerializeOrdered(const json::object& object, bool drop_resource_version) {
  std::string out = "{";
  bool first = true;
  for (std::string_view k : {"apiVersion", "kind"}) {
    if (auto it = object.find(k); it != object.end()) AppendMember(out, k, it->value(), first);
  }
  if (auto it = object.find("metadata"); it != object.end()) {
    if (drop_resource_version && it->value().is_object() &&
        it->value().get_object().contains("resourceVersion")) {
      json::object meta = it->value().get_object();
      meta.erase("resourceVersion");
      AppendMember(out, "metadata", meta, first);
    } else {
      AppendMember(out, "metadata", it->value(), first);
    }
  }
  for (const auto& [k, v] : object) {
    if (k == "apiVersion" || k == "kind" || k == "metadata") continue;
    AppendMember(out, std::string_view(k.data(), k.size()), v, first);
  }
  out.push_back('}');
  return out;
}

}  // namespace

namespace {

// ExtractFields and ExtractLabels of a json::value or of a json::object (FindPath and
// StringAt have both).
template <typename Root>
Fields FieldsFrom(const ResourceType& type, const Root& object) {
  Fields fields;
  fields.reserve(2 + type.selectable_fields.size());
  fields.emplace_back("metadata.name", std::string(StringAt(object, "metadata.name")));
  fields.emplace_back("metadata.namespace", std::string(StringAt(object, "metadata.namespace")));
  for (const std::string& f : type.selectable_fields) {
    const json::value* v = FindPath(object, f);
    // Kubernetes' field sets format Go booleans, so an absent boolean reads as "false".
    if (v == nullptr && (f == "spec.unschedulable" || f == "spec.hostNetwork")) {
      fields.emplace_back(f, "false");
    } else {
      fields.emplace_back(f, ScalarToString(v));
    }
  }
  return fields;
}

}  // namespace

Fields ExtractFields(const ResourceType& type, const json::value& object) {
  return FieldsFrom(type, object);
}

Fields ExtractFields(const ResourceType& type, const json::object& object) {
  return FieldsFrom(type, object);
}

Labels ExtractLabels(const json::value& object) {
  return LabelsFromJson(FindPath(object, "metadata.labels"));
}

Labels ExtractLabels(const json::object& object) {
  return LabelsFromJson(FindPath(object, "metadata.labels"));
}

std::string Serialize(const json::object& object) { return SerializeOrdered(object, false); }

std::string SerializeForStore(const json::object& object) {
  return SerializeOrdered(object, true);
}

namespace {

void AppendGoString(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[i + 2]) & 0xfe) == 0xa8) {
      // U+2028 / U+2029 (line and paragraph separators), escaped by Go for JSONP safety.
      out += (static_cast<unsigned char>(s[i + 2]) == 0xa8) ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

void AppendSortedLikeGo(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::object: {
      const json::object& o = v.get_object();
      std::vector<const json::key_value_pair*> members;
      members.reserve(o.size());
      for (const json::key_value_pair& kv : o) members.push_back(&kv);
      std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
        return a->key() < b->key();
      });
      out.push_back('{');
      for (size_t i = 0; i < members.size(); ++i) {
        if (i > 0) out.push_back(',');
        AppendGoString(members[i]->key(), out);
        out.push_back(':');
        AppendSortedLikeGo(members[i]->value(), out);
      }
      out.push_back('}');
      return;
    }
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const json::value& e : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        AppendSortedLikeGo(e, out);
      }
      out.push_back(']');
      return;
    }
    case json::kind::string:
      AppendGoString(v.get_string(), out);
      return;
    case json::kind::double_: {
      // Go's encoding/json: the shortest text that reads back the same, fixed-point within
      // [1e-6, 1e21) (2.0 prints as 2), else an exponent without leading zeros (1e-7).
      double d = v.get_double();
      char buf[64];
      double a = std::abs(d);
      bool fixed = a == 0 || (a >= 1e-6 && a < 1e21);
      auto r = std::to_chars(buf, buf + sizeof buf, d,
                             fixed ? std::chars_format::fixed : std::chars_format::scientific);
      std::string text(buf, r.ptr);
      if (!fixed) {
        if (size_t e = text.find("e-0"); e != std::string::npos) text.erase(e + 2, 1);
        if (size_t e = text.find("e+0"); e != std::string::npos) text.erase(e + 2, 1);
      }
      out += text;
      return;
    }
    default:
      out += json::serialize(v);  // null, bool, int64, uint64
  }
}

constexpr std::string_view kRvMember = "\"resourceVersion\":\"";

// Where metadata's members start in a document in SerializeForStore's canonical form
// ({"apiVersion":"<v>","kind":"<k>","metadata":{...), or npos if it is not in that form.
// apiVersion and kind are validated identifiers, so they contain no quotes or escapes.
size_t CanonicalMetadataStart(std::string_view doc) {
  constexpr std::string_view kApi = "{\"apiVersion\":\"";
  constexpr std::string_view kKind = ",\"kind\":\"";
  constexpr std::string_view kMeta = ",\"metadata\":{";
  if (doc.substr(0, kApi.size()) != kApi) return std::string_view::npos;
  size_t end_api = doc.find('"', kApi.size());
  if (end_api == std::string_view::npos) return end_api;
  if (doc.substr(end_api + 1, kKind.size()) != kKind) return std::string_view::npos;
  size_t end_kind = doc.find('"', end_api + 1 + kKind.size());
  if (end_kind == std::string_view::npos) return end_kind;
  if (doc.substr(end_kind + 1, kMeta.size()) != kMeta) return std::string_view::npos;
  return end_kind + 1 + kMeta.size();
}

// InjectResourceVersion's slow path for documents not in canonical form: parse, put
// resourceVersion first in metadata, encode canonically.
std::string InjectByReencoding(std::string_view stored, int64_t rv) {
  auto parsed = ParseJson(stored);
  if (!parsed.ok() || !parsed->is_object()) return std::string(stored);
  json::object& obj = parsed->get_object();
  json::object meta;
  meta["resourceVersion"] = std::to_string(rv);
  if (const json::object* old = obj["metadata"].if_object(); old != nullptr) {
    for (const auto& [k, v] : *old) {
      if (k != "resourceVersion") meta[k] = v;
    }
  }
  obj["metadata"] = std::move(meta);
  return Serialize(obj);
}

}  // namespace

std::string InjectResourceVersion(std::string_view stored, int64_t rv) {
  size_t at = CanonicalMetadataStart(stored);
  if (at == std::string_view::npos) {
    return InjectByReencoding(stored, rv);
  }
  // A document stamped before (the last state of a deleted object) has its resourceVersion
  // first in metadata: replace it rather than add a second one. One anywhere else (a member
  // name in JSON text cannot hide inside a string, where its quotes would be escaped) needs
  // the slow path, or the document would end up with two.
  size_t rest = at;
  if (stored.substr(at, kRvMember.size()) == kRvMember) {
    size_t close = stored.find('"', at + kRvMember.size());
    if (close == std::string_view::npos) return InjectByReencoding(stored, rv);
    rest = close + 1;
    if (rest < stored.size() && stored[rest] == ',') ++rest;
  }
  if (stored.find(kRvMember, rest) != std::string_view::npos) {
    return InjectByReencoding(stored, rv);
  }
  bool empty_meta = rest < stored.size() && stored[rest] == '}';
  std::string out;
  out.reserve(stored.size() + 32);
  out.append(stored.substr(0, at));
  base::StrAppend(&out, kRvMember, rv, "\"");
  if (!empty_meta) out.push_back(',');
  out.append(stored.substr(rest));
  return out;
}

namespace {

// Where the stamp `"resourceVersion":"<rv>"` that InjectResourceVersion puts first in the
// metadata of a canonical document starts, and where it ends (past its closing quote);
// nullopt when `doc` is not in that form or carries another revision.
std::optional<std::pair<size_t, size_t>> StampOf(std::string_view doc, int64_t rv) {
  const size_t at = CanonicalMetadataStart(doc);
  if (at == std::string_view::npos || doc.substr(at, kRvMember.size()) != kRvMember) {
    return std::nullopt;
  }
  char want[24];
  char* end = std::to_chars(want, want + sizeof(want) - 1, rv).ptr;
  *end++ = '"';
  const std::string_view digits(want, static_cast<size_t>(end - want));
  if (doc.substr(at + kRvMember.size(), digits.size()) != digits) return std::nullopt;
  return std::pair{at, at + kRvMember.size() + digits.size()};
}

}  // namespace

bool HasResourceVersion(std::string_view doc, int64_t rv) { return StampOf(doc, rv).has_value(); }

bool StampedFrom(std::string_view stamped, int64_t rv, std::string_view stored) {
  const auto stamp = StampOf(stamped, rv);
  if (!stamp) return false;
  // stamped = head + "resourceVersion":"rv" [+ ','] + tail, where stored = head + tail.
  size_t rest = stamp->second;
  if (rest < stamped.size() && stamped[rest] == ',') ++rest;
  const std::string_view head = stamped.substr(0, stamp->first);
  const std::string_view tail = stamped.substr(rest);
  return stored.size() == head.size() + tail.size() && stored.starts_with(head) &&
         stored.ends_with(tail);
}

absl::StatusOr<json::value> ParseJson(std::string_view text) {
  json::parse_options opts;
  opts.max_depth = 100;
  json::stream_parser parser(json::storage_ptr(), opts);
  boost::system::error_code ec;
  size_t used = parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    return absl::InvalidArgumentError(
        base::StrCat("invalid JSON at offset ", used, ": ", ec.message()));
  }
  return parser.release();
}

std::optional<std::string> WithApiVersion(std::string_view doc,
                                          std::string_view api_version) {
  constexpr std::string_view kPrefix = "{\"apiVersion\":\"";
  if (doc.starts_with(kPrefix)) {
    size_t end = doc.find('"', kPrefix.size());
    // apiVersions are validated identifiers: no escapes inside the quotes.
    if (end != std::string_view::npos &&
        doc.substr(kPrefix.size(), end - kPrefix.size()).find('\\') == std::string_view::npos) {
      if (doc.substr(kPrefix.size(), end - kPrefix.size()) == api_version) return std::nullopt;
      return base::StrCat(kPrefix, api_version, doc.substr(end));
    }
  }
  absl::StatusOr<json::value> v = ParseJson(doc);
  if (!v.ok() || !v->is_object()) return std::nullopt;
  if (StringAt(*v, "apiVersion") == api_version) return std::nullopt;
  v->get_object()["apiVersion"] = api_version;
  return Serialize(v->get_object());
}

std::string SerializeSortedLikeGo(const json::value& value) {
  std::string out;
  AppendSortedLikeGo(value, out);
  return out;
}

}  // namespace shoal::api
