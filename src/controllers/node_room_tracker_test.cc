#include "controllers/node_room_tracker.h"

#include <boost/json.hpp>

#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::controllers {
namespace {

namespace json = boost::json;
using client::InformerEvent;

InformerEvent Event(const char* text, InformerEvent::Type type = InformerEvent::Type::kAdded) {
  return InformerEvent(type, json::parse(text).as_object());
}

TEST(NodeRoomTrackerTest, WorkloadKeysOfJobPodsQueuedPodsAndGroups) {
  EXPECT_EQ(WorkloadKeyOfPod(json::parse(R"({"metadata":{"namespace":"t","name":"j-x",
      "ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"j",
                          "uid":"0a1b2c3d-9999"}]}})").as_object()),
            "t/job-j-0a1b2");
  EXPECT_EQ(WorkloadKeyOfPod(json::parse(R"({"metadata":{"namespace":"t","name":"p",
      "uid":"ffee0011","labels":{"kueue.x-k8s.io/queue-name":"q"}}})").as_object()),
            "t/pod-p-ffee0");
  EXPECT_EQ(WorkloadKeyOfPod(json::parse(R"({"metadata":{"namespace":"t","name":"p",
      "labels":{"kueue.x-k8s.io/queue-name":"q","scheduling.x-k8s.io/pod-group":"g"}}})")
                                 .as_object()),
            "t/podgroup-g");
  EXPECT_EQ(WorkloadKeyOfPod(json::parse(R"({"metadata":{"namespace":"t","name":"p"}})")
                                 .as_object()),
            "");
}

TEST(NodeRoomTrackerTest, RoomsSubtractBoundLivePodsAndSkipUnschedulableNodes) {
  NodeRoomTracker t;
  t.OnNode(Event(R"({"metadata":{"name":"n1","labels":{"pool":"a"}},
      "spec":{"taints":[{"key":"team","value":"b","effect":"NoSchedule"}]},
      "status":{"allocatable":{"nvidia.com/gpu":"8","cpu":"96"}}})"));
  t.OnNode(Event(R"({"metadata":{"name":"n2"},"spec":{"unschedulable":true},
      "status":{"allocatable":{"nvidia.com/gpu":"8"}}})"));
  const char* job_pod = R"({"metadata":{"namespace":"t","name":"j-1",
      "ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"j","uid":"abcde"}]},
      "spec":{"nodeName":"n1","containers":[{"name":"c","resources":{"requests":
        {"nvidia.com/gpu":"3","cpu":"500m"}}}]},"status":{"phase":"Running"}})";
  EXPECT_FALSE(t.OnPod(Event(job_pod)));
  // Another pod, not queued: it takes room but belongs to no Workload.
  t.OnPod(Event(R"({"metadata":{"namespace":"t","name":"other"},
      "spec":{"nodeName":"n1","containers":[{"name":"c","resources":{"requests":
        {"nvidia.com/gpu":"1"}}}]}})"));
  // Pending (no node), finished and deleting pods hold no room.
  t.OnPod(Event(R"({"metadata":{"namespace":"t","name":"pending"},
      "spec":{"containers":[{"name":"c","resources":{"requests":{"nvidia.com/gpu":"1"}}}]}})"));
  t.OnPod(Event(R"({"metadata":{"namespace":"t","name":"done"},"spec":{"nodeName":"n1",
      "containers":[{"name":"c","resources":{"requests":{"nvidia.com/gpu":"1"}}}]},
      "status":{"phase":"Succeeded"}})"));
  t.OnPod(Event(R"({"metadata":{"namespace":"t","name":"going",
      "deletionTimestamp":"2026-12-03T00:00:00Z"},"spec":{"nodeName":"n1",
      "containers":[{"name":"c","resources":{"requests":{"nvidia.com/gpu":"1"}}}]}})"));
  std::vector<NodeRoom> rooms = t.Rooms();
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].name, "n1");
  EXPECT_EQ(rooms[0].labels.at("pool"), "a");
  ASSERT_EQ(rooms[0].taints.size(), 1u);
  EXPECT_EQ(rooms[0].free.at("nvidia.com/gpu"), 4);
  EXPECT_EQ(rooms[0].free.at("cpu"), 95500);
  ASSERT_EQ(rooms[0].held.size(), 1u);
  EXPECT_EQ(rooms[0].held.at("t/job-j-abcde").at("nvidia.com/gpu"), 3);
  EXPECT_EQ(t.pods_for_test(), 2u);
  // The Job's pod goes: its room comes back.
  EXPECT_TRUE(t.OnPod(Event(job_pod, InformerEvent::Type::kDeleted)));
  rooms = t.Rooms();
  EXPECT_EQ(rooms[0].free.at("nvidia.com/gpu"), 7);
  EXPECT_TRUE(rooms[0].held.empty());
}

