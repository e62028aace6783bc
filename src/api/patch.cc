#include "api/patch.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace shoal::api {

namespace json = boost::json;

json::value ApplyMergePatch(const json::value& target, const json::value& patch) {
  if (!patch.is_object()) return patch;
  json::object result = target.is_object() ? target.get_object() : json::object();
  for (const auto& [k, v] : patch.get_object()) {
    if (v.is_null()) {
      result.erase(k);
    } else {
      auto it = result.find(k);
      result[k] = ApplyMergePatch(it == result.end() ? json::value(nullptr) : it->value(), v);
    }
  }
  return result;
}

// JSON equality as RFC 6902's "test" defines it: numbers compare by value (1 == 1.0), objects
// by members regardless of order, arrays element by element.
bool JsonEqual(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_double() || b.is_double()) return a.to_number<double>() == b.to_number<double>();
    if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
    if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
    const json::value& i = a.is_int64() ? a : b;  // one int64, one uint64
    const json::value& u = a.is_int64() ? b : a;
    return i.get_int64() >= 0 && static_cast<uint64_t>(i.get_int64()) == u.get_uint64();
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const json::array& x = a.get_array();
    const json::array& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!JsonEqual(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const json::object& x = a.get_object();
    const json::object& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& [k, v] : x) {
      const json::value* w = y.if_contains(k);
      if (w == nullptr || !JsonEqual(v, *w)) return false;
    }
    return true;
  }
  return a == b;
}

