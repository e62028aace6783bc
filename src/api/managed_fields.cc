#include "api/managed_fields.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <utility>

#include "api/object.h"
#include "api/patch.h"
#include "base/clock.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace shoal::api {

namespace json = boost::json;
using Node = FieldSet::Node;

// ---------------------------------------------------------------------------------------------
// Walking objects

namespace {

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

// structured-merge-diff's ToFieldSet: leaves, list-map items (as members) and their fields,
// set values, atomic lists as leaves. Empty maps and lists own nothing.
absl::Status CollectFields(const json::object& o, std::string_view kind, FieldSet& out);

absl::Status CollectField(const json::value& v, std::string_view field, std::string_view kind,
                          FieldSet& out) {
  std::string pe = FieldPe(field);
  if (const json::object* o = v.if_object()) {
    FieldSet child;
    RETURN_IF_ERROR(CollectFields(*o, kind, child));
    out.Attach(pe, false, std::move(child));
  } else if (const json::array* a = v.if_array()) {
    ApplyListSchema schema = ApplyListSchemaFor(kind, field);
    if (schema.type == ListType::kAtomic) {
      out.Attach(pe, true, {});
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(std::vector<std::string> pes, ItemPes(*a, schema, field));
    FieldSet items;
    for (size_t i = 0; i < a->size(); ++i) {
      FieldSet item;
      if (schema.type == ListType::kMap) {
        RETURN_IF_ERROR(CollectFields((*a)[i].get_object(), kind, item));
      }
      items.Attach(pes[i], true, std::move(item));
    }
    out.Attach(pe, false, std::move(items));
  } else {
    out.Attach(pe, true, {});
  }
  return absl::OkStatus();
}

absl::Status CollectFields(const json::object& o, std::string_view kind, FieldSet& out) {
  for (const auto& [k, v] : o) RETURN_IF_ERROR(CollectField(v, std::string_view(k), kind, out));
  return absl::OkStatus();
}

// What Kubernetes' stripMeta manager removes from every set (plain difference: `metadata`
// itself, not its children), plus the deletion fields, which Kubernetes sets outside the
// field manager.
const FieldSet& StripSet() {
  static const FieldSet* set = [] {
    auto* s = new FieldSet();
    s->Insert({"f:apiVersion"});
    s->Insert({"f:kind"});
    s->Insert({"f:metadata"});
    for (std::string_view f : {"f:name", "f:namespace", "f:creationTimestamp", "f:selfLink",
                               "f:uid", "f:clusterName", "f:generation", "f:managedFields",
                               "f:resourceVersion", "f:deletionTimestamp",
                               "f:deletionGracePeriodSeconds"}) {
      s->Insert({"f:metadata", f});
    }
    return s;
  }();
  return *set;
}

// Kubernetes' reset fields: what a write through the main resource or the status subresource
// may not change (the strategies copy it back from the live object).
const FieldSet& IgnoredFields(std::string_view subresource) {
  static const FieldSet* main = [] {
    auto* s = new FieldSet();
    s->Insert({"f:status"});
    return s;
  }();
  static const FieldSet* status = [] {
    auto* s = new FieldSet();
    s->Insert({"f:spec"});
    return s;
  }();
  static const FieldSet* none = new FieldSet();
  if (subresource.empty()) return *main;
  if (subresource == "status") return *status;
  return *none;
}

std::string_view KindOf(const json::object& o) {
  const json::value* k = o.if_contains("kind");
  return k != nullptr && k->is_string() ? std::string_view(k->get_string()) : std::string_view();
}

// --- Compare (structured-merge-diff's Comparison) --------------------------------------------

struct Comparison {
  FieldSet added, modified, removed;
};

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

// --- managedFields ---------------------------------------------------------------------------

bool SameManager(const ManagedFieldsEntry& e, std::string_view manager, std::string_view op,
                 std::string_view api_version, std::string_view subresource) {
  // Appliers are one manager across versions (Kubernetes' BuildManagerIdentifier).
  return e.manager == manager && e.operation == op && e.subresource == subresource &&
         (op == "Apply" || e.api_version == api_version);
}

// Kubernetes' printManager.
std::string PrintManager(const ManagedFieldsEntry& e) {
  std::string out = json::serialize(json::value(e.manager));
  if (!e.subresource.empty()) {
    base::StrAppend(&out, " with subresource ", json::serialize(json::value(e.subresource)));
  }
  if (e.operation == "Update") base::StrAppend(&out, " using ", e.api_version);
  return out;
}

// The JSON manager identifier Kubernetes sorts conflicts by.
std::string ManagerIdentifier(const ManagedFieldsEntry& e) {
  json::object id;
  id["manager"] = e.manager;
  id["operation"] = e.operation;
  if (e.operation != "Apply") id["apiVersion"] = e.api_version;
  if (!e.subresource.empty()) id["subresource"] = e.subresource;
  return json::serialize(id);
}

void DropEmpty(std::vector<ManagedFieldsEntry>& entries) {
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const ManagedFieldsEntry& e) { return e.fields.empty(); }),
                entries.end());
}

