// QueueController against the real ApiServer in process (client/in_process_api_for_test.h).
// The test plays the Job controller and the scheduler: it creates each started Job's pod,
// bound to the one node, and deletes the pods of a Job the controller suspends.
#include "controllers/queue_controller.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "api/object.h"
#include "base/strings.h"
#include "client/in_process_api_for_test.h"

namespace shoal::controllers {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using client::Response;
using Clock = std::chrono::steady_clock;

constexpr char kGpu[] = "nvidia.com/gpu";

class QueueControllerTest : public ::testing::Test {
 protected:
  ~QueueControllerTest() override {
    api_.Stop();
    controller_.reset();
  }

  void Create(const std::string& path, const json::object& obj) {
    Response r = api_.Call("POST", path, json::serialize(obj));
    ASSERT_EQ(r.code, 201) << path << ": " << r.Text();
  }

  // One node of 8 GPUs, one flavor, a ClusterQueue of 8 GPUs that preempts lower priorities
  // within itself, a LocalQueue, and three priority classes.
  void CreateCluster() {
    Create("/api/v1/nodes",
           json::object{{"apiVersion", "v1"}, {"kind", "Node"},
                        {"metadata", {{"name", "n1"}}},
                        {"status", {{"allocatable", {{"cpu", "96"}, {"pods", "110"}, {kGpu, "8"}}},
                                    {"capacity", {{"cpu", "96"}, {"pods", "110"}, {kGpu, "8"}}},
                                    {"conditions", json::array{{{"type", "Ready"},
                                                                {"status", "True"}}}}}}});
    Create("/apis/kueue.x-k8s.io/v1beta1/resourceflavors",
           json::object{{"apiVersion", "kueue.x-k8s.io/v1beta1"}, {"kind", "ResourceFlavor"},
                        {"metadata", {{"name", "gpu"}}}, {"spec", json::object()}});
    Create("/apis/kueue.x-k8s.io/v1beta1/clusterqueues",
           json::object{
               {"apiVersion", "kueue.x-k8s.io/v1beta1"}, {"kind", "ClusterQueue"},
               {"metadata", {{"name", "cq"}}},
               {"spec",
                {{"namespaceSelector", json::object()},
                 {"preemption", {{"withinClusterQueue", "LowerPriority"}}},
                 {"resourceGroups",
                  json::array{{{"coveredResources", json::array{kGpu}},
                               {"flavors", json::array{{{"name", "gpu"},
                                                        {"resources",
                                                         json::array{{{"name", kGpu},
                                                                      {"nominalQuota", 8}}}}}}}}}}}}});
    Create("/apis/kueue.x-k8s.io/v1beta1/namespaces/default/localqueues",
           json::object{{"apiVersion", "kueue.x-k8s.io/v1beta1"}, {"kind", "LocalQueue"},
                        {"metadata", {{"name", "lq"}, {"namespace", "default"}}},
                        {"spec", {{"clusterQueue", "cq"}}}});
    for (const auto& [name, value] : {std::pair{"low", 1}, {"mid", 5}, {"high", 10}}) {
      Create("/apis/scheduling.k8s.io/v1/priorityclasses",
             json::object{{"apiVersion", "scheduling.k8s.io/v1"}, {"kind", "PriorityClass"},
                          {"metadata", {{"name", name}}}, {"value", value}});
    }
  }

  void StartController() {
    // No defragmentation: the pods this test makes are placed at once, or not at all.
    controller_ = std::make_unique<QueueController>(
        api_.io().get_executor(), api_.transport(), std::chrono::milliseconds(50),
        std::chrono::hours(1));
    asio::post(api_.io(), [this] { controller_->Start(); });
  }

  // A queued Job of one pod of `gpus` GPUs at priority `priority`; created suspended.
  void CreateJob(const std::string& name, int gpus, const std::string& priority) {
    json::object res{{kGpu, std::to_string(gpus)}};
    Create("/apis/batch/v1/namespaces/default/jobs",
           json::object{
               {"apiVersion", "batch/v1"}, {"kind", "Job"},
               {"metadata", {{"name", name}, {"labels", {{"kueue.x-k8s.io/queue-name", "lq"}}}}},
               {"spec",
                {{"parallelism", 1}, {"completions", 1},
                 {"template",
                  {{"spec",
                    {{"restartPolicy", "Never"}, {"priorityClassName", priority},
                     {"containers",
                      json::array{{{"name", "c"}, {"image", "x"},
                                   {"resources", {{"requests", res}, {"limits", res}}}}}}}}}}}}});
  }

