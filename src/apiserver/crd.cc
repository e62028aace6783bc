// CustomResourceDefinitions (apiextensions.k8s.io/v1): the rules for the CRD object itself
// (defaults, validation, the status kube-apiserver's CRD controllers would write) and the
// ResourceTypes a CRD makes the server serve.
//
// shoal establishes a CRD synchronously: the resource is served from the commit of the CRD
// (ApiServer::ApplyCrd), so it is there when the create is acknowledged.
#include <algorithm>

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "api/object.h"
#include "api/schema.h"
#include "api/validation.h"
#include "apiserver/errors.h"
#include "apiserver/internal/async_write.h"
#include "apiserver/internal/rest.h"
#include "base/strings.h"

namespace shoal::apiserver::internal {

namespace json = boost::json;
using store::WriteOp;

namespace {

std::vector<std::string> Strings(const json::value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const json::value& s : v->get_array()) {
    if (s.is_string()) out.emplace_back(s.get_string());
  }
  return out;
}

}  // namespace

std::vector<api::ResourceType> CrdResourceTypes(const json::value& crd) {
  std::vector<api::ResourceType> out;
  std::string group(api::StringAt(crd, "spec.group"));
  std::string plural(api::StringAt(crd, "spec.names.plural"));
  std::string kind(api::StringAt(crd, "spec.names.kind"));
  if (group.empty() || plural.empty() || kind.empty()) return out;
  // A CRD being deleted keeps serving until its objects are gone; ApplyCrd withdraws it.
  const json::value* versions = api::FindPath(crd, "spec.versions");
  if (versions == nullptr || !versions->is_array()) return out;
  for (const json::value& v : versions->get_array()) {
    if (!api::BoolAt(v, "served")) continue;
    api::ResourceType t;
    t.group = group;
    t.version = std::string(api::StringAt(v, "name"));
    t.kind = kind;
    t.plural = plural;
    t.singular = std::string(api::StringAt(crd, "spec.names.singular"));
    if (t.singular.empty()) t.singular = absl::AsciiStrToLower(kind);
    t.namespaced = api::StringAt(crd, "spec.scope") != "Cluster";
    t.short_names = Strings(api::FindPath(crd, "spec.names.shortNames"));
    t.categories = Strings(api::FindPath(crd, "spec.names.categories"));
    t.has_status = api::FindPath(v, "subresources.status") != nullptr;
    t.uses_generation = true;
    t.custom = true;
    if (const json::value* cols = api::FindPath(v, "additionalPrinterColumns");
        cols != nullptr && cols->is_array()) {
      for (const json::value& c : cols->get_array()) {
        api::ResourceType::PrinterColumn pc;
        pc.name = std::string(api::StringAt(c, "name"));
        pc.type = std::string(api::StringAt(c, "type"));
        pc.json_path = std::string(api::StringAt(c, "jsonPath"));
        pc.description = std::string(api::StringAt(c, "description"));
        const json::value* p = api::FindPath(c, "priority");
        pc.priority = p != nullptr && p->is_int64() ? static_cast<int>(p->get_int64()) : 0;
        if (!pc.name.empty() && !pc.json_path.empty()) t.printer_columns.push_back(pc);
      }
    }
    if (const json::value* schema = api::FindPath(v, "schema.openAPIV3Schema");
        schema != nullptr && schema->is_object()) {
      auto built = api::SchemaFromCrd(schema->get_object(), t.group, t.version, t.kind);
      if (built.ok()) t.schema = std::move(*built);
    }
    if (!t.version.empty()) out.push_back(std::move(t));
  }
  return out;
}

