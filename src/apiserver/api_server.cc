#include "apiserver/api_server.h"
#include "apiserver/kueue_crds.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "api/object.h"
#include "apiserver/errors.h"
#include "apiserver/internal/async_write.h"
#include "apiserver/internal/rest.h"

namespace shoal::apiserver {

namespace json = boost::json;

namespace {

bool IsCrdType(const api::ResourceType& t) {
  return t.group == "apiextensions.k8s.io" && t.plural == "customresourcedefinitions";
}

}  // namespace

ApiServer::ApiServer(store::Store& store, const api::Registry& builtins,
                     const base::Clock& clock, ApiServerOptions options)
    : store_(store), registry_(builtins), clock_(clock), options_(std::move(options)) {
  for (const api::ResourceType* t : registry_.Types()) EnsureCache(*t, 0);
}

ApiServer::~ApiServer() = default;

WatchCache* ApiServer::CacheFor(const api::ResourceType& type) {
  std::shared_lock lock(caches_mu_);
  auto it = caches_.find(type.KeyPrefix());
  return it == caches_.end() ? nullptr : it->second.get();
}

WatchCache* ApiServer::EnsureCache(const api::ResourceType& type, int64_t revision) {
  std::unique_lock lock(caches_mu_);
  auto& cache = caches_[type.KeyPrefix()];
  if (!cache) {
    cache = std::make_unique<WatchCache>(type, options_.history_capacity,
                                         options_.watcher_capacity, options_.history_max_age);
    cache->Reset({}, revision);
  }
  return cache.get();
}

void ApiServer::ApplyCrd(const store::KeyValue& kv, bool deleted, int64_t revision) {
  std::string crd_name = kv.key.substr(kv.key.rfind('/') + 1);
  std::vector<api::ResourceType> types;
  if (!deleted) {
    auto crd = kv.value ? api::ParseJson(*kv.value) : absl::StatusOr<json::value>(absl::NotFoundError(""));
    if (crd.ok()) types = internal::CrdResourceTypes(*crd);
  }
  // Stop serving the versions this CRD no longer serves, then serve the current ones.
  std::vector<CrdVersion>& served = crds_[crd_name];
  for (const CrdVersion& v : served) {
    bool still = std::any_of(types.begin(), types.end(), [&](const api::ResourceType& t) {
      return t.group == v.group && t.version == v.version && t.plural == v.plural;
    });
    if (!still) registry_.Remove(v.group, v.version, v.plural);
  }
  served.clear();
  for (api::ResourceType& t : types) {
    served.push_back({t.group, t.version, t.plural});
    const api::ResourceType* added = registry_.Add(std::move(t));
    EnsureCache(*added, revision);
  }
  if (served.empty()) crds_.erase(crd_name);
}

absl::Status ApiServer::Start() {
  auto all = store_.List("/registry/");
  if (!all.ok()) return all.status();
  // Custom resources first, so that their objects find their caches below.
  for (const store::KeyValue& kv : all->kvs) {
    const api::ResourceType* t = registry_.FindByKey(kv.key);
    if (t != nullptr && IsCrdType(*t)) ApplyCrd(kv, false, all->revision);
  }
  std::map<std::string, std::vector<store::KeyValue>> by_prefix;
  for (store::KeyValue& kv : all->kvs) {
    const api::ResourceType* t = registry_.FindByKey(kv.key);
    if (t != nullptr) by_prefix[t->KeyPrefix()].push_back(std::move(kv));
  }
  {
    std::shared_lock lock(caches_mu_);
    for (auto& [prefix, cache] : caches_) cache->Reset(by_prefix[prefix], all->revision);
  }
  store_.AddCommitListener([this](const std::vector<store::Event>& events) { OnCommit(events); });

  // The namespaces every Kubernetes cluster has from the start.
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    RETURN_IF_ERROR(CreateIfMissing(*registry_.Find("", "v1", "namespaces"),
                                    json::object{{"apiVersion", "v1"}, {"kind", "Namespace"},
                                                 {"metadata", json::object{{"name", name}}}}));
  }
  // Kueue's queue API, served natively (issue 8) through CRDs, as installing Kueue does.
  const api::ResourceType& crd_type =
      *registry_.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  for (json::object& crd : KueueCrds()) RETURN_IF_ERROR(CreateIfMissing(crd_type, std::move(crd)));
  // The built-in PriorityClasses, as kube-apiserver creates them.
  const std::pair<const char*, int64_t> kSystemClasses[] = {
      {"system-cluster-critical", 2000000000}, {"system-node-critical", 2000001000}};
  for (const auto& [name, value] : kSystemClasses) {
    RETURN_IF_ERROR(CreateIfMissing(
        *registry_.Find("scheduling.k8s.io", "v1", "priorityclasses"),
        json::object{{"apiVersion", "scheduling.k8s.io/v1"}, {"kind", "PriorityClass"},
                     {"metadata", json::object{{"name", name}}}, {"value", value},
                     {"description", "Used for system critical pods that must not be moved "
                                     "from their current node."}}));
  }
  return absl::OkStatus();
}

