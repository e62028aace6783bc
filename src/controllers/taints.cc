#include "controllers/taints.h"

#include <boost/json.hpp>

#include "api/object.h"
#include "base/clock.h"

namespace shoal::controllers {

namespace json = boost::json;

std::vector<Taint> ParseTaints(const json::value* taints, const std::vector<Taint>& previous,
                               TimePoint now) {
  std::vector<Taint> out;
  if (taints == nullptr || !taints->is_array()) return out;
  for (const json::value& v : taints->get_array()) {
    if (!v.is_object()) continue;
    Taint t{std::string(api::StringAt(v, "key")), std::string(api::StringAt(v, "value")),
            std::string(api::StringAt(v, "effect"))};
    if (auto added = base::ParseRfc3339(api::StringAt(v, "timeAdded"))) {
      t.since = *added;
    } else {
      t.since = now;
      for (const Taint& p : previous) {
        if (p.key == t.key && p.value == t.value && p.effect == t.effect) t.since = p.since;
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<Toleration> ParseTolerations(const json::value* tolerations) {
  std::vector<Toleration> out;
  if (tolerations == nullptr || !tolerations->is_array()) return out;
  for (const json::value& v : tolerations->get_array()) {
    if (!v.is_object()) continue;
    Toleration t{std::string(api::StringAt(v, "key")), std::string(api::StringAt(v, "operator")),
                 std::string(api::StringAt(v, "value")), std::string(api::StringAt(v, "effect")),
                 std::nullopt};
    if (const json::value* s = v.get_object().if_contains("tolerationSeconds")) {
      if (s->is_int64()) t.seconds = s->get_int64();
      if (s->is_uint64()) t.seconds = static_cast<int64_t>(s->get_uint64());
      if (s->is_double()) t.seconds = static_cast<int64_t>(s->get_double());
    }
    out.push_back(std::move(t));
  }
  return out;
}

bool ToleratesTaint(const Toleration& toleration, const Taint& taint) {
  if (!toleration.effect.empty() && toleration.effect != taint.effect) return false;
  if (!toleration.key.empty() && toleration.key != taint.key) return false;
  if (toleration.op == "Exists") return true;
  if (toleration.op.empty() || toleration.op == "Equal") return toleration.value == taint.value;
  return false;
}

bool ToleratedByAny(const std::vector<Toleration>& tolerations, const Taint& taint) {
  for (const Toleration& t : tolerations) {
    if (ToleratesTaint(t, taint)) return true;
  }
  return false;
}

}  // namespace shoal::controllers
