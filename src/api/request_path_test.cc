// ResourceOfPath: kube's RequestInfo reading of resource and subresource.
#include "api/request_path.h"

#include <gtest/gtest.h>

namespace shoal::api {
namespace {

TEST(ResourceOfPathTest, NamesResourceAndSubresource) {
  EXPECT_EQ(ResourceOfPath("/api/v1/nodes"), "nodes");
  EXPECT_EQ(ResourceOfPath("/api/v1/nodes/hollow-00001/status"), "nodes/status");
  EXPECT_EQ(ResourceOfPath("/api/v1/namespaces/team-a/pods/p-1/status"), "pods/status");
  EXPECT_EQ(ResourceOfPath("/api/v1/namespaces/team-a/pods"), "pods");
  EXPECT_EQ(ResourceOfPath("/api/v1/namespaces/team-a/events"), "events");
  EXPECT_EQ(ResourceOfPath("/api/v1/namespaces/team-a"), "namespaces");
  EXPECT_EQ(ResourceOfPath("/api/v1/namespaces"), "namespaces");
  EXPECT_EQ(ResourceOfPath("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1"),
            "leases");
  EXPECT_EQ(ResourceOfPath("/apis/batch/v1/jobs"), "jobs");
  EXPECT_EQ(ResourceOfPath("/healthz"), "");
  EXPECT_EQ(ResourceOfPath("/api/v1"), "");
}

TEST(ParseApiPathTest, NamedOrCollection) {
  EXPECT_FALSE(ParseApiPath("/api/v1/namespaces/a/pods").named);
  EXPECT_TRUE(ParseApiPath("/api/v1/namespaces/a/pods/p").named);
  EXPECT_TRUE(ParseApiPath("/api/v1/namespaces/a").named);  // the namespace itself
  EXPECT_FALSE(ParseApiPath("/api/v1/namespaces").named);
  ApiPath status = ParseApiPath("/apis/batch/v1/namespaces/a/jobs/j/status");
  EXPECT_EQ(status.resource, "jobs");
  EXPECT_EQ(status.subresource, "status");
  EXPECT_TRUE(status.named);
  EXPECT_EQ(status.group, "batch");
  EXPECT_EQ(status.ns, "a");
  ApiPath ns = ParseApiPath("/api/v1/namespaces/a");
  EXPECT_EQ(ns.resource, "namespaces");
  EXPECT_EQ(ns.ns, "");
  EXPECT_EQ(ns.group, "");
  EXPECT_EQ(ParseApiPath("/openapi/v2").resource, "");
}

}  // namespace
}  // namespace shoal::api
