#include "agent/log_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "base/strings.h"

namespace shoal::agent {

std::string FormatLogTime(std::chrono::system_clock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%09lldZ",
                static_cast<long long>(ns % 1'000'000'000));
  return buf;
}

LogWriter::LogWriter(std::string path, int64_t max_bytes)
    : path_(std::move(path)), max_bytes_(max_bytes) {
  fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ >= 0) size_ = lseek(fd_, 0, SEEK_END);
}

LogWriter::~LogWriter() {
  if (fd_ >= 0) close(fd_);
}

void LogWriter::WriteLine(std::string_view line, const std::string& stamp) {
  if (fd_ < 0) return;
  std::string out = base::StrCat(stamp, " ", line, "\n");
  if (size_ > 0 && size_ + static_cast<int64_t>(out.size()) > max_bytes_) {
    // Rotate: the current file becomes <path>.1 (replacing an older one).
    close(fd_);
    std::rename(path_.c_str(), (path_ + ".1").c_str());
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
    size_ = 0;
    if (fd_ < 0) return;
  }
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::write(fd_, out.data() + done, out.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
  size_ += static_cast<int64_t>(out.size());
}

void LogWriter::Write(std::string_view chunk, std::chrono::system_clock::time_point now) {
  const std::string stamp = FormatLogTime(now);
  size_t start = 0;
  for (size_t nl = chunk.find('\n'); nl != std::string_view::npos; nl = chunk.find('\n', start)) {
    if (!partial_.empty()) {
      partial_.append(chunk.substr(start, nl - start));
      WriteLine(partial_, stamp);
      partial_.clear();
    } else {
      WriteLine(chunk.substr(start, nl - start), stamp);
    }
    start = nl + 1;
  }
  partial_.append(chunk.substr(start));
  // A very long line without a newline is written in pieces, as CRI runtimes split lines.
  if (partial_.size() >= 16 * 1024) {
    WriteLine(partial_, stamp);
    partial_.clear();
  }
}

void LogWriter::Flush(std::chrono::system_clock::time_point now) {
  if (partial_.empty()) return;
  WriteLine(partial_, FormatLogTime(now));
  partial_.clear();
}

std::string FormatLogLines(std::string_view raw, bool timestamps) {
  if (timestamps) return std::string(raw);
  std::string out;
  out.reserve(raw.size());
  size_t start = 0;
  while (start < raw.size()) {
    size_t nl = raw.find('\n', start);
    size_t end = nl == std::string_view::npos ? raw.size() : nl + 1;
    std::string_view line = raw.substr(start, end - start);
    size_t sp = line.find(' ');
    out.append(sp == std::string_view::npos ? line : line.substr(sp + 1));
    start = end;
  }
  return out;
}

absl::StatusOr<std::string> ReadLog(const std::string& path, const LogOptions& options,
                                    std::chrono::system_clock::time_point now,
                                    int64_t* end_offset) {
  std::string raw;
  bool found = false;
  for (const std::string& p : {path + ".1", path}) {
    std::ifstream in(p, std::ios::binary);
    if (!in) continue;
    found = true;
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    if (p == path && end_offset != nullptr) *end_offset = static_cast<int64_t>(text.size());
    raw += text;
  }
  if (!found) return absl::NotFoundError(base::StrCat("no log file ", path));
  // Whole lines only (a writer may be mid-line).
  if (size_t last = raw.rfind('\n'); last != std::string::npos) {
    if (end_offset != nullptr) *end_offset -= static_cast<int64_t>(raw.size() - last - 1);
    raw.resize(last + 1);
  } else {
    if (end_offset != nullptr) *end_offset = 0;
    raw.clear();
  }
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < raw.size();) {
    size_t nl = raw.find('\n', start);
    lines.emplace_back(std::string_view(raw).substr(start, nl - start + 1));
    start = nl + 1;
  }
  size_t first = 0;
  if (options.since_seconds) {
    const std::string cutoff = FormatLogTime(now - std::chrono::seconds(*options.since_seconds));
    while (first < lines.size() && lines[first].substr(0, cutoff.size()) < cutoff) ++first;
  }
  if (options.tail_lines && static_cast<int64_t>(lines.size() - first) > *options.tail_lines) {
    first = lines.size() - static_cast<size_t>(std::max<int64_t>(0, *options.tail_lines));
  }
  std::string out;
  for (size_t i = first; i < lines.size(); ++i) {
    out += FormatLogLines(lines[i], options.timestamps);
  }
  if (options.limit_bytes && static_cast<int64_t>(out.size()) > *options.limit_bytes) {
    out.resize(static_cast<size_t>(std::max<int64_t>(0, *options.limit_bytes)));
  }
  return out;
}

}  // namespace shoal::agent
