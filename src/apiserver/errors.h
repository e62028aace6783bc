// The API edge's error table: shoal's absl::Status values <-> Kubernetes metav1.Status.
// One place decides which HTTP code and `reason` a failure gets (STYLE.md "Errors").
//
//   NotFound 404 NotFound            AlreadyExists 409 AlreadyExists
//   Aborted 409 Conflict             InvalidArgument 400 BadRequest (422 Invalid via Invalid())
//   OutOfRange 410 Expired           DeadlineExceeded 504 Timeout
//   PermissionDenied 403 Forbidden   Unauthenticated 401 Unauthorized
//   ResourceExhausted 429 TooManyRequests (413 via TooLarge())
//   InvalidArgument 415 UnsupportedMediaType via UnsupportedMediaType()
//   Unimplemented 405 MethodNotAllowed   Unavailable 503 ServiceUnavailable   else 500
//
// Stateless; safe from any thread.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>

#include "absl/status/status.h"
#include "base/strings.h"

namespace shoal::apiserver {

struct Cause {
  std::string reason;  // "FieldValueInvalid", "FieldValueRequired", ...
  std::string message;
  std::string field;
};

// FieldValueNotSupported at `field`, in kube's words: `Unsupported value: "x": supported
// values: "a", "b"` (the supported values in the order given).
Cause UnsupportedValue(std::string_view field, std::string_view value,
                       std::initializer_list<std::string_view> supported);

// Errors in Kubernetes' wording. `resource` is the qualified resource ("pods", "jobs.batch").
absl::Status NotFound(base::AnyView resource, base::AnyView name);
absl::Status AlreadyExists(base::AnyView resource, base::AnyView name);
absl::Status Conflict(base::AnyView resource, base::AnyView name, base::AnyView why);
absl::Status ConflictModified(base::AnyView resource, base::AnyView name);
// A server-side apply conflict: 409 Conflict whose details.causes name the fields
// (reason FieldManagerConflict), as api::Apply describes them.
absl::Status ApplyConflict(base::AnyView message, boost::json::array causes);
// 422: `<Kind> "<name>" is invalid: <field>: <message>, ...`.
absl::Status Invalid(base::AnyView kind, base::AnyView name, const std::vector<Cause>& causes);
absl::Status BadRequest(base::AnyView message);
absl::Status TooLarge(base::AnyView message);
absl::Status Gone(base::AnyView message);
absl::Status Forbidden(base::AnyView message);
absl::Status MethodNotAllowed(base::AnyView message);
// 415: a request body in a media type the endpoint does not accept.
absl::Status UnsupportedMediaType(base::AnyView message);

// The HTTP code for a Status.
int HttpCode(const absl::Status& status);
// A metav1.Status JSON document for a failed Status.
std::string StatusJson(const absl::Status& status);
// A metav1.Status JSON document for success (used by some DELETEs).
std::string SuccessStatusJson(base::AnyView name, base::AnyView group,
                              base::AnyView kind, base::AnyView uid);

}  // namespace shoal::apiserver
