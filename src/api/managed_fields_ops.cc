// structured-merge-diff's operations on objects, for managed_fields.cc: path elements of list
// items, Compare (which fields a write added, changed or removed), Merge (apply's merge of a
// configuration into the live object) and Prune (what an applier dropped from its config).
#include "api/internal/managed_fields_ops.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "api/object.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace shoal::api::internal {

namespace json = boost::json;
using Node = FieldSet::Node;

std::string FieldPe(std::string_view name) { return base::StrCat("f:", name); }

// The path element of a list item, or nullopt when it has none (a list-map item that is not
// an object or lacks a key field without default).
std::optional<std::string> ItemPe(const json::value& item, const ApplyListSchema& schema) {
  if (schema.type == ListType::kSet) return base::StrCat("v:", json::serialize(item));
  const json::object* o = item.if_object();
  if (o == nullptr) return std::nullopt;
  std::string pe = "k:{";
  for (int i = 0; i < schema.key_count; ++i) {
    const ListMapKey& k = schema.keys[i];
    if (i > 0) pe += ',';
    pe += json::serialize(json::value(json::string_view(k.name.data(), k.name.size())));
    pe += ':';
    if (const json::value* v = o->if_contains(k.name)) {
      pe += json::serialize(*v);
    } else if (!k.default_value.empty()) {
      pe += json::serialize(
          json::value(json::string_view(k.default_value.data(), k.default_value.size())));
    } else {
      return std::nullopt;
    }
  }
  pe += '}';
  return pe;
}

// The path elements of every item of a set or list-map, or an error naming the first bad
// item (Kubernetes' wording).
absl::StatusOr<std::vector<std::string>> ItemPes(const json::array& items,
                                                 const ApplyListSchema& schema,
                                                 std::string_view field) {
  std::vector<std::string> pes;
  pes.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    std::optional<std::string> pe = ItemPe(items[i], schema);
    if (!pe.has_value()) {
      std::string_view missing = schema.key_count > 0 ? schema.keys[0].name : "";
      if (const json::object* o = items[i].if_object()) {
        for (int k = 0; k < schema.key_count; ++k) {
          if (!o->contains(schema.keys[k].name)) missing = schema.keys[k].name;
        }
      }
      return absl::InvalidArgumentError(base::StrCat(
          ".", field, ": element ", i, ": associative list with keys has an element that omits ",
          "key field \"", missing, "\" (and doesn't have default value)"));
    }
    if (std::find(pes.begin(), pes.end(), *pe) != pes.end()) {
      std::string printed;
      internal::AppendPrintedPathElement(printed, *pe);
      return absl::InvalidArgumentError(
          base::StrCat(".", field, ": duplicate entries for key ", printed));
    }
    pes.push_back(std::move(*pe));
  }
  return pes;
}

// --- Compare (structured-merge-diff's Comparison) --------------------------------------------

enum : int { kSelfAdded = 1, kSelfRemoved = 2, kSelfModified = 4 };

// Fields that Kubernetes' Go types always serialize (value structs as `{}`, PodSpec.containers
// as null): the zero object a create is compared with has them, so they are not "added"
// themselves when their parent exists. Matters for the `.` entries.
bool IsValueStruct(std::string_view field) {
  return field == "metadata" || field == "spec" || field == "status" || field == "template" ||
         field == "resources" || field == "containers";
}

bool EmptyOrAbsent(const json::value* v) {
  return v == nullptr || (v->is_object() && v->get_object().empty()) ||
         (v->is_array() && v->get_array().empty());
}

int CompareLeaf(const json::value* l, const json::value* r) {
  if (l == nullptr && r == nullptr) return 0;
  if (l == nullptr) return kSelfAdded;
  if (r == nullptr) return kSelfRemoved;
  return JsonEqual(*l, *r) ? 0 : kSelfModified;
}

void AttachResult(Comparison& out, std::string_view pe, int flags, Comparison&& child) {
  out.added.Attach(pe, flags & kSelfAdded, std::move(child.added));
  out.removed.Attach(pe, flags & kSelfRemoved, std::move(child.removed));
  out.modified.Attach(pe, flags & kSelfModified, std::move(child.modified));
}

