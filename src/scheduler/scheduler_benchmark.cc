// The scheduler's decisions on a large GPU cluster: 7,500 nodes of 8 GPUs (96 cpu, 1.5Ti, 110
// pods), leaves of 32 nodes, 16 leaves per spine, built directly in a ClusterState. GPU nodes
// carry the nvidia.com/gpu:NoSchedule taint and a gpu.present label; pods tolerate the one and
// select the other, as on a real GPU cluster, so every filter runs.
//
//   BM_PlaceOneSmallPod        one 1-GPU decision on a half-full cluster (latency)
//   BM_PlaceOneThroughput      50,000 1-GPU pods placed and assumed one after another (items/s)
//   BM_PlaceGangEmpty          a 1,024-pod whole-node gang with topology, empty cluster
//   BM_PlaceGangFragmented     the same, cluster 90% full of randomly placed 1-GPU pods (it
//                              cannot fit: this is the time to say why); and a 1,024-pod
//                              1-GPU gang, which does fit in the fragments
//   BM_PlanPreemptionGang      a 128-pod whole-node gang preempting low-priority balloons
//
// Randomness is seeded; the clusters are built once per process and shared read-only.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "base/strings.h"
#include "benchmark/benchmark.h"
#include "scheduler/cluster_state.h"
#include "scheduler/internal/test_util.h"
#include "scheduler/placement.h"
#include "scheduler/plugins/registry.h"
#include "scheduler/preemption.h"
#include "scheduler/types.h"

