// String helpers that accept std::string_view.
//
// Debian 12's Abseil is built with ABSL_OPTION_USE_STD_STRING_VIEW=0, so absl::string_view is
// its own type: absl::StrCat does not take std::string_view, and Status::message() is not a
// std::string_view. shoal code uses base::StrCat / base::StrAppend and takes string parameters
// as base::AnyView where callers may pass either kind. Stateless; safe from any thread.
#pragma once

#include <charconv>
#include <concepts>
#include <string>
#include <vector>
#include <string_view>
#include <type_traits>

#include "absl/strings/string_view.h"

namespace shoal::base {

// A read-only string parameter that accepts std::string_view, absl::string_view, std::string
// and C strings alike (so APIs can take Status::message() directly).
class AnyView {
 public:
  AnyView(std::string_view s) : v_(s) {}                      // NOLINT(runtime/explicit)
  AnyView(absl::string_view s) : v_(s.data(), s.size()) {}    // NOLINT(runtime/explicit)
  AnyView(const std::string& s) : v_(s) {}                    // NOLINT(runtime/explicit)
  AnyView(const char* s) : v_(s) {}                           // NOLINT(runtime/explicit)
  operator std::string_view() const { return v_; }            // NOLINT(runtime/explicit)
  operator absl::string_view() const { return {v_.data(), v_.size()}; }  // NOLINT
  std::string_view view() const { return v_; }
  std::string str() const { return std::string(v_); }

 private:
  std::string_view v_;
};

namespace internal {

inline void AppendPiece(std::string& out, const AnyView& s) { out.append(s.view()); }
inline void AppendPiece(std::string& out, std::string_view s) { out.append(s); }
inline void AppendPiece(std::string& out, absl::string_view s) { out.append(s.data(), s.size()); }
inline void AppendPiece(std::string& out, const char* s) { out.append(s); }
inline void AppendPiece(std::string& out, const std::string& s) { out.append(s); }
inline void AppendPiece(std::string& out, char c) { out.push_back(c); }
inline void AppendPiece(std::string& out, bool b) { out.append(b ? "true" : "false"); }
// Other string-view-like types (boost::json::string, boost::core::string_view...).
template <typename T>
  requires(std::is_class_v<T> && std::is_convertible_v<const T&, std::string_view> &&
           !std::is_same_v<T, std::string> && !std::is_same_v<T, std::string_view> &&
           !std::is_same_v<T, AnyView> && !std::is_same_v<T, absl::string_view>)
void AppendPiece(std::string& out, const T& s) {
  out.append(static_cast<std::string_view>(s));
}
template <typename T>
  requires(std::is_arithmetic_v<T> && !std::is_same_v<T, char> && !std::is_same_v<T, bool>)
void AppendPiece(std::string& out, T v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

}  // namespace internal

template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (internal::AppendPiece(out, args), ...);
  return out;
}

template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  (internal::AppendPiece(*out, args), ...);
}

// absl::string_view from std::string_view, for absl APIs.
inline absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// The elements of `parts` with `sep` between them.
inline std::string StrJoin(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(sep);
    out.append(parts[i]);
  }
  return out;
}

}  // namespace shoal::base
