#include "api/managed_fields.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <utility>

#include "api/internal/managed_fields_ops.h"
#include "api/object.h"
#include "api/patch.h"
#include "base/clock.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace shoal::api {

namespace json = boost::json;
using Node = FieldSet::Node;
using internal::CompareObjects;
using internal::Comparison;
using internal::FieldPe;
using internal::ItemPes;
using internal::MergeInto;
using internal::Prune;

// ---------------------------------------------------------------------------------------------
// Walking objects

namespace {

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
