// Awaitable wrapper over Store::Write: suspends the calling coroutine until the write is
// durable, then resumes it on the coroutine's own executor (never on the commit thread).
#pragma once

#include <memory>
#include <vector>

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/object.h"
#include "store/store.h"

namespace shoal::apiserver::internal {

// Makes a create or update record its revision as metadata.resourceVersion in the stored
// document (see WriteOp::stamp), so that the watch cache and responses share the stored bytes.
inline void StampResourceVersion(store::WriteOp& op) {
  if (op.kind == store::WriteOp::Kind::kDelete || op.stamp) return;
  op.stamp = [](std::string_view value, int64_t revision) {
    return api::InjectResourceVersion(value, revision);
  };
}

// Every write of the API server goes through here (stamped, see above).
inline boost::asio::awaitable<absl::StatusOr<store::KeyValue>> AsyncWrite(store::Store& store,
                                                                          store::WriteOp op) {
  namespace asio = boost::asio;
  StampResourceVersion(op);
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable),
                                          void(absl::StatusOr<store::KeyValue>)>(
      [&store](auto handler, store::WriteOp op) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        store.Write(std::move(op), [h](absl::StatusOr<store::KeyValue> result) {
          auto ex = asio::get_associated_executor(*h);
          asio::post(ex, [h, result = std::move(result)]() mutable {
            (*h)(std::move(result));
          });
        });
      },
      asio::use_awaitable, std::move(op));
}

// Awaitable wrapper over Store::Txn, with every op stamped like AsyncWrite's.
inline boost::asio::awaitable<absl::StatusOr<std::vector<store::KeyValue>>> AsyncTxn(
    store::Store& store, std::vector<store::WriteOp> ops) {
  namespace asio = boost::asio;
  for (store::WriteOp& op : ops) StampResourceVersion(op);
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable),
                                          void(absl::StatusOr<std::vector<store::KeyValue>>)>(
      [&store](auto handler, std::vector<store::WriteOp> ops) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        store.Txn(std::move(ops), [h](absl::StatusOr<std::vector<store::KeyValue>> result) {
          auto ex = asio::get_associated_executor(*h);
          asio::post(ex, [h, result = std::move(result)]() mutable {
            (*h)(std::move(result));
          });
        });
      },
      asio::use_awaitable, std::move(ops));
}

}  // namespace shoal::apiserver::internal
