#include "controllers/queue_quota.h"

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shoal::controllers {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kGpu[] = "nvidia.com/gpu";

ClusterQueueSpec Queue(std::string name, int64_t gpus, std::string cohort = "",
                       std::string flavor = "h100") {
  ClusterQueueSpec q;
  q.name = std::move(name);
  q.cohort = std::move(cohort);
  ResourceGroup g;
  g.covered = {kGpu};
  FlavorQuotas f;
  f.flavor = std::move(flavor);
  f.resources[kGpu].nominal = gpus;
  g.flavors.push_back(f);
  q.groups.push_back(g);
  return q;
}

std::map<std::string, ResourceFlavorSpec> Flavors(std::vector<std::string> names = {"h100"}) {
  std::map<std::string, ResourceFlavorSpec> out;
  for (std::string& n : names) out[n].name = n;
  return out;
}

// A workload of `pods` pods of `gpus_per_pod` GPUs, created at second `t`.
WorkloadInfo Work(std::string key, std::string cq, int32_t pods, int64_t gpus_per_pod, int t,
                  int32_t priority = 0) {
  WorkloadInfo w;
  w.key = std::move(key);
  w.cluster_queue = std::move(cq);
  w.priority = priority;
  w.created = base::StrCat("2026-12-03T00:00:", t < 10 ? "0" : "", t, "Z");
  PodSet ps;
  ps.name = "main";
  ps.count = pods;
  ps.per_pod[kGpu] = gpus_per_pod;
  w.pod_sets.push_back(ps);
  return w;
}

void Admit(WorkloadInfo& w, const std::string& flavor, int t) {
  Assignment a;
  for (const PodSet& ps : w.pod_sets) {
    for (const auto& [r, v] : ps.per_pod) {
      a.flavors[ps.name][r] = flavor;
      a.usage[flavor][r] += v * ps.count;
    }
  }
  w.admitted = a;
  w.admitted_at = base::StrCat("2026-12-03T01:00:", t < 10 ? "0" : "", t, "Z");
}

std::vector<std::string> Admitted(const Decisions& d) {
  std::vector<std::string> out;
  for (const auto& a : d.admit) out.push_back(a.workload);
  return out;
}

std::vector<std::string> Keys(const std::map<std::string, std::string>& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

TEST(QueueQuotaTest, AmountsAndPodRequests) {
  EXPECT_EQ(AmountOf("cpu", json::value("1500m")).value(), 1500);
  EXPECT_EQ(AmountOf("memory", json::value("36Gi")).value(), int64_t{36} << 30);
  EXPECT_EQ(AmountOf(kGpu, json::value(8)).value(), 8);
  EXPECT_FALSE(AmountOf("cpu", json::value("lots")).ok());
  EXPECT_EQ(AmountText("cpu", 1500), "1500m");
  EXPECT_EQ(AmountText(kGpu, 256), "256");
  json::object spec = json::parse(R"({"containers":[
      {"name":"a","resources":{"requests":{"cpu":"1","nvidia.com/gpu":"4"}}},
      {"name":"b","resources":{"requests":{"cpu":"500m"}}}],
    "initContainers":[{"name":"i","resources":{"requests":{"cpu":"2","memory":"1Gi"}}}]})")
                          .as_object();
  EXPECT_EQ(PodRequests(spec),
            (ResourceAmounts{{"cpu", 2000}, {"memory", int64_t{1} << 30}, {kGpu, 4}}));
}

TEST(QueueQuotaTest, TheFifthEightGpuJobOfA32GpuTeamWaits) {
  std::map<std::string, ClusterQueueSpec> queues{{"team-a", Queue("team-a", 32)}};
  std::vector<WorkloadInfo> ws;
  for (int i = 0; i < 5; ++i) ws.push_back(Work(base::StrCat("ns/j", i), "team-a", 1, 8, i));
  Decisions d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(Admitted(d), ElementsAre("ns/j0", "ns/j1", "ns/j2", "ns/j3"));
  EXPECT_EQ(d.admit[0].assignment.flavors.at("main").at(kGpu), "h100");
  EXPECT_EQ(d.waiting.at("ns/j4"),
            "couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu in "
            "flavor h100: 8 requested, 0 available in ClusterQueue");
  // One finishes (it is no longer in the list): the fifth is admitted.
  for (int i = 0; i < 4; ++i) Admit(ws[i], "h100", i);
  ws.erase(ws.begin());
  d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(Admitted(d), ElementsAre("ns/j4"));
}

