// Quantity parsing runs for every resource request and limit of every pod the scheduler and the
// quota admission look at; arithmetic runs in the scheduler's fit checks.
#include <string>
#include <vector>

#include "api/quantity.h"
#include "benchmark/benchmark.h"

namespace shoal::api {
namespace {

void BM_QuantityParse(benchmark::State& state, const char* text) {
  for (auto _ : state) {
    absl::StatusOr<Quantity> q = Quantity::Parse(text);
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK_CAPTURE(BM_QuantityParse, cpu_milli, "250m");
BENCHMARK_CAPTURE(BM_QuantityParse, cpu_fraction, "0.5");
BENCHMARK_CAPTURE(BM_QuantityParse, memory_binary, "512Mi");
BENCHMARK_CAPTURE(BM_QuantityParse, memory_fraction, "1.5Gi");
BENCHMARK_CAPTURE(BM_QuantityParse, exponent, "129e6");
BENCHMARK_CAPTURE(BM_QuantityParse, long_digits, "1234567890.123456789012345678");
BENCHMARK_CAPTURE(BM_QuantityParse, invalid, "1Zi");

void BM_QuantityString(benchmark::State& state, const char* text) {
  absl::StatusOr<Quantity> q = Quantity::Parse(text);
  for (auto _ : state) benchmark::DoNotOptimize(q->String());
}
BENCHMARK_CAPTURE(BM_QuantityString, cpu_milli, "250m");
BENCHMARK_CAPTURE(BM_QuantityString, memory_binary, "1.5Gi");

// Summing the requests of a node's pods, as a fit check does.
void BM_QuantitySum(benchmark::State& state) {
  std::vector<Quantity> requests;
  for (int i = 0; i < 110; ++i) requests.push_back(Quantity::FromMilli(100 + i));
  for (auto _ : state) {
    Quantity total;
    for (const Quantity& q : requests) total += q;
    benchmark::DoNotOptimize(total);
  }
}
BENCHMARK(BM_QuantitySum);

}  // namespace
}  // namespace shoal::api
