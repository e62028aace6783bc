// Real-world manifests for schema_test and schema_benchmark: objects as kubectl and the
// Kubernetes components write them (1.32), with most of the fields people use.
#pragma once

namespace shoal::api::testdata {

// A pod as read back from a cluster: a training worker with an init container, a sidecar,
// probes, lifecycle hooks, security contexts, affinity, tolerations, spread constraints, the
// common volume kinds, managedFields and a full status.
inline constexpr char kFullPod[] = R"json({
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {
    "name": "trainer-0",
    "generateName": "trainer-",
    "namespace": "ml",
    "uid": "5c3e2a0e-8d5b-4a86-9a63-6c1f1e0b8f11",
    "resourceVersion": "123456",
    "generation": 1,
    "creationTimestamp": "2025-01-10T08:00:00Z",
    "labels": {"app.kubernetes.io/name": "trainer", "batch.kubernetes.io/job-name": "trainer",
               "controller-uid": "d6f1", "scheduling.x-k8s.io/pod-group": "trainer"},
    "annotations": {"kubectl.kubernetes.io/default-container": "main", "prometheus.io/scrape": "true"},
    "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": "trainer",
                         "uid": "d6f1", "controller": true, "blockOwnerDeletion": true}],
    "finalizers": ["batch.kubernetes.io/job-tracking"],
    "managedFields": [{"manager": "kube-controller-manager", "operation": "Update",
                       "apiVersion": "v1", "time": "2025-01-10T08:00:00Z",
                       "fieldsType": "FieldsV1",
                       "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                                    "f:spec": {"f:containers": {"k:{\"name\":\"main\"}": {".": {}}}}}},
                      {"manager": "kubelet", "operation": "Update", "apiVersion": "v1",
                       "time": "2025-01-10T08:01:00Z", "fieldsType": "FieldsV1",
                       "fieldsV1": {"f:status": {"f:phase": {}}}, "subresource": "status"}]
  },
  "spec": {
    "initContainers": [
      {"name": "fetch", "image": "busybox:1.36", "command": ["sh", "-c", "cp /src/* /data/"],
       "volumeMounts": [{"name": "data", "mountPath": "/data"}],
       "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}},
      {"name": "log-shipper", "image": "fluent-bit:3", "restartPolicy": "Always",
       "startupProbe": {"exec": {"command": ["true"]}, "periodSeconds": 2, "failureThreshold": 30}}
    ],
    "containers": [
      {"name": "main",
       "image": "registry.example.com/trainer:v7",
       "imagePullPolicy": "IfNotPresent",
       "command": ["python", "-m", "train"],
       "args": ["--epochs=$(EPOCHS)", "--rank=$(RANK)"],
       "workingDir": "/workspace",
       "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                 {"containerPort": 29500, "hostPort": 29500, "hostIP": "0.0.0.0"}],
       "env": [
         {"name": "EPOCHS", "value": "10"},
         {"name": "RANK", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}},
         {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
         {"name": "MEM_LIMIT", "valueFrom": {"resourceFieldRef": {"containerName": "main", "resource": "limits.memory", "divisor": "1Mi"}}},
         {"name": "CFG", "valueFrom": {"configMapKeyRef": {"name": "trainer-config", "key": "mode", "optional": true}}},
         {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "trainer-secret", "key": "token"}}}
       ],
       "envFrom": [{"configMapRef": {"name": "common-env"}, "prefix": "CM_"},
                   {"secretRef": {"name": "common-secret", "optional": true}}],
       "resources": {"requests": {"cpu": "8", "memory": "64Gi", "nvidia.com/gpu": "8", "ephemeral-storage": "10Gi"},
                     "limits": {"cpu": 16, "memory": "64Gi", "nvidia.com/gpu": 8},
                     "claims": [{"name": "ib", "request": "nic"}]},
       "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"},
                        {"resourceName": "memory", "restartPolicy": "RestartContainer"}],
       "volumeMounts": [
         {"name": "data", "mountPath": "/data", "readOnly": true, "recursiveReadOnly": "IfPossible"},
         {"name": "config", "mountPath": "/etc/trainer", "subPath": "trainer.yaml"},
         {"name": "shm", "mountPath": "/dev/shm"},
         {"name": "logs", "mountPath": "/logs", "subPathExpr": "$(NODE)", "mountPropagation": "HostToContainer"},
         {"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}
       ],
       "volumeDevices": [{"name": "scratch", "devicePath": "/dev/xvdb"}],
       "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP",
                                     "httpHeaders": [{"name": "X-Probe", "value": "1"}]},
                         "initialDelaySeconds": 10, "periodSeconds": 10, "timeoutSeconds": 2,
                         "successThreshold": 1, "failureThreshold": 3,
                         "terminationGracePeriodSeconds": 30},
       "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 5},
       "startupProbe": {"grpc": {"port": 9090, "service": "health"}, "failureThreshold": 60},
       "lifecycle": {"postStart": {"exec": {"command": ["sh", "-c", "echo started"]}},
                     "preStop": {"sleep": {"seconds": 5}}},
       "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                           "runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000,
                           "capabilities": {"add": ["IPC_LOCK"], "drop": ["ALL"]},
                           "seccompProfile": {"type": "RuntimeDefault"},
                           "appArmorProfile": {"type": "RuntimeDefault"},
                           "seLinuxOptions": {"level": "s0:c123,c456"}, "procMount": "Default"},
       "terminationMessagePath": "/dev/termination-log",
       "terminationMessagePolicy": "FallbackToLogsOnError",
       "stdin": false, "stdinOnce": false, "tty": false}
    ],
    "volumes": [
      {"name": "data", "emptyDir": {"medium": "", "sizeLimit": "100Gi"}},
      {"name": "shm", "emptyDir": {"medium": "Memory"}},
      {"name": "config", "configMap": {"name": "trainer-config", "defaultMode": 420,
                                       "items": [{"key": "trainer.yaml", "path": "trainer.yaml", "mode": 256}]}},
      {"name": "secret", "secret": {"secretName": "trainer-secret", "optional": false}},
      {"name": "logs", "hostPath": {"path": "/var/log/trainer", "type": "DirectoryOrCreate"}},
      {"name": "ckpt", "persistentVolumeClaim": {"claimName": "ckpt", "readOnly": false}},
      {"name": "scratch", "ephemeral": {"volumeClaimTemplate": {
          "metadata": {"labels": {"type": "scratch"}},
          "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "local-nvme",
                   "volumeMode": "Block", "resources": {"requests": {"storage": "1Ti"}}}}}},
      {"name": "dataset", "csi": {"driver": "s3.csi.example.com", "readOnly": true,
                                  "volumeAttributes": {"bucket": "datasets"},
                                  "nodePublishSecretRef": {"name": "s3-creds"}}},
      {"name": "nfs", "nfs": {"server": "10.0.0.5", "path": "/exports/home", "readOnly": true}},
      {"name": "model", "image": {"reference": "registry.example.com/models/llama:1", "pullPolicy": "IfNotPresent"}},
      {"name": "podinfo", "downwardAPI": {"items": [
          {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
          {"path": "cpu", "resourceFieldRef": {"containerName": "main", "resource": "requests.cpu", "divisor": "1m"}}]}},
      {"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
          {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
          {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
          {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
          {"clusterTrustBundle": {"signerName": "example.com/signer", "labelSelector": {"matchLabels": {"a": "b"}}, "path": "bundle.pem"}}]}},
      {"name": "legacy", "azureDisk": {"diskName": "d", "diskURI": "u", "cachingMode": "None"}}
    ],
    "restartPolicy": "Never",
    "terminationGracePeriodSeconds": 30,
    "activeDeadlineSeconds": 86400,
    "dnsPolicy": "ClusterFirst",
    "dnsConfig": {"nameservers": ["1.1.1.1"], "searches": ["svc.cluster.local"],
                  "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]},
    "nodeSelector": {"nvidia.com/gpu.product": "H100", "kubernetes.io/os": "linux"},
    "serviceAccountName": "trainer",
    "serviceAccount": "trainer",
    "automountServiceAccountToken": true,
    "nodeName": "gpu-node-17",
    "hostNetwork": false, "hostPID": false, "hostIPC": false, "hostUsers": true,
    "shareProcessNamespace": false,
    "securityContext": {"fsGroup": 1000, "fsGroupChangePolicy": "OnRootMismatch",
                        "runAsUser": 1000, "runAsGroup": 1000, "runAsNonRoot": true,
                        "supplementalGroups": [2000], "supplementalGroupsPolicy": "Merge",
                        "seLinuxChangePolicy": "MountOption",
                        "sysctls": [{"name": "net.core.somaxconn", "value": "1024"}],
                        "seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/train.json"}},
    "imagePullSecrets": [{"name": "registry-creds"}],
    "hostname": "trainer-0",
    "subdomain": "trainer",
    "setHostnameAsFQDN": false,
    "affinity": {
      "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
          {"matchExpressions": [{"key": "topology.shoal.io/leaf", "operator": "In", "values": ["leaf-1", "leaf-2"]}],
           "matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["bad-node"]}]}]},
        "preferredDuringSchedulingIgnoredDuringExecution": [
          {"weight": 50, "preference": {"matchExpressions": [{"key": "gpu-gen", "operator": "Gt", "values": ["8"]}]}}]},
      "podAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
          {"labelSelector": {"matchLabels": {"app.kubernetes.io/name": "trainer"}},
           "topologyKey": "topology.shoal.io/spine", "namespaces": ["ml"],
           "matchLabelKeys": ["batch.kubernetes.io/job-name"]}]},
      "podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
          {"weight": 100, "podAffinityTerm": {
             "labelSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
             "namespaceSelector": {}, "topologyKey": "kubernetes.io/hostname",
             "mismatchLabelKeys": ["tenant"]}}]}
    },
    "tolerations": [
      {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
      {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
      {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "PreferNoSchedule"}
    ],
    "topologySpreadConstraints": [
      {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
       "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "trainer"}}, "minDomains": 2,
       "nodeAffinityPolicy": "Honor", "nodeTaintsPolicy": "Ignore", "matchLabelKeys": ["pod-template-hash"]}
    ],
    "priorityClassName": "high-priority",
    "priority": 1000000,
    "preemptionPolicy": "PreemptLowerPriority",
    "schedulerName": "default-scheduler",
    "runtimeClassName": "nvidia",
    "overhead": {"cpu": "250m", "memory": "120Mi"},
    "enableServiceLinks": false,
    "readinessGates": [{"conditionType": "example.com/ready"}],
    "schedulingGates": [{"name": "example.com/quota"}],
    "resourceClaims": [{"name": "ib", "resourceClaimTemplateName": "ib-nic"}],
    "hostAliases": [{"ip": "10.0.0.1", "hostnames": ["master"]}],
    "os": {"name": "linux"},
    "ephemeralContainers": [{"name": "debugger", "image": "busybox", "targetContainerName": "main",
                             "stdin": true, "tty": true}]
  },
  "status": {
    "phase": "Running",
    "conditions": [
      {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2025-01-10T08:00:05Z"},
      {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2025-01-10T08:00:30Z"},
      {"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2025-01-10T08:01:00Z"},
      {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2025-01-10T08:00:00Z", "reason": "", "message": ""}
    ],
    "hostIP": "10.1.2.17", "hostIPs": [{"ip": "10.1.2.17"}],
    "podIP": "10.244.17.5", "podIPs": [{"ip": "10.244.17.5"}, {"ip": "fd00::5"}],
    "startTime": "2025-01-10T08:00:01Z",
    "qosClass": "Burstable",
    "nominatedNodeName": "",
    "resize": "InProgress",
    "resourceClaimStatuses": [{"name": "ib", "resourceClaimName": "trainer-0-ib-x7z"}],
    "initContainerStatuses": [
      {"name": "fetch", "state": {"terminated": {"exitCode": 0, "reason": "Completed",
        "startedAt": "2025-01-10T08:00:10Z", "finishedAt": "2025-01-10T08:00:29Z",
        "containerID": "containerd://aa"}}, "lastState": {}, "ready": true, "restartCount": 0,
       "image": "docker.io/library/busybox:1.36", "imageID": "docker.io/library/busybox@sha256:00",
       "containerID": "containerd://aa", "started": false}
    ],
    "containerStatuses": [
      {"name": "main", "ready": true, "restartCount": 1, "started": true,
       "state": {"running": {"startedAt": "2025-01-10T08:00:40Z"}},
       "lastState": {"terminated": {"exitCode": 137, "signal": 9, "reason": "OOMKilled", "message": "",
                                    "startedAt": "2025-01-10T08:00:31Z", "finishedAt": "2025-01-10T08:00:39Z"}},
       "image": "registry.example.com/trainer:v7", "imageID": "registry.example.com/trainer@sha256:11",
       "containerID": "containerd://bb",
       "allocatedResources": {"cpu": "8", "memory": "64Gi"},
       "resources": {"requests": {"cpu": "8"}, "limits": {"cpu": "16"}},
       "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": true, "recursiveReadOnly": "Enabled"}],
       "user": {"linux": {"uid": 1000, "gid": 1000, "supplementalGroups": [1000, 2000]}},
       "allocatedResourcesStatus": [{"name": "nvidia.com/gpu", "resources": [{"resourceID": "GPU-1", "health": "Healthy"}]}]},
      {"name": "waiting", "ready": false, "restartCount": 0,
       "state": {"waiting": {"reason": "ImagePullBackOff", "message": "back-off"}}, "image": "x", "imageID": ""}
    ],
    "ephemeralContainerStatuses": []
  }
})json";

