// Small helpers for absl::Status / absl::StatusOr. shoal code reports normal failures as
// values (see STYLE.md "Errors"); these macros keep call sites short. Thread-agnostic.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SHOAL_CONCAT_INNER_(a, b) a##b
#define SHOAL_CONCAT_(a, b) SHOAL_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define RETURN_IF_ERROR(expr)                    \
  do {                                           \
    ::absl::Status shoal_status_ = (expr);       \
    if (!shoal_status_.ok()) return shoal_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, F())`: evaluates F() (a StatusOr<T>), returns its status on error,
// otherwise moves the value into the declaration on the left.
#define ASSIGN_OR_RETURN(lhs, expr) \
  SHOAL_ASSIGN_OR_RETURN_IMPL_(SHOAL_CONCAT_(shoal_statusor_, __LINE__), lhs, expr)
#define SHOAL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