  json::object Job(const std::string& name) {
    json::value v = api_.Get("/apis/batch/v1/namespaces/default/jobs/" + name);
    return v.is_object() ? v.get_object() : json::object();
  }
  bool Running(const std::string& name) {  // admitted and started: unsuspended
    json::object j = Job(name);
    return !j.empty() && !api::BoolAt(j, "spec.suspend");
  }
  bool Suspended(const std::string& name) { return api::BoolAt(Job(name), "spec.suspend"); }

  // The pod the Job controller would make for a started Job, bound to n1 as the scheduler
  // would.
  void CreatePodOf(const std::string& job, int gpus) {
    json::object res{{kGpu, std::to_string(gpus)}};
    Create("/api/v1/namespaces/default/pods",
           json::object{
               {"apiVersion", "v1"}, {"kind", "Pod"},
               {"metadata",
                {{"name", job + "-0"},
                 {"labels", {{"job-name", job}}},
                 {"ownerReferences",
                  json::array{{{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"name", job},
                               {"uid", api::StringAt(Job(job), "metadata.uid")},
                               {"controller", true}}}}}},
               {"spec",
                {{"nodeName", "n1"},
                 {"restartPolicy", "Never"},
                 {"containers", json::array{{{"name", "c"}, {"image", "x"},
                                             {"resources", {{"requests", res}, {"limits", res}}}}}}}}});
  }
  void DeletePodOf(const std::string& job) {
    client::Request req = client::MakeRequest("DELETE", "/api/v1/namespaces/default/pods/" + job + "-0");
    req.query["gracePeriodSeconds"] = "0";
    Response r = api_.Call(std::move(req));
    ASSERT_EQ(r.code, 200) << r.Text();
  }

  client::InProcessApiForTest api_;
  std::unique_ptr<QueueController> controller_;
};

// e4a14d1: a workload evicted and then admitted again as a preemptor starts as soon as its
// victim's pods are gone. The start sent for its first admission, less than 5 s before, used
// to hold the new one back until the 5 s resend pace had passed and a pass came (here, with
// nothing else changing, the periodic one 30 s later: the wait below failed).
TEST_F(QueueControllerTest, AReadmittedPreemptorStartsOnceItsVictimsPodsAreGone) {
  CreateCluster();
  StartController();

  // w (8 GPUs) is admitted and started: the quota is full.
  CreateJob("w", 8, "mid");
  ASSERT_TRUE(api_.WaitFor([&] { return Running("w"); }));
  const Clock::time_point w_first_start = Clock::now();
  CreatePodOf("w", 8);

  // h (4 GPUs, higher) preempts w; it starts once w's pod is gone.
  CreateJob("h", 4, "high");
  ASSERT_TRUE(api_.WaitFor([&] { return Suspended("w"); }));
  EXPECT_FALSE(Running("h"));  // w's pod still holds the node
  DeletePodOf("w");
  ASSERT_TRUE(api_.WaitFor([&] { return Running("h"); }));
  CreatePodOf("h", 4);

  // v (4 GPUs, lower than w) fits beside h while w (8) does not: it starts.
  CreateJob("v", 4, "low");
  ASSERT_TRUE(api_.WaitFor([&] { return Running("v"); }));
  CreatePodOf("v", 4);

  // h finishes: w is admitted again by preempting v, and waits for v's pod to go.
  DeletePodOf("h");
  Response done = api_.Call(
      "PATCH", "/apis/batch/v1/namespaces/default/jobs/h/status",
      R"({"status":{"succeeded":1,"startTime":"2026-12-03T00:00:00Z",
                    "completionTime":"2026-12-03T00:00:01Z",
                    "conditions":[{"type":"SuccessCriteriaMet","status":"True"},
                                  {"type":"Complete","status":"True"}]}})",
      "application/merge-patch+json");
  ASSERT_EQ(done.code, 200) << done.Text();
  ASSERT_TRUE(api_.WaitFor([&] { return Suspended("v"); }));
  EXPECT_FALSE(Running("w"));
  DeletePodOf("v");
  const Clock::time_point victim_gone = Clock::now();
  ASSERT_TRUE(api_.WaitFor([&] { return Running("w"); }));
  const Clock::time_point w_second_start = Clock::now();

  // What this test is about can only be seen while w's first start is less than 5 s old;
  // on a machine so slow that it is not, the test shows nothing and says so.
  if (victim_gone - w_first_start >= std::chrono::seconds(4)) {
    GTEST_SKIP() << "the scenario took over 4 s: the resend pace cannot be told apart";
  }
  // With the bug, w started 5 s after its first start, not with its victim's going.
  EXPECT_LT(w_second_start, w_first_start + std::chrono::seconds(5))
      << "w started "
      << std::chrono::duration_cast<std::chrono::milliseconds>(w_second_start - victim_gone)
             .count()
      << " ms after its victim's pod went";
}

}  // namespace
}  // namespace shoal::controllers
