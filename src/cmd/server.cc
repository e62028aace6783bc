// `shoal server`: API server + embedded durable store in one process.
#include "cmd/server.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "api/registry.h"
#include "apiserver/api_server.h"
#include "apiserver/http_server.h"
#include "apiserver/pki.h"
#include "base/clock.h"
#include "base/process.h"
#include "base/strings.h"
#include "client/in_process_transport.h"
#include "controllers/controllers.h"
#include "scheduler/scheduler.h"
#include "store/sqlite_store.h"

namespace shoal::cmd {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Example nodes for a cluster without agents, so that `kubectl get nodes` shows something.
void CreateExampleNodes(asio::io_context& io, apiserver::ApiServer& api, int n) {
  for (int i = 0; i < n; ++i) {
    std::string name = base::StrCat("example-node-", i);
    json::object node{
        {"apiVersion", "v1"},
        {"kind", "Node"},
        {"metadata",
         json::object{{"name", name},
                      {"labels", json::object{{"kubernetes.io/hostname", name},
                                              {"kubernetes.io/os", "linux"},
                                              {"kubernetes.io/arch", "amd64"},
                                              {"shoal.io/example", "true"},
                                              {"topology.shoal.io/leaf", "leaf-0"},
                                              {"topology.shoal.io/spine", "spine-0"}}}}},
        {"spec", json::object()},
        {"status",
         json::object{
             {"capacity", json::object{{"cpu", "96"}, {"memory", "1536Gi"},
                                       {"nvidia.com/gpu", "8"}, {"pods", "110"}}},
             {"allocatable", json::object{{"cpu", "96"}, {"memory", "1536Gi"},
                                          {"nvidia.com/gpu", "8"}, {"pods", "110"}}},
             {"conditions",
              json::array{json::object{{"type", "Ready"},
                                       {"status", "True"},
                                       {"reason", "ExampleNode"},
                                       {"message", "example node: no agent runs pods here"}}}},
             {"addresses", json::array{json::object{{"type", "InternalIP"},
                                                    {"address", base::StrCat("10.0.0.", i + 1)}},
                                       json::object{{"type", "Hostname"}, {"address", name}}}},
             {"nodeInfo", json::object{{"kubeletVersion", "v1.32.0-shoal"},
                                       {"osImage", "example"},
                                       {"kernelVersion", ""},
                                       {"containerRuntimeVersion", ""},
                                       {"architecture", "amd64"},
                                       {"operatingSystem", "linux"}}}}}};
    apiserver::Request req;
    req.method = "POST";
    req.path = "/api/v1/nodes";
    req.body = json::serialize(node);
    auto fut = asio::co_spawn(io, api.Handle(std::move(req)), asio::use_future);
    apiserver::Response resp = fut.get();
    if (resp.code != 201 && resp.code != 409) {
      spdlog::warn("creating example node {}: {} {}", name, resp.code, resp.body);
    }
  }
}

}  // namespace

