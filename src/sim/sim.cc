#include "sim/sim.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "agent/agent.h"
#include "agent/gpus.h"
#include "base/process.h"
#include "base/strings.h"
#include "client/informer.h"
#include "client/http_transport.h"
#include "client/https_client.h"
#include "client/kubeconfig.h"
#include "client/limited_transport.h"
#include "sim/hollow_runtime.h"
#include "sim/shared_pod_watch.h"
#include "sim/temp_dir.h"
#include "sim/timed_transport.h"

namespace shoal::sim {

namespace asio = boost::asio;
namespace json = boost::json;

std::string HollowNodeName(const SimOptions& o, int i) {
  return fmt::format("{}{:05d}", o.name_prefix, i);
}
std::string LeafOf(const SimOptions& o, int i) {
  return fmt::format("leaf-{}", i / std::max(1, o.nodes_per_leaf));
}
std::string SpineOf(const SimOptions& o, int i) {
  return fmt::format("spine-{}",
                     i / std::max(1, o.nodes_per_leaf) / std::max(1, o.leafs_per_spine));
}

namespace {

// One event loop with its runtime and the nodes that live on it.
struct Loop {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  HollowRuntime runtime{io.get_executor()};
  ApiLatency latency;  // of this loop's nodes' calls
  // --shared-connections N: the one transport this loop's nodes share (null: one per node),
  // and at most N of their calls in flight on it, so at most N connections. Unbounded, an
  // overload opened a connection per waiting call until the server ran out of descriptors.
  std::unique_ptr<client::HttpTransport> shared_transport;
  std::unique_ptr<client::LimitedTransport> shared_limited;
  std::thread thread;
};

struct HollowNode {
  std::string name;
  std::unique_ptr<client::HttpTransport> transport;
  std::unique_ptr<client::LimitedTransport> limited;  // --calls-per-node (null: no limit)
  std::unique_ptr<TimedTransport> timed;  // the agent's view of `transport` (or `limited`)
  std::unique_ptr<agent::Agent> agent;
  Loop* loop = nullptr;
};

// The loops' latency records merged, as JSON summaries by "VERB resource", to `path`.
void WriteApiLatency(const std::vector<ApiLatency>& parts, const std::string& path) {
  ApiLatency all;
  for (const ApiLatency& part : parts) {
    for (const auto& [key, rec] : part) all[key].Merge(rec);
  }
  json::object out;
  for (auto& [key, rec] : all) out[key] = bench::ToJson(rec.Summarize());
  std::ofstream f(path, std::ios::trunc);
  f << json::serialize(out) << "\n";
  if (!f) spdlog::error("shoal sim: cannot write {}", path);
}

}  // namespace

int RunSim(const SimOptions& o) {
  auto kc = client::ReadKubeconfig(o.kubeconfig);
  if (!kc.ok()) {
    fmt::print(stderr, "error: {}\n", kc.status().ToString());
    return 1;
  }
  auto tls = client::MakeClientTlsContext(kc->ca_pem);
  if (!tls.ok()) {
    fmt::print(stderr, "error: {}\n", tls.status().ToString());
    return 1;
  }
  base::RaiseOpenFilesLimit();  // a connection or two per hollow node
  std::string dir = o.data_dir;
  bool temporary = dir.empty();
  if (temporary) {
    // Each pod a hollow node starts makes and removes a few directories (the agent's own
    // code): on ext4 those cost the sim about a tenth of its CPU in a burst of pod starts
    // (perf, ml-7500), on tmpfs little.
    std::error_code ec;
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm", ec) && access("/dev/shm", W_OK) == 0
            ? std::filesystem::path("/dev/shm")
            : std::filesystem::temp_directory_path();
    auto made = MakeSimTempDir(base);
    if (!made.ok()) {
      fmt::print(stderr, "error: {}\n", made.status().ToString());
      return 1;
    }
    dir = *std::move(made);
  }
  dir = std::filesystem::absolute(dir).string();

  std::vector<std::unique_ptr<Loop>> loops;
  for (int t = 0; t < std::max(1, o.threads); ++t) loops.push_back(std::make_unique<Loop>());
  std::vector<HollowNode> nodes(static_cast<size_t>(o.nodes));
  client::HttpTransportOptions topts;
  topts.tls = *tls;
  // As many kept-alive connections as a node may have calls in flight (one without a limit).
  topts.max_idle_connections = static_cast<size_t>(std::max(1, o.calls_per_node));
  topts.watch_buffer_bytes = 16 * 1024;
  topts.call_buffer_bytes = 16 * 1024;
  topts.http2 = !o.http1;
  // Counts nodes up (registered, pods listed); the last one ends the start-up burst.
  std::atomic<int> nodes_up{0};
  const auto created = std::chrono::steady_clock::now();
  auto node_up = [&nodes_up, &o, created] {
    if (nodes_up.fetch_add(1) + 1 != o.nodes) return;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - created).count();
    spdlog::info("shoal sim: all {} hollow nodes registered and listed their pods in {:.1f} s",
                 o.nodes, s);
    if (o.ready_file.empty()) return;
    std::ofstream(o.ready_file + ".tmp").close();
    std::error_code ec;
    std::filesystem::rename(o.ready_file + ".tmp", o.ready_file, ec);
    if (ec) spdlog::error("shoal sim: cannot write {}: {}", o.ready_file, ec.message());
  };
  // A transport to the kubeconfig's server; null (the error printed) when it cannot be made.
  auto make_transport = [&kc](asio::any_io_executor executor,
                              const client::HttpTransportOptions& options)
      -> std::unique_ptr<client::HttpTransport> {
    auto t = client::HttpTransport::Create(std::move(executor), *kc, options);
    if (!t.ok()) {
      fmt::print(stderr, "error: {}\n", t.status().ToString());
      return nullptr;
    }
    return std::move(*t);
  };
  if (o.shared_connections > 0) {
    client::HttpTransportOptions shared_opts = topts;
    shared_opts.max_idle_connections = static_cast<size_t>(o.shared_connections);
    for (auto& l : loops) {
      l->shared_transport = make_transport(l->io.get_executor(), shared_opts);
      if (l->shared_transport == nullptr) return 1;
      l->shared_limited = std::make_unique<client::LimitedTransport>(
          *l->shared_transport, l->io.get_executor(), o.shared_connections);
    }
  }
  for (int i = 0; i < o.nodes; ++i) {
    HollowNode& n = nodes[static_cast<size_t>(i)];
    n.loop = loops[static_cast<size_t>(i) % loops.size()].get();
    client::Transport* calls = n.loop->shared_limited.get();
    if (calls == nullptr) {
      n.transport = make_transport(n.loop->io.get_executor(), topts);
      if (n.transport == nullptr) return 1;
      calls = n.transport.get();
      if (o.calls_per_node > 0) {
        n.limited = std::make_unique<client::LimitedTransport>(
            *n.transport, n.loop->io.get_executor(), o.calls_per_node);
        calls = n.limited.get();
      }
    }
    // Timed above the limit: a call's wait for its turn counts in its latency.
    n.timed = std::make_unique<TimedTransport>(*calls, n.loop->latency);
    agent::AgentOptions ao;
    ao.node_name = HollowNodeName(o, i);
    n.name = ao.node_name;
    ao.data_dir = dir + "/" + ao.node_name;
    ao.labels = {{"topology.shoal.io/leaf", LeafOf(o, i)},
                 {"topology.shoal.io/spine", SpineOf(o, i)},
                 {"shoal.io/hollow", "true"}};
    ao.capacity = {{"cpu", "96"}, {"memory", "1536Gi"}, {"pods", "110"},
                   {"ephemeral-storage", "7Ti"}};
    ao.lease_jitter = 0.1;
    ao.start_delay = o.running_delay;
    ao.on_pods_listed = node_up;
    ao.lease_duration = std::chrono::seconds(o.lease_duration_s);
    ao.lease_renew = std::chrono::milliseconds(o.lease_duration_s * 1000 / 4);
    ao.external_pod_watch = o.shared_pod_watch;
    auto gpus = agent::DiscoverGpus(o.gpus_per_node);
    if (!gpus.ok()) gpus = std::vector<agent::GpuDevice>{};
    n.agent = std::make_unique<agent::Agent>(n.loop->io.get_executor(), *n.timed,
                                             n.loop->runtime, *std::move(gpus), ao);
  }
  // The control loop (signals, node starts, the shared pod watch) runs on this thread.
  asio::io_context control(1);
  // --shared-pod-watch: each event goes to its node's agent, on that agent's loop.
  std::unique_ptr<client::HttpTransport> shared_transport;
  std::unique_ptr<SharedPodWatch> shared;
  if (o.shared_pod_watch) {
    shared_transport = make_transport(control.get_executor(), {.tls = *tls});
    if (shared_transport == nullptr) return 1;
    std::vector<std::string> names;
    for (const HollowNode& n : nodes) names.push_back(n.name);
    shared = std::make_unique<SharedPodWatch>(
        *shared_transport, std::move(names), [&nodes](size_t i, client::InformerEvent&& e) {
          HollowNode* node = &nodes[i];
          asio::post(node->loop->io, [node, e = std::move(e)]() mutable {
            node->agent->DeliverPodEvent(std::move(e));
          });
        });
  }
  for (size_t t = 0; t < loops.size(); ++t) {
    Loop* loop = loops[t].get();
    loop->thread = std::thread([loop, t] {
      base::NameThisThread(base::StrCat("sim-loop-", t));
      loop->io.run();
    });
  }
  spdlog::info("shoal sim: starting {} hollow nodes on {} threads against {} (data in {})",
               o.nodes, loops.size(), kc->server, dir);

