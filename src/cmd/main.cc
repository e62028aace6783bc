// The shoal binary: one executable, subcommands in the k3s style (see DESIGN.md).
#include <cstdio>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "bench/bench.h"
#include "cmd/agent.h"
#include "cmd/controllers.h"
#include "cmd/flags.h"
#include "cmd/scheduler.h"
#include "cmd/server.h"
#include "sim/sim.h"

int main(int argc, char** argv) {
  CLI::App app{"shoal: a Kubernetes-compatible control plane for machine-learning clusters"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");

  shoal::cmd::ServerFlags server;
  int compaction_seconds = 300;
  CLI::App* srv = app.add_subcommand(
      "server",
      "Run the API server with its embedded durable store (SQLite in --data-dir). Serves HTTPS "
      "and writes DIR/admin.kubeconfig for kubectl. It also runs the scheduler and the "
      "controllers (see --disable) and installs the CRDs of Kueue's queue API "
      "(kueue.x-k8s.io).");
  srv->add_option("--data-dir", server.data_dir,
                  "Directory for all state: the SQLite store, the CA and certificates, the admin "
                  "token and admin.kubeconfig")
      ->required();
  srv->add_option("--bind", server.bind_address, "Address to listen on")
      ->capture_default_str();
  srv->add_option("--port", server.port, "HTTPS port (0 picks a free port)")
      ->capture_default_str();
  srv->add_option("--tls-san", server.extra_sans,
                  "Extra names or IPs for the serving certificate (repeatable)");
  srv->add_option("--threads", server.threads, "I/O threads")->capture_default_str()
      ->check(CLI::Range(1, 64));
  srv->add_option("--example-nodes", server.example_nodes,
                  "Create N example Node objects (no agent runs pods on them) so that a fresh "
                  "cluster shows nodes")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  srv->add_option("--compaction-interval", compaction_seconds,
                  "Seconds between store compactions (history older than one interval is "
                  "dropped, from the store and from the watch cache, which serves watch "
                  "resumes and LIST continue tokens: older ones get 410 Gone)")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));

  srv->add_option("--disable", server.disable,
                  "Parts not to run in this process, comma separated: scheduler (run `shoal "
                  "scheduler` instead, or another scheduler), controllers (run `shoal "
                  "controllers` instead)")
      ->delimiter(',')
      ->check(CLI::IsMember({"scheduler", "controllers"}));
  srv->add_option("--scoring", server.scoring,
                  "Scheduler scoring: pack (fill partly used nodes and leaves first, so that "
                  "whole nodes and leaves stay free for gangs) or spread")
      ->capture_default_str()
      ->check(CLI::IsMember({"pack", "spread"}));
  srv->add_option("--max-requests-inflight", server.max_requests_inflight,
                  "Read-only requests (get, list) handled at once, as kube-apiserver's flag; "
                  "more wait up to 5 s in a queue of twice that length, then get 429 with "
                  "Retry-After. Watches and logs are not counted, nor what kubelets write (leases in "
                  "kube-node-lease, nodes/status, pods/status: a level of their own, never "
                  "refused). 0: no limit")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  srv->add_option("--max-mutating-requests-inflight", server.max_mutating_requests_inflight,
                  "Create, update, patch and delete requests handled at once, as "
                  "kube-apiserver's flag; the rest as for --max-requests-inflight. 0: no limit")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  srv->add_option("--tls-handshake-threads", server.tls_handshake_threads,
                  "Threads that do new connections' TLS handshakes, which then move to the I/O "
                  "threads, so that requests on open connections never wait behind a storm of "
                  "new ones (nodes registering). 0: handshakes on the I/O threads")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  srv->add_option("--watch-threads", server.watch_threads,
                  "Threads that stream watches: a connection whose request is a watch moves to "
                  "them, so that event delivery does not wait behind request handling on the "
                  "I/O threads in a storm of writes. 0: watches on the I/O threads")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  srv->add_option("--store-commit-delay-us", server.store_commit_delay_us,
                  "Group commit: while writes keep coming, wait up to this many microseconds "
                  "for more before committing, so that one fsync serves several (it stops "
                  "waiting while its waits collect nothing, e.g. for one client writing in "
                  "sequence). 0: never wait")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));

  shoal::cmd::AddControllerFlags(srv, server.controllers);

  shoal::cmd::SchedulerFlags sched;
  CLI::App* sch = app.add_subcommand(
      "scheduler",
      "Run shoal's scheduler against any Kubernetes API server (shoal's or kube-apiserver): it "
      "places pending pods whose spec.schedulerName is --scheduler-name, gangs (PodGroups of "
      "scheduling.x-k8s.io/v1alpha1) all at once with leaf/spine topology, preempts "
      "lower-priority pods, and binds through pods/binding.");
  sch->add_option("--kubeconfig", sched.kubeconfig, "Kubeconfig of the API server (bearer token)")
      ->required();
  sch->add_option("--scheduler-name", sched.scheduler_name,
                  "Schedule the pods whose spec.schedulerName is this")
      ->capture_default_str();
  sch->add_option("--scoring", sched.scoring, "pack or spread (see `shoal server --scoring`)")
      ->capture_default_str()
      ->check(CLI::IsMember({"pack", "spread"}));
  sch->add_option("--leaf-label", sched.leaf_key, "Node label naming a node's leaf switch")
      ->capture_default_str();
  sch->add_option("--spine-label", sched.spine_key, "Node label naming a node's spine")
      ->capture_default_str();

  shoal::cmd::ControllersFlags ctl;
  CLI::App* ctls = app.add_subcommand(
      "controllers",
      "Run shoal's controllers against any Kubernetes API server (they also run inside `shoal "
      "server` unless it has --disable controllers): Jobs (batch/v1, and gang Jobs with "
      "annotation shoal.io/gang), node lifecycle (lease expiry, not-ready/unreachable taints, "
      "taint-based eviction), pod garbage collection, the garbage collector (ownerReferences, "
      "cascading deletion), PodGroup status, and the queues (Kueue's kueue.x-k8s.io API: "
      "quota, fair sharing, borrowing and preemption for queued Jobs and pods; the API server "
      "must serve that API, as `shoal server` does).");
  ctls->add_option("--kubeconfig", ctl.kubeconfig, "Kubeconfig of the API server (bearer token)")
      ->required();
  shoal::cmd::AddControllerFlags(ctls, ctl.options);

  shoal::cmd::AgentFlags agent;
  CLI::App* agt = app.add_subcommand(
      "agent",
      "Run the node agent (kubelet's job) against any Kubernetes API server: registers the "
      "Node, renews its Lease in kube-node-lease (every 10 s by default), and runs the pods "
      "bound to it as real processes (command and args; no container images), with GPUs "
      "handed out by index (CUDA_VISIBLE_DEVICES). Pods use the host network. On SIGTERM the "
      "agent stops and its pods keep running; an agent started again kills what it finds and restarts by "
      "restartPolicy.");
  agt->add_option("--kubeconfig", agent.kubeconfig, "Kubeconfig of the API server (bearer token)")
      ->required();
  agt->add_option("--node-name", agent.node_name, "Name of the Node to register")->required();
  agt->add_option("--fake-gpus", agent.fake_gpus,
                  "Declare N fake nvidia.com/gpu devices instead of asking nvidia-smi "
                  "(default: nvidia-smi when on PATH, else none)")
      ->check(CLI::Range(0, 1024));
  agt->add_option("--nvidia-smi", agent.nvidia_smi,
                  "The nvidia-smi program (a path, or a name looked up on PATH) that discovers "
                  "the GPUs at start and, with real GPUs, checks their count and uncorrectable "
                  "ECC errors every --health-interval. Real GPUs also label the node "
                  "nvidia.com/gpu.product (the model, as NVIDIA's GPU feature discovery does)")
      ->capture_default_str();
  agt->add_option("--kernel-log", agent.kernel_log,
                  "The kernel log read for GPU Xid errors (records written after the agent "
                  "started); any of them marks the node unhealthy until the agent restarts")
      ->capture_default_str();
  agt->add_option("--node-labels", agent.node_labels,
                  "Extra node labels, k=v,k=v (e.g. topology.shoal.io/leaf=l1)");
  agt->add_option("--data-dir", agent.data_dir,
                  "Where pod volumes, logs and process records live (a subdirectory per node "
                  "name)")
      ->capture_default_str();
  agt->add_option("--node-ip", agent.node_ip,
                  "The node's InternalIP, which is also every pod's podIP (host network)")
      ->capture_default_str();
  agt->add_option("--port", agent.port,
                  "HTTPS port of the log endpoint that the API server calls for `kubectl logs` "
                  "(kubelet's 10250; 0 picks a free port). Only the API server's agent-client "
                  "certificate is accepted.")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  agt->add_option("--health-check-dir", agent.health_check_dir,
                  "Directory of operator check programs, run every --health-interval: a "
                  "non-zero exit marks the node unhealthy (condition Healthy=False with the "
                  "program's first line of output, taint shoal.io/unhealthy:NoSchedule, an "
                  "Event) until it passes again. Built-in checks (GPU count, Xid, ECC, disk and "
                  "memory pressure) always run.");
  agt->add_option("--preflight-dir", agent.preflight_dir,
                  "Directory of preflight programs (e.g. a GPU burn-in): the node registers "
                  "with taint shoal.io/preflight:NoSchedule and drops it once they all pass");
  agt->add_option("--node-lease-duration-seconds", agent.lease_duration_s,
                  "The node Lease's leaseDurationSeconds (kubelet's nodeLeaseDurationSeconds); "
                  "the Lease is renewed every quarter of it. Keep it no longer than the node "
                  "lifecycle controller's --node-monitor-grace-period (40 s by default)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  agt->add_option("--health-interval", agent.health_interval_s, "Seconds between health runs")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));

  shoal::sim::SimOptions sim;
  CLI::App* sm = app.add_subcommand(
      "sim",
      "Run hollow nodes against any Kubernetes API server: --nodes instances of the real node "
      "agent in this one process, with a simulated runtime. Each registers a Node (96 cpu, "
      "1536Gi memory, --gpus-per-node nvidia.com/gpu, 110 pods, labels "
      "topology.shoal.io/leaf and topology.shoal.io/spine, shoal.io/hollow=true), renews its "
      "Lease every 10 s with jitter, watches its own pods and reports them Running at once and "
      "Succeeded after their shoal.io/sim-duration annotation (e.g. \"30s\"; without it they "
      "run until deleted). Stops on SIGINT/SIGTERM.");
  sm->add_option("--kubeconfig", sim.kubeconfig, "Kubeconfig of the API server (bearer token)")
      ->required();
  sm->add_option("--nodes", sim.nodes, "Hollow nodes to run")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  sm->add_option("--gpus-per-node", sim.gpus_per_node, "nvidia.com/gpu per node")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  sm->add_option("--nodes-per-leaf", sim.nodes_per_leaf, "Nodes under one leaf switch")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  sm->add_option("--leafs-per-spine", sim.leafs_per_spine, "Leaf switches under one spine")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  sm->add_option("--name-prefix", sim.name_prefix, "Node names are PREFIX00000, PREFIX00001, ...")
      ->capture_default_str();
  sm->add_option("--threads", sim.threads, "Event loops the nodes are spread over")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  sm->add_option("--start-rate", sim.start_rate, "Nodes started per second")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e6));
  sm->add_option("--node-lease-duration-seconds", sim.lease_duration_s,
                 "Each node's leaseDurationSeconds; renewed every quarter of it (as `shoal "
                 "agent`)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  sm->add_option("--fail-nodes", sim.fail_nodes_per_minute,
                 "Random nodes per minute that stop renewing their Lease and node status (to "
                 "exercise node lifecycle); 0 = none")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e6));
  shoal::cmd::AddDuration(sm, "--running-delay", sim.running_delay,
              "Time from a pod's binding (volumes and env ready) to its first container start, "
              "as an image pull and container creation would take");
  sm->add_option("--api-latency-out", sim.api_latency_out,
                 "At exit, write the API call latency the hollow nodes saw (p50/p99/max by "
                 "\"VERB resource\") to this JSON file");
  sm->add_option("--startup-api-latency-out", sim.startup_api_latency_out,
                 "On SIGUSR1, which resets the latency records, first write what they held (the "
                 "start-up burst: registration, first lists) to this JSON file");
  sm->add_option("--ready-file", sim.ready_file,
                 "Create this (empty) file once every hollow node has registered and listed its "
                 "pods: the start-up burst is over");
  sm->add_flag("--http1", sim.http1,
              "Speak HTTP/1.1 to the API server instead of HTTP/2: each hollow node's pod watch "
              "then needs a connection of its own besides the one its calls share (two per "
              "node instead of one; kubelets speak HTTP/2). Without this, a server that does "
              "not offer HTTP/2 is spoken to in HTTP/1.1 anyway");
  sm->add_flag("--shared-pod-watch", sim.shared_pod_watch,
              "One watch of every bound pod (fieldSelector spec.nodeName!=) serves all hollow "
              "nodes instead of a watch per node: one connection per node instead of two, for "
              "node counts past a host's open-files limit. Not how kubelets behave; the "
              "default is a watch per node");
  sm->add_option("--shared-connections", sim.shared_connections,
                 "0: each hollow node calls the API server over its own connection (as a "
                 "kubelet). N: the nodes of each event loop share one transport with at most N "
                 "calls in flight (the others wait their turn, which counts in their latency), "
                 "so the server holds one HTTP/2 connection per loop (at most N with --http1); "
                 "with --shared-pod-watch, for node counts past the open-files limit")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  sm->add_option("--calls-per-node", sim.calls_per_node,
                 "Calls in flight per hollow node (without --shared-connections); the node's "
                 "other calls wait their turn. 1: one call at a time besides the pod watch. 0: "
                 "no limit: over HTTP/2 the calls run as concurrent streams of the node's "
                 "connection; with --http1 a call that overlaps another opens a connection of "
                 "its own (a TCP connect and a TLS handshake on both ends)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  sm->add_option("--data-dir", sim.data_dir,
                 "Where the hollow nodes keep their (tiny) pod directories; default: a "
                 "temporary directory, removed at exit, in /dev/shm when it is a writable "
                 "directory (a pod's directories cost no disk journal there), else in $TMPDIR "
                 "or /tmp. Its file `owner` holds the sim's pid: a sim removes the directories "
                 "left there by sims that no longer run (killed, or crashed)");

  shoal::bench::BenchFlags bench;
  CLI::App* bch = app.add_subcommand(
      "bench",
      "Run a scale scenario against an API server and report the SLO figures (a JSON report "
      "plus a readable summary on stdout; scenarios that sample every second also write an "
      "SVG chart of those series beside the report). Without --kubeconfig it starts its own `shoal "
      "server` (this binary) on a free port in a temporary directory, reports that server's "
      "CPU time and memory too, and stops it at the end.");
  bch->footer(
      "Scenarios:\n"
      "  api-load  N concurrent HTTPS clients (one kept-alive connection each) make durable pod\n"
      "            creates for --duration seconds (or --pods N), then PUT updates with the\n"
      "            resourceVersion, GETs, and LIST pages (limit=--list-limit), each for\n"
      "            --duration seconds; reports ops/s and p50/p90/p99/max latency per verb.\n"
      "            Then --list-clients connections create --list-pods pods in a second\n"
      "            namespace and a full LIST of them is timed end to end (--list-repeats\n"
      "            times), and the server's RSS and CPU time are read while it holds every\n"
      "            pod created. Checks the goals of issue 2. The server it starts runs\n"
      "            with --disable scheduler,controllers: the API server is measured.\n"
      "  pod-startup  starts a real `shoal agent` (--fake-gpus 8) on this machine, creates\n"
      "            --pods short pods (default 1000) at --rate per second, and reports p50/p90/\n"
      "            p99/max from each create request to the container's process running and to\n"
      "            the pod reported Running (watch), with the agent's CPU time and memory.\n"
      "  gang-restart  starts --nodes agents and one gang Job of --nodes whole-node pods\n"
      "            (8 GPUs each); --rounds times makes one member exit 1 and reports p50/p90/\n"
      "            max from that moment to the failure observed, the old gang gone, the new\n"
      "            gang bound and the new gang Running. Its own server runs with\n"
      "            --job-pod-failure-backoff 0s (the default 10 s delay would dominate).\n"
      "  node-failure  starts one agent holding --pods pods (default 50) that tolerate\n"
      "            unreachable for 0 s, SIGKILLs it, and reports from the moment its Lease\n"
      "            expired to the node tainted unreachable:NoExecute and to every pod evicted.\n"
      "            Its own server runs with --node-monitor-grace-period 4s.\n"
      "  heartbeat  starts `shoal sim --nodes N` (hollow nodes) and reports the time until\n"
      "            all are Ready, then the server's and the sim's CPU and memory over\n"
      "            --duration seconds of heartbeats (leases and node status) only, the API\n"
      "            latency in them, and how many nodes stayed Ready through them.\n"
      "  smoke     starts `shoal sim` (--nodes, default 100 hollow nodes x 8 GPUs), creates 4\n"
      "            gang Jobs of 8 whole-node pods and --pods one-GPU pods (default 300) at\n"
      "            --rate per second (default 50), all with short simulated run times, and\n"
      "            reports pod startup, gang bind/run times, GPU share, bindings per second\n"
      "            and API latency by verb and resource.\n"
      "  density   Kubernetes' density test on hollow nodes: --nodes (default 100), 30 pods\n"
      "            per node (or --pods) created at --rate per second (default 100), running\n"
      "            until the end; reports pod startup and API latency like smoke.\n"
      "  ml-7500   the ML cluster at scale: `shoal sim` (--nodes, default 7500 x 8 GPUs), balloons\n"
      "            (8-GPU pods at priority -10) on the nodes the gangs leave but 400, then two\n"
      "            1,024-node, ten 128-node and fifty 16-node gang Jobs (scaled to --nodes;\n"
      "            --gangs/--gang-size replace them) running 120 s, and --pods one-GPU pods\n"
      "            (default 20000) from 20 teams at --rate per second (default 100), running\n"
      "            5-180 s, which displace balloons once free GPUs run out. Reports what smoke\n"
      "            does, plus balloons displaced and create answered -> first watch event.\n"
      "  queues    fair sharing through the Kueue API (issue 8): `shoal sim` (--nodes, default\n"
      "            200 hollow nodes x 8 GPUs), --teams ClusterQueues (default 4) in one cohort\n"
      "            with GPU quotas and fair-sharing weights in the ratio T:...:2:1 (4 teams:\n"
      "            40/30/20/10 %), and for --duration seconds (default 60) each team submits\n"
      "            queued Jobs (one-GPU pods, whole-node gangs, one large gang) at up to --rate\n"
      "            per second (default 4) whenever its queued demand is below its quota;\n"
      "            --seed fixes the mix, --run-seconds MIN MAX the run times (default 5 20),\n"
      "            --reclaim the queues' reclaimWithinCohort (default Any; Never turns\n"
      "            preemption, and with it defragmentation, off).\n"
      "            Reports the GPU allocation share while work is pending, each team's share\n"
      "            of GPU-time against its entitlement, and admission latency, with the goals\n"
      "            marked MET or MISS.\n"
      "Examples:\n"
      "  shoal bench --scenario api-load --out api-load.json --clients 16 --duration 10\n"
      "  shoal bench --scenario pod-startup --out startup.json --pods 1000 --rate 20\n"
      "  shoal bench --scenario gang-restart --out gang.json --nodes 4 --rounds 10\n"
      "  shoal bench --scenario node-failure --out node.json --pods 100\n"
      "  shoal bench --scenario heartbeat --out hb.json --nodes 7500 --duration 60\n"
      "  shoal bench --scenario queues --out queues.json --nodes 200 --duration 120\n"
      "  shoal bench --scenario ml-7500 --out ml.json");
  bch->add_option("--scenario", bench.scenario,
                  "Scenario to run: api-load, pod-startup, gang-restart, node-failure, "
                  "heartbeat, smoke, density, queues or ml-7500")
      ->required();
  bch->add_option("--nodes", bench.nodes,
                  "gang-restart: agents, and pods in the gang (at most 64); heartbeat, smoke, "
                  "density, queues and ml-7500: hollow nodes (smoke and density default 100, queues "
                  "200, ml-7500 7500)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  bch->add_option("--gangs", bench.gangs, "smoke: gang Jobs of --gang-size whole-node pods (default 4)")
      ->check(CLI::Range(0, 1000));
  bch->add_option("--gang-size", bench.gang_size, "smoke: pods per gang (default 8)")
      ->check(CLI::Range(1, 100000));
  bch->add_option("--rounds", bench.rounds, "gang-restart: member failures injected")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  bch->add_option("--rate", bench.rate,
                  "pod-startup: pods created per second; smoke: small pods per second "
                  "(default 50); queues: Jobs per second per team at most (default 4); "
                  "heartbeat: hollow nodes started per second (default 1000)")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 10000.0));
  bch->add_option("--kubeconfig", bench.kubeconfig,
                  "Target this API server (any Kubernetes API server; bearer-token users only) "
                  "instead of starting one");
  bch->add_option("--out", bench.out, "Where to write the JSON report")->required();
  bch->add_option("--clients", bench.clients, "Concurrent clients (connections) for the "
                  "create/update/get/list phases")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  bch->add_option("--duration", bench.duration_s,
                  "Seconds per phase; queues: seconds of load (default 60)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  bch->add_option("--teams", bench.teams, "queues: teams (ClusterQueues) sharing the cluster")
      ->capture_default_str()
      ->check(CLI::Range(1, 26));
  bch->add_option("--seed", bench.seed, "queues: seed of the job mix and run times")
      ->capture_default_str();
  bch->add_option("--reclaim", bench.reclaim,
                  "queues: the ClusterQueues' preemption.reclaimWithinCohort")
      ->capture_default_str()
      ->check(CLI::IsMember({"Never", "LowerPriority", "Any"}));
  bch->add_flag("--sim-http1", bench.sim_http1,
                "heartbeat, density, ml-7500, smoke: run the sim with --http1 (two HTTP/1.1 "
                "connections per hollow node instead of one HTTP/2 connection)");
  bch->add_flag("--shared-pod-watch", bench.shared_pod_watch,
                "heartbeat: run the sim with --shared-pod-watch (one watch for all hollow nodes, "
                "one connection per node): for node counts past the open-files limit");
  bch->add_option("--shared-connections", bench.shared_connections,
                  "heartbeat: run the sim with --shared-connections N (the nodes' calls share "
                  "pooled connections): with --shared-pod-watch, past 20,000 nodes")
      ->check(CLI::Range(0, 100000));
  bch->add_flag("--topology-aware", bench.topology_aware,
               "queues: give the ResourceFlavor a topologyName, so that work is admitted only "
               "when its pods fit on the flavor's nodes");
  bch->add_option("--run-seconds", bench.run_seconds,
                  "queues: MIN MAX, the range of the Jobs' simulated run times in seconds")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  bch->add_option("--pods", bench.pods,
                  "Create exactly N pods in the create phase instead of creating for --duration "
                  "seconds (0 = time it)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{10000000}));
  bch->add_option("--list-pods", bench.list_pods,
                  "Pods to create in a second namespace and then LIST in full (0 skips it)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{10000000}));
  bch->add_option("--list-clients", bench.list_clients,
                  "Concurrent clients that create the --list-pods pods")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  bch->add_option("--list-repeats", bench.list_repeats, "How many times the full LIST is timed")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  bch->add_option("--list-limit", bench.list_limit,
                  "Page size of the list phase (kubectl's default chunk size is 500)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  bch->add_option("--client-threads", bench.client_threads,
                  "Threads that run the load generator's connections")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  bch->add_option("--server-threads", bench.server_threads,
                  "I/O threads of the server it starts (`shoal server --threads`; 0 = that "
                  "command's default)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  bch->add_option("--server-max-requests-inflight", bench.server_max_requests_inflight,
                  "`shoal server --max-requests-inflight` of the server it starts (-1: that "
                  "command's default; 0: no limit)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 1000000));
  bch->add_option("--server-max-mutating-requests-inflight",
                  bench.server_max_mutating_requests_inflight,
                  "`shoal server --max-mutating-requests-inflight` of the server it starts (-1: "
                  "that command's default)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 1000000));
  bch->add_option("--server-tls-handshake-threads", bench.server_tls_handshake_threads,
                  "`shoal server --tls-handshake-threads` of the server it starts (-1: that "
                  "command's default)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 64));
  bch->add_option("--settle", bench.settle_s,
                  "smoke, density, ml-7500, queues, heartbeat: seconds to wait once every hollow "
                  "node is up (Ready, its pods listed) before the load or the heartbeat window "
                  "starts, so that the nodes' first lease and status writes, queued behind "
                  "their registration, are not measured as the workload's; 0: start at once")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  bch->add_option("--nice", bench.nice,
                  "The bench's own nice value; the server and hollow nodes it starts keep the "
                  "one it was started with. On a shared machine this keeps the observer (its "
                  "watch and its arrivals) from being starved by what it measures. Lowering "
                  "needs root; 0 leaves it as is")
      ->capture_default_str()
      ->check(CLI::Range(-20, 19));
  bch->add_option("--server-watch-threads", bench.server_watch_threads,
                  "`shoal server --watch-threads` of the server it starts (-1: that command's "
                  "default)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 64));
  bch->add_option("--server-store-commit-delay-us", bench.server_store_commit_delay_us,
                  "`shoal server --store-commit-delay-us` of the server it starts (-1: that "
                  "command's default)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 100000));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  if (srv->parsed()) {
    server.compaction_interval = std::chrono::seconds(compaction_seconds);
    return shoal::cmd::RunServer(server);
  }
  if (sch->parsed()) return shoal::cmd::RunScheduler(sched);
  if (agt->parsed()) return shoal::cmd::RunAgent(agent);
  if (sm->parsed()) return shoal::sim::RunSim(sim);
  if (ctls->parsed()) return shoal::cmd::RunControllers(ctl);
  if (bch->parsed()) {
    bench.nodes_set = bch->count("--nodes") > 0;
    bench.rate_set = bch->count("--rate") > 0;
    bench.duration_set = bch->count("--duration") > 0;
    return shoal::bench::RunBench(bench);
  }
  return 1;
}
