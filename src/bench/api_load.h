// The `api-load` bench scenario: N concurrent HTTPS clients drive an API server through the
// REST verbs of issue 2's load goals and the scenario reports throughput and latency per verb,
// the end-to-end time of a LIST of many pods, and the server's CPU time and memory.
//
// Phases, in order (each client is one kept-alive connection; requests on it are sequential):
//   create  durable pod creates (POST) in a fresh namespace, for --duration s or --pods N;
//   update  PUT of a pod the client created, carrying its resourceVersion (an annotation
//           changes, so every PUT is a real write);
//   get     GET of a random pod the client created;
//   list    a kubectl-sized page of the namespace (GET ...?limit=--list-limit);
//   list-all  --list-pods pods created in a second namespace by --list-clients connections,
//           then a full LIST of that namespace timed end to end (--list-repeats times);
//   the server's RSS and CPU time while it holds every pod created.
//
// Threading: Run() blocks the calling thread; the clients run on an io_context with
// --client-threads threads.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "client/kubeconfig.h"

namespace shoal::bench {

struct ApiLoadOptions {
  int clients = 16;
  int duration_s = 10;
  int64_t pods = 0;  // > 0: the create phase makes exactly this many pods instead of timing
  int64_t list_pods = 100000;
  int list_clients = 64;
  int list_repeats = 3;
  int list_limit = 500;
  int client_threads = 1;
  pid_t server_pid = -1;  // the server's PID when known (own child), for CPU and RSS
};

// Runs the scenario against the server in `kc`. Returns the JSON report (see
// docs/performance.md for its fields). Errors: Unavailable if the server cannot be reached or
// refuses the setup requests (namespace creation).
absl::StatusOr<boost::json::object> RunApiLoad(const client::Kubeconfig& kc,
                                               const ApiLoadOptions& options);

// The readable summary of a report from RunApiLoad.
std::string ApiLoadSummary(const boost::json::object& report);

}  // namespace shoal::bench