constexpr size_t kMaxUpdateManagers = 10;

// Kubernetes' capManagersManager: past kMaxUpdateManagers Update entries, the oldest are merged
// into an "ancient-changes" entry per apiVersion.
void CapUpdateManagers(std::vector<ManagedFieldsEntry>& entries) {
  std::vector<size_t> updaters;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].operation == "Update") updaters.push_back(i);
  }
  if (updaters.size() <= kMaxUpdateManagers) return;
  std::sort(updaters.begin(), updaters.end(), [&](size_t a, size_t b) {
    if (entries[a].time != entries[b].time) return entries[a].time < entries[b].time;
    return ManagerIdentifier(entries[a]) < ManagerIdentifier(entries[b]);
  });
  std::map<std::string, size_t> first_of_version;
  std::map<std::string, size_t> bucket_of_version;
  std::vector<bool> drop(entries.size(), false);
  size_t length = updaters.size();
  for (size_t u = 0; u < updaters.size() && length > kMaxUpdateManagers; ++u) {
    size_t i = updaters[u];
    const std::string& version = entries[i].api_version;
    auto first = first_of_version.find(version);
    if (first == first_of_version.end()) {
      first_of_version[version] = i;
      continue;
    }
    auto bucket = bucket_of_version.find(version);
    if (bucket == bucket_of_version.end()) {
      // The first entry of this version becomes the bucket.
      ManagedFieldsEntry& b = entries[first->second];
      b.manager = "ancient-changes";
      b.subresource.clear();
      bucket = bucket_of_version.emplace(version, first->second).first;
    }
    ManagedFieldsEntry& b = entries[bucket->second];
    b.fields = entries[i].fields.Union(b.fields);
    b.time = entries[i].time;
    drop[i] = true;
    --length;
  }
  std::vector<ManagedFieldsEntry> kept;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!drop[i]) kept.push_back(std::move(entries[i]));
  }
  entries = std::move(kept);
}

absl::Status InvalidEntry(size_t i, std::string_view field, const json::value& value,
                          std::string_view why) {
  return absl::InvalidArgumentError(base::StrCat("metadata.managedFields[", i, "].", field,
                                                 ": Invalid value: ", json::serialize(value),
                                                 ": ", why));
}

bool IsReset(const json::value& mf) {
  const json::array* a = mf.if_array();
  if (a == nullptr) return false;
  if (a->empty()) return true;
  return a->size() == 1 && (*a)[0].is_object() && (*a)[0].get_object().empty();
}

void SetManagedFields(json::object& object, std::vector<ManagedFieldsEntry> entries) {
  json::value& meta = object["metadata"];
  if (!meta.is_object()) meta = json::object();
  if (entries.empty()) {
    meta.get_object().erase("managedFields");
  } else {
    meta.get_object()["managedFields"] = EncodeManagedFields(std::move(entries));
  }
}

const json::value* ManagedFieldsOf(const json::object& o) {
  const json::value* meta = o.if_contains("metadata");
  if (meta == nullptr || !meta->is_object()) return nullptr;
  const json::value* mf = meta->get_object().if_contains("managedFields");
  return mf == nullptr || mf->is_null() ? nullptr : mf;
}

json::object WithoutManagedFields(const json::object& o) {
  json::object copy = o;
  if (json::value* meta = copy.if_contains("metadata"); meta != nullptr && meta->is_object()) {
    meta->get_object().erase("managedFields");
  }
  return copy;
}