TEST(QueueQuotaTest, AGangIsAdmittedWholeOrNotAtAll) {
  std::map<std::string, ClusterQueueSpec> queues{{"q", Queue("q", 12)}};
  std::vector<WorkloadInfo> ws{Work("ns/gang", "q", 16, 1, 0)};
  Decisions d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(d.admit, IsEmpty());
  EXPECT_THAT(d.waiting.at("ns/gang"), HasSubstr("16 requested, 12 available"));
}

TEST(QueueQuotaTest, ResourcesTheQueueDoesNotCoverKeepAWorkloadOut) {
  std::map<std::string, ClusterQueueSpec> queues{{"q", Queue("q", 8)}};
  WorkloadInfo w = Work("ns/w", "q", 1, 1, 0);
  w.pod_sets[0].per_pod["cpu"] = 1000;
  Decisions d = Schedule(queues, Flavors(), {w});
  EXPECT_EQ(d.waiting.at("ns/w"),
            "couldn't assign flavors to pod set main: resource cpu unavailable in ClusterQueue");
}

TEST(QueueQuotaTest, BorrowingFromTheCohortUpToTheBorrowingLimit) {
  std::map<std::string, ClusterQueueSpec> queues{{"a", Queue("a", 16, "org")},
                                                 {"b", Queue("b", 16, "org")}};
  std::vector<WorkloadInfo> ws;
  for (int i = 0; i < 5; ++i) ws.push_back(Work(base::StrCat("ns/a", i), "a", 1, 8, i));
  Decisions d = Schedule(queues, Flavors(), ws);
  EXPECT_EQ(d.admit.size(), 4u);  // 16 own + 16 borrowed from idle b
  EXPECT_EQ(d.waiting.at("ns/a4"),
            "couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu in "
            "flavor h100: 8 requested, 0 available in cohort");
  queues["a"].groups[0].flavors[0].resources[kGpu].borrowing_limit = 8;
  d = Schedule(queues, Flavors(), ws);
  EXPECT_EQ(d.admit.size(), 3u);
  queues["a"].groups[0].flavors[0].resources[kGpu].borrowing_limit.reset();
  queues["b"].groups[0].flavors[0].resources[kGpu].lending_limit = 0;  // b lends nothing
  d = Schedule(queues, Flavors(), ws);
  EXPECT_EQ(d.admit.size(), 2u);
}

TEST(QueueQuotaTest, ALenderReclaimsItsQuotaByPreemptingTheMostRecentBorrowers) {
  std::map<std::string, ClusterQueueSpec> queues{{"a", Queue("a", 16, "org")},
                                                 {"b", Queue("b", 16, "org")}};
  queues["b"].reclaim_within_cohort = PreemptionPolicy::kAny;
  std::vector<WorkloadInfo> ws;
  for (int i = 0; i < 4; ++i) {
    ws.push_back(Work(base::StrCat("ns/a", i), "a", 1, 8, i));
    Admit(ws.back(), "h100", i);
  }
  ws.push_back(Work("ns/b0", "b", 2, 8, 10));  // a 16-GPU gang of b
  Decisions d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(d.admit, IsEmpty());
  EXPECT_THAT(Keys(d.preempt), UnorderedElementsAre("ns/a2", "ns/a3"));
  EXPECT_THAT(d.preempt.at("ns/a3"), HasSubstr("reclaiming quota lent to the cohort"));
  EXPECT_THAT(d.preempted_for,
              UnorderedElementsAre(Pair("ns/a2", "ns/b0"), Pair("ns/a3", "ns/b0")));
  EXPECT_THAT(d.waiting.at("ns/b0"), HasSubstr("waiting for 2 preempted workloads"));
  // Once they are evicted (pending again), b goes first: a borrows more than its share.
  ws[2].admitted.reset();
  ws[3].admitted.reset();
  d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(Admitted(d), ElementsAre("ns/b0"));
  EXPECT_THAT(d.preempt, IsEmpty());
  // Without a reclaim policy, b waits.
  queues["b"].reclaim_within_cohort = PreemptionPolicy::kNever;
  for (int i = 2; i < 4; ++i) Admit(ws[i], "h100", i);
  d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(d.preempt, IsEmpty());
  EXPECT_THAT(d.admit, IsEmpty());
}

