// The agent's typed view of a pod: what it needs to run the containers (commands, env sources,
// volumes and mounts, GPU requests, restart policy, grace period), extracted once from the pod's
// JSON. Also the Kubernetes rules the agent applies to it: $(VAR) expansion in command, args and
// env values, and downward-API field values.
//
// Threading: plain values and pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"

namespace shoal::agent {

struct EnvVarSpec {
  enum class Source { kValue, kField, kConfigMap, kSecret };
  std::string name;
  Source source = Source::kValue;
  std::string value;     // kValue (before $(VAR) expansion)
  std::string ref;       // kField: the fieldPath; kConfigMap/kSecret: the object's name
  std::string key;       // kConfigMap/kSecret
  bool optional = false;  // kConfigMap/kSecret: a missing object or key leaves the var out
};

struct MountSpec {
  std::string volume;
  std::string path;
  bool read_only = false;
};

struct ContainerSpec {
  std::string name;
  std::string image;
  std::vector<std::string> command, args;
  std::vector<EnvVarSpec> env;
  std::string working_dir;
  std::vector<MountSpec> mounts;
  int64_t gpus = 0;  // limits (or requests) of nvidia.com/gpu
  int64_t cpu_limit_milli = 0;     // limits.cpu; 0 = none
  int64_t memory_limit_bytes = 0;  // limits.memory; 0 = none
};

struct VolumeSpec {
  enum class Kind { kEmptyDir, kConfigMap, kSecret, kUnsupported };
  std::string name;
  Kind kind = Kind::kUnsupported;
  std::string source;  // the ConfigMap or Secret name
  std::vector<std::pair<std::string, std::string>> items;  // key -> path; empty: every key
  bool optional = false;
};

struct PodSpecView {
  std::string ns, name, uid, node_name;
  std::string restart_policy = "Always";  // Always, OnFailure, Never
  int64_t grace_seconds = 30;             // spec.terminationGracePeriodSeconds
  std::vector<ContainerSpec> init_containers, containers;
  std::vector<VolumeSpec> volumes;
};

// Extracts the view; InvalidArgument names the field when the pod cannot be run as given
// (a bad GPU quantity).
absl::StatusOr<PodSpecView> PodSpecFromJson(const boost::json::object& pod);

// Kubernetes' expansion: "$(NAME)" becomes the value of NAME when defined (left as is
// otherwise), "$$" becomes "$".
std::string ExpandVars(std::string_view text, const std::map<std::string, std::string>& vars);

// The downward-API value of `field_path` (metadata.name, metadata.namespace, metadata.uid,
// metadata.labels['k'], metadata.annotations['k'], spec.nodeName, spec.serviceAccountName,
// status.podIP, status.hostIP), given the node's address; nullopt for an unsupported path.
std::optional<std::string> FieldValue(const boost::json::object& pod, std::string_view field_path,
                                      const std::string& node_ip);

}  // namespace shoal::agent
