// Patch application on JSON documents: JSON merge patch (RFC 7386), JSON patch (RFC 6902, all
// six operations) and a strategic merge patch subset (merge patch plus Kubernetes' list merge
// keys for the common lists and the `$patch: delete|replace` directives).
//
// Stateless functions; safe from any thread.
#pragma once

#include <boost/json.hpp>

#include "absl/status/statusor.h"

namespace shoal::api {

// RFC 7386: objects merge recursively, null deletes, everything else replaces.
boost::json::value ApplyMergePatch(const boost::json::value& target,
                                   const boost::json::value& patch);

// RFC 6902. Errors: InvalidArgument for a malformed patch or a path that does not resolve;
// FailedPrecondition when a "test" operation fails (the API server reports it as 422).
absl::StatusOr<boost::json::value> ApplyJsonPatch(const boost::json::value& target,
                                                  const boost::json::value& patch);

// Strategic merge patch: like merge patch, except that lists of objects with a known merge key
// (containers, initContainers, env, ports, volumes, volumeMounts, tolerations, conditions,
// ownerReferences, imagePullSecrets, taints, addresses) are merged item by item, and items
// or maps carrying `"$patch": "delete"` / `"$patch": "replace"` are deleted / replaced.
// `$setElementOrder/...`, `$retainKeys` and `$deleteFromPrimitiveList/...` directives are
// honoured for the common cases and never stored.
absl::StatusOr<boost::json::value> ApplyStrategicMergePatch(const boost::json::value& target,
                                                            const boost::json::value& patch);

}  // namespace shoal::api