constexpr std::string_view kKubectlManager = "kubectl";
constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

// The live object's last-applied-configuration annotation, parsed; nullopt when absent, not
// an object, or written for another apiVersion than the request's.
std::optional<json::object> LastAppliedOf(const json::object& live, const ApplyRequest& request) {
  const json::value* a = FindPath(live, "metadata.annotations");
  if (a == nullptr || !a->is_object()) return std::nullopt;
  const json::value* text = a->get_object().if_contains(kLastApplied);
  if (text == nullptr || !text->is_string() || text->get_string().empty()) return std::nullopt;
  absl::StatusOr<json::value> parsed = ParseJson(text->get_string());
  if (!parsed.ok() || !parsed->is_object()) return std::nullopt;
  if (StringAt(*parsed, "apiVersion") != request.api_version) return std::nullopt;
  return std::move(parsed->get_object());
}

// The fields of the live object's last-applied configuration whose values the live object
// (`base`, without managedFields) still has: what kubectl's own client-side apply set and
// nobody changed since (kube-apiserver's allowedConflictsFromLastApplied).
FieldSet FieldsMatchingLastApplied(const json::object& base, const ApplyRequest& request) {
  std::optional<json::object> last = LastAppliedOf(base, request);
  if (!last) return {};
  FieldSet set;
  if (!CollectFields(*last, request.kind, set).ok()) return {};
  Comparison cmp = CompareObjects(&*last, base, request.kind);
  return set.Difference(cmp.modified).Difference(cmp.added).Difference(cmp.removed);
}

// kube-apiserver's lastAppliedUpdater: when kubectl applies server-side to an object that
// carries the client-side annotation, the annotation is rewritten from the applied
// configuration, so that a later client-side apply computes its deletions from it.
void SyncLastApplied(const json::object& config, json::object& out) {
  json::value* meta = out.if_contains("metadata");
  if (meta == nullptr || !meta->is_object()) return;
  json::value* annotations = meta->get_object().if_contains("annotations");
  if (annotations == nullptr || !annotations->is_object() ||
      !annotations->get_object().contains(kLastApplied)) {
    return;
  }
  json::object copy = config;
  if (json::value* m = copy.if_contains("metadata"); m != nullptr && m->is_object()) {
    if (json::value* a = m->get_object().if_contains("annotations"); a != nullptr &&
                                                                      a->is_object()) {
      a->get_object().erase(kLastApplied);
    }
  }
  std::string text = SerializeSortedLikeGo(copy);
  text.push_back('\n');  // Go's json.Encoder ends the document with a newline
  annotations->get_object()[kLastApplied] = std::move(text);
}

}  // namespace

