// core/v1 taints and tolerations as the controllers read them (node lifecycle's eviction
// times, the queue controller's tainted flavors), with kube's ToleratesTaint. Value types and
// pure functions; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace shoal::controllers {

using TimePoint = std::chrono::system_clock::time_point;

// core/v1 Taint, with `since`: its timeAdded, or when it was first seen without one.
struct Taint {
  std::string key, value, effect;
  TimePoint since{};
  bool operator==(const Taint& o) const {
    return key == o.key && value == o.value && effect == o.effect && since == o.since;
  }
};

// core/v1 Toleration. `seconds` is tolerationSeconds (nullopt: forever).
struct Toleration {
  std::string key, op, value, effect;
  std::optional<int64_t> seconds;
};

// spec.taints of a node (nullptr or not an array: none). A taint without a parseable
// timeAdded takes the `since` of the same taint in `previous`, or else `now`.
std::vector<Taint> ParseTaints(const boost::json::value* taints, const std::vector<Taint>& previous,
                               TimePoint now);
// spec.tolerations of a pod.
std::vector<Toleration> ParseTolerations(const boost::json::value* tolerations);

// kube's Toleration.ToleratesTaint: effect (empty matches all), key (empty matches all),
// operator Exists (any value) or Equal / empty (same value).
bool ToleratesTaint(const Toleration& toleration, const Taint& taint);

// Whether any of `tolerations` tolerates `taint`.
bool ToleratedByAny(const std::vector<Toleration>& tolerations, const Taint& taint);

}  // namespace shoal::controllers
