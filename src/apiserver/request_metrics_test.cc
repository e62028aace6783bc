// RequestMetrics: kube's verb labels, one counter per verb, resource, subresource and code,
// cumulative histogram buckets with kube's bounds, and Prometheus' text format.
#include "apiserver/request_metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace shoal::apiserver {
namespace {

using std::chrono::milliseconds;

Request Req(std::string method, std::string path, std::string content_type = "") {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.content_type = std::move(content_type);
  return r;
}

std::string Verb(const Request& r, bool watch) {
  return MetricsVerb(r, api::ParseApiPath(r.path), watch);
}

TEST(MetricsVerbTest, KubesVerbs) {
  EXPECT_EQ(Verb(Req("GET", "/api/v1/namespaces/a/pods"), false), "LIST");
  EXPECT_EQ(Verb(Req("GET", "/api/v1/pods"), false), "LIST");
  EXPECT_EQ(Verb(Req("GET", "/api/v1/namespaces/a/pods/p"), false), "GET");
  EXPECT_EQ(Verb(Req("GET", "/api/v1/namespaces/a"), false), "GET");
  EXPECT_EQ(Verb(Req("GET", "/api/v1/namespaces"), false), "LIST");
  EXPECT_EQ(Verb(Req("GET", "/api/v1/nodes/n1/status"), false), "GET");
  EXPECT_EQ(Verb(Req("GET", "/apis"), false), "GET");  // discovery
  EXPECT_EQ(Verb(Req("GET", "/api/v1/pods"), true), "WATCH");
  EXPECT_EQ(Verb(Req("PATCH", "/api/v1/nodes/n1", "application/apply-patch+yaml"), false),
            "APPLY");
  EXPECT_EQ(Verb(Req("PATCH", "/api/v1/nodes/n1", "application/merge-patch+json"), false),
            "PATCH");
  EXPECT_EQ(Verb(Req("POST", "/api/v1/namespaces/a/pods"), false), "POST");
  EXPECT_EQ(Verb(Req("DELETE", "/api/v1/namespaces/a/pods"), false), "DELETE");
}

TEST(RequestMetricsTest, CountsByCodeAndBucketsCumulatively) {
  RequestMetrics m;
  const api::ApiPath lease =
      api::ParseApiPath("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1");
  m.Record("PATCH", lease, 200, milliseconds(3));    // le 0.005
  m.Record("PATCH", lease, 200, milliseconds(30));   // le 0.05
  m.Record("PATCH", lease, 429, milliseconds(700));  // le 0.8
  m.Record("PATCH", lease, 200, std::chrono::seconds(90));  // past 60: +Inf only
  m.Record("PATCH", api::ParseApiPath("/api/v1/nodes/n1/status"), 200, milliseconds(1));
  m.Record("WATCH", api::ParseApiPath("/api/v1/pods"), 200, {}, /*record_duration=*/false);
  std::string text;
  m.AppendText(&text);
  auto has = [&](const std::string& line) {
    return text.find(line + "\n") != std::string::npos;
  };
  EXPECT_TRUE(has("# TYPE apiserver_request_total counter")) << text;
  EXPECT_TRUE(has("# TYPE apiserver_request_duration_seconds histogram"));
  EXPECT_TRUE(has(
      R"(apiserver_request_total{code="200",resource="leases",subresource="",verb="PATCH"} 3)"))
      << text;
  EXPECT_TRUE(has(
      R"(apiserver_request_total{code="429",resource="leases",subresource="",verb="PATCH"} 1)"));
  EXPECT_TRUE(has(
      R"(apiserver_request_total{code="200",resource="nodes",subresource="status",verb="PATCH"} 1)"));
  EXPECT_TRUE(has(
      R"(apiserver_request_total{code="200",resource="pods",subresource="",verb="WATCH"} 1)"));
  const std::string l = R"(resource="leases",subresource="",verb="PATCH")";
  EXPECT_TRUE(has("apiserver_request_duration_seconds_bucket{" + l + R"(,le="0.005"} 1)")) << text;
  EXPECT_TRUE(has("apiserver_request_duration_seconds_bucket{" + l + R"(,le="0.025"} 1)"));
  EXPECT_TRUE(has("apiserver_request_duration_seconds_bucket{" + l + R"(,le="0.05"} 2)"));
  EXPECT_TRUE(has("apiserver_request_duration_seconds_bucket{" + l + R"(,le="0.6"} 2)"));
  EXPECT_TRUE(has("apiserver_request_duration_seconds_bucket{" + l + R"(,le="0.8"} 3)"));
  EXPECT_TRUE(has("apiserver_request_duration_seconds_bucket{" + l + R"(,le="60"} 3)"));
  EXPECT_TRUE(has("apiserver_request_duration_seconds_bucket{" + l + R"(,le="+Inf"} 4)"));
  EXPECT_TRUE(has("apiserver_request_duration_seconds_count{" + l + "} 4"));
  EXPECT_NE(text.find("apiserver_request_duration_seconds_sum{" + l + "} 90.73"),
            std::string::npos)
      << text;
  // A watch's duration is not recorded.
  EXPECT_EQ(text.find(R"(verb="WATCH",le=)"), std::string::npos);
}

TEST(RequestMetricsTest, WatchDeliveryAndWritesByResourceAndScope) {
  RequestMetrics m;
  m.RecordWatchBatch("pods", "namespace", {0.002, 0.03, 2.5}, 0.001);
  m.RecordWatchBatch("pods", "selector", {}, 0.7);  // a batch of initial events only
  std::string text;
  m.AppendText(&text);
  auto has = [&](const std::string& line) {
    return text.find(line + "\n") != std::string::npos;
  };
  EXPECT_TRUE(has("# TYPE shoal_watch_delivery_seconds histogram")) << text;
  EXPECT_TRUE(has("# TYPE shoal_watch_write_seconds histogram"));
  const std::string ns = R"(resource="pods",scope="namespace")";
  EXPECT_TRUE(has("shoal_watch_delivery_seconds_bucket{" + ns + R"(,le="0.005"} 1)")) << text;
  EXPECT_TRUE(has("shoal_watch_delivery_seconds_bucket{" + ns + R"(,le="0.05"} 2)"));
  EXPECT_TRUE(has("shoal_watch_delivery_seconds_bucket{" + ns + R"(,le="2"} 2)"));
  EXPECT_TRUE(has("shoal_watch_delivery_seconds_bucket{" + ns + R"(,le="3"} 3)"));
  EXPECT_TRUE(has("shoal_watch_delivery_seconds_count{" + ns + "} 3"));
  EXPECT_TRUE(has("shoal_watch_write_seconds_count{" + ns + "} 1"));
  const std::string sel = R"(resource="pods",scope="selector")";
  EXPECT_TRUE(has("shoal_watch_delivery_seconds_count{" + sel + "} 0"));
  EXPECT_TRUE(has("shoal_watch_write_seconds_bucket{" + sel + R"(,le="0.6"} 0)"));
  EXPECT_TRUE(has("shoal_watch_write_seconds_bucket{" + sel + R"(,le="0.8"} 1)"));
}

TEST(RequestMetricsTest, StorageCallsByOperationAndType) {
  using std::chrono::milliseconds;
  RequestMetrics m;
  m.RecordStorage("update", "leases.coordination.k8s.io", milliseconds(30), milliseconds(20));
  m.RecordStorage("update", "leases.coordination.k8s.io", milliseconds(3), milliseconds(1));
  m.RecordStorage("create", "pods", milliseconds(700), milliseconds(0));
  std::string text;
  m.AppendText(&text);
  auto has = [&](const std::string& line) {
    return text.find(line + "\n") != std::string::npos;
  };
  EXPECT_TRUE(has("# TYPE etcd_request_duration_seconds histogram")) << text;
  EXPECT_TRUE(has("# TYPE shoal_store_resume_seconds histogram"));
  const std::string lease = R"(operation="update",type="leases.coordination.k8s.io")";
  EXPECT_TRUE(has("etcd_request_duration_seconds_bucket{" + lease + R"(,le="0.005"} 1)"))
      << text;
  EXPECT_TRUE(has("etcd_request_duration_seconds_bucket{" + lease + R"(,le="0.025"} 1)"));
  EXPECT_TRUE(has("etcd_request_duration_seconds_bucket{" + lease + R"(,le="0.05"} 2)"));
  EXPECT_TRUE(has("etcd_request_duration_seconds_count{" + lease + "} 2"));
  EXPECT_TRUE(has("shoal_store_resume_seconds_bucket{" + lease + R"(,le="0.005"} 1)"));
  EXPECT_TRUE(has("shoal_store_resume_seconds_bucket{" + lease + R"(,le="0.025"} 2)"));
  const std::string pods = R"(operation="create",type="pods")";
  EXPECT_TRUE(has("etcd_request_duration_seconds_bucket{" + pods + R"(,le="0.6"} 0)"));
  EXPECT_TRUE(has("etcd_request_duration_seconds_bucket{" + pods + R"(,le="0.8"} 1)"));
  EXPECT_TRUE(has("shoal_store_resume_seconds_count{" + pods + "} 1"));
  // The request families are still there, empty.
  EXPECT_TRUE(has("# TYPE apiserver_request_duration_seconds histogram"));
}

TEST(RequestMetricsTest, LongRunningGaugeCountsOpenWatches) {
  RequestMetrics m;
  const api::ApiPath pods = api::ParseApiPath("/api/v1/namespaces/a/pods");
  const api::ApiPath nodes = api::ParseApiPath("/api/v1/nodes");
  m.LongRunningStarted("WATCH", pods);
  m.LongRunningStarted("WATCH", pods);
  m.LongRunningStarted("WATCH", nodes);
  m.LongRunningEnded("WATCH", pods);
  std::string text;
  m.AppendText(&text);
  EXPECT_NE(text.find("# TYPE apiserver_longrunning_requests gauge\n"), std::string::npos);
  EXPECT_NE(text.find("apiserver_longrunning_requests{resource=\"pods\",subresource=\"\","
                      "verb=\"WATCH\"} 1\n"),
            std::string::npos)
      << text;
  m.LongRunningEnded("WATCH", nodes);
  text.clear();
  m.AppendText(&text);
  EXPECT_NE(text.find("apiserver_longrunning_requests{resource=\"nodes\",subresource=\"\","
                      "verb=\"WATCH\"} 0\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace shoal::apiserver
