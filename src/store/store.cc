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

}  // namespace shoal::store
