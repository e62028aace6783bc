// REST verb handlers: get, list, create, update, patch, delete, deletecollection and the
// pods/binding subresource. Reads come from the watch cache; writes go to the store
// conditionally on the revision that was read (kube's GuaranteedUpdate loop). The answers'
// and bodies' building blocks are in rest_support.cc.
#include <algorithm>
#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "absl/strings/str_split.h"
#include "api/object.h"
#include "api/managed_fields.h"
#include "api/patch.h"
#include "api/yaml.h"
#include "apiserver/errors.h"
#include "apiserver/internal/async_write.h"
#include "apiserver/internal/delete_options.h"
#include "apiserver/internal/rest.h"
#include "apiserver/internal/rest_support.h"

namespace shoal::apiserver::internal {

namespace json = boost::json;
namespace asio = boost::asio;
using store::WriteOp;

namespace {

Response Error(const absl::Status& s) { return ErrorResponse(s); }

std::string Now(const ApiServer& s) { return base::FormatRfc3339(s.clock().Now()); }

class Handler {
 public:
  Handler(ApiServer& s, const Request& req, const RequestInfo& info)
      : s_(s), req_(req), info_(info), type_(*info.type), cache_(*s.CacheFor(*info.type)) {}

  asio::awaitable<Response> Run() {
    Response r = co_await RunVerb();
    // Warn-mode field validation: one Warning header per problem (RFC 7234 warn-code 299).
    for (const std::string& w : warnings_) {
      std::string quoted;
      for (char c : w) {
        if (c == '"' || c == '\\') quoted.push_back('\\');
        quoted.push_back(c);
      }
      r.headers.emplace_back("Warning", base::StrCat("299 - \"", quoted, "\""));
    }
    co_return r;
  }

 private:
  asio::awaitable<Response> RunVerb() {
    const std::string& v = info_.verb;
    if (v == "get") co_return Get();
    if (v == "list") co_return List();
    if (v == "create") {
      if (info_.subresource == "binding") co_return co_await Binding();
      if (info_.subresource == "eviction") co_return co_await Evict();
      co_return co_await Create();
    }
    if (v == "update") co_return co_await Update();
    if (v == "patch") co_return co_await Patch();
    if (v == "delete") co_return co_await Delete();
    if (v == "deletecollection") co_return co_await DeleteCollection();
    co_return Error(MethodNotAllowed(base::StrCat("the server does not allow this method on the "
                                                  "requested resource")));
  }

  std::string Key(const std::string& name) const { return type_.Key(info_.ns, name); }

  // The field manager of this write: ?fieldManager=, or the one Kubernetes derives from the
  // User-Agent ("kubectl", "OpenAPI-Generator" for the Python client).
  std::string Manager() const {
    std::string m = req_.Param("fieldManager");
    return m.empty() ? api::DefaultManager(req_.user_agent) : m;
  }
  // Records an ordinary write in managedFields, as kube-apiserver does, when the request
  // names its field manager (kubectl always does) or the object is already tracked (it was
  // applied, or written by such a request). Anonymous machine writes to untracked objects
  // (agents' status updates, the load tool) are not tracked: tracking doubles a pod's size
  // and costs a quarter of the create throughput, for conflicts that only apply needs.
  absl::Status Track(const json::object* old, json::object& obj) {
    bool tracked = false;
    if (old != nullptr) {
      const json::value* mf = api::FindPath(*old, "metadata.managedFields");
      tracked = mf != nullptr && mf->is_array() && !mf->get_array().empty();
    }
    if (!tracked && !req_.Has("fieldManager")) return absl::OkStatus();
    return api::TrackUpdate(old, obj, UpdateRequestFor());
  }

  api::UpdateRequest UpdateRequestFor() {
    manager_ = Manager();
    return api::UpdateRequest{manager_, info_.subresource, s_.clock().Now()};
  }
  api::ApplyRequest ApplyRequestFor() {
    manager_ = Manager();
    bool force = req_.Has("force") && req_.Param("force") != "false" && req_.Param("force") != "0";
    api_version_ = type_.ApiVersion();
    return api::ApplyRequest{manager_, force, api_version_, type_.kind, info_.subresource,
                             s_.clock().Now()};
  }
  bool DryRun() const { return req_.Param("dryRun") == "All"; }

  Response Get() {
    ObjectPtr o = cache_.Get(Key(info_.name));
    if (!o) return Error(NotFound(type_.QualifiedResource(), info_.name));
    if (WantsTable(req_)) {
      return JsonResponse(200, TableJson(type_, {o}, o->rv, "", true, req_.Param("includeObject"),
                                         s_.clock()));
    }
    return StoredResponse(type_, 200, o->json);
  }