  // Start the nodes at start_rate, each on its own loop; stop on a signal.
  std::atomic<bool> stopping{false};
  asio::signal_set signals(control, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int sig) {
    spdlog::info("shoal sim: received signal {}, stopping", sig);
    stopping = true;
    control.stop();
  });
  // SIGUSR1: forget the API latency recorded so far, so that --api-latency-out covers only
  // what follows (a bench measuring steady state after the registration burst).
  asio::signal_set reset_signal(control, SIGUSR1);
  std::function<void()> wait_reset = [&] {
    reset_signal.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      // Each loop hands over its records (they belong to its thread) and starts afresh.
      std::vector<std::future<ApiLatency>> taken;
      for (auto& l : loops) {
        Loop* loop = l.get();
        auto done = std::make_shared<std::promise<ApiLatency>>();
        taken.push_back(done->get_future());
        asio::post(loop->io, [loop, done] { done->set_value(std::exchange(loop->latency, {})); });
      }
      std::vector<ApiLatency> parts;
      for (auto& f : taken) parts.push_back(f.get());
      if (!o.startup_api_latency_out.empty()) {
        WriteApiLatency(parts, o.startup_api_latency_out);
      }
      spdlog::info("shoal sim: API latency records reset (SIGUSR1)");
      wait_reset();
    });
  };
  wait_reset();
  int started = 0;
  asio::steady_timer starter(control);
  asio::steady_timer shared_starter(control);
  const auto t0 = std::chrono::steady_clock::now();
  std::function<void()> start_more = [&] {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int due = std::min(o.nodes, 1 + static_cast<int>(elapsed * o.start_rate));
    for (; started < due; ++started) {
      HollowNode* n = &nodes[static_cast<size_t>(started)];
      asio::post(n->loop->io, [n] {
        if (absl::Status s = n->agent->Start(); !s.ok()) {
          spdlog::error("shoal sim: a hollow node did not start: {}", s.ToString());
        }
      });
    }
    if (started < o.nodes) {
      starter.expires_after(std::chrono::milliseconds(20));
      starter.async_wait([&](boost::system::error_code ec) {
        if (!ec) start_more();
      });
    } else {
      spdlog::info("shoal sim: all {} hollow nodes started in {:.1f} s", o.nodes, elapsed);
    }
  };
  start_more();
  // --shared-pod-watch: started once every node's Start is queued on its loop, so that no
  // event reaches an agent before its Start.
  std::function<void()> start_shared = [&] {
    if (!shared) return;
    if (started < o.nodes) {
      shared_starter.expires_after(std::chrono::milliseconds(100));
      shared_starter.async_wait([&](boost::system::error_code ec) {
        if (!ec) start_shared();
      });
      return;
    }
    shared->Start(control.get_executor());
  };
  start_shared();
  // --fail-nodes: random nodes stop their heartbeats.
  std::mt19937 rng(12345);
  asio::steady_timer failer(control);
  std::function<void()> fail_one = [&] {
    if (o.fail_nodes_per_minute <= 0) return;
    failer.expires_after(std::chrono::milliseconds(
        static_cast<int64_t>(60'000.0 / o.fail_nodes_per_minute)));
    failer.async_wait([&](boost::system::error_code ec) {
      if (ec || started == 0) return;
      std::uniform_int_distribution<int> pick(0, started - 1);
      HollowNode* n = &nodes[static_cast<size_t>(pick(rng))];
      asio::post(n->loop->io, [n] { n->agent->StopHeartbeats(); });
      spdlog::info("shoal sim: a node stops its heartbeats (--fail-nodes)");
      fail_one();
    });
  };
  fail_one();
  control.run();

  for (auto& l : loops) l->io.stop();
  for (auto& l : loops) {
    if (l->thread.joinable()) l->thread.join();
  }
  int64_t throttled = 0, call_connections = 0, watch_connections = 0, h2_connections = 0;
  auto count = [&](const client::HttpTransport* t) {
    if (t == nullptr) return;
    throttled += t->throttled();
    call_connections += t->call_connections_opened();
    watch_connections += t->watch_connections_opened();
    h2_connections += t->http2_connections_opened();
  };
  for (const HollowNode& n : nodes) count(n.transport.get());
  for (const auto& l : loops) count(l->shared_transport.get());
  count(shared_transport.get());
  spdlog::info("shoal sim: {} answers were 429 TooManyRequests (a call is sent again after "
               "its Retry-After, up to 10 times); connections opened: {} HTTP/2, {} HTTP/1.1 "
               "for calls, {} HTTP/1.1 for watches",
               throttled, h2_connections, call_connections, watch_connections);
  shared.reset();
  shared_transport.reset();
  nodes.clear();  // agents before their transports' loops go
  if (!o.api_latency_out.empty()) {
    std::vector<ApiLatency> parts;
    for (auto& l : loops) parts.push_back(std::move(l->latency));
    WriteApiLatency(parts, o.api_latency_out);
  }
  loops.clear();
  if (temporary) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  spdlog::info("shoal sim stopped");
  return 0;
}

}  // namespace shoal::sim
