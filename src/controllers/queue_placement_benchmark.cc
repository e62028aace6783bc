// Reclaim's node-aware victim choice (queue_placement.h) runs inside a queue pass whenever
// quota alone frees no room for a preemptor: the case that matters at scale is a 7,500-node
// cluster full of one-GPU work and a large gang taking its quota back.
#include <string>
#include <vector>

#include "base/strings.h"
#include "benchmark/benchmark.h"
#include "controllers/queue_placement.h"

namespace shoal::controllers {
namespace {

constexpr char kGpu[] = "nvidia.com/gpu";

// `nodes` 8-GPU nodes, each full of eight one-GPU workloads (all candidates, in order).
struct Cluster {
  std::vector<NodeRoom> rooms;
  std::vector<VictimCandidate> candidates;
};

Cluster FullOfOneGpuWork(int nodes) {
  Cluster c;
  for (int n = 0; n < nodes; ++n) {
    NodeRoom room;
    room.name = base::StrCat("node-", n);
    room.labels = {{"kubernetes.io/hostname", room.name}, {"pool", "h100"}};
    room.free[kGpu] = 0;
    for (int i = 0; i < 8; ++i) {
      std::string key = base::StrCat("team/job-", n, "-", i);
      room.held[key][kGpu] = 1;
      // Priorities vary, so that some nodes are cheaper to free than others.
      c.candidates.push_back({key, (n * 7 + i) % 3, {{kGpu, 1}}});
    }
    c.rooms.push_back(std::move(room));
  }
  return c;
}

void BM_VictimsForRoom(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const int gang = static_cast<int>(state.range(1));
  Cluster c = FullOfOneGpuWork(nodes);
  RoomModel room(c.rooms);
  PodsToPlace pods;
  pods.count = gang;
  pods.per_pod[kGpu] = 8;
  pods.node_selector = {{"pool", "h100"}};
  for (auto _ : state) {
    size_t taken = 0;
    auto v = room.VictimsForRoom({pods}, c.candidates, [](size_t) { return true; },
                                 [&](size_t) { ++taken; });
    benchmark::DoNotOptimize(v);
    if (!v || v->size() != static_cast<size_t>(gang) * 8) state.SkipWithError("wrong victims");
  }
}
BENCHMARK(BM_VictimsForRoom)->Args({200, 8})->Args({7500, 8})->Args({7500, 1024})
    ->Unit(benchmark::kMillisecond);

void BM_RoomModelBuildAndFits(benchmark::State& state) {
  Cluster c = FullOfOneGpuWork(static_cast<int>(state.range(0)));
  PodsToPlace pods;
  pods.count = 8;
  pods.per_pod[kGpu] = 8;
  for (auto _ : state) {
    RoomModel room(c.rooms);
    benchmark::DoNotOptimize(room.Fits({pods}, {}, false));
  }
}
BENCHMARK(BM_RoomModelBuildAndFits)->Arg(7500)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace shoal::controllers