absl::StatusOr<std::vector<ManagedFieldsEntry>> DecodeManagedFields(
    const json::value& managed_fields) {
  std::vector<ManagedFieldsEntry> out;
  if (managed_fields.is_null()) return out;
  const json::array* a = managed_fields.if_array();
  if (a == nullptr) {
    return absl::InvalidArgumentError("metadata.managedFields: must be a list");
  }
  out.reserve(a->size());
  for (size_t i = 0; i < a->size(); ++i) {
    const json::object* e = (*a)[i].if_object();
    if (e == nullptr) {
      return absl::InvalidArgumentError(
          base::StrCat("metadata.managedFields[", i, "]: must be an object"));
    }
    ManagedFieldsEntry entry;
    auto str = [&](std::string_view name, std::string& dst) -> absl::Status {
      const json::value* v = e->if_contains(name);
      if (v == nullptr || v->is_null()) return absl::OkStatus();
      if (!v->is_string()) return InvalidEntry(i, name, *v, "must be a string");
      dst = std::string(v->get_string());
      return absl::OkStatus();
    };
    RETURN_IF_ERROR(str("manager", entry.manager));
    RETURN_IF_ERROR(str("operation", entry.operation));
    RETURN_IF_ERROR(str("apiVersion", entry.api_version));
    RETURN_IF_ERROR(str("time", entry.time));
    RETURN_IF_ERROR(str("subresource", entry.subresource));
    std::string fields_type;
    RETURN_IF_ERROR(str("fieldsType", fields_type));
    if (entry.operation != "Apply" && entry.operation != "Update") {
      return InvalidEntry(i, "operation", json::value(entry.operation),
                          "must be `Apply` or `Update`");
    }
    if (fields_type != "FieldsV1") {
      return InvalidEntry(i, "fieldsType", json::value(fields_type), "must be `FieldsV1`");
    }
    if (entry.api_version.empty()) {
      return InvalidEntry(i, "apiVersion", json::value(""), "must not be empty");
    }
    if (entry.manager.size() > 128) {
      return absl::InvalidArgumentError(base::StrCat(
          "metadata.managedFields[", i, "].manager: Too long: may not be more than 128 bytes"));
    }
    if (const json::value* f = e->if_contains("fieldsV1"); f != nullptr && !f->is_null()) {
      absl::StatusOr<FieldSet> set = FieldSet::FromJson(*f);
      if (!set.ok()) {
        return absl::InvalidArgumentError(base::StrCat(
            "metadata.managedFields[", i, "].fieldsV1: Invalid value: ", set.status().message()));
      }
      entry.fields = std::move(*set);
    }
    // A later entry with the same identity wins, as in Kubernetes' decoding.
    auto dup = std::find_if(out.begin(), out.end(), [&](const ManagedFieldsEntry& x) {
      return SameManager(x, entry.manager, entry.operation, entry.api_version, entry.subresource);
    });
    if (dup != out.end()) {
      *dup = std::move(entry);
    } else {
      out.push_back(std::move(entry));
    }
  }
  return out;
}

json::array EncodeManagedFields(std::vector<ManagedFieldsEntry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const ManagedFieldsEntry& p, const ManagedFieldsEntry& q) {
              if (p.operation != q.operation) return p.operation < q.operation;
              if (p.time != q.time) return p.time < q.time;  // RFC 3339 UTC sorts as time
              if (p.manager != q.manager) return p.manager < q.manager;
              if (p.api_version != q.api_version) return p.api_version < q.api_version;
              return p.subresource < q.subresource;
            });
  json::array out;
  out.reserve(entries.size());
  for (ManagedFieldsEntry& e : entries) {
    json::object o;
    o.reserve(7);
    o.emplace("manager", e.manager);
    o.emplace("operation", e.operation);
    o.emplace("apiVersion", e.api_version);
    if (!e.time.empty()) o.emplace("time", e.time);
    o.emplace("fieldsType", "FieldsV1");
    o.emplace("fieldsV1", e.fields.ToJson());
    if (!e.subresource.empty()) o.emplace("subresource", e.subresource);
    out.push_back(std::move(o));
  }
  return out;
}

absl::StatusOr<FieldSet> FieldsOf(const json::object& object) {
  FieldSet out;
  RETURN_IF_ERROR(CollectFields(object, KindOf(object), out));
  return out.Difference(StripSet());
}

std::string DefaultManager(std::string_view user_agent) {
  std::string_view prefix = user_agent.substr(0, user_agent.find('/'));
  std::string out;
  for (char c : prefix) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && !std::isprint(u)) continue;
    if (out.size() + 1 > 128) break;
    out.push_back(c);
  }
  return out;
}

json::array ConflictCauses(const std::vector<FieldConflict>& conflicts) {
  json::array out;
  for (const FieldConflict& c : conflicts) {
    out.push_back(json::object{
        {"reason", "FieldManagerConflict"}, {"message", c.message}, {"field", c.field}});
  }
  return out;
}

