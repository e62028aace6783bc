#include "apiserver/watch_cache.h"

#include <algorithm>

#include <boost/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "base/strings.h"
#include "api/object.h"

namespace shoal::apiserver {

namespace json = boost::json;

namespace {

template <typename Root>  // a json::value or a json::object
ObjectFields ReadFields(const api::ResourceType& type, const Root& object) {
  ObjectFields f;
  f.ns = std::string(api::StringAt(object, "metadata.namespace"));
  f.name = std::string(api::StringAt(object, "metadata.name"));
  f.labels = api::ExtractLabels(object);
  f.fields = api::ExtractFields(type, object);
  return f;
}

}  // namespace

std::shared_ptr<const ObjectFields> FieldsOf(const api::ResourceType& type,
                                            const boost::json::object& object) {
  return std::make_shared<const ObjectFields>(ReadFields(type, object));
}

ObjectPtr MakeCachedObject(const api::ResourceType& type, const std::string& key,
                           const store::Bytes& stored_value, int64_t rv,
                           const ObjectFields* known) {
  // Values the API server wrote carry their resourceVersion already (WriteOp::stamp), and the
  // cache shares the store's bytes; others (a delete's last state) get a stamped copy.
  store::Bytes json = api::HasResourceVersion(*stored_value, rv)
                          ? stored_value
                          : store::MakeBytes(api::InjectResourceVersion(*stored_value, rv));
  auto obj = std::make_shared<CachedObject>();
  if (known != nullptr) {
    static_cast<ObjectFields&>(*obj) = *known;
  } else {
    auto parsed = api::ParseJson(*json);
    if (!parsed.ok()) return nullptr;
    static_cast<ObjectFields&>(*obj) = ReadFields(type, *parsed);
  }
  obj->key = key;
  obj->rv = rv;
  obj->json = std::move(json);
  return obj;
}

bool Filter::Matches(const CachedObject& o) const {
  if (!ns.empty() && o.ns != ns) return false;
  if (!labels.Empty() && !labels.Matches(o.labels)) return false;
  if (!fields.Empty() && !fields.Matches(o.fields)) return false;
  return true;
}

Watcher::Watcher(Filter filter, size_t capacity, std::function<void()> notify, bool share_parse)
    : filter_(std::move(filter)),
      capacity_(capacity),
      notify_(std::move(notify)),
      share_parse_(share_parse) {}

std::vector<CacheEvent> Watcher::Take(size_t max) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<CacheEvent> out;
  size_t n = std::min(max, queue_.size());
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return out;
}

bool Watcher::terminated() const {
  std::lock_guard<std::mutex> lock(mu_);
  return terminated_;
}

bool Watcher::Push(CacheEvent e, bool unbounded) {
  // Unbounded pushes are a new watch's initial state or replay, not live deliveries.
  if (unbounded) e.applied = {};
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (terminated_) return false;
    if (!unbounded && queue_.size() >= capacity_) {
      // A slow watcher is cut off rather than allowed to grow memory without bound; the
      // client sees the stream end and re-lists (kube-apiserver's cacher does the same).
      terminated_ = true;
      queue_.clear();
    } else {
      queue_.push_back(std::move(e));
    }
  }
  if (notify_) notify_();
  return !terminated();
}

void Watcher::Terminate() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    terminated_ = true;
  }
  if (notify_) notify_();
}

WatchCache::WatchCache(const api::ResourceType& type, size_t history_capacity,
                       size_t watcher_capacity, std::chrono::steady_clock::duration history_max_age)
    : type_(type),
      history_capacity_(history_capacity),
      watcher_capacity_(watcher_capacity),
      history_max_age_(history_max_age) {}

void WatchCache::Reset(const std::vector<store::KeyValue>& kvs, int64_t revision) {
  std::unique_lock lock(mu_);
  objects_.clear();
  history_.clear();
  for (const store::KeyValue& kv : kvs) {
    ObjectPtr obj = MakeCachedObject(type_, kv.key, kv.value, kv.mod_revision);
    if (obj) objects_.emplace(kv.key, std::move(obj));
  }
  revision_ = revision;
  history_start_ = revision;
}

void WatchCache::AdvanceRevision(int64_t rev) {
  std::unique_lock lock(mu_);
  if (rev > revision_) revision_ = rev;
}

