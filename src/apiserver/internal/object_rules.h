// Internal to the per-type object rules (object_rules.cc, job_rules.cc): the helpers they
// share and the Job rules that object_rules.cc's dispatchers call.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "absl/status/status.h"
#include "api/registry.h"
#include "apiserver/errors.h"

namespace shoal::apiserver::internal {

// parent[key] as an object, made one (replacing any other value) if it is not.
boost::json::object& Obj(boost::json::object& parent, std::string_view key);
// SetDefaults_PodSpec and the container defaults: for pods and for pod templates.
void DefaultPodSpec(boost::json::object& spec);
// Whether `obj` is sent to one of Kueue's queues (a non-empty label
// kueue.x-k8s.io/queue-name).
bool Queued(const boost::json::object& obj);
// Adds a cause if the integer at `path` is present and not an integer in [min, max]; with
// `required`, also if it is absent.
void CheckInt(const boost::json::object& obj, std::string_view path, int64_t min, int64_t max,
              bool required, std::vector<Cause>& causes);

// batch/v1 Jobs (job_rules.cc).
void DefaultJob(boost::json::object& obj);   // SetDefaults_Job
void PrepareJob(boost::json::object& obj);   // the strategy's PrepareForCreate
void ValidateJob(const boost::json::object& obj, std::vector<Cause>& causes);
absl::Status ValidateJobUpdate(const api::ResourceType& type, const boost::json::object& old,
                               const boost::json::object& obj);

}  // namespace shoal::apiserver::internal