absl::StatusOr<json::object> Apply(const json::object* live, const json::object& config,
                                   const ApplyRequest& request,
                                   std::vector<FieldConflict>* conflicts) {
  if (request.manager.empty()) {
    return absl::InvalidArgumentError("fieldManager is required for apply requests");
  }
  std::string_view cfg_version, cfg_kind;
  if (const json::value* v = config.if_contains("apiVersion"); v && v->is_string()) {
    cfg_version = v->get_string();
  }
  if (const json::value* v = config.if_contains("kind"); v && v->is_string()) {
    cfg_kind = v->get_string();
  }
  if (cfg_version != request.api_version || cfg_kind != request.kind) {
    std::string_view group, version = cfg_version;
    if (size_t slash = cfg_version.find('/'); slash != std::string_view::npos) {
      group = cfg_version.substr(0, slash);
      version = cfg_version.substr(slash + 1);
    }
    return absl::InvalidArgumentError(
        base::StrCat("invalid object type: ", group, "/", version, ", Kind=", cfg_kind));
  }
  if (ManagedFieldsOf(config) != nullptr) {
    return absl::InvalidArgumentError("metadata.managedFields must be nil");
  }

  std::vector<ManagedFieldsEntry> managers;
  if (live != nullptr) {
    if (const json::value* mf = ManagedFieldsOf(*live)) {
      absl::StatusOr<std::vector<ManagedFieldsEntry>> decoded = DecodeManagedFields(*mf);
      if (!decoded.ok()) {
        return absl::InternalError(
            base::StrCat("failed to decode managed fields: ", decoded.status().message()));
      }
      managers = std::move(*decoded);
    }
  }
  const std::string_view kind = request.kind;
  const FieldSet& ignored = IgnoredFields(request.subresource);

  FieldSet config_set;
  RETURN_IF_ERROR(CollectFields(config, kind, config_set));
  config_set = config_set.RecursiveDifference(ignored);

  json::object base = live != nullptr ? WithoutManagedFields(*live) : json::object();
  json::value merged(base);
  {
    // The ignored part of the config is reset by the strategy in Kubernetes; never merge it.
    const json::object* cfg = &config;
    json::object trimmed;
    for (const Node& n : ignored.nodes()) {
      if (config.contains(std::string_view(n.pe).substr(2))) {
        trimmed = config;
        for (const Node& m : ignored.nodes()) trimmed.erase(std::string_view(m.pe).substr(2));
        cfg = &trimmed;
        break;
      }
    }
    RETURN_IF_ERROR(MergeInto(merged, json::value(*cfg), {}, kind));
  }

  auto self = std::find_if(managers.begin(), managers.end(), [&](const ManagedFieldsEntry& e) {
    return SameManager(e, request.manager, "Apply", {}, request.subresource);
  });
  if (self != managers.end() && !self->fields.empty()) {
    FieldSet owned = config_set.Union(StripSet());
    for (const ManagedFieldsEntry& e : managers) {
      if (&e != &*self) owned = owned.Union(e.fields);
    }
    Prune(merged, self->fields, &owned, {}, kind);
  }

  Comparison cmp = CompareObjects(live != nullptr ? &base : nullptr, merged.get_object(), kind);
  FieldSet changed = cmp.added.Union(cmp.modified).RecursiveDifference(ignored);
  FieldSet removed = cmp.removed.RecursiveDifference(ignored);

  struct Found {
    const ManagedFieldsEntry* entry;
    std::string id;
    FieldSet set;
  };
  std::vector<Found> found;
  for (const ManagedFieldsEntry& e : managers) {
    if (self != managers.end() && &e == &*self) continue;
    FieldSet c = e.fields.Intersection(changed);
    if (!c.empty()) found.push_back({&e, ManagerIdentifier(e), std::move(c)});
  }
  if (!found.empty() && !request.force && request.manager == kKubectlManager &&
      live != nullptr) {
    // kube-apiserver's lastAppliedManager: moving from client-side to server-side apply,
    // kubectl does not conflict on fields that its last-applied annotation sets to the
    // values the object still has; the apply takes them as if forced.
    FieldSet allowed = FieldsMatchingLastApplied(base, request);
    std::vector<Found> left;
    for (Found& f : found) {
      FieldSet c = f.set.Difference(allowed);
      if (!c.empty()) left.push_back({f.entry, std::move(f.id), std::move(c)});
    }
    found = std::move(left);
  }
  if (!found.empty() && !request.force) {
    std::sort(found.begin(), found.end(),
              [](const Found& a, const Found& b) { return a.id < b.id; });
    std::vector<FieldConflict> all;
    std::vector<std::string> lines;
    for (const Found& f : found) {
      std::string who = PrintManager(*f.entry);
      lines.push_back(base::StrCat("conflicts with ", who, ":"));
      for (std::string& path : f.set.Paths()) {
        lines.push_back(base::StrCat("- ", path));
        all.push_back({base::StrCat("conflict with ", who), std::move(path)});
      }
    }
    std::string message;
    if (all.size() == 1) {
      message = base::StrCat("Apply failed with 1 conflict: ", all[0].message, ": ", all[0].field);
    } else {
      message = base::StrCat("Apply failed with ", all.size(), " conflicts: ");
      for (size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) message += '\n';
        message += lines[i];
      }
    }
    if (conflicts != nullptr) *conflicts = std::move(all);
    return absl::AbortedError(message);
  }

  for (ManagedFieldsEntry& e : managers) {
    if (self != managers.end() && &e == &*self) continue;
    e.fields = e.fields.Difference(changed).Difference(removed);
  }
  ManagedFieldsEntry applied;
  applied.manager = std::string(request.manager);
  applied.operation = "Apply";
  applied.api_version = std::string(request.api_version);
  applied.subresource = std::string(request.subresource);
  // An apply that changes nothing in the object leaves the manager's time as it was
  // (kube-apiserver's managedFieldsUpdater), so that re-applying is not a write.
  bool unchanged = live != nullptr && cmp.added.empty() && cmp.modified.empty() &&
                   cmp.removed.empty();
  if (!unchanged) {
    applied.time = base::FormatRfc3339(request.now);
  } else if (self != managers.end()) {
    applied.time = self->time;
  }
  applied.fields = config_set.Difference(StripSet());
  if (self != managers.end()) {
    *self = std::move(applied);
  } else {
    managers.push_back(std::move(applied));
  }
  DropEmpty(managers);
  CapUpdateManagers(managers);
  json::object out = std::move(merged.get_object());
  SetManagedFields(out, std::move(managers));
  if (request.manager == kKubectlManager && request.subresource.empty()) {
    SyncLastApplied(config, out);
  }
  return out;
}

