#include "client/events.h"

#include <boost/json.hpp>

#include "api/object.h"
#include "base/clock.h"
#include "base/strings.h"

namespace shoal::client {

namespace json = boost::json;

json::object MakeEvent(const std::string& ns, json::object involved, std::string_view type,
                       std::string_view reason, const std::string& message,
                       const std::string& component, const std::string& host) {
  const std::string now = base::NowRfc3339();
  std::string name(api::StringAt(involved, "name"));
  json::object source{{"component", component}};
  if (!host.empty()) source["host"] = host;
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", json::object{{"generateName", name + "."}, {"namespace", ns}}},
      {"involvedObject", std::move(involved)},
      {"reason", reason},
      {"message", message},
      {"type", type},
      {"source", std::move(source)},
      {"reportingComponent", component},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"count", 1}};
}

Request EventRequest(const std::string& ns, const json::object& event) {
  return MakeRequest("POST", base::StrCat("/api/v1/namespaces/", ns, "/events"),
                     json::serialize(event));
}

}  // namespace shoal::client
