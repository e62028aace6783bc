// batch/v1 Job rules, following kube's job strategy: defaulting (SetDefaults_Job), what a new
// Job gets (a queued one starts suspended), validation (counts, podFailurePolicy) and the
// fields fixed at creation.
#include <algorithm>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "api/object.h"
#include "apiserver/errors.h"
#include "apiserver/internal/object_rules.h"
#include "base/strings.h"

namespace shoal::apiserver::internal {

namespace json = boost::json;

// SetDefaults_Job: counts, backoff, completion mode and the pod template's defaults.
void DefaultJob(json::object& obj) {
  json::object& spec = Obj(obj, "spec");
  bool has_completions = spec.contains("completions") && !spec["completions"].is_null();
  bool has_parallelism = spec.contains("parallelism") && !spec["parallelism"].is_null();
  if (!has_completions && !has_parallelism) {
    spec["completions"] = 1;
    spec["parallelism"] = 1;
  } else if (!has_parallelism) {
    spec["parallelism"] = 1;
  }
  if (!spec.contains("backoffLimit")) spec["backoffLimit"] = 6;
  if (!spec.contains("completionMode")) spec["completionMode"] = "NonIndexed";
  if (!spec.contains("suspend")) spec["suspend"] = false;
  DefaultPodSpec(Obj(Obj(Obj(obj, "spec"), "template"), "spec"));
}

// The job strategy's PrepareForCreate: unless spec.manualSelector, a selector on the job's
// uid that its pod template carries (the job controller finds its pods by it). It runs after
// field tracking, so no manager owns these fields, as in kube-apiserver.
void PrepareJob(json::object& obj) {
  std::string uid(api::StringAt(obj, "metadata.uid"));
  std::string name(api::StringAt(obj, "metadata.name"));
  // A queued Job starts suspended; the queue controller resumes it once admitted.
  const bool queued = Queued(obj);
  json::object& spec = Obj(obj, "spec");
  if (queued) spec["suspend"] = true;
  if (!spec.contains("manualSelector") || !spec["manualSelector"].is_bool() ||
      !spec["manualSelector"].get_bool()) {
    spec["selector"] =
        json::object{{"matchLabels", json::object{{"batch.kubernetes.io/controller-uid", uid}}}};
    json::object& labels = Obj(Obj(Obj(spec, "template"), "metadata"), "labels");
    for (const char* k : {"batch.kubernetes.io/controller-uid", "controller-uid"}) labels[k] = uid;
    for (const char* k : {"batch.kubernetes.io/job-name", "job-name"}) labels[k] = name;
  }
}

namespace {

// spec.podFailurePolicy as kube validates it: restartPolicy Never, known actions, each rule
// with exactly one of onExitCodes (In/NotIn, 1-255 values, no 0 for In) and onPodConditions.
void ValidatePodFailurePolicy(const json::object& obj, std::string_view restart,
                              std::vector<Cause>& causes) {
  const json::value* pfp = api::FindPath(obj, "spec.podFailurePolicy");
  if (pfp == nullptr || pfp->is_null()) return;
  if (restart != "Never") {
    causes.push_back({"FieldValueInvalid",
                      base::StrCat("Invalid value: \"", restart,
                                   "\": only \"Never\" is supported when podFailurePolicy is "
                                   "specified"),
                      "spec.template.spec.restartPolicy"});
  }
  const json::value* rules = pfp->is_object() ? pfp->get_object().if_contains("rules") : nullptr;
  if (rules == nullptr || !rules->is_array()) {
    causes.push_back({"FieldValueRequired", "Required value", "spec.podFailurePolicy.rules"});
    return;
  }
  for (size_t i = 0; i < rules->get_array().size(); ++i) {
    const std::string at = base::StrCat("spec.podFailurePolicy.rules[", i, "]");
    const json::value& r = rules->get_array()[i];
    if (!r.is_object()) {
      causes.push_back({"FieldValueInvalid", "Invalid value: must be an object", at});
      continue;
    }
    std::string_view action = api::StringAt(r.get_object(), "action");
    if (action != "FailJob" && action != "Ignore" && action != "Count" &&
        action != "FailIndex") {
      causes.push_back(UnsupportedValue(at + ".action", action,
                                        {"Count", "FailIndex", "FailJob", "Ignore"}));
    }
    const json::value* codes = r.get_object().if_contains("onExitCodes");
    const json::value* conds = r.get_object().if_contains("onPodConditions");
    bool has_codes = codes != nullptr && !codes->is_null();
    bool has_conds = conds != nullptr && !conds->is_null() &&
                     !(conds->is_array() && conds->get_array().empty());
    if (has_codes == has_conds) {
      causes.push_back({"FieldValueInvalid",
                        "Invalid value: specifying one of onExitCodes and onPodConditions is "
                        "required",
                        at});
      continue;
    }
    if (!has_codes) continue;
    std::string_view op = codes->is_object() ? api::StringAt(codes->get_object(), "operator")
                                             : std::string_view();
    if (op != "In" && op != "NotIn") {
      causes.push_back(UnsupportedValue(at + ".onExitCodes.operator", op, {"In", "NotIn"}));
    }
    const json::value* values =
        codes->is_object() ? codes->get_object().if_contains("values") : nullptr;
    if (values == nullptr || !values->is_array() || values->get_array().empty()) {
      causes.push_back({"FieldValueRequired", "Required value", at + ".onExitCodes.values"});
      continue;
    }
    for (const json::value& v : values->get_array()) {
      if (!v.is_int64()) {
        causes.push_back({"FieldValueInvalid", "Invalid value: must be an integer",
                          at + ".onExitCodes.values"});
      } else if (op == "In" && v.get_int64() == 0) {
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: 0: must not be 0 for the In operator",
                          at + ".onExitCodes.values"});
      }
    }
  }
}

}  // namespace