absl::Status TrackUpdate(const json::object* old_object, json::object& updated,
                         const UpdateRequest& request) {
  std::vector<ManagedFieldsEntry> managers;
  const json::value* sent = request.subresource.empty() ? ManagedFieldsOf(updated) : nullptr;
  if (sent != nullptr && IsReset(*sent)) {
    // kubectl's way to drop every entry: tracking starts again from this write.
  } else if (sent != nullptr) {
    ASSIGN_OR_RETURN(managers, DecodeManagedFields(*sent));
  } else if (old_object != nullptr) {
    if (const json::value* mf = ManagedFieldsOf(*old_object)) {
      // Live entries that do not decode are dropped, as Kubernetes does.
      absl::StatusOr<std::vector<ManagedFieldsEntry>> decoded = DecodeManagedFields(*mf);
      if (decoded.ok()) managers = std::move(*decoded);
    }
  }

  std::string_view kind = KindOf(updated);
  std::string_view api_version;
  if (const json::value* v = updated.if_contains("apiVersion"); v && v->is_string()) {
    api_version = v->get_string();
  }
  const FieldSet& ignored = IgnoredFields(request.subresource);

  Comparison cmp = CompareObjects(old_object, updated, kind);

  FieldSet changed = cmp.added.Union(cmp.modified).RecursiveDifference(ignored);
  FieldSet removed = cmp.removed.RecursiveDifference(ignored);
  if (!changed.empty() || !removed.empty()) {
    for (ManagedFieldsEntry& e : managers) {
      e.fields = e.fields.Difference(changed).Difference(removed);
    }
  }
  FieldSet gained = changed.Difference(StripSet());
  if (!gained.empty()) {
    auto self = std::find_if(managers.begin(), managers.end(), [&](const ManagedFieldsEntry& e) {
      return SameManager(e, request.manager, "Update", api_version, request.subresource);
    });
    if (self == managers.end()) {
      ManagedFieldsEntry e;
      e.manager = std::string(request.manager);
      e.operation = "Update";
      e.api_version = std::string(api_version);
      e.subresource = std::string(request.subresource);
      managers.push_back(std::move(e));
      self = managers.end() - 1;
    }
    self->fields = self->fields.Union(gained);
    self->time = base::FormatRfc3339(request.now);
  }
  DropEmpty(managers);
  CapUpdateManagers(managers);
  SetManagedFields(updated, std::move(managers));
  return absl::OkStatus();
}

}  // namespace shoal::api