TEST(QueueQuotaTest, ReclaimInOnePassTakesNoMoreThanTheBorrowerBorrows) {
  // a (nominal 4) uses 5 GPUs: it borrows 1 of b's. b (nominal 4, 3 used) queues three
  // one-GPU Jobs. Only one of a's may go: after it, a is within its nominal quota, and taking
  // more would let a reclaim back from b in the next pass (each pass undoing the last).
  std::map<std::string, ClusterQueueSpec> queues{{"a", Queue("a", 4, "org")},
                                                 {"b", Queue("b", 4, "org")}};
  queues["a"].reclaim_within_cohort = PreemptionPolicy::kAny;
  queues["b"].reclaim_within_cohort = PreemptionPolicy::kAny;
  std::vector<WorkloadInfo> ws;
  for (int i = 0; i < 5; ++i) {
    ws.push_back(Work(base::StrCat("ns/a", i), "a", 1, 1, i));
    Admit(ws.back(), "h100", i);
  }
  for (int i = 0; i < 3; ++i) {
    ws.push_back(Work(base::StrCat("ns/b", i), "b", 1, 1, i));
    Admit(ws.back(), "h100", i);
  }
  for (int i = 3; i < 6; ++i) ws.push_back(Work(base::StrCat("ns/b", i), "b", 1, 1, 10 + i));
  Decisions d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(d.admit, IsEmpty());
  EXPECT_THAT(Keys(d.preempt), ElementsAre("ns/a4"));  // the most recently admitted
  EXPECT_THAT(d.preempted_for, ElementsAre(Pair("ns/a4", "ns/b3")));
  // The other two wait for quota; they do not preempt within-nominal work of a.
  EXPECT_THAT(d.waiting.at("ns/b4"), HasSubstr("insufficient quota"));
  EXPECT_THAT(d.waiting.at("ns/b5"), HasSubstr("insufficient quota"));
  // The next pass: b3 is admitted, and nobody is preempted either way.
  ws[4].admitted.reset();
  ws[4].evicted_at = "2026-12-03T02:00:00Z";
  d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(Admitted(d), ElementsAre("ns/b3"));
  EXPECT_THAT(d.preempt, IsEmpty());
}

TEST(QueueQuotaTest, ReclaimPrefersVictimsWhosePodsFreeRoomForThePreemptorsPods) {
  // b lent 16 GPUs to a, which holds a 2x8-GPU gang (admitted first) and eight 1-GPU jobs
  // (admitted after it). b's 2x8 gang reclaims: evicting the gang frees two whole nodes' worth
  // at once, where the eight most recent 1-GPU jobs free 8 GPUs scattered over nodes and
  // would not be enough anyway.
  std::map<std::string, ClusterQueueSpec> queues{{"a", Queue("a", 8, "org")},
                                                 {"b", Queue("b", 24, "org")}};
  queues["b"].reclaim_within_cohort = PreemptionPolicy::kAny;
  std::vector<WorkloadInfo> ws;
  ws.push_back(Work("ns/a-gang", "a", 2, 8, 0));
  Admit(ws.back(), "h100", 0);
  for (int i = 1; i <= 8; ++i) {
    ws.push_back(Work(base::StrCat("ns/a-small", i), "a", 1, 1, i));
    Admit(ws.back(), "h100", i);
  }
  ws.push_back(Work("ns/b-gang", "b", 2, 8, 20));
  Decisions d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(Keys(d.preempt), ElementsAre("ns/a-gang"));
  EXPECT_THAT(d.waiting.at("ns/b-gang"), HasSubstr("waiting for 1 preempted workload"));
  // For a 1-GPU preemptor every candidate's pods are large enough: the most recent goes.
  ws.back() = Work("ns/b-small", "b", 1, 1, 20);
  ws.push_back(Work("ns/b-fill", "b", 1, 8, 19));  // b uses the 8 it did not lend: full
  Admit(ws.back(), "h100", 19);
  d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(Keys(d.preempt), ElementsAre("ns/a-small8"));
}

