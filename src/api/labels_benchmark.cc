// Selector matching runs once per object per watcher or list request, and selector parsing once
// per request: both sit on the apiserver's hot paths.
#include <boost/json.hpp>
#include <string>

#include "api/fields.h"
#include "api/labels.h"
#include "benchmark/benchmark.h"

namespace shoal::api {
namespace {

// A typical pod's labels (sorted by key).
const Labels& PodLabels() {
  static const Labels labels = {
      {"app.kubernetes.io/component", "frontend"},
      {"app.kubernetes.io/instance", "web-7f9c"},
      {"app.kubernetes.io/managed-by", "helm"},
      {"app.kubernetes.io/name", "web"},
      {"app.kubernetes.io/version", "1.4.2"},
      {"pod-template-hash", "7f9c6b8d5"},
      {"tier", "frontend"},
      {"track", "stable"},
  };
  return labels;
}

void BM_LabelSelectorParse(benchmark::State& state) {
  const std::string text =
      "app.kubernetes.io/name=web,tier in (frontend,backend),!canary,track!=beta";
  for (auto _ : state) {
    absl::StatusOr<LabelSelector> s = LabelSelector::Parse(text);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_LabelSelectorParse);

void BM_LabelSelectorMatches(benchmark::State& state, const char* text) {
  absl::StatusOr<LabelSelector> s = LabelSelector::Parse(text);
  if (!s.ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  const Labels& labels = PodLabels();
  for (auto _ : state) benchmark::DoNotOptimize(s->Matches(labels));
}
BENCHMARK_CAPTURE(BM_LabelSelectorMatches, everything, "");
BENCHMARK_CAPTURE(BM_LabelSelectorMatches, equals_hit, "app.kubernetes.io/name=web");
BENCHMARK_CAPTURE(BM_LabelSelectorMatches, equals_miss, "app.kubernetes.io/name=db");
BENCHMARK_CAPTURE(BM_LabelSelectorMatches, set_based_hit,
                  "app.kubernetes.io/name=web,tier in (frontend,backend),!canary,track!=beta");
BENCHMARK_CAPTURE(BM_LabelSelectorMatches, gt, "app.kubernetes.io/name=web,replicas>2");

// Extracting labels from a decoded object and matching them, as a list without an index does.
void BM_LabelsFromJsonAndMatch(benchmark::State& state) {
  boost::json::value labels_json = boost::json::parse(
      R"({"app.kubernetes.io/name": "web", "tier": "frontend", "track": "stable",
          "pod-template-hash": "7f9c6b8d5"})");
  absl::StatusOr<LabelSelector> s =
      LabelSelector::Parse("app.kubernetes.io/name=web,tier=frontend");
  for (auto _ : state) benchmark::DoNotOptimize(s->Matches(LabelsFromJson(&labels_json)));
}
BENCHMARK(BM_LabelsFromJsonAndMatch);

void BM_FieldSelectorParse(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<FieldSelector> s =
        FieldSelector::Parse("spec.nodeName=node-17,status.phase!=Succeeded");
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_FieldSelectorParse);

void BM_FieldSelectorMatches(benchmark::State& state) {
  absl::StatusOr<FieldSelector> s =
      FieldSelector::Parse("spec.nodeName=node-17,status.phase!=Succeeded");
  const Fields fields = {{"metadata.name", "web-0"},
                         {"metadata.namespace", "default"},
                         {"spec.nodeName", "node-17"},
                         {"status.phase", "Running"}};
  for (auto _ : state) benchmark::DoNotOptimize(s->Matches(fields));
}
BENCHMARK(BM_FieldSelectorMatches);

}  // namespace
}  // namespace shoal::api