int CompareNode(const json::value* l, const json::value* r, bool l_virtual, bool r_virtual,
                std::string_view field, std::string_view kind, Comparison& out);

// metadata.managedFields is never compared: it is what is being computed.
void CompareMaps(const json::object* lo, const json::object* ro, std::string_view field,
                 std::string_view kind, Comparison& out) {
  static const json::object kEmpty;
  const json::object& lm = lo != nullptr ? *lo : kEmpty;
  const json::object& rm = ro != nullptr ? *ro : kEmpty;
  const bool metadata = field == "metadata";
  for (const auto& [k, lv] : lm) {
    std::string_view key(k);
    if (metadata && key == "managedFields") continue;
    const json::value* rv = rm.if_contains(key);
    Comparison child;
    int flags = CompareNode(&lv, rv, false, ro != nullptr && IsValueStruct(key), key, kind, child);
    if (flags != 0 || !child.added.empty() || !child.removed.empty() ||
        !child.modified.empty()) {
      AttachResult(out, FieldPe(key), flags, std::move(child));
    }
  }
  for (const auto& [k, rv] : rm) {
    std::string_view key(k);
    if (lm.contains(key) || (metadata && key == "managedFields")) continue;
    Comparison child;
    int flags = CompareNode(nullptr, &rv, lo != nullptr && IsValueStruct(key), false, key, kind,
                            child);
    AttachResult(out, FieldPe(key), flags, std::move(child));
  }
}

int CompareNode(const json::value* l, const json::value* r, bool l_virtual, bool r_virtual,
                std::string_view field, std::string_view kind, Comparison& out) {
  bool l_obj = l != nullptr && l->is_object();
  bool r_obj = r != nullptr && r->is_object();
  bool l_arr = l != nullptr && l->is_array();
  bool r_arr = r != nullptr && r->is_array();
  if ((l_obj || l == nullptr) && (r_obj || r == nullptr)) {
    if (EmptyOrAbsent(l) && EmptyOrAbsent(r)) {
      // Both empty: a leaf, so that `{}` versus absent is tracked.
      bool lp = l != nullptr || l_virtual, rp = r != nullptr || r_virtual;
      if (lp == rp) return 0;
      return lp ? kSelfRemoved : kSelfAdded;
    }
    // A virtual (zero-valued) side is an empty map whose own value structs exist too.
    static const json::object kZero;
    CompareMaps(l_obj ? &l->get_object() : (l_virtual ? &kZero : nullptr),
                r_obj ? &r->get_object() : (r_virtual ? &kZero : nullptr), field, kind, out);
    int flags = 0;
    if (l == nullptr && !l_virtual) flags |= kSelfAdded;
    if (r == nullptr && !r_virtual) flags |= kSelfRemoved;
    return flags;
  }
  if ((l_arr || l == nullptr) && (r_arr || r == nullptr)) {
    ApplyListSchema schema = ApplyListSchemaFor(kind, field);
    if (schema.type == ListType::kAtomic || (EmptyOrAbsent(l) && EmptyOrAbsent(r))) {
      return CompareLeaf(l, r);
    }
    static const json::array kNone;
    const json::array& la = l_arr ? l->get_array() : kNone;
    const json::array& ra = r_arr ? r->get_array() : kNone;
    absl::StatusOr<std::vector<std::string>> lpes = ItemPes(la, schema, field);
    absl::StatusOr<std::vector<std::string>> rpes = ItemPes(ra, schema, field);
    if (!lpes.ok() || !rpes.ok()) return CompareLeaf(l, r);  // unkeyable: track it whole
    for (size_t i = 0; i < la.size(); ++i) {
      auto it = std::find(rpes->begin(), rpes->end(), (*lpes)[i]);
      const json::value* rv = it == rpes->end() ? nullptr : &ra[it - rpes->begin()];
      Comparison child;
      int flags = schema.type == ListType::kSet
                      ? (rv == nullptr ? kSelfRemoved : 0)
                      : CompareNode(&la[i], rv, false, false, {}, kind, child);
      AttachResult(out, (*lpes)[i], flags, std::move(child));
    }
    for (size_t i = 0; i < ra.size(); ++i) {
      if (std::find(lpes->begin(), lpes->end(), (*rpes)[i]) != lpes->end()) continue;
      Comparison child;
      int flags = schema.type == ListType::kSet
                      ? kSelfAdded
                      : CompareNode(nullptr, &ra[i], false, false, {}, kind, child);
      AttachResult(out, (*rpes)[i], flags, std::move(child));
    }
    int flags = 0;
    if (l == nullptr && !l_virtual) flags |= kSelfAdded;
    if (r == nullptr && !r_virtual) flags |= kSelfRemoved;
    return flags;
  }
  if (l == nullptr || r == nullptr || !(l_obj || l_arr || r_obj || r_arr)) {
    return CompareLeaf(l, r);
  }
  // A value changed JSON type (map <-> list <-> scalar): the path is modified.
  return kSelfModified;
}