TEST(QueueQuotaTest, WithARoomModelReclaimFreesWholeNodesForAGang) {
  // Two 8-GPU nodes. a (nominal 4) borrows 4 of b's 12: a-old1..4 sit on node-0, which has 4
  // GPUs free, and a-new1..4 (the most recently admitted) on node-1 beside b's 4-GPU pod.
  // b's 8-GPU pod needs 4 GPUs of quota back. By quota alone the four most recent go, which
  // leaves 4 free on each node and no room for the pod; node by node, evicting node-0's four
  // frees that node.
  std::map<std::string, ClusterQueueSpec> queues{{"a", Queue("a", 4, "org")},
                                                 {"b", Queue("b", 12, "org")}};
  queues["b"].reclaim_within_cohort = PreemptionPolicy::kAny;
  std::vector<WorkloadInfo> ws;
  std::vector<NodeRoom> nodes(2);
  nodes[0].name = "node-0";
  nodes[0].free[kGpu] = 4;
  nodes[1].name = "node-1";
  nodes[1].free[kGpu] = 0;
  ws.push_back(Work("ns/b-fill", "b", 1, 4, 0));
  Admit(ws.back(), "h100", 0);
  nodes[1].held["ns/b-fill"][kGpu] = 4;
  for (int i = 1; i <= 8; ++i) {
    std::string key = base::StrCat("ns/a-", i <= 4 ? "old" : "new", (i - 1) % 4 + 1);
    ws.push_back(Work(key, "a", 1, 1, i));
    Admit(ws.back(), "h100", i);
    nodes[i <= 4 ? 0 : 1].held[key][kGpu] = 1;
  }
  ws.push_back(Work("ns/b-pod", "b", 1, 8, 20));
  Decisions d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(Keys(d.preempt), ElementsAre("ns/a-new1", "ns/a-new2", "ns/a-new3", "ns/a-new4"));
  RoomModel room(nodes);
  d = Schedule(queues, Flavors(), ws, [&] { return &room; });
  EXPECT_THAT(Keys(d.preempt), ElementsAre("ns/a-old1", "ns/a-old2", "ns/a-old3", "ns/a-old4"));
  EXPECT_THAT(d.waiting.at("ns/b-pod"), HasSubstr("waiting for 4 preempted workloads"));
  // No node can be freed when b's own pod sits on each: quota's choice stands.
  nodes[0].held["ns/b-fill2"][kGpu] = 4;
  nodes[0].free[kGpu] = 0;
  ws.push_back(Work("ns/b-fill2", "b", 1, 4, 0));
  Admit(ws.back(), "h100", 0);
  queues["b"] = Queue("b", 16, "org");
  queues["b"].reclaim_within_cohort = PreemptionPolicy::kAny;
  RoomModel full(nodes);
  d = Schedule(queues, Flavors(), ws, [&] { return &full; });
  EXPECT_THAT(Keys(d.preempt), ElementsAre("ns/a-new1", "ns/a-new2", "ns/a-new3", "ns/a-new4"));
}

TEST(QueueQuotaTest, AnEvictedWorkloadQueuesFromItsEviction) {
  // Room for one of two 4-GPU workloads. "old" was created first but evicted at second 5 (to
  // make way for "new", created at second 3): it queues behind "new" instead of taking the
  // quota straight back.
  std::map<std::string, ClusterQueueSpec> queues{{"a", Queue("a", 4)}};
  std::vector<WorkloadInfo> ws{Work("ns/old", "a", 1, 4, 1), Work("ns/new", "a", 1, 4, 3)};
  EXPECT_THAT(Admitted(Schedule(queues, Flavors(), ws)), ElementsAre("ns/old"));
  ws[0].evicted_at = "2026-12-03T00:00:05Z";
  EXPECT_THAT(Admitted(Schedule(queues, Flavors(), ws)), ElementsAre("ns/new"));
  // Evicted in the same second as the other was queued: still behind it.
  ws[0].evicted_at = ws[1].created;
  EXPECT_THAT(Admitted(Schedule(queues, Flavors(), ws)), ElementsAre("ns/new"));
}

