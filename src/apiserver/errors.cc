#include "apiserver/errors.h"

#include <boost/json.hpp>

#include "absl/strings/cord.h"
#include "base/strings.h"
#include "absl/strings/str_join.h"

namespace shoal::apiserver {

namespace json = boost::json;

namespace {

constexpr std::string_view kReasonUrl = "shoal.io/reason";
constexpr std::string_view kCodeUrl = "shoal.io/code";
constexpr std::string_view kDetailsUrl = "shoal.io/details";

absl::Status WithReason(absl::Status s, base::AnyView reason, int code,
                        const json::object* details = nullptr) {
  s.SetPayload(base::AbslView(kReasonUrl), absl::Cord(absl::string_view(reason)));
  s.SetPayload(base::AbslView(kCodeUrl), absl::Cord(std::to_string(code)));
  if (details != nullptr) s.SetPayload(base::AbslView(kDetailsUrl), absl::Cord(json::serialize(*details)));
  return s;
}

json::object NameDetails(base::AnyView resource_arg, base::AnyView name_arg) {
  std::string_view resource = resource_arg, name = name_arg;
  json::object d;
  size_t dot = resource.find('.');
  d["name"] = name;
  if (dot != std::string_view::npos) d["group"] = resource.substr(dot + 1);
  d["kind"] = resource.substr(0, dot);
  return d;
}

std::string_view DefaultReason(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kNotFound: return "NotFound";
    case absl::StatusCode::kAlreadyExists: return "AlreadyExists";
    case absl::StatusCode::kAborted: return "Conflict";
    case absl::StatusCode::kInvalidArgument: return "BadRequest";
    case absl::StatusCode::kOutOfRange: return "Expired";
    case absl::StatusCode::kDeadlineExceeded: return "Timeout";
    case absl::StatusCode::kPermissionDenied: return "Forbidden";
    case absl::StatusCode::kUnauthenticated: return "Unauthorized";
    case absl::StatusCode::kResourceExhausted: return "TooManyRequests";
    case absl::StatusCode::kUnimplemented: return "MethodNotAllowed";
    case absl::StatusCode::kUnavailable: return "ServiceUnavailable";
    default: return "InternalError";
  }
}

int DefaultCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists: return 409;
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kOutOfRange: return 410;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kUnimplemented: return 405;
    case absl::StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

}  // namespace

Cause UnsupportedValue(std::string_view field, std::string_view value,
                       std::initializer_list<std::string_view> supported) {
  std::string message = base::StrCat("Unsupported value: \"", value, "\": supported values: ");
  const char* sep = "";
  for (std::string_view s : supported) {
    base::StrAppend(&message, sep, "\"", s, "\"");
    sep = ", ";
  }
  return {"FieldValueNotSupported", std::move(message), std::string(field)};
}

absl::Status NotFound(base::AnyView resource, base::AnyView name) {
  json::object d = NameDetails(resource, name);
  return WithReason(absl::NotFoundError(base::StrCat(resource, " \"", name, "\" not found")),
                    "NotFound", 404, &d);
}

absl::Status AlreadyExists(base::AnyView resource, base::AnyView name) {
  json::object d = NameDetails(resource, name);
  return WithReason(
      absl::AlreadyExistsError(base::StrCat(resource, " \"", name, "\" already exists")),
      "AlreadyExists", 409, &d);
}

absl::Status Conflict(base::AnyView resource, base::AnyView name, base::AnyView why) {
  json::object d = NameDetails(resource, name);
  return WithReason(absl::AbortedError(base::StrCat("Operation cannot be fulfilled on ", resource,
                                                    " \"", name, "\": ", why)),
                    "Conflict", 409, &d);
}

absl::Status ApplyConflict(base::AnyView message, json::array causes) {
  json::object d{{"causes", std::move(causes)}};
  return WithReason(absl::AbortedError(absl::string_view(message)), "Conflict", 409, &d);
}

absl::Status ConflictModified(base::AnyView resource, base::AnyView name) {
  return Conflict(resource, name,
                  "the object has been modified; please apply your changes to the latest "
                  "version and try again");
}

absl::Status Invalid(base::AnyView kind, base::AnyView name,
                     const std::vector<Cause>& causes) {
  std::vector<std::string> parts;
  json::array jcauses;
  for (const Cause& c : causes) {
    parts.push_back(c.field.empty() ? c.message : base::StrCat(c.field, ": ", c.message));
    jcauses.push_back(json::object{{"reason", c.reason}, {"message", c.message},
                                   {"field", c.field}});
  }
  std::string msg = base::StrCat(kind, " \"", name, "\" is invalid: ");
  if (parts.size() == 1) {
    base::StrAppend(&msg, parts[0]);
  } else {
    base::StrAppend(&msg, "[", absl::StrJoin(parts, ", "), "]");
  }
  json::object d{{"name", name.view()}, {"kind", kind.view()}, {"causes", jcauses}};
  return WithReason(absl::InvalidArgumentError(msg), "Invalid", 422, &d);
}

absl::Status BadRequest(base::AnyView message) {
  return WithReason(absl::InvalidArgumentError(absl::string_view(message)), "BadRequest", 400);
}

absl::Status TooLarge(base::AnyView message) {
  return WithReason(absl::ResourceExhaustedError(absl::string_view(message)), "RequestEntityTooLarge", 413);
}

absl::Status Gone(base::AnyView message) {
  return WithReason(absl::OutOfRangeError(absl::string_view(message)), "Expired", 410);
}

absl::Status Forbidden(base::AnyView message) {
  return WithReason(absl::PermissionDeniedError(absl::string_view(message)), "Forbidden", 403);
}

absl::Status MethodNotAllowed(base::AnyView message) {
  return WithReason(absl::UnimplementedError(absl::string_view(message)), "MethodNotAllowed", 405);
}

absl::Status UnsupportedMediaType(base::AnyView message) {
  return WithReason(absl::InvalidArgumentError(absl::string_view(message)),
                    "UnsupportedMediaType", 415);
}

int HttpCode(const absl::Status& status) {
  if (auto c = status.GetPayload(base::AbslView(kCodeUrl))) return std::stoi(std::string(*c));
  return DefaultCode(status.code());
}

std::string StatusJson(const absl::Status& status) {
  std::string reason(DefaultReason(status.code()));
  if (auto r = status.GetPayload(base::AbslView(kReasonUrl))) reason = std::string(*r);
  json::object o{{"kind", "Status"},
                 {"apiVersion", "v1"},
                 {"metadata", json::object()},
                 {"status", "Failure"},
                 {"message", std::string(status.message())},
                 {"reason", reason}};
  if (auto d = status.GetPayload(base::AbslView(kDetailsUrl))) {
    boost::system::error_code ec;
    json::value v = json::parse(std::string(*d), ec);
    if (!ec) o["details"] = std::move(v);
  }
  o["code"] = HttpCode(status);
  return json::serialize(o);
}

std::string SuccessStatusJson(base::AnyView name, base::AnyView group,
                              base::AnyView kind, base::AnyView uid) {
  json::object details{{"name", name.view()}, {"group", group.view()}, {"kind", kind.view()}, {"uid", uid.view()}};
  json::object o{{"kind", "Status"},       {"apiVersion", "v1"}, {"metadata", json::object()},
                 {"status", "Success"},    {"details", details}};
  return json::serialize(o);
}

}  // namespace shoal::apiserver
