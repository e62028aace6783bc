#include "store/memory_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace shoal::store {
namespace {

internal::CommitLoopOptions LoopOptions(
    const MemoryStoreOptions& options,
    std::function<absl::Status(const std::vector<Event>&)> persist) {
  internal::CommitLoopOptions loop;
  loop.max_batch = options.max_batch;
  loop.persist = std::move(persist);
  return loop;
}

}  // namespace

MemoryStore::MemoryStore(MemoryStoreOptions options)
    : loop_(LoopOptions(options,
                        [this](const std::vector<Event>& events) { return Persist(events); }),
            internal::KeyIndex(), 0) {
  loop_.Start();
}

MemoryStore::~MemoryStore() { MemoryStore::Close(); }

void MemoryStore::Write(WriteOp op, WriteCallback done) {
  loop_.Write(std::move(op), std::move(done));
}

void MemoryStore::Txn(std::vector<WriteOp> ops, TxnCallback done) {
  loop_.Txn(std::move(ops), std::move(done));
}

absl::StatusOr<KeyValue> MemoryStore::Get(const std::string& key) { return loop_.Get(key); }

absl::StatusOr<ListResult> MemoryStore::List(const std::string& prefix) {
  return loop_.List(prefix);
}

absl::StatusOr<std::vector<Event>> MemoryStore::EventsSince(int64_t after_revision,
                                                            const std::string& prefix) {
  // History is appended before a batch is published; stop at the published revision so that
  // the answer agrees with Get and List.
  const int64_t until = loop_.Revision();
  std::lock_guard<std::mutex> lock(history_mu_);
  if (after_revision < compacted_) {
    return absl::OutOfRangeError(absl::StrCat(
        "revision ", after_revision, " has been compacted (compacted revision ", compacted_, ")"));
  }
  auto it = std::partition_point(history_.begin(), history_.end(),
                                 [&](const Event& e) { return e.revision() <= after_revision; });
  std::vector<Event> out;
  for (; it != history_.end() && it->revision() <= until; ++it) {
    if (absl::StartsWith(it->kv.key, prefix)) out.push_back(*it);
  }
  return out;
}

void MemoryStore::AddCommitListener(CommitListener listener) {
  loop_.AddCommitListener(std::move(listener));
}

int64_t MemoryStore::Revision() const { return loop_.Revision(); }

absl::Status MemoryStore::Compact(int64_t revision) {
  const int64_t current = loop_.Revision();
  if (revision > current) {
    return absl::InvalidArgumentError(
        absl::StrCat("compact revision ", revision, " is newer than the store revision ", current));
  }
  std::lock_guard<std::mutex> lock(history_mu_);
  if (revision <= compacted_) return absl::OkStatus();
  while (!history_.empty() && history_.front().revision() <= revision) history_.pop_front();
  compacted_ = revision;
  return absl::OkStatus();
}

int64_t MemoryStore::CompactedRevision() const {
  std::lock_guard<std::mutex> lock(history_mu_);
  return compacted_;
}

void MemoryStore::Close() { loop_.Close(); }

absl::Status MemoryStore::Persist(const std::vector<Event>& events) {
  std::lock_guard<std::mutex> lock(history_mu_);
  for (const Event& e : events) {
    history_.push_back(e);
    history_.back().hint.reset();  // for the listeners of this commit only
  }
  return absl::OkStatus();
}

}  // namespace shoal::store
