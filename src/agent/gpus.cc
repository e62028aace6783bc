#include "agent/gpus.h"

#include <stdio.h>
#include <sys/wait.h>

#include <algorithm>

#include "absl/status/status.h"
#include "base/strings.h"

namespace shoal::agent {

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\n')) s.pop_back();
  size_t i = s.find_first_not_of(' ');
  return i == std::string::npos ? "" : s.substr(i);
}

bool OnPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0;
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// The non-empty lines of nvidia-smi's CSV output, trimmed.
std::vector<std::string> CsvLines(const std::string& csv) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < csv.size()) {
    size_t end = csv.find('\n', start);
    if (end == std::string::npos) end = csv.size();
    std::string line = Trim(csv.substr(start, end - start));
    start = end + 1;
    if (!line.empty()) out.push_back(std::move(line));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<GpuDevice>> ParseNvidiaSmi(const std::string& csv) {
  std::vector<GpuDevice> out;
  for (const std::string& line : CsvLines(csv)) {
    size_t c1 = line.find(','), c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
    if (c2 == std::string::npos) {
      return absl::InvalidArgumentError(base::StrCat("unexpected nvidia-smi line: ", line));
    }
    GpuDevice d;
    try {
      d.index = std::stoi(Trim(line.substr(0, c1)));
    } catch (...) {
      return absl::InvalidArgumentError(base::StrCat("unexpected nvidia-smi line: ", line));
    }
    d.uuid = Trim(line.substr(c1 + 1, c2 - c1 - 1));
    d.name = Trim(line.substr(c2 + 1));
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(),
            [](const GpuDevice& a, const GpuDevice& b) { return a.index < b.index; });
  return out;
}

namespace {

// Runs `smi` with `args`; its output, or Unavailable with what it printed.
absl::StatusOr<std::string> RunSmi(const std::string& smi, const std::string& args) {
  std::string cmd = base::StrCat(smi, " ", args, " 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return absl::InternalError("cannot run nvidia-smi");
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) text.append(buf, n);
  int status = pclose(p);
  if (status != 0) {
    return absl::UnavailableError(base::StrCat("nvidia-smi failed: ", Trim(text)));
  }
  return text;
}

}  // namespace

absl::StatusOr<std::vector<GpuDevice>> DiscoverGpus(int fake_count, const std::string& smi) {
  std::vector<GpuDevice> out;
  if (fake_count >= 0) {
    for (int i = 0; i < fake_count; ++i) {
      out.push_back({.index = i, .uuid = base::StrCat("fake-", i), .name = "fake"});
    }
    return out;
  }
  if (!OnPath(smi)) return out;
  auto text = RunSmi(smi, "--query-gpu=index,uuid,name --format=csv,noheader");
  if (!text.ok()) return text.status();
  return ParseNvidiaSmi(*text);
}

absl::StatusOr<std::vector<std::pair<int, int64_t>>> ParseEccCsv(const std::string& csv) {
  std::vector<std::pair<int, int64_t>> out;
  for (const std::string& line : CsvLines(csv)) {
    size_t comma = line.find(',');
    if (comma == std::string::npos) {
      return absl::InvalidArgumentError(base::StrCat("unexpected nvidia-smi line: ", line));
    }
    std::string count = Trim(line.substr(comma + 1));
    try {
      int index = std::stoi(Trim(line.substr(0, comma)));
      out.emplace_back(index, count.starts_with("[") ? 0 : std::stoll(count));
    } catch (...) {
      return absl::InvalidArgumentError(base::StrCat("unexpected nvidia-smi line: ", line));
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<int, int64_t>>> UncorrectedEccErrors(const std::string& smi) {
  auto text = RunSmi(smi, "--query-gpu=index,ecc.errors.uncorrected.volatile.total "
                          "--format=csv,noheader");
  if (!text.ok()) return text.status();
  return ParseEccCsv(*text);
}

GpuAllocator::GpuAllocator(std::vector<GpuDevice> devices) : devices_(std::move(devices)) {}

size_t GpuAllocator::free() const { return devices_.size() - owner_of_.size(); }

std::optional<std::vector<int>> GpuAllocator::Allocate(const std::string& owner, int count) {
  std::vector<int> held;
  for (const auto& [index, o] : owner_of_) {
    if (o == owner) held.push_back(index);
  }
  if (!held.empty()) {
    if (static_cast<int>(held.size()) == count) return held;
    Release(owner);
    held.clear();
  }
  if (count <= 0) return held;
  for (const GpuDevice& d : devices_) {
    if (static_cast<int>(held.size()) == count) break;
    if (owner_of_.count(d.index) == 0) held.push_back(d.index);
  }
  if (static_cast<int>(held.size()) < count) return std::nullopt;
  for (int i : held) owner_of_[i] = owner;
  return held;
}

void GpuAllocator::Release(const std::string& owner) {
  std::erase_if(owner_of_, [&](const auto& kv) { return kv.second == owner; });
}

}  // namespace shoal::agent
