#include "apiserver/request_metrics.h"

#include <iterator>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "api/request_path.h"

namespace shoal::apiserver {

namespace {

// "pods/status" -> {"pods", "status"}.
std::pair<std::string, std::string> SplitResource(std::string_view path) {
  std::string r = api::ResourceOfPath(path);
  size_t slash = r.find('/');
  if (slash == std::string::npos) return {r, ""};
  return {r.substr(0, slash), r.substr(slash + 1)};
}

// Whether an API path names one object (or its subresource), not a collection: the path
// goes on past its resource segment (as api::ResourceOfPath reads it).
bool NamesAnObject(std::string_view path) {
  std::vector<std::string_view> segs;
  for (size_t start = 0; start < path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) segs.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  size_t i = 0;
  if (segs.size() >= 2 && segs[0] == "api") {
    i = 2;
  } else if (segs.size() >= 3 && segs[0] == "apis") {
    i = 3;
  } else {
    return false;
  }
  if (segs.size() >= i + 3 && segs[i] == "namespaces") i += 2;
  return i + 1 < segs.size();
}

// A label value as Prometheus' text format writes it.
std::string Escaped(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string MetricsVerb(const Request& req, bool watch) {
  if (watch) return "WATCH";
  if (req.method == "GET" || req.method == "HEAD") {
    return NamesAnObject(req.path) || api::ResourceOfPath(req.path).empty() ? "GET" : "LIST";
  }
  if (req.method == "PATCH" && req.content_type.starts_with("application/apply-patch")) {
    return "APPLY";
  }
  return req.method;
}

void RequestMetrics::Record(std::string_view verb, std::string_view path, int code,
                            std::chrono::steady_clock::duration duration, bool record_duration) {
  auto [resource, subresource] = SplitResource(path);
  const double seconds = std::chrono::duration<double>(duration).count();
  std::lock_guard lock(mu_);
  ++totals_[{std::string(verb), resource, subresource, code}];
  if (!record_duration) return;
  Histogram& h = durations_[{std::string(verb), std::move(resource), std::move(subresource)}];
  size_t b = 0;
  while (b < kRequestDurationBuckets.size() && seconds > kRequestDurationBuckets[b]) ++b;
  if (b < kRequestDurationBuckets.size()) ++h.buckets[b];
  ++h.count;
  h.sum += seconds;
}

void RequestMetrics::AppendText(std::string* out) const {
  std::lock_guard lock(mu_);
  *out += "# HELP apiserver_request_total Counter of apiserver requests broken out for each "
          "verb, resource, subresource and HTTP response code.\n"
          "# TYPE apiserver_request_total counter\n";
  for (const auto& [key, n] : totals_) {
    const auto& [verb, resource, subresource, code] = key;
    fmt::format_to(std::back_inserter(*out),
                   "apiserver_request_total{{code=\"{}\",resource=\"{}\",subresource=\"{}\","
                   "verb=\"{}\"}} {}\n",
                   code, Escaped(resource), Escaped(subresource), Escaped(verb), n);
  }
  *out += "# HELP apiserver_request_duration_seconds Response latency distribution in seconds "
          "for each verb, resource and subresource.\n"
          "# TYPE apiserver_request_duration_seconds histogram\n";
  for (const auto& [key, h] : durations_) {
    const auto& [verb, resource, subresource] = key;
    const std::string labels =
        fmt::format("resource=\"{}\",subresource=\"{}\",verb=\"{}\"", Escaped(resource),
                    Escaped(subresource), Escaped(verb));
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kRequestDurationBuckets.size(); ++b) {
      cumulative += h.buckets[b];
      fmt::format_to(std::back_inserter(*out),
                     "apiserver_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                     kRequestDurationBuckets[b], cumulative);
    }
    fmt::format_to(std::back_inserter(*out),
                   "apiserver_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n"
                   "apiserver_request_duration_seconds_sum{{{}}} {}\n"
                   "apiserver_request_duration_seconds_count{{{}}} {}\n",
                   labels, h.count, labels, h.sum, labels, h.count);
  }
}

}  // namespace shoal::apiserver