  Response List() {
    auto filter = ParseFilter(req_, type_, info_.ns);
    if (!filter.ok()) return Error(filter.status());
    ListOptions opts;
    opts.filter = std::move(*filter);
    opts.resource_version = req_.Param("resourceVersion");
    std::string match = req_.Param("resourceVersionMatch");
    if (!match.empty() && match != "Exact" && match != "NotOlderThan") {
      return Error(BadRequest(base::StrCat("invalid resourceVersionMatch: ", match)));
    }
    opts.exact = match == "Exact";
    if (!match.empty() && opts.resource_version.empty()) {
      return Error(BadRequest("resourceVersionMatch is forbidden unless resourceVersion is provided"));
    }
    std::string limit = req_.Param("limit");
    if (!limit.empty() && (!absl::SimpleAtoi(limit, &opts.limit) || opts.limit < 0)) {
      return Error(BadRequest(base::StrCat("invalid limit: ", limit)));
    }
    opts.continue_token = req_.Param("continue");
    auto r = cache_.List(opts);
    if (!r.ok()) {
      if (absl::IsOutOfRange(r.status())) return Error(Gone(r.status().message()));
      return Error(r.status());
    }
    if (WantsTable(req_)) {
      return JsonResponse(200, TableJson(type_, r->items, r->revision, r->continue_token, true,
                                         req_.Param("includeObject"), s_.clock()));
    }
    return ListResponse(type_, *r);
  }

  asio::awaitable<Response> Create() {
    if (!info_.subresource.empty()) {
      co_return Error(MethodNotAllowed(
          base::StrCat("POST is not supported on ", type_.plural, "/", info_.subresource)));
    }
    auto body = DecodeBody(type_, req_, &warnings_);
    if (!body.ok()) co_return Error(body.status());
    json::object obj = std::move(*body);
    co_return co_await CreateObject(std::move(obj), nullptr);
  }

  // Creates `obj` (a decoded body). `applied`: the config of a server-side apply that creates
  // the object, whose managedFields the apply records instead of an Update entry.
  asio::awaitable<Response> CreateObject(json::object obj, const json::object* applied) {
    if (auto st = CheckBody(type_, info_, obj, true); !st.ok()) co_return Error(st);
    if (type_.custom && CrdTerminating(s_, type_)) {
      co_return Error(MethodNotAllowed(
          "create not allowed while custom resource definition is terminating"));
    }
    if (type_.namespaced) {
      if (auto st = CheckNamespace(s_, info_.ns); !st.ok()) co_return Error(st);
    }
    json::object& meta = Meta(obj);
    std::string generate = meta.contains("generateName") && meta["generateName"].is_string()
                               ? std::string(meta["generateName"].get_string())
                               : "";
    bool generated = false;
    if (api::StringAt(obj, "metadata.name").empty() && !generate.empty()) {
      meta["name"] = generate + RandomSuffix(5);
      generated = true;
    }
    // As kube-apiserver orders a create: decoding defaults the object, the field manager
    // records the write, then the strategy and admission complete it (their fields, like a
    // Job's generated selector, are owned by no manager).
    if (auto st = ApplyDefaults(type_, obj); !st.ok()) co_return Error(st);
    if (applied != nullptr) {
      auto done = api::Apply(nullptr, *applied, ApplyRequestFor(), nullptr);
      if (!done.ok()) co_return Error(BadRequest(done.status().message()));
      // The defaults stay; the apply contributes its managedFields.
      if (const json::value* mf = api::FindPath(*done, "metadata.managedFields")) {
        Meta(obj)["managedFields"] = *mf;
      }
    } else if (auto st = Track(nullptr, obj); !st.ok()) {
      co_return Error(BadRequest(st.message()));
    }
    if (auto st = PrepareForCreate(type_, obj, Now(s_)); !st.ok()) co_return Error(st);
    if (type_.plural == "pods" && type_.group.empty()) {
      if (auto st = AdmitPodPriority(s_, obj); !st.ok()) co_return Error(st);
    }
    std::string name(api::StringAt(obj, "metadata.name"));
    if (DryRun()) co_return JsonResponse(201, api::Serialize(obj));
    for (int attempt = 0;; ++attempt) {
      // GCC 12 mishandles non-trivial temporaries inside co_await expressions (double
      // destruction), so every awaited call here takes named values.
      WriteOp op{WriteOp::Kind::kCreate, Key(name), api::SerializeForStore(obj), 0};
      auto kv = co_await AsyncWrite(s_, type_, std::move(op), &obj);
      if (kv.ok()) co_return StoredResponse(type_, 201, kv->value);
      if (absl::IsAlreadyExists(kv.status())) {
        if (generated && attempt < 8) {  // a generated name collided: draw another
          name = generate + RandomSuffix(5);
          Meta(obj)["name"] = name;
          continue;
        }
        co_return Error(AlreadyExists(type_.QualifiedResource(), name));
      }
      co_return Error(kv.status());
    }
  }