TEST(QueueQuotaTest, AnEvictedWorkloadWaitsForItsPodsToStop) {
  // Quota for it is free, but a pod of its last admission still runs: it waits, and is
  // admitted once that pod is gone.
  std::map<std::string, ClusterQueueSpec> queues{{"a", Queue("a", 8)}};
  std::vector<WorkloadInfo> ws{Work("ns/victim", "a", 1, 1, 1), Work("ns/other", "a", 1, 1, 2)};
  ws[0].evicted_at = "2026-12-03T00:00:05Z";
  ws[0].stopping_pods = 1;
  Decisions d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(Admitted(d), ElementsAre("ns/other"));
  EXPECT_EQ(d.waiting.at("ns/victim"),
            "evicted; waiting for its pods to stop before it is admitted again");
  ws[0].stopping_pods = 0;
  EXPECT_THAT(Admitted(Schedule(queues, Flavors(), ws)), ElementsAre("ns/other", "ns/victim"));
}

TEST(QueueQuotaTest, AnOverdueGangDisplacesSmallerWorkUntilItsPodsFit) {
  // Two 8-GPU nodes; a's gang of 2 whole-node pods holds its quota but finds one-GPU pods on
  // both nodes: b-1 and a's own a-s on node-0, b-2 on node-1 (14 GPUs free, no free node).
  std::map<std::string, ClusterQueueSpec> queues{{"a", Queue("a", 16, "org")},
                                                 {"b", Queue("b", 16, "org")}};
  queues["a"].reclaim_within_cohort = PreemptionPolicy::kAny;
  std::vector<NodeRoom> nodes(2);
  for (int n = 0; n < 2; ++n) {
    nodes[n].name = base::StrCat("node-", n);
    nodes[n].free[kGpu] = 8;
  }
  std::vector<WorkloadInfo> ws;
  auto small = [&](std::string key, std::string cq, int node, int t, int32_t priority = 0) {
    ws.push_back(Work(key, std::move(cq), 1, 1, t, priority));
    Admit(ws.back(), "h100", t);
    nodes[node].held[key][kGpu] = 1;
    nodes[node].free[kGpu] -= 1;
  };
  ws.push_back(Work("ns/gang", "a", 2, 8, 0));
  Admit(ws.back(), "h100", 0);
  small("ns/b-1", "b", 0, 1);
  small("ns/a-s", "a", 0, 2);
  small("ns/b-2", "b", 1, 3);
  const std::map<std::string, int32_t> overdue{{"ns/gang", 2}};
  {
    // Not overdue yet (the scheduler may still be placing it): nothing moves.
    RoomModel room(nodes);
    EXPECT_THAT(Schedule(queues, Flavors(), ws, [&] { return &room; }).preempt, IsEmpty());
  }
  {
    RoomModel room(nodes);
    Decisions d = Schedule(queues, Flavors(), ws, [&] { return &room; }, overdue);
    EXPECT_THAT(Keys(d.preempt), ElementsAre("ns/a-s", "ns/b-1", "ns/b-2"));
    EXPECT_EQ(d.preempt.at("ns/b-1"),
              "Preempted to make room on nodes for an admitted workload (ns/gang) whose pods "
              "found none");
    EXPECT_EQ(d.displaced.at("ns/b-2"), "ns/gang");
    // Their pods are going: the freed nodes are the gang's for the rest of the pass.
    EXPECT_FALSE(room.Fits({PodsToPlace{1, {{kGpu, 8}}, {}, {}}}, {}, /*commit=*/false));
  }
  {
    // A victim waits while the gang's pods are not placed (quota alone would readmit it into
    // the room it just left), and is admitted again once the caller stops saying so.
    std::vector<WorkloadInfo> after = ws;
    after[1].admitted.reset();
    after[1].makes_room_for = "ns/gang";
    Decisions d = Schedule(queues, Flavors(), after);
    EXPECT_THAT(Admitted(d), IsEmpty());
    EXPECT_EQ(d.waiting.at("ns/b-1"),
              "evicted to make room on nodes for ns/gang; waiting until its pods are placed");
    after[1].makes_room_for.clear();
    EXPECT_THAT(Admitted(Schedule(queues, Flavors(), after)), ElementsAre("ns/b-1"));
  }
  {
    // Finished pods need no room: with only one pod of the gang waiting, one node is enough,
    // and node-1 (one victim) is the cheaper one.
    RoomModel room(nodes);
    Decisions d = Schedule(queues, Flavors(), ws, [&] { return &room; }, {{"ns/gang", 1}});
    EXPECT_THAT(Keys(d.preempt), ElementsAre("ns/b-2"));
  }
  {
    // A ClusterQueue that may not preempt does not defragment either.
    auto never = queues;
    never["a"].reclaim_within_cohort = PreemptionPolicy::kNever;
    RoomModel room(nodes);
    EXPECT_THAT(Schedule(never, Flavors(), ws, [&] { return &room; }, overdue).preempt, IsEmpty());
  }
  {
    // b-2 has a higher priority than the gang: node-1 cannot be freed, so nothing moves (a
    // gang is never given half of its room).
    auto high = ws;
    high.back().priority = 5;
    RoomModel room(nodes);
    EXPECT_THAT(Schedule(queues, Flavors(), high, [&] { return &room; }, overdue).preempt,
                IsEmpty());
  }
  {
    // A peer gang (pods as large as the gang's) is never displaced for it.
    std::vector<NodeRoom> two = nodes;
    two[1].held.clear();
    two[1].held["ns/peer"][kGpu] = 8;
    two[1].free[kGpu] = 0;
    auto peers = ws;
    peers.back() = Work("ns/peer", "b", 1, 8, 3);
    Admit(peers.back(), "h100", 3);
    RoomModel room(two);
    EXPECT_THAT(Schedule(queues, Flavors(), peers, [&] { return &room; }, overdue).preempt,
                IsEmpty());
  }
}