void ValidateJob(const json::object& obj, std::vector<Cause>& causes) {
  constexpr int64_t kMax = 2147483647;
  CheckInt(obj, "spec.completions", 0, kMax, false, causes);
  CheckInt(obj, "spec.parallelism", 0, kMax, false, causes);
  CheckInt(obj, "spec.backoffLimit", 0, kMax, false, causes);
  CheckInt(obj, "spec.activeDeadlineSeconds", 1, kMax, false, causes);
  std::string_view restart = api::StringAt(obj, "spec.template.spec.restartPolicy");
  if (restart.empty()) {
    causes.push_back(
        {"FieldValueRequired", "Required value", "spec.template.spec.restartPolicy"});
  } else if (restart != "Never" && restart != "OnFailure") {
    causes.push_back(
        UnsupportedValue("spec.template.spec.restartPolicy", restart, {"OnFailure", "Never"}));
  }
  const json::value* containers = api::FindPath(obj, "spec.template.spec.containers");
  if (containers == nullptr || !containers->is_array() || containers->get_array().empty()) {
    causes.push_back({"FieldValueRequired", "Required value",
                      "spec.template.spec.containers"});
  }
  CheckInt(obj, "spec.ttlSecondsAfterFinished", 0, kMax, false, causes);
  std::string_view mode = api::StringAt(obj, "spec.completionMode");
  if (!mode.empty() && mode != "NonIndexed" && mode != "Indexed") {
    causes.push_back(UnsupportedValue("spec.completionMode", mode, {"NonIndexed", "Indexed"}));
  }
  const json::value* completions = api::FindPath(obj, "spec.completions");
  if (mode == "Indexed" && (completions == nullptr || completions->is_null())) {
    causes.push_back({"FieldValueRequired", "Required value: when completion mode is Indexed",
                      "spec.completions"});
  }
  ValidatePodFailurePolicy(obj, restart, causes);
}

// Job fields fixed at creation (ValidateJobUpdate): the selector, the pod template (unless the
// job is suspended), completions and completionMode.
absl::Status ValidateJobUpdate(const api::ResourceType& type, const json::object& old,
                               const json::object& obj) {
  std::vector<Cause> causes;
  // A suspended job's template may change, also in the update that resumes it (how Kueue
  // starts an admitted job on its flavor's nodes).
  bool suspended = api::BoolAt(obj, "spec.suspend") || api::BoolAt(old, "spec.suspend");
  for (const char* f : {"spec.selector", "spec.template", "spec.completions",
                        "spec.completionMode", "spec.podFailurePolicy"}) {
    if (suspended && std::string_view(f) == "spec.template") continue;
    const json::value* was = api::FindPath(old, f);
    const json::value* now = api::FindPath(obj, f);
    bool same = (was == nullptr && now == nullptr) ||
                (was != nullptr && now != nullptr && *was == *now);
    if (!same) {
      causes.push_back({"FieldValueInvalid",
                        base::StrCat("Invalid value: ", now ? json::serialize(*now) : "null",
                                     ": field is immutable"),
                        f});
    }
  }
  if (causes.empty()) return absl::OkStatus();
  return Invalid(type.kind, api::StringAt(obj, "metadata.name"), causes);
}

}  // namespace shoal::apiserver::internal