  // The GuaranteedUpdate loop: read the current object, compute the new one, write it
  // conditionally on the revision read; on a lost race without a client precondition, retry.
  using Mutation = std::function<absl::StatusOr<json::object>(const json::object& current,
                                                              int64_t current_rv)>;

  asio::awaitable<Response> GuaranteedUpdate(const std::string& name, const Mutation& mutate,
                                             int success_code = 200) {
    const auto start = std::chrono::steady_clock::now();
    for (int attempt = 0;; ++attempt) {
      ObjectPtr cur = cache_.Get(Key(name));
      if (!cur) co_return Error(NotFound(type_.QualifiedResource(), name));
      auto old = ParseStored(*cur);
      if (!old.ok()) co_return Error(old.status());
      // A custom resource written through another version of its CRD is read in this one.
      if (type_.custom) (*old)["apiVersion"] = type_.ApiVersion();
      auto next = mutate(*old, cur->rv);
      if (!next.ok()) co_return Error(next.status());
      json::object& obj = *next;
      // An unchanged object is not written (kube-apiserver skips no-op updates). Member
      // order does not count: a merge may have moved members. The bytes are compared first,
      // with the cached form's (no second serialization).
      std::string stored = api::SerializeForStore(obj);
      if (api::StampedFrom(*cur->json, cur->rv, stored) || SameObject(obj, *old)) {
        co_return StoredResponse(type_, success_code, cur->json);
      }
      if (DryRun()) co_return JsonResponse(success_code, WithRv(type_, std::move(obj), cur->rv));
      // kube-apiserver's shouldDeleteDuringUpdate: an object marked for deletion goes once
      // it has no finalizers and its grace period is 0 (a pod in its grace period stays until
      // its node agent deletes it).
      const json::value* grace = api::FindPath(obj, "metadata.deletionGracePeriodSeconds");
      bool finalize = !api::StringAt(obj, "metadata.deletionTimestamp").empty() &&
                      grace != nullptr && grace->is_int64() && grace->get_int64() == 0 &&
                      (!obj["metadata"].get_object().contains("finalizers") ||
                       !obj["metadata"].get_object()["finalizers"].is_array() ||
                       obj["metadata"].get_object()["finalizers"].get_array().empty());
      WriteOp op{finalize ? WriteOp::Kind::kDelete : WriteOp::Kind::kUpdate, Key(name),
                 finalize ? std::string() : std::move(stored), cur->rv};
      auto kv = co_await AsyncWrite(s_, type_, std::move(op), &obj);
      if (kv.ok()) {
        if (!finalize) co_return StoredResponse(type_, success_code, kv->value);
        co_await RecheckTerminatingNamespace();
        co_return JsonResponse(success_code, WithRv(type_, std::move(obj), kv->mod_revision));
      }
      if (absl::IsAborted(kv.status())) {
        if (client_precondition_) co_return Error(ConflictModified(type_.QualifiedResource(), name));
        if (co_await AgainAfterConflict(attempt, start)) continue;
        break;
      }
      if (absl::IsNotFound(kv.status())) co_return Error(NotFound(type_.QualifiedResource(), name));
      co_return Error(kv.status());
    }
    co_return Error(ConflictModified(type_.QualifiedResource(), name));
  }

  // A resourceVersion the client put in the object is a precondition.
  absl::Status CheckPrecondition(const json::object& obj, int64_t current_rv) {
    std::string_view rv = api::StringAt(obj, "metadata.resourceVersion");
    if (rv.empty()) return absl::OkStatus();
    client_precondition_ = true;
    int64_t want = 0;
    if (!absl::SimpleAtoi(base::AbslView(rv), &want)) {
      return Invalid(type_.kind, info_.name,
                     {{"FieldValueInvalid", base::StrCat("Invalid value: \"", rv,
                                                         "\": must be a decimal integer"),
                       "metadata.resourceVersion"}});
    }
    if (want != current_rv) return ConflictModified(type_.QualifiedResource(), info_.name);
    return absl::OkStatus();
  }

