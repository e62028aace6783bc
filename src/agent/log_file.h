// Container log files, as the agent keeps them: one file per container run
// (pods/<uid>/logs/<container>/<run>.log), each line prefixed with the time the agent read it
// (RFC 3339 with nanoseconds, then one space), as CRI runtimes do. A file past its size limit
// is rotated once (<file>.1 holds the older part). LogWriter appends what a process writes;
// ReadLog answers kubelet's containerLogs options.
//
// Threading: LogWriter is used by one thread at a time; ReadLog is a pure function of the files.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace shoal::agent {

// "2026-11-23T15:43:09.123456789Z"
std::string FormatLogTime(std::chrono::system_clock::time_point t);

class LogWriter {
 public:
  // Appends to `path` (created 0640); rotates when the file would exceed `max_bytes`.
  LogWriter(std::string path, int64_t max_bytes);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // False if the file cannot be opened.
  bool ok() const { return fd_ >= 0; }
  // Writes the complete lines of `chunk` (earlier partial text first), each with `now`'s
  // timestamp; keeps an unfinished last line for later.
  void Write(std::string_view chunk, std::chrono::system_clock::time_point now);
  // Writes a pending partial line (at end of output).
  void Flush(std::chrono::system_clock::time_point now);

 private:
  void WriteLine(std::string_view line, const std::string& stamp);
  std::string path_;
  int64_t max_bytes_;
  int fd_ = -1;
  int64_t size_ = 0;
  std::string partial_;
};

struct LogOptions {
  bool timestamps = false;
  std::optional<int64_t> tail_lines;    // the last N lines only
  std::optional<int64_t> limit_bytes;   // at most N bytes of output
  std::optional<int64_t> since_seconds;  // lines newer than this many seconds
};

// The log of one run (`path` and its rotated part), formatted for kubectl: the time prefix
// removed unless `timestamps`. Returns the text and, via `end_offset`, how far `path` was read
// (to follow from there). NotFound if there is no such file.
absl::StatusOr<std::string> ReadLog(const std::string& path, const LogOptions& options,
                                    std::chrono::system_clock::time_point now,
                                    int64_t* end_offset);

// Formats raw log lines (complete lines with time prefixes) for kubectl.
std::string FormatLogLines(std::string_view raw, bool timestamps);

}  // namespace shoal::agent