namespace {

// RFC 6901 JSON pointer split into unescaped tokens.
absl::StatusOr<std::vector<std::string>> SplitPointer(std::string_view ptr) {
  std::vector<std::string> out;
  if (ptr.empty()) return out;
  if (ptr[0] != '/') return absl::InvalidArgumentError(base::StrCat("invalid JSON pointer \"", ptr, "\""));
  size_t pos = 1;
  while (true) {
    size_t next = ptr.find('/', pos);
    std::string_view raw = ptr.substr(pos, next == std::string_view::npos ? next : next - pos);
    std::string tok;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        tok.push_back(raw[i + 1] == '0' ? '~' : '/');
        ++i;
      } else {
        tok.push_back(raw[i]);
      }
    }
    out.push_back(std::move(tok));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

absl::StatusOr<json::value*> Resolve(json::value& root, const std::vector<std::string>& toks,
                                     size_t n, std::string_view path) {
  json::value* cur = &root;
  for (size_t i = 0; i < n; ++i) {
    if (json::object* o = cur->if_object()) {
      auto it = o->find(toks[i]);
      if (it == o->end()) {
        return absl::InvalidArgumentError(base::StrCat("jsonpatch: path \"", path, "\" not found"));
      }
      cur = &it->value();
    } else if (json::array* a = cur->if_array()) {
      size_t idx = 0;
      if (!absl::SimpleAtoi(toks[i], &idx) || idx >= a->size()) {
        return absl::InvalidArgumentError(base::StrCat("jsonpatch: index out of range in \"", path, "\""));
      }
      cur = &(*a)[idx];
    } else {
      return absl::InvalidArgumentError(base::StrCat("jsonpatch: path \"", path, "\" not found"));
    }
  }
  return cur;
}

absl::Status Add(json::value& root, std::string_view path, json::value v) {
  auto toks = SplitPointer(path);
  if (!toks.ok()) return toks.status();
  if (toks->empty()) {
    root = std::move(v);
    return absl::OkStatus();
  }
  auto parent = Resolve(root, *toks, toks->size() - 1, path);
  if (!parent.ok()) return parent.status();
  const std::string& last = toks->back();
  if (json::object* o = (*parent)->if_object()) {
    (*o)[last] = std::move(v);
    return absl::OkStatus();
  }
  if (json::array* a = (*parent)->if_array()) {
    if (last == "-") {
      a->push_back(std::move(v));
      return absl::OkStatus();
    }
    size_t idx = 0;
    if (!absl::SimpleAtoi(last, &idx) || idx > a->size()) {
      return absl::InvalidArgumentError(base::StrCat("jsonpatch: index out of range in \"", path, "\""));
    }
    a->insert(a->begin() + idx, std::move(v));
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(base::StrCat("jsonpatch: path \"", path, "\" not found"));
}

absl::StatusOr<json::value> Remove(json::value& root, std::string_view path) {
  auto toks = SplitPointer(path);
  if (!toks.ok()) return toks.status();
  if (toks->empty()) return absl::InvalidArgumentError("jsonpatch: cannot remove the root");
  auto parent = Resolve(root, *toks, toks->size() - 1, path);
  if (!parent.ok()) return parent.status();
  const std::string& last = toks->back();
  if (json::object* o = (*parent)->if_object()) {
    auto it = o->find(last);
    if (it == o->end()) {
      return absl::InvalidArgumentError(base::StrCat("jsonpatch: path \"", path, "\" not found"));
    }
    json::value out = it->value();
    o->erase(it);
    return out;
  }
  if (json::array* a = (*parent)->if_array()) {
    size_t idx = 0;
    if (!absl::SimpleAtoi(last, &idx) || idx >= a->size()) {
      return absl::InvalidArgumentError(base::StrCat("jsonpatch: index out of range in \"", path, "\""));
    }
    json::value out = (*a)[idx];
    a->erase(a->begin() + idx);
    return out;
  }
  return absl::InvalidArgumentError(base::StrCat("jsonpatch: path \"", path, "\" not found"));
}

}  // namespace

absl::StatusOr<json::value> ApplyJsonPatch(const json::value& target, const json::value& patch) {
  if (!patch.is_array()) {
    return absl::InvalidArgumentError("json patch must be a JSON array of operations");
  }
  json::value doc = target;
  for (const json::value& opv : patch.get_array()) {
    const json::object* op = opv.if_object();
    if (op == nullptr || !op->contains("op") || !op->at("op").is_string() ||
        !op->contains("path") || !op->at("path").is_string()) {
      return absl::InvalidArgumentError("json patch operation needs string \"op\" and \"path\"");
    }
    std::string name(op->at("op").get_string());
    std::string path(op->at("path").get_string());
    auto need_value = [&]() -> absl::StatusOr<json::value> {
      auto it = op->find("value");
      if (it == op->end()) {
        return absl::InvalidArgumentError(base::StrCat("jsonpatch ", name, " operation does not have a value"));
      }
      return it->value();
    };
    auto need_from = [&]() -> absl::StatusOr<std::string> {
      auto it = op->find("from");
      if (it == op->end() || !it->value().is_string()) {
        return absl::InvalidArgumentError(base::StrCat("jsonpatch ", name, " operation does not have a from"));
      }
      return std::string(it->value().get_string());
    };
    if (name == "add") {
      auto v = need_value();
      if (!v.ok()) return v.status();
      if (auto s = Add(doc, path, *v); !s.ok()) return s;
    } else if (name == "remove") {
      if (auto r = Remove(doc, path); !r.ok()) return r.status();
    } else if (name == "replace") {
      auto v = need_value();
      if (!v.ok()) return v.status();
      if (auto r = Remove(doc, path); !r.ok()) return r.status();
      if (auto s = Add(doc, path, *v); !s.ok()) return s;
    } else if (name == "move" || name == "copy") {
      auto from = need_from();
      if (!from.ok()) return from.status();
      json::value moved;
      if (name == "move") {
        auto r = Remove(doc, *from);
        if (!r.ok()) return r.status();
        moved = *r;
      } else {
        auto toks = SplitPointer(*from);
        if (!toks.ok()) return toks.status();
        auto src = Resolve(doc, *toks, toks->size(), *from);
        if (!src.ok()) return src.status();
        moved = **src;
      }
      if (auto s = Add(doc, path, moved); !s.ok()) return s;
    } else if (name == "test") {
      auto v = need_value();
      if (!v.ok()) return v.status();
      auto toks = SplitPointer(path);
      if (!toks.ok()) return toks.status();
      auto cur = Resolve(doc, *toks, toks->size(), path);
      if (!cur.ok() || !JsonEqual(**cur, *v)) {
        return absl::FailedPreconditionError(
            base::StrCat("testing value ", path, " failed: test failed"));
      }
    } else {
      return absl::InvalidArgumentError(base::StrCat("Unexpected kind: ", name));
    }
  }
  return doc;
}

// ---------------------------------------------------------------------------------------------
// List schema

namespace {

struct MergeKeyEntry {
  std::string_view field;
  std::string_view key;
};

// patchMergeKey tags of the served types (k8s.io/api core/v1, batch/v1, meta/v1). Lists without
// one (tolerations, taints, args, command, readinessGates, containerStatuses...) are replaced
// whole, as in Kubernetes: `kubectl taint node n key-` relies on that.
constexpr MergeKeyEntry kMergeKeys[] = {
    {"containers", "name"},           {"initContainers", "name"},
    {"ephemeralContainers", "name"},  {"env", "name"},
    {"volumes", "name"},              {"volumeMounts", "mountPath"},
    {"volumeDevices", "devicePath"},  {"ports", "containerPort"},
    {"conditions", "type"},           {"ownerReferences", "uid"},
    {"imagePullSecrets", "name"},     {"addresses", "type"},
    {"hostAliases", "ip"},            {"resourceClaims", "name"},
    {"schedulingGates", "name"},      {"topologySpreadConstraints", "topologyKey"},
    {"podIPs", "ip"},                 {"hostIPs", "ip"},
    {"resourceClaimStatuses", "name"},
};

}  // namespace

std::string_view ListMergeKey(std::string_view field) {
  for (const MergeKeyEntry& e : kMergeKeys) {
    if (e.field == field) return e.key;
  }
  return {};
}

bool IsMergePrimitiveList(std::string_view field) {
  return field == "finalizers" || field == "podCIDRs";
}

ApplyListSchema ApplyListSchemaFor(std::string_view kind, std::string_view field) {
  ApplyListSchema s;
  auto map1 = [&](std::string_view key) {
    s.type = ListType::kMap;
    s.keys[0] = {key, ""};
    s.key_count = 1;
  };
  if (field == "finalizers" || field == "podCIDRs") {
    s.type = ListType::kSet;
  } else if (field == "ports") {
    // +listMapKey=containerPort +listMapKey=protocol; protocol defaults to TCP.
    s.type = ListType::kMap;
    s.keys[0] = {"containerPort", ""};
    s.keys[1] = {"protocol", "TCP"};
    s.key_count = 2;
  } else if (field == "topologySpreadConstraints") {
    s.type = ListType::kMap;
    s.keys[0] = {"topologyKey", ""};
    s.keys[1] = {"whenUnsatisfiable", ""};
    s.key_count = 2;
  } else if (field == "conditions") {
    // JobStatus.conditions is +listType=atomic; pod, node and namespace conditions are maps.
    if (kind != "Job") map1("type");
  } else if (field == "hostIPs") {
    // +listType=atomic despite its patchMergeKey.
  } else {
    std::string_view key = ListMergeKey(field);
    if (!key.empty()) map1(key);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch

namespace {

constexpr std::string_view kDirective = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kSetElementOrder = "$setElementOrder/";
constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList/";

// Go's %v rendering of a decoded JSON value, for error messages in Kubernetes' wording.
void AppendGo(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      std::vector<std::pair<std::string_view, const json::value*>> items;
      for (const auto& [k, x] : v.get_object()) items.emplace_back(std::string_view(k), &x);
      std::sort(items.begin(), items.end());
      out += "map[";
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += ' ';
        out += items[i].first;
        out += ':';
        AppendGo(out, *items[i].second);
      }
      out += ']';
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const json::value& x : v.get_array()) {
        if (!first) out += ' ';
        first = false;
        AppendGo(out, x);
      }
      out += ']';
      return;
    }
    case json::kind::string:
      out += std::string_view(v.get_string());
      return;
    case json::kind::null:
      out += "<nil>";
      return;
    default:
      out += json::serialize(v);
  }
}

