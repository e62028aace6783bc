// server_metrics: reading apiserver_request_duration_seconds from /metrics text, the
// difference of two scrapes, and histogram_quantile's interpolation.
#include "bench/server_metrics.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace shoal::bench {
namespace {

constexpr char kBefore[] = R"(# HELP apiserver_request_duration_seconds x
# TYPE apiserver_request_duration_seconds histogram
apiserver_request_duration_seconds_bucket{resource="leases",subresource="",verb="PATCH",le="0.005"} 10
apiserver_request_duration_seconds_bucket{resource="leases",subresource="",verb="PATCH",le="0.025"} 10
apiserver_request_duration_seconds_bucket{resource="leases",subresource="",verb="PATCH",le="+Inf"} 10
apiserver_request_duration_seconds_count{resource="leases",subresource="",verb="PATCH"} 10
apiserver_request_total{code="200",resource="leases",subresource="",verb="PATCH"} 10
)";
constexpr char kAfter[] = R"(apiserver_request_duration_seconds_bucket{resource="leases",subresource="",verb="PATCH",le="0.005"} 60
apiserver_request_duration_seconds_bucket{resource="leases",subresource="",verb="PATCH",le="0.025"} 110
apiserver_request_duration_seconds_bucket{resource="leases",subresource="",verb="PATCH",le="+Inf"} 110
apiserver_request_duration_seconds_bucket{resource="nodes",subresource="status",verb="PATCH",le="0.005"} 0
apiserver_request_duration_seconds_bucket{resource="nodes",subresource="status",verb="PATCH",le="0.025"} 0
apiserver_request_duration_seconds_bucket{resource="nodes",subresource="status",verb="PATCH",le="+Inf"} 4
)";

TEST(ServerMetricsTest, ParsesDifferencesAndInterpolates) {
  auto before = ParseRequestDurations(kBefore);
  ASSERT_EQ(before.size(), 1u);
  ASSERT_EQ(before.at("PATCH leases").size(), 3u);
  auto window = Difference(ParseRequestDurations(kAfter), before);
  ASSERT_EQ(window.size(), 2u);
  const Buckets& leases = window.at("PATCH leases");
  EXPECT_EQ(leases[0].second, 50u);
  EXPECT_EQ(leases[1].second, 100u);
  EXPECT_EQ(leases[2].second, 100u);
  // 50 of 100 at most 5 ms, the other 50 in (5, 25] ms.
  EXPECT_DOUBLE_EQ(QuantileSeconds(leases, 0.5), 0.005);
  EXPECT_NEAR(QuantileSeconds(leases, 0.99), 0.005 + 0.020 * 49 / 50, 1e-9);
  EXPECT_NEAR(QuantileSeconds(leases, 0.25), 0.0025, 1e-9);
  // Everything past the last finite bound: that bound.
  EXPECT_DOUBLE_EQ(QuantileSeconds(window.at("PATCH nodes/status"), 0.99), 0.025);
  EXPECT_EQ(QuantileSeconds(Buckets{}, 0.5), -1);

  boost::json::object s = SummarizeDurations(window);
  EXPECT_EQ(s.at("PATCH leases").at("count").to_number<int64_t>(), 100);
  EXPECT_NEAR(s.at("PATCH leases").at("p99_ms").to_number<double>(), 24.6, 1e-6);
}

constexpr char kWatch[] = R"(apiserver_request_duration_seconds_bucket{resource="pods",subresource="",verb="POST",le="+Inf"} 7
shoal_watch_delivery_seconds_bucket{resource="pods",scope="namespace",le="0.005"} 90
shoal_watch_delivery_seconds_bucket{resource="pods",scope="namespace",le="0.025"} 99
shoal_watch_delivery_seconds_bucket{resource="pods",scope="namespace",le="+Inf"} 100
shoal_watch_delivery_seconds_count{resource="pods",scope="namespace"} 100
shoal_watch_write_seconds_bucket{resource="pods",scope="namespace",le="0.005"} 3
shoal_watch_write_seconds_bucket{resource="pods",scope="namespace",le="0.025"} 3
shoal_watch_write_seconds_bucket{resource="pods",scope="namespace",le="+Inf"} 4
shoal_watch_delivery_seconds_bucket{resource="pods",scope="selector",le="0.005"} 0
shoal_watch_delivery_seconds_bucket{resource="pods",scope="selector",le="0.025"} 0
shoal_watch_delivery_seconds_bucket{resource="pods",scope="selector",le="+Inf"} 0
)";