// A typical small pod as `kubectl create` sends it (about 2 KB), for the benchmark.
inline constexpr char kTypicalPod[] = R"json({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-7d9f8b6c5-x2x4z","namespace":"default","labels":{"app":"web","pod-template-hash":"7d9f8b6c5","tier":"frontend"},"annotations":{"kubectl.kubernetes.io/restartedAt":"2025-01-10T08:00:00Z"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27","imagePullPolicy":"IfNotPresent","ports":[{"name":"http","containerPort":80,"protocol":"TCP"}],"env":[{"name":"MODE","value":"production"},{"name":"POD_NAME","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}],"resources":{"requests":{"cpu":"250m","memory":"256Mi"},"limits":{"cpu":"1","memory":"512Mi"}},"volumeMounts":[{"name":"config","mountPath":"/etc/nginx/conf.d","readOnly":true},{"name":"kube-api-access","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","readOnly":true}],"livenessProbe":{"httpGet":{"path":"/healthz","port":"http"},"initialDelaySeconds":5,"periodSeconds":10},"readinessProbe":{"httpGet":{"path":"/ready","port":80},"periodSeconds":5},"securityContext":{"allowPrivilegeEscalation":false,"runAsNonRoot":true,"capabilities":{"drop":["ALL"]}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"volumes":[{"name":"config","configMap":{"name":"web-config","defaultMode":420}},{"name":"kube-api-access","projected":{"defaultMode":420,"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}}]}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","securityContext":{"runAsUser":101,"fsGroup":101},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"affinity":{"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":100,"podAffinityTerm":{"labelSelector":{"matchLabels":{"app":"web"}},"topologyKey":"kubernetes.io/hostname"}}]}},"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"}})json";

