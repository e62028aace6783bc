#include "api/internal/protobuf_tables.h"

namespace shoal::api::internal {
namespace {

// clang-format off
// meta/v1, runtime, resource, intstr.
constexpr Field kObjectMetaFields[] = {
    Str(1, "name"), Str(2, "generateName"), Str(3, "namespace"), Str(4, "selfLink"),
    Str(5, "uid"), Str(6, "resourceVersion"), I64(7, "generation"),
    Time(8, "creationTimestamp"), Time(9, "deletionTimestamp", kPtr),
    I64(10, "deletionGracePeriodSeconds", kPtr), MapStr(11, "labels"),
    MapStr(12, "annotations"), Msg(13, "ownerReferences", M::kOwnerReference, kRep),
    Str(14, "finalizers", kRep), Msg(17, "managedFields", M::kManagedFieldsEntry, kRep)};
constexpr Field kOwnerReferenceFields[] = {
    Str(5, "apiVersion"), Str(1, "kind"), Str(3, "name"), Str(4, "uid"),
    Bool(6, "controller", kPtr), Bool(7, "blockOwnerDeletion", kPtr)};
constexpr Field kManagedFieldsEntryFields[] = {
    Str(1, "manager"), Str(2, "operation"), Str(3, "apiVersion"), Time(4, "time", kPtr),
    Str(6, "fieldsType"), RawJson(7, "fieldsV1", kPtr), Str(8, "subresource")};
constexpr Field kLabelSelectorFields[] = {
    MapStr(1, "matchLabels"), Msg(2, "matchExpressions", M::kSelectorRequirement, kRep)};
// LabelSelectorRequirement and NodeSelectorRequirement have the same fields.
constexpr Field kSelectorRequirementFields[] = {Str(1, "key"), Str(2, "operator"),
                                                Str(3, "values", kRep)};
constexpr Field kDeleteOptionsFields[] = {
    I64(1, "gracePeriodSeconds", kPtr), Msg(2, "preconditions", M::kPreconditions, kPtr),
    Bool(3, "orphanDependents", kPtr), Str(4, "propagationPolicy", kPtr),
    Str(5, "dryRun", kRep)};
constexpr Field kPreconditionsFields[] = {Str(1, "uid", kPtr), Str(2, "resourceVersion", kPtr)};
// runtime.TypeMeta, in the envelope (metav1.TypeMeta numbers the two the other way round).
constexpr Field kTypeMetaFields[] = {Str(1, "apiVersion"), Str(2, "kind")};
constexpr Field kQuantityMsgFields[] = {Str(1, "string", kKeep)};
constexpr Field kTimeMsgFields[] = {I64(1, "seconds", kKeep), I32(2, "nanos", kKeep)};
constexpr Field kIntOrStringMsgFields[] = {I64(1, "type", kKeep), I32(2, "intVal", kKeep),
                                           Str(3, "strVal", kKeep)};
// The raw bytes are kept as they are (a JSON string holds any bytes) and parsed afterwards.
constexpr Field kRawMsgFields[] = {Str(1, "raw", kKeep)};
constexpr Field kStringEntryFields[] = {Str(1, "key", kKeep), Str(2, "value", kKeep)};
constexpr Field kBytesEntryFields[] = {Str(1, "key", kKeep), Bytes(2, "value")};
constexpr Field kQuantityEntryFields[] = {Str(1, "key", kKeep), Qty(2, "value", kKeep)};

// core/v1 kinds.
constexpr Field kNamespaceFields[] = {Msg(1, "metadata", M::kObjectMeta),
                                      Msg(2, "spec", M::kNamespaceSpec),
                                      Msg(3, "status", M::kNamespaceStatus)};
constexpr Field kNamespaceSpecFields[] = {Str(1, "finalizers", kRep)};
constexpr Field kNamespaceStatusFields[] = {
    Str(1, "phase"), Msg(2, "conditions", M::kNamespaceCondition, kRep)};
constexpr Field kNamespaceConditionFields[] = {Str(1, "type"), Str(2, "status"),
                                               Time(4, "lastTransitionTime"), Str(5, "reason"),
                                               Str(6, "message")};
constexpr Field kConfigMapFields[] = {Msg(1, "metadata", M::kObjectMeta),
                                      Bool(4, "immutable", kPtr), MapStr(2, "data"),
                                      MapBytes(3, "binaryData")};
constexpr Field kSecretFields[] = {Msg(1, "metadata", M::kObjectMeta),
                                   Bool(5, "immutable", kPtr), MapBytes(2, "data"),
                                   MapStr(4, "stringData"), Str(3, "type")};
constexpr Field kEventFields[] = {
    Msg(1, "metadata", M::kObjectMeta), Msg(2, "involvedObject", M::kObjectReference, kKeep),
    Str(3, "reason"), Str(4, "message"), Msg(5, "source", M::kEventSource),
    Time(6, "firstTimestamp"), Time(7, "lastTimestamp"), I32(8, "count"), Str(9, "type"),
    MicroTime(10, "eventTime"), Msg(11, "series", M::kEventSeries, kPtr), Str(12, "action"),
    Msg(13, "related", M::kObjectReference, kPtr), Str(14, "reportingComponent"),
    Str(15, "reportingInstance")};
constexpr Field kEventSourceFields[] = {Str(1, "component"), Str(2, "host")};
constexpr Field kEventSeriesFields[] = {I32(1, "count"), MicroTime(2, "lastObservedTime")};
constexpr Field kObjectReferenceFields[] = {
    Str(1, "kind"), Str(2, "namespace"), Str(3, "name"), Str(4, "uid"),
    Str(5, "apiVersion"), Str(6, "resourceVersion"), Str(7, "fieldPath")};
constexpr Field kBindingFields[] = {Msg(1, "metadata", M::kObjectMeta),
                                    Msg(2, "target", M::kObjectReference, kKeep)};
constexpr Field kNodeFields[] = {Msg(1, "metadata", M::kObjectMeta),
                                 Msg(2, "spec", M::kNodeSpec), Msg(3, "status", M::kNodeStatus)};
constexpr Field kNodeSpecFields[] = {
    Str(1, "podCIDR"), Str(7, "podCIDRs", kRep), Str(3, "providerID"),
    Bool(4, "unschedulable"), Msg(5, "taints", M::kTaint, kRep),
    Msg(6, "configSource", M::kNodeConfigSource, kPtr), Str(2, "externalID")};
constexpr Field kNodeConfigSourceFields[] = {
    Msg(2, "configMap", M::kConfigMapNodeConfigSource, kPtr)};
constexpr Field kConfigMapNodeConfigSourceFields[] = {
    Str(1, "namespace"), Str(2, "name"), Str(3, "uid"), Str(4, "resourceVersion"),
    Str(5, "kubeletConfigKey")};
constexpr Field kTaintFields[] = {Str(1, "key"), Str(2, "value"), Str(3, "effect"),
                                  Time(4, "timeAdded", kPtr)};
// NodeStatus without config and runtimeHandlers.
constexpr Field kNodeStatusFields[] = {
    MapQty(1, "capacity"), MapQty(2, "allocatable"), Str(3, "phase"),
    Msg(4, "conditions", M::kNodeCondition, kRep), Msg(5, "addresses", M::kNodeAddress, kRep),
    Msg(6, "daemonEndpoints", M::kNodeDaemonEndpoints), Msg(7, "nodeInfo", M::kNodeSystemInfo),
    Msg(8, "images", M::kContainerImage, kRep), Str(9, "volumesInUse", kRep),
    Msg(10, "volumesAttached", M::kAttachedVolume, kRep),
    Msg(13, "features", M::kNodeFeatures, kPtr)};
constexpr Field kNodeConditionFields[] = {
    Str(1, "type"), Str(2, "status"), Time(3, "lastHeartbeatTime"),
    Time(4, "lastTransitionTime"), Str(5, "reason"), Str(6, "message")};
constexpr Field kNodeAddressFields[] = {Str(1, "type"), Str(2, "address")};
constexpr Field kNodeDaemonEndpointsFields[] = {
    Msg(1, "kubeletEndpoint", M::kDaemonEndpoint)};
constexpr Field kDaemonEndpointFields[] = {I32(1, "Port", kKeep)};
constexpr Field kNodeSystemInfoFields[] = {
    Str(1, "machineID"), Str(2, "systemUUID"), Str(3, "bootID"), Str(4, "kernelVersion"),
    Str(5, "osImage"), Str(6, "containerRuntimeVersion"), Str(7, "kubeletVersion"),
    Str(8, "kubeProxyVersion"), Str(9, "operatingSystem"), Str(10, "architecture")};
constexpr Field kContainerImageFields[] = {Str(1, "names", kRep), I64(2, "sizeBytes")};
constexpr Field kAttachedVolumeFields[] = {Str(1, "name"), Str(2, "devicePath")};
constexpr Field kNodeFeaturesFields[] = {Bool(1, "supplementalGroupsPolicy", kPtr)};
constexpr Field kPodFields[] = {Msg(1, "metadata", M::kObjectMeta), Msg(2, "spec", M::kPodSpec),
                                Msg(3, "status", M::kPodStatus)};
// PodStatus without the container statuses and resource claim statuses.
constexpr Field kPodStatusFields[] = {
    Str(1, "phase"), Msg(2, "conditions", M::kPodCondition, kRep), Str(3, "message"),
    Str(4, "reason"), Str(11, "nominatedNodeName"), Str(5, "hostIP"),
    Msg(16, "hostIPs", M::kIP, kRep), Str(6, "podIP"), Msg(12, "podIPs", M::kIP, kRep),
    Time(7, "startTime", kPtr), Str(9, "qosClass"), Str(14, "resize")};
constexpr Field kPodConditionFields[] = {
    Str(1, "type"), Str(2, "status"), Time(3, "lastProbeTime"), Time(4, "lastTransitionTime"),
    Str(5, "reason"), Str(6, "message")};
constexpr Field kIPFields[] = {Str(1, "ip")};  // HostIP, PodIP

// core/v1 PodSpec and what it uses.
constexpr Field kPodTemplateSpecFields[] = {Msg(1, "metadata", M::kObjectMeta),
                                            Msg(2, "spec", M::kPodSpec)};
constexpr Field kPodSpecFields[] = {
    Msg(1, "volumes", M::kVolume, kRep), Msg(20, "initContainers", M::kContainer, kRep),
    Msg(2, "containers", M::kContainer, kRep),
    Msg(34, "ephemeralContainers", M::kEphemeralContainer, kRep), Str(3, "restartPolicy"),
    I64(4, "terminationGracePeriodSeconds", kPtr), I64(5, "activeDeadlineSeconds", kPtr),
    Str(6, "dnsPolicy"), MapStr(7, "nodeSelector"), Str(8, "serviceAccountName"),
    Str(9, "serviceAccount"), Bool(21, "automountServiceAccountToken", kPtr),
    Str(10, "nodeName"), Bool(11, "hostNetwork"), Bool(12, "hostPID"), Bool(13, "hostIPC"),
    Bool(27, "shareProcessNamespace", kPtr),
    Msg(14, "securityContext", M::kPodSecurityContext, kPtr),
    Msg(15, "imagePullSecrets", M::kLocalObjectReference, kRep), Str(16, "hostname"),
    Str(17, "subdomain"), Msg(18, "affinity", M::kAffinity, kPtr), Str(19, "schedulerName"),
    Msg(22, "tolerations", M::kToleration, kRep), Msg(23, "hostAliases", M::kHostAlias, kRep),
    Str(24, "priorityClassName"), I32(25, "priority", kPtr),
    Msg(26, "dnsConfig", M::kPodDNSConfig, kPtr),
    Msg(28, "readinessGates", M::kPodReadinessGate, kRep), Str(29, "runtimeClassName", kPtr),
    Bool(30, "enableServiceLinks", kPtr), Str(31, "preemptionPolicy", kPtr),
    MapQty(32, "overhead"),
    Msg(33, "topologySpreadConstraints", M::kTopologySpreadConstraint, kRep),
    Bool(35, "setHostnameAsFQDN", kPtr), Msg(36, "os", M::kLocalObjectReference, kPtr),
    Bool(37, "hostUsers", kPtr), Msg(38, "schedulingGates", M::kLocalObjectReference, kRep),
    Msg(39, "resourceClaims", M::kPodResourceClaim, kRep),
    Msg(40, "resources", M::kResourceRequirements, kPtr)};
// Container; EphemeralContainerCommon uses the same field numbers.
constexpr Field kContainerFields[] = {
    Str(1, "name"), Str(2, "image"), Str(3, "command", kRep), Str(4, "args", kRep),
    Str(5, "workingDir"), Msg(6, "ports", M::kContainerPort, kRep),
    Msg(19, "envFrom", M::kEnvFromSource, kRep), Msg(7, "env", M::kEnvVar, kRep),
    Msg(8, "resources", M::kResourceRequirements),
    Msg(23, "resizePolicy", M::kContainerResizePolicy, kRep), Str(24, "restartPolicy", kPtr),
    Msg(9, "volumeMounts", M::kVolumeMount, kRep),
    Msg(21, "volumeDevices", M::kVolumeDevice, kRep), Msg(10, "livenessProbe", M::kProbe, kPtr),
    Msg(11, "readinessProbe", M::kProbe, kPtr), Msg(22, "startupProbe", M::kProbe, kPtr),
    Msg(12, "lifecycle", M::kLifecycle, kPtr), Str(13, "terminationMessagePath"),
    Str(20, "terminationMessagePolicy"), Str(14, "imagePullPolicy"),
    Msg(15, "securityContext", M::kSecurityContext, kPtr), Bool(16, "stdin"),
    Bool(17, "stdinOnce"), Bool(18, "tty")};
constexpr Field kEphemeralContainerFields[] = {Inline(1, M::kContainer),
                                               Str(2, "targetContainerName")};
constexpr Field kContainerPortFields[] = {Str(1, "name"), I32(2, "hostPort"),
                                          I32(3, "containerPort", kKeep), Str(4, "protocol"),
                                          Str(5, "hostIP")};
constexpr Field kEnvFromSourceFields[] = {Str(1, "prefix"),
                                          Msg(2, "configMapRef", M::kEnvFromRef, kPtr),
                                          Msg(3, "secretRef", M::kEnvFromRef, kPtr)};
// ConfigMapEnvSource, SecretEnvSource.
constexpr Field kEnvFromRefFields[] = {Inline(1, M::kLocalObjectReference),
                                       Bool(2, "optional", kPtr)};
constexpr Field kEnvVarFields[] = {Str(1, "name"), Str(2, "value"),
                                   Msg(3, "valueFrom", M::kEnvVarSource, kPtr)};
constexpr Field kEnvVarSourceFields[] = {
    Msg(1, "fieldRef", M::kObjectFieldSelector, kPtr),
    Msg(2, "resourceFieldRef", M::kResourceFieldSelector, kPtr),
    Msg(3, "configMapKeyRef", M::kKeySelector, kPtr),
    Msg(4, "secretKeyRef", M::kKeySelector, kPtr)};
// ConfigMapKeySelector, SecretKeySelector.
constexpr Field kKeySelectorFields[] = {Inline(1, M::kLocalObjectReference), Str(2, "key"),
                                        Bool(3, "optional", kPtr)};
constexpr Field kObjectFieldSelectorFields[] = {Str(1, "apiVersion"), Str(2, "fieldPath")};
constexpr Field kResourceFieldSelectorFields[] = {Str(1, "containerName"), Str(2, "resource"),
                                                  Qty(3, "divisor")};
constexpr Field kResourceRequirementsFields[] = {
    MapQty(1, "limits"), MapQty(2, "requests"), Msg(3, "claims", M::kResourceClaim, kRep)};
constexpr Field kResourceClaimFields[] = {Str(1, "name"), Str(2, "request")};
constexpr Field kContainerResizePolicyFields[] = {Str(1, "resourceName"),
                                                  Str(2, "restartPolicy")};
constexpr Field kVolumeMountFields[] = {
    Str(1, "name"), Bool(2, "readOnly"), Str(7, "recursiveReadOnly", kPtr),
    Str(3, "mountPath"), Str(4, "subPath"), Str(5, "mountPropagation", kPtr),
    Str(6, "subPathExpr")};
constexpr Field kVolumeDeviceFields[] = {Str(1, "name"), Str(2, "devicePath")};
constexpr Field kProbeFields[] = {
    Inline(1, M::kProbeHandler), I32(2, "initialDelaySeconds"), I32(3, "timeoutSeconds"),
    I32(4, "periodSeconds"), I32(5, "successThreshold"), I32(6, "failureThreshold"),
    I64(7, "terminationGracePeriodSeconds", kPtr)};
constexpr Field kProbeHandlerFields[] = {
    Msg(1, "exec", M::kExecAction, kPtr), Msg(2, "httpGet", M::kHTTPGetAction, kPtr),
    Msg(3, "tcpSocket", M::kTCPSocketAction, kPtr), Msg(4, "grpc", M::kGRPCAction, kPtr)};
constexpr Field kLifecycleFields[] = {Msg(1, "postStart", M::kLifecycleHandler, kPtr),
                                      Msg(2, "preStop", M::kLifecycleHandler, kPtr)};
constexpr Field kLifecycleHandlerFields[] = {
    Msg(1, "exec", M::kExecAction, kPtr), Msg(2, "httpGet", M::kHTTPGetAction, kPtr),
    Msg(3, "tcpSocket", M::kTCPSocketAction, kPtr), Msg(4, "sleep", M::kSleepAction, kPtr)};
constexpr Field kExecActionFields[] = {Str(1, "command", kRep)};
constexpr Field kHTTPGetActionFields[] = {Str(1, "path"), IntStr(2, "port"), Str(3, "host"),
                                          Str(4, "scheme"),
                                          Msg(5, "httpHeaders", M::kHTTPHeader, kRep)};
constexpr Field kHTTPHeaderFields[] = {Str(1, "name"), Str(2, "value")};
constexpr Field kTCPSocketActionFields[] = {IntStr(1, "port"), Str(2, "host")};
constexpr Field kGRPCActionFields[] = {I32(1, "port", kKeep), Str(2, "service", kPtr)};
constexpr Field kSleepActionFields[] = {I64(1, "seconds", kKeep)};
constexpr Field kSecurityContextFields[] = {
    Msg(1, "capabilities", M::kCapabilities, kPtr), Bool(2, "privileged", kPtr),
    Msg(3, "seLinuxOptions", M::kSELinuxOptions, kPtr),
    Msg(10, "windowsOptions", M::kWindowsOptions, kPtr), I64(4, "runAsUser", kPtr),
    I64(8, "runAsGroup", kPtr), Bool(5, "runAsNonRoot", kPtr),
    Bool(6, "readOnlyRootFilesystem", kPtr), Bool(7, "allowPrivilegeEscalation", kPtr),
    Str(9, "procMount", kPtr), Msg(11, "seccompProfile", M::kSecurityProfile, kPtr),
    Msg(12, "appArmorProfile", M::kSecurityProfile, kPtr)};
constexpr Field kCapabilitiesFields[] = {Str(1, "add", kRep), Str(2, "drop", kRep)};
constexpr Field kSELinuxOptionsFields[] = {Str(1, "user"), Str(2, "role"), Str(3, "type"),
                                           Str(4, "level")};
constexpr Field kWindowsOptionsFields[] = {
    Str(1, "gmsaCredentialSpecName", kPtr), Str(2, "gmsaCredentialSpec", kPtr),
    Str(3, "runAsUserName", kPtr), Bool(4, "hostProcess", kPtr)};
// SeccompProfile, AppArmorProfile.
constexpr Field kSecurityProfileFields[] = {Str(1, "type"), Str(2, "localhostProfile", kPtr)};
constexpr Field kPodSecurityContextFields[] = {
    Msg(1, "seLinuxOptions", M::kSELinuxOptions, kPtr),
    Msg(8, "windowsOptions", M::kWindowsOptions, kPtr), I64(2, "runAsUser", kPtr),
    I64(6, "runAsGroup", kPtr), Bool(3, "runAsNonRoot", kPtr),
    I64(4, "supplementalGroups", kRep), Str(12, "supplementalGroupsPolicy", kPtr),
    I64(5, "fsGroup", kPtr), Msg(7, "sysctls", M::kSysctl, kRep),
    Str(9, "fsGroupChangePolicy", kPtr), Msg(10, "seccompProfile", M::kSecurityProfile, kPtr),
    Msg(11, "appArmorProfile", M::kSecurityProfile, kPtr),
    Str(13, "seLinuxChangePolicy", kPtr)};
constexpr Field kSysctlFields[] = {Str(1, "name"), Str(2, "value")};
// LocalObjectReference; also PodOS and PodSchedulingGate, which have only `name = 1`.
constexpr Field kLocalObjectReferenceFields[] = {Str(1, "name")};
constexpr Field kAffinityFields[] = {Msg(1, "nodeAffinity", M::kNodeAffinity, kPtr),
                                     Msg(2, "podAffinity", M::kPodAffinity, kPtr),
                                     Msg(3, "podAntiAffinity", M::kPodAffinity, kPtr)};
constexpr Field kNodeAffinityFields[] = {
    Msg(1, "requiredDuringSchedulingIgnoredDuringExecution", M::kNodeSelector, kPtr),
    Msg(2, "preferredDuringSchedulingIgnoredDuringExecution", M::kPreferredSchedulingTerm,
        kRep)};
constexpr Field kNodeSelectorFields[] = {
    Msg(1, "nodeSelectorTerms", M::kNodeSelectorTerm, kRep)};
constexpr Field kNodeSelectorTermFields[] = {
    Msg(1, "matchExpressions", M::kSelectorRequirement, kRep),
    Msg(2, "matchFields", M::kSelectorRequirement, kRep)};
constexpr Field kPreferredSchedulingTermFields[] = {
    I32(1, "weight", kKeep), Msg(2, "preference", M::kNodeSelectorTerm, kKeep)};
// PodAffinity, PodAntiAffinity.
constexpr Field kPodAffinityFields[] = {
    Msg(1, "requiredDuringSchedulingIgnoredDuringExecution", M::kPodAffinityTerm, kRep),
    Msg(2, "preferredDuringSchedulingIgnoredDuringExecution", M::kWeightedPodAffinityTerm,
        kRep)};
constexpr Field kPodAffinityTermFields[] = {
    Msg(1, "labelSelector", M::kLabelSelector, kPtr), Str(2, "namespaces", kRep),
    Str(3, "topologyKey"), Msg(4, "namespaceSelector", M::kLabelSelector, kPtr),
    Str(5, "matchLabelKeys", kRep), Str(6, "mismatchLabelKeys", kRep)};
constexpr Field kWeightedPodAffinityTermFields[] = {
    I32(1, "weight", kKeep), Msg(2, "podAffinityTerm", M::kPodAffinityTerm, kKeep)};
constexpr Field kTolerationFields[] = {Str(1, "key"), Str(2, "operator"), Str(3, "value"),
                                       Str(4, "effect"), I64(5, "tolerationSeconds", kPtr)};
constexpr Field kHostAliasFields[] = {Str(1, "ip"), Str(2, "hostnames", kRep)};
constexpr Field kPodDNSConfigFields[] = {
    Str(1, "nameservers", kRep), Str(2, "searches", kRep),
    Msg(3, "options", M::kPodDNSConfigOption, kRep)};
constexpr Field kPodDNSConfigOptionFields[] = {Str(1, "name"), Str(2, "value", kPtr)};
constexpr Field kPodReadinessGateFields[] = {Str(1, "conditionType")};
constexpr Field kTopologySpreadConstraintFields[] = {
    I32(1, "maxSkew", kKeep), Str(2, "topologyKey"), Str(3, "whenUnsatisfiable"),
    Msg(4, "labelSelector", M::kLabelSelector, kPtr), I32(5, "minDomains", kPtr),
    Str(6, "nodeAffinityPolicy", kPtr), Str(7, "nodeTaintsPolicy", kPtr),
    Str(8, "matchLabelKeys", kRep)};
constexpr Field kPodResourceClaimFields[] = {Str(1, "name"), Str(3, "resourceClaimName", kPtr),
                                             Str(4, "resourceClaimTemplateName", kPtr)};

// core/v1 volumes: the common sources; the others (cloud disks, iSCSI, ...) are skipped.
constexpr Field kVolumeFields[] = {Str(1, "name"), Inline(2, M::kVolumeSource)};
constexpr Field kVolumeSourceFields[] = {
    Msg(1, "hostPath", M::kHostPathVolumeSource, kPtr),
    Msg(2, "emptyDir", M::kEmptyDirVolumeSource, kPtr),
    Msg(5, "gitRepo", M::kGitRepoVolumeSource, kPtr),
    Msg(6, "secret", M::kSecretVolumeSource, kPtr), Msg(7, "nfs", M::kNFSVolumeSource, kPtr),
    Msg(10, "persistentVolumeClaim", M::kPVCVolumeSource, kPtr),
    Msg(16, "downwardAPI", M::kDownwardAPIVolumeSource, kPtr),
    Msg(19, "configMap", M::kConfigMapVolumeSource, kPtr),
    Msg(26, "projected", M::kProjectedVolumeSource, kPtr),
    Msg(28, "csi", M::kCSIVolumeSource, kPtr),
    Msg(29, "ephemeral", M::kEphemeralVolumeSource, kPtr),
    Msg(30, "image", M::kImageVolumeSource, kPtr)};
constexpr Field kHostPathVolumeSourceFields[] = {Str(1, "path"), Str(2, "type", kPtr)};
constexpr Field kEmptyDirVolumeSourceFields[] = {Str(1, "medium"), Qty(2, "sizeLimit", kPtr)};
constexpr Field kGitRepoVolumeSourceFields[] = {Str(1, "repository"), Str(2, "revision"),
                                                Str(3, "directory")};
constexpr Field kSecretVolumeSourceFields[] = {
    Str(1, "secretName"), Msg(2, "items", M::kKeyToPath, kRep), I32(3, "defaultMode", kPtr),
    Bool(4, "optional", kPtr)};
constexpr Field kKeyToPathFields[] = {Str(1, "key"), Str(2, "path"), I32(3, "mode", kPtr)};
constexpr Field kNFSVolumeSourceFields[] = {Str(1, "server"), Str(2, "path"),
                                            Bool(3, "readOnly")};
constexpr Field kPVCVolumeSourceFields[] = {Str(1, "claimName"), Bool(2, "readOnly")};
constexpr Field kDownwardAPIVolumeSourceFields[] = {
    Msg(1, "items", M::kDownwardAPIVolumeFile, kRep), I32(2, "defaultMode", kPtr)};
constexpr Field kDownwardAPIVolumeFileFields[] = {
    Str(1, "path"), Msg(2, "fieldRef", M::kObjectFieldSelector, kPtr),
    Msg(3, "resourceFieldRef", M::kResourceFieldSelector, kPtr), I32(4, "mode", kPtr)};
constexpr Field kConfigMapVolumeSourceFields[] = {
    Inline(1, M::kLocalObjectReference), Msg(2, "items", M::kKeyToPath, kRep),
    I32(3, "defaultMode", kPtr), Bool(4, "optional", kPtr)};
constexpr Field kProjectedVolumeSourceFields[] = {
    Msg(1, "sources", M::kVolumeProjection, kRep), I32(2, "defaultMode", kPtr)};
constexpr Field kVolumeProjectionFields[] = {
    Msg(1, "secret", M::kKeyProjection, kPtr),
    Msg(2, "downwardAPI", M::kDownwardAPIProjection, kPtr),
    Msg(3, "configMap", M::kKeyProjection, kPtr),
    Msg(4, "serviceAccountToken", M::kServiceAccountTokenProjection, kPtr),
    Msg(5, "clusterTrustBundle", M::kClusterTrustBundleProjection, kPtr)};
// SecretProjection, ConfigMapProjection.
constexpr Field kKeyProjectionFields[] = {Inline(1, M::kLocalObjectReference),
                                          Msg(2, "items", M::kKeyToPath, kRep),
                                          Bool(4, "optional", kPtr)};
constexpr Field kDownwardAPIProjectionFields[] = {
    Msg(1, "items", M::kDownwardAPIVolumeFile, kRep)};
constexpr Field kServiceAccountTokenProjectionFields[] = {
    Str(1, "audience"), I64(2, "expirationSeconds", kPtr), Str(3, "path")};
constexpr Field kClusterTrustBundleProjectionFields[] = {
    Str(1, "name", kPtr), Str(2, "signerName", kPtr),
    Msg(3, "labelSelector", M::kLabelSelector, kPtr), Bool(5, "optional", kPtr),
    Str(4, "path")};
constexpr Field kCSIVolumeSourceFields[] = {
    Str(1, "driver"), Bool(2, "readOnly", kPtr), Str(3, "fsType", kPtr),
    MapStr(4, "volumeAttributes"), Msg(5, "nodePublishSecretRef", M::kLocalObjectReference, kPtr)};
constexpr Field kEphemeralVolumeSourceFields[] = {
    Msg(1, "volumeClaimTemplate", M::kPVCTemplate, kPtr)};
constexpr Field kPVCTemplateFields[] = {Msg(1, "metadata", M::kObjectMeta),
                                        Msg(2, "spec", M::kPVCSpec, kKeep)};
constexpr Field kPVCSpecFields[] = {
    Str(1, "accessModes", kRep), Msg(4, "selector", M::kLabelSelector, kPtr),
    Msg(2, "resources", M::kVolumeResourceRequirements), Str(3, "volumeName"),
    Str(5, "storageClassName", kPtr), Str(6, "volumeMode", kPtr),
    Msg(7, "dataSource", M::kTypedObjectReference, kPtr),
    Msg(8, "dataSourceRef", M::kTypedObjectReference, kPtr),
    Str(9, "volumeAttributesClassName", kPtr)};
constexpr Field kVolumeResourceRequirementsFields[] = {MapQty(1, "limits"),
                                                       MapQty(2, "requests")};
// TypedObjectReference; TypedLocalObjectReference is its first three fields.
constexpr Field kTypedObjectReferenceFields[] = {Str(1, "apiGroup", kPtr), Str(2, "kind"),
                                                 Str(3, "name"), Str(4, "namespace", kPtr)};
constexpr Field kImageVolumeSourceFields[] = {Str(1, "reference"), Str(2, "pullPolicy")};

// policy/v1, coordination.k8s.io/v1, scheduling.k8s.io/v1, batch/v1 (Job status is skipped).
constexpr Field kEvictionFields[] = {Msg(1, "metadata", M::kObjectMeta),
                                     Msg(2, "deleteOptions", M::kDeleteOptions, kPtr)};
constexpr Field kLeaseFields[] = {Msg(1, "metadata", M::kObjectMeta),
                                  Msg(2, "spec", M::kLeaseSpec)};
constexpr Field kLeaseSpecFields[] = {
    Str(1, "holderIdentity", kPtr), I32(2, "leaseDurationSeconds", kPtr),
    MicroTime(3, "acquireTime", kPtr), MicroTime(4, "renewTime", kPtr),
    I32(5, "leaseTransitions", kPtr), Str(6, "strategy", kPtr), Str(7, "preferredHolder", kPtr)};
constexpr Field kPriorityClassFields[] = {
    Msg(1, "metadata", M::kObjectMeta), I32(2, "value", kKeep), Bool(3, "globalDefault"),
    Str(4, "description"), Str(5, "preemptionPolicy", kPtr)};
constexpr Field kJobFields[] = {Msg(1, "metadata", M::kObjectMeta), Msg(2, "spec", M::kJobSpec)};
constexpr Field kJobSpecFields[] = {
    I32(1, "parallelism", kPtr), I32(2, "completions", kPtr),
    I64(3, "activeDeadlineSeconds", kPtr),
    Msg(11, "podFailurePolicy", M::kPodFailurePolicy, kPtr),
    Msg(16, "successPolicy", M::kSuccessPolicy, kPtr), I32(7, "backoffLimit", kPtr),
    I32(12, "backoffLimitPerIndex", kPtr), I32(13, "maxFailedIndexes", kPtr),
    Msg(4, "selector", M::kLabelSelector, kPtr), Bool(5, "manualSelector", kPtr),
    Msg(6, "template", M::kPodTemplateSpec, kKeep), I32(8, "ttlSecondsAfterFinished", kPtr),
    Str(9, "completionMode", kPtr), Bool(10, "suspend", kPtr),
    Str(14, "podReplacementPolicy", kPtr), Str(15, "managedBy", kPtr)};
constexpr Field kPodFailurePolicyFields[] = {Msg(1, "rules", M::kPodFailurePolicyRule, kRep)};
constexpr Field kPodFailurePolicyRuleFields[] = {
    Str(1, "action"), Msg(2, "onExitCodes", M::kOnExitCodes, kPtr),
    Msg(3, "onPodConditions", M::kOnPodConditions, kRep)};
constexpr Field kOnExitCodesFields[] = {Str(1, "containerName", kPtr), Str(2, "operator"),
                                        I32(3, "values", kRep)};
constexpr Field kOnPodConditionsFields[] = {Str(1, "type"), Str(2, "status")};
constexpr Field kSuccessPolicyFields[] = {Msg(1, "rules", M::kSuccessPolicyRule, kRep)};
constexpr Field kSuccessPolicyRuleFields[] = {Str(1, "succeededIndexes", kPtr),
                                              I32(2, "succeededCount", kPtr)};

// clang-format on

}  // namespace

// A switch rather than an array so that -Wswitch catches a message type without a table.
std::span<const Field> FieldsOf(M m) {
  // clang-format off
  switch (m) {
#define SHOAL_FIELDS_(name) \
  case M::k##name:          \
    return k##name##Fields;
    SHOAL_FIELDS_(ObjectMeta) SHOAL_FIELDS_(OwnerReference) SHOAL_FIELDS_(ManagedFieldsEntry)
    SHOAL_FIELDS_(LabelSelector) SHOAL_FIELDS_(SelectorRequirement) SHOAL_FIELDS_(DeleteOptions)
    SHOAL_FIELDS_(Preconditions) SHOAL_FIELDS_(TypeMeta) SHOAL_FIELDS_(QuantityMsg)
    SHOAL_FIELDS_(TimeMsg) SHOAL_FIELDS_(IntOrStringMsg) SHOAL_FIELDS_(RawMsg)
    SHOAL_FIELDS_(StringEntry) SHOAL_FIELDS_(BytesEntry) SHOAL_FIELDS_(QuantityEntry)
    SHOAL_FIELDS_(Namespace) SHOAL_FIELDS_(NamespaceSpec) SHOAL_FIELDS_(NamespaceStatus)
    SHOAL_FIELDS_(NamespaceCondition) SHOAL_FIELDS_(ConfigMap) SHOAL_FIELDS_(Secret)
    SHOAL_FIELDS_(Event) SHOAL_FIELDS_(EventSource) SHOAL_FIELDS_(EventSeries)
    SHOAL_FIELDS_(ObjectReference) SHOAL_FIELDS_(Binding) SHOAL_FIELDS_(Node)
    SHOAL_FIELDS_(NodeSpec) SHOAL_FIELDS_(NodeConfigSource) SHOAL_FIELDS_(ConfigMapNodeConfigSource)
    SHOAL_FIELDS_(Taint) SHOAL_FIELDS_(NodeStatus) SHOAL_FIELDS_(NodeCondition)
    SHOAL_FIELDS_(NodeAddress) SHOAL_FIELDS_(NodeDaemonEndpoints) SHOAL_FIELDS_(DaemonEndpoint)
    SHOAL_FIELDS_(NodeSystemInfo) SHOAL_FIELDS_(ContainerImage) SHOAL_FIELDS_(AttachedVolume)
    SHOAL_FIELDS_(NodeFeatures) SHOAL_FIELDS_(Pod) SHOAL_FIELDS_(PodStatus)
    SHOAL_FIELDS_(PodCondition) SHOAL_FIELDS_(IP) SHOAL_FIELDS_(PodTemplateSpec)
    SHOAL_FIELDS_(PodSpec) SHOAL_FIELDS_(Container) SHOAL_FIELDS_(EphemeralContainer)
    SHOAL_FIELDS_(ContainerPort) SHOAL_FIELDS_(EnvFromSource) SHOAL_FIELDS_(EnvFromRef)
    SHOAL_FIELDS_(EnvVar) SHOAL_FIELDS_(EnvVarSource) SHOAL_FIELDS_(KeySelector)
    SHOAL_FIELDS_(ObjectFieldSelector) SHOAL_FIELDS_(ResourceFieldSelector)
    SHOAL_FIELDS_(ResourceRequirements) SHOAL_FIELDS_(ResourceClaim)
    SHOAL_FIELDS_(ContainerResizePolicy) SHOAL_FIELDS_(VolumeMount) SHOAL_FIELDS_(VolumeDevice)
    SHOAL_FIELDS_(Probe) SHOAL_FIELDS_(ProbeHandler) SHOAL_FIELDS_(Lifecycle)
    SHOAL_FIELDS_(LifecycleHandler) SHOAL_FIELDS_(ExecAction) SHOAL_FIELDS_(HTTPGetAction)
    SHOAL_FIELDS_(HTTPHeader) SHOAL_FIELDS_(TCPSocketAction) SHOAL_FIELDS_(GRPCAction)
    SHOAL_FIELDS_(SleepAction) SHOAL_FIELDS_(SecurityContext) SHOAL_FIELDS_(Capabilities)
    SHOAL_FIELDS_(SELinuxOptions) SHOAL_FIELDS_(WindowsOptions) SHOAL_FIELDS_(SecurityProfile)
    SHOAL_FIELDS_(PodSecurityContext) SHOAL_FIELDS_(Sysctl) SHOAL_FIELDS_(LocalObjectReference)
    SHOAL_FIELDS_(Affinity) SHOAL_FIELDS_(NodeAffinity) SHOAL_FIELDS_(NodeSelector)
    SHOAL_FIELDS_(NodeSelectorTerm) SHOAL_FIELDS_(PreferredSchedulingTerm)
    SHOAL_FIELDS_(PodAffinity) SHOAL_FIELDS_(PodAffinityTerm) SHOAL_FIELDS_(WeightedPodAffinityTerm)
    SHOAL_FIELDS_(Toleration) SHOAL_FIELDS_(HostAlias) SHOAL_FIELDS_(PodDNSConfig)
    SHOAL_FIELDS_(PodDNSConfigOption) SHOAL_FIELDS_(PodReadinessGate)
    SHOAL_FIELDS_(TopologySpreadConstraint) SHOAL_FIELDS_(PodResourceClaim)
    SHOAL_FIELDS_(Volume) SHOAL_FIELDS_(VolumeSource) SHOAL_FIELDS_(HostPathVolumeSource)
    SHOAL_FIELDS_(EmptyDirVolumeSource) SHOAL_FIELDS_(GitRepoVolumeSource)
    SHOAL_FIELDS_(SecretVolumeSource) SHOAL_FIELDS_(KeyToPath) SHOAL_FIELDS_(NFSVolumeSource)
    SHOAL_FIELDS_(PVCVolumeSource) SHOAL_FIELDS_(DownwardAPIVolumeSource)
    SHOAL_FIELDS_(DownwardAPIVolumeFile) SHOAL_FIELDS_(ConfigMapVolumeSource)
    SHOAL_FIELDS_(ProjectedVolumeSource) SHOAL_FIELDS_(VolumeProjection)
    SHOAL_FIELDS_(KeyProjection) SHOAL_FIELDS_(DownwardAPIProjection)
    SHOAL_FIELDS_(ServiceAccountTokenProjection) SHOAL_FIELDS_(ClusterTrustBundleProjection)
    SHOAL_FIELDS_(CSIVolumeSource) SHOAL_FIELDS_(EphemeralVolumeSource) SHOAL_FIELDS_(PVCTemplate)
    SHOAL_FIELDS_(PVCSpec) SHOAL_FIELDS_(VolumeResourceRequirements)
    SHOAL_FIELDS_(TypedObjectReference) SHOAL_FIELDS_(ImageVolumeSource) SHOAL_FIELDS_(Eviction)
    SHOAL_FIELDS_(Lease) SHOAL_FIELDS_(LeaseSpec) SHOAL_FIELDS_(PriorityClass) SHOAL_FIELDS_(Job)
    SHOAL_FIELDS_(JobSpec) SHOAL_FIELDS_(PodFailurePolicy) SHOAL_FIELDS_(PodFailurePolicyRule)
    SHOAL_FIELDS_(OnExitCodes) SHOAL_FIELDS_(OnPodConditions) SHOAL_FIELDS_(SuccessPolicy)
    SHOAL_FIELDS_(SuccessPolicyRule)
#undef SHOAL_FIELDS_
    case M::kNone:
      break;
  }
  // clang-format on
  return {};
}

// The kinds shoal serves that Kubernetes clients may send as protobuf.
constexpr KindEntry kKinds[] = {
    {"v1", "Namespace", M::kNamespace},
    {"v1", "ConfigMap", M::kConfigMap},
    {"v1", "Secret", M::kSecret},
    {"v1", "Pod", M::kPod},
    {"v1", "Node", M::kNode},
    {"v1", "Event", M::kEvent},
    {"v1", "Binding", M::kBinding},
    {"batch/v1", "Job", M::kJob},
    {"scheduling.k8s.io/v1", "PriorityClass", M::kPriorityClass},
    {"coordination.k8s.io/v1", "Lease", M::kLease},
    {"policy/v1", "Eviction", M::kEviction},
};

// DeleteOptions is registered in every group-version, so a typed client's DELETE body names
// its own (v1, batch/v1, ...).
constexpr KindEntry kDeleteOptions = {"", "DeleteOptions", M::kDeleteOptions};

const KindEntry* FindKind(std::string_view api_version, std::string_view kind) {
  for (const KindEntry& k : kKinds) {
    if (k.api_version == api_version && k.kind == kind) return &k;
  }
  if (kind == "DeleteOptions") return &kDeleteOptions;
  return nullptr;
}

}  // namespace shoal::api::internal
