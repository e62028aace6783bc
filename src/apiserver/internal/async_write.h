// Awaitable wrapper over Store::Write: suspends the calling coroutine until the write is
// durable, then resumes it on the coroutine's own executor (never on the commit thread).
// Each call is counted in the server's storage metrics (request_metrics.h) under its
// operation and the group-qualified resource of `type`.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/object.h"
#include "api/registry.h"
#include "apiserver/api_server.h"
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

// kube's storage operation label of a write.
inline std::string_view StorageOperation(store::WriteOp::Kind kind) {
  switch (kind) {
    case store::WriteOp::Kind::kCreate: return "create";
    case store::WriteOp::Kind::kUpdate: return "update";
    case store::WriteOp::Kind::kDelete: return "delete";
  }
  return "update";
}

// Hands `request` to `submit(request, done)` (Store::Write or Store::Txn) and resumes the
// caller with its Result on the caller's executor, recording the call in s's storage metrics.
template <typename Result, typename RequestT, typename Submit>
boost::asio::awaitable<Result> AwaitStore(ApiServer& s, std::string_view operation,
                                          const api::ResourceType& type, RequestT request,
                                          Submit submit) {
  namespace asio = boost::asio;
  using Clock = std::chrono::steady_clock;
  const Clock::time_point handed = Clock::now();
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result)>(
      [&](auto handler, RequestT request) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        submit(std::move(request), [h, &s, operation, &type, handed](Result result) {
          const Clock::time_point answered = Clock::now();
          auto ex = asio::get_associated_executor(*h);
          asio::post(ex, [h, &s, operation, &type, handed, answered,
                          result = std::move(result)]() mutable {
            const Clock::time_point resumed = Clock::now();
            s.metrics().RecordStorage(operation, type.QualifiedResource(), resumed - handed,
                                      resumed - answered);
            (*h)(std::move(result));
          });
        });
      },
      asio::use_awaitable, std::move(request));
}

// What the watch cache reads from `written`, as a create's or update's hint (WriteOp::hint),
// so that the commit thread does not parse the stored value again; none for a custom
// resource (its cache may serve another version of its CRD) or a delete.
inline void HintFields(store::WriteOp& op, const api::ResourceType& type,
                       const boost::json::object& written) {
  if (type.custom || op.kind == store::WriteOp::Kind::kDelete) return;
  op.hint = FieldsOf(type, written);
}

// Every write of the API server goes through here (stamped, see above). `type` is the
// written object's type, for the metrics; it must outlive the call (registry types do).
// `written`, when given, is the object `op.value` serializes (HintFields).
inline boost::asio::awaitable<absl::StatusOr<store::KeyValue>> AsyncWrite(
    ApiServer& s, const api::ResourceType& type, store::WriteOp op,
    const boost::json::object* written = nullptr) {
  StampResourceVersion(op);
  if (written != nullptr) HintFields(op, type, *written);
  const std::string_view operation = StorageOperation(op.kind);
  store::Store& store = s.store();
  co_return co_await AwaitStore<absl::StatusOr<store::KeyValue>>(
      s, operation, type, std::move(op), [&store](store::WriteOp op, auto done) {
        store.Write(std::move(op), std::move(done));
      });
}

// Awaitable wrapper over Store::Txn, with every op stamped like AsyncWrite's; counted as one
// "update" of `type`.
inline boost::asio::awaitable<absl::StatusOr<std::vector<store::KeyValue>>> AsyncTxn(
    ApiServer& s, const api::ResourceType& type, std::vector<store::WriteOp> ops) {
  for (store::WriteOp& op : ops) StampResourceVersion(op);
  store::Store& store = s.store();
  co_return co_await AwaitStore<absl::StatusOr<std::vector<store::KeyValue>>>(
      s, "update", type, std::move(ops), [&store](std::vector<store::WriteOp> ops, auto done) {
        store.Txn(std::move(ops), std::move(done));
      });
}

}  // namespace shoal::apiserver::internal