std::string GoString(const json::value& v) {
  std::string out;
  AppendGo(out, v);
  return out;
}

absl::Status NoMergeKey(const json::value& item, std::string_view key) {
  return absl::InvalidArgumentError(
      base::StrCat("map: ", GoString(item), " does not contain declared merge key: ", key));
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// What identifies a list item when ordering: its merge key value, or the item itself.
const json::value& Identity(const json::value& item, std::string_view merge_key) {
  static const json::value kNull;
  if (merge_key.empty()) return item;
  const json::object* o = item.if_object();
  if (o == nullptr) return item;
  const json::value* k = o->if_contains(merge_key);
  return k == nullptr ? kNull : *k;
}

int IndexOf(const json::array& list, const json::value& item, std::string_view merge_key) {
  const json::value& id = Identity(item, merge_key);
  for (size_t i = 0; i < list.size(); ++i) {
    if (JsonEqual(Identity(list[i], merge_key), id)) return static_cast<int>(i);
  }
  return -1;
}

// Kubernetes' normalizeSliceOrder: items found in `order` sorted by their position there.
// (Items not found keep their relative order after them; Kubernetes' comparator leaves that
// case unspecified.)
json::array SortByOrder(json::array items, const json::array& order, std::string_view key) {
  std::vector<std::pair<int, size_t>> idx;
  for (size_t i = 0; i < items.size(); ++i) {
    int p = IndexOf(order, items[i], key);
    idx.emplace_back(p < 0 ? std::numeric_limits<int>::max() : p, i);
  }
  std::stable_sort(idx.begin(), idx.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  json::array out;
  out.reserve(items.size());
  for (const auto& [p, i] : idx) out.push_back(std::move(items[i]));
  return out;
}

// Kubernetes' normalizeElementOrder + mergeSortedSlice: the patch items in patch order,
// interleaved with the server-only items in live order; a server-only item goes before a patch
// item only when both are in the live list and it comes first there.
json::array NormalizeElementOrder(json::array patch_items, json::array server_only,
                                  const json::array& patch_order, const json::array& server_order,
                                  std::string_view key) {
  json::array right = SortByOrder(std::move(patch_items), patch_order, key);
  json::array left = SortByOrder(std::move(server_only), server_order, key);
  json::array out;
  out.reserve(left.size() + right.size());
  size_t i = 0, j = 0;
  while (i < left.size() || j < right.size()) {
    if (i >= left.size()) {
      out.push_back(std::move(right[j++]));
    } else if (j >= right.size()) {
      out.push_back(std::move(left[i++]));
    } else {
      int li = IndexOf(server_order, left[i], key);
      int ri = IndexOf(server_order, right[j], key);
      if (li >= 0 && ri >= 0 && li < ri) {
        out.push_back(std::move(left[i++]));
      } else {
        out.push_back(std::move(right[j++]));
      }
    }
  }
  return out;
}

// Splits `merged` into the items present in `by` (matched on the merge key) and the others.
void Partition(json::array merged, const json::array& by, std::string_view key,
               json::array& present, json::array& absent) {
  for (json::value& v : merged) {
    (IndexOf(by, v, key) >= 0 ? present : absent).push_back(std::move(v));
  }
}

absl::Status MergeMapInto(json::object& original, const json::object& patch);
absl::StatusOr<json::array> MergeList(const json::array& original, const json::array& patch,
                                      std::string_view field);

// Applies an object patch to the map `target`, honouring a map-level `$patch` directive.
// Returns false when the directive deletes the map.
absl::StatusOr<bool> MergeMapInPlace(json::object& target, const json::object& patch) {
  if (auto d = patch.find(kDirective); d != patch.end()) {
    if (d->value() == "replace") {
      json::object rest = patch;
      rest.erase(kDirective);
      target = json::object();
      RETURN_IF_ERROR(MergeMapInto(target, rest));
      return true;
    }
    if (d->value() == "delete") return false;
    return absl::InvalidArgumentError(base::StrCat("unknown patch type: ", GoString(d->value()),
                                                   " in map: ", GoString(patch)));
  }
  RETURN_IF_ERROR(MergeMapInto(target, patch));
  return true;
}

// A patch value for a key the target lacks (or holds with another JSON type): the patch
// applied to nothing, so that its directives and nulls are never stored. nullopt when nothing
// remains (a deleted map, a list made only of directives).
absl::StatusOr<std::optional<json::value>> Fresh(const json::value& patch,
                                                 std::string_view field) {
  if (const json::object* o = patch.if_object()) {
    json::object t;
    ASSIGN_OR_RETURN(bool keep, MergeMapInPlace(t, *o));
    if (!keep) return std::nullopt;
    return std::optional<json::value>(std::move(t));
  }
  if (const json::array* a = patch.if_array()) {
    ASSIGN_OR_RETURN(json::array merged, MergeList(json::array(), *a, field));
    if (merged.empty() && !a->empty()) return std::nullopt;
    return std::optional<json::value>(std::move(merged));
  }
  return std::optional<json::value>(patch);
}

absl::StatusOr<json::array> MergeList(const json::array& original, const json::array& patch,
                                      std::string_view field) {
  std::string_view key = ListMergeKey(field);
  if (key.empty() && !IsMergePrimitiveList(field)) return patch;  // patchStrategy replace
  if (original.empty() && patch.empty()) return original;

  // All items must be of one kind, and not lists (Kubernetes' sliceElementType).
  std::optional<bool> maps;
  for (const json::array* l : {&original, &patch}) {
    for (const json::value& v : *l) {
      if (v.is_array()) return absl::InvalidArgumentError("lists of lists are not supported");
      if (maps.has_value() && *maps != v.is_object()) {
        return absl::InvalidArgumentError(base::StrCat("list element types are not identical: [",
                                                       GoString(original), " ", GoString(patch),
                                                       "]"));
      }
      maps = v.is_object();
    }
  }

  if (!*maps) {
    // A merging list of primitives: an ordered union.
    json::array merged;
    for (const json::array* l : {&original, &patch}) {
      for (const json::value& v : *l) {
        if (IndexOf(merged, v, {}) < 0) merged.push_back(v);
      }
    }
    json::array in_patch, server_only;
    Partition(std::move(merged), patch, {}, in_patch, server_only);
    return NormalizeElementOrder(std::move(in_patch), std::move(server_only), patch, original, {});
  }
  if (key.empty()) {
    return absl::InvalidArgumentError("cannot merge lists without merge key for type map");
  }

  // Directive items first (mergeSliceWithSpecialElements).
  json::array result = original;
  json::array plain;
  bool replace = false;
  for (const json::value& item : patch) {
    const json::object& o = item.get_object();
    auto d = o.find(kDirective);
    if (d == o.end()) {
      plain.push_back(item);
    } else if (d->value() == "delete") {
      const json::value* kv = o.if_contains(key);
      if (kv == nullptr) return NoMergeKey(item, key);
      json::array kept;
      for (json::value& r : result) {
        if (!JsonEqual(Identity(r, key), *kv)) kept.push_back(std::move(r));
      }
      result = std::move(kept);
    } else if (d->value() == "replace") {
      replace = true;
    } else if (d->value() == "merge") {
      return absl::InvalidArgumentError("merging lists cannot yet be specified in the patch");
    } else {
      return absl::InvalidArgumentError(base::StrCat("unknown patch type: ", GoString(d->value()),
                                                     " in map: ", GoString(item)));
    }
  }
  if (replace) {
    result.clear();
    for (const json::value& item : plain) {
      ASSIGN_OR_RETURN(std::optional<json::value> v, Fresh(item, field));
      if (v.has_value()) result.push_back(std::move(*v));
    }
    return result;
  }
  const json::array server_order = result;

  for (const json::value& item : plain) {
    const json::value* kv = item.get_object().if_contains(key);
    if (kv == nullptr) return NoMergeKey(item, key);
    auto it = std::find_if(result.begin(), result.end(), [&](const json::value& r) {
      return r.is_object() && JsonEqual(Identity(r, key), *kv);
    });
    if (it != result.end()) {
      RETURN_IF_ERROR(MergeMapInto(it->get_object(), item.get_object()));
    } else {
      ASSIGN_OR_RETURN(std::optional<json::value> v, Fresh(item, field));
      if (v.has_value()) result.push_back(std::move(*v));
    }
  }
  json::array in_patch, server_only;
  Partition(std::move(result), plain, key, in_patch, server_only);
  return NormalizeElementOrder(std::move(in_patch), std::move(server_only), plain, server_order,
                               key);
}

// Kubernetes' mergeMap: $retainKeys, then $setElementOrder lists, then
// $deleteFromPrimitiveList, then the fields. The map-level `$patch` is the caller's.
absl::Status MergeMapInto(json::object& original, const json::object& patch) {
  if (const json::value* rk = patch.if_contains(kRetainKeys)) {
    const json::array* keys = rk->if_array();
    if (keys == nullptr) return absl::InvalidArgumentError("invalid patch format of retainKeys");
    auto retained = [&](std::string_view k) {
      return std::any_of(keys->begin(), keys->end(),
                         [&](const json::value& v) { return v.is_string() && v.get_string() == k; });
    };
    for (const auto& [k, v] : patch) {
      std::string_view key(k);
      if (v.is_null() || key == kRetainKeys || key == kDirective ||
          StartsWith(key, kDeleteFromPrimitiveList) || StartsWith(key, kSetElementOrder)) {
        continue;
      }
      if (!retained(key)) return absl::InvalidArgumentError("invalid patch format of retainKeys");
    }
    std::vector<std::string> drop;
    for (const auto& [k, v] : original) {
      if (!retained(k)) drop.emplace_back(k);
    }
    for (const std::string& k : drop) original.erase(k);
  }

  std::vector<std::string_view> ordered;  // lists already merged with their $setElementOrder
  for (const auto& [k, v] : patch) {
    std::string_view key(k);
    if (!StartsWith(key, kSetElementOrder)) continue;
    std::string_view field = key.substr(kSetElementOrder.size());
    const json::array* order = v.if_array();
    if (order == nullptr) {
      return absl::InvalidArgumentError("invalid patch format of setElementOrder list");
    }
    const json::value* pv = patch.if_contains(field);
    auto oit = original.find(field);
    const json::array* ol = oit == original.end() ? nullptr : oit->value().if_array();
    const json::array* pl = pv == nullptr ? nullptr : pv->if_array();
    if ((oit != original.end() && ol == nullptr) || (pv != nullptr && pl == nullptr)) continue;
    json::array merged;
    if (ol != nullptr && pl != nullptr) {
      ASSIGN_OR_RETURN(merged, MergeList(*ol, *pl, field));
    } else if (ol != nullptr) {
      merged = *ol;
    } else if (pl != nullptr) {
      ASSIGN_OR_RETURN(merged, MergeList(json::array(), *pl, field));
    } else {
      continue;
    }
    std::string_view mk = ListMergeKey(field);
    json::array in_order, server_only;
    Partition(std::move(merged), *order, mk, in_order, server_only);
    original[field] = NormalizeElementOrder(std::move(in_order), std::move(server_only), *order,
                                            ol != nullptr ? *ol : json::array(), mk);
    ordered.push_back(field);
  }

  for (const auto& [k, v] : patch) {
    std::string_view key(k);
    if (!StartsWith(key, kDeleteFromPrimitiveList)) continue;
    const json::array* del = v.if_array();
    if (del == nullptr) {
      return absl::InvalidArgumentError("invalid patch format of primitive list");
    }
    auto it = original.find(key.substr(kDeleteFromPrimitiveList.size()));
    if (it == original.end() || !it->value().is_array()) continue;
    json::array kept;
    for (const json::value& e : it->value().get_array()) {
      if (IndexOf(*del, e, {}) < 0) kept.push_back(e);
    }
    it->value() = std::move(kept);
  }

  for (const auto& [k, v] : patch) {
    std::string_view key(k);
    if (key == kDirective || key == kRetainKeys || StartsWith(key, kSetElementOrder) ||
        StartsWith(key, kDeleteFromPrimitiveList) ||
        std::find(ordered.begin(), ordered.end(), key) != ordered.end()) {
      continue;
    }
    if (v.is_null()) {
      original.erase(k);
      continue;
    }
    auto it = original.find(k);
    if (it != original.end() && it->value().is_object() && v.is_object()) {
      ASSIGN_OR_RETURN(bool keep, MergeMapInPlace(it->value().get_object(), v.get_object()));
      if (!keep) original.erase(k);
    } else if (it != original.end() && it->value().is_array() && v.is_array()) {
      ASSIGN_OR_RETURN(json::array merged, MergeList(it->value().get_array(), v.get_array(), key));
      it->value() = std::move(merged);
    } else if (v.is_object() || v.is_array()) {
      ASSIGN_OR_RETURN(std::optional<json::value> fresh, Fresh(v, key));
      if (fresh.has_value()) {
        original[k] = std::move(*fresh);
      } else {
        original.erase(k);
      }
    } else {
      original[k] = v;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<json::value> ApplyStrategicMergePatch(const json::value& target,
                                                     const json::value& patch) {
  if (!patch.is_object()) {
    return absl::InvalidArgumentError("strategic merge patch must be a JSON object");
  }
  json::object result = target.is_object() ? target.get_object() : json::object();
  ASSIGN_OR_RETURN(bool keep, MergeMapInPlace(result, patch.get_object()));
  if (!keep) return json::value(json::object());  // `$patch: delete` at the top: Kubernetes' {}
  return json::value(std::move(result));
}

}  // namespace shoal::api
