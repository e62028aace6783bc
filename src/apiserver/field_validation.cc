// Field validation of request bodies against the OpenAPI schemas (api/schema.h), as
// kube-apiserver does it for ?fieldValidation=Strict|Warn|Ignore: unknown and duplicate fields
// are errors (Strict), warnings (Warn, the default) or ignored (Ignore); unknown fields are
// pruned unless the request fails; values of the wrong JSON type are errors in every mode.
#include <boost/json.hpp>

#include "absl/strings/str_join.h"
#include "api/object.h"
#include "api/schema.h"
#include "apiserver/errors.h"
#include "apiserver/internal/rest.h"
#include "base/strings.h"

namespace shoal::apiserver::internal {

namespace json = boost::json;

absl::StatusOr<FieldValidation> ParseFieldValidation(const Request& req) {
  std::string v = req.Param("fieldValidation");
  if (v.empty() || v == "Warn") return FieldValidation::kWarn;
  if (v == "Strict") return FieldValidation::kStrict;
  if (v == "Ignore") return FieldValidation::kIgnore;
  return BadRequest(base::StrCat("fieldValidation must be one of \"Ignore\", \"Warn\", or "
                                 "\"Strict\", got \"", v, "\""));
}

std::shared_ptr<const api::Schema> SchemaFor(const api::ResourceType& type) {
  if (type.custom) return type.schema;
  return api::BuiltinSchemas().ForKind(type.group, type.version, type.kind);
}

absl::Status CheckObjectFields(const api::ResourceType& type, json::value& obj,
                               const std::vector<std::string>& duplicates, FieldValidation mode,
                               std::vector<std::string>* warnings) {
  std::shared_ptr<const api::Schema> schema = SchemaFor(type);
  api::FieldIssues issues;
  if (schema != nullptr) {
    issues = api::CheckFields(*schema, obj, mode != FieldValidation::kStrict);
  }
  std::string cannot = base::StrCat(type.kind, " in version \"", type.version,
                                    "\" cannot be handled as a ", type.kind, ": ");
  if (!issues.invalid.empty()) {
    if (!type.custom) return BadRequest(cannot + absl::StrJoin(issues.invalid, "; "));
    // Custom resources: schema violations are field errors (422), as for built-in validation.
    std::vector<Cause> causes;
    for (const std::string& m : issues.invalid) {
      size_t colon = m.find(": ");
      std::string field = colon == std::string::npos ? "" : m.substr(0, colon);
      std::string message = colon == std::string::npos ? m : m.substr(colon + 2);
      std::string reason = message.starts_with("Required value")      ? "FieldValueRequired"
                           : message.starts_with("Unsupported value") ? "FieldValueNotSupported"
                                                                      : "FieldValueInvalid";
      causes.push_back({reason, message, field});
    }
    return Invalid(base::StrCat(type.kind, ".", type.group), api::StringAt(obj, "metadata.name"),
                   causes);
  }
  std::vector<std::string> problems;
  for (const std::string& d : duplicates) problems.push_back(api::DuplicateFieldMessage(d));
  for (const std::string& u : issues.unknown) problems.push_back(api::UnknownFieldMessage(u));
  if (problems.empty() || mode == FieldValidation::kIgnore) return absl::OkStatus();
  if (mode == FieldValidation::kStrict) {
    return BadRequest(cannot + "strict decoding error: " + absl::StrJoin(problems, ", "));
  }
  if (warnings != nullptr) {
    warnings->insert(warnings->end(), problems.begin(), problems.end());
  }
  return absl::OkStatus();
}

}  // namespace shoal::apiserver::internal
