// What the Job controller's two files share: job_controller.cc (events, batching, calls) and
// job_reconcile.cc (JobController::Reconcile).
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include <boost/json/object.hpp>

#include "api/object.h"

namespace shoal::controllers::internal {

// Replaces `have` by `got` unless `have` is a newer version of the same Job (a higher
// resourceVersion): the informer's events and the controller's write answers interleave.
inline void KeepNewer(boost::json::object& have, boost::json::object got) {
  if (have.empty() || api::ResourceVersionAt(got) >= api::ResourceVersionAt(have) ||
      api::StringAt(have, "metadata.uid") != api::StringAt(got, "metadata.uid")) {
    have = std::move(got);
  }
}

// The integer at `path`, or `fallback` when there is none.
inline int64_t IntAt(const boost::json::object& o, std::string_view path, int64_t fallback) {
  const boost::json::value* v = api::FindPath(o, path);
  return v != nullptr && v->is_int64() ? v->get_int64() : fallback;
}

}  // namespace shoal::controllers::internal
