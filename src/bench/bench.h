// `shoal bench`: scale scenarios against an API server, ours or any Kubernetes one. Without a
// kubeconfig a scenario starts its own `shoal server` child (see server_process.h) and also
// reports that server's CPU time and memory. Each run writes a JSON report and prints a
// readable summary.
//
// Scenarios: api-load (api_load.h), pod-startup (pod_startup.h), gang-restart and
// node-failure (recovery.h), heartbeat (heartbeat.h), smoke and density (smoke.h), queues
// (queues.h).
//
// Threading: RunBench blocks the calling thread until the scenario is done.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace shoal::bench {

struct BenchFlags {
  std::string scenario;
  std::string kubeconfig;  // "" = start an own server
  std::string out;         // JSON report path
  int clients = 16;
  int duration_s = 10;
  int64_t pods = 0;
  int64_t list_pods = 100000;
  int list_clients = 64;
  int list_repeats = 3;
  int list_limit = 500;
  int client_threads = 1;
  int server_threads = 0;  // own server's --threads; 0 = its default
  // Own server's --max-requests-inflight and --max-mutating-requests-inflight; -1 = defaults.
  int server_max_requests_inflight = -1;
  int server_max_mutating_requests_inflight = -1;
  int server_tls_handshake_threads = -1;  // own server's --tls-handshake-threads; -1 = default
  int server_store_commit_delay_us = -1;  // own server's --store-commit-delay-us; -1 = default
  int server_watch_threads = -1;  // own server's --watch-threads; -1 = default
  int settle_s = 10;  // hollow-node scenarios: seconds after every node is up, before the load
  int nice = -10;  // the bench's own nice value (its children keep the inherited one); 0: as is
  double rate = 20;        // pod-startup: pod creations per second
  int nodes = 4;           // gang-restart: agents and gang size; heartbeat, smoke: hollow nodes
  bool nodes_set = false;  // --nodes given (smoke defaults to 100, queues to 200)
  bool rate_set = false;   // --rate given (smoke defaults to 50, queues to 4)
  int rounds = 5;          // gang-restart: failures injected
  bool duration_set = false;  // --duration given (queues defaults to 60)
  int teams = 4;              // queues: teams sharing the cluster
  uint64_t seed = 1;          // queues: the load's random numbers
  std::pair<int, int> run_seconds{5, 20};  // queues: simulated run times, uniform in [min, max]
  std::string reclaim = "Any";             // queues: the ClusterQueues' reclaimWithinCohort
  bool topology_aware = false;             // queues: the flavor has a topologyName
  int gangs = -1;             // smoke: gang Jobs (-1: the scenario's 4)
  int gang_size = 8;          // smoke: whole-node pods per gang
  bool sim_http1 = false;  // hollow-node scenarios but queues: `shoal sim --http1`
  bool shared_pod_watch = false;  // heartbeat: `shoal sim --shared-pod-watch`
  int shared_connections = 0;     // heartbeat: `shoal sim --shared-connections N`
};

// Runs the scenario; returns the process exit code. Errors go to stderr as one line.
int RunBench(const BenchFlags& flags);

}  // namespace shoal::bench
