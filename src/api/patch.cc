#include "api/patch.h"

#include <string>

#include "absl/strings/numbers.h"
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

namespace {

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

namespace {

// Merge keys of the lists that Kubernetes' strategic merge patch merges item by item. Lists
// without a patchMergeKey in Kubernetes' types (tolerations, taints, args, ...) are replaced
// whole, as there: `kubectl taint node n key-` relies on that.
std::string_view MergeKeyFor(std::string_view field) {
  static const std::pair<std::string_view, std::string_view> kKeys[] = {
      {"containers", "name"},      {"initContainers", "name"}, {"ephemeralContainers", "name"},
      {"env", "name"},             {"volumes", "name"},        {"volumeMounts", "mountPath"},
      {"ports", "containerPort"},  {"conditions", "type"},
      {"ownerReferences", "uid"},  {"imagePullSecrets", "name"},
      {"addresses", "type"},       {"hostAliases", "ip"},      {"resourceClaims", "name"},
      {"readinessGates", "conditionType"}, {"topologySpreadConstraints", "topologyKey"},
  };
  for (const auto& [f, k] : kKeys) {
    if (f == field) return k;
  }
  return {};
}

absl::StatusOr<json::value> Strategic(const json::value& target, const json::value& patch);

absl::StatusOr<json::value> MergeList(const json::array& target, const json::array& patch,
                                      std::string_view key) {
  json::array result = target;
  for (const json::value& item : patch) {
    const json::object* pi = item.if_object();
    if (pi == nullptr || !pi->contains(key)) {
      // Without the merge key the item cannot be matched: append it.
      result.push_back(item);
      continue;
    }
    const json::value& kv = pi->at(key);
    auto it = std::find_if(result.begin(), result.end(), [&](const json::value& r) {
      return r.is_object() && r.get_object().contains(key) && r.get_object().at(key) == kv;
    });
    auto directive = pi->find("$patch");
    if (directive != pi->end() && directive->value() == "delete") {
      if (it != result.end()) result.erase(it);
      continue;
    }
    if (it == result.end()) {
      json::object clean = *pi;
      clean.erase("$patch");
      result.push_back(std::move(clean));
    } else {
      auto merged = Strategic(*it, item);
      if (!merged.ok()) return merged.status();
      *it = std::move(*merged);
    }
  }
  return json::value(std::move(result));
}

absl::StatusOr<json::value> Strategic(const json::value& target, const json::value& patch) {
  if (!patch.is_object()) return patch;
  const json::object& p = patch.get_object();
  if (auto d = p.find("$patch"); d != p.end()) {
    if (d->value() == "replace") {
      json::object copy = p;
      copy.erase("$patch");
      return json::value(std::move(copy));
    }
    if (d->value() == "delete") return json::value(nullptr);
  }
  json::object result = target.is_object() ? target.get_object() : json::object();
  for (const auto& [k, v] : p) {
    std::string_view key(k.data(), k.size());
    if (key == "$patch" || key == "$retainKeys") continue;
    if (key.rfind("$setElementOrder/", 0) == 0) continue;
    if (key.rfind("$deleteFromPrimitiveList/", 0) == 0) {
      std::string field(key.substr(sizeof("$deleteFromPrimitiveList/") - 1));
      auto it = result.find(field);
      if (it != result.end() && it->value().is_array() && v.is_array()) {
        json::array kept;
        for (const json::value& e : it->value().get_array()) {
          if (std::find(v.get_array().begin(), v.get_array().end(), e) == v.get_array().end()) {
            kept.push_back(e);
          }
        }
        it->value() = std::move(kept);
      }
      continue;
    }
    if (v.is_null()) {
      result.erase(k);
      continue;
    }
    auto it = result.find(k);
    std::string_view merge_key = MergeKeyFor(key);
    if (v.is_array() && !merge_key.empty() && it != result.end() && it->value().is_array()) {
      auto merged = MergeList(it->value().get_array(), v.get_array(), merge_key);
      if (!merged.ok()) return merged.status();
      result[k] = std::move(*merged);
    } else if (v.is_object()) {
      auto merged = Strategic(it == result.end() ? json::value(nullptr) : it->value(), v);
      if (!merged.ok()) return merged.status();
      if (merged->is_null()) {
        result.erase(k);
      } else {
        result[k] = std::move(*merged);
      }
    } else {
      result[k] = v;
    }
  }
  return json::value(std::move(result));
}

}  // namespace

absl::StatusOr<json::value> ApplyStrategicMergePatch(const json::value& target,
                                                     const json::value& patch) {
  if (!patch.is_object()) {
    return absl::InvalidArgumentError("strategic merge patch must be a JSON object");
  }
  return Strategic(target, patch);
}

}  // namespace shoal::api