TEST(QueueQuotaTest, ATopologyAwareFlavorAdmitsOnlyWhatFitsOnItsNodes) {
  // Two 8-GPU nodes with 4 GPUs free on each, and 8 GPUs of quota free: a 1x8-GPU workload
  // fits the quota but no node. Without a room model (or with a flavor that is not
  // topology-aware) it is admitted and would wait for a node; with one, it waits unadmitted
  // and the one-GPU work behind it is admitted into the room instead.
  std::map<std::string, ClusterQueueSpec> queues{{"a", Queue("a", 8)}};
  std::vector<NodeRoom> nodes(2);
  for (int n = 0; n < 2; ++n) {
    nodes[n].name = base::StrCat("node-", n);
    nodes[n].free[kGpu] = 4;
  }
  std::vector<WorkloadInfo> ws{Work("ns/big", "a", 1, 8, 1), Work("ns/small1", "a", 1, 1, 2),
                               Work("ns/small2", "a", 1, 1, 3)};
  auto flavors = Flavors();
  RoomModel room(nodes);
  Decisions d = Schedule(queues, flavors, ws, [&] { return &room; });
  EXPECT_THAT(Admitted(d), ElementsAre("ns/big"));  // quota alone: the first 8 GPUs go to big
  flavors["h100"].topology_aware = true;
  RoomModel room2(nodes);
  d = Schedule(queues, flavors, ws, [&] { return &room2; });
  EXPECT_THAT(Admitted(d), ElementsAre("ns/small1", "ns/small2"));
  EXPECT_EQ(d.waiting.at("ns/big"),
            "no room for the workload's 1 pod on the nodes of topology-aware flavor h100 now; "
            "waiting for nodes to free up");
  // The room admitted work takes is used up: eight one-GPU workloads fit in the 4 + 4 free
  // GPUs and the ninth waits, with quota enough for all nine.
  queues["a"] = Queue("a", 100);
  std::vector<WorkloadInfo> many;
  for (int i = 1; i <= 9; ++i) many.push_back(Work(base::StrCat("ns/s", i), "a", 1, 1, i));
  RoomModel room3(nodes);
  d = Schedule(queues, flavors, many, [&] { return &room3; });
  EXPECT_EQ(d.admit.size(), 8u);
  EXPECT_THAT(d.waiting.at("ns/s9"), HasSubstr("no room for the workload's 1 pod"));
  // An admitted workload whose pod is not bound yet holds its room from pass to pass: with
  // s0 (8 GPUs, admitted, nothing bound) ahead, nothing else fits.
  std::vector<WorkloadInfo> later{Work("ns/s0", "a", 1, 8, 0), Work("ns/s1", "a", 1, 1, 1)};
  Admit(later[0], "h100", 0);
  std::vector<NodeRoom> free_nodes(2);
  for (int n = 0; n < 2; ++n) {
    free_nodes[n].name = base::StrCat("node-", n);
    free_nodes[n].free[kGpu] = n == 0 ? 8 : 0;
  }
  RoomModel room4(free_nodes);
  d = Schedule(queues, flavors, later, [&] { return &room4; });
  EXPECT_THAT(Admitted(d), IsEmpty());
  // Once s0's pod is bound there, its room is what it holds, not reserved twice.
  free_nodes[0].free[kGpu] = 0;
  free_nodes[0].held["ns/s0"][kGpu] = 8;
  free_nodes[1].free[kGpu] = 1;
  RoomModel room5(free_nodes);
  d = Schedule(queues, flavors, later, [&] { return &room5; });
  EXPECT_THAT(Admitted(d), ElementsAre("ns/s1"));
  // Until the room model is available (informers not synced), quota alone decides.
  d = Schedule(queues, flavors, many, [] { return nullptr; });
  EXPECT_EQ(d.admit.size(), 9u);
}

