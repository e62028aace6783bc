// Internal to the API server: what a DELETE's DeleteOptions say about the object's dependents
// (propagationPolicy, the deprecated orphanDependents) and the garbage collector's finalizers
// (orphan, foregroundDeletion) that follow from it, as kube-apiserver's
// deletionFinalizersForGarbageCollection sets them. Pure functions; called by the REST
// handlers (rest.cc).
#pragma once

#include <string_view>

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "apiserver/request.h"

namespace shoal::apiserver::internal {

// metav1.FinalizerOrphanDependents and FinalizerDeleteDependents.
inline constexpr std::string_view kOrphanFinalizer = "orphan";
inline constexpr std::string_view kForegroundFinalizer = "foregroundDeletion";
// kube-apiserver's warning for a batch/v1 Job deleted without a propagation policy.
inline constexpr std::string_view kJobOrphanWarning =
    "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background "
    "to remove them or set propagationPolicy=Orphan to suppress this warning";

// kNone: the request names no policy (the type's default applies).
enum class Propagation { kNone, kOrphan, kBackground, kForeground };

// The policy of a delete: from the DeleteOptions body `opts` or, when the request has no body,
// from its query (as kube-apiserver decodes DeleteOptions). BadRequest for a field of the wrong
// type; Invalid (422) for an unknown policy or both fields set (kube's ValidateDeleteOptions).
absl::StatusOr<Propagation> ParsePropagation(const Request& req,
                                             const boost::json::object& opts);

// Sets the garbage collector's finalizers that `meta` carries after a delete with `policy`.
// With kNone, one already on the object stands, else `orphan_by_default` decides (batch/v1
// Jobs orphan by default).
void SetGcFinalizers(boost::json::object& meta, Propagation policy, bool orphan_by_default);

}  // namespace shoal::apiserver::internal
