// Schemas of meta/v1 and the other apimachinery types. Format: see schema_data.h.
#include "api/schema_data.h"

namespace shoal::api::internal {

const char kSchemaDataMeta[] = R"schema(
package io.k8s.apimachinery.pkg.api.resource
type Quantity quantity | An amount of a resource written as a decimal with an optional suffix: "500m" CPU, "2Gi" memory, "4" GPUs. A plain JSON number is accepted too.

package io.k8s.apimachinery.pkg.util.intstr
type IntOrString int-or-string | A value that is either an integer or a string, such as a port number or a port name, or "25%".

package io.k8s.apimachinery.pkg.runtime
type RawExtension object | An embedded object of any kind, kept as it was written.

package io.k8s.apimachinery.pkg.apis.meta.v1
type Time string format=date-time | A point in time in RFC 3339 form with second precision, e.g. "2024-05-01T12:00:00Z".
type MicroTime string format=date-time | A point in time in RFC 3339 form with microsecond precision.
type FieldsV1 object | The set of fields a manager owns, in the structured-merge-diff FieldsV1 form (a tree of "f:", "k:", "v:" and "i:" keys).

type ObjectMeta | Metadata that every stored object carries: its name and namespace, labels and annotations, owners, and bookkeeping written by the server.
  annotations {}string | Free-form string key/value pairs for tools and people. Not used to select objects.
  creationTimestamp meta.Time | When the server created the object. Written by the server; read-only.
  deletionGracePeriodSeconds int64 | How many seconds the object has to terminate once its deletion began. Read-only.
  deletionTimestamp meta.Time | When a graceful deletion was asked for; the object goes away once its finalizers are cleared. Read-only.
  finalizers []string strategy=merge list=set | Keys that their controllers must remove before the object is deleted from storage.
  generateName string | Prefix the server uses to make a unique name when name is left empty.
  generation int64 | Counter of changes to the desired state, bumped by the server. Read-only.
  labels {}string | String key/value pairs used to organize objects and to select them with label selectors.
  managedFields []ManagedFieldsEntry list=atomic | Which field manager owns which fields, kept for server-side apply. Normally not edited by hand.
  name string | Name of the object, unique among objects of its kind in its namespace.
  namespace string | Namespace the object lives in; empty for cluster-scoped kinds.
  ownerReferences []OwnerReference merge=uid strategy=merge list=map keys=uid | Objects this one belongs to. When every owner is gone the garbage collector deletes it.
  resourceVersion string | Opaque version of this state of the object, for optimistic concurrency and watches. Written by the server.
  selfLink string | Unused; kept for compatibility.
  uid string | Identifier of the object, unique in time and space. Written by the server.

type OwnerReference map=atomic | A reference to an owner of the object, in the same namespace or cluster-scoped.
  apiVersion string req | API version of the owner.
  blockOwnerDeletion bool | If true, a foreground deletion of the owner waits until this object is gone.
  controller bool | True when the owner is the managing controller. At most one owner is.
  kind string req | Kind of the owner.
  name string req | Name of the owner.
  uid string req | UID of the owner.

type ManagedFieldsEntry | The fields one manager owns, for one API version and operation.
  apiVersion string | API version of the object the fields were set through.
  fieldsType string | Format of fieldsV1; always "FieldsV1".
  fieldsV1 meta.FieldsV1 | The owned fields.
  manager string | Name of the field manager (the client that wrote them).
  operation string | "Apply" or "Update": how the fields were written.
  subresource string | Subresource the fields were written through (e.g. "status"), or empty for the main resource.
  time meta.Time | When the entry last changed.

type ListMeta | Metadata of a list response.
  continue string | Token for fetching the next page of a paginated list.
  remainingItemCount int64 | Number of items after this page, when known.
  resourceVersion string | Version of the store this list was read at.
  selfLink string | Unused; kept for compatibility.

type LabelSelector map=atomic | A label query. Requirements are ANDed; an empty selector matches every object and a missing one matches none.
  matchExpressions []LabelSelectorRequirement list=atomic | Set-based requirements.
  matchLabels {}string | Exact label values to match; each entry is an "In" requirement with one value.

type LabelSelectorRequirement | One set-based label requirement.
  key string req | The label key.
  operator string req | In, NotIn, Exists or DoesNotExist.
  values []string list=atomic | Values for In and NotIn; must be empty for Exists and DoesNotExist.

type Condition | A standard condition of an object's status.
  lastTransitionTime meta.Time req | When the status last changed.
  message string req | Human-readable detail.
  observedGeneration int64 | metadata.generation the condition was computed from.
  reason string req | CamelCase reason for the last transition.
  status string req | True, False or Unknown.
  type string req | Condition type, CamelCase.

type DeleteOptions gvk=/v1/DeleteOptions,batch/v1/DeleteOptions,policy/v1/DeleteOptions,coordination.k8s.io/v1/DeleteOptions,scheduling.k8s.io/v1/DeleteOptions,apiextensions.k8s.io/v1/DeleteOptions | Options of a delete request.
  +typemeta
  dryRun []string list=atomic | "All" to run every stage of the request without storing the result.
  gracePeriodSeconds int64 | Seconds the object gets to terminate; 0 deletes at once. Empty means the kind's default.
  ignoreStoreReadErrorWithClusterBreakingPotential bool | Deletes an object whose stored form cannot be read. Dangerous; needs extra permission.
  orphanDependents bool | Deprecated, use propagationPolicy. If true, dependents are orphaned.
  preconditions Preconditions | Conditions the object must meet for the delete to proceed.
  propagationPolicy string | What happens to dependents: Orphan, Background or Foreground.

type Preconditions | Conditions a delete is subject to.
  resourceVersion string | The object must have this resourceVersion.
  uid string | The object must have this UID.

type Status gvk=/v1/Status | The result of a request that returns no object, or of a failed one.
  +typemeta
  code int32 | HTTP status code.
  details StatusDetails | More data about the reason, depending on it.
  message string | Human-readable description of the result.
  metadata ListMeta | List metadata (unused).
  reason string | Machine-readable reason, e.g. NotFound, AlreadyExists, Invalid. Empty if unknown.
  status string | "Success" or "Failure".

type StatusDetails | Details of a Status, naming the object and the causes.
  causes []StatusCause list=atomic | The individual errors, for example one per invalid field.
  group string | Group of the object.
  kind string | Kind of the object.
  name string | Name of the object.
  retryAfterSeconds int32 | Seconds the client should wait before retrying.
  uid string | UID of the object.

type StatusCause | One cause of a failure.
  field string | Path of the field at fault, e.g. "spec.containers[0].name".
  message string | Human-readable description.
  reason string | Machine-readable reason, e.g. FieldValueInvalid.
)schema";

}  // namespace shoal::api::internal
