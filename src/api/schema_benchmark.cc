// Field checks run on every create and update (fieldValidation), so they must cost little
// next to the JSON parse itself: parse with and without duplicate detection, CheckFields on a
// typical pod (about 2 KB) and a large one, and the OpenAPI documents (built per request
// unless cached).
#include <string>

#include "api/schema.h"
#include "api/schema_test_data.h"
#include "benchmark/benchmark.h"

namespace shoal::api {
namespace {

namespace json = boost::json;

void BM_ParseStock(benchmark::State& state, const char* text) {
  for (auto _ : state) benchmark::DoNotOptimize(json::parse(text));
  state.SetBytesProcessed(state.iterations() * std::string_view(text).size());
}
BENCHMARK_CAPTURE(BM_ParseStock, typical_pod, testdata::kTypicalPod);
BENCHMARK_CAPTURE(BM_ParseStock, full_pod, testdata::kFullPod);

void BM_ParseJsonWithDuplicates(benchmark::State& state, const char* text) {
  std::vector<std::string> dups;
  for (auto _ : state) {
    dups.clear();
    benchmark::DoNotOptimize(ParseJsonWithDuplicates(text, &dups));
  }
  state.SetBytesProcessed(state.iterations() * std::string_view(text).size());
}
BENCHMARK_CAPTURE(BM_ParseJsonWithDuplicates, typical_pod, testdata::kTypicalPod);
BENCHMARK_CAPTURE(BM_ParseJsonWithDuplicates, full_pod, testdata::kFullPod);

void BM_ParseJsonWithoutDuplicateTracking(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(ParseJsonWithDuplicates(testdata::kTypicalPod, nullptr));
}
BENCHMARK(BM_ParseJsonWithoutDuplicateTracking);

void BM_CheckFields(benchmark::State& state, const char* text) {
  auto schema = BuiltinSchemas().ForKind("", "v1", "Pod");
  json::value pod = json::parse(text);
  for (auto _ : state) benchmark::DoNotOptimize(CheckFields(*schema, pod, true));
}
BENCHMARK_CAPTURE(BM_CheckFields, typical_pod, testdata::kTypicalPod);
BENCHMARK_CAPTURE(BM_CheckFields, full_pod, testdata::kFullPod);

// The whole request-body path: parse with duplicates, then check and prune.
void BM_ParseAndCheck(benchmark::State& state) {
  auto schema = BuiltinSchemas().ForKind("", "v1", "Pod");
  std::vector<std::string> dups;
  for (auto _ : state) {
    auto v = ParseJsonWithDuplicates(testdata::kTypicalPod, &dups);
    benchmark::DoNotOptimize(CheckFields(*schema, *v, true));
  }
}
BENCHMARK(BM_ParseAndCheck);

void BM_OpenApiV3Core(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(json::serialize(OpenApiV3Schemas(BuiltinSchemas(), "", "v1")));
  }
}
BENCHMARK(BM_OpenApiV3Core);

}  // namespace
}  // namespace shoal::api
