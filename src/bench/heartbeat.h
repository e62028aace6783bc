// The heartbeat scenario (issue 7): `shoal sim --nodes N` as a child (hollow nodes, this
// binary), then leases and node status only. It measures, through a watch of the Nodes, the
// time from starting the sim to every node registered and Ready, then the steady-state cost of
// heartbeats over --duration seconds: the server's CPU (cores) and memory when the bench
// started the server itself, and the sim's. Kubernetes' scalability tests check the same
// thing (kubemark's idle cluster). The API latency the hollow nodes saw is reported twice:
// during start-up (registration at --rate nodes per second, first lists, until the window
// opens) and during the window.
//
// Threading: RunHeartbeat blocks; it runs its own I/O thread.
#pragma once

#include <sys/types.h>

#include <string>

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "client/kubeconfig.h"

namespace shoal::bench {

struct HeartbeatOptions {
  std::string kubeconfig_path;  // for the sim
  std::string work_dir;         // the sim's data dir and log
  int nodes = 1000;
  int duration_s = 60;          // steady-state sampling window
  pid_t server_pid = -1;        // -1: not ours (no server figures)
  bool sim_http1 = false;  // `shoal sim --http1` (two HTTP/1.1 connections per node)
  bool shared_pod_watch = false;  // `shoal sim --shared-pod-watch` (one connection per node)
  double start_rate = 0;          // hollow nodes started per second (0: the sim's 1000)
  int shared_connections = 0;     // `shoal sim --shared-connections N` (0: one per node)
  int settle_s = 10;  // after every node listed its pods, before the window (--settle)
};

absl::StatusOr<boost::json::object> RunHeartbeat(const client::Kubeconfig& kc,
                                                 const HeartbeatOptions& options);
std::string HeartbeatSummary(const boost::json::object& report);

}  // namespace shoal::bench
