// The API server's handling of the writes that make up a large cluster's steady state, in
// process (no sockets, no TLS) over a MemoryStore:
//
//   BM_PatchLease       a kubelet's heartbeat: a merge patch of a Lease's spec.renewTime
//   BM_PatchPodStatus   a kubelet's pod status: a merge patch of pods/status (phase,
//                       conditions with a new time each), on a pod of ~2 KB
//   BM_PatchUnchanged   the Lease patch again with the renewTime it already has (no write)
//
// The handler runs on the benchmark's thread, so cpu_time is what an I/O thread spends on
// one request; real_time adds the round trip to the store's commit thread.
#include <chrono>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "api/registry.h"
#include "apiserver/api_server.h"
#include "base/clock.h"
#include "base/strings.h"
#include "benchmark/benchmark.h"
#include "store/memory_store.h"

namespace shoal::apiserver {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kLeasePath =
    "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1";
constexpr std::string_view kPodPath = "/api/v1/namespaces/default/pods/p1";

class Server {
 public:
  Server() : api_(store_, api::Registry::Default(), clock_, {}) {
    if (!api_.Start().ok()) std::abort();
    Expect(Call("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
                R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",)"
                R"("metadata":{"name":"node-1","namespace":"kube-node-lease"},)"
                R"("spec":{"holderIdentity":"node-1","leaseDurationSeconds":40,)"
                R"("renewTime":"2026-12-05T00:00:00.000000Z"}})"),
           201);
    Expect(Call("POST", "/api/v1/namespaces/default/pods", PodJson()), 201);
  }
  ~Server() { store_.Close(); }

  Response Call(std::string method, std::string_view path, std::string body,
                std::string content_type = "application/json") {
    Response out;
    Request req = MakeRequest(std::move(method), std::string(path), std::move(body),
                              std::move(content_type));
    asio::co_spawn(io_, api_.Handle(std::move(req)), [&out](std::exception_ptr, Response r) {
      out = std::move(r);
    });
    io_.restart();
    io_.run();
    return out;
  }

  static void Expect(const Response& r, int code) {
    if (r.code != code) std::abort();
  }

 private:
  static std::string PodJson() {
    std::string containers;
    for (int i = 0; i < 4; ++i) {
      base::StrAppend(&containers, i > 0 ? "," : "", R"({"name":"c)", i,
                      R"(","image":"registry.example/train:1.2.3","command":["python","train.py"],)"
                      R"("resources":{"requests":{"cpu":"2","memory":"8Gi","nvidia.com/gpu":"2"},)"
                      R"("limits":{"nvidia.com/gpu":"2"}},"env":[{"name":"RANK","value":")", i,
                      R"("},{"name":"WORLD_SIZE","value":"4"}]})");
    }
    return base::StrCat(
        R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1","labels":{"team":"a",)"
        R"("job":"train-7"}},"spec":{"nodeName":"node-1","containers":[)",
        containers, R"(]}})");
  }

  base::FakeClock clock_{std::chrono::system_clock::from_time_t(1'800'000'000)};
  store::MemoryStore store_;
  ApiServer api_;
  asio::io_context io_;
};

std::string RenewTime(int64_t i) {
  // A new time for every i below 900,000 (minutes and seconds stay in 10-59).
  return base::StrCat(R"({"spec":{"renewTime":"2026-12-05T00:)", (i / 50) % 50 + 10, ":",
                      i % 50 + 10, ".", 100000 + i % 900000, R"(Z"}})");
}

void BM_PatchLease(benchmark::State& state) {
  Server s;
  int64_t i = 0;
  for (auto _ : state) {
    Server::Expect(s.Call("PATCH", kLeasePath, RenewTime(++i), "application/merge-patch+json"),
                   200);
  }
}
BENCHMARK(BM_PatchLease);

void BM_PatchPodStatus(benchmark::State& state) {
  Server s;
  int64_t i = 0;
  for (auto _ : state) {
    ++i;
    std::string time = base::StrCat("2026-12-05T01:", (i / 50) % 50 + 10, ":", i % 50 + 10, "Z");
    std::string patch = base::StrCat(
        R"({"status":{"phase":"Running","conditions":[)",
        R"({"type":"Ready","status":"True","lastTransitionTime":")", time, R"("},)",
        R"({"type":"ContainersReady","status":"True","lastTransitionTime":")", time, R"("}],)",
        R"("startTime":")", time, R"("}})");
    Server::Expect(s.Call("PATCH", base::StrCat(kPodPath, "/status"), std::move(patch),
                          "application/merge-patch+json"),
                   200);
  }
}
BENCHMARK(BM_PatchPodStatus);

void BM_PatchUnchanged(benchmark::State& state) {
  Server s;
  const std::string patch = RenewTime(1);
  Server::Expect(s.Call("PATCH", kLeasePath, patch, "application/merge-patch+json"), 200);
  for (auto _ : state) {
    Server::Expect(s.Call("PATCH", kLeasePath, patch, "application/merge-patch+json"), 200);
  }
}
BENCHMARK(BM_PatchUnchanged);

}  // namespace
}  // namespace shoal::apiserver

BENCHMARK_MAIN();
