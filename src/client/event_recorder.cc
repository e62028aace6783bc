#include "client/event_recorder.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "api/object.h"
#include "base/clock.h"
#include "base/strings.h"
#include "client/events.h"

namespace shoal::client {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
// client-go's aggregation window (EventCorrelator's default).
constexpr auto kAggregationWindow = std::chrono::minutes(10);
}  // namespace

json::object ObjectReference(const json::object& o) {
  json::object ref;
  for (const char* f : {"apiVersion", "kind"}) {
    if (const json::value* v = o.if_contains(f); v != nullptr && v->is_string()) ref[f] = *v;
  }
  for (const char* f : {"name", "namespace", "uid"}) {
    std::string_view v = api::StringAt(o, base::StrCat("metadata.", f));
    if (!v.empty()) ref[f] = v;
  }
  return ref;
}

EventRecorder::EventRecorder(asio::any_io_executor executor, Transport& transport,
                             std::string component, size_t max_remembered, std::string host)
    : executor_(executor),
      transport_(transport),
      component_(std::move(component)),
      max_remembered_(max_remembered),
      host_(std::move(host)) {}

void EventRecorder::Record(const json::object& object, std::string_view type,
                           std::string_view reason, const std::string& message) {
  std::string ns(api::StringAt(object, "metadata.namespace"));
  if (ns.empty()) ns = "default";
  RecordFor(std::move(ns), ObjectReference(object), type, reason, message);
}

void EventRecorder::RecordFor(std::string ns, json::object involved, std::string_view type,
                              std::string_view reason, const std::string& message) {
  std::string id(api::StringAt(involved, "uid"));
  if (id.empty()) id = base::StrCat(api::StringAt(involved, "kind"), "/", ns, "/",
                                    api::StringAt(involved, "name"));
  std::string key = base::StrCat(id, "\x1f", type, "\x1f", reason, "\x1f", message);
  const auto now = std::chrono::steady_clock::now();
  json::object event = MakeEvent(ns, std::move(involved), type, reason, message, component_, host_);
  auto it = entries_.find(key);
  if (it != entries_.end() && now - it->second.last < kAggregationWindow) {
    Entry& e = it->second;
    e.last = now;
    ++e.count;
    lru_.splice(lru_.begin(), lru_, e.lru);
    if (e.name.empty()) return;  // the first write is in flight; its count is taken later
    asio::co_spawn(executor_, Bump(key, e.ns, e.name, e.count, std::move(event)),
                   asio::detached);
    return;
  }
  if (it != entries_.end()) {
    lru_.erase(it->second.lru);
    entries_.erase(it);
  }
  lru_.push_front(key);
  entries_[key] = Entry{ns, "", 1, now, lru_.begin()};
  while (entries_.size() > max_remembered_) {
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
  asio::co_spawn(executor_, Create(std::move(key), std::move(ns), std::move(event)),
                 asio::detached);
}

asio::awaitable<void> EventRecorder::Create(std::string key, std::string ns,
                                            json::object event) {
  auto resp = co_await transport_.Call(EventRequest(ns, event));
  auto it = entries_.find(key);
  if (!resp.ok() || resp->code != 201) {
    spdlog::debug("{}: event not recorded: {}", component_,
                  resp.ok() ? resp->Text() : resp.status().ToString());
    if (it != entries_.end()) {
      lru_.erase(it->second.lru);
      entries_.erase(it);
    }
    co_return;
  }
  if (it == entries_.end()) co_return;
  auto created = api::ParseJson(resp->Text());
  if (!created.ok() || !created->is_object()) co_return;
  it->second.name = std::string(api::StringAt(created->get_object(), "metadata.name"));
  if (it->second.count > 1 && !it->second.name.empty()) {
    // Repeats arrived while the create was in flight.
    asio::co_spawn(executor_,
                   Bump(key, ns, it->second.name, it->second.count, std::move(event)),
                   asio::detached);
  }
}

asio::awaitable<void> EventRecorder::Bump(std::string key, std::string ns, std::string name,
                                          int64_t count, json::object fallback) {
  json::object patch{{"count", count}, {"lastTimestamp", base::NowRfc3339()}};
  auto resp = co_await transport_.Call(MakeRequest(
      "PATCH", base::StrCat("/api/v1/namespaces/", ns, "/events/", name),
      json::serialize(patch), "application/merge-patch+json"));
  if (resp.ok() && resp->code == 404) {
    // Someone deleted it (or events expired): start a new one, as client-go does.
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      it->second.name.clear();
      it->second.count = 1;
    }
    co_await Create(std::move(key), std::move(ns), std::move(fallback));
  }
}

}  // namespace shoal::client