// An indexed Job with a pod failure policy and a success policy.
inline constexpr char kJob[] = R"json({
  "apiVersion": "batch/v1", "kind": "Job",
  "metadata": {"name": "sweep", "namespace": "ml", "labels": {"team": "research"}},
  "spec": {
    "parallelism": 8, "completions": 64, "completionMode": "Indexed",
    "backoffLimit": 6, "backoffLimitPerIndex": 2, "maxFailedIndexes": 5,
    "activeDeadlineSeconds": 7200, "ttlSecondsAfterFinished": 3600, "suspend": false,
    "manualSelector": false, "podReplacementPolicy": "Failed", "managedBy": "kubernetes.io/job-controller",
    "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "abc"}},
    "podFailurePolicy": {"rules": [
      {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}},
      {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
      {"action": "FailIndex", "onExitCodes": {"operator": "NotIn", "values": [0, 1]}}]},
    "successPolicy": {"rules": [{"succeededIndexes": "0-3", "succeededCount": 2}]},
    "template": {
      "metadata": {"labels": {"app": "sweep"}},
      "spec": {"restartPolicy": "Never",
               "containers": [{"name": "main", "image": "trainer:v7", "args": ["--lr=$(LR)"],
                               "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}}
  },
  "status": {
    "startTime": "2025-01-10T08:00:00Z", "completionTime": "2025-01-10T09:00:00Z",
    "active": 0, "succeeded": 64, "failed": 1, "ready": 0, "terminating": 0,
    "completedIndexes": "0-63", "failedIndexes": "",
    "uncountedTerminatedPods": {"succeeded": [], "failed": []},
    "conditions": [{"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": "2025-01-10T09:00:00Z",
                    "lastTransitionTime": "2025-01-10T09:00:00Z", "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods"},
                   {"type": "Complete", "status": "True", "lastProbeTime": "2025-01-10T09:00:00Z",
                    "lastTransitionTime": "2025-01-10T09:00:00Z", "reason": "CompletionsReached", "message": ""}]
  }
})json";

// A GPU node as its agent registers and reports it.
inline constexpr char kNode[] = R"json({
  "apiVersion": "v1", "kind": "Node",
  "metadata": {"name": "gpu-node-17", "labels": {"kubernetes.io/hostname": "gpu-node-17",
               "topology.shoal.io/leaf": "leaf-1", "node-role.kubernetes.io/worker": ""},
               "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
  "spec": {"podCIDR": "10.244.17.0/24", "podCIDRs": ["10.244.17.0/24", "fd00:17::/64"],
           "providerID": "shoal://gpu-node-17", "unschedulable": true,
           "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"},
                      {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule", "timeAdded": "2025-01-10T08:00:00Z"}]},
  "status": {
    "capacity": {"cpu": "96", "memory": "1Ti", "nvidia.com/gpu": "8", "pods": "110", "ephemeral-storage": "3Ti", "hugepages-2Mi": "0"},
    "allocatable": {"cpu": "95500m", "memory": "1020Gi", "nvidia.com/gpu": 8, "pods": 110},
    "phase": "Running",
    "conditions": [
      {"type": "Ready", "status": "True", "lastHeartbeatTime": "2025-01-10T08:00:00Z",
       "lastTransitionTime": "2025-01-10T07:00:00Z", "reason": "KubeletReady", "message": "kubelet is posting ready status"},
      {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "message": ""}],
    "addresses": [{"type": "InternalIP", "address": "10.1.2.17"}, {"type": "Hostname", "address": "gpu-node-17"}],
    "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
    "nodeInfo": {"machineID": "m", "systemUUID": "s", "bootID": "b", "kernelVersion": "6.1.0",
                 "osImage": "Debian GNU/Linux 12 (bookworm)", "containerRuntimeVersion": "containerd://1.7.0",
                 "kubeletVersion": "v1.32.0", "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64"},
    "images": [{"names": ["registry.example.com/trainer@sha256:11", "registry.example.com/trainer:v7"], "sizeBytes": 12345678}],
    "volumesInUse": ["kubernetes.io/csi/s3^vol-1"],
    "volumesAttached": [{"name": "kubernetes.io/csi/s3^vol-1", "devicePath": ""}],
    "config": {},
    "runtimeHandlers": [{"name": "", "features": {"recursiveReadOnlyMounts": true, "userNamespaces": false}},
                        {"name": "nvidia", "features": {"recursiveReadOnlyMounts": true}}],
    "features": {"supplementalGroupsPolicy": true}
  }
})json";

}  // namespace shoal::api::testdata
