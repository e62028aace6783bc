// RequestMetrics: what `GET /metrics` says about the requests the HTTPS front end served, in
// kube-apiserver's metric names and Prometheus' text format, so that the tools that read
// kube-apiserver's read shoal's:
//   apiserver_request_total{verb,resource,subresource,code}            counter
//   apiserver_request_duration_seconds{verb,resource,subresource}      histogram, kube's buckets
// A request's duration runs from the end of reading it to the end of writing its answer,
// waiting for a flow-control seat included, as kube-apiserver measures it (its SLI for the
// API call latency SLO). Watches are counted when they end; their duration is not recorded
// (kube leaves long-running requests out of the histogram too).
//
// Threading: Record and AppendText may be called from any thread (one mutex).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include "api/request_path.h"
#include "apiserver/request.h"

namespace shoal::apiserver {

// The upper bounds (seconds) of kube-apiserver's apiserver_request_duration_seconds buckets.
inline constexpr std::array<double, 23> kRequestDurationBuckets = {
    0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2,
    3,     4,     5,    6,   8,   10,  15,  20,  30,  45,  60};

// kube-apiserver's verb label: GET, LIST (a GET of a collection), WATCH, POST, PUT, PATCH,
// APPLY (a server-side apply patch), DELETE (of one object or a collection). `path` is
// req.path read by api::ParseApiPath.
std::string MetricsVerb(const Request& req, const api::ApiPath& path, bool watch);

class RequestMetrics {
 public:
  // One request answered: `path` gives its resource and subresource labels.
  void Record(std::string_view verb, const api::ApiPath& path, int code,
              std::chrono::steady_clock::duration duration, bool record_duration = true);
  // Appends both metric families, with their HELP and TYPE lines.
  void AppendText(std::string* out) const;

 private:
  struct Histogram {
    std::array<uint64_t, kRequestDurationBuckets.size()> buckets{};  // not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  // verb, resource, subresource
  using Labels = std::tuple<std::string, std::string, std::string>;
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string, int>, uint64_t> totals_;
  std::map<Labels, Histogram> durations_;
};

}  // namespace shoal::apiserver
