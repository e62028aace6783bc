#include "bench/agents.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "api/object.h"
#include "base/strings.h"
#include "bench/server_process.h"

namespace shoal::bench {

namespace asio = boost::asio;
namespace json = boost::json;

absl::StatusOr<std::vector<pid_t>> SpawnAgents(const std::string& kubeconfig_path,
                                               const std::vector<std::string>& nodes,
                                               const std::string& work_dir,
                                               const std::vector<std::string>& extra_args) {
  std::vector<pid_t> pids;
  for (const std::string& node : nodes) {
    std::vector<std::string> args{"agent", "--kubeconfig", kubeconfig_path, "--node-name", node,
                                  "--fake-gpus", "8", "--data-dir", work_dir + "/agent",
                                  "--port", "0", "--health-interval", "1"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    auto pid = SpawnShoal(args, base::StrCat(work_dir, "/agent-", node, ".log"));
    if (!pid.ok()) {
      StopAgents(pids);
      return pid.status();
    }
    pids.push_back(*pid);
  }
  return pids;
}

void StopAgents(std::vector<pid_t>& pids) {
  for (pid_t& pid : pids) {
    if (pid > 0) StopChild(pid);
  }
}

namespace {

asio::awaitable<bool> NodeReady(client::Transport& transport, const std::string& node) {
  auto r = co_await transport.Call(client::MakeRequest("GET", "/api/v1/nodes/" + node));
  if (!r.ok() || r->code != 200) co_return false;
  auto doc = api::ParseJson(r->Text());
  if (!doc.ok()) co_return false;
  if (const json::value* t = api::FindPath(*doc, "spec.taints");
      t != nullptr && t->is_array() && !t->get_array().empty()) {
    co_return false;  // still in preflight
  }
  const json::value* conds = api::FindPath(*doc, "status.conditions");
  if (conds == nullptr || !conds->is_array()) co_return false;
  for (const json::value& c : conds->get_array()) {
    if (api::StringAt(c, "type") == "Ready") co_return api::StringAt(c, "status") == "True";
  }
  co_return false;
}

}  // namespace

asio::awaitable<absl::Status> NodesReady(client::Transport& transport,
                                         std::vector<std::string> nodes,
                                         std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const std::string& node : nodes) {
    while (!co_await NodeReady(transport, node)) {
      if (std::chrono::steady_clock::now() > deadline) {
        co_return absl::DeadlineExceededError(
            base::StrCat("node ", node, " did not become Ready in ", timeout.count(), " s"));
      }
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(100));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  co_return absl::OkStatus();
}

}  // namespace shoal::bench
