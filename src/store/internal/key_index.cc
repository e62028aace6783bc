#include "store/internal/key_index.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace shoal::store::internal {

const KeyValue* KeyIndex::Find(const std::string& key) const {
  auto it = kvs_.find(key);
  return it == kvs_.end() ? nullptr : &it->second;
}

std::vector<KeyValue> KeyIndex::List(const std::string& prefix) const {
  std::vector<KeyValue> out;
  for (auto it = kvs_.lower_bound(prefix);
       it != kvs_.end() && absl::string_view(it->first).substr(0, prefix.size()) == prefix; ++it) {
    out.push_back(it->second);
  }
  return out;
}

void KeyIndex::Apply(const Event& event) {
  if (event.type == EventType::kDelete) {
    kvs_.erase(event.kv.key);
  } else {
    kvs_.insert_or_assign(event.kv.key, event.kv);
  }
}

void KeyIndex::Put(KeyValue kv) {
  std::string key = kv.key;
  kvs_.insert_or_assign(std::move(key), std::move(kv));
}

namespace {

Bytes StampedValue(WriteOp& op, int64_t revision) {
  if (op.stamp) return MakeBytes(op.stamp(op.value, revision));
  return MakeBytes(std::move(op.value));
}

}  // namespace

const KeyValue* BatchStager::Lookup(const std::string& key) const {
  auto it = overlay_.find(key);
  if (it != overlay_.end()) return it->second.has_value() ? &*it->second : nullptr;
  return index_->Find(key);
}

absl::StatusOr<Event> BatchStager::Stage(WriteOp& op) {
  const KeyValue* current = Lookup(op.key);
  const int64_t revision = revision_ + 1;
  Event event;
  switch (op.kind) {
    case WriteOp::Kind::kCreate:
      if (current != nullptr) {
        return absl::AlreadyExistsError(absl::StrCat("key \"", op.key, "\" already exists"));
      }
      event.type = EventType::kPut;
      event.kv = KeyValue{op.key, StampedValue(op, revision), revision, revision};
      event.hint = op.hint;
      break;
    case WriteOp::Kind::kUpdate:
    case WriteOp::Kind::kDelete:
      if (current == nullptr) {
        return absl::NotFoundError(absl::StrCat("key \"", op.key, "\" not found"));
      }
      if (op.expected_mod_revision != 0 && op.expected_mod_revision != current->mod_revision) {
        return absl::AbortedError(absl::StrCat("key \"", op.key, "\": expected mod_revision ",
                                               op.expected_mod_revision, ", current is ",
                                               current->mod_revision));
      }
      event.prev = *current;
      if (op.kind == WriteOp::Kind::kUpdate) {
        event.type = EventType::kPut;
        event.kv = KeyValue{op.key, StampedValue(op, revision), current->create_revision, revision};
        event.hint = op.hint;
      } else {
        // A delete event carries the last value, as etcd's does for Kubernetes' watch.
        event.type = EventType::kDelete;
        event.kv = KeyValue{op.key, current->value, current->create_revision, revision};
      }
      break;
  }
  if (event.type == EventType::kDelete) {
    overlay_.insert_or_assign(op.key, std::nullopt);
  } else {
    overlay_.insert_or_assign(op.key, event.kv);
  }
  revision_ = revision;
  return event;
}

absl::StatusOr<std::vector<Event>> BatchStager::StageAll(std::vector<WriteOp>& ops) {
  const int64_t start_revision = revision_;
  // What the overlay held for each key before this call (outer nullopt: no overlay entry).
  std::vector<std::pair<std::string, std::optional<std::optional<KeyValue>>>> undo;
  undo.reserve(ops.size());
  std::vector<Event> events;
  events.reserve(ops.size());
  for (WriteOp& op : ops) {
    auto it = overlay_.find(op.key);
    undo.emplace_back(op.key, it == overlay_.end()
                                  ? std::nullopt
                                  : std::optional<std::optional<KeyValue>>(it->second));
    absl::StatusOr<Event> event = Stage(op);
    if (!event.ok()) {
      undo.pop_back();  // the failed op changed nothing
      for (auto u = undo.rbegin(); u != undo.rend(); ++u) {
        if (u->second.has_value()) {
          overlay_.insert_or_assign(u->first, *u->second);
        } else {
          overlay_.erase(u->first);
        }
      }
      revision_ = start_revision;
      return event.status();
    }
    events.push_back(*std::move(event));
  }
  return events;
}

}  // namespace shoal::store::internal