void ValidateCrd(const json::object& crd, std::vector<Cause>& causes) {
  std::string group(api::StringAt(crd, "spec.group"));
  std::string plural(api::StringAt(crd, "spec.names.plural"));
  std::string name(api::StringAt(crd, "metadata.name"));
  if (group.empty()) {
    causes.push_back({"FieldValueRequired", "Required value", "spec.group"});
  } else if (group.find('.') == std::string::npos) {
    causes.push_back({"FieldValueInvalid",
                      base::StrCat("Invalid value: \"", group,
                                   "\": should be a domain with at least one dot"),
                      "spec.group"});
  }
  if (plural.empty()) {
    causes.push_back({"FieldValueRequired", "Required value", "spec.names.plural"});
  } else if (!api::ValidateDns1123Label(plural).ok()) {
    causes.push_back({"FieldValueInvalid",
                      base::StrCat("Invalid value: \"", plural,
                                   "\": a lowercase RFC 1123 label is required"),
                      "spec.names.plural"});
  }
  if (api::StringAt(crd, "spec.names.kind").empty()) {
    causes.push_back({"FieldValueRequired", "Required value", "spec.names.kind"});
  }
  if (!group.empty() && !plural.empty() && name != plural + "." + group) {
    causes.push_back({"FieldValueInvalid",
                      base::StrCat("Invalid value: \"", name, "\": must be spec.names.plural+\".\"+spec.group"),
                      "metadata.name"});
  }
  std::string_view scope = api::StringAt(crd, "spec.scope");
  if (scope != "Namespaced" && scope != "Cluster") {
    causes.push_back(UnsupportedValue("spec.scope", scope, {"Cluster", "Namespaced"}));
  }
  const json::value* versions = api::FindPath(crd, "spec.versions");
  if (versions == nullptr || !versions->is_array() || versions->get_array().empty()) {
    causes.push_back({"FieldValueRequired", "Required value: must have exactly one version marked as storage version", "spec.versions"});
    return;
  }
  int storage = 0;
  size_t i = 0;
  for (const json::value& v : versions->get_array()) {
    std::string path = base::StrCat("spec.versions[", i++, "]");
    if (api::StringAt(v, "name").empty()) {
      causes.push_back({"FieldValueRequired", "Required value", path + ".name"});
    }
    if (api::BoolAt(v, "storage")) ++storage;
    if (const json::value* schema = api::FindPath(v, "schema.openAPIV3Schema")) {
      if (!schema->is_object()) {
        causes.push_back({"FieldValueInvalid", "Invalid value: must be an object",
                          path + ".schema.openAPIV3Schema"});
      } else if (auto built = api::SchemaFromCrd(schema->get_object(), group,
                                                 api::StringAt(v, "name"),
                                                 api::StringAt(crd, "spec.names.kind"));
                 !built.ok()) {
        causes.push_back({"FieldValueInvalid",
                          base::StrCat("Invalid value: ", built.status().message()),
                          path + ".schema.openAPIV3Schema"});
      }
    }
  }
  if (storage != 1) {
    causes.push_back({"FieldValueInvalid",
                      base::StrCat("Invalid value: ", json::serialize(*versions).substr(0, 80),
                                   ": must have exactly one version marked as storage version"),
                      "spec.versions"});
  }
}

void CompleteCrd(json::object& crd, const std::string& now) {
  // Defaults (SetDefaults_CustomResourceDefinition), then the status the naming and
  // establishing controllers would write; shoal serves the resource at once.
  json::value* spec = crd.if_contains("spec");
  json::value* n = spec != nullptr && spec->is_object() ? spec->get_object().if_contains("names")
                                                        : nullptr;
  if (n != nullptr && n->is_object()) {
    json::object& names = n->get_object();
    std::string kind(api::StringAt(*n, "kind"));
    if (!names.contains("singular") && !kind.empty()) names["singular"] = absl::AsciiStrToLower(kind);
    if (!names.contains("listKind") && !kind.empty()) names["listKind"] = kind + "List";
  }
  json::object names;
  if (const json::value* n = api::FindPath(crd, "spec.names"); n != nullptr && n->is_object()) {
    names = n->get_object();
  }
  json::array stored;
  if (const json::value* versions = api::FindPath(crd, "spec.versions");
      versions != nullptr && versions->is_array()) {
    for (const json::value& v : versions->get_array()) {
      if (api::BoolAt(v, "storage")) stored.push_back(json::value(api::StringAt(v, "name")));
    }
  }
  auto condition = [&](const char* type, const char* reason, const char* message) {
    return json::object{{"type", type}, {"status", "True"}, {"lastTransitionTime", now},
                        {"reason", reason}, {"message", message}};
  };
  crd["status"] = json::object{
      {"conditions", json::array{condition("NamesAccepted", "NoConflicts",
                                           "no conflicts found"),
                                 condition("Established", "InitialNamesAccepted",
                                           "the initial names have been accepted")}},
      {"acceptedNames", std::move(names)},
      {"storedVersions", std::move(stored)}};
}

boost::asio::awaitable<void> DeleteCustomObjects(ApiServer& s, const json::value& crd) {
  std::vector<api::ResourceType> types = CrdResourceTypes(crd);
  if (types.empty()) co_return;
  const api::ResourceType* t =
      s.registry().Find(types[0].group, types[0].version, types[0].plural);
  if (t == nullptr) co_return;
  ListOptions all;
  auto list = s.CacheFor(*t)->List(all);
  if (!list.ok()) co_return;
  for (const ObjectPtr& o : list->items) {
    Request req;
    req.method = "DELETE";
    RequestInfo info{t->group, t->version, o->ns, o->name, "", "delete", t};
    Response r = co_await HandleResource(s, req, info);
    (void)r;  // an object already gone, or kept by a finalizer, is left as it is
  }
}

