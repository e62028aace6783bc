// The pod-startup scenario: how fast one real `shoal agent` starts short pods. It starts an
// agent child (this binary, --fake-gpus 8, its own data dir), waits for its node to be Ready
// and out of preflight, then creates --pods pods at --rate per second in namespace
// "pod-startup", each a process that writes the time it started (ns) into a file. It measures,
// per pod, from the create request being sent:
//   - to the container's process running (the time the process itself wrote), and
//   - to the pod reported started (the first watch event with phase Running or Succeeded),
// and reports count, mean, p50, p90, p99 and max of each, with the agent's CPU time and memory.
// Kubernetes' SLO for this (pod startup latency, excluding image pulls) is p99 <= 5 s.
//
// Threading: RunPodStartup blocks; it runs its own I/O thread.
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "client/kubeconfig.h"

namespace shoal::bench {

struct PodStartupOptions {
  std::string kubeconfig_path;  // for the agent
  int64_t pods = 1000;
  double rate = 20;  // pod creations per second
  std::string work_dir;  // the agent's data dir and the pods' start files go here
};

absl::StatusOr<boost::json::object> RunPodStartup(const client::Kubeconfig& kc,
                                                  const PodStartupOptions& options);
std::string PodStartupSummary(const boost::json::object& report);

}  // namespace shoal::bench
