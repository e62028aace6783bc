// Internal to the API server: request routing (kube's RequestInfo), the REST verb handlers,
// discovery, OpenAPI and Table printing. Called only by ApiServer.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include "absl/status/statusor.h"
#include "api/registry.h"
#include "api/schema.h"
#include "apiserver/api_server.h"
#include "apiserver/errors.h"
#include "apiserver/request.h"
#include "apiserver/watch_cache.h"

namespace shoal::apiserver::internal {

struct RequestInfo {
  std::string group;
  std::string version;
  std::string ns;
  std::string name;
  std::string subresource;
  std::string verb;  // get list watch create update patch delete deletecollection
  const api::ResourceType* type = nullptr;
};

// Request bodies (body_decoding.cc). Decodes a body by its Content-Type: JSON (also when
// none is given), YAML (application/yaml), or Kubernetes protobuf
// (application/vnd.kubernetes.protobuf, as kubectl's typed generators send it).
// `duplicates` (may be null) receives the paths of repeated keys (JSON and YAML).
// Errors: 413 for a body over kube-apiserver's 3 MiB limit; 415 for another media type or a
// protobuf kind shoal has no table for; InvalidArgument with the decoder's message for a
// malformed body, which the caller words as its 400.
absl::StatusOr<boost::json::value> DecodeRequestBody(const Request& req,
                                                     std::vector<std::string>* duplicates);

// Parses a resource path (/api/v1/..., /apis/g/v/...). nullopt if it is not a resource path;
// an error Status (404) for an unknown resource.
std::optional<absl::StatusOr<RequestInfo>> ParseRequestInfo(const Request& req,
                                                            const api::Registry& registry);

boost::asio::awaitable<Response> HandleResource(ApiServer& server, const Request& req,
                                                const RequestInfo& info);

// /api, /apis, /api/v1, /apis/<g>, /apis/<g>/<v>; nullopt for other paths.
std::optional<Response> HandleDiscovery(const ApiServer& server, const Request& req);
// /openapi/v2, /openapi/v3, /openapi/v3/<path>; nullopt for other paths.
std::optional<Response> HandleOpenApi(const ApiServer& server, const Request& req);

// Whether the Accept header asks for a meta.k8s.io Table.
bool WantsTable(const Request& req);
// A Table for `items`. `with_columns` false omits the column definitions (watch events after
// the first, as kube-apiserver does).
std::string TableJson(const api::ResourceType& type, const std::vector<ObjectPtr>& items,
                      int64_t rv, const std::string& continue_token, bool with_columns,
                      const std::string& include_object, const base::Clock& clock);

// Parses a label/field selector query parameter into a Filter; BadRequest on bad syntax or an
// unsupported field.
absl::StatusOr<Filter> ParseFilter(const Request& req, const api::ResourceType& type,
                                   const std::string& ns);

// Object rules (object_rules.cc): defaulting, validation and server-owned metadata.
// Scheme defaulting (kube's SetDefaults_*: pod and pod template fields, job counts, Secret
// stringData folded into data...): idempotent, run on every create and update of the main
// resource before field tracking, so that a field a write removes gets its default back.
// BadRequest for a malformed Secret stringData.
absl::Status ApplyDefaults(const api::ResourceType& type, boost::json::object& obj);
// The create strategy, run after ApplyDefaults and field tracking (so no manager owns what it
// sets): server-owned metadata, initial status, generated fields (a Job's selector), admission
// defaults (pod tolerations); then validation. `now` is the RFC 3339 creation time.
absl::Status PrepareForCreate(const api::ResourceType& type, boost::json::object& obj,
                              const std::string& now);
// Carries server-owned metadata and the status split from `old` into `obj` for an update of
// the main resource (subresource "") or of "status".
absl::Status PrepareForUpdate(const api::ResourceType& type, const boost::json::object& old,
                              boost::json::object& obj, const std::string& subresource);
// Checks that a decoded body fits its URL: kind/apiVersion, namespace, name rules.
absl::Status CheckBody(const api::ResourceType& type, const RequestInfo& info,
                       boost::json::object& obj, bool is_create);
// Field-level validation shared by create and update (names, labels, quantities...).
absl::Status Validate(const api::ResourceType& type, const boost::json::object& obj);
// The checks only an update has (immutable fields), after Validate.
absl::Status ValidateUpdate(const api::ResourceType& type, const boost::json::object& old,
                            const boost::json::object& obj, const std::string& subresource);

// Field validation against the OpenAPI schemas (field_validation.cc).
enum class FieldValidation { kStrict, kWarn, kIgnore };
// ?fieldValidation=: Strict, Warn (the default) or Ignore; 400 for anything else.
absl::StatusOr<FieldValidation> ParseFieldValidation(const Request& req);
// The schema of a type (a CRD's from its definition), or nullptr if it has none.
std::shared_ptr<const api::Schema> SchemaFor(const api::ResourceType& type);
// Checks an object (a decoded body, or a patched object) against its type's schema, given
// the duplicate fields found while parsing it. Strict: 400 naming every unknown and
// duplicate field. Warn: they are appended to `warnings` (for Warning headers). Unknown
// fields are pruned unless Strict. Wrong JSON types: 400 (custom resources: 422 with causes,
// which also covers required fields, enums and bounds of the CRD's schema).
absl::Status CheckObjectFields(const api::ResourceType& type, boost::json::value& obj,
                               const std::vector<std::string>& duplicates, FieldValidation mode,
                               std::vector<std::string>* warnings);

// The metav1.Status response for an error (code from errors.h's table).
Response ErrorResponse(const absl::Status& s);

// pods/log (pod_log.cc).

// Where the node agent serves the log asked for by `req` (GET .../pods/{name}/log).
struct PodLogTarget {
  std::string host;
  int port = 0;
  std::string path;                          // /containerLogs/{ns}/{pod}/{container}
  std::map<std::string, std::string> query;  // follow, tailLines, ... passed on
};
// nullopt if `req` is not a pods/log request. Errors as kube-apiserver gives them: 404 for the
// pod; 400 for a missing or unknown container name, a pod without a node, or a node without an
// agent endpoint.
std::optional<absl::StatusOr<PodLogTarget>> ResolvePodLog(ApiServer& server, const Request& req);

// Binding (bindings.cc).

// The pod after binding it to `node`: spec.nodeName set and PodScheduled=True, as
// kube-apiserver's binding storage does. Conflict (409) if the pod is being deleted or is
// already bound.
absl::StatusOr<boost::json::object> BindPod(const boost::json::object& pod,
                                            std::string_view pod_name, std::string_view node,
                                            const std::string& now);

// POST /api/v1/namespaces/{ns}/bindings: a Binding (metadata.name = the pod), or - a shoal
// extension used by its scheduler for gangs - a BindingList whose pods are all bound in one
// store transaction or none is.
boost::asio::awaitable<Response> HandleBindings(ApiServer& s, const Request& req,
                                                const std::string& ns);

// Admission (admission.cc).
// Checks that the namespace of a new object exists and is not terminating.
absl::Status CheckNamespace(ApiServer& s, const std::string& ns);
bool NamespaceTerminating(ApiServer& s, const std::string& ns);
// The Priority admission plugin: sets spec.priority and preemptionPolicy of a new pod.
absl::Status AdmitPodPriority(ApiServer& s, boost::json::object& pod);

// CustomResourceDefinitions (crd.cc).
// The types a CRD serves, one per served version; empty for an incomplete CRD.
std::vector<api::ResourceType> CrdResourceTypes(const boost::json::value& crd);
// Defaults the CRD's names and writes its status (NamesAccepted, Established, storedVersions).
void CompleteCrd(boost::json::object& crd, const std::string& now);
void ValidateCrd(const boost::json::object& crd, std::vector<Cause>& causes);
// Deletes every object of the CRD's resource (the CRD finalizer's work, done before the CRD
// itself goes). Objects kept by their own finalizers stay until those are removed.
boost::asio::awaitable<void> DeleteCustomObjects(ApiServer& s, const boost::json::value& crd);
// kube's finalizer on a CRD whose objects are still being deleted (some held by their own
// finalizers): the CRD stays, Terminating and serving, until the last object is gone.
inline constexpr std::string_view kCrdCleanupFinalizer =
    "customresourcecleanup.apiextensions.k8s.io";
// How many objects of the CRD's resource are left.
size_t CustomObjectsLeft(ApiServer& s, const boost::json::value& crd);
// Marks a CRD being deleted while objects are left: the cleanup finalizer and the Terminating
// condition (reason InstanceDeletionInProgress).
void MarkCrdTerminating(boost::json::object& crd, const std::string& now);
// True when the CRD serving `custom` is being deleted (creates are then refused, 405).
bool CrdTerminating(ApiServer& s, const api::ResourceType& custom);
// Called when an object of `custom` left the store: if its CRD is Terminating and nothing
// is left, removes the cleanup finalizer, which deletes the CRD.
boost::asio::awaitable<void> FinishCrdDeletion(ApiServer& s, const api::ResourceType& custom);

}  // namespace shoal::apiserver::internal
