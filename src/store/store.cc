#include "store/store.h"

#include <future>
#include <memory>
#include <utility>

namespace shoal::store {

absl::StatusOr<KeyValue> Store::WriteSync(WriteOp op) {
  // The promise is shared with the callback: the callback may run (on the commit thread, or
  // inline when the store is closed) before Write returns.
  auto promise = std::make_shared<std::promise<absl::StatusOr<KeyValue>>>();
  std::future<absl::StatusOr<KeyValue>> result = promise->get_future();
  Write(std::move(op),
        [promise](absl::StatusOr<KeyValue> kv) { promise->set_value(std::move(kv)); });
  return result.get();
}

absl::StatusOr<std::vector<KeyValue>> Store::TxnSync(std::vector<WriteOp> ops) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<std::vector<KeyValue>>>>();
  std::future<absl::StatusOr<std::vector<KeyValue>>> result = promise->get_future();
  Txn(std::move(ops), [promise](absl::StatusOr<std::vector<KeyValue>> kvs) {
    promise->set_value(std::move(kvs));
  });
  return result.get();
}

}  // namespace shoal::store
