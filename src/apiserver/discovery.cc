// Discovery (/api, /apis, /api/v1, /apis/<g>/<v>) in the legacy format, and the OpenAPI v3
// documents kubectl reads before create/apply to learn that the server validates fields
// (the `fieldValidation` query parameter on each PATCH operation).
#include <map>
#include <memory>
#include <mutex>

#include <boost/json.hpp>

#include "absl/strings/str_split.h"
#include "api/object.h"
#include "api/schema.h"
#include "apiserver/internal/rest.h"
#include "base/strings.h"

namespace shoal::apiserver::internal {

namespace json = boost::json;

namespace {

Response Json(const json::value& v) {
  Response r;
  r.body = json::serialize(v);
  return r;
}

Response NotFoundResponse() {
  Response r;
  r.code = 404;
  r.body =
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404})";
  return r;
}

json::array Verbs() {
  return {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
}

// The subresources a type serves: name, kind (with group and version) and verbs.
struct Subresource {
  std::string name;
  std::string group, version, kind;
  json::array verbs;
};

std::vector<Subresource> Subresources(const api::ResourceType& t) {
  std::vector<Subresource> out;
  if (t.has_status) {
    out.push_back({"status", t.group, t.version, t.kind, {"get", "patch", "update"}});
  }
  if (t.has_binding) out.push_back({"binding", t.group, t.version, "Binding", {"create"}});
  if (t.has_eviction) out.push_back({"eviction", "policy", "v1", "Eviction", {"create"}});
  return out;
}

json::array StringArray(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(json::value(s));
  return a;
}

json::object ResourceList(const api::Registry& reg, const std::string& group,
                          const std::string& version) {
  json::array resources;
  for (const api::ResourceType* type : reg.Types()) {
    const api::ResourceType& t = *type;
    if (t.group != group || t.version != version) continue;
    json::object r{{"name", t.plural},         {"singularName", t.singular},
                   {"namespaced", t.namespaced}, {"kind", t.kind},
                   {"verbs", Verbs()}};
    if (!t.short_names.empty()) r["shortNames"] = StringArray(t.short_names);
    if (!t.categories.empty()) r["categories"] = StringArray(t.categories);
    resources.push_back(std::move(r));
    for (Subresource& sub : Subresources(t)) {
      json::object sr{{"name", t.plural + "/" + sub.name},
                      {"singularName", ""},
                      {"namespaced", t.namespaced},
                      {"kind", sub.kind},
                      {"verbs", std::move(sub.verbs)}};
      if (sub.group != t.group || sub.version != t.version) {
        sr["group"] = sub.group;
        sr["version"] = sub.version;
      }
      resources.push_back(std::move(sr));
    }
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", group.empty() ? version : group + "/" + version},
          {"resources", std::move(resources)}};
}

// Aggregated discovery (apidiscovery.k8s.io/v2): every group, version and resource in one
// document, so that kubectl needs two requests (/api and /apis) instead of one per version.
json::object AggregatedGroup(const api::Registry& reg, const std::string& group) {
  json::array versions;
  for (const std::string& v : reg.Versions(group)) {
    json::array resources;
    for (const api::ResourceType* type : reg.Types()) {
      const api::ResourceType& t = *type;
      if (t.group != group || t.version != v) continue;
      json::object r{{"resource", t.plural},
                     {"responseKind", json::object{{"group", t.group},
                                                   {"version", t.version},
                                                   {"kind", t.kind}}},
                     {"scope", t.namespaced ? "Namespaced" : "Cluster"},
                     {"singularResource", t.singular},
                     {"verbs", Verbs()}};
      if (!t.short_names.empty()) r["shortNames"] = StringArray(t.short_names);
      if (!t.categories.empty()) r["categories"] = StringArray(t.categories);
      json::array subs;
      for (Subresource& sub : Subresources(t)) {
        subs.push_back(json::object{
            {"subresource", sub.name},
            {"responseKind", json::object{{"group", sub.group},
                                          {"version", sub.version},
                                          {"kind", sub.kind}}},
            {"verbs", std::move(sub.verbs)}});
      }
      if (!subs.empty()) r["subresources"] = std::move(subs);
      resources.push_back(std::move(r));
    }
    versions.push_back(json::object{{"version", v},
                                    {"resources", std::move(resources)},
                                    {"freshness", "Current"}});
  }
  json::object meta{{"creationTimestamp", nullptr}};
  if (!group.empty()) meta["name"] = group;
  return {{"metadata", std::move(meta)}, {"versions", std::move(versions)}};
}

constexpr std::string_view kAggregatedV2 =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
constexpr std::string_view kAggregatedV2Beta1 =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

// The aggregated media type the Accept header asks for (v2 preferred), or "".
std::string_view AggregatedType(const std::string& accept) {
  std::string compact;
  for (char c : accept) {
    if (c != ' ') compact.push_back(c);
  }
  for (std::string_view want : {kAggregatedV2, kAggregatedV2Beta1}) {
    for (absl::string_view part : absl::StrSplit(compact, ',')) {
      if (std::string_view(part.data(), part.size()) == want) return want;
    }
  }
  return {};
}

Response Aggregated(const api::Registry& reg, bool core, std::string_view media_type) {
  json::array items;
  for (const std::string& g : reg.Groups()) {
    if (g.empty() == core) items.push_back(AggregatedGroup(reg, g));
  }
  bool v2 = media_type == kAggregatedV2;
  Response r = Json(json::object{
      {"kind", "APIGroupDiscoveryList"},
      {"apiVersion", v2 ? "apidiscovery.k8s.io/v2" : "apidiscovery.k8s.io/v2beta1"},
      {"metadata", json::object()},
      {"items", std::move(items)}});
  r.content_type = std::string(media_type);
  r.headers.emplace_back("Vary", "Accept");
  return r;
}

json::object Group(const api::Registry& reg, const std::string& group) {
  json::array versions;
  for (const std::string& v : reg.Versions(group)) {
    versions.push_back(json::object{{"groupVersion", group + "/" + v}, {"version", v}});
  }
  json::object preferred = versions.empty() ? json::object() : versions[0].get_object();
  return {{"name", group}, {"versions", std::move(versions)}, {"preferredVersion", preferred}};
}

// The kinds of one group-version with their schemas (built-in, or from the CRD).
std::vector<api::KindSchema> KindsOf(const api::Registry& reg, const std::string& group,
                                     const std::string& version) {
  std::vector<api::KindSchema> kinds;
  for (const api::ResourceType* t : reg.Types()) {
    if (t->group != group || t->version != version) continue;
    if (std::shared_ptr<const api::Schema> schema = SchemaFor(*t)) {
      kinds.push_back({{t->group, t->version, t->kind}, std::move(schema)});
    }
  }
  return kinds;
}

// The OpenAPI v3 document of one group-version: one path per resource and subresource, each
// operation tagged with its group-version-kind and the query parameters it takes (kubectl
// finds a kind's schema through these paths, and learns from the PATCH parameters that the
// server validates fields), and the schemas of the kinds and everything they reference.
json::object OpenApiGroupVersion(const api::Registry& reg, const std::string& group,
                                 const std::string& version) {
  json::object paths;
  auto param = [](const char* name) {
    return json::object{{"name", name},
                        {"in", "query"},
                        {"schema", json::object{{"type", "string"}, {"uniqueItems", true}}}};
  };
  for (const api::ResourceType* type : reg.Types()) {
    const api::ResourceType& t = *type;
    if (t.group != group || t.version != version) continue;
    std::shared_ptr<const api::Schema> schema = SchemaFor(t);
    std::string base = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
    std::string coll = t.namespaced ? base + "/namespaces/{namespace}/" + t.plural
                                    : base + "/" + t.plural;
    json::object gvk{{"group", group}, {"version", version}, {"kind", t.kind}};
    json::object ref;
    if (schema != nullptr) ref["$ref"] = "#/components/schemas/" + schema->Resolved().name();
    json::array write_params{param("dryRun"), param("fieldManager"), param("fieldValidation"),
                             param("pretty")};
    auto op = [&](const char* action, const char* description) {
      bool writes = std::string_view(action) != "get" && std::string_view(action) != "list";
      return json::object{
          {"parameters", writes ? write_params : json::array{param("pretty")}},
          {"description", description},
          {"x-kubernetes-action", action},
          {"x-kubernetes-group-version-kind", gvk},
          {"responses",
           json::object{{"200", json::object{{"description", "OK"},
                                             {"content", json::object{{"application/json",
                                                                       json::object{{"schema", ref}}}}}}}}}};
    };
    paths[coll] = json::object{{"get", op("list", "list or watch objects")},
                               {"post", op("post", "create an object")}};
    json::object item{{"get", op("get", "read the specified object")},
                      {"put", op("put", "replace the specified object")},
                      {"patch", op("patch", "partially update the specified object")},
                      {"delete", op("delete", "delete an object")}};
    paths[coll + "/{name}"] = std::move(item);
    if (t.has_status) {
      paths[coll + "/{name}/status"] =
          json::object{{"get", op("get", "read status")},
                       {"put", op("put", "replace status")},
                       {"patch", op("patch", "partially update status")}};
    }
  }
  std::vector<api::KindSchema> kinds = KindsOf(reg, group, version);
  return {{"openapi", "3.0.0"},
          {"info", json::object{{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
          {"paths", std::move(paths)},
          {"components", json::object{{"schemas", api::OpenApiV3Schemas(kinds)}}}};
}

std::string Hash(const std::string& s) {
  return base::StrCat(std::hash<std::string>{}(s));
}

// Serialized OpenAPI documents, rebuilt when the registry changes (a CRD): building the
// core/v1 document takes about a millisecond, and kubectl reads the index (which needs every
// document's hash) before each create and apply.
class OpenApiCache {
 public:
  struct Doc {
    std::string json;
    std::string hash;
  };
  // The document of `group_version` ("v1", "batch/v1"; "" = the v2 document), or nullptr.
  std::shared_ptr<const Doc> Get(const api::Registry& reg, const std::string& key) {
    std::lock_guard lock(mu_);
    uint64_t gen = reg.generation();
    if (&reg != registry_ || gen != generation_) {
      docs_.clear();
      registry_ = &reg;
      generation_ = gen;
    }
    auto it = docs_.find(key);
    if (it != docs_.end()) return it->second;
    std::shared_ptr<Doc> doc = Build(reg, key);
    if (doc != nullptr) docs_[key] = doc;
    return doc;
  }

 private:
  static std::shared_ptr<Doc> Build(const api::Registry& reg, const std::string& key) {
    json::object doc;
    if (key.empty()) {
      std::vector<api::KindSchema> kinds;
      for (const std::string& g : reg.Groups()) {
        for (const std::string& v : reg.Versions(g)) {
          for (api::KindSchema& k : KindsOf(reg, g, v)) kinds.push_back(std::move(k));
        }
      }
      doc = api::OpenApiV2Document(kinds);
    } else {
      size_t slash = key.find('/');
      std::string group = slash == std::string::npos ? "" : key.substr(0, slash);
      std::string version = slash == std::string::npos ? key : key.substr(slash + 1);
      auto versions = reg.Versions(group);
      if (std::find(versions.begin(), versions.end(), version) == versions.end()) return nullptr;
      doc = OpenApiGroupVersion(reg, group, version);
    }
    auto out = std::make_shared<Doc>();
    out->json = json::serialize(doc);
    out->hash = Hash(out->json);
    return out;
  }

  std::mutex mu_;
  const api::Registry* registry_ = nullptr;
  uint64_t generation_ = 0;
  std::map<std::string, std::shared_ptr<const Doc>> docs_;
};

OpenApiCache& DocCache() {
  static OpenApiCache* cache = new OpenApiCache();
  return *cache;
}

Response DocResponse(const OpenApiCache::Doc& doc) {
  Response r;
  r.body = doc.json;
  return r;
}

}  // namespace

std::optional<Response> HandleDiscovery(const ApiServer& server, const Request& req) {
  if (req.method != "GET") return std::nullopt;
  const api::Registry& reg = server.registry();
  std::vector<std::string> parts = absl::StrSplit(req.path, '/', absl::SkipEmpty());
  if (parts.size() == 1 && (parts[0] == "api" || parts[0] == "apis")) {
    std::string_view aggregated = AggregatedType(req.accept);
    if (!aggregated.empty()) return Aggregated(reg, parts[0] == "api", aggregated);
  }
  if (parts.size() == 1 && parts[0] == "api") {
    return Json(json::object{
        {"kind", "APIVersions"},
        {"versions", json::array{"v1"}},
        {"serverAddressByClientCIDRs",
         json::array{json::object{{"clientCIDR", "0.0.0.0/0"},
                                  {"serverAddress", server.options().server_address}}}}});
  }
  if (parts.size() == 2 && parts[0] == "api" && parts[1] == "v1") {
    return Json(ResourceList(reg, "", "v1"));
  }
  if (parts.size() == 1 && parts[0] == "apis") {
    json::array groups;
    for (const std::string& g : reg.Groups()) {
      if (!g.empty()) groups.push_back(Group(reg, g));
    }
    return Json(json::object{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}});
  }
  if (parts.size() == 2 && parts[0] == "apis") {
    if (reg.Versions(parts[1]).empty()) return NotFoundResponse();
    json::object g = Group(reg, parts[1]);
    g["kind"] = "APIGroup";
    g["apiVersion"] = "v1";
    return Json(g);
  }
  if (parts.size() == 3 && parts[0] == "apis") {
    auto versions = reg.Versions(parts[1]);
    if (std::find(versions.begin(), versions.end(), parts[2]) == versions.end()) {
      return NotFoundResponse();
    }
    return Json(ResourceList(reg, parts[1], parts[2]));
  }
  return std::nullopt;
}

std::optional<Response> HandleOpenApi(const ApiServer& server, const Request& req) {
  if (req.method != "GET" || req.path.rfind("/openapi/", 0) != 0) return std::nullopt;
  const api::Registry& reg = server.registry();
  if (req.path == "/openapi/v2" || req.path == "/openapi/v2/") {
    // kubectl asks for the protobuf form first; shoal has only JSON. A 404 makes kubectl go
    // on without it (as with a server that has no v2 document), a JSON body would not.
    if (req.accept.find("json") == std::string::npos && !req.accept.empty() &&
        req.accept.find("*/*") == std::string::npos) {
      return NotFoundResponse();
    }
    return DocResponse(*DocCache().Get(reg, ""));
  }
  if (req.path == "/openapi/v3" || req.path == "/openapi/v3/") {
    json::object paths;
    for (const std::string& g : reg.Groups()) {
      for (const std::string& v : reg.Versions(g)) {
        std::string p = g.empty() ? "api/" + v : "apis/" + g + "/" + v;
        auto doc = DocCache().Get(reg, g.empty() ? v : g + "/" + v);
        if (doc == nullptr) continue;
        paths[p] = json::object{{"serverRelativeURL", "/openapi/v3/" + p + "?hash=" + doc->hash}};
      }
    }
    return Json(json::object{{"paths", paths}});
  }
  constexpr std::string_view kV3 = "/openapi/v3/";
  if (req.path.rfind(kV3, 0) == 0) {
    std::vector<std::string> parts =
        absl::StrSplit(req.path.substr(kV3.size()), '/', absl::SkipEmpty());
    std::string key;
    if (parts.size() == 2 && parts[0] == "api") key = parts[1];
    if (parts.size() == 3 && parts[0] == "apis") key = parts[1] + "/" + parts[2];
    if (!key.empty()) {
      if (auto doc = DocCache().Get(reg, key)) return DocResponse(*doc);
    }
  }
  return NotFoundResponse();
}

}  // namespace shoal::apiserver::internal
