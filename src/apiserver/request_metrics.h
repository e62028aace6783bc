// RequestMetrics: what `GET /metrics` says about the requests the HTTPS front end served, in
// kube-apiserver's metric names and Prometheus' text format, so that the tools that read
// kube-apiserver's read shoal's:
//   apiserver_request_total{verb,resource,subresource,code}            counter
//   apiserver_request_duration_seconds{verb,resource,subresource}      histogram, kube's buckets
//   apiserver_longrunning_requests{verb,resource,subresource}          gauge: watches open now
// A request's duration runs from the end of reading it to the end of writing its answer (the
// last byte handed to the socket, base::TlsStream::last_write_end, not the later run of the
// write's completion handler), waiting for a flow-control seat included, as kube-apiserver
// measures it (its SLI for the API call latency SLO). Watches are counted when they end;
// their duration is not recorded (kube leaves long-running requests out of the histogram too).
// shoal adds two families about watch delivery, which kube-apiserver does not export:
//   shoal_watch_delivery_seconds{resource,scope}  histogram: the watch cache applying an event
//                                                  -> the end of its write to the connection
//                                                  (as above, when the bytes went out)
//   shoal_watch_write_seconds{resource,scope}     histogram: a batch of events handed to the
//                                                  connection -> written (HTTP/2: framed
//                                                  into the write that follows at once)
// scope is "cluster" (all namespaces), "namespace" or "selector" (a label or field selector).
// A long delivery with short writes says the watch thread was slow to take the events; long
// writes say the client was slow to read (TCP or HTTP/2 flow control pushed back) or, over
// HTTP/2, that the connection waited for its turn on the I/O threads.
// And the API server's calls to its store, as kube-apiserver's storage layer counts its etcd
// requests:
//   etcd_request_duration_seconds{operation,type}  histogram: a write handed to the store ->
//                                                   the handler running again with its result
//   shoal_store_resume_seconds{operation,type}      histogram: the part of that spent after
//                                                   the store answered, waiting for the
//                                                   handler's thread (busy I/O threads)
// operation is "create", "update" or "delete" (a binding's transaction is an "update");
// type is the group-qualified resource ("leases.coordination.k8s.io", "pods"). An API write's
// duration minus its storage duration is the time the server spent on the request itself.
//
// Threading: the Record functions and AppendText may be called from any thread (one mutex).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

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
  // A long-running request (a watch) started or ended: apiserver_longrunning_requests.
  void LongRunningStarted(std::string_view verb, const api::ApiPath& path);
  void LongRunningEnded(std::string_view verb, const api::ApiPath& path);
  // Appends every metric family, with their HELP and TYPE lines.
  void AppendText(std::string* out) const;
  // One batch of watch events written: each live event's delivery delay, and the write's time.
  void RecordWatchBatch(std::string_view resource, std::string_view scope,
                        const std::vector<double>& delivery_seconds, double write_seconds);
  // One store call: its whole duration, and the part after the store answered.
  void RecordStorage(std::string_view operation, std::string_view type,
                     std::chrono::steady_clock::duration total,
                     std::chrono::steady_clock::duration resume);

 private:
  struct Histogram {
    std::array<uint64_t, kRequestDurationBuckets.size()> buckets{};  // not cumulative
    uint64_t count = 0;
    double sum = 0;
    void Observe(double seconds);
    // The _bucket, _sum and _count lines of `name` with `labels` ("a=\"x\",b=\"y\"").
    void AppendText(std::string_view name, std::string_view labels, std::string* out) const;
  };
  using WatchLabels = std::pair<std::string, std::string>;  // resource, scope
  // verb, resource, subresource
  using Labels = std::tuple<std::string, std::string, std::string>;
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string, int>, uint64_t> totals_;
  std::map<Labels, Histogram> durations_;
  std::map<Labels, int64_t> long_running_;
  std::map<WatchLabels, Histogram> watch_delivery_;
  std::map<WatchLabels, Histogram> watch_writes_;
  using StorageLabels = std::pair<std::string, std::string>;  // operation, type
  std::map<StorageLabels, Histogram> storage_;
  std::map<StorageLabels, Histogram> storage_resume_;
};

}  // namespace shoal::apiserver