  asio::awaitable<Response> Update() {
    if (!info_.subresource.empty() && info_.subresource != "status") {
      co_return Error(MethodNotAllowed(base::StrCat("PUT is not supported on ", type_.plural, "/",
                                                    info_.subresource)));
    }
    if (info_.subresource == "status" && !type_.has_status) {
      co_return Error(NotFound(type_.QualifiedResource(), info_.name + "/status"));
    }
    auto body = DecodeBody(type_, req_, &warnings_);
    if (!body.ok()) co_return Error(body.status());
    if (auto st = CheckBody(type_, info_, *body, false); !st.ok()) co_return Error(st);
    json::object incoming = std::move(*body);
    Mutation mutate = [&](const json::object& old,
                          int64_t rv) -> absl::StatusOr<json::object> {
          if (auto st = CheckPrecondition(incoming, rv); !st.ok()) return st;
          return UpdateRules(old, incoming, true);
        };
    co_return co_await GuaranteedUpdate(info_.name, mutate);
  }

  asio::awaitable<Response> Patch() {
    if (!info_.subresource.empty() && info_.subresource != "status") {
      co_return Error(MethodNotAllowed(base::StrCat("PATCH is not supported on ", type_.plural,
                                                    "/", info_.subresource)));
    }
    if (req_.body.size() > kMaxBodyBytes) {
      co_return Error(TooLarge(base::StrCat("Request entity too large: limit is ", kMaxBodyBytes)));
    }
    std::string ct = req_.content_type.substr(0, req_.content_type.find(';'));
    if (ct != "application/merge-patch+json" && ct != "application/json-patch+json" &&
        ct != "application/strategic-merge-patch+json" && ct != "application/apply-patch+yaml") {
      co_return Error(UnsupportedMediaType(
          "the body of the request was in an unknown format - accepted media types include: "
          "application/json-patch+json, application/merge-patch+json, "
          "application/apply-patch+yaml, application/strategic-merge-patch+json"));
    }
    auto mode = ParseFieldValidation(req_);
    if (!mode.ok()) co_return Error(mode.status());
    std::vector<std::string> duplicates;
    auto patch = api::ParseJsonWithDuplicates(req_.body, &duplicates);
    if (!patch.ok() && ct == "application/apply-patch+yaml") {
      // kubectl and the client libraries send JSON (which is YAML); people with curl send
      // YAML proper.
      duplicates.clear();
      patch = api::ParseYaml(req_.body, &duplicates);
      if (!patch.ok()) {
        co_return Error(BadRequest(base::StrCat("error decoding YAML: ", patch.status().message())));
      }
    }
    if (!patch.ok()) {
      co_return Error(BadRequest(base::StrCat("error decoding patch: ", patch.status().message())));
    }
    if (ct == "application/apply-patch+yaml") {
      co_return co_await ServerSideApply(*patch, duplicates, *mode);
    }
    Mutation mutate = [&](const json::object& old,
                          int64_t rv) -> absl::StatusOr<json::object> {
          absl::StatusOr<json::value> patched;
          if (ct == "application/json-patch+json") {
            patched = api::ApplyJsonPatch(old, *patch);
            if (!patched.ok() && absl::IsFailedPrecondition(patched.status())) {
              return Invalid(type_.kind, info_.name,
                             {{"FieldValueInvalid", std::string(patched.status().message()), ""}});
            }
          } else if (ct == "application/merge-patch+json") {
            if (!patch->is_object()) return BadRequest("merge patch must be a JSON object");
            patched = api::ApplyMergePatch(old, *patch);
          } else {
            patched = api::ApplyStrategicMergePatch(old, *patch);
          }
          if (!patched.ok()) return BadRequest(patched.status().message());
          if (!patched->is_object()) return BadRequest("the patched object is not a JSON object");
          // Unknown fields can only have come from the patch: stored objects have none.
          std::vector<std::string> found;
          if (auto st = CheckObjectFields(type_, *patched, duplicates, *mode, &found);
              !st.ok()) {
            return st;
          }
          warnings_ = std::move(found);  // a retried mutation reports once
          return FinishPatched(old, rv, std::move(patched->get_object()), true);
        };
    co_return co_await GuaranteedUpdate(info_.name, mutate);
  }

  // The rules a patched (or applied) object goes through before it is written: a
  // resourceVersion differing from the one read is the client's precondition; then the body,
  // update and validation rules; `track` records the write in managedFields.
  absl::StatusOr<json::object> FinishPatched(const json::object& old, int64_t rv,
                                             json::object obj, bool track) {
    std::string_view prv = api::StringAt(obj, "metadata.resourceVersion");
    if (!prv.empty() && prv != std::to_string(rv)) {
      client_precondition_ = true;
      return ConflictModified(type_.QualifiedResource(), info_.name);
    }
    RequestInfo same = info_;
    RETURN_IF_ERROR(CheckBody(type_, same, obj, false));
    return UpdateRules(old, std::move(obj), track);
  }

