// StatusFromResponse: the client side of the API edge's error table (apiserver/errors.h): turns
// an HTTP response carrying a metav1.Status into an absl::Status, so that callers of either
// transport handle failures as values. Stateless; safe from any thread.
#pragma once

#include "absl/status/status.h"
#include "client/transport.h"

namespace shoal::client {

// OK for a 2xx response. Otherwise an error whose message is the metav1.Status `message` of the
// body (or the body itself when it is not a Status, or "HTTP <code>" when it is empty), with the
// code mapped as:
//   400, 415, 422 InvalidArgument    401 Unauthenticated     403 PermissionDenied
//   404 NotFound                     409 AlreadyExists (reason "AlreadyExists"), else Aborted
//   410 OutOfRange                   429 ResourceExhausted   500 Internal
//   anything else (503, 504, ...) Unavailable
[[nodiscard]] absl::Status StatusFromResponse(const Response& response);

}  // namespace shoal::client