absl::Status ApiServer::CreateIfMissing(const api::ResourceType& type, json::object obj) {
  std::string key = type.Key(api::StringAt(obj, "metadata.namespace"),
                             api::StringAt(obj, "metadata.name"));
  if (CacheFor(type)->Get(key)) return absl::OkStatus();
  RETURN_IF_ERROR(internal::ApplyDefaults(type, obj));
  RETURN_IF_ERROR(internal::PrepareForCreate(type, obj, base::FormatRfc3339(clock_.Now())));
  store::WriteOp op{store::WriteOp::Kind::kCreate, key, api::SerializeForStore(obj), 0};
  internal::StampResourceVersion(op);
  auto w = store_.WriteSync(std::move(op));
  if (!w.ok() && !absl::IsAlreadyExists(w.status())) return w.status();
  return absl::OkStatus();
}

void ApiServer::OnCommit(const std::vector<store::Event>& events) {
  // One writer: the store's commit thread. Each event goes to its type's cache; every cache
  // learns the new global revision so that LIST and bookmarks carry it. A CRD's resource is
  // served (or withdrawn) here, before its create is acknowledged to the client.
  for (const store::Event& e : events) {
    const api::ResourceType* t = registry_.FindByKey(e.kv.key);
    if (t == nullptr) continue;
    if (WatchCache* c = CacheFor(*t)) c->Apply(e);
    if (IsCrdType(*t)) {
      ApplyCrd(e.kv, e.type == store::EventType::kDelete, e.revision());
    }
  }
  if (!events.empty()) {
    int64_t rev = events.back().revision();
    std::shared_lock lock(caches_mu_);
    for (auto& [prefix, cache] : caches_) cache->AdvanceRevision(rev);
  }
}

namespace internal {

Response ErrorResponse(const absl::Status& s) {
  Response r;
  r.code = HttpCode(s);
  r.body = StatusJson(s);
  return r;
}

}  // namespace internal

namespace {

using internal::ErrorResponse;

// A boolean query parameter, decoded as kube-apiserver does (Convert_Slice_string_To_bool):
// absent is false, "0" and any case of "false" are false, anything else ("true", "True",
// "1") is true. The Python client sends "True".
bool BoolParam(const Request& req, const std::string& name) {
  if (!req.Has(name)) return false;
  std::string v = req.Param(name);
  return v != "0" && !absl::EqualsIgnoreCase(v, "false");
}

}  // namespace

bool ApiServer::IsWatch(const Request& req) {
  if (req.method != "GET") return false;
  return BoolParam(req, "watch");
}

boost::asio::awaitable<Response> ApiServer::Handle(Request req) {
  try {
    if (auto r = internal::HandleDiscovery(*this, req)) co_return std::move(*r);
    if (auto r = internal::HandleOpenApi(*this, req)) co_return std::move(*r);
    if (req.method == "POST") {
      // /api/v1/namespaces/{ns}/bindings (not a stored resource, so not in the registry).
      constexpr std::string_view kPrefix = "/api/v1/namespaces/";
      std::string_view path = req.path;
      if (path.starts_with(kPrefix) && path.ends_with("/bindings")) {
        std::string_view ns = path.substr(kPrefix.size(), path.size() - kPrefix.size() - 9);
        if (!ns.empty() && ns.find('/') == std::string_view::npos) {
          co_return co_await internal::HandleBindings(*this, req, std::string(ns));
        }
      }
    }
    auto info = internal::ParseRequestInfo(req, registry_);
    if (!info) {
      co_return ErrorResponse(absl::Status(
          absl::StatusCode::kNotFound, "the server could not find the requested resource"));
    }
    if (!info->ok()) co_return ErrorResponse(info->status());
    co_return co_await internal::HandleResource(*this, req, **info);
  } catch (const std::exception& e) {
    // Library exceptions stop at the request boundary (STYLE.md "Errors").
    spdlog::error("request {} {} failed: {}", req.method, req.path, e.what());
    co_return ErrorResponse(absl::InternalError(base::StrCat("internal error: ", e.what())));
  }
}

