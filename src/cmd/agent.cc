// `shoal agent`: Agent with the process runtime, over HTTPS.
#include "cmd/agent.h"

#include <signal.h>

#include <filesystem>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "agent/agent.h"
#include "agent/cgroups.h"
#include "agent/gpus.h"
#include "agent/process_runtime.h"
#include "api/validation.h"
#include "apiserver/pki.h"
#include "client/http_transport.h"
#include "client/kubeconfig.h"

namespace shoal::cmd {

namespace asio = boost::asio;

int RunAgent(const AgentFlags& flags) {
  agent::AgentOptions opts;
  opts.node_name = flags.node_name;
  opts.node_ip = flags.node_ip;
  // Absolute: volume directories are bind-mounted and logs opened from other directories.
  opts.data_dir = std::filesystem::absolute(flags.data_dir + "/" + flags.node_name).string();
  if (!flags.node_labels.empty()) {
    size_t start = 0;
    while (start <= flags.node_labels.size()) {
      size_t end = flags.node_labels.find(',', start);
      if (end == std::string::npos) end = flags.node_labels.size();
      std::string kv = flags.node_labels.substr(start, end - start);
      size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        fmt::print(stderr, "error: --node-labels: \"{}\" is not key=value\n", kv);
        return 1;
      }
      opts.labels[kv.substr(0, eq)] = kv.substr(eq + 1);
      start = end + 1;
    }
  }
  auto kc = client::ReadKubeconfig(flags.kubeconfig);
  if (!kc.ok()) {
    fmt::print(stderr, "error: {}\n", kc.status().ToString());
    return 1;
  }
  auto gpus = agent::DiscoverGpus(flags.fake_gpus, flags.nvidia_smi);
  if (!gpus.ok()) {
    fmt::print(stderr, "error: GPU discovery: {}\n", gpus.status().ToString());
    return 1;
  }
  for (const agent::GpuDevice& g : *gpus) {
    spdlog::info("agent: GPU {} {} ({})", g.index, g.uuid, g.name);
  }
  // The log endpoint's serving certificate: the agent's own, self-signed (the API server does
  // not verify it, as kube-apiserver does not verify kubelets' by default).
  apiserver::PkiOptions pki_opts;
  pki_opts.data_dir = opts.data_dir;
  pki_opts.bind_address = flags.node_ip;
  auto pki = apiserver::EnsurePki(pki_opts);
  if (!pki.ok()) {
    fmt::print(stderr, "error: {}\n", pki.status().ToString());
    return 1;
  }
  opts.log_server.port = static_cast<uint16_t>(flags.port);
  opts.log_server.cert_path = pki->server_cert_path;
  opts.log_server.key_path = pki->server_key_path;
  opts.log_server.client_ca_pem = kc->ca_pem;
  std::string no_cgroups;
  std::unique_ptr<agent::Cgroups> cgroups = agent::Cgroups::Open("/sys/fs/cgroup", &no_cgroups);
  if (cgroups) {
    spdlog::info("agent: CPU and memory limits enforced with cgroup v2 under {}",
                 cgroups->parent());
  } else {
    spdlog::warn("agent: CPU and memory limits are NOT enforced: {}", no_cgroups);
  }
  opts.cgroups = cgroups.get();
  opts.health_checks = true;
  opts.health.check_dir = flags.health_check_dir;
  opts.health.preflight_dir = flags.preflight_dir;
  opts.health.data_dir = opts.data_dir;
  opts.health.expected_gpus = static_cast<int>(gpus->size());
  if (flags.fake_gpus < 0 && !gpus->empty()) {
    opts.health.nvidia_smi = flags.nvidia_smi;
    // GPU feature discovery's label, for nodeSelectors on a GPU model; --node-labels wins.
    opts.labels.emplace("nvidia.com/gpu.product", api::ToLabelValue(gpus->front().name));
  }
  opts.health.kmsg_path = flags.kernel_log;
  opts.health_interval = std::chrono::seconds(flags.health_interval_s);
  opts.lease_duration = std::chrono::seconds(flags.lease_duration_s);
  opts.lease_renew = std::chrono::milliseconds(flags.lease_duration_s * 1000 / 4);
  asio::io_context io(1);
  auto transport = client::HttpTransport::Create(io.get_executor(), *kc);
  if (!transport.ok()) {
    fmt::print(stderr, "error: {}\n", transport.status().ToString());
    return 1;
  }
  agent::ProcessRuntime runtime(io.get_executor());
  agent::Agent node_agent(io.get_executor(), **transport, runtime, *std::move(gpus), opts);
  if (absl::Status s = node_agent.Start(); !s.ok()) {
    fmt::print(stderr, "error: {}\n", s.ToString());
    return 1;
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int sig) {
    spdlog::info("received signal {}, shutting down (pods keep running)", sig);
    io.stop();
  });
  spdlog::info("shoal agent {} started against {} (data dir {})", flags.node_name, kc->server,
               opts.data_dir);
  io.run();
  spdlog::info("shoal agent stopped");
  return 0;
}

}  // namespace shoal::cmd