  // What every update of an object goes through (PUT, patches, apply): defaulting (a field
  // the write removed gets its default back), the status split and server-owned metadata,
  // validation, immutable fields, and (with `track`) managedFields.
  absl::StatusOr<json::object> UpdateRules(const json::object& old, json::object obj,
                                           bool track) {
    if (info_.subresource.empty()) RETURN_IF_ERROR(ApplyDefaults(type_, obj));
    RETURN_IF_ERROR(PrepareForUpdate(type_, old, obj, info_.subresource));
    RETURN_IF_ERROR(Validate(type_, obj));
    RETURN_IF_ERROR(ValidateUpdate(type_, old, obj, info_.subresource));
    if (track) {
      if (auto st = Track(&old, obj); !st.ok()) return BadRequest(st.message());
    }
    return obj;
  }

  // Server-side apply (application/apply-patch+yaml): merges the configuration into the live
  // object and records field ownership; creates the object if it does not exist.
  asio::awaitable<Response> ServerSideApply(json::value& config_value,
                                            const std::vector<std::string>& duplicates,
                                            FieldValidation mode) {
    if (!config_value.is_object()) {
      co_return Error(BadRequest("error decoding YAML: the apply configuration must be an object"));
    }
    if (req_.Param("fieldManager").empty()) {
      co_return Error(BadRequest(
          "PATCH request is invalid: fieldManager is required for apply requests"));
    }
    // The configuration is checked like a body: unknown and duplicate fields by `mode`.
    // A custom resource's required fields and bounds hold for the merged object, which is
    // checked instead when the object exists (a configuration may be partial).
    bool exists = cache_.Get(Key(info_.name)) != nullptr;
    if (!type_.custom || !exists) {
      if (auto st = CheckObjectFields(type_, config_value, duplicates, mode, &warnings_);
          !st.ok()) {
        co_return Error(st);
      }
    }
    const json::object& config = config_value.get_object();
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!cache_.Get(Key(info_.name))) {
        if (!info_.subresource.empty()) {
          co_return Error(NotFound(type_.QualifiedResource(), info_.name));
        }
        json::object obj = config;
        // The URL names the object (checkName): a body naming another one is a 400.
        std::string_view body_name = api::StringAt(obj, "metadata.name");
        if (!body_name.empty() && body_name != info_.name) {
          co_return Error(BadRequest(base::StrCat("the name of the object (", body_name,
                                                  ") does not match the name on the URL (",
                                                  info_.name, ")")));
        }
        Meta(obj)["name"] = info_.name;
        Response r = co_await CreateObject(std::move(obj), &config);
        if (r.code != 409 || attempt > 0) co_return r;
        continue;  // created meanwhile: apply to it
      }
      Mutation mutate = [&](const json::object& old,
                            int64_t rv) -> absl::StatusOr<json::object> {
        std::vector<api::FieldConflict> conflicts;
        auto applied = api::Apply(&old, config, ApplyRequestFor(), &conflicts);
        if (!applied.ok()) {
          if (absl::IsAborted(applied.status())) {
            return ApplyConflict(applied.status().message(), api::ConflictCauses(conflicts));
          }
          return BadRequest(applied.status().message());
        }
        if (type_.custom) {
          std::vector<std::string> found;
          json::value merged = std::move(*applied);
          if (auto st = CheckObjectFields(type_, merged, duplicates, mode, &found); !st.ok()) {
            return st;
          }
          warnings_ = std::move(found);
          applied = std::move(merged.get_object());
        }
        // Apply recorded the managedFields itself.
        return FinishPatched(old, rv, std::move(*applied), false);
      };
      co_return co_await GuaranteedUpdate(info_.name, mutate);
    }
    co_return Error(ConflictModified(type_.QualifiedResource(), info_.name));
  }

  absl::StatusOr<json::object> DeleteOptions() {
    if (req_.body.empty()) return json::object();
    auto v = DecodeRequestBody(req_, nullptr);
    if (!v.ok() && HttpCode(v.status()) != 400) return v.status();
    if (!v.ok() || !v->is_object()) {
      return BadRequest(base::StrCat("invalid DeleteOptions: ",
                                     v.ok() ? "not a JSON object" : v.status().message()));
    }
    return std::move(v->get_object());
  }

  // kube's job registry: batch/v1 Jobs orphan their pods unless told otherwise, and a delete
  // that does not say warns about it.
  bool OrphansByDefault() const {
    return type_.group == "batch" && type_.plural == "jobs" && info_.version == "v1";
  }
  void WarnIfOrphanedByDefault(Propagation policy) {
    if (policy == Propagation::kNone && OrphansByDefault()) {
      warnings_.emplace_back(kJobOrphanWarning);
    }
  }