std::string_view WatchTypeName(CacheEvent::Type type) {
  switch (type) {
    case CacheEvent::Type::kAdded: return "ADDED";
    case CacheEvent::Type::kModified: return "MODIFIED";
    case CacheEvent::Type::kDeleted: return "DELETED";
    case CacheEvent::Type::kBookmark: return "BOOKMARK";
    case CacheEvent::Type::kError: return "ERROR";
  }
  return "ERROR";
}

std::shared_ptr<const boost::json::object> ParseCachedObject(const CachedObject& object) {
  auto v = api::ParseJson(*object.json);
  if (!v.ok() || !v->is_object()) return nullptr;
  return std::make_shared<boost::json::object>(std::move(v->get_object()));
}

std::shared_ptr<const boost::json::object> SharedParse::Get(const CachedObject& object) {
  std::call_once(once_, [&] { parsed_ = ParseCachedObject(object); });
  return parsed_;
}

void WatchCache::Apply(const store::Event& event) {
  const auto applied = std::chrono::steady_clock::now();
  const store::KeyValue& kv = event.kv;
  // The API server's writes carry their ObjectFields as the event's hint (AsyncWrite), the
  // only hints written to the store.
  const auto* known = static_cast<const ObjectFields*>(event.hint.get());
  ObjectPtr obj = MakeCachedObject(type_, kv.key, kv.value, kv.mod_revision, known);
  if (!obj) return;  // the store only holds what the API server validated
  CacheEvent ce;
  ce.rv = kv.mod_revision;
  ce.object = obj;
  ce.applied = applied;
  std::vector<std::shared_ptr<Watcher>> cut;
  std::unique_lock lock(mu_);
  auto it = objects_.find(kv.key);
  if (it != objects_.end()) ce.prev = it->second;
  if (event.type == store::EventType::kDelete) {
    ce.type = CacheEvent::Type::kDeleted;
    if (it != objects_.end()) objects_.erase(it);
  } else {
    ce.type = ce.prev ? CacheEvent::Type::kModified : CacheEvent::Type::kAdded;
    if (it != objects_.end()) {
      it->second = obj;
    } else {
      objects_.emplace(kv.key, obj);
    }
  }
  revision_ = std::max(revision_, ce.rv);
  history_.push_back(ce);
  while (!history_.empty() && (history_.size() > history_capacity_ ||
                                applied - history_.front().applied > history_max_age_)) {
    history_start_ = history_.front().rv;
    history_.pop_front();
  }
  DispatchLocked(ce, cut);
  for (auto& w : cut) {
    watchers_.erase(w);
    for (auto i = indexed_.begin(); i != indexed_.end();) {
      i = i->second == w ? indexed_.erase(i) : std::next(i);
    }
  }
}

namespace {

// Translates a store-level event into what one watcher sees, following the cacher's rules:
// an object that starts matching the filter is ADDED, one that stops matching is DELETED.
std::optional<CacheEvent> ForWatcher(const CacheEvent& e, const Filter& f) {
  bool cur = e.object && f.Matches(*e.object);
  bool prev = e.prev && f.Matches(*e.prev);
  CacheEvent out = e;
  switch (e.type) {
    case CacheEvent::Type::kAdded:
      if (!cur) return std::nullopt;
      return out;
    case CacheEvent::Type::kModified:
      if (cur && prev) return out;
      if (cur) {
        out.type = CacheEvent::Type::kAdded;
        return out;
      }
      if (prev) {
        out.type = CacheEvent::Type::kDeleted;
        return out;
      }
      return std::nullopt;
    case CacheEvent::Type::kDeleted:
      if (!cur && !prev) return std::nullopt;
      return out;
    default:
      return out;
  }
}

std::string_view FieldValue(const api::Fields& fields, std::string_view name) {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return {};
}

}  // namespace

