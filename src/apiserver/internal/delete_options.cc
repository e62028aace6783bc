#include "apiserver/internal/delete_options.h"

#include <optional>
#include <string>

#include <boost/json.hpp>

#include "apiserver/errors.h"
#include "base/strings.h"

namespace shoal::apiserver::internal {

namespace json = boost::json;

absl::StatusOr<Propagation> ParsePropagation(const Request& req, const json::object& opts) {
  std::optional<std::string> policy;
  std::optional<bool> orphan;
  if (!req.body.empty()) {
    if (const json::value* p = opts.if_contains("propagationPolicy"); p && !p->is_null()) {
      if (!p->is_string()) {
        return BadRequest("invalid DeleteOptions: propagationPolicy must be a string");
      }
      policy = std::string(p->get_string());
    }
    if (const json::value* o = opts.if_contains("orphanDependents"); o && !o->is_null()) {
      if (!o->is_bool()) {
        return BadRequest("invalid DeleteOptions: orphanDependents must be a boolean");
      }
      orphan = o->get_bool();
    }
  } else {
    if (req.Has("propagationPolicy")) policy = req.Param("propagationPolicy");
    if (req.Has("orphanDependents")) {
      std::string o = req.Param("orphanDependents");
      if (o != "true" && o != "false") {
        return BadRequest(base::StrCat("invalid orphanDependents: ", o));
      }
      orphan = o == "true";
    }
  }
  if (policy && orphan) {
    return Invalid("DeleteOptions.meta.k8s.io", "",
                   {{"FieldValueInvalid",
                     base::StrCat("Invalid value: \"", *policy,
                                  "\": orphanDependents and deletionPropagation cannot be both "
                                  "set"),
                     "propagationPolicy"}});
  }
  if (orphan) return *orphan ? Propagation::kOrphan : Propagation::kBackground;
  if (!policy) return Propagation::kNone;
  if (*policy == "Orphan") return Propagation::kOrphan;
  if (*policy == "Background") return Propagation::kBackground;
  if (*policy == "Foreground") return Propagation::kForeground;
  return Invalid("DeleteOptions.meta.k8s.io", "",
                 {UnsupportedValue("propagationPolicy", *policy,
                                   {"Foreground", "Background", "Orphan", "nil"})});
}

void SetGcFinalizers(json::object& meta, Propagation policy, bool orphan_by_default) {
  bool has_orphan = false, has_foreground = false;
  const json::value* list = meta.if_contains("finalizers");
  if (list != nullptr && list->is_array()) {
    for (const json::value& f : list->get_array()) {
      if (!f.is_string()) continue;
      has_orphan |= f.get_string() == kOrphanFinalizer;
      has_foreground |= f.get_string() == kForegroundFinalizer;
    }
  }
  bool orphan = policy == Propagation::kOrphan;
  bool foreground = policy == Propagation::kForeground;
  if (policy == Propagation::kNone) {
    if (has_orphan || has_foreground) return;
    orphan = orphan_by_default;
  }
  if (orphan == has_orphan && foreground == has_foreground) return;
  json::array next;
  if (list != nullptr && list->is_array()) {
    for (const json::value& f : list->get_array()) {
      if (f.is_string() &&
          (f.get_string() == kOrphanFinalizer || f.get_string() == kForegroundFinalizer)) {
        continue;
      }
      next.push_back(f);
    }
  }
  if (orphan) next.emplace_back(kOrphanFinalizer);
  if (foreground) next.emplace_back(kForegroundFinalizer);
  if (next.empty()) {
    meta.erase("finalizers");
  } else {
    meta["finalizers"] = std::move(next);
  }
}

}  // namespace shoal::apiserver::internal