  asio::awaitable<Response> Delete() {
    auto opts = DeleteOptions();
    if (!opts.ok()) co_return Error(opts.status());
    auto policy = ParsePropagation(req_, *opts);
    if (!policy.ok()) co_return Error(policy.status());
    WarnIfOrphanedByDefault(*policy);
    int64_t grace = -1;
    if (auto g = opts->find("gracePeriodSeconds"); g != opts->end() && g->value().is_int64()) {
      grace = g->value().get_int64();
    }
    std::string q = req_.Param("gracePeriodSeconds");
    if (!q.empty() && !absl::SimpleAtoi(q, &grace)) {
      co_return Error(BadRequest(base::StrCat("invalid gracePeriodSeconds: ", q)));
    }
    if (type_.plural == "namespaces" && (info_.name == "default" || info_.name == "kube-system" ||
                                         info_.name == "kube-public")) {
      co_return Error(Forbidden(base::StrCat("namespaces \"", info_.name,
                                             "\" is forbidden: this namespace may not be deleted")));
    }
    bool crd_objects_left = false;
    if (type_.plural == "customresourcedefinitions" && !DryRun()) {
      ObjectPtr cur = cache_.Get(Key(info_.name));
      if (!cur) co_return Error(NotFound(type_.QualifiedResource(), info_.name));
      auto crd = api::ParseJson(*cur->json);
      if (crd.ok()) {
        co_await DeleteCustomObjects(s_, *crd);
        crd_objects_left = CustomObjectsLeft(s_, *crd) > 0;
      }
    }
    const auto start = std::chrono::steady_clock::now();
    for (int attempt = 0;; ++attempt) {
      ObjectPtr cur = cache_.Get(Key(info_.name));
      if (!cur) co_return Error(NotFound(type_.QualifiedResource(), info_.name));
      auto old = ParseStored(*cur);
      if (!old.ok()) co_return Error(old.status());
      if (auto st = CheckDeletePreconditions(*opts, *old, cur->rv); !st.ok()) co_return Error(st);
      json::object obj = *old;
      // Objects held by their own finalizers keep the CRD (and its resource) until they go.
      if (crd_objects_left) MarkCrdTerminating(obj, Now(s_));
      json::object& meta = Meta(obj);
      const bool deleting = meta.contains("deletionTimestamp");
      const json::value* current = meta.if_contains("deletionGracePeriodSeconds");
      const int64_t current_grace =
          current != nullptr && current->is_int64() ? current->get_int64() : 0;
      // kube's BeforeDelete: a deletion in its grace period keeps its finalizers unless this
      // request shortens the grace period; one marked with grace 0 goes as soon as nothing
      // holds it.
      if (!deleting || current_grace == 0 || (grace >= 0 && grace < current_grace)) {
        SetGcFinalizers(meta, *policy, OrphansByDefault());
      }
      bool has_finalizers = meta.contains("finalizers") && meta["finalizers"].is_array() &&
                            !meta["finalizers"].get_array().empty();
      int64_t graceful = deleting && current_grace == 0 ? 0 : GracePeriod(obj, grace);
      if (has_finalizers || graceful > 0 || type_.plural == "namespaces") {
        // Graceful deletion: mark the object; its finalizers (or the node agent, for a pod
        // on a node) complete the deletion.
        if (!deleting) {
          meta["deletionTimestamp"] =
              base::FormatRfc3339(s_.clock().Now() + std::chrono::seconds(graceful));
          meta["deletionGracePeriodSeconds"] = graceful;
          // Controllers of an object being deleted change how they act: kube bumps its
          // generation (when it has one) the first time deletion is requested.
          if (json::value* gen = meta.if_contains("generation"); gen && gen->is_int64() &&
                                                                 gen->get_int64() > 0) {
            *gen = gen->get_int64() + 1;
          }
        } else if (graceful >= 0 && meta.contains("deletionGracePeriodSeconds") &&
                   meta["deletionGracePeriodSeconds"].is_int64() &&
                   graceful < meta["deletionGracePeriodSeconds"].get_int64()) {
          meta["deletionGracePeriodSeconds"] = graceful;  // a shorter grace period wins
        }
        if (type_.plural == "namespaces") {
          json::value& st = obj["status"];
          if (!st.is_object()) st = json::object();
          st.get_object()["phase"] = "Terminating";
        }
        if (DryRun()) co_return JsonResponse(200, WithRv(type_, std::move(obj), cur->rv));
        int64_t rv = cur->rv;
        if (std::string stored = api::SerializeForStore(obj);
            stored != api::SerializeForStore(*old)) {
          WriteOp op{WriteOp::Kind::kUpdate, Key(info_.name), std::move(stored), cur->rv};
          auto kv = co_await AsyncWrite(s_, type_, std::move(op), &obj);
          if (absl::IsAborted(kv.status())) {
            if (co_await AgainAfterConflict(attempt, start)) continue;
            break;
          }
          if (!kv.ok()) co_return Error(kv.status());
          rv = kv->mod_revision;
        }
        if (type_.plural == "namespaces") {
          asio::co_spawn(co_await asio::this_coro::executor, CleanUpNamespace(s_, info_.name),
                         asio::detached);
        }
        co_return JsonResponse(200, WithRv(type_, std::move(obj), rv));
      }
      if (DryRun()) co_return StoredResponse(type_, 200, cur->json);
      WriteOp op{WriteOp::Kind::kDelete, Key(info_.name), "", cur->rv};
      auto kv = co_await AsyncWrite(s_, type_, std::move(op));
      if (absl::IsAborted(kv.status())) {
        if (co_await AgainAfterConflict(attempt, start)) continue;
        break;
      }
      if (absl::IsNotFound(kv.status())) {
        co_return Error(NotFound(type_.QualifiedResource(), info_.name));
      }
      if (!kv.ok()) co_return Error(kv.status());
      co_await RecheckTerminatingNamespace();
      co_return StoredResponse(type_, 200, cur->json);
    }
    co_return Error(ConflictModified(type_.QualifiedResource(), info_.name));
  }

