// The pod that benchmarks write: a realistic ~1.5 KB Pod (labels, annotations, one container
// with command, env, ports, resources, probes and mounts; volumes, tolerations, security
// context), rendered by string concatenation so that the load generator spends little CPU on
// it. Shared by `shoal bench` and the micro-benchmarks in bench/, so that both measure the
// same object. Stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shoal::bench {

// The PriorityClass the template's pods name (the load tool creates it first).
inline constexpr std::string_view kPodPriorityClass = "research-normal";

struct PodArgs {
  std::string_view ns;
  std::string_view name;
  std::string_view group = "g0";         // label bench.shoal.io/group
  std::string_view resource_version;     // metadata.resourceVersion when non-empty (updates)
  int64_t revision_note = 0;             // annotation bench.shoal.io/revision (changes per update)
  std::string_view node_name;            // spec.nodeName when non-empty (a bound pod)
  // Adds what the server fills in (uid, creationTimestamp, status with conditions), as a
  // stored pod has it.
  bool server_fields = false;
};

// The pod as JSON, in the canonical member order (apiVersion, kind, metadata first).
std::string PodJson(const PodArgs& args);

}  // namespace shoal::bench