namespace shoal::scheduler {
namespace {

constexpr int kNodes = 7500;
constexpr int kGpusPerNode = 8;
constexpr int kNodesPerLeaf = 32;
constexpr int kLeavesPerSpine = 16;

// A pod as the API server would send it, parsed once; copies get their own names.
PodInfo Template(ResourceNames& names, int gpus) {
  const std::string text = base::StrCat(R"({
    "metadata": {"namespace": "ml", "name": "template", "uid": "u",
                 "labels": {"app": "trainer"}},
    "spec": {
      "schedulerName": "default-scheduler",
      "containers": [{"name": "main", "resources": {
        "requests": {"cpu": ")",
                                        11 * gpus, R"(", "memory": ")", 160 * gpus,
                                        R"(Gi", "nvidia.com/gpu": ")", gpus, R"("},
        "limits": {"nvidia.com/gpu": ")",
                                        gpus, R"("}}}],
      "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
      "nodeSelector": {"nvidia.com/gpu.present": "true"}}})");
  auto pod = PodInfoFromJson(boost::json::parse(text).as_object(), names);
  if (!pod.ok()) std::abort();
  return *std::move(pod);
}

PodInfo Named(const PodInfo& tmpl, const std::string& name, int32_t priority = 0,
              const std::string& gang = "") {
  PodInfo p = tmpl;
  p.name = name;
  p.key = base::StrCat(p.ns, "/", name);
  p.uid = "uid-" + name;
  p.priority = priority;
  p.gang = gang;
  return p;
}

std::unique_ptr<ClusterState> BuildEmpty() {
  auto s = std::make_unique<ClusterState>();
  for (int i = 0; i < kNodes; ++i) {
    const int leaf = i / kNodesPerLeaf;
    NodeInfo n = internal::GpuNode(s->names(), base::StrCat("gpu-", i), kGpusPerNode,
                                   base::StrCat("leaf-", leaf),
                                   base::StrCat("spine-", leaf / kLeavesPerSpine));
    n.labels.emplace_back("nvidia.com/gpu.present", "true");
    std::sort(n.labels.begin(), n.labels.end());
    n.taints = {{"nvidia.com/gpu", "present", TaintEffect::kNoSchedule}};
    s->UpsertNode(std::move(n));
  }
  return s;
}

// Binds 1-GPU pods to random free GPU slots until `fraction` of all GPUs are in use.
void FillRandomly(ClusterState& s, double fraction, uint64_t seed) {
  const PodInfo tmpl = Template(s.names(), 1);
  std::vector<int> slots;
  slots.reserve(kNodes * kGpusPerNode);
  for (int n = 0; n < kNodes; ++n) slots.insert(slots.end(), kGpusPerNode, n);
  std::mt19937_64 rng(seed);
  std::shuffle(slots.begin(), slots.end(), rng);
  const size_t count = static_cast<size_t>(fraction * static_cast<double>(slots.size()));
  for (size_t i = 0; i < count; ++i) {
    PodInfo p = Named(tmpl, base::StrCat("filler-", i));
    p.node_name = s.node(slots[i]).info.name;
    s.UpsertPod(std::move(p));
  }
}

const ClusterState& EmptyCluster() {
  static const std::unique_ptr<ClusterState> s = BuildEmpty();
  return *s;
}

const ClusterState& HalfFullCluster() {
  static const std::unique_ptr<ClusterState> s = [] {
    auto c = BuildEmpty();
    FillRandomly(*c, 0.5, 1);
    return c;
  }();
  return *s;
}

const ClusterState& FragmentedCluster() {
  static const std::unique_ptr<ClusterState> s = [] {
    auto c = BuildEmpty();
    FillRandomly(*c, 0.9, 2);
    return c;
  }();
  return *s;
}

// Half the nodes (chosen at random) run important whole-node jobs; balloons hold the rest.
const ClusterState& BalloonCluster() {
  static const std::unique_ptr<ClusterState> s = [] {
    auto c = BuildEmpty();
    const PodInfo whole = Template(c->names(), kGpusPerNode);
    std::vector<int> nodes(kNodes);
    for (int i = 0; i < kNodes; ++i) nodes[i] = i;
    std::mt19937_64 rng(3);
    std::shuffle(nodes.begin(), nodes.end(), rng);
    for (int i = 0; i < kNodes; ++i) {
      const bool important = i < kNodes / 2;
      PodInfo p = Named(whole, base::StrCat(important ? "job-" : "balloon-", i),
                        important ? 2000 : -100);
      p.node_name = c->node(nodes[i]).info.name;
      c->UpsertPod(std::move(p));
    }
    return c;
  }();
  return *s;
}

std::vector<PodInfo> Gang(ResourceNames& names, int count, int gpus, int32_t priority) {
  const PodInfo tmpl = Template(names, gpus);
  std::vector<PodInfo> out;
  out.reserve(count);
  for (int i = 0; i < count; ++i) {
    out.push_back(Named(tmpl, base::StrCat("gang-", i), priority, "gang"));
  }
  return out;
}

// (a) One small-pod decision. Arg: 0 packing (free-GPU buckets), 1 spreading (sampled scan).
void BM_PlaceOneSmallPod(benchmark::State& st) {
  const ClusterState& cluster = HalfFullCluster();
  const auto strategy = st.range(0) == 0 ? ScoringStrategy::kPack : ScoringStrategy::kSpread;
  const Profile profile = plugins::DefaultProfile(strategy);
  PlacementOptions options;
  options.strategy = strategy;
  Placer placer(profile, cluster, options);
  ResourceNames names = cluster.names();
  const PodInfo pod = Named(Template(names, 1), "small");
  for (auto _ : st) {
    int n = placer.PlaceOne(pod);
    if (n < 0) st.SkipWithError("no node found");
    benchmark::DoNotOptimize(n);
  }
  st.SetLabel(strategy == ScoringStrategy::kPack ? "pack" : "spread");
}
BENCHMARK(BM_PlaceOneSmallPod)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// (b) 50,000 1-GPU pods, each placed then assumed, on an empty cluster.
void BM_PlaceOneThroughput(benchmark::State& st) {
  constexpr int kPods = 50'000;
  const auto strategy = st.range(0) == 0 ? ScoringStrategy::kPack : ScoringStrategy::kSpread;
  const Profile profile = plugins::DefaultProfile(strategy);
  PlacementOptions options;
  options.strategy = strategy;
  ResourceNames names = EmptyCluster().names();
  const PodInfo tmpl = Template(names, 1);
  std::vector<PodInfo> pods;
  pods.reserve(kPods);
  for (int i = 0; i < kPods; ++i) pods.push_back(Named(tmpl, base::StrCat("p-", i)));
  for (auto _ : st) {
    st.PauseTiming();
    auto cluster = std::make_unique<ClusterState>(EmptyCluster());
    for (const PodInfo& p : pods) cluster->UpsertPod(p);
    Placer placer(profile, *cluster, options);
    st.ResumeTiming();
    for (const PodInfo& p : pods) {
      const int n = placer.PlaceOne(p);
      if (n < 0) {
        st.SkipWithError("no node found");
        break;
      }
      cluster->Assume(p.key, n);
    }
    st.PauseTiming();
    cluster.reset();
    st.ResumeTiming();
  }
  st.SetItemsProcessed(st.iterations() * kPods);
  st.SetLabel(strategy == ScoringStrategy::kPack ? "pack" : "spread");
}
BENCHMARK(BM_PlaceOneThroughput)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void RunGang(benchmark::State& st, const ClusterState& cluster, int count, int gpus) {
  const Profile profile = plugins::DefaultProfile(ScoringStrategy::kPack);
  ResourceNames names = cluster.names();
  const std::vector<PodInfo> gang = Gang(names, count, gpus, 0);
  const std::vector<const PodInfo*> ptrs = internal::PodPtrs(gang);
  Placer placer(profile, cluster);
  GangPlan plan;
  for (auto _ : st) {
    plan = placer.PlaceGang(ptrs, PodGroupInfo::Locality::kPreferred);
    benchmark::DoNotOptimize(plan);
  }
  st.counters["placed"] = plan.ok ? 1 : 0;
  st.counters["leaves"] = plan.leaves;
  st.counters["spines"] = plan.spines;
}

// (c) A 1,024-pod whole-node gang with topology on an empty cluster.
void BM_PlaceGangEmpty(benchmark::State& st) { RunGang(st, EmptyCluster(), 1024, 8); }
BENCHMARK(BM_PlaceGangEmpty)->Unit(benchmark::kMillisecond);

// (d) The same gang (Arg 8: whole nodes, which cannot fit) and a 1-GPU gang (Arg 1) on a
// cluster 90% full of randomly placed 1-GPU pods.
void BM_PlaceGangFragmented(benchmark::State& st) {
  RunGang(st, FragmentedCluster(), 1024, static_cast<int>(st.range(0)));
}
BENCHMARK(BM_PlaceGangFragmented)->Arg(8)->Arg(1)->Unit(benchmark::kMillisecond);

// (e) A 128-pod whole-node gang (priority 1000) over a cluster that is half important jobs
// (priority 2000) and half balloons (priority -100).
void BM_PlanPreemptionGang(benchmark::State& st) {
  ClusterState cluster = BalloonCluster();  // planning takes pods off and puts them back
  const Profile profile = plugins::DefaultProfile(ScoringStrategy::kPack);
  ResourceNames names = cluster.names();
  const std::vector<PodInfo> gang = Gang(names, 128, 8, 1000);
  const std::vector<const PodInfo*> ptrs = internal::PodPtrs(gang);
  PreemptionPlan plan;
  for (auto _ : st) {
    plan = PlanPreemption(profile, cluster, ptrs, PodGroupInfo::Locality::kPreferred);
    benchmark::DoNotOptimize(plan);
  }
  st.counters["planned"] = plan.ok ? 1 : 0;
  st.counters["victims"] = static_cast<double>(plan.victims.size());
}
BENCHMARK(BM_PlanPreemptionGang)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace shoal::scheduler
