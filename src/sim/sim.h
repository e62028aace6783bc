// `shoal sim`: N hollow nodes in one process. Each is the real agent (agent/agent.h) with a
// HollowRuntime: it registers its Node (96 cpu, 1536Gi memory, --gpus-per-node
// nvidia.com/gpu, 110 pods, leaf/spine topology labels), renews its Lease every 10 s with
// jitter, keeps its own watch of the pods bound to it (a stream of the node's one HTTP/2
// connection, as a kubelet's; with --http1 a connection of its own) and reports their status;
// pods start after --running-delay and "run" for their shoal.io/sim-duration annotation.
// With --shared-pod-watch one watch of every bound pod serves all nodes instead, and with
// --shared-connections N the nodes' calls share one transport per event loop (one HTTP/2
// connection, or a few pooled HTTP/1.1 ones): the limit curve past the open-files limit.
// Works against any Kubernetes API server (bearer-token kubeconfigs).
//
// Threading: `threads` event loops, each with its own HollowRuntime; the nodes are dealt out
// round-robin and each lives on one loop. RunSim blocks until SIGINT/SIGTERM.
#pragma once

#include <chrono>
#include <string>

namespace shoal::sim {

struct SimOptions {
  std::string kubeconfig;
  int nodes = 100;
  int gpus_per_node = 8;
  int nodes_per_leaf = 32;
  int leafs_per_spine = 16;
  std::string name_prefix = "hollow-";
  int threads = 2;
  double start_rate = 1000;       // nodes started per second
  int lease_duration_s = 40;      // as `shoal agent --node-lease-duration-seconds`
  double fail_nodes_per_minute = 0;  // random nodes whose heartbeats stop
  std::chrono::milliseconds running_delay{0};  // bound -> first container started
  std::string data_dir;           // "" = a temporary directory, removed at exit
  // At exit, the API latency the nodes saw, by "VERB resource", as JSON summaries ("" = none).
  std::string api_latency_out;
  // On SIGUSR1, which resets those records, what they held until then (the start-up burst),
  // in the same form ("" = none).
  std::string startup_api_latency_out;
  // Written (empty) once every node has registered and listed its pods, i.e. when the start-up
  // burst is over ("" = none): a bench waits for it before measuring steady state.
  std::string ready_file;
  // One watch of all bound pods (fieldSelector spec.nodeName!=) for every node, handed out by
  // node name, instead of a watch per node.
  bool shared_pod_watch = false;
  // 0: each node calls the API server over its own connection, as a kubelet does. N: the
  // nodes of each event loop share one transport with at most N calls in flight (the rest
  // wait their turn), so one HTTP/2 connection per loop (at most N HTTP/1.1 ones), whatever
  // the node count (with shared_pod_watch: a server's limit past its open-files limit).
  int shared_connections = 0;
  // Without shared_connections: at most this many calls of a node in flight, the rest waiting
  // their turn (0 = no limit). Over HTTP/2 the calls are streams of the node's connection
  // either way; with --http1 and no limit, each call that overlaps another opens a connection
  // (in ml-7500, 10,768 more than the 7,500 a node needs, each a TLS handshake on both ends,
  // most of them in bursts).
  int calls_per_node = 1;
  // Speak HTTP/1.1 instead of HTTP/2: a node's watch then takes a connection of its own, and
  // its calls another (two per node instead of one).
  bool http1 = false;
};

// Runs until SIGINT/SIGTERM; returns the exit code (errors as one line on stderr).
int RunSim(const SimOptions& options);

// The name of hollow node `i` ("hollow-00042") and its topology labels.
std::string HollowNodeName(const SimOptions& options, int i);
std::string LeafOf(const SimOptions& options, int i);
std::string SpineOf(const SimOptions& options, int i);

}  // namespace shoal::sim