// Compares two objects, `old_object` nullptr meaning "created" (Go's zero object: its value
// structs exist).
Comparison CompareObjects(const json::object* old_object, const json::object& updated,
                          std::string_view kind) {
  Comparison out;
  static const json::object kEmpty;
  CompareMaps(old_object != nullptr ? old_object : &kEmpty, &updated, {}, kind, out);
  return out;
}

// --- Merge (structured-merge-diff's Merge, for apply) ----------------------------------------

absl::Status MergeInto(json::value& target, const json::value& config, std::string_view field,
                       std::string_view kind);

// Kubernetes' merge of associative lists: shared items follow the config's order, live-only
// items keep their place relative to them, config-only items come where the config puts them.
absl::Status MergeList(json::array& live, const json::array& config,
                       const ApplyListSchema& schema, std::string_view field,
                       std::string_view kind, json::array& out) {
  ASSIGN_OR_RETURN(std::vector<std::string> rpes, ItemPes(config, schema, field));
  absl::StatusOr<std::vector<std::string>> lpes_or = ItemPes(live, schema, field);
  if (!lpes_or.ok()) {  // a live list that cannot be keyed is replaced
    for (const json::value& c : config) {
      json::value item;
      RETURN_IF_ERROR(MergeInto(item, c, {}, kind));
      out.push_back(std::move(item));
    }
    return absl::OkStatus();
  }
  const std::vector<std::string>& lpes = *lpes_or;
  auto index_of = [](const std::vector<std::string>& v, const std::string& pe) -> int {
    auto it = std::find(v.begin(), v.end(), pe);
    return it == v.end() ? -1 : static_cast<int>(it - v.begin());
  };
  std::vector<const std::string*> shared;
  for (const std::string& pe : rpes) {
    if (index_of(lpes, pe) >= 0) shared.push_back(&pe);
  }
  size_t next_shared = 0;
  auto shared_at = [&]() -> const std::string* {
    return next_shared < shared.size() ? shared[next_shared] : nullptr;
  };
  std::vector<bool> merged_rhs(rpes.size(), false);
  auto take = [&](int li, size_t ri) -> absl::Status {
    json::value item = li >= 0 ? std::move(live[li]) : json::value();
    if (schema.type == ListType::kSet) {
      item = config[ri];
    } else {
      RETURN_IF_ERROR(MergeInto(item, config[ri], {}, kind));
    }
    out.push_back(std::move(item));
    merged_rhs[ri] = true;
    return absl::OkStatus();
  };
  size_t li = 0, ri = 0;
  while (li < lpes.size() || ri < rpes.size()) {
    if (li < lpes.size() && ri < rpes.size()) {
      if (lpes[li] == rpes[ri]) {
        RETURN_IF_ERROR(take(static_cast<int>(li), ri));
        ++li;
        ++ri;
        ++next_shared;
        continue;
      }
      const std::string* ns = shared_at();
      if (index_of(rpes, lpes[li]) >= 0 && ns != nullptr && *ns != lpes[li]) {
        ++li;  // a shared item, but not the next one in config order
        continue;
      }
    }
    if (li < lpes.size()) {
      int r = index_of(rpes, lpes[li]);
      if (r < 0) {
        out.push_back(std::move(live[li]));
        ++li;
        continue;
      }
      if (merged_rhs[r]) {
        ++li;
        continue;
      }
    }
    if (ri < rpes.size()) {
      if (!merged_rhs[ri]) RETURN_IF_ERROR(take(index_of(lpes, rpes[ri]), ri));
      const std::string* ns = shared_at();
      if (ns != nullptr && *ns == rpes[ri]) ++next_shared;
      ++ri;
    }
  }
  return absl::OkStatus();
}

