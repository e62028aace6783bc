// Encoding and decoding a typical pod: the JSON work the API server does per request and per
// committed write. The pod is the one `shoal bench --scenario api-load` sends (~1.7 KB as a
// request, ~1.9 KB once the server has filled in uid, timestamps and status).
//
//   Parse            request body -> boost::json (DecodeBody on create/update)
//   SerializeForStore  object -> canonical stored form, without resourceVersion (every write)
//   Serialize        object -> canonical response form (dry runs, deletes)
//   InjectResourceVersion  stored form -> served form, without reparsing (WriteOp::stamp on
//                    the commit thread, once per create/update)
//   MakeCachedObject  the watch cache's per-write work: parse again, extract labels
//                    and fields (runs on the store's commit thread)
//   CreateCodecPath  all of the above that one create does, in sequence
#include <string>

#include <boost/json.hpp>

#include "api/object.h"
#include "api/registry.h"
#include "apiserver/watch_cache.h"
#include "bench/pod_template.h"
#include "benchmark/benchmark.h"

namespace shoal {
namespace {

namespace json = boost::json;

const api::ResourceType& PodType() { return *api::Registry::Default().Find("", "v1", "pods"); }

std::string RequestBody() {
  bench::PodArgs a;
  a.ns = "default";
  a.name = "trainer-7f9c6b8d5-x2k4q";
  a.group = "c3";
  return bench::PodJson(a);
}

// The stored form of the pod after a create (server fields filled in, no resourceVersion).
std::string StoredPod() {
  bench::PodArgs a;
  a.ns = "default";
  a.name = "trainer-7f9c6b8d5-x2k4q";
  a.group = "c3";
  a.node_name = "node-0042";
  a.server_fields = true;
  auto v = api::ParseJson(bench::PodJson(a));
  return api::SerializeForStore(v->get_object());
}

void BM_PodParse(benchmark::State& state) {
  const std::string body = RequestBody();
  for (auto _ : state) {
    absl::StatusOr<json::value> v = api::ParseJson(body);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
  state.counters["bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_PodParse);

void BM_PodParseStored(benchmark::State& state) {
  const std::string stored = StoredPod();
  for (auto _ : state) {
    absl::StatusOr<json::value> v = api::ParseJson(stored);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(stored.size()));
  state.counters["bytes"] = static_cast<double>(stored.size());
}
BENCHMARK(BM_PodParseStored);

void BM_PodSerializeForStore(benchmark::State& state) {
  const json::object obj = api::ParseJson(StoredPod())->get_object();
  size_t n = 0;
  for (auto _ : state) {
    std::string s = api::SerializeForStore(obj);
    n = s.size();
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_PodSerializeForStore);

void BM_PodSerialize(benchmark::State& state) {
  json::object obj = api::ParseJson(StoredPod())->get_object();
  obj["metadata"].get_object()["resourceVersion"] = "123456";
  size_t n = 0;
  for (auto _ : state) {
    std::string s = api::Serialize(obj);
    n = s.size();
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_PodSerialize);

// boost::json's own serializer, for comparison with the canonical-order encoders above.
void BM_PodJsonSerializePlain(benchmark::State& state) {
  const json::value v = *api::ParseJson(StoredPod());
  size_t n = 0;
  for (auto _ : state) {
    std::string s = json::serialize(v);
    n = s.size();
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_PodJsonSerializePlain);

void BM_InjectResourceVersion(benchmark::State& state) {
  const std::string stored = StoredPod();
  int64_t rv = 1000000;
  for (auto _ : state) {
    std::string s = api::InjectResourceVersion(stored, ++rv);
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(stored.size()));
}
BENCHMARK(BM_InjectResourceVersion);

// The watch cache's work for a write the API server made: the value carries its
// resourceVersion (WriteOp::stamp), so it is parsed for labels and fields and shared.
void BM_MakeCachedObject(benchmark::State& state) {
  const std::string key = PodType().Key("default", "trainer-7f9c6b8d5-x2k4q");
  const store::Bytes stamped = store::MakeBytes(api::InjectResourceVersion(StoredPod(), 1000000));
  for (auto _ : state) {
    apiserver::ObjectPtr o = apiserver::MakeCachedObject(PodType(), key, stamped, 1000000);
    benchmark::DoNotOptimize(o);
  }
}
BENCHMARK(BM_MakeCachedObject);

// What one pod create costs in codec work across the API server: decode the request, encode
// the stored form, stamp its resourceVersion (commit thread), build the cached object. The
// response is the stamped document itself, so there is no encoding left to do.
void BM_CreateCodecPath(benchmark::State& state) {
  const std::string body = RequestBody();
  const std::string key = PodType().Key("default", "trainer-7f9c6b8d5-x2k4q");
  int64_t rv = 1000000;
  for (auto _ : state) {
    absl::StatusOr<json::value> v = api::ParseJson(body);
    json::object& obj = v->get_object();
    std::string stored = api::SerializeForStore(obj);
    store::Bytes stamped = store::MakeBytes(api::InjectResourceVersion(stored, ++rv));
    apiserver::ObjectPtr cached = apiserver::MakeCachedObject(PodType(), key, stamped, rv);
    benchmark::DoNotOptimize(cached);
  }
}
BENCHMARK(BM_CreateCodecPath);

}  // namespace
}  // namespace shoal