void WatchCache::DispatchLocked(const CacheEvent& e, std::vector<std::shared_ptr<Watcher>>& cut) {
  std::shared_ptr<SharedParse> parsed;  // made for the first watcher that shares it
  auto deliver = [&](const std::shared_ptr<Watcher>& w) {
    std::optional<CacheEvent> we = ForWatcher(e, w->filter());
    if (!we) return;
    if (w->share_parse()) {
      if (parsed == nullptr) parsed = std::make_shared<SharedParse>();
      we->parsed = parsed;
    }
    if (!w->Push(std::move(*we), /*unbounded=*/false)) cut.push_back(w);
  };
  for (const auto& w : watchers_) deliver(w);
  if (!type_.index_field.empty() && !indexed_.empty()) {
    std::string_view cur = e.object ? FieldValue(e.object->fields, type_.index_field) : "";
    std::string_view prev = e.prev ? FieldValue(e.prev->fields, type_.index_field) : "";
    auto range = indexed_.equal_range(std::string(cur));
    for (auto i = range.first; i != range.second; ++i) deliver(i->second);
    if (e.prev && prev != cur) {
      auto prange = indexed_.equal_range(std::string(prev));
      for (auto i = prange.first; i != prange.second; ++i) deliver(i->second);
    }
  }
}

ObjectPtr WatchCache::Get(const std::string& key) const {
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

namespace {

struct ContinueToken {
  int64_t rv = 0;
  std::string start;  // last key returned
};

std::string EncodeContinue(const ContinueToken& t) {
  json::object o;
  o["v"] = "meta.k8s.io/v1";
  o["rv"] = t.rv;
  o["start"] = t.start;
  return absl::WebSafeBase64Escape(json::serialize(o));
}

absl::StatusOr<ContinueToken> DecodeContinue(const std::string& token) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) && !absl::Base64Unescape(token, &raw)) {
    return absl::InvalidArgumentError("continue key is not valid: illegal base64 data");
  }
  auto parsed = api::ParseJson(raw);
  if (!parsed.ok() || !parsed->is_object()) {
    return absl::InvalidArgumentError("continue key is not valid: not a continue token");
  }
  const json::object& o = parsed->get_object();
  ContinueToken t;
  auto rv = o.find("rv");
  auto start = o.find("start");
  if (rv == o.end() || !rv->value().is_int64() || start == o.end() ||
      !start->value().is_string() || rv->value().get_int64() <= 0) {
    return absl::InvalidArgumentError("continue key is not valid: incorrect encoded start");
  }
  t.rv = rv->value().get_int64();
  t.start = std::string(start->value().get_string());
  return t;
}

}  // namespace

absl::StatusOr<ListResult> WatchCache::List(const ListOptions& options) const {
  std::shared_lock lock(mu_);
  int64_t snapshot = revision_;
  std::string start_after;
  bool have_start = false;
  if (!options.continue_token.empty()) {
    auto tok = DecodeContinue(options.continue_token);
    if (!tok.ok()) return tok.status();
    snapshot = tok->rv;
    start_after = tok->start;
    have_start = true;
  } else if (!options.resource_version.empty() && options.resource_version != "0") {
    int64_t rv = 0;
    if (!absl::SimpleAtoi(options.resource_version, &rv) || rv < 0) {
      return absl::InvalidArgumentError(
          base::StrCat("invalid resource version: ", options.resource_version));
    }
    if (rv > revision_) {
      return absl::DeadlineExceededError(
          base::StrCat("Too large resource version: ", rv, ", current: ", revision_));
    }
    if (options.exact) snapshot = rv;
  }
  if (snapshot > revision_) {
    return absl::InvalidArgumentError("continue key is not valid: resource version from the future");
  }
  if (snapshot < revision_ && snapshot < history_start_) {
    return absl::OutOfRangeError(base::StrCat(
        "The resourceVersion for the provided list is too old. Requested: ", snapshot,
        ", oldest kept: ", history_start_));
  }

  // State at `snapshot`: the current objects, with every key touched after the snapshot
  // rolled back to its state then (the prev of its earliest later event).
  std::map<std::string, ObjectPtr> overlay;
  if (snapshot < revision_) {
    for (auto it = history_.rbegin(); it != history_.rend() && it->rv > snapshot; ++it) {
      overlay[it->object->key] =
          it->type == CacheEvent::Type::kAdded ? nullptr : it->prev;
    }
  }

  std::string lower = type_.KeyPrefix();
  if (type_.namespaced && !options.filter.ns.empty()) {
    lower = base::StrCat(lower, options.filter.ns, "/");
  }
  const std::string prefix = lower;
  if (have_start && start_after > lower) lower = start_after;

  ListResult result;
  result.revision = snapshot;
  auto a = have_start ? objects_.upper_bound(lower) : objects_.lower_bound(lower);
  auto b = have_start ? overlay.upper_bound(lower) : overlay.lower_bound(lower);
  auto in_prefix = [&](const std::string& k) { return k.compare(0, prefix.size(), prefix) == 0; };
  std::string last_key;
  bool more = false;
  while (true) {
    bool a_ok = a != objects_.end() && in_prefix(a->first);
    bool b_ok = b != overlay.end() && in_prefix(b->first);
    if (!a_ok && !b_ok) break;
    const ObjectPtr* candidate;
    const std::string* key;
    if (b_ok && (!a_ok || b->first <= a->first)) {
      if (a_ok && a->first == b->first) ++a;
      key = &b->first;
      candidate = &b->second;
      ++b;
    } else {
      key = &a->first;
      candidate = &a->second;
      ++a;
    }
    if (!*candidate || !options.filter.Matches(**candidate)) continue;
    if (options.limit > 0 && static_cast<int64_t>(result.items.size()) >= options.limit) {
      more = true;
      break;
    }
    result.items.push_back(*candidate);
    last_key = *key;
  }
  if (more) result.continue_token = EncodeContinue({snapshot, last_key});
  return result;
}

