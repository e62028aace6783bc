#include "bench/pod_template.h"

#include "base/strings.h"

namespace shoal::bench {

std::string PodJson(const PodArgs& a) {
  std::string out;
  out.reserve(2048);
  base::StrAppend(&out, R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")", a.name,
                  R"(","namespace":")", a.ns, R"(",)");
  if (!a.resource_version.empty()) {
    base::StrAppend(&out, R"("resourceVersion":")", a.resource_version, R"(",)");
  }
  if (a.server_fields) {
    base::StrAppend(&out,
                    R"("uid":"5b0c3f5e-2d7a-4c1e-9a63-0f4f5d1c2b7a",)"
                    R"("creationTimestamp":"2026-11-23T08:00:00Z",)");
  }
  base::StrAppend(
      &out,
      R"("labels":{"app.kubernetes.io/name":"trainer","app.kubernetes.io/part-of":"sweep-42",)"
      R"("bench.shoal.io/group":")",
      a.group,
      R"(","team":"research","tier":"experiment"},)"
      R"("annotations":{"bench.shoal.io/revision":")",
      a.revision_note,
      R"(","shoal.io/owner":"researcher@example.com",)"
      R"("prometheus.io/scrape":"true","prometheus.io/port":"9090"}},)"
      R"("spec":{)");
  if (!a.node_name.empty()) base::StrAppend(&out, R"("nodeName":")", a.node_name, R"(",)");
  base::StrAppend(
      &out,
      R"("restartPolicy":"Never","terminationGracePeriodSeconds":30,)"
      R"("schedulerName":"default-scheduler","serviceAccountName":"default",)"
      R"("priorityClassName":")", kPodPriorityClass, R"(",)"
      R"("securityContext":{"runAsNonRoot":true,"runAsUser":1000,"fsGroup":1000},)"
      R"("containers":[{"name":"train","image":"registry.example.com/ml/trainer:2026.11.1",)"
      R"("imagePullPolicy":"IfNotPresent",)"
      R"("command":["python3","-m","trainer.main"],)"
      R"("args":["--config=/etc/trainer/config.yaml","--epochs=3","--lr=0.0003","--seed=1234"],)"
      R"("env":[{"name":"MASTER_PORT","value":"29500"},{"name":"NCCL_DEBUG","value":"WARN"},)"
      R"({"name":"POD_NAME","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}],)"
      R"("ports":[{"name":"metrics","containerPort":9090,"protocol":"TCP"}],)"
      R"("resources":{"requests":{"cpu":"4","memory":"16Gi","nvidia.com/gpu":"1"},)"
      R"("limits":{"cpu":"8","memory":"32Gi","nvidia.com/gpu":"1"}},)"
      R"("readinessProbe":{"httpGet":{"path":"/healthz","port":9090},"periodSeconds":10},)"
      R"("volumeMounts":[{"name":"config","mountPath":"/etc/trainer","readOnly":true},)"
      R"({"name":"scratch","mountPath":"/scratch"}]}],)"
      R"("volumes":[{"name":"config","configMap":{"name":"trainer-config"}},)"
      R"({"name":"scratch","emptyDir":{"sizeLimit":"100Gi"}}],)"
      R"("tolerations":[{"key":"nvidia.com/gpu","operator":"Exists","effect":"NoSchedule"}],)"
      R"("nodeSelector":{"shoal.io/gpu-type":"h100"}})");
  if (a.server_fields) {
    base::StrAppend(
        &out,
        R"(,"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True",)"
        R"("lastProbeTime":null,"lastTransitionTime":"2026-11-23T08:00:01Z"}],)"
        R"("qosClass":"Burstable"})");
  }
  out.push_back('}');
  return out;
}

}  // namespace shoal::bench