TEST(NodeRoomTrackerTest, PlacedPodsCountBoundPodsFinishedOrNotUntilDeleted) {
  NodeRoomTracker t;
  auto pod = [](const char* name, const char* node, const char* phase) {
    return base::StrCat(R"({"metadata":{"namespace":"t","name":")", name, R"(",
        "ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"g","uid":"abcde"}]},
        "spec":{)", node[0] ? base::StrCat(R"("nodeName":")", node, R"(",)") : "",
                        R"("containers":[{"name":"c"}]},"status":{"phase":")", phase, R"("}})");
  };
  const std::string wl = "t/job-g-abcde";
  t.OnPod(Event(pod("g-0", "", "Pending").c_str()));
  EXPECT_EQ(t.PlacedPods(wl), 0);  // not bound yet
  t.OnPod(Event(pod("g-0", "n1", "Pending").c_str(), InformerEvent::Type::kModified));
  t.OnPod(Event(pod("g-0", "n1", "Running").c_str(), InformerEvent::Type::kModified));
  t.OnPod(Event(pod("g-1", "n2", "Running").c_str()));
  EXPECT_EQ(t.PlacedPods(wl), 2);
  // A finished pod no longer holds room but was placed: its workload is not waiting for it.
  t.OnPod(Event(pod("g-1", "n2", "Succeeded").c_str(), InformerEvent::Type::kModified));
  EXPECT_EQ(t.PlacedPods(wl), 2);
  t.OnPod(Event(pod("g-1", "n2", "Succeeded").c_str(), InformerEvent::Type::kDeleted));
  t.OnPod(Event(pod("g-0", "n1", "Running").c_str(), InformerEvent::Type::kDeleted));
  EXPECT_EQ(t.PlacedPods(wl), 0);
  EXPECT_EQ(t.PlacedPods("t/other"), 0);
}

TEST(NodeRoomTrackerTest, AnEvictedWorkloadsPodsHoldNoRoomBeforeTheirDeletionIsSeen) {
  NodeRoomTracker t;
  t.OnNode(Event(R"({"metadata":{"name":"n1"},"status":{"allocatable":{"nvidia.com/gpu":"8"}}})"));
  const char* pod = R"({"metadata":{"namespace":"t","name":"j-0",
      "ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"j","uid":"abcde"}]},
      "spec":{"nodeName":"n1","containers":[{"name":"c","resources":{"requests":
        {"nvidia.com/gpu":"3"}}}]},"status":{"phase":"Running"}})";
  t.OnPod(Event(pod));
  EXPECT_EQ(t.Rooms()[0].free.at("nvidia.com/gpu"), 5);
  EXPECT_EQ(t.GoingPods("t/job-j-abcde"), 0);
  // A finished pod of the same workload holds no room and is not waited for: suspending its
  // Job does not delete it.
  const char* done = R"({"metadata":{"namespace":"t","name":"j-1",
      "ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"j","uid":"abcde"}]},
      "spec":{"nodeName":"n1","containers":[{"name":"c","resources":{"requests":
        {"nvidia.com/gpu":"3"}}}]},"status":{"phase":"Succeeded"}})";
  t.OnPod(Event(done));
  EXPECT_EQ(t.PlacedPods("t/job-j-abcde"), 2);
  t.Evicted("t/job-j-abcde");
  EXPECT_EQ(t.Rooms()[0].free.at("nvidia.com/gpu"), 8);
  EXPECT_EQ(t.PlacedPods("t/job-j-abcde"), 0);
  EXPECT_EQ(t.GoingPods("t/job-j-abcde"), 1);
  // Later events of the old pod (before its deletion) do not bring its room back.
  EXPECT_FALSE(t.OnPod(Event(pod, InformerEvent::Type::kModified)));
  EXPECT_EQ(t.Rooms()[0].free.at("nvidia.com/gpu"), 8);
  EXPECT_EQ(t.GoingPods("t/job-j-abcde"), 1);
  // Its deletion is news: the node really has the room now.
  EXPECT_TRUE(t.OnPod(Event(pod, InformerEvent::Type::kDeleted)));
  EXPECT_EQ(t.pods_for_test(), 0u);
  EXPECT_EQ(t.GoingPods("t/job-j-abcde"), 0);

  // A pod that finishes after its workload's eviction is not waited for either (nothing
  // deletes it); its later deletion is no news.
  t.OnPod(Event(pod));
  t.Evicted("t/job-j-abcde");
  EXPECT_EQ(t.GoingPods("t/job-j-abcde"), 1);
  std::string finished(pod);
  finished.replace(finished.find("Running"), 7, "Succeeded");
  EXPECT_TRUE(t.OnPod(Event(finished.c_str(), InformerEvent::Type::kModified)));
  EXPECT_EQ(t.GoingPods("t/job-j-abcde"), 0);
  EXPECT_EQ(t.Rooms()[0].free.at("nvidia.com/gpu"), 8);
  EXPECT_FALSE(t.OnPod(Event(finished.c_str(), InformerEvent::Type::kDeleted)));
  EXPECT_EQ(t.GoingPods("t/job-j-abcde"), 0);
}

