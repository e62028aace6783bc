#include "bench/server_metrics.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>

#include <boost/json.hpp>

#include "absl/strings/numbers.h"

namespace shoal::bench {

namespace json = boost::json;

namespace {

bool ParseDouble(std::string_view v, double* out) {
  return absl::SimpleAtod(absl::string_view(v.data(), v.size()), out);
}

// The value of label `name` in `labels` (the text between the braces), or "".
std::string Label(std::string_view labels, std::string_view name) {
  const std::string key = std::string(name) + "=\"";
  for (size_t at = 0; (at = labels.find(key, at)) != std::string_view::npos; at += key.size()) {
    if (at != 0 && labels[at - 1] != ',') continue;
    const size_t start = at + key.size();
    const size_t end = labels.find('"', start);
    if (end == std::string_view::npos) return "";
    return std::string(labels.substr(start, end - start));
  }
  return "";
}

// The `<metric>_bucket` samples of `text` by the key `key_of` makes of their labels.
template <typename KeyOf>
std::map<std::string, Buckets> ParseBuckets(std::string_view text, std::string_view metric,
                                            KeyOf key_of) {
  const std::string prefix = std::string(metric) + "_bucket{";
  std::map<std::string, Buckets> out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.starts_with(prefix)) continue;
    const size_t close = line.rfind("} ");
    if (close == std::string_view::npos) continue;
    const std::string_view labels = line.substr(prefix.size(), close - prefix.size());
    double count = 0;
    if (!ParseDouble(line.substr(close + 2), &count)) continue;
    const std::string le = Label(labels, "le");
    double bound = std::numeric_limits<double>::infinity();
    if (le != "+Inf" && !ParseDouble(le, &bound)) continue;
    out[key_of(labels)].emplace_back(bound, static_cast<uint64_t>(count));
  }
  return out;
}

}  // namespace

std::map<std::string, Buckets> ParseRequestDurations(std::string_view text) {
  return ParseBuckets(text, "apiserver_request_duration_seconds", [](std::string_view labels) {
    std::string key = Label(labels, "verb") + " " + Label(labels, "resource");
    if (std::string sub = Label(labels, "subresource"); !sub.empty()) key += "/" + sub;
    return key;
  });
}

std::map<std::string, Buckets> ParseWatchHistogram(std::string_view text, std::string_view metric) {
  return ParseBuckets(text, metric, [](std::string_view labels) {
    return Label(labels, "resource") + " " + Label(labels, "scope");
  });
}

std::map<std::string, Buckets> ParseStorageHistogram(std::string_view text,
                                                     std::string_view metric) {
  return ParseBuckets(text, metric, [](std::string_view labels) {
    return Label(labels, "operation") + " " + Label(labels, "type");
  });
}

std::map<std::string, Buckets> Difference(const std::map<std::string, Buckets>& after,
                                          const std::map<std::string, Buckets>& before) {
  std::map<std::string, Buckets> out;
  for (const auto& [key, b] : after) {
    Buckets d = b;
    auto it = before.find(key);
    if (it != before.end() && it->second.size() == b.size()) {
      for (size_t i = 0; i < d.size(); ++i) d[i].second -= std::min(d[i].second, it->second[i].second);
    }
    out[key] = std::move(d);
  }
  return out;
}

double QuantileSeconds(const Buckets& b, double q) {
  if (b.empty() || b.back().second == 0) return -1;
  const double rank = q * static_cast<double>(b.back().second);
  double lower = 0;
  uint64_t below = 0;
  for (const auto& [bound, count] : b) {
    if (static_cast<double>(count) >= rank) {
      if (std::isinf(bound)) return lower;  // the highest finite bound
      const double in_bucket = static_cast<double>(count - below);
      if (in_bucket <= 0) return bound;
      return lower + (bound - lower) * (rank - static_cast<double>(below)) / in_bucket;
    }
    lower = bound;
    below = count;
  }
  return lower;
}

json::object SummarizeDurations(const std::map<std::string, Buckets>& series) {
  json::object out;
  for (const auto& [key, b] : series) {
    if (b.empty() || b.back().second == 0) continue;
    out[key] = json::object{{"count", b.back().second},
                            {"p50_ms", QuantileSeconds(b, 0.5) * 1000},
                            {"p99_ms", QuantileSeconds(b, 0.99) * 1000}};
  }
  return out;
}

json::object ServerLatencyBetween(std::string_view before, std::string_view after) {
  return SummarizeDurations(
      Difference(ParseRequestDurations(after), ParseRequestDurations(before)));
}

namespace {

// {name: summary} of each (name, metric) histogram family, `parse`d from both scrapes and
// differenced.
using ParseFamily = std::map<std::string, Buckets> (*)(std::string_view, std::string_view);
json::object FamiliesBetween(std::string_view before, std::string_view after,
                             std::initializer_list<std::pair<const char*, const char*>> families,
                             ParseFamily parse) {
  json::object out;
  for (auto [name, metric] : families) {
    out[name] = SummarizeDurations(Difference(parse(after, metric), parse(before, metric)));
  }
  return out;
}

}  // namespace

json::object ServerWatchDeliveryBetween(std::string_view before, std::string_view after) {
  return FamiliesBetween(before, after,
                         {{"delivery", "shoal_watch_delivery_seconds"},
                          {"writes", "shoal_watch_write_seconds"}},
                         ParseWatchHistogram);
}

json::object ServerStorageLatencyBetween(std::string_view before, std::string_view after) {
  return FamiliesBetween(before, after,
                         {{"store", "etcd_request_duration_seconds"},
                          {"resume", "shoal_store_resume_seconds"}},
                         ParseStorageHistogram);
}

boost::asio::awaitable<std::string> ScrapeMetrics(client::Transport& transport) {
  client::Request req = client::MakeRequest("GET", "/metrics");
  req.accept = "text/plain";
  absl::StatusOr<client::Response> r = co_await transport.Call(std::move(req));
  co_return r.ok() && r->code == 200 ? r->Text() : std::string();
}

}  // namespace shoal::bench
