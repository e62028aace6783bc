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
  durations_[{std::string(verb), path.resource, path.subresource}].Observe(seconds);
}

void RequestMetrics::LongRunningStarted(std::string_view verb, const api::ApiPath& path) {
  std::lock_guard lock(mu_);
  ++long_running_[{std::string(verb), path.resource, path.subresource}];
}

void RequestMetrics::LongRunningEnded(std::string_view verb, const api::ApiPath& path) {
  std::lock_guard lock(mu_);
  --long_running_[{std::string(verb), path.resource, path.subresource}];
}

void RequestMetrics::RecordWatchBatch(std::string_view resource, std::string_view scope,
                                      const std::vector<double>& delivery_seconds,
                                      double write_seconds) {
  WatchLabels labels{std::string(resource), std::string(scope)};
  std::lock_guard lock(mu_);
  Histogram& delivery = watch_delivery_[labels];
  for (double d : delivery_seconds) delivery.Observe(d);
  watch_writes_[std::move(labels)].Observe(write_seconds);
}

void RequestMetrics::RecordStorage(std::string_view operation, std::string_view type,
                                   std::chrono::steady_clock::duration total,
                                   std::chrono::steady_clock::duration resume) {
  StorageLabels labels{std::string(operation), std::string(type)};
  std::lock_guard lock(mu_);
  storage_[labels].Observe(std::chrono::duration<double>(total).count());
  storage_resume_[std::move(labels)].Observe(std::chrono::duration<double>(resume).count());
}

void RequestMetrics::Histogram::Observe(double seconds) {
  size_t b = 0;
  while (b < kRequestDurationBuckets.size() && seconds > kRequestDurationBuckets[b]) ++b;
  if (b < kRequestDurationBuckets.size()) ++buckets[b];
  ++count;
  sum += seconds;
}

void RequestMetrics::Histogram::AppendText(std::string_view name, std::string_view labels,
                                           std::string* out) const {
  uint64_t cumulative = 0;
  for (size_t b = 0; b < kRequestDurationBuckets.size(); ++b) {
    cumulative += buckets[b];
    fmt::format_to(std::back_inserter(*out), "{}_bucket{{{},le=\"{}\"}} {}\n", name, labels,
                   kRequestDurationBuckets[b], cumulative);
  }
  fmt::format_to(std::back_inserter(*out),
                 "{}_bucket{{{},le=\"+Inf\"}} {}\n{}_sum{{{}}} {}\n{}_count{{{}}} {}\n", name,
                 labels, count, name, labels, sum, name, labels, count);
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
    h.AppendText("apiserver_request_duration_seconds", labels, out);
  }
  *out += "# HELP apiserver_longrunning_requests Gauge of all active long-running apiserver "
          "requests broken out by verb, resource and subresource.\n"
          "# TYPE apiserver_longrunning_requests gauge\n";
  for (const auto& [key, n] : long_running_) {
    const auto& [verb, resource, subresource] = key;
    fmt::format_to(std::back_inserter(*out),
                   "apiserver_longrunning_requests{{resource=\"{}\",subresource=\"{}\","
                   "verb=\"{}\"}} {}\n",
                   Escaped(resource), Escaped(subresource), Escaped(verb), n);
  }
  // A histogram family labelled by a pair (the watch and the storage families).
  const auto pair_family = [&](std::string_view name, std::string_view help,
                               std::string_view first, std::string_view second,
                               const std::map<std::pair<std::string, std::string>, Histogram>&
                                   family) {
    fmt::format_to(std::back_inserter(*out), "# HELP {} {}\n# TYPE {} histogram\n", name, help,
                   name);
    for (const auto& [key, h] : family) {
      h.AppendText(name,
                   fmt::format("{}=\"{}\",{}=\"{}\"", first, Escaped(key.first), second,
                               Escaped(key.second)),
                   out);
    }
  };
  pair_family("shoal_watch_delivery_seconds",
              "Seconds from the watch cache applying an event to the end of its write to a "
              "watch connection, by resource and watch scope (cluster, namespace, selector).",
              "resource", "scope", watch_delivery_);
  pair_family("shoal_watch_write_seconds",
              "Seconds one write of a batch of watch events took (a client that reads slowly "
              "makes them long).",
              "resource", "scope", watch_writes_);
  pair_family("etcd_request_duration_seconds",
              "Storage request latency in seconds for each operation and object type: a write "
              "handed to the store until its handler runs again with the result.",
              "operation", "type", storage_);
  pair_family("shoal_store_resume_seconds",
              "Seconds from the store's answer to a write until its handler runs again (the "
              "handler's thread was busy), for each operation and object type.",
              "operation", "type", storage_resume_);
}

}  // namespace shoal::apiserver
