#include "bench/hollow_cluster.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/object.h"
#include "bench/server_process.h"

namespace shoal::bench {

namespace asio = boost::asio;
namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;

asio::awaitable<void> SleepFor(SteadyClock::duration d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<absl::Status> StartHollowNodes(client::Transport& transport,
                                               const std::string& kubeconfig_path,
                                               const std::string& work_dir, int nodes,
                                               std::chrono::seconds timeout,
                                               std::chrono::seconds settle, pid_t* sim_pid,
                                               bool sim_http1) {
  std::vector<std::string> sim_args = {"--nodes-per-leaf", std::to_string(kBenchNodesPerLeaf)};
  if (sim_http1) sim_args.push_back("--http1");
  absl::StatusOr<pid_t> sim = SpawnSim(kubeconfig_path, work_dir, nodes, sim_args);
  if (!sim.ok()) co_return sim.status();
  *sim_pid = *sim;
  const auto deadline = SteadyClock::now() + timeout;
  // First the sim's word that every node registered and listed its pods (its start-up burst
  // is over; polling a list of thousands of nodes meanwhile would only add to the burst),
  // then the Ready conditions as the API server shows them.
  if (!co_await WaitForSimReady(work_dir, deadline)) {
    co_return absl::DeadlineExceededError(fmt::format(
        "the {} hollow nodes had not all registered after {} s", nodes, timeout.count()));
  }
  int ready = 0;
  while (SteadyClock::now() < deadline) {
    client::Request list = client::MakeRequest("GET", "/api/v1/nodes");
    auto r = co_await transport.Call(std::move(list));
    if (r.ok() && r->code == 200) {
      auto doc = api::ParseJson(r->Text());
      ready = 0;
      const json::value* items = doc.ok() ? api::FindPath(*doc, "items") : nullptr;
      if (items != nullptr && items->is_array()) {
        for (const json::value& n : items->get_array()) {
          if (!n.is_object()) continue;
          const json::value* cs = api::FindPath(n.get_object(), "status.conditions");
          if (cs == nullptr || !cs->is_array()) continue;
          for (const json::value& c : cs->get_array()) {
            if (api::StringAt(c, "type") == "Ready" && api::StringAt(c, "status") == "True") {
              ++ready;
            }
          }
        }
      }
      if (ready >= nodes) {
        if (settle.count() > 0) {
          fmt::print("hollow nodes: all {} Ready; settling {} s before the load\n", nodes,
                     settle.count());
          std::fflush(stdout);
          co_await SleepFor(settle);
        }
        co_return absl::OkStatus();
      }
    }
    co_await SleepFor(std::chrono::milliseconds(500));
  }
  co_return absl::DeadlineExceededError(fmt::format(
      "only {} of {} hollow nodes were Ready after {} s", ready, nodes, timeout.count()));
}

namespace {
std::string SimApiLatencyFile(const std::string& work_dir) {
  return work_dir + "/sim-api-latency.json";
}
std::string SimReadyFile(const std::string& work_dir) { return work_dir + "/sim.ready"; }
}  // namespace

absl::StatusOr<pid_t> SpawnSim(const std::string& kubeconfig_path, const std::string& work_dir,
                               int nodes, const std::vector<std::string>& extra_args) {
  // No --data-dir: the sim's own temporary directory is on tmpfs where there is one.
  std::vector<std::string> args = {"sim", "--kubeconfig", kubeconfig_path, "--nodes",
                                   std::to_string(nodes),
                                   "--api-latency-out", SimApiLatencyFile(work_dir),
                                   "--ready-file", SimReadyFile(work_dir)};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return SpawnShoal(args, work_dir + "/sim.log");
}

asio::awaitable<bool> WaitForSimReady(const std::string& work_dir,
                                      SteadyClock::time_point deadline) {
  const std::string path = SimReadyFile(work_dir);
  while (!std::filesystem::exists(path)) {
    if (SteadyClock::now() >= deadline) co_return false;
    co_await SleepFor(std::chrono::milliseconds(100));
  }
  co_return true;
}

json::object ReadJsonObjectFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream text;
  text << f.rdbuf();
  auto doc = api::ParseJson(text.str());
  return doc.ok() && doc->is_object() ? std::move(doc->get_object()) : json::object{};
}

json::object ReadHollowNodeApiLatency(const std::string& work_dir) {
  return ReadJsonObjectFile(SimApiLatencyFile(work_dir));
}

std::string HollowNodeApiLatencySummary(const json::object& report, std::string_view key,
                                        std::string_view label) {
  const json::value* l = report.if_contains(key);
  if (l == nullptr || !l->is_object()) return "";
  std::string out;
  for (const auto& [what, v] : l->get_object()) {
    if (!v.is_object()) continue;
    const json::object& s = v.get_object();
    out += fmt::format("{}: {:<22} n={:<7} p50 {:.1f} ms  p99 {:.1f} ms", label,
                       std::string(what), s.at("count").to_number<int64_t>(),
                       s.at("p50_ms").to_number<double>(), s.at("p99_ms").to_number<double>());
    // A histogram's summary (the server's, from /metrics) has no max.
    if (const json::value* max = s.if_contains("max_ms")) {
      out += fmt::format("  max {:.1f} ms", max->to_number<double>());
    }
    out += "\n";
  }
  return out;
}

std::string ServerStorageSummary(const json::object& report, std::string_view key,
                                 std::string_view when) {
  const json::value* storage = report.if_contains(key);
  if (storage == nullptr || !storage->is_object()) return "";
  std::string out;
  for (const char* part : {"store", "resume"}) {
    out += HollowNodeApiLatencySummary(storage->get_object(), part,
                                       fmt::format("server {}{}", part, when));
  }
  return out;
}

}  // namespace shoal::bench