absl::Status MergeInto(json::value& target, const json::value& config, std::string_view field,
                       std::string_view kind) {
  if (const json::object* c = config.if_object()) {
    if (!target.is_object()) target = json::object();
    json::object& t = target.get_object();
    for (const auto& [k, v] : *c) {
      if (v.is_null()) {
        t.erase(k);  // applied as null: owned, and absent (as after Go decoding)
        continue;
      }
      RETURN_IF_ERROR(MergeInto(t[k], v, std::string_view(k), kind));
    }
    return absl::OkStatus();
  }
  if (const json::array* c = config.if_array()) {
    ApplyListSchema schema = ApplyListSchemaFor(kind, field);
    json::array out;
    out.reserve(c->size());
    if (schema.type != ListType::kAtomic && target.is_array()) {
      RETURN_IF_ERROR(MergeList(target.get_array(), *c, schema, field, kind, out));
    } else {
      for (const json::value& item : *c) {
        json::value v;
        RETURN_IF_ERROR(MergeInto(v, item, {}, kind));
        out.push_back(std::move(v));
      }
    }
    target = std::move(out);
    return absl::OkStatus();
  }
  target = config;
  return absl::OkStatus();
}

// --- Prune (what the applier dropped from its config) ------------------------------------------

// Removes from `node` what `last` (the applier's previous set) has and `owned` (every
// manager's set now, the new config's included) does not: a member nobody owns anything of
// goes with its subtree; below owned paths it recurses; maps and lists emptied that way go too.
void Prune(json::value& node, const FieldSet& last, const FieldSet* owned, std::string_view field,
           std::string_view kind) {
  if (json::object* o = node.if_object()) {
    for (const Node& e : last.nodes()) {
      if (e.pe.size() < 2 || e.pe[0] != 'f') continue;
      std::string_view name = std::string_view(e.pe).substr(2);
      auto it = o->find(name);
      if (it == o->end()) continue;
      const Node* on = owned != nullptr ? owned->Find(e.pe) : nullptr;
      if (on == nullptr && e.member) {
        o->erase(it);
        continue;
      }
      if (!e.children.empty()) {
        Prune(it->value(), e.children, on != nullptr ? &on->children : nullptr, name, kind);
        if (EmptyOrAbsent(&it->value()) && (on == nullptr || !on->member)) o->erase(it);
      }
    }
    return;
  }
  if (json::array* a = node.if_array()) {
    ApplyListSchema schema = ApplyListSchemaFor(kind, field);
    if (schema.type == ListType::kAtomic) return;
    json::array kept;
    kept.reserve(a->size());
    for (json::value& item : *a) {
      std::optional<std::string> pe = ItemPe(item, schema);
      const Node* e = pe.has_value() ? last.Find(*pe) : nullptr;
      if (e == nullptr) {
        kept.push_back(std::move(item));
        continue;
      }
      const Node* on = owned != nullptr ? owned->Find(*pe) : nullptr;
      if (on == nullptr && e->member) continue;
      if (!e->children.empty()) {
        Prune(item, e->children, on != nullptr ? &on->children : nullptr, {}, kind);
      }
      kept.push_back(std::move(item));
    }
    *a = std::move(kept);
  }
}


}  // namespace shoal::api::internal
