// The watch cache (src/apiserver/watch_cache.h) on its hot paths:
//
//   Apply  one committed pod write on the store's commit thread: build the cached object
//          (inject resourceVersion, parse, extract labels and fields, or take those from the
//          write's hint), update the key map and
//          the history ring, and fan the event out to watchers. Measured with 0, 100 and 7,500
//          per-node watchers (field selector spec.nodeName=node-N, which the cache indexes, as
//          every node agent's pod watch is), plus 100 unindexed watchers for contrast. The
//          pods are spread over 7,500 nodes, so with 7,500 watchers every event reaches one.
//   List   a LIST of 100,000 pods in one namespace: the cache's snapshot walk alone, walk plus
//          the PodList encoding the REST layer does, one kubectl page (limit=500), and a label
//          selector matching 1%.
//   In-process delivery  one pod event applied and handed to 1 or 7 of the server's own
//          informers (7: the scheduler's and the controllers' pod informers), each parsing
//          the event, or all sharing one parse (SharedParse).
//
// Apply's watcher queues are drained outside the timed region (the HTTP layer does that on
// other threads); the delivery benchmark times its draining.
#include <malloc.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/object.h"
#include "api/registry.h"
#include "apiserver/watch_cache.h"
#include "bench/pod_template.h"
#include "base/strings.h"
#include "benchmark/benchmark.h"
#include "client/informer.h"
#include "client/transport.h"
#include "store/store.h"