  // An object just left its namespace for good. If the namespace is terminating, its
  // cleanup runs again: the last finalizer removed (or the last pod gone from its node) lets
  // the namespace go, as kube's namespace controller would on its next pass.
  // The same for a custom resource whose CRD is being deleted.
  asio::awaitable<void> RecheckTerminatingNamespace() {
    if (type_.custom) co_await FinishCrdDeletion(s_, type_);
    if (namespace_cleanup_ || !type_.namespaced || !NamespaceTerminating(s_, info_.ns)) {
      co_return;
    }
    asio::co_spawn(co_await asio::this_coro::executor, CleanUpNamespace(s_, info_.ns),
                   asio::detached);
  }

  absl::Status CheckDeletePreconditions(const json::object& opts, const json::object& obj,
                                        int64_t rv) {
    auto pre = opts.find("preconditions");
    if (pre == opts.end() || !pre->value().is_object()) return absl::OkStatus();
    const json::object& p = pre->value().get_object();
    if (auto uid = p.find("uid"); uid != p.end() && uid->value().is_string()) {
      std::string_view have = api::StringAt(obj, "metadata.uid");
      if (uid->value().get_string() != have) {
        return Conflict(type_.QualifiedResource(), info_.name,
                        base::StrCat("Precondition failed: UID in precondition: ",
                                     std::string_view(uid->value().get_string()),
                                     ", UID in object meta: ", have));
      }
    }
    if (auto r = p.find("resourceVersion"); r != p.end() && r->value().is_string()) {
      if (r->value().get_string() != std::to_string(rv)) {
        return Conflict(type_.QualifiedResource(), info_.name,
                        base::StrCat("Precondition failed: ResourceVersion in precondition: ",
                                     std::string_view(r->value().get_string()),
                                     ", ResourceVersion in object meta: ", rv));
      }
    }
    return absl::OkStatus();
  }

  // Pods on a node are deleted gracefully (the node agent finishes the deletion); everything
  // else, and pods that never ran or already finished, is deleted at once.
  int64_t GracePeriod(json::object& obj, int64_t requested) {
    if (type_.plural != "pods") return 0;
    if (api::StringAt(obj, "spec.nodeName").empty()) return 0;
    std::string_view phase = api::StringAt(obj, "status.phase");
    if (phase == "Succeeded" || phase == "Failed") return 0;
    if (requested >= 0) return requested;
    const json::value* g = api::FindPath(obj, "spec.terminationGracePeriodSeconds");
    if (g != nullptr && g->is_int64()) return g->get_int64();
    return 30;
  }

  asio::awaitable<Response> DeleteCollection() {
    auto filter = ParseFilter(req_, type_, info_.ns);
    if (!filter.ok()) co_return Error(filter.status());
    auto delete_opts = DeleteOptions();
    if (!delete_opts.ok()) co_return Error(delete_opts.status());
    auto policy = ParsePropagation(req_, *delete_opts);
    if (!policy.ok()) co_return Error(policy.status());
    WarnIfOrphanedByDefault(*policy);
    ListOptions opts;
    opts.filter = std::move(*filter);
    auto r = cache_.List(opts);
    if (!r.ok()) co_return Error(r.status());
    for (const ObjectPtr& o : r->items) {
      RequestInfo one = info_;
      one.name = o->name;
      one.ns = o->ns;
      one.verb = "delete";
      Handler h(s_, req_, one);
      Response resp = co_await h.Delete();
      if (resp.code >= 400 && resp.code != 404) co_return resp;
    }
    co_return ListResponse(type_, *r);
  }

