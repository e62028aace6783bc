// Internal to the API server: what the REST verb handlers (rest.cc) build their answers and
// writes from: stored documents served as a type's version, List answers that share the
// cache's bytes, decoded and schema-checked bodies, and GuaranteedUpdate's retry pacing.
//
// Threading: pure functions, except AgainAfterConflict, which waits on its caller's executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include "absl/status/statusor.h"
#include "api/registry.h"
#include "apiserver/request.h"
#include "apiserver/watch_cache.h"
#include "store/store.h"

namespace shoal::apiserver::internal {

// Whether to try a write again after it lost race number `attempt` (0-based) and started at
// `start`. A write without a client precondition that loses a race is tried again until it
// wins, as kube-apiserver's GuaranteedUpdate does (it never answers such a write 409): the
// first 8 tries at once, then after a short random pause (writers that keep contending for
// one object would otherwise be staged in the same order batch after batch, and the same one
// lose every time), for at most 10 s in all.
boost::asio::awaitable<bool> AgainAfterConflict(int attempt,
                                                std::chrono::steady_clock::time_point start);

Response JsonResponse(int code, std::string body);

// A stored document as `type` serves it: a custom resource stored through another version of
// its CRD gets this version's apiVersion (the "None" conversion strategy); anything else is
// shared as it is.
store::Bytes ServedAs(const api::ResourceType& type, store::Bytes doc);

// Answers with a stored document (a cached object, or a write's result, which carries its
// resourceVersion already) as `type` serves it: shared with the cache, never copied before
// the socket.
Response StoredResponse(const api::ResourceType& type, int code, store::Bytes doc);

// A List answer whose items are the cached objects themselves (no copy until the socket).
Response ListResponse(const api::ResourceType& type, const ListResult& r);

// Serializes an object to answer with, carrying the revision it was stored at (and, for a
// custom resource, the apiVersion of the version asked for).
std::string WithRv(const api::ResourceType& type, boost::json::object obj, int64_t rv);

// Decodes a create/update body and checks its fields against the type's schema (see
// CheckObjectFields); unknown fields are pruned unless the request fails. Warn-mode field
// validation's warnings go to `warnings`.
absl::StatusOr<boost::json::object> DecodeBody(const api::ResourceType& type,
                                               const Request& req,
                                               std::vector<std::string>* warnings);

// A cached object's JSON parsed (Internal when it does not parse).
absl::StatusOr<boost::json::object> ParseStored(const CachedObject& o);

// `n` characters of Kubernetes' generateName alphabet (no vowels, no confusable characters).
std::string RandomSuffix(size_t n);

// Whether `obj` (an update's result) equals `old` (as stored), member order and the
// resourceVersion aside.
bool SameObject(const boost::json::object& obj, const boost::json::object& old);

// The object's metadata, made an (empty) object when it is missing or not one.
boost::json::object& Meta(boost::json::object& obj);

}  // namespace shoal::apiserver::internal