TEST(QueueQuotaTest, WorkWithinItsNominalQuotaIsNotPreempted) {
  std::map<std::string, ClusterQueueSpec> queues{{"a", Queue("a", 16, "org")},
                                                 {"b", Queue("b", 16, "org")}};
  queues["b"].reclaim_within_cohort = PreemptionPolicy::kAny;
  std::vector<WorkloadInfo> ws{Work("ns/a0", "a", 2, 8, 0), Work("ns/b0", "b", 2, 8, 1),
                               Work("ns/b1", "b", 1, 8, 2)};
  Admit(ws[0], "h100", 0);
  Admit(ws[1], "h100", 1);
  Decisions d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(d.preempt, IsEmpty());  // b would have to borrow: not a reclaim
  EXPECT_THAT(d.admit, IsEmpty());
}

TEST(QueueQuotaTest, LowerPriorityWorkOfTheSameQueueIsPreempted) {
  std::map<std::string, ClusterQueueSpec> queues{{"q", Queue("q", 16)}};
  queues["q"].within_cluster_queue = PreemptionPolicy::kLowerPriority;
  std::vector<WorkloadInfo> ws{Work("ns/balloon1", "q", 1, 8, 0, -10),
                               Work("ns/balloon2", "q", 1, 8, 1, -10),
                               Work("ns/real", "q", 1, 8, 2, 100)};
  Admit(ws[0], "h100", 0);
  Admit(ws[1], "h100", 1);
  Decisions d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(Keys(d.preempt), ElementsAre("ns/balloon2"));  // the most recently admitted
  // Equal priority is never preempted within the queue.
  ws[2].priority = -10;
  d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(d.preempt, IsEmpty());
}

TEST(QueueQuotaTest, PriorityThenFairShareThenFifo) {
  // a and b each own 8 GPUs; idle c lends 16 more. a's work arrived first.
  std::map<std::string, ClusterQueueSpec> queues{
      {"a", Queue("a", 8, "org")}, {"b", Queue("b", 8, "org")}, {"c", Queue("c", 16, "org")}};
  std::vector<WorkloadInfo> ws;
  for (int i = 0; i < 8; ++i) ws.push_back(Work(base::StrCat("ns/a", i), "a", 1, 4, i));
  for (int i = 0; i < 8; ++i) ws.push_back(Work(base::StrCat("ns/b", i), "b", 1, 4, 20 + i));
  Decisions d = Schedule(queues, Flavors(), ws);
  int a = 0, b = 0;
  for (const auto& adm : d.admit) (adm.cluster_queue == "a" ? a : b)++;
  EXPECT_EQ(a, 4);  // FIFO alone would give a 6 and b 2
  EXPECT_EQ(b, 4);
  // A higher priority goes first whatever the shares.
  ws[15].priority = 5;
  d = Schedule(queues, Flavors(), ws);
  EXPECT_EQ(d.admit[0].workload, "ns/b7");
}

