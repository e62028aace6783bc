// The API latency a server reports about itself: kube-apiserver's
// apiserver_request_duration_seconds histogram read from `GET /metrics` (shoal's or
// kube-apiserver's), differenced between two scrapes and summarized as Kubernetes' SLO
// tooling does (histogram_quantile: linear interpolation within a bucket). That is the SLI of
// Kubernetes' API call latency SLO, measured at the server; the hollow nodes' own timings add
// their client side (their event loops share this machine with the server).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "client/transport.h"

namespace shoal::bench {

// The server's `GET /metrics` text, or "" when it cannot be read (no such endpoint, no
// permission).
boost::asio::awaitable<std::string> ScrapeMetrics(client::Transport& transport);

// Cumulative bucket counts by upper bound (+Inf last), as the text format gives them.
using Buckets = std::vector<std::pair<double, uint64_t>>;

// The histogram's series by "VERB resource[/subresource]" ("PATCH leases", "POST pods").
// Lines that are not apiserver_request_duration_seconds_bucket samples are skipped.
std::map<std::string, Buckets> ParseRequestDurations(std::string_view text);

// shoal's watch delivery histograms (shoal_watch_delivery_seconds or
// shoal_watch_write_seconds, `metric` without "_bucket") by "resource scope" ("pods namespace").
std::map<std::string, Buckets> ParseWatchHistogram(std::string_view text, std::string_view metric);

// The server's storage histograms (etcd_request_duration_seconds or shoal's
// shoal_store_resume_seconds, `metric` without "_bucket") by "operation type" ("update
// leases.coordination.k8s.io").
std::map<std::string, Buckets> ParseStorageHistogram(std::string_view text,
                                                     std::string_view metric);

// `after` less `before`, series by series (a series missing from `before` counts from 0).
std::map<std::string, Buckets> Difference(const std::map<std::string, Buckets>& after,
                                          const std::map<std::string, Buckets>& before);

// The q-quantile (0..1) in seconds, or -1 for an empty histogram. One in the +Inf bucket is
// reported as the highest finite bound, as histogram_quantile does.
double QuantileSeconds(const Buckets& b, double q);

// {"PATCH leases": {"count": n, "p50_ms": .., "p99_ms": ..}, ...} for series with requests
// (HollowNodeApiLatencySummary, hollow_cluster.h, prints it).
boost::json::object SummarizeDurations(const std::map<std::string, Buckets>& series);

// SummarizeDurations of what two scrapes' histograms differ by.
boost::json::object ServerLatencyBetween(std::string_view before, std::string_view after);

// {"store": {"update leases.coordination.k8s.io": {...}}, "resume": {...}}: the server's
// store calls between two scrapes (etcd_request_duration_seconds and
// shoal_store_resume_seconds), summarized as SummarizeDurations does; empty objects for a
// server without them.
boost::json::object ServerStorageLatencyBetween(std::string_view before, std::string_view after);

// {"delivery": {"pods namespace": {...}}, "writes": {...}}: shoal's watch delivery between two
// scrapes, summarized as SummarizeDurations does; empty objects for a server without them.
boost::json::object ServerWatchDeliveryBetween(std::string_view before, std::string_view after);

}  // namespace shoal::bench