absl::StatusOr<std::shared_ptr<Watcher>> WatchCache::Watch(int64_t from_rv, Filter filter,
                                                           std::function<void()> notify,
                                                           bool share_parse) {
  auto w = std::make_shared<Watcher>(std::move(filter), watcher_capacity_, std::move(notify),
                                     share_parse);
  std::unique_lock lock(mu_);
  if (from_rv > 0 && from_rv < history_start_) {
    return absl::OutOfRangeError(
        base::StrCat("too old resource version: ", from_rv, " (", history_start_, ")"));
  }
  if (from_rv > revision_) {
    // Like LIST (and kube-apiserver's cacher once its wait for freshness runs out): a watch
    // from a revision the cache has not reached would otherwise deliver older events.
    // Writes are acknowledged only after the cache applied them, so no client holds a
    // revision from the future that it was given by this server.
    return absl::DeadlineExceededError(
        base::StrCat("Too large resource version: ", from_rv, ", current: ", revision_));
  }
  if (from_rv == 0) {
    // Synthetic ADDED events for the current state, like kube-apiserver's initial events.
    for (const auto& [key, obj] : objects_) {
      if (!w->filter().Matches(*obj)) continue;
      CacheEvent e;
      e.type = CacheEvent::Type::kAdded;
      e.rv = obj->rv;
      e.object = obj;
      w->Push(std::move(e), /*unbounded=*/true);
    }
  } else {
    for (const CacheEvent& e : history_) {
      if (e.rv <= from_rv) continue;
      if (auto we = ForWatcher(e, w->filter())) w->Push(std::move(*we), /*unbounded=*/true);
    }
  }
  w->initial_count_ = w->queue_.size();
  std::optional<std::string> index_value;
  if (!type_.index_field.empty()) index_value = w->filter().fields.RequiredValue(type_.index_field);
  if (index_value) {
    indexed_.emplace(*index_value, w);
  } else {
    watchers_.insert(w);
  }
  return w;
}

void WatchCache::StopWatch(const std::shared_ptr<Watcher>& w) {
  std::unique_lock lock(mu_);
  watchers_.erase(w);
  for (auto i = indexed_.begin(); i != indexed_.end();) {
    i = i->second == w ? indexed_.erase(i) : std::next(i);
  }
}

std::optional<int64_t> WatchCache::BookmarkRevision(const Watcher& w) const {
  std::shared_lock lock(mu_);
  std::lock_guard<std::mutex> wl(w.mu_);
  if (!w.queue_.empty() || w.terminated_) return std::nullopt;
  return revision_;
}

int64_t WatchCache::revision() const {
  std::shared_lock lock(mu_);
  return revision_;
}

size_t WatchCache::size() const {
  std::shared_lock lock(mu_);
  return objects_.size();
}

size_t WatchCache::watcher_count() const {
  std::shared_lock lock(mu_);
  return watchers_.size() + indexed_.size();
}

}  // namespace shoal::apiserver
