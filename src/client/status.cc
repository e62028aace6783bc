#include "client/status.h"

#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "base/strings.h"

namespace shoal::client {

namespace json = boost::json;

namespace {

// The `message` and `reason` of a metav1.Status body; false if the body is not one.
bool ParseStatus(const std::string& body, std::string* message, std::string* reason) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return false;
  const json::object& o = v.get_object();
  const json::value* kind = o.if_contains("kind");
  if (kind == nullptr || !kind->is_string() || kind->get_string() != "Status") return false;
  if (const json::value* m = o.if_contains("message"); m != nullptr && m->is_string()) {
    *message = std::string(m->get_string());
  }
  if (const json::value* r = o.if_contains("reason"); r != nullptr && r->is_string()) {
    *reason = std::string(r->get_string());
  }
  return true;
}

}  // namespace

absl::Status StatusFromResponse(const Response& response) {
  const int code = response.code;
  if (code >= 200 && code < 300) return absl::OkStatus();
  std::string body = response.Text();
  std::string message;
  std::string reason;
  if (!ParseStatus(body, &message, &reason)) message = std::move(body);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
    message.pop_back();
  }
  if (message.empty()) message = base::StrCat("HTTP ", code);
  const absl::string_view m(message.data(), message.size());
  switch (code) {
    case 400:
    case 415:
    case 422:
      return absl::InvalidArgumentError(m);
    case 401:
      return absl::UnauthenticatedError(m);
    case 403:
      return absl::PermissionDeniedError(m);
    case 404:
      return absl::NotFoundError(m);
    case 409:
      return reason == "AlreadyExists" ? absl::AlreadyExistsError(m) : absl::AbortedError(m);
    case 410:
      return absl::OutOfRangeError(m);
    case 429:
      return absl::ResourceExhaustedError(m);
    case 500:
      return absl::InternalError(m);
    default:
      return absl::UnavailableError(m);
  }
}

}  // namespace shoal::client
