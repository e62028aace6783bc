// Schemas of the core/v1 kinds shoal serves (Pod, Node, Namespace, Event, ConfigMap, Secret,
// Binding) and their status types. PodSpec is in schema_data_pod_spec.cc. Format: see
// schema_data.h. Fields follow Kubernetes 1.32.
#include "api/schema_data.h"

namespace shoal::api::internal {

const char kSchemaDataCore[] = R"schema(
package io.k8s.api.core.v1

type Pod gvk=/v1/Pod | A pod: one or more containers that run together on one node and share its network and volumes.
  +typemeta
  +objectmeta
  spec PodSpec | Desired state of the pod.
  status PodStatus | Observed state of the pod, written by the node agent. Read-only.

type PodStatus | The observed state of a pod.
  conditions []PodCondition merge=type strategy=merge list=map keys=type | Conditions of the pod: PodScheduled, Initialized, ContainersReady, Ready, PodReadyToStartContainers...
  containerStatuses []ContainerStatus list=atomic | Status of each app container.
  ephemeralContainerStatuses []ContainerStatus list=atomic | Status of each ephemeral container.
  hostIP string | Primary IP of the node the pod runs on.
  hostIPs []HostIP merge=ip strategy=merge list=atomic | IPs of the node; the first is hostIP.
  initContainerStatuses []ContainerStatus list=atomic | Status of each init container.
  message string | Human-readable detail about the pod's state.
  nominatedNodeName string | Node the pod is expected to run on once preemption of other pods completes.
  phase string enum=Failed,Pending,Running,Succeeded,Unknown | Where the pod is in its life: Pending, Running, Succeeded, Failed or Unknown.
  podIP string | Primary IP of the pod.
  podIPs []PodIP merge=ip strategy=merge list=map keys=ip | IPs of the pod (one per address family); the first is podIP.
  qosClass string enum=BestEffort,Burstable,Guaranteed | Quality-of-service class from the pod's requests and limits: Guaranteed, Burstable or BestEffort.
  reason string | CamelCase reason for the pod's state, e.g. Evicted.
  resize string | State of an in-place resize: Proposed, InProgress, Deferred or Infeasible.
  resourceClaimStatuses []PodResourceClaimStatus merge=name strategy=merge,retainKeys list=map keys=name | Names of the ResourceClaims made for the pod's resourceClaims entries.
  startTime meta.Time | When the node agent acknowledged the pod, before its images were pulled.

type PodCondition | One condition of a pod.
  lastProbeTime meta.Time | When the condition was last probed.
  lastTransitionTime meta.Time | When the status last changed.
  message string | Human-readable detail.
  reason string | CamelCase reason for the last transition.
  status string req | True, False or Unknown.
  type string req | Type of the condition.

type HostIP | An IP of the pod's node.
  ip string req | The IP.

type PodIP | An IP of the pod.
  ip string req | The IP.

type PodResourceClaimStatus | The ResourceClaim made for one resourceClaims entry.
  name string req | Name of the entry in spec.resourceClaims.
  resourceClaimName string | Name of the ResourceClaim; empty if none was needed.

type ContainerStatus | The observed state of one container.
  allocatedResources {}Quantity | Resources the node allocated to the container.
  allocatedResourcesStatus []ResourceStatus merge=name strategy=merge list=map keys=name | Health of the devices allocated to the container.
  containerID string | Runtime id of the container, <type>://<id>.
  image string | Image the container runs.
  imageID string | Id of that image.
  lastState ContainerState | State of the previous run, for a restarted container.
  name string req | Name of the container.
  ready bool req | Whether the container passes its readiness probe.
  resources ResourceRequirements | Resources actually applied to the running container.
  restartCount int32 req | Number of restarts.
  started bool | Whether the container passed its startup probe (or has none and has started).
  state ContainerState | Current state.
  user ContainerUser | User identity of the container's first process.
  volumeMounts []VolumeMountStatus merge=mountPath strategy=merge list=map keys=mountPath | Mounts of the running container.

type ContainerState | State of a container; exactly one field is set. Waiting if none is.
  running ContainerStateRunning | The container is running.
  terminated ContainerStateTerminated | The container has exited.
  waiting ContainerStateWaiting | The container is not running yet.

type ContainerStateWaiting | A container waiting to run.
  message string | Why it is waiting.
  reason string | CamelCase reason, e.g. ContainerCreating, ImagePullBackOff, CrashLoopBackOff.

type ContainerStateRunning | A running container.
  startedAt meta.Time | When it (last) started.

type ContainerStateTerminated | A container that has exited.
  containerID string | Runtime id of the container.
  exitCode int32 req | Exit status.
  finishedAt meta.Time | When it exited.
  message string | Message about the exit.
  reason string | CamelCase reason, e.g. Completed, Error, OOMKilled.
  signal int32 | Signal that killed it.
  startedAt meta.Time | When it started.

type ContainerUser | User identity of a container's process.
  linux LinuxContainerUser | Linux identity.

type LinuxContainerUser | Linux user identity.
  gid int64 req | Primary GID.
  supplementalGroups []int64 list=atomic | Supplementary GIDs.
  uid int64 req | UID.

type VolumeMountStatus | A mount of a running container.
  mountPath string req | Path in the container.
  name string req | Name of the volume.
  readOnly bool | Mounted read-only.
  recursiveReadOnly string | Disabled or Enabled.

type ResourceStatus | Health of the devices of one resource.
  name string req | Resource name.
  resources []ResourceHealth list=map keys=resourceID | One entry per device.

type ResourceHealth | Health of one device.
  health string | Healthy, Unhealthy or Unknown.
  resourceID string req | Id of the device.

type Node gvk=/v1/Node | A node (machine) that runs pods, with its capacity and health as its agent reports them.
  +typemeta
  +objectmeta
  spec NodeSpec | Desired state of the node.
  status NodeStatus | Observed state of the node, written by its agent. Read-only.

type NodeSpec | The desired state of a node.
  configSource NodeConfigSource | Deprecated: dynamic kubelet configuration, no longer used.
  externalID string | Deprecated; unused.
  podCIDR string | Pod IP range assigned to the node.
  podCIDRs []string strategy=merge list=set | Pod IP ranges assigned to the node, one per address family; the first is podCIDR.
  providerID string | Id of the node at its cloud provider, <provider>://<id>.
  taints []Taint list=atomic | Taints of the node; pods must tolerate them.
  unschedulable bool | If true, no new pods are scheduled onto the node (cordon).

type Taint | Repels pods that do not tolerate it.
  effect string req enum=NoExecute,NoSchedule,PreferNoSchedule | NoSchedule, PreferNoSchedule or NoExecute.
  key string req | Taint key.
  timeAdded meta.Time | When a NoExecute taint was added.
  value string | Taint value.

type NodeConfigSource | Deprecated source of a node's kubelet configuration.
  configMap ConfigMapNodeConfigSource | A ConfigMap holding the configuration.

type ConfigMapNodeConfigSource | A ConfigMap holding a kubelet configuration.
  kubeletConfigKey string req | Key holding the configuration.
  name string req | Name of the ConfigMap.
  namespace string req | Namespace of the ConfigMap.
  resourceVersion string | Its resourceVersion.
  uid string | Its UID.

type NodeStatus | The observed state of a node.
  addresses []NodeAddress merge=type strategy=merge list=map keys=type | Addresses of the node: Hostname, InternalIP, ExternalIP...
  allocatable {}Quantity | Resources available to pods: capacity minus what the system reserves.
  capacity {}Quantity | Total resources of the node: cpu, memory, pods, ephemeral-storage, nvidia.com/gpu...
  conditions []NodeCondition merge=type strategy=merge list=map keys=type | Conditions of the node: Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable.
  config NodeConfigStatus | Deprecated status of dynamic kubelet configuration.
  daemonEndpoints NodeDaemonEndpoints | Ports of the daemons on the node.
  features NodeFeatures | Features the node supports.
  images []ContainerImage list=atomic | Images present on the node.
  nodeInfo NodeSystemInfo | Versions and ids of the node's system.
  phase string | Deprecated lifecycle phase of the node.
  runtimeHandlers []NodeRuntimeHandler list=atomic | Runtime handlers the node offers.
  volumesAttached []AttachedVolume list=atomic | Volumes attached to the node.
  volumesInUse []string list=atomic | Volumes in use (mounted) on the node.

type NodeAddress | An address of a node.
  address string req | The address.
  type string req | Hostname, ExternalIP, InternalIP, ExternalDNS or InternalDNS.

type NodeCondition | One condition of a node.
  lastHeartbeatTime meta.Time | When the condition was last reported.
  lastTransitionTime meta.Time | When the status last changed.
  message string | Human-readable detail.
  reason string | CamelCase reason for the last transition.
  status string req | True, False or Unknown.
  type string req | Type of the condition.

type NodeConfigStatus | Deprecated status of dynamic kubelet configuration.
  active NodeConfigSource | Configuration in use.
  assigned NodeConfigSource | Configuration the node should use.
  error string | Problem with the configuration.
  lastKnownGood NodeConfigSource | Configuration used as a fallback.

type NodeDaemonEndpoints | Ports of daemons on the node.
  kubeletEndpoint DaemonEndpoint | The node agent's endpoint.

type DaemonEndpoint | A daemon's port.
  Port int32 req | Port number.

type NodeFeatures | Features a node supports.
  supplementalGroupsPolicy bool | Whether the node honours pod securityContext.supplementalGroupsPolicy.

type ContainerImage | An image on a node.
  names []string list=atomic | Names of the image.
  sizeBytes int64 | Size of the image in bytes.

type NodeSystemInfo | Versions and ids of a node's system.
  architecture string req | CPU architecture.
  bootID string req | Boot id.
  containerRuntimeVersion string req | Container runtime and version, <runtime>://<version>.
  kernelVersion string req | Kernel version (uname -r).
  kubeProxyVersion string req | Deprecated: version of kube-proxy.
  kubeletVersion string req | Version of the node agent.
  machineID string req | Machine id (/etc/machine-id).
  operatingSystem string req | Operating system (linux).
  osImage string req | Distribution (from /etc/os-release).
  swap NodeSwapStatus | Swap memory of the node.
  systemUUID string req | System UUID.

type NodeSwapStatus | Swap memory of a node.
  capacity int64 | Total swap in bytes.

type NodeRuntimeHandler | A runtime handler of a node.
  features NodeRuntimeHandlerFeatures | Features of the handler.
  name string | Handler name; empty for the default.

type NodeRuntimeHandlerFeatures | Features of a runtime handler.
  recursiveReadOnlyMounts bool | Recursive read-only mounts are supported.
  userNamespaces bool | User namespaces are supported.

type AttachedVolume | A volume attached to a node.
  devicePath string req | Where the device is available.
  name string req | Name of the volume.

type Namespace gvk=/v1/Namespace | A namespace: a scope for names, and a unit of access control and quota.
  +typemeta
  +objectmeta
  spec NamespaceSpec | Desired state of the namespace.
  status NamespaceStatus | Observed state of the namespace. Read-only.

type NamespaceSpec | The desired state of a namespace.
  finalizers []string list=atomic | Finalizers that must be cleared before the namespace is removed.

type NamespaceStatus | The observed state of a namespace.
  conditions []NamespaceCondition merge=type strategy=merge list=map keys=type | Conditions of the namespace.
  phase string enum=Active,Terminating | Active or Terminating.

type NamespaceCondition | One condition of a namespace.
  lastTransitionTime meta.Time | When the status last changed.
  message string | Human-readable detail.
  reason string | CamelCase reason.
  status string req | True, False or Unknown.
  type string req | Type of the condition.

type ConfigMap gvk=/v1/ConfigMap | Non-secret configuration as key/value pairs.
  +typemeta
  +objectmeta
  binaryData {}byte | Binary values, base64-encoded. Keys must not also appear in data.
  data {}string | UTF-8 values. Keys are letters, digits, '-', '_' or '.'.
  immutable bool | If true, data and binaryData cannot change.

type Secret gvk=/v1/Secret | Secret data (passwords, tokens, keys) as key/value pairs.
  +typemeta
  +objectmeta
  data {}byte | Values, base64-encoded.
  immutable bool | If true, data cannot change.
  stringData {}string | Write-only convenience: plain values merged into data on write.
  type string | Type of the secret, e.g. Opaque (default), kubernetes.io/tls, kubernetes.io/dockerconfigjson.

type Binding gvk=/v1/Binding | Binds a pod to a node; written by a scheduler to the pod's binding subresource.
  +typemeta
  +objectmeta
  target ObjectReference req | The node to bind to.

type ObjectReference map=atomic | A reference to an object of any kind.
  apiVersion string | API version of the referent.
  fieldPath string | A field inside the referent, e.g. spec.containers{name}.
  kind string | Kind of the referent.
  name string | Name of the referent.
  namespace string | Namespace of the referent.
  resourceVersion string | resourceVersion of the referent, when the reference was made.
  uid string | UID of the referent.

type Event gvk=/v1/Event | A report of something that happened to an object.
  action string | What was done, or what failed.
  +typemeta
  count int32 | How many times the event happened.
  eventTime meta.MicroTime | When the event first happened (newer reporters).
  firstTimestamp meta.Time | When the event was first recorded.
  involvedObject ObjectReference req | The object the event is about.
  lastTimestamp meta.Time | When the event was last recorded.
  message string | Human-readable description.
  metadata meta.ObjectMeta req | Standard object metadata.
  reason string | Short CamelCase reason.
  related ObjectReference | A second object involved, if any.
  reportingComponent string | Component that reported the event, e.g. kubelet.
  reportingInstance string | Instance of that component, e.g. the node name.
  series EventSeries | Data about a series of repeated events.
  source EventSource | Component that reported the event (older reporters).
  type string | Normal or Warning.

type EventSeries | A series of repeated events.
  count int32 | Number of occurrences so far.
  lastObservedTime meta.MicroTime | Time of the last occurrence.

type EventSource | Where an event came from.
  component string | Component.
  host string | Node name.
)schema";

}  // namespace shoal::api::internal
