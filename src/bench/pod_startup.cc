#include "bench/pod_startup.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/object.h"
#include "base/strings.h"
#include "bench/agents.h"
#include "bench/latency.h"
#include "bench/server_process.h"
#include "client/http_transport.h"

namespace shoal::bench {

namespace asio = boost::asio;
namespace json = boost::json;
using client::MakeRequest;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr const char* kNode = "startup-node";
constexpr const char* kNamespace = "pod-startup";

json::object Summary(LatencyRecorder& r) { return ToJson(r.Summarize()); }

struct Run {
  client::Transport* transport = nullptr;
  PodStartupOptions options;
  std::map<std::string, SteadyClock::time_point> created_steady, reported;
  std::map<std::string, int64_t> created_ns;  // system clock, ns since the epoch
  absl::Status error;
  bool watching = true;

  asio::awaitable<void> Watch() {
    client::Request req = MakeRequest("GET", base::StrCat("/api/v1/namespaces/", kNamespace,
                                                          "/pods"));
    req.query["watch"] = "1";
    req.query["timeoutSeconds"] = "3600";
    co_await transport->Watch(std::move(req), [this](std::string_view line) {
      auto ev = api::ParseJson(line);
      if (!ev.ok()) return watching;
      std::string_view phase = api::StringAt(*ev, "object.status.phase");
      if (phase == "Running" || phase == "Succeeded" || phase == "Failed") {
        std::string name(api::StringAt(*ev, "object.metadata.name"));
        reported.try_emplace(name, SteadyClock::now());
      }
      return watching;
    });
  }

  asio::awaitable<void> Main() {
    std::vector<std::string> nodes{kNode};
    absl::Status ready = co_await NodesReady(*transport, nodes, std::chrono::seconds(60));
    if (!ready.ok()) {
      error = ready;
      co_return;
    }
    json::object ns{{"apiVersion", "v1"}, {"kind", "Namespace"},
                    {"metadata", json::object{{"name", kNamespace}}}};
    co_await transport->Call(MakeRequest("POST", "/api/v1/namespaces", json::serialize(ns)));
    asio::co_spawn(co_await asio::this_coro::executor, Watch(), asio::detached);

    const std::string files = options.work_dir + "/started";
    std::filesystem::create_directories(files);
    const auto start = SteadyClock::now();
    const std::string path = base::StrCat("/api/v1/namespaces/", kNamespace, "/pods");
    for (int64_t i = 0; i < options.pods; ++i) {
      auto due = start + std::chrono::duration_cast<SteadyClock::duration>(
                             std::chrono::duration<double>(static_cast<double>(i) / options.rate));
      asio::steady_timer t(co_await asio::this_coro::executor, due);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      std::string name = fmt::format("p-{:05d}", i);
      json::object pod{
          {"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", json::object{{"name", name}}},
          {"spec",
           json::object{
               {"restartPolicy", "Never"},
               {"terminationGracePeriodSeconds", 0},
               {"containers",
                json::array{json::object{
                    {"name", "c"},
                    {"image", "none"},
                    {"command", json::array{"sh", "-c",
                                            base::StrCat("date +%s%N > ", files, "/$(POD)")}},
                    {"env", json::array{json::object{
                                {"name", "POD"},
                                {"valueFrom",
                                 json::object{{"fieldRef",
                                               json::object{{"fieldPath", "metadata.name"}}}}}}}}}}}}}};
      created_ns[name] = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
      created_steady[name] = SteadyClock::now();
      auto r = co_await transport->Call(MakeRequest("POST", path, json::serialize(pod)));
      if (!r.ok() || r->code != 201) {
        error = absl::InternalError(
            base::StrCat("creating ", name, ": ", r.ok() ? r->Text() : r.status().ToString()));
        watching = false;
        co_return;
      }
    }
    const auto done_by = SteadyClock::now() + std::chrono::seconds(60);
    while (reported.size() < created_steady.size() && SteadyClock::now() < done_by) {
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    watching = false;
    // Remove the pods (they have all ended) with their namespace.
    co_await transport->Call(
        MakeRequest("DELETE", base::StrCat("/api/v1/namespaces/", kNamespace)));
  }
};

}  // namespace

absl::StatusOr<json::object> RunPodStartup(const client::Kubeconfig& kc,
                                           const PodStartupOptions& options) {
  std::filesystem::create_directories(options.work_dir);
  auto agent_pid = SpawnAgents(options.kubeconfig_path, {kNode}, options.work_dir);
  if (!agent_pid.ok()) return agent_pid.status();
  pid_t pid = agent_pid->front();
  asio::io_context io(1);
  auto transport = client::HttpTransport::Create(io.get_executor(), kc);
  if (!transport.ok()) {
    StopChild(pid);
    return transport.status();
  }
  Run run;
  run.transport = transport->get();
  run.options = options;
  asio::co_spawn(io, run.Main(), [&](std::exception_ptr) { io.stop(); });
  io.run();
  auto agent_stats = ReadProcessStats(pid);
  std::string agent_end = StopChild(pid);
  if (!run.error.ok()) return run.error;

  LatencyRecorder to_process, to_reported;
  int64_t missing_start = 0;
  for (const auto& [name, sent_ns] : run.created_ns) {
    std::ifstream in(options.work_dir + "/started/" + name);
    int64_t started_ns = 0;
    if (in >> started_ns) {
      to_process.Add(std::chrono::nanoseconds(started_ns - sent_ns));
    } else {
      ++missing_start;
    }
    auto rep = run.reported.find(name);
    if (rep != run.reported.end()) to_reported.Add(rep->second - run.created_steady[name]);
  }
  json::object report{
      {"scenario", "pod-startup"},
      {"pods", options.pods},
      {"rate_per_s", options.rate},
      {"create_to_process_running", Summary(to_process)},
      {"create_to_running_reported", Summary(to_reported)},
      {"pods_never_started", missing_start},
      {"pods_never_reported",
       static_cast<int64_t>(run.created_ns.size() - run.reported.size())},
      {"agent", json::object{{"cpu_s", agent_stats.ok() ? agent_stats->cpu_s() : -1.0},
                             {"peak_rss_bytes", agent_stats.ok() ? agent_stats->peak_rss_bytes
                                                                 : int64_t{-1}},
                             {"stopped", agent_end}}}};
  return report;
}

std::string PodStartupSummary(const json::object& report) {
  auto line = [&](const char* what, const char* key) {
    const json::object& s = report.at(key).as_object();
    return fmt::format("{:<28} n={:<6} p50={:7.1f} ms  p90={:7.1f} ms  p99={:7.1f} ms  max={:7.1f} ms\n",
                       what, s.at("count").to_number<int64_t>(), s.at("p50_ms").to_number<double>(),
                       s.at("p90_ms").to_number<double>(), s.at("p99_ms").to_number<double>(),
                       s.at("max_ms").to_number<double>());
  };
  const json::object& agent = report.at("agent").as_object();
  return line("create -> process running", "create_to_process_running") +
         line("create -> Running reported", "create_to_running_reported") +
         fmt::format("not started: {}, not reported: {}; agent CPU {:.2f} s, peak RSS {:.1f} MiB\n",
                     report.at("pods_never_started").to_number<int64_t>(),
                     report.at("pods_never_reported").to_number<int64_t>(),
                     agent.at("cpu_s").to_number<double>(),
                     agent.at("peak_rss_bytes").to_number<double>() / (1 << 20));
}

}  // namespace shoal::bench
