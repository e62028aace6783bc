// Schemas of core/v1 PodSpec and the types it uses (containers, probes, security, affinity,
// tolerations, spread constraints). Volumes are in schema_data_volumes.cc. Format: see
// schema_data.h. Fields follow Kubernetes 1.32.
#include "api/schema_data.h"

namespace shoal::api::internal {

const char kSchemaDataPodSpec[] = R"schema(
package io.k8s.api.core.v1

type PodTemplateSpec | The pod a controller creates: its metadata and spec.
  metadata meta.ObjectMeta | Metadata of the pods made from this template.
  spec PodSpec | Desired behaviour of the pods made from this template.

type PodSpec | The desired state of a pod: its containers, volumes, and how and where it runs.
  activeDeadlineSeconds int64 | Seconds the pod may run, counted from its start, before the system fails it. Positive integer.
  affinity Affinity | Scheduling constraints: node affinity, pod affinity and anti-affinity.
  automountServiceAccountToken bool | Whether the service account token is mounted into the pod.
  containers []Container req merge=name strategy=merge list=map keys=name | The containers of the pod. At least one; cannot be added or removed after creation.
  dnsConfig PodDNSConfig | DNS settings merged into those that dnsPolicy produces.
  dnsPolicy string enum=ClusterFirst,ClusterFirstWithHostNet,Default,None | How the pod's DNS is set up: ClusterFirst (default), ClusterFirstWithHostNet, Default or None.
  enableServiceLinks bool | Whether service environment variables (docker links style) are injected. Default true.
  ephemeralContainers []EphemeralContainer merge=name strategy=merge list=map keys=name | Temporary containers added to a running pod for debugging, through the ephemeralcontainers subresource.
  hostAliases []HostAlias merge=ip strategy=merge list=map keys=ip | Extra entries for the pod's /etc/hosts.
  hostIPC bool | Use the host's IPC namespace. Default false.
  hostNetwork bool | Use the host's network namespace. Default false.
  hostPID bool | Use the host's PID namespace. Default false.
  hostUsers bool | If false, the pod gets its own user namespace. Default true.
  hostname string | Hostname of the pod; defaults to the pod's name.
  imagePullSecrets []LocalObjectReference merge=name strategy=merge list=map keys=name | Secrets in the pod's namespace used to pull its images.
  initContainers []Container merge=name strategy=merge list=map keys=name | Containers run one after another before the app containers start; a sidecar is one with restartPolicy Always.
  nodeName string | The node the pod is bound to. Set by the scheduler, or by hand to skip scheduling.
  nodeSelector {}string map=atomic | Labels a node must have for the pod to be placed on it.
  os PodOS | The operating system the pod's containers need.
  overhead {}Quantity | Resources used by the pod sandbox on top of its containers; set from its RuntimeClass.
  preemptionPolicy string enum=Never,PreemptLowerPriority | Whether the pod may preempt lower-priority pods: PreemptLowerPriority (default) or Never.
  priority int32 | Priority of the pod, resolved from priorityClassName at admission. Higher is more important.
  priorityClassName string | Name of the PriorityClass giving the pod's priority. Built-in: system-node-critical, system-cluster-critical.
  readinessGates []PodReadinessGate list=atomic | Extra pod conditions that must be True for the pod to be ready.
  resourceClaims []PodResourceClaim merge=name strategy=merge,retainKeys list=map keys=name | Dynamic resources (ResourceClaims) the pod needs, referenced by name from container resources.claims.
  resources ResourceRequirements | Resources of the whole pod, shared by its containers (pod-level resources).
  restartPolicy string enum=Always,Never,OnFailure | Restart policy of the containers: Always (default), OnFailure or Never.
  runtimeClassName string | Name of the RuntimeClass (container runtime configuration) to run the pod with.
  schedulerName string | Scheduler that places the pod; the default scheduler if empty.
  schedulingGates []PodSchedulingGate merge=name strategy=merge list=map keys=name | While any gate remains, the pod is not scheduled. Gates can only be removed.
  securityContext PodSecurityContext | Security settings of the pod, and defaults for its containers.
  serviceAccount string | Deprecated alias of serviceAccountName.
  serviceAccountName string | Service account the pod runs as.
  setHostnameAsFQDN bool | Use the fully qualified domain name as the hostname. Default false.
  shareProcessNamespace bool | Containers share one PID namespace. Default false.
  subdomain string | With hostname, gives the pod the DNS name <hostname>.<subdomain>.<namespace>.svc.<cluster domain>.
  terminationGracePeriodSeconds int64 | Seconds between the termination signal and the kill when the pod is stopped. Default 30.
  tolerations []Toleration list=atomic | Taints the pod tolerates.
  topologySpreadConstraints []TopologySpreadConstraint merge=topologyKey strategy=merge list=map keys=topologyKey,whenUnsatisfiable | How pods are spread over topology domains (zones, racks, nodes).
  volumes []Volume merge=name strategy=merge,retainKeys list=map keys=name | Volumes the containers can mount.

type Container | One container of a pod.
  args []string list=atomic | Arguments to the entrypoint; the image's CMD if empty. $(VAR) references are expanded.
  command []string list=atomic | Entrypoint, not run in a shell; the image's ENTRYPOINT if empty. $(VAR) references are expanded.
  env []EnvVar merge=name strategy=merge list=map keys=name | Environment variables of the container.
  envFrom []EnvFromSource list=atomic | Sources of environment variables (ConfigMaps, Secrets); explicit env entries win.
  image string | Container image name.
  imagePullPolicy string enum=Always,IfNotPresent,Never | Always, Never or IfNotPresent. Defaults to Always for :latest, IfNotPresent otherwise.
  lifecycle Lifecycle | Hooks run after the container starts and before it stops.
  livenessProbe Probe | Probe of liveness; the container is restarted when it fails.
  name string req | Name of the container, a DNS label unique within the pod.
  ports []ContainerPort merge=containerPort strategy=merge list=map keys=containerPort,protocol | Ports the container exposes. Informational, except hostPort.
  readinessProbe Probe | Probe of readiness; the pod leaves service endpoints while it fails.
  resizePolicy []ContainerResizePolicy list=atomic | What happens to the container when its resources are resized in place.
  resources ResourceRequirements | Compute resources the container requests and is limited to.
  restartPolicy string | Only "Always", only for init containers: makes the init container a sidecar that runs for the pod's lifetime.
  securityContext SecurityContext | Security settings of the container; they override the pod's.
  startupProbe Probe | Probe of startup; the other probes wait until it succeeds, and the container is restarted if it fails.
  stdin bool | Keep a stdin buffer open for the container. Default false.
  stdinOnce bool | Close stdin after the first attach session. Default false.
  terminationMessagePath string | File whose content becomes the termination message. Default /dev/termination-log.
  terminationMessagePolicy string enum=FallbackToLogsOnError,File | File (default), or FallbackToLogsOnError to use the log tail when the file is empty.
  tty bool | Allocate a TTY; needs stdin. Default false.
  volumeDevices []VolumeDevice merge=devicePath strategy=merge list=map keys=devicePath | Raw block devices the container uses.
  volumeMounts []VolumeMount merge=mountPath strategy=merge list=map keys=mountPath | Volumes mounted into the container's filesystem.
  workingDir string | Working directory; the image's if empty.

type EphemeralContainer | A temporary container added to a running pod, for debugging. It has no ports, probes or resources and is never restarted.
  args []string list=atomic | Arguments to the entrypoint.
  command []string list=atomic | Entrypoint, not run in a shell.
  env []EnvVar merge=name strategy=merge list=map keys=name | Environment variables.
  envFrom []EnvFromSource list=atomic | Sources of environment variables.
  image string | Container image name.
  imagePullPolicy string enum=Always,IfNotPresent,Never | Always, Never or IfNotPresent.
  lifecycle Lifecycle | Not allowed for ephemeral containers.
  livenessProbe Probe | Not allowed for ephemeral containers.
  name string req | Name, unique among all containers of the pod.
  ports []ContainerPort merge=containerPort strategy=merge list=map keys=containerPort,protocol | Not allowed for ephemeral containers.
  readinessProbe Probe | Not allowed for ephemeral containers.
  resizePolicy []ContainerResizePolicy list=atomic | Not allowed for ephemeral containers.
  resources ResourceRequirements | Not allowed: ephemeral containers use the pod's spare resources.
  restartPolicy string | Not allowed for ephemeral containers.
  securityContext SecurityContext | Security settings of the container.
  startupProbe Probe | Not allowed for ephemeral containers.
  stdin bool | Keep a stdin buffer open.
  stdinOnce bool | Close stdin after the first attach session.
  targetContainerName string | Container whose namespaces (IPC, PID...) the ephemeral container joins.
  terminationMessagePath string | File whose content becomes the termination message.
  terminationMessagePolicy string | File or FallbackToLogsOnError.
  tty bool | Allocate a TTY.
  volumeDevices []VolumeDevice merge=devicePath strategy=merge list=map keys=devicePath | Raw block devices.
  volumeMounts []VolumeMount merge=mountPath strategy=merge list=map keys=mountPath | Volume mounts; subPath is not allowed.
  workingDir string | Working directory.

type ContainerPort | A network port of a container.
  containerPort int32 req | Port number on the pod's IP, 1-65535.
  hostIP string | Host IP to bind the host port to.
  hostPort int32 | Port number on the host, 1-65535; most containers do not need one.
  name string | IANA service name of the port, unique in the pod; services refer to ports by it.
  protocol string enum=SCTP,TCP,UDP | TCP (default), UDP or SCTP.

type EnvVar | An environment variable of a container.
  name string req | Name of the variable.
  value string | Value; $(VAR) references to earlier variables are expanded. Default "".
  valueFrom EnvVarSource | Where the value comes from, instead of value.

type EnvVarSource | A source of an environment variable's value. Exactly one field is set.
  configMapKeyRef ConfigMapKeySelector | A key of a ConfigMap.
  fieldRef ObjectFieldSelector | A field of the pod: metadata.name, metadata.namespace, metadata.uid, metadata.labels['<key>'], metadata.annotations['<key>'], spec.nodeName, spec.serviceAccountName, status.hostIP, status.hostIPs, status.podIP, status.podIPs.
  resourceFieldRef ResourceFieldSelector | A resource limit or request of a container.
  secretKeyRef SecretKeySelector | A key of a Secret.

type ConfigMapKeySelector map=atomic | One key of a ConfigMap.
  key string req | The key.
  name string | Name of the ConfigMap.
  optional bool | If true, a missing ConfigMap or key is not an error.

type SecretKeySelector map=atomic | One key of a Secret.
  key string req | The key.
  name string | Name of the Secret.
  optional bool | If true, a missing Secret or key is not an error.

type ObjectFieldSelector map=atomic | A field of the pod.
  apiVersion string | Version the field path is written in; default "v1".
  fieldPath string req | Path of the field.

type ResourceFieldSelector map=atomic | A resource of a container (limits.cpu, limits.memory, limits.ephemeral-storage, requests.cpu, requests.memory, requests.ephemeral-storage).
  containerName string | Container; required for volumes, optional for env vars.
  divisor Quantity | Unit of the exposed value; default "1".
  resource string req | The resource to expose.

type EnvFromSource | A ConfigMap or Secret whose keys all become environment variables.
  configMapRef ConfigMapEnvSource | The ConfigMap.
  prefix string | Prefix added to each variable name.
  secretRef SecretEnvSource | The Secret.

type ConfigMapEnvSource | A ConfigMap used as a source of environment variables.
  name string | Name of the ConfigMap.
  optional bool | If true, the ConfigMap need not exist.

type SecretEnvSource | A Secret used as a source of environment variables.
  name string | Name of the Secret.
  optional bool | If true, the Secret need not exist.

type ResourceRequirements | Compute resources: what is requested (for scheduling) and the limits enforced at run time.
  claims []ResourceClaim list=map keys=name | Names of entries in spec.resourceClaims this container uses.
  limits {}Quantity | Most of each resource the container may use.
  requests {}Quantity | Resources the container needs; default the limits when omitted.

type ResourceClaim | A reference to a claim of the pod.
  name string req | Name of an entry in the pod's spec.resourceClaims.
  request string | One request of the claim; all of them if empty.

type ContainerResizePolicy | What to do when one resource of the container is resized.
  resourceName string req | The resource: cpu or memory.
  restartPolicy string req | NotRequired (default) or RestartContainer.

type VolumeMount | A volume mounted into a container.
  mountPath string req | Path in the container; must not contain ':'.
  mountPropagation string enum=Bidirectional,HostToContainer,None | How mounts propagate between host and container: None (default), HostToContainer or Bidirectional.
  name string req | Name of the pod volume.
  readOnly bool | Mount read-only. Default false.
  recursiveReadOnly string | Disabled, IfPossible or Enabled: make submounts read-only too (needs readOnly).
  subPath string | Path inside the volume to mount instead of its root.
  subPathExpr string | Like subPath, with $(VAR) references expanded from the container's environment.

type VolumeDevice | A raw block volume mapped into a container.
  devicePath string req | Path of the device in the container.
  name string req | Name of a persistentVolumeClaim volume of the pod.

type Probe | A health check of a container. Exactly one handler (exec, httpGet, tcpSocket, grpc) is set.
  exec ExecAction | Run a command in the container.
  failureThreshold int32 | Failures in a row after which the probe has failed. Default 3.
  grpc GRPCAction | Call the gRPC health checking service.
  httpGet HTTPGetAction | Send an HTTP GET; 200-399 is success.
  initialDelaySeconds int32 | Seconds after the container starts before the first probe.
  periodSeconds int32 | Seconds between probes. Default 10.
  successThreshold int32 | Successes in a row after a failure to count as success. Default 1; must be 1 for liveness and startup.
  tcpSocket TCPSocketAction | Open a TCP connection.
  terminationGracePeriodSeconds int64 | Grace period used when the probe's failure kills the container; overrides the pod's.
  timeoutSeconds int32 | Seconds after which a probe times out. Default 1.

type ExecAction | Run a command inside the container; exit status 0 is success.
  command []string list=atomic | The command line; not run in a shell.

type HTTPGetAction | An HTTP GET request.
  host string | Host to connect to; defaults to the pod IP. Set a Host header with httpHeaders instead.
  httpHeaders []HTTPHeader list=atomic | Extra request headers.
  path string | Path to request.
  port IntOrString req | Port number or name.
  scheme string enum=HTTP,HTTPS | HTTP (default) or HTTPS.

type HTTPHeader | A header of an HTTP probe.
  name string req | Header name.
  value string req | Header value.

type TCPSocketAction | Open a TCP connection.
  host string | Host to connect to; defaults to the pod IP.
  port IntOrString req | Port number or name.

type GRPCAction | A call to the standard gRPC health service.
  port int32 req | Port number.
  service string | Service name sent in the HealthCheckRequest.

type Lifecycle | Hooks the kubelet runs at container lifecycle events.
  postStart LifecycleHandler | Runs right after the container is created; the container is restarted if it fails.
  preStop LifecycleHandler | Runs before the container is stopped (not when it exits on its own), within the grace period.

type LifecycleHandler | The action of a lifecycle hook. Exactly one field is set.
  exec ExecAction | Run a command.
  httpGet HTTPGetAction | Send an HTTP GET.
  sleep SleepAction | Sleep for a while.
  tcpSocket TCPSocketAction | Deprecated; kept for compatibility, not run.

type SleepAction | Sleep before going on.
  seconds int64 req | Seconds to sleep.

type SecurityContext | Security settings of a container. Where they overlap with the pod's, these win.
  allowPrivilegeEscalation bool | Whether a process may gain more privileges than its parent (no_new_privs). True when privileged or with CAP_SYS_ADMIN.
  appArmorProfile AppArmorProfile | AppArmor profile of the container.
  capabilities Capabilities | Linux capabilities to add and drop.
  privileged bool | Run as privileged: like root on the host. Default false.
  procMount string | Default or Unmasked /proc.
  readOnlyRootFilesystem bool | Mount the root filesystem read-only. Default false.
  runAsGroup int64 | GID the process runs as.
  runAsNonRoot bool | Refuse to start the container if it would run as UID 0.
  runAsUser int64 | UID the process runs as.
  seLinuxOptions SELinuxOptions | SELinux context of the container.
  seccompProfile SeccompProfile | Seccomp profile of the container.
  windowsOptions WindowsSecurityContextOptions | Windows-specific settings.

type PodSecurityContext | Security settings of a pod, and defaults for its containers.
  appArmorProfile AppArmorProfile | AppArmor profile of the containers.
  fsGroup int64 | Supplementary group added to every container; volumes that support it are owned by it.
  fsGroupChangePolicy string enum=Always,OnRootMismatch | When volume ownership is changed to fsGroup: OnRootMismatch or Always (default).
  runAsGroup int64 | GID the containers run as.
  runAsNonRoot bool | Refuse to start containers that would run as UID 0.
  runAsUser int64 | UID the containers run as.
  seLinuxChangePolicy string | How SELinux labels are applied to volumes: Recursive or MountOption.
  seLinuxOptions SELinuxOptions | SELinux context of the containers.
  seccompProfile SeccompProfile | Seccomp profile of the containers.
  supplementalGroups []int64 list=atomic | Groups added to the first process of each container.
  supplementalGroupsPolicy string | Merge (default: also the groups of the image's /etc/group) or Strict.
  sysctls []Sysctl list=atomic | Namespaced sysctls set for the pod.
  windowsOptions WindowsSecurityContextOptions | Windows-specific settings.

type Capabilities | Linux capabilities.
  add []string list=atomic | Capabilities to add.
  drop []string list=atomic | Capabilities to drop.

type SELinuxOptions | An SELinux label.
  level string | Level.
  role string | Role.
  type string | Type.
  user string | User.

type SeccompProfile | A seccomp profile.
  localhostProfile string | Path of a profile on the node, relative to the kubelet's seccomp directory; only with type Localhost.
  type string req enum=Localhost,RuntimeDefault,Unconfined | Localhost, RuntimeDefault or Unconfined.

type AppArmorProfile | An AppArmor profile.
  localhostProfile string | Name of a profile loaded on the node; only with type Localhost.
  type string req enum=Localhost,RuntimeDefault,Unconfined | Localhost, RuntimeDefault or Unconfined.

type WindowsSecurityContextOptions | Windows-specific security settings.
  gmsaCredentialSpec string | Content of the GMSA credential spec.
  gmsaCredentialSpecName string | Name of the GMSA credential spec to use.
  hostProcess bool | Run as a Windows host process.
  runAsUserName string | Windows user name the entrypoint runs as.

type Sysctl | A kernel parameter.
  name string req | Name of the sysctl.
  value string req | Value.

type PodDNSConfig | DNS settings of a pod, beyond those of its dnsPolicy.
  nameservers []string list=atomic | Extra name server IPs.
  options []PodDNSConfigOption list=atomic | Resolver options; they override same-named options from the policy.
  searches []string list=atomic | Extra search domains.

type PodDNSConfigOption | A resolver option.
  name string | Option name.
  value string | Option value.

type HostAlias | An /etc/hosts entry.
  hostnames []string list=atomic | Host names for the IP.
  ip string req | The IP address.

type LocalObjectReference map=atomic | A reference to an object by name in the same namespace.
  name string | Name of the object.

type PodReadinessGate | An extra pod condition that readiness depends on.
  conditionType string req | Type of a condition in the pod's condition list.

type PodSchedulingGate | A gate that keeps the pod from being scheduled.
  name string req | Name of the gate, unique in the pod.

type PodOS | Operating system of a pod.
  name string req | linux or windows.

type PodResourceClaim | A dynamic resource the pod uses, by a ResourceClaim or a ResourceClaimTemplate.
  name string req | Name of this entry, used by container resources.claims.
  resourceClaimName string | An existing ResourceClaim in the pod's namespace.
  resourceClaimTemplateName string | A ResourceClaimTemplate from which a claim is made for this pod.

type Toleration | Lets the pod be scheduled onto (or stay on) nodes with a matching taint.
  effect string enum=NoExecute,NoSchedule,PreferNoSchedule | Taint effect to match: NoSchedule, PreferNoSchedule or NoExecute; empty matches all.
  key string | Taint key to match; empty with operator Exists matches every taint.
  operator string enum=Equal,Exists | Equal (default) or Exists.
  tolerationSeconds int64 | For NoExecute: how long the pod stays after the taint appears. Unset means forever.
  value string | Taint value to match with Equal.

type TopologySpreadConstraint | How matching pods are spread over the domains of one topology key.
  labelSelector meta.LabelSelector | Pods counted in each domain.
  matchLabelKeys []string list=atomic | Labels of the incoming pod whose values are added to labelSelector.
  maxSkew int32 req | Largest allowed difference between the number of matching pods in any two domains.
  minDomains int32 | Minimum number of eligible domains; fewer counts the global minimum as 0.
  nodeAffinityPolicy string | Honor (default) or Ignore the pod's node affinity when computing the skew.
  nodeTaintsPolicy string | Honor or Ignore (default) node taints when computing the skew.
  topologyKey string req | Node label key whose values are the domains.
  whenUnsatisfiable string req enum=DoNotSchedule,ScheduleAnyway | DoNotSchedule or ScheduleAnyway.

type Affinity | Scheduling constraints of a pod.
  nodeAffinity NodeAffinity | Which nodes the pod should run on.
  podAffinity PodAffinity | Pods this pod should run near.
  podAntiAffinity PodAntiAffinity | Pods this pod should stay away from.

type NodeAffinity | Node affinity rules.
  preferredDuringSchedulingIgnoredDuringExecution []PreferredSchedulingTerm list=atomic | Preferences: nodes matching more total weight score higher.
  requiredDuringSchedulingIgnoredDuringExecution NodeSelector | Requirements a node must meet at scheduling time.

type NodeSelector map=atomic | Node selector terms, ORed.
  nodeSelectorTerms []NodeSelectorTerm req list=atomic | The terms; a node must match one.

type NodeSelectorTerm map=atomic | Node requirements, ANDed. An empty term matches nothing.
  matchExpressions []NodeSelectorRequirement list=atomic | Requirements on node labels.
  matchFields []NodeSelectorRequirement list=atomic | Requirements on node fields (metadata.name).

type NodeSelectorRequirement | One requirement on a node label or field.
  key string req | Label key or field name.
  operator string req enum=DoesNotExist,Exists,Gt,In,Lt,NotIn | In, NotIn, Exists, DoesNotExist, Gt or Lt.
  values []string list=atomic | Values: several for In and NotIn, none for Exists and DoesNotExist, one integer for Gt and Lt.

type PreferredSchedulingTerm | A weighted node preference.
  preference NodeSelectorTerm req | The preferred node requirements.
  weight int32 req | Weight, 1-100.

type PodAffinity | Rules to place the pod in the same domain as other pods.
  preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm list=atomic | Preferences, weighted.
  requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm list=atomic | Requirements; all must hold.

type PodAntiAffinity | Rules to keep the pod out of the domains of other pods.
  preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm list=atomic | Preferences, weighted.
  requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm list=atomic | Requirements; all must hold.

type PodAffinityTerm | A set of pods, and the topology domain they define.
  labelSelector meta.LabelSelector | Pods to match.
  matchLabelKeys []string list=atomic | Labels of the incoming pod whose values are ANDed into labelSelector as In requirements.
  mismatchLabelKeys []string list=atomic | Labels of the incoming pod whose values are ANDed into labelSelector as NotIn requirements.
  namespaceSelector meta.LabelSelector | Namespaces to look in, by label; with namespaces, the union.
  namespaces []string list=atomic | Namespaces to look in; the pod's own when both this and namespaceSelector are empty.
  topologyKey string req | Node label key; nodes with the same value are one domain.

type WeightedPodAffinityTerm | A weighted pod affinity term.
  podAffinityTerm PodAffinityTerm req | The term.
  weight int32 req | Weight, 1-100.
)schema";

}  // namespace shoal::api::internal
