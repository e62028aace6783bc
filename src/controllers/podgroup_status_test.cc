// PodGroup phase and counts from member pods.
#include "controllers/podgroup_status.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace shoal::controllers {
namespace {

namespace json = boost::json;

PodGroupCounts Count(std::initializer_list<std::pair<const char*, const char*>> members) {
  PodGroupCounts c;
  for (const auto& [node, phase] : members) {
    json::object pod{{"spec", json::object{{"nodeName", node}}},
                     {"status", json::object{{"phase", phase}}}};
    CountMember(pod, c);
  }
  return c;
}

TEST(PodGroupStatus, CountsMembersByNodeAndPhase) {
  PodGroupCounts c = Count({{"", "Pending"}, {"n1", "Pending"}, {"n1", "Running"},
                            {"n2", "Succeeded"}, {"n2", "Failed"}});
  EXPECT_EQ(c.pending, 2);
  EXPECT_EQ(c.scheduled, 2);  // bound and not finished
  EXPECT_EQ(c.running, 1);
  EXPECT_EQ(c.succeeded, 1);
  EXPECT_EQ(c.failed, 1);
}

TEST(PodGroupStatus, PhaseFollowsTheGang) {
  EXPECT_EQ(PodGroupPhase(Count({{"", "Pending"}, {"", "Pending"}}), 2), "Pending");
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Pending"}, {"", "Pending"}}), 2), "Pending");
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Pending"}, {"n2", "Pending"}}), 2), "Scheduled");
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Running"}, {"n2", "Pending"}}), 2), "Scheduled");
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Running"}, {"n2", "Running"}}), 2), "Running");
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Running"}, {"n2", "Succeeded"}}), 2), "Running");
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Succeeded"}, {"n2", "Succeeded"}}), 2), "Succeeded");
  // A failed member while others still run: still Running; once nothing is left to run and
  // fewer than minMember succeeded: Failed.
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Failed"}, {"n2", "Running"}, {"n3", "Running"}}), 2),
            "Running");
  EXPECT_EQ(PodGroupPhase(Count({{"n1", "Failed"}, {"n2", "Succeeded"}}), 2), "Failed");
  EXPECT_EQ(PodGroupPhase(Count({}), 1), "Pending");
}

}  // namespace
}  // namespace shoal::controllers