namespace shoal {
namespace {

using apiserver::ListOptions;
using apiserver::ListResult;
using apiserver::WatchCache;

constexpr int kNodes = 7500;
constexpr int kApplyPods = 10000;   // pods rewritten round-robin by the Apply benchmark
constexpr int kListPods = 100000;

const api::ResourceType& PodType() { return *api::Registry::Default().Find("", "v1", "pods"); }

std::string NodeName(int i) { return base::StrCat("node-", i); }

// The stored form of pod `i` of namespace `ns`, bound to node i % kNodes.
store::Bytes StoredPod(const std::string& ns, int i) {
  std::string name = base::StrCat("pod-", i);
  std::string node = NodeName(i % kNodes);
  std::string group = base::StrCat("g", i % 100);
  bench::PodArgs a;
  a.ns = ns;
  a.name = name;
  a.group = group;
  a.node_name = node;
  a.server_fields = true;
  auto v = api::ParseJson(bench::PodJson(a));
  return store::MakeBytes(api::SerializeForStore(v->get_object()));
}

std::vector<store::KeyValue> Pods(const std::string& ns, int n) {
  std::vector<store::KeyValue> kvs;
  kvs.reserve(n);
  for (int i = 0; i < n; ++i) {
    store::KeyValue kv;
    kv.key = PodType().Key(ns, base::StrCat("pod-", i));
    kv.value = StoredPod(ns, i);
    kv.create_revision = kv.mod_revision = i + 1;
    kvs.push_back(std::move(kv));
  }
  return kvs;
}

void Drain(const std::vector<std::shared_ptr<apiserver::Watcher>>& watchers) {
  for (const auto& w : watchers) w->Take(1 << 20);
}

// Rewrites pod *k (then the next, round-robin) through `cache` at revision ++*rv, with its
// hint.
void ApplyNext(WatchCache& cache, std::vector<store::KeyValue>& pods,
               const std::vector<std::shared_ptr<const void>>& hints, size_t* k, int64_t* rv) {
  store::Event e;
  e.type = store::EventType::kPut;
  e.prev = pods[*k];
  e.kv = pods[*k];
  e.kv.mod_revision = ++*rv;
  e.hint = hints[*k];
  cache.Apply(e);
  pods[*k].mod_revision = *rv;
  *k = (*k + 1) % pods.size();
}

// state.range(0): number of watchers; state.range(1): 1 = per-node (indexed), 0 = a label
// selector each (unindexed: every event is matched against every such watcher);
// state.range(2): 1 = each event carries its writer's hint (FieldsOf, as the API server's
// writes do), so the cache does not parse the value.
void BM_WatchCacheApply(benchmark::State& state) {
  const int n_watchers = static_cast<int>(state.range(0));
  const bool indexed = state.range(1) == 1;
  const bool hinted = state.range(2) == 1;
  std::vector<store::KeyValue> pods = Pods("default", kApplyPods);
  std::vector<std::shared_ptr<const void>> hints(pods.size());
  if (hinted) {
    for (size_t i = 0; i < pods.size(); ++i) {
      auto parsed = api::ParseJson(*pods[i].value);
      hints[i] = apiserver::FieldsOf(PodType(), parsed->get_object());
    }
  }
  WatchCache cache(PodType(), /*history_capacity=*/100000, /*watcher_capacity=*/1 << 20);
  cache.Reset(pods, kApplyPods);
  std::vector<std::shared_ptr<apiserver::Watcher>> watchers;
  for (int i = 0; i < n_watchers; ++i) {
    apiserver::Filter f;
    if (indexed) {
      f.fields = *api::FieldSelector::Parse("spec.nodeName=" + NodeName(i));
    } else {
      f.labels = *api::LabelSelector::Parse(base::StrCat("bench.shoal.io/group=g", i % 100));
    }
    auto w = cache.Watch(0, std::move(f), [] {});
    if (!w.ok()) {
      state.SkipWithError("watch failed");
      return;
    }
    watchers.push_back(*w);
  }
  Drain(watchers);
  int64_t rv = kApplyPods;
  size_t k = 0;
  for (auto _ : state) {
    ApplyNext(cache, pods, hints, &k, &rv);
    if ((rv & 1023) == 0) {
      state.PauseTiming();
      Drain(watchers);
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["watchers"] = static_cast<double>(cache.watcher_count());
}
BENCHMARK(BM_WatchCacheApply)
    ->ArgNames({"watchers", "indexed", "hint"})
    ->Args({0, 1, 0})
    ->Args({100, 1, 0})
    ->Args({kNodes, 1, 0})
    ->Args({100, 0, 0})
    ->Args({0, 1, 1})
    ->Args({kNodes, 1, 1});

// The server's own informers (scheduler and controllers, InProcessTransport) of one pod event:
// Apply it, then hand it to `state.range(0)` unfiltered watchers as an informer's handler gets
// it (client::InformerEvent). state.range(1): 0 = each watcher encodes the event's line and
// parses it (Transport::WatchObjects' default, how every in-process informer received events
// before SharedParse); 1 = the watchers share one parse (InProcessTransport::WatchObjects).
void BM_InProcessInformerDelivery(benchmark::State& state) {
  const int n_watchers = static_cast<int>(state.range(0));
  const bool shared = state.range(1) == 1;
  std::vector<store::KeyValue> pods = Pods("default", kApplyPods);
  WatchCache cache(PodType(), /*history_capacity=*/1000, /*watcher_capacity=*/1 << 20);
  cache.Reset(pods, kApplyPods);
  std::vector<std::shared_ptr<apiserver::Watcher>> watchers;
  for (int i = 0; i < n_watchers; ++i) {
    auto w = cache.Watch(0, apiserver::Filter{}, [] {}, /*share_parse=*/shared);
    if (!w.ok()) {
      state.SkipWithError("watch failed");
      return;
    }
    watchers.push_back(*w);
  }
  Drain(watchers);
  size_t keys = 0;
  std::function<bool(client::ObjectEvent&&)> handler = [&](client::ObjectEvent&& e) {
    client::InformerEvent ie(client::InformerEvent::Type::kModified, std::move(e.object));
    keys += client::ObjectKey(ie.object()).size();
    return true;
  };
  const std::vector<std::shared_ptr<const void>> no_hints(pods.size());
  int64_t rv = kApplyPods;
  size_t k = 0;
  for (auto _ : state) {
    ApplyNext(cache, pods, no_hints, &k, &rv);
    for (const auto& w : watchers) {
      for (const apiserver::CacheEvent& ce : w->Take(16)) {
        if (shared) {
          handler({apiserver::WatchTypeName(ce.type), ce.parsed->Get(*ce.object)});
        } else {
          std::string line = base::StrCat("{\"type\":\"", apiserver::WatchTypeName(ce.type),
                                          "\",\"object\":", *ce.object->json, "}");
          client::DeliverWatchLine(line, handler);
        }
      }
    }
  }
  benchmark::DoNotOptimize(keys);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InProcessInformerDelivery)
    ->ArgNames({"watchers", "shared"})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({7, 0})
    ->Args({7, 1});

// One cache with 100,000 pods, shared by the List benchmarks.
WatchCache& ListCache(int64_t* heap_bytes) {
  static int64_t heap = 0;
  static WatchCache* cache = [] {
    std::vector<store::KeyValue> pods = Pods("bench", kListPods);
    auto* c = new WatchCache(PodType(), 100000, 10000);
    size_t before = mallinfo2().uordblks;
    c->Reset(pods, kListPods);
    heap = static_cast<int64_t>(mallinfo2().uordblks) - static_cast<int64_t>(before);
    return c;
  }();
  *heap_bytes = heap;
  return *cache;
}

// The PodList body as the REST layer builds it (rest.cc ListJson): envelope + each object's
// shared bytes.
std::string Encode(const ListResult& r) {
  std::string out = "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"" +
                    std::to_string(r.revision) + "\"},\"items\":[";
  size_t total = out.size() + 2;
  for (const auto& o : r.items) total += o->json->size() + 1;
  out.reserve(total);
  for (size_t i = 0; i < r.items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(*r.items[i]->json);
  }
  out.append("]}");
  return out;
}

void RunList(benchmark::State& state, const ListOptions& opts, bool encode) {
  int64_t heap = 0;
  WatchCache& cache = ListCache(&heap);
  size_t items = 0, bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<ListResult> r = cache.List(opts);
    if (!r.ok()) {
      state.SkipWithError("list failed");
      break;
    }
    items = r->items.size();
    if (encode) {
      std::string body = Encode(*r);
      bytes = body.size();
      benchmark::DoNotOptimize(body);
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(items));
  state.counters["items"] = static_cast<double>(items);
  if (encode) state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["cache_heap_bytes_per_pod"] = static_cast<double>(heap) / kListPods;
}

void BM_WatchCacheList100k(benchmark::State& state) {
  ListOptions opts;
  opts.filter.ns = "bench";
  RunList(state, opts, /*encode=*/false);
}
BENCHMARK(BM_WatchCacheList100k)->Unit(benchmark::kMillisecond);

void BM_WatchCacheList100kEncoded(benchmark::State& state) {
  ListOptions opts;
  opts.filter.ns = "bench";
  RunList(state, opts, /*encode=*/true);
}
BENCHMARK(BM_WatchCacheList100kEncoded)->Unit(benchmark::kMillisecond);

void BM_WatchCacheList100kPage500(benchmark::State& state) {
  ListOptions opts;
  opts.filter.ns = "bench";
  opts.limit = 500;
  RunList(state, opts, /*encode=*/true);
}
BENCHMARK(BM_WatchCacheList100kPage500)->Unit(benchmark::kMicrosecond);

void BM_WatchCacheList100kLabelSelector1pct(benchmark::State& state) {
  ListOptions opts;
  opts.filter.ns = "bench";
  opts.filter.labels = *api::LabelSelector::Parse("bench.shoal.io/group=g7");
  RunList(state, opts, /*encode=*/true);
}
BENCHMARK(BM_WatchCacheList100kLabelSelector1pct)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace shoal