  asio::awaitable<Response> Binding() {
    auto body = DecodeRequestBody(req_, nullptr);
    if (!body.ok() && HttpCode(body.status()) != 400) co_return Error(body.status());
    if (!body.ok() || !body->is_object()) {
      co_return Error(BadRequest("Binding in version \"v1\" cannot be handled as a Binding: "
                                 "the request body must be a JSON object"));
    }
    std::string node(api::StringAt(*body, "target.name"));
    if (node.empty()) {
      co_return Error(Invalid("Binding", info_.name,
                              {{"FieldValueRequired", "Required value", "target.name"}}));
    }
    std::string now = Now(s_);
    Mutation mutate = [&](const json::object& old, int64_t) -> absl::StatusOr<json::object> {
      return BindPod(old, info_.name, node, now);
    };
    Response r = co_await GuaranteedUpdate(info_.name, mutate, 201);
    if (r.code != 201) co_return r;
    co_return JsonResponse(201, SuccessStatusJson(info_.name, "", "pods", ""));
  }

  // pods/eviction (policy/v1 Eviction): a delete with the Eviction's deleteOptions. shoal has
  // no PodDisruptionBudgets yet, so every eviction is allowed.
  asio::awaitable<Response> Evict() {
    auto body = DecodeRequestBody(req_, nullptr);
    if (!body.ok() && HttpCode(body.status()) != 400) co_return Error(body.status());
    if (!body.ok() || !body->is_object()) {
      co_return Error(BadRequest(base::StrCat(
          "Eviction in version \"v1\" cannot be handled as a Eviction: ",
          body.ok() ? "the request body must be a JSON object" : body.status().message())));
    }
    std::string_view name = api::StringAt(*body, "metadata.name");
    if (name != info_.name) {
      co_return Error(BadRequest("name in URL does not match name in Eviction object"));
    }
    Request del;
    del.method = "DELETE";
    del.query = req_.query;
    if (const json::value* o = body->get_object().if_contains("deleteOptions");
        o != nullptr && o->is_object()) {
      del.body = json::serialize(*o);
    }
    RequestInfo one = info_;
    one.subresource = "";
    one.verb = "delete";
    Handler h(s_, del, one);
    Response r = co_await h.Delete();
    if (r.code != 200) co_return r;
    co_return JsonResponse(
        201, R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":201})");
  }

  static asio::awaitable<void> CleanUpNamespace(ApiServer& s, std::string ns) {
    // The namespace controller's job, done inline: delete every object in the namespace,
    // then the namespace itself once nothing is left.
    bool left = false;
    for (const api::ResourceType* type : s.registry().Types()) {
      const api::ResourceType& t = *type;
      if (!t.namespaced) continue;
      ListOptions opts;
      opts.filter.ns = ns;
      auto r = s.CacheFor(t)->List(opts);
      if (!r.ok()) continue;
      for (const ObjectPtr& o : r->items) {
        Request req;
        req.method = "DELETE";
        // kube's namespace deleter removes the content with propagationPolicy Background (a
        // Job's default, Orphan, would wait for the garbage collector).
        req.body = R"({"propagationPolicy":"Background"})";
        RequestInfo info{t.group, t.version, ns, o->name, "", "delete", &t};
        Handler h(s, req, info);
        h.namespace_cleanup_ = true;  // this pass decides about the namespace itself
        Response resp = co_await h.Delete();
        if (resp.code == 200 && s.CacheFor(t)->Get(o->key)) left = true;
      }
    }
    if (left) co_return;
    const api::ResourceType* nst = s.registry().Find("", "v1", "namespaces");
    ObjectPtr cur = s.CacheFor(*nst)->Get(nst->Key("", ns));
    if (!cur) co_return;
    WriteOp op{WriteOp::Kind::kDelete, nst->Key("", ns), "", cur->rv};
    co_await AsyncWrite(s, *nst, std::move(op));
  }

  ApiServer& s_;
  const Request& req_;
  const RequestInfo& info_;
  const api::ResourceType& type_;
  WatchCache& cache_;
  bool client_precondition_ = false;
  std::string manager_;      // backs the string_views of Update/ApplyRequestFor()
  std::vector<std::string> warnings_;  // field validation warnings, sent as Warning headers
  std::string api_version_;
  bool namespace_cleanup_ = false;  // deleting on behalf of CleanUpNamespace
};

}  // namespace

asio::awaitable<Response> HandleResource(ApiServer& server, const Request& req,
                                         const RequestInfo& info) {
  Handler h(server, req, info);
  co_return co_await h.Run();
}

}  // namespace shoal::apiserver::internal
