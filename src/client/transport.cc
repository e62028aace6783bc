#include "client/transport.h"

#include <boost/json.hpp>

#include "api/object.h"

namespace shoal::client {

namespace json = boost::json;

bool DeliverWatchLine(std::string_view line, const std::function<bool(ObjectEvent&&)>& on_event) {
  auto ev = api::ParseJson(line);
  if (!ev.ok() || !ev->is_object()) return true;
  json::object& event = ev->get_object();
  json::value* obj = event.if_contains("object");
  const json::value* type = event.if_contains("type");
  if (obj == nullptr || !obj->is_object() || type == nullptr || !type->is_string()) return true;
  ObjectEvent e;
  e.type = type->get_string();
  e.object = std::make_shared<json::object>(std::move(obj->get_object()));
  return on_event(std::move(e));
}

boost::asio::awaitable<absl::Status> Transport::WatchObjects(
    Request req, std::function<bool(ObjectEvent&&)> on_event) {
  std::function<bool(std::string_view)> each_line = [&on_event](std::string_view line) {
    return DeliverWatchLine(line, on_event);
  };
  co_return co_await Watch(std::move(req), std::move(each_line));
}

}  // namespace shoal::client