TEST(QueueQuotaTest, FairSharingWeights) {
  // b's weight is 2: its borrowing counts half, so it borrows twice as much as a.
  std::map<std::string, ClusterQueueSpec> queues{
      {"a", Queue("a", 8, "org")}, {"b", Queue("b", 8, "org")}, {"c", Queue("c", 24, "org")}};
  queues["b"].weight = 2;
  std::vector<WorkloadInfo> ws;
  for (int i = 0; i < 40; ++i) ws.push_back(Work(base::StrCat("ns/a", 100 + i), "a", 1, 1, 0));
  for (int i = 0; i < 40; ++i) ws.push_back(Work(base::StrCat("ns/b", 100 + i), "b", 1, 1, 1));
  Decisions d = Schedule(queues, Flavors(), ws);
  int a = 0, b = 0;
  for (const auto& adm : d.admit) (adm.cluster_queue == "a" ? a : b)++;
  EXPECT_EQ(a + b, 40);
  EXPECT_EQ(a - 8, 8);   // borrowed 8 of c's 24
  EXPECT_EQ(b - 8, 16);  // borrowed 16
}

TEST(QueueQuotaTest, StrictFifoHoldsLaterWorkBehindAHeadThatDoesNotFit) {
  std::map<std::string, ClusterQueueSpec> queues{{"q", Queue("q", 8)}};
  std::vector<WorkloadInfo> ws{Work("ns/big", "q", 2, 8, 0), Work("ns/small", "q", 1, 1, 1)};
  Decisions d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(Admitted(d), ElementsAre("ns/small"));  // BestEffortFIFO
  queues["q"].strict_fifo = true;
  d = Schedule(queues, Flavors(), ws);
  EXPECT_THAT(d.admit, IsEmpty());
  EXPECT_THAT(d.waiting.at("ns/small"), HasSubstr("StrictFIFO"));
}

TEST(QueueQuotaTest, FlavorsAreTriedInOrderAndTaintsNeedTolerations) {
  ClusterQueueSpec q = Queue("q", 8, "", "dedicated");
  FlavorQuotas shared;
  shared.flavor = "shared";
  shared.resources[kGpu].nominal = 8;
  q.groups[0].flavors.push_back(shared);
  std::map<std::string, ClusterQueueSpec> queues{{"q", q}};
  auto flavors = Flavors({"dedicated", "shared"});
  flavors["dedicated"].node_taints.push_back({"team", "a", "NoSchedule"});
  std::vector<WorkloadInfo> ws{Work("ns/w", "q", 1, 8, 0)};
  Decisions d = Schedule(queues, flavors, ws);
  ASSERT_EQ(d.admit.size(), 1u);
  EXPECT_EQ(d.admit[0].assignment.flavors.at("main").at(kGpu), "shared");
  // A flavor whose tolerations cover its taint is open to every workload of the queue.
  flavors["dedicated"].tolerations.push_back({"team", "Equal", "a", "NoSchedule"});
  d = Schedule(queues, flavors, ws);
  EXPECT_EQ(d.admit[0].assignment.flavors.at("main").at(kGpu), "dedicated");
  // A node selector for another value of the flavor's label rules it out.
  flavors["dedicated"].node_labels["pool"] = "dedicated";
  ws[0].pod_sets[0].node_selector["pool"] = "shared";
  d = Schedule(queues, flavors, ws);
  EXPECT_EQ(d.admit[0].assignment.flavors.at("main").at(kGpu), "shared");
}

TEST(QueueQuotaTest, UnknownOrInactiveQueuesWait) {
  std::map<std::string, ClusterQueueSpec> queues{{"q", Queue("q", 8)}};
  queues["q"].active = false;
  Decisions d = Schedule(queues, Flavors(), {Work("ns/a", "", 1, 1, 0), Work("ns/b", "q", 1, 1, 1)});
  EXPECT_EQ(d.waiting.at("ns/a"), "LocalQueue or ClusterQueue doesn't exist");
  EXPECT_EQ(d.waiting.at("ns/b"), "ClusterQueue q is inactive");
}

}  // namespace
}  // namespace shoal::controllers
