// `shoal agent`: the node agent, against any Kubernetes API server.
#pragma once

#include <string>

namespace shoal::cmd {

struct AgentFlags {
  std::string kubeconfig;
  std::string node_name;
  int fake_gpus = -1;  // < 0: discover with nvidia-smi
  std::string nvidia_smi = "nvidia-smi";  // its path, or a name looked up on PATH
  std::string kernel_log = "/dev/kmsg";    // read for GPU Xid errors
  std::string node_labels;  // k=v,k=v
  std::string data_dir = "/var/lib/shoal/agent";
  std::string node_ip = "127.0.0.1";
  int port = 10250;  // the log endpoint; 0 picks a free port
  std::string health_check_dir;
  std::string preflight_dir;
  int health_interval_s = 10;
  int lease_duration_s = 40;
};

// Runs until SIGINT/SIGTERM (pods keep running, as with kubelet; a restarted agent kills and
// restarts them); returns the exit code (errors as one line on stderr).
int RunAgent(const AgentFlags& flags);

}  // namespace shoal::cmd
