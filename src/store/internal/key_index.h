// KeyIndex and BatchStager: the in-memory "current state" of a store and the evaluation of a
// batch of conditional writes against it. Shared by every Store backend so that they all give
// the same answers to the same writes (see store.h for the semantics).
//
// Ownership and threading: neither class locks. A KeyIndex is owned by a CommitLoop, which
// mutates it on its commit thread under an exclusive lock and lets readers in under a shared
// lock. A BatchStager lives on the commit thread for one batch and only reads the index, which
// nobody else mutates meanwhile.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace shoal::store::internal {

// Live keys, sorted by key, each with its latest KeyValue.
class KeyIndex {
 public:
  // The live state of `key`, or null if absent. The pointer is valid until the next mutation.
  const KeyValue* Find(const std::string& key) const;

  // Every live key starting with `prefix`, sorted by key.
  std::vector<KeyValue> List(const std::string& prefix) const;

  // Applies one committed event: a kPut stores `event.kv`, a kDelete removes the key.
  void Apply(const Event& event);

  // Stores `kv` as the live state of its key (used when loading a store from disk).
  void Put(KeyValue kv);

  size_t size() const { return kvs_.size(); }

 private:
  std::map<std::string, KeyValue, std::less<>> kvs_;
};

// Evaluates writes in queue order against `index` plus the earlier writes of the same batch,
// without modifying the index. Each write that passes its precondition gets the next revision.
class BatchStager {
 public:
  // `revision` is the store's latest committed revision; the first staged write gets
  // revision + 1. `index` must outlive the stager and not change while it is used.
  BatchStager(const KeyIndex* index, int64_t revision) : index_(index), revision_(revision) {}

  // Checks `op`'s precondition and, if it holds, returns the event it commits (moving the value
  // out of `op`). Errors, which consume no revision:
  //   AlreadyExists (kCreate of a live key), NotFound (kUpdate/kDelete of a missing key),
  //   Aborted (expected_mod_revision set and different from the key's mod_revision).
  absl::StatusOr<Event> Stage(WriteOp& op);

  // Stages `ops` all or nothing: on the first failing op, every op of the call is undone (the
  // overlay and the revision are as before the call) and its error is returned.
  absl::StatusOr<std::vector<Event>> StageAll(std::vector<WriteOp>& ops);

  // The revision of the last staged write (the start revision if none).
  int64_t revision() const { return revision_; }

 private:
  // The live state of `key` as seen by the next write of the batch, or null if absent.
  const KeyValue* Lookup(const std::string& key) const;

  const KeyIndex* index_;
  int64_t revision_;
  // Keys written earlier in this batch: their new state (nullopt once deleted).
  std::unordered_map<std::string, std::optional<KeyValue>> overlay_;
};

}  // namespace shoal::store::internal