int RunServer(const ServerFlags& flags) {
  if (rlimit lim{}; getrlimit(RLIMIT_NOFILE, &lim) == 0 &&
      base::RaiseOpenFilesLimit() < lim.rlim_max) {
    spdlog::warn("could not raise the open-files limit to {}", lim.rlim_max);
  }
  std::error_code fec;
  std::filesystem::create_directories(flags.data_dir, fec);
  if (fec) {
    fmt::print(stderr, "error: cannot create data dir {}: {}\n", flags.data_dir, fec.message());
    return 1;
  }
  auto pki = apiserver::EnsurePki({.data_dir = flags.data_dir,
                                   .bind_address = flags.bind_address,
                                   .extra_sans = flags.extra_sans});
  if (!pki.ok()) {
    fmt::print(stderr, "error: {}\n", pki.status().ToString());
    return 1;
  }
  store::SqliteStoreOptions sopts;
  sopts.commit_delay = std::chrono::microseconds(flags.store_commit_delay_us);
  auto store = store::SqliteStore::Open(flags.data_dir + "/state.db", sopts);
  if (!store.ok()) {
    fmt::print(stderr, "error: opening the store: {}\n", store.status().ToString());
    return 1;
  }
  std::string host = flags.bind_address == "0.0.0.0" || flags.bind_address == "::"
                         ? "127.0.0.1"
                         : flags.bind_address;
  apiserver::ApiServerOptions aopts;
  aopts.server_address = base::StrCat(host, ":", flags.port);
  // The watch cache's history, which continue tokens and watch resumes read, lasts as long as
  // the store's.
  aopts.history_max_age = flags.compaction_interval;
  apiserver::ApiServer api(**store, api::Registry::Default(), base::RealClock::Get(), aopts);
  if (auto st = api.Start(); !st.ok()) {
    fmt::print(stderr, "error: starting the API server: {}\n", st.ToString());
    return 1;
  }

  asio::io_context io;
  apiserver::Pki creds = *pki;
  apiserver::HttpServerOptions hopts;
  hopts.bind_address = flags.bind_address;
  hopts.port = flags.port;
  hopts.cert_path = creds.server_cert_path;
  hopts.key_path = creds.server_key_path;
  hopts.agent_client_cert_path = creds.agent_client_cert_path;
  hopts.agent_client_key_path = creds.agent_client_key_path;
  hopts.authenticate = [creds](std::string_view token) {
    return apiserver::TokenMatches(token, creds);
  };
  hopts.flow_control.max_requests_inflight = flags.max_requests_inflight;
  hopts.flow_control.max_mutating_requests_inflight = flags.max_mutating_requests_inflight;
  hopts.handshake_threads = flags.tls_handshake_threads;
  hopts.watch_threads = flags.watch_threads;
  apiserver::HttpServer http(io, api, hopts);
  if (auto st = http.Listen(); !st.ok()) {
    fmt::print(stderr, "error: {}\n", st.ToString());
    return 1;
  }
  std::string url = base::StrCat("https://", host, ":", http.port());
  std::string kubeconfig = flags.data_dir + "/admin.kubeconfig";
  if (auto st = apiserver::WriteKubeconfig(kubeconfig, url, creds); !st.ok()) {
    fmt::print(stderr, "error: {}\n", st.ToString());
    return 1;
  }

  // Compaction, as kube-apiserver asks etcd: every interval, drop history older than the
  // revision seen one interval ago (the watch cache keeps what watchers need).
  asio::steady_timer compact_timer(io);
  int64_t compact_to = 0;
  std::function<void()> schedule_compaction = [&] {
    compact_timer.expires_after(flags.compaction_interval);
    compact_timer.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      int64_t now_rev = (*store)->Revision();
      if (compact_to > (*store)->CompactedRevision()) {
        std::thread([s = store->get(), to = compact_to] { (void)s->Compact(to); }).detach();
      }
      compact_to = now_rev;
      schedule_compaction();
    });
  };
  schedule_compaction();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int sig) {
    spdlog::info("received signal {}, shutting down", sig);
    http.Stop();
    compact_timer.cancel();
    io.stop();
  });

  std::vector<std::thread> threads;
  for (int i = 0; i < flags.threads; ++i) {
    threads.emplace_back([&io, i] {
      base::NameThisThread(base::StrCat("api-io-", i));
      io.run();
    });
  }
  CreateExampleNodes(io, api, flags.example_nodes);

  // The scheduler: its own single thread, talking to the API server in process; gangs are
  // bound in one store transaction.
  asio::io_context sched_io(1);
  auto sched_work = asio::make_work_guard(sched_io);
  client::InProcessTransport transport(api);
  std::unique_ptr<scheduler::Scheduler> sched;
  std::thread sched_thread;
  if (std::find(flags.disable.begin(), flags.disable.end(), "scheduler") == flags.disable.end()) {
    scheduler::SchedulerOptions sopts;
    sopts.atomic_gang_binding = true;
    sopts.strategy = flags.scoring == "spread" ? scheduler::ScoringStrategy::kSpread
                                               : scheduler::ScoringStrategy::kPack;
    sched = std::make_unique<scheduler::Scheduler>(sched_io.get_executor(), transport, sopts);
    sched->Start();
    sched_thread = std::thread([&sched_io] {
      base::NameThisThread("scheduler");
      sched_io.run();
    });
  }
  // The controllers: their own single thread, in process too.
  asio::io_context ctl_io(1);
  auto ctl_work = asio::make_work_guard(ctl_io);
  std::shared_ptr<void> ctls;
  std::thread ctl_thread;
  if (std::find(flags.disable.begin(), flags.disable.end(), "controllers") ==
      flags.disable.end()) {
    ctls = controllers::StartControllers(ctl_io.get_executor(), transport, flags.controllers);
    ctl_thread = std::thread([&ctl_io] {
      base::NameThisThread("controllers");
      ctl_io.run();
    });
  }
  spdlog::info("shoal server listening on {} (data dir {}, kubeconfig {})", url, flags.data_dir,
               kubeconfig);
  for (std::thread& t : threads) t.join();
  sched_io.stop();
  if (sched_thread.joinable()) sched_thread.join();
  ctl_io.stop();
  if (ctl_thread.joinable()) ctl_thread.join();
  (*store)->Close();
  const store::CommitStats cs = (*store)->Stats();
  spdlog::info("store: {} writes in {} commits; {} waits for more writes ({} collected none), "
               "paused {} times; {} WAL checkpoints",
               cs.writes, cs.batches, cs.delays, cs.fruitless_delays, cs.delay_pauses,
               cs.wal_checkpoints);
  for (int i = 0; i < apiserver::kPriorityLevels; ++i) {
    const auto level = static_cast<apiserver::PriorityLevel>(i);
    apiserver::LevelStats st = http.flow_control().Stats(level);
    spdlog::info("flow control, level {}: {} seats, {} requests admitted ({} after waiting), {} "
                 "rejected with 429",
                 apiserver::PriorityLevelName(level), st.seats, st.admitted, st.waited,
                 st.rejected);
  }
  spdlog::info("shoal server stopped");
  return 0;
}

}  // namespace shoal::cmd