TEST(ServerMetricsTest, WatchDeliveryBySourceAndScopeApartFromRequestDurations) {
  auto delivery = ParseWatchHistogram(kWatch, "shoal_watch_delivery_seconds");
  ASSERT_EQ(delivery.size(), 2u);
  EXPECT_EQ(delivery.at("pods namespace").back().second, 100u);
  EXPECT_EQ(ParseRequestDurations(kWatch).size(), 1u);  // the POST only
  EXPECT_TRUE(ParseWatchHistogram(kBefore, "shoal_watch_delivery_seconds").empty());

  boost::json::object s = ServerWatchDeliveryBetween("", kWatch);
  const boost::json::object& d = s.at("delivery").as_object();
  ASSERT_EQ(d.size(), 1u);  // the empty selector series is left out
  EXPECT_EQ(d.at("pods namespace").at("count").to_number<int64_t>(), 100);
  EXPECT_NEAR(d.at("pods namespace").at("p99_ms").to_number<double>(), 25.0, 1e-6);
  const boost::json::object& w = s.at("writes").as_object();
  EXPECT_EQ(w.at("pods namespace").at("count").to_number<int64_t>(), 4);
  // A server without these families (kube-apiserver): empty summaries.
  boost::json::object none = ServerWatchDeliveryBetween(kBefore, kAfter);
  EXPECT_TRUE(none.at("delivery").as_object().empty());
  EXPECT_TRUE(none.at("writes").as_object().empty());
}

constexpr char kStorageBefore[] = R"(etcd_request_duration_seconds_bucket{operation="update",type="leases.coordination.k8s.io",le="0.005"} 10
etcd_request_duration_seconds_bucket{operation="update",type="leases.coordination.k8s.io",le="0.025"} 10
etcd_request_duration_seconds_bucket{operation="update",type="leases.coordination.k8s.io",le="+Inf"} 10
)";
constexpr char kStorageAfter[] = R"(etcd_request_duration_seconds_bucket{operation="update",type="leases.coordination.k8s.io",le="0.005"} 10
etcd_request_duration_seconds_bucket{operation="update",type="leases.coordination.k8s.io",le="0.025"} 110
etcd_request_duration_seconds_bucket{operation="update",type="leases.coordination.k8s.io",le="+Inf"} 110
etcd_request_duration_seconds_bucket{operation="create",type="pods",le="0.005"} 4
etcd_request_duration_seconds_bucket{operation="create",type="pods",le="0.025"} 4
etcd_request_duration_seconds_bucket{operation="create",type="pods",le="+Inf"} 4
shoal_store_resume_seconds_bucket{operation="create",type="pods",le="0.005"} 2
shoal_store_resume_seconds_bucket{operation="create",type="pods",le="0.025"} 4
shoal_store_resume_seconds_bucket{operation="create",type="pods",le="+Inf"} 4
apiserver_request_duration_seconds_bucket{resource="pods",subresource="",verb="POST",le="+Inf"} 7
)";

TEST(ServerMetricsTest, StorageByOperationAndTypeDifferenced) {
  auto store = ParseStorageHistogram(kStorageAfter, "etcd_request_duration_seconds");
  ASSERT_EQ(store.size(), 2u);  // the resume and request families are not mixed in
  EXPECT_EQ(store.at("create pods").back().second, 4u);
  boost::json::object s = ServerStorageLatencyBetween(kStorageBefore, kStorageAfter);
  const boost::json::object& st = s.at("store").as_object();
  const boost::json::object& lease = st.at("update leases.coordination.k8s.io").as_object();
  EXPECT_EQ(lease.at("count").to_number<int64_t>(), 100);  // 110 less the 10 before
  EXPECT_NEAR(lease.at("p50_ms").to_number<double>(), 15.0, 1e-6);  // within 5-25 ms
  const boost::json::object& resume = s.at("resume").as_object();
  ASSERT_EQ(resume.size(), 1u);
  EXPECT_NEAR(resume.at("create pods").at("p50_ms").to_number<double>(), 5.0, 1e-6);
  // A server without these families: empty summaries.
  boost::json::object none = ServerStorageLatencyBetween(kBefore, kAfter);
  EXPECT_TRUE(none.at("store").as_object().empty());
  EXPECT_TRUE(none.at("resume").as_object().empty());
}

}  // namespace
}  // namespace shoal::bench
