// Kueue's queue API (kueue.x-k8s.io) as shoal serves it: the CustomResourceDefinitions of
// ResourceFlavor, ClusterQueue, LocalQueue, Workload and WorkloadPriorityClass, which the API server creates at start
// the way installing Kueue does in a real cluster, so that the ordinary CRD machinery
// (structural-schema validation and pruning, printer columns, the status subresource, serving
// several versions) applies to them as it does to any custom resource.
//
// The schemas follow Kueue's v1beta1 Go types (apis/kueue/v1beta1/*_types.go) for the fields
// shoal's queueing uses and those Kueue's documentation shows; status objects keep fields they
// do not describe (x-kubernetes-preserve-unknown-fields), since only shoal's own controllers
// write them. v1beta1 is the storage version; v1beta2 is served with the same schema and the
// None conversion (only apiVersion changes).
//
// Stateless; safe from any thread.
#pragma once

#include <boost/json.hpp>
#include <vector>

namespace shoal::apiserver {

// The five apiextensions.k8s.io/v1 CustomResourceDefinition objects (apiVersion, kind,
// metadata.name, spec; no status), in the order ResourceFlavor, ClusterQueue, LocalQueue,
// Workload, WorkloadPriorityClass, ready to be created. Each call builds fresh objects that the caller owns. Never
// fails.
std::vector<boost::json::object> KueueCrds();

}  // namespace shoal::apiserver
