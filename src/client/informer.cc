#include "client/informer.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>
#include <random>
#include <unordered_set>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "api/object.h"
#include "base/strings.h"

namespace shoal::client {

namespace asio = boost::asio;
namespace json = boost::json;

InformerEvent::InformerEvent(Type type, json::object object)
    : type(type), object_(std::make_shared<json::object>(std::move(object))) {}

InformerEvent::InformerEvent(Type type, std::shared_ptr<const json::object> object)
    : type(type), object_(std::move(object)) {}

const json::object& InformerEvent::object() const {
  static const json::object kEmpty;
  return object_ ? *object_ : kEmpty;
}

json::object InformerEvent::TakeObject() {
  std::shared_ptr<const json::object> held = std::move(object_);
  if (held == nullptr) return {};
  // Only this event holds it, and it was made non-const (see the constructor's contract).
  if (held.use_count() == 1) return std::move(const_cast<json::object&>(*held));
  return *held;
}

std::string ObjectKey(const json::object& o) {
  return base::StrCat(api::StringAt(o, "metadata.namespace"), "/",
                      api::StringAt(o, "metadata.name"));
}

namespace {

asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

}  // namespace

asio::awaitable<void> RunInformer(Transport& transport, InformerOptions options,
                                  std::function<void(InformerEvent&&)> handler) {
  std::unordered_set<std::string> known;
  bool synced = false;
  std::minstd_rand rng(std::random_device{}());
  const int min_timeout = std::max(1, options.min_watch_timeout_seconds);
  std::uniform_int_distribution<int> watch_timeout(min_timeout, 2 * min_timeout - 1);
  for (;;) {
    // LIST.
    Request list;
    list.method = "GET";
    list.path = options.path;
    if (!options.label_selector.empty()) list.query["labelSelector"] = options.label_selector;
    if (!options.field_selector.empty()) list.query["fieldSelector"] = options.field_selector;
    Request watch_base = list;
    auto resp = co_await transport.Call(std::move(list));
    if (!resp.ok() || resp->code != 200) {
      spdlog::warn("informer {}: list failed: {}", options.path,
                   resp.ok() ? base::StrCat("HTTP ", resp->code) : resp.status().ToString());
      co_await Sleep(std::chrono::milliseconds(1000));
      continue;
    }
    auto doc = api::ParseJson(resp->Text());
    if (!doc.ok() || !doc->is_object()) {
      co_await Sleep(std::chrono::milliseconds(1000));
      continue;
    }
    std::string rv(api::StringAt(*doc, "metadata.resourceVersion"));
    std::unordered_set<std::string> seen;
    if (json::value* items = doc->get_object().if_contains("items"); items && items->is_array()) {
      for (json::value& item : items->get_array()) {
        if (!item.is_object()) continue;
        std::string key = ObjectKey(item.get_object());
        seen.insert(key);
        handler(InformerEvent(
            known.count(key) ? InformerEvent::Type::kModified : InformerEvent::Type::kAdded,
            std::move(item.get_object())));
      }
    }
    for (const std::string& key : known) {
      if (seen.count(key)) continue;
      // Vanished while we were not watching: a deletion with only the name known.
      size_t slash = key.find('/');
      json::object meta{{"name", key.substr(slash + 1)}};
      if (slash > 0) meta["namespace"] = key.substr(0, slash);
      handler(InformerEvent(InformerEvent::Type::kDeleted,
                            json::object{{"metadata", std::move(meta)}}));
    }
    known = std::move(seen);
    if (!synced) {
      synced = true;
      handler(InformerEvent(InformerEvent::Type::kSynced));
    }

    // WATCH until it fails for good.
    bool relist = false;
    while (!relist) {
      Request w = watch_base;
      w.query["watch"] = "1";
      w.query["resourceVersion"] = rv;
      w.query["allowWatchBookmarks"] = "true";
      w.query["timeoutSeconds"] = std::to_string(watch_timeout(rng));
      std::function<bool(ObjectEvent&&)> on_event = [&](ObjectEvent&& ev) -> bool {
        if (ev.type == "ERROR") {
          relist = true;  // 410 Gone (or another failure): start over from a fresh list
          return false;
        }
        std::string_view new_rv = api::StringAt(*ev.object, "metadata.resourceVersion");
        if (!new_rv.empty()) rv = std::string(new_rv);
        if (ev.type == "BOOKMARK") return true;
        InformerEvent::Type type;
        std::string key = ObjectKey(*ev.object);
        if (ev.type == "DELETED") {
          type = InformerEvent::Type::kDeleted;
          known.erase(key);
        } else {
          type = known.insert(key).second ? InformerEvent::Type::kAdded
                                          : InformerEvent::Type::kModified;
        }
        handler(InformerEvent(type, std::move(ev.object)));
        return true;
      };
      absl::Status st = co_await transport.WatchObjects(std::move(w), std::move(on_event));
      if (absl::IsOutOfRange(st)) {
        // 410 Gone: the resourceVersion left the server's history; only a list helps.
        spdlog::info("informer {}: watch ended: {}; listing again", options.path, st.ToString());
        relist = true;
      } else if (!st.ok()) {
        // A transport failure or another refusal: watch again from the last resourceVersion
        // after a second, as kube's reflector does. Re-listing here would turn an overloaded
        // server's dropped connections into a storm of lists (7,500 hollow nodes did that).
        spdlog::info("informer {}: watch ended: {}; watching again from {}", options.path,
                     st.ToString(), rv);
        co_await Sleep(std::chrono::milliseconds(1000));
      }
    }
  }
}

void SpawnInformer(boost::asio::any_io_executor executor, Transport& transport,
                   InformerOptions options, std::function<void(InformerEvent&&)> handler) {
  boost::asio::co_spawn(executor, RunInformer(transport, std::move(options), std::move(handler)),
                        boost::asio::detached);
}

void SpawnInformer(boost::asio::any_io_executor executor, Transport& transport,
                   std::string path, std::function<void(InformerEvent&&)> handler) {
  InformerOptions options;
  options.path = std::move(path);
  SpawnInformer(executor, transport, std::move(options), std::move(handler));
}

}  // namespace shoal::client