TEST(NodeRoomTrackerTest, SucceededPodsCountDistinctIndexesUntilDeleted) {
  NodeRoomTracker t;
  auto pod = [](const char* name, const char* index, const char* phase, const char* node) {
    std::string labels = "{}";
    if (index[0] != 0) {
      labels = base::StrCat(R"({"batch.kubernetes.io/job-completion-index":")", index, R"("})");
    }
    return base::StrCat(R"({"metadata":{"namespace":"t","name":")", name, R"(","labels":)", labels,
                        R"(,"ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"j",
        "uid":"abcde"}]},"spec":{"nodeName":")", node, R"(","containers":[{"name":"c"}]},
        "status":{"phase":")", phase, R"("}})");
  };
  auto event = [](const std::string& text, InformerEvent::Type type) {
    return InformerEvent{type, json::parse(text).as_object()};
  };
  const auto added = InformerEvent::Type::kAdded, modified = InformerEvent::Type::kModified,
             deleted = InformerEvent::Type::kDeleted;
  const std::string wl = "t/job-j-abcde";
  t.OnPod(event(pod("j-0", "0", "Running", "n1"), added));
  EXPECT_EQ(t.SucceededPods(wl), 0);
  t.OnPod(event(pod("j-0", "0", "Succeeded", "n1"), modified));
  t.OnPod(event(pod("j-0", "0", "Succeeded", "n1"), modified));  // seen again: counted once
  EXPECT_EQ(t.SucceededPods(wl), 1);
  // A second pod of the same index (a retry that also succeeded) covers no new index.
  t.OnPod(event(pod("j-0b", "0", "Succeeded", "n2"), added));
  t.OnPod(event(pod("j-1", "1", "Failed", "n1"), added));
  EXPECT_EQ(t.SucceededPods(wl), 1);
  t.OnPod(event(pod("j-1b", "1", "Succeeded", "n2"), added));
  EXPECT_EQ(t.SucceededPods(wl), 2);
  // A pod that never ran on a node does not count.
  t.OnPod(event(pod("j-2", "2", "Succeeded", ""), added));
  EXPECT_EQ(t.SucceededPods(wl), 2);
  t.OnPod(event(pod("j-1b", "1", "Succeeded", "n2"), deleted));
  EXPECT_EQ(t.SucceededPods(wl), 1);
  // NonIndexed pods count one by one.
  t.OnPod(event(pod("k-a", "", "Succeeded", "n1"), added));
  t.OnPod(event(pod("k-b", "", "Succeeded", "n1"), added));
  EXPECT_EQ(t.SucceededPods(wl), 3);
  EXPECT_EQ(t.SucceededPods("t/job-other-00000"), 0);
}

}  // namespace
}  // namespace shoal::controllers
