#include "api/object.h"

#include <algorithm>

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

Fields ExtractFields(const ResourceType& type, const json::value& object) {
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

Labels ExtractLabels(const json::value& object) {
  return LabelsFromJson(FindPath(object, "metadata.labels"));
}

std::string Serialize(const json::object& object) { return SerializeOrdered(object, false); }

std::string SerializeForStore(const json::object& object) {
  return SerializeOrdered(object, true);
}

std::string InjectResourceVersion(std::string_view stored, int64_t rv) {
  // Canonical form: {"apiVersion":"<v>","kind":"<k>","metadata":{...
  // apiVersion and kind are validated identifiers, so they contain no quotes or escapes.
  auto fallback = [&]() -> std::string {
    auto parsed = ParseJson(stored);
    if (!parsed.ok() || !parsed->is_object()) return std::string(stored);
    json::object& obj = parsed->get_object();
    json::value& meta = obj["metadata"];
    if (!meta.is_object()) meta = json::object();
    meta.get_object()["resourceVersion"] = std::to_string(rv);
    return Serialize(obj);
  };
  constexpr std::string_view kApi = "{\"apiVersion\":\"";
  if (stored.substr(0, kApi.size()) != kApi) return fallback();
  size_t end_api = stored.find('"', kApi.size());
  if (end_api == std::string_view::npos) return fallback();
  constexpr std::string_view kKind = ",\"kind\":\"";
  if (stored.substr(end_api + 1, kKind.size()) != kKind) return fallback();
  size_t end_kind = stored.find('"', end_api + 1 + kKind.size());
  if (end_kind == std::string_view::npos) return fallback();
  constexpr std::string_view kMeta = ",\"metadata\":{";
  if (stored.substr(end_kind + 1, kMeta.size()) != kMeta) return fallback();
  size_t insert_at = end_kind + 1 + kMeta.size();
  bool empty_meta = insert_at < stored.size() && stored[insert_at] == '}';
  std::string out;
  out.reserve(stored.size() + 40);
  out.append(stored.substr(0, insert_at));
  base::StrAppend(&out, "\"resourceVersion\":\"", rv, "\"");
  if (!empty_meta) out.push_back(',');
  out.append(stored.substr(insert_at));
  return out;
}

absl::StatusOr<json::value> ParseJson(std::string_view text) {
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 100;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec,
                              json::storage_ptr(), opts);
  if (ec) {
    return absl::InvalidArgumentError(base::StrCat("invalid JSON: ", ec.message()));
  }
  return v;
}

}  // namespace shoal::api
