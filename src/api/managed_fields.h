// Server-side apply and managedFields, as kube-apiserver's fieldmanager keeps them: which
// manager owns which fields of an object, recorded in `metadata.managedFields` in Kubernetes'
// shapes (ManagedFieldsEntry with `fieldsV1` sets), updated on every write (TrackUpdate) and
// used to merge `application/apply-patch+yaml` bodies and detect conflicts (Apply).
//
// List semantics come from api/patch.h's ApplyListSchemaFor. There is one API version per
// resource, so no conversion between versions is done.
//
// Stateless functions and value types; safe from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/field_set.h"

namespace shoal::api {

// One metadata.managedFields entry. `time` is RFC 3339 ("" when absent).
struct ManagedFieldsEntry {
  std::string manager;
  std::string operation;  // "Apply" or "Update"
  std::string api_version;
  std::string time;
  std::string subresource;
  FieldSet fields;
};

// Decodes metadata.managedFields. InvalidArgument, worded as Kubernetes' validation
// (`metadata.managedFields[0].operation: Invalid value: "X": must be `Apply` or `Update``),
// for a malformed list or entry.
absl::StatusOr<std::vector<ManagedFieldsEntry>> DecodeManagedFields(
    const boost::json::value& managed_fields);
// Encodes entries in Kubernetes' order (operation, time, manager, apiVersion, subresource).
boost::json::array EncodeManagedFields(std::vector<ManagedFieldsEntry> entries);

// The fields present in `object` (leaves, list-map items, set values; atomic lists as one
// leaf; empty maps own nothing), without apiVersion, kind and server-owned metadata (name,
// namespace, uid, resourceVersion, generation, creationTimestamp, deletionTimestamp,
// deletionGracePeriodSeconds, selfLink, managedFields). InvalidArgument when a list-map item
// lacks a key field or two items share a key.
absl::StatusOr<FieldSet> FieldsOf(const boost::json::object& object);

// The manager name Kubernetes derives from a User-Agent when a request names none: the part
// before the first '/', without unprintable characters, at most 128 bytes
// ("kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07" -> "kubectl").
std::string DefaultManager(std::string_view user_agent);

// One apply conflict, as a metav1.StatusCause with reason "FieldManagerConflict".
struct FieldConflict {
  std::string message;  // `conflict with "kube-controller-manager" using batch/v1`
  std::string field;    // `.spec.parallelism`
};

// The `details.causes` array of the 409 Status for `conflicts`.
boost::json::array ConflictCauses(const std::vector<FieldConflict>& conflicts);

struct ApplyRequest {
  std::string_view manager;      // required (fieldManager)
  bool force = false;            // ?force=true: take the conflicting fields
  std::string_view api_version;  // the endpoint's: "batch/v1", "v1"
  std::string_view kind;         // the endpoint's: "Job"
  std::string_view subresource;  // "" or "status"
  std::chrono::system_clock::time_point now;
};

// Server-side apply of `config` (the decoded apply body) to `live` (nullptr: the object does
// not exist; apply creates it). Returns the new object with metadata.managedFields updated:
// the config merged into the live object (maps merge, list-maps merge by key, sets union,
// atomic lists and scalars replace); fields the manager applied last time and no longer
// specifies are removed unless another manager owns them; the status (on the main resource)
// or spec (on status) of the config is ignored, as the reset fields of Kubernetes' strategies.
// Errors:
//  - Aborted with Kubernetes' message (`Apply failed with 1 conflict: conflict with "m" using
//    batch/v1: .spec.parallelism`) when another manager owns a field whose value the apply
//    changes and !force; `conflicts` (if given) receives one entry per field. The API
//    server answers 409 Conflict with ConflictCauses(conflicts) as details.causes.
//  - InvalidArgument (400) for a config of another apiVersion/kind
//    (`invalid object type: batch/v1, Kind=Pod`), one carrying metadata.managedFields, an
//    empty manager, or a list-map item without its key.
//  - Internal when the live object's managedFields cannot be decoded.
absl::StatusOr<boost::json::object> Apply(const boost::json::object* live,
                                          const boost::json::object& config,
                                          const ApplyRequest& request,
                                          std::vector<FieldConflict>* conflicts = nullptr);

struct UpdateRequest {
  std::string_view manager;      // the fieldManager, or DefaultManager(User-Agent)
  std::string_view subresource;  // "" or "status"
  std::chrono::system_clock::time_point now;
};

// Records an ordinary write (create: old == nullptr; update, merge/JSON/strategic patch) in
// `updated`'s metadata.managedFields: the fields it adds or changes move to the manager's
// "Update" entry (keyed by manager, apiVersion and subresource) and out of every other
// entry; removed fields leave every entry; empty entries are dropped; past 10 Update entries
// the oldest merge into "ancient-changes". The entry's time is set only when it gains fields.
// managedFields sent in `updated`: `[]` (or `[{}]`) resets tracking, a non-empty list replaces
// the live one, absence keeps the live one; on a subresource they are ignored.
// Errors: InvalidArgument for invalid managedFields in `updated` (see DecodeManagedFields).
absl::Status TrackUpdate(const boost::json::object* old_object, boost::json::object& updated,
                         const UpdateRequest& request);

}  // namespace shoal::api
