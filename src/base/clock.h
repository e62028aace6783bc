// Clock: an injectable source of wall time, so that tests control timestamps and timeouts.
// RealClock is thread-safe; FakeClock is thread-safe and only moves when told to.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoal::base {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (UTC).
  virtual std::chrono::system_clock::time_point Now() const = 0;
};

class RealClock : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
  // The process-wide real clock.
  static const Clock& Get();
};

class FakeClock : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start) : now_ns_(Ns(start)) {}
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::time_point(std::chrono::nanoseconds(now_ns_.load()));
  }
  void Advance(std::chrono::nanoseconds d) { now_ns_ += d.count(); }

 private:
  static int64_t Ns(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  }
  std::atomic<int64_t> now_ns_;
};

// RFC 3339 in UTC with second precision, as Kubernetes writes metav1.Time:
// "2026-11-23T08:03:58Z".
std::string FormatRfc3339(std::chrono::system_clock::time_point t);
// The real clock's now, formatted so (for status timestamps).
inline std::string NowRfc3339() { return FormatRfc3339(RealClock::Get().Now()); }

// Parses metav1.Time ("2026-11-23T08:03:58Z") and metav1.MicroTime
// ("2026-11-23T08:03:58.123456Z"); fractional digits of any length are kept to the
// microsecond. nullopt for anything else (offsets other than Z included).
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view s);

// Parses a Go-style duration as Kubernetes components take on their command lines: "40s",
// "500ms", "5m", "1h30m", "1.5s", or a bare number of seconds ("40"). nullopt when malformed or
// negative.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view s);

}  // namespace shoal::base