absl::StatusOr<WatchSession> ApiServer::Watch(const Request& req, std::function<void()> notify,
                                              bool share_parse) {
  auto info = internal::ParseRequestInfo(req, registry_);
  if (!info) return absl::NotFoundError("the server could not find the requested resource");
  if (!info->ok()) return info->status();
  const internal::RequestInfo& ri = **info;
  if (!ri.name.empty() || !ri.subresource.empty()) {
    return MethodNotAllowed("watch is supported on collections only");
  }
  auto filter = internal::ParseFilter(req, *ri.type, ri.ns);
  if (!filter.ok()) return filter.status();
  int64_t from = 0;
  std::string rv = req.Param("resourceVersion");
  if (!rv.empty() && !absl::SimpleAtoi(rv, &from)) {
    return BadRequest(base::StrCat("invalid resource version: ", rv));
  }
  if (from < 0) return BadRequest(base::StrCat("invalid resource version: ", rv));
  WatchSession s;
  s.cache = CacheFor(*ri.type);
  if (ri.type->custom) s.api_version = ri.type->ApiVersion();
  s.bookmarks = BoolParam(req, "allowWatchBookmarks");
  s.as_table = internal::WantsTable(req);
  s.initial_events_end = BoolParam(req, "sendInitialEvents");
  if (s.initial_events_end) from = 0;
  std::string timeout = req.Param("timeoutSeconds");
  if (!timeout.empty() && !absl::SimpleAtoi(timeout, &s.timeout_seconds)) {
    return BadRequest(base::StrCat("invalid timeoutSeconds: ", timeout));
  }
  auto w = s.cache->Watch(from, std::move(*filter), std::move(notify), share_parse);
  if (!w.ok()) {
    if (absl::IsOutOfRange(w.status())) {
      // kube-apiserver reports a too-old resourceVersion on an established watch stream as
      // an ERROR event carrying a 410 Expired Status.
      json::value status = json::parse(StatusJson(Gone(w.status().message())));
      s.error_event = json::serialize(json::object{{"type", "ERROR"}, {"object", status}});
      return s;
    }
    return w.status();
  }
  s.watcher = std::move(*w);
  return s;
}

std::string ApiServer::EncodeWatchEvent(const WatchSession& s, const CacheEvent& e, bool first) {
  std::string out = base::StrCat("{\"type\":\"", WatchTypeName(e.type), "\",\"object\":");
  if (e.type == CacheEvent::Type::kBookmark) {
    const api::ResourceType& t = s.cache->type();
    json::object meta{{"resourceVersion", std::to_string(e.rv)}};
    if (e.object == nullptr && s.initial_events_end) {
      meta["annotations"] = json::object{{"k8s.io/initial-events-end", "true"}};
    }
    json::object o{{"kind", t.kind},
                   {"apiVersion", s.api_version.empty() ? t.ApiVersion() : s.api_version},
                   {"metadata", meta}};
    base::StrAppend(&out, json::serialize(o));
  } else if (s.as_table) {
    base::StrAppend(&out, internal::TableJson(s.cache->type(), {e.object}, e.rv, "", first,
                                              "Metadata", clock_));
  } else if (std::optional<std::string> converted =
                 s.api_version.empty() ? std::nullopt
                                       : api::WithApiVersion(*e.object->json, s.api_version)) {
    out.append(*converted);  // a custom resource stored through another version
  } else {
    out.append(*e.object->json);  // the bytes every watcher shares
  }
  out.append("}\n");
  return out;
}

void ApiServer::StopWatch(const WatchSession& s) {
  if (s.cache && s.watcher) s.cache->StopWatch(s.watcher);
}

}  // namespace shoal::apiserver
