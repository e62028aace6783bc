#include "apiserver/request_metrics.h"

#include <iterator>
#include <utility>

#include <fmt/format.h>

#include "api/request_path.h"

namespace shoal::apiserver {

namespace {

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

std::string MetricsVerb(const Request& req, const api::ApiPath& path, bool watch) {
  if (watch) return "WATCH";
  if (req.method == "GET" || req.method == "HEAD") {
    return path.named || path.resource.empty() ? "GET" : "LIST";
  }
  if (req.method == "PATCH" && req.content_type.starts_with("application/apply-patch")) {
    return "APPLY";
  }
  return req.method;
}

void RequestMetrics::Record(std::string_view verb, const api::ApiPath& path, int code,
                            std::chrono::steady_clock::duration duration, bool record_duration) {
  const double seconds = std::chrono::duration<double>(duration).count();
  std::lock_guard lock(mu_);
  ++totals_[{std::string(verb), path.resource, path.subresource, code}];
  if (!record_duration) return;
  Histogram& h = durations_[{std::string(verb), path.resource, path.subresource}];
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
