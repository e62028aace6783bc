// Patch application on JSON documents: JSON merge patch (RFC 7386), JSON patch (RFC 6902, all
// six operations) and Kubernetes' strategic merge patch, plus the list schema knowledge (merge
// keys, list types) that strategic merge patch and server-side apply (managed_fields.h) share.
//
// Stateless functions; safe from any thread.
#pragma once

#include <string_view>

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

// Strategic merge patch, as Kubernetes' strategicpatch package applies it to the types shoal
// serves:
//  - maps merge recursively; null deletes a key; a value of another type replaces;
//  - lists with a patchMergeKey (ListMergeKey) merge item by item; lists of primitives with
//    patchStrategy=merge (finalizers, podCIDRs) are a union; every other list is replaced;
//    merged lists keep Kubernetes' order: patch items in patch order, interleaved with the
//    server-only items by their live positions (so an unanchored new item comes first);
//  - `"$patch": "replace"` in a map replaces the map; `"$patch": "delete"` removes it;
//    a `{"$patch": "replace"}` item replaces the whole list with the patch's other items;
//    `{"<key>": v, "$patch": "delete"}` items delete the matching items;
//  - `$setElementOrder/<list>`, `$retainKeys` and `$deleteFromPrimitiveList/<list>`;
//  - directives aimed at a list or map that the target lacks are applied to an empty one,
//    so that no directive is ever stored.
// Errors (InvalidArgument, Kubernetes' wording): a non-object patch, `$patch: merge` or an
// unknown directive, an item of a merged list without its merge key, malformed directives.
absl::StatusOr<boost::json::value> ApplyStrategicMergePatch(const boost::json::value& target,
                                                            const boost::json::value& patch);

// JSON equality with numbers compared by value (1 == 1.0) and objects regardless of member
// order: RFC 6902's "test", and what server-side apply calls an unchanged value.
bool JsonEqual(const boost::json::value& a, const boost::json::value& b);

// ---------------------------------------------------------------------------------------------
// List schema of the served types (core/v1 Pod, Node, Namespace, ConfigMap, Secret, Event;
// batch/v1 Job; coordination Lease; scheduling PriorityClass; PodGroup), by field name, from the
// Go struct tags. Lists that are not listed are atomic for both patch kinds, as Kubernetes
// treats lists without tags (tolerations, taints, args, command, readinessGates...).

// Strategic merge patch: the patchMergeKey of a list field ("containers" -> "name"), or "" when
// the list has none (then it is replaced, unless IsMergePrimitiveList).
std::string_view ListMergeKey(std::string_view field);

// True for lists of primitives with patchStrategy=merge (metadata.finalizers,
// spec.podCIDRs): merged as a union, `$deleteFromPrimitiveList` removes from them.
bool IsMergePrimitiveList(std::string_view field);

// Server-side apply (`x-kubernetes-list-type`): atomic lists are a single leaf, sets are keyed
// by value (`v:"a"`), maps by their key fields (`k:{"name":"c"}`).
enum class ListType { kAtomic, kSet, kMap };

struct ListMapKey {
  std::string_view name;
  // Used when an item omits the key (ports' protocol defaults to "TCP"); "" when required.
  std::string_view default_value;
};

struct ApplyListSchema {
  ListType type = ListType::kAtomic;
  ListMapKey keys[2];  // sorted by name, as Kubernetes writes `k:` elements
  int key_count = 0;
};

// The list type of `field` in an object of `kind` (Job's status.conditions is atomic for
// apply although strategic merge patch merges it by type).
ApplyListSchema ApplyListSchemaFor(std::string_view kind, std::string_view field);

}  // namespace shoal::api