namespace {

// The cache of the CRD's resource (all versions share one), or nullptr.
WatchCache* CustomCache(ApiServer& s, const json::value& crd) {
  std::vector<api::ResourceType> types = CrdResourceTypes(crd);
  if (types.empty()) return nullptr;
  const api::ResourceType* t = s.registry().Find(types[0].group, types[0].version, types[0].plural);
  return t == nullptr ? nullptr : s.CacheFor(*t);
}

const api::ResourceType& CrdType(ApiServer& s) {
  return *s.registry().Find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
}

// The CRD serving `custom` (named <plural>.<group>), parsed, with its revision, when it is
// being deleted; nullopt otherwise. Custom creates and deletes all ask, so the cached bytes
// are searched for a deletionTimestamp before anything is parsed.
std::optional<std::pair<json::object, int64_t>> TerminatingCrdOf(
    ApiServer& s, const api::ResourceType& custom) {
  const api::ResourceType& crd_type = CrdType(s);
  ObjectPtr o = s.CacheFor(crd_type)->Get(
      crd_type.Key("", base::StrCat(custom.plural, ".", custom.group)));
  if (!o || o->json->find("\"deletionTimestamp\"") == std::string::npos) return std::nullopt;
  absl::StatusOr<json::value> v = api::ParseJson(*o->json);
  if (!v.ok() || !v->is_object() ||
      api::StringAt(*v, "metadata.deletionTimestamp").empty()) {
    return std::nullopt;
  }
  return std::make_pair(std::move(v->get_object()), o->rv);
}

}  // namespace

size_t CustomObjectsLeft(ApiServer& s, const json::value& crd) {
  WatchCache* cache = CustomCache(s, crd);
  if (cache == nullptr) return 0;
  ListOptions all;
  auto list = cache->List(all);
  return list.ok() ? list->items.size() : 0;
}

void MarkCrdTerminating(json::object& crd, const std::string& now) {
  json::value& meta = crd["metadata"];
  if (!meta.is_object()) meta = json::object();
  json::value& fin = meta.get_object()["finalizers"];
  if (!fin.is_array()) fin = json::array();
  const json::value finalizer(kCrdCleanupFinalizer);
  if (std::find(fin.get_array().begin(), fin.get_array().end(), finalizer) ==
      fin.get_array().end()) {
    fin.get_array().push_back(finalizer);
  }
  json::value& status = crd["status"];
  if (!status.is_object()) status = json::object();
  json::value& conditions = status.get_object()["conditions"];
  if (!conditions.is_array()) conditions = json::array();
  for (const json::value& c : conditions.get_array()) {
    if (api::StringAt(c, "type") == "Terminating") return;
  }
  conditions.get_array().push_back(json::object{
      {"type", "Terminating"}, {"status", "True"}, {"lastTransitionTime", now},
      {"reason", "InstanceDeletionInProgress"},
      {"message", "CustomResource deletion is in progress"}});
}

bool CrdTerminating(ApiServer& s, const api::ResourceType& custom) {
  return TerminatingCrdOf(s, custom).has_value();
}

boost::asio::awaitable<void> FinishCrdDeletion(ApiServer& s, const api::ResourceType& custom) {
  const api::ResourceType& crd_type = CrdType(s);
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto crd = TerminatingCrdOf(s, custom);
    if (!crd) co_return;
    json::value crd_value(crd->first);
    if (CustomObjectsLeft(s, crd_value) > 0) co_return;
    json::object obj = std::move(crd->first);
    json::object& meta = obj["metadata"].as_object();
    json::array kept;
    if (const json::value* fin = meta.if_contains("finalizers"); fin && fin->is_array()) {
      for (const json::value& f : fin->get_array()) {
        if (!(f.is_string() && f.get_string() == kCrdCleanupFinalizer)) kept.push_back(f);
      }
    }
    std::string key = crd_type.Key("", api::StringAt(obj, "metadata.name"));
    // With no finalizer left the CRD goes, as an update of a deleted object does.
    WriteOp op{WriteOp::Kind::kDelete, key, "", crd->second};
    if (!kept.empty()) {
      meta["finalizers"] = std::move(kept);
      op = WriteOp{WriteOp::Kind::kUpdate, key, api::SerializeForStore(obj), crd->second};
    }
    auto kv = co_await AsyncWrite(s, crd_type, std::move(op), &obj);
    if (!absl::IsAborted(kv.status())) co_return;  // done, or gone meanwhile
  }
}

}  // namespace shoal::apiserver::internal
