"""End-to-end: the everyday kubectl workflows of issue 3 against the built server.

Custom resources (define, use with printer columns, delete), aggregated discovery, -o wide,
describe with events, eviction and drain, client-side apply, the three patch types,
multi-document delete, kubectl wait, and the admission rules users notice (requests vs
limits, immutable pod and job fields). Each test checks both the answer and the state left
behind."""

import json
import re
import time

import pytest

from shoal_fixture import WatchStream, kubectl_get_json, wait_until
from test_kubectl import table

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: trainings.ml.example.com
spec:
  group: ml.example.com
  scope: Namespaced
  names:
    plural: trainings
    singular: training
    kind: Training
    shortNames: [tr]
    categories: [all]
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Workers, type: integer, jsonPath: .spec.workers}
    - {name: Phase, type: string, jsonPath: .status.phase}
    - {name: Image, type: string, jsonPath: .spec.image, priority: 1}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [workers]
            properties:
              workers: {type: integer, minimum: 1}
              image: {type: string}
          status:
            type: object
            properties:
              phase: {type: string}
"""

TRAINING = """\
apiVersion: ml.example.com/v1
kind: Training
metadata: {name: %s}
spec: {workers: %d, image: trainer:1}
"""


get_json = kubectl_get_json


def create_node(server, name, labels=None):
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels or {}},
            "status": {"capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                       "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True"}],
                       "addresses": [{"type": "InternalIP", "address": "10.0.0.7"}],
                       "nodeInfo": {"kubeletVersion": "v1.32.0-shoal", "osImage": "Debian 12",
                                    "kernelVersion": "6.1", "containerRuntimeVersion": "shoal://1"}}}
    r = server.request("POST", "/api/v1/nodes", node)
    assert r.status == 201, r


def bind(server, pod, node, ns="default"):
    r = server.request("POST", f"/api/v1/namespaces/{ns}/pods/{pod}/binding",
                       {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": pod},
                        "target": {"kind": "Node", "name": node}})
    assert r.status == 201, r


def pod_manifest(name, **spec_extra):
    spec = {"containers": [{"name": "c", "image": "busybox:1.36"}]}
    spec.update(spec_extra)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


# ---- custom resources ----------------------------------------------------------------------

def test_crd_round_trip(server):
    server.kubectl("create", "-f", "-", input=CRD)
    crd = get_json(server, "crd", "trainings.ml.example.com")
    conds = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert conds == {"NamesAccepted": "True", "Established": "True"}
    assert crd["status"]["storedVersions"] == ["v1"]
    assert crd["spec"]["names"]["listKind"] == "TrainingList"
    headers, rows = table(server.kubectl("get", "crd").stdout)
    assert headers == ["NAME", "CREATED AT"]
    # Beside the server's own (Kueue's queue API).
    assert sorted(r[0] for r in rows) == [
        "clusterqueues.kueue.x-k8s.io", "localqueues.kueue.x-k8s.io",
        "resourceflavors.kueue.x-k8s.io", "trainings.ml.example.com",
        "workloadpriorityclasses.kueue.x-k8s.io", "workloads.kueue.x-k8s.io"]

    # Served at once (the create is acknowledged after the resource is served).
    server.kubectl("create", "-f", "-", input=TRAINING % ("big", 64))
    server.kubectl("create", "-f", "-", input=TRAINING % ("small", 2))
    headers, rows = table(server.kubectl("get", "tr").stdout)
    assert headers == ["NAME", "WORKERS", "PHASE", "AGE"]
    assert [r[:3] for r in rows] == [["big", "64", ""], ["small", "2", ""]]
    headers, _ = table(server.kubectl("get", "trainings", "-o", "wide").stdout)
    assert headers == ["NAME", "WORKERS", "PHASE", "IMAGE", "AGE"]
    # The category puts them in `kubectl get all`.
    assert "training.ml.example.com/big" in server.kubectl("get", "all").stdout

    # The status subresource: main-resource writes ignore status, /status writes only it.
    server.kubectl("patch", "tr", "big", "--type=merge", "-p",
                   '{"spec":{"workers":65},"status":{"phase":"Ignored"}}')
    server.kubectl("patch", "tr", "big", "--subresource=status", "--type=merge", "-p",
                   '{"status":{"phase":"Running"}}')
    big = get_json(server, "tr", "big")
    assert big["spec"]["workers"] == 65 and big["status"]["phase"] == "Running"
    assert big["metadata"]["generation"] == 2
    _, rows = table(server.kubectl("get", "tr", "big").stdout)
    assert rows[0][:3] == ["big", "65", "Running"]

    # Deleting the CRD removes its objects and stops serving the resource.
    server.kubectl("delete", "crd", "trainings.ml.example.com")
    assert server.request("GET", "/apis/ml.example.com/v1/namespaces/default/trainings").status \
        == 404
    r = server.kubectl("get", "tr", check=False)
    assert r.returncode != 0
    # Defined again: the old objects do not come back.
    server.kubectl("create", "-f", "-", input=CRD)
    assert get_json(server, "trainings")["items"] == []


def two_version_crd():
    """CRD with v1beta1 (served) and v1 (served, storage), the "None" conversion strategy."""
    beta = CRD[CRD.index("  - name: v1\n"):].replace("  - name: v1\n", "  - name: v1beta1\n", 1)
    beta = beta.replace("storage: true", "storage: false", 1)
    return CRD + beta


def test_crd_versions_are_served_with_their_apiversion(server):
    """Objects written through one version are read, listed and watched in another."""
    server.kubectl("create", "-f", "-", input=two_version_crd())
    crd = get_json(server, "crd", "trainings.ml.example.com")
    assert [v["name"] for v in crd["spec"]["versions"]] == ["v1", "v1beta1"]
    base = "/apis/ml.example.com/%s/namespaces/default/trainings"
    watch = WatchStream(server, base % "v1beta1" + "?watch=1")
    r = server.request("POST", base % "v1beta1",
                       {"apiVersion": "ml.example.com/v1beta1", "kind": "Training",
                        "metadata": {"name": "old"}, "spec": {"workers": 2}})
    assert r.status == 201, r
    assert r.json()["apiVersion"] == "ml.example.com/v1beta1"
    server.kubectl("create", "-f", "-", input=TRAINING % ("new", 4))
    for version in ("v1", "v1beta1"):
        items = server.request("GET", base % version).json()["items"]
        assert {i["metadata"]["name"]: i["apiVersion"] for i in items} == {
            "old": f"ml.example.com/{version}", "new": f"ml.example.com/{version}"}
        one = server.request("GET", base % version + "/old").json()
        assert one["apiVersion"] == f"ml.example.com/{version}" and one["spec"]["workers"] == 2
    # A patch through v1 answers in v1, and the v1beta1 watch saw everything as v1beta1.
    r = server.request("PATCH", base % "v1" + "/old", {"spec": {"workers": 3}},
                       content_type="application/merge-patch+json")
    assert r.status == 200 and r.json()["apiVersion"] == "ml.example.com/v1", r
    with watch:
        events = watch.read_until(lambda ev: len(ev) >= 3, timeout=10)
    seen = [(e["type"], e["object"]["metadata"]["name"], e["object"]["apiVersion"])
            for e in events]
    assert seen == [("ADDED", "old", "ml.example.com/v1beta1"),
                    ("ADDED", "new", "ml.example.com/v1beta1"),
                    ("MODIFIED", "old", "ml.example.com/v1beta1")], seen
    # kubectl asks for the preferred version (the first listed).
    assert get_json(server, "tr", "old")["apiVersion"] == "ml.example.com/v1"


def test_crd_deletion_waits_for_objects_held_by_finalizers(server):
    """The CRD stays Terminating, serving, until the last finalizer of its objects is removed."""
    server.kubectl("create", "-f", "-", input=CRD)
    server.kubectl("create", "-f", "-", input=TRAINING % ("free", 1))
    held = TRAINING % ("held", 1)
    held = held.replace("metadata: {name: held}",
                        "metadata: {name: held, finalizers: [example.com/keep]}")
    server.kubectl("create", "-f", "-", input=held)
    server.kubectl("delete", "crd", "trainings.ml.example.com", "--wait=false")
    crd = get_json(server, "crd", "trainings.ml.example.com")
    assert crd["metadata"]["deletionTimestamp"]
    assert "customresourcecleanup.apiextensions.k8s.io" in crd["metadata"]["finalizers"]
    terminating = [c for c in crd["status"]["conditions"] if c["type"] == "Terminating"]
    assert terminating and terminating[0]["reason"] == "InstanceDeletionInProgress"
    # Still served: the held object is readable and terminating; the free one is gone.
    items = get_json(server, "tr")["items"]
    assert [i["metadata"]["name"] for i in items] == ["held"]
    assert items[0]["metadata"]["deletionTimestamp"]
    # No new objects meanwhile.
    r = server.kubectl("create", "-f", "-", input=TRAINING % ("late", 1), check=False)
    assert r.returncode != 0 and "terminating" in r.stderr, r.stderr
    # Removing the finalizer lets the object go, then the CRD.
    server.kubectl("patch", "tr", "held", "--type=json", "-p",
                   '[{"op":"remove","path":"/metadata/finalizers"}]')
    wait_until(lambda: server.request(
        "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
        "trainings.ml.example.com").status == 404, timeout=5, what="the CRD to go")
    assert server.request("GET", "/apis/ml.example.com/v1/trainings").status == 404
    # Defined again: nothing comes back.
    server.kubectl("create", "-f", "-", input=CRD)
    assert get_json(server, "trainings")["items"] == []


def test_crd_invalid_definitions_are_rejected(server):
    bad = CRD.replace("name: trainings.ml.example.com", "name: wrong.ml.example.com")
    r = server.kubectl("create", "-f", "-", input=bad, check=False)
    assert r.returncode != 0 and "metadata.name" in r.stderr, r.stderr
    bad = CRD.replace("storage: true", "storage: false")
    r = server.kubectl("create", "-f", "-", input=bad, check=False)
    assert r.returncode != 0 and "storage version" in r.stderr, r.stderr
    assert [c for c in get_json(server, "crd")["items"]
            if c["spec"]["group"] == "ml.example.com"] == []
    assert server.request("GET", "/apis/ml.example.com/v1/trainings").status == 404


def test_crd_survives_restart(server):
    server.kubectl("create", "-f", "-", input=CRD)
    server.kubectl("create", "-f", "-", input=TRAINING % ("t", 8))
    server.restart()
    assert [i["metadata"]["name"] for i in get_json(server, "tr")["items"]] == ["t"]


def test_custom_objects_with_python_client(server, k8s):
    from kubernetes import client
    server.kubectl("create", "-f", "-", input=CRD)
    api = client.CustomObjectsApi(k8s)
    body = {"apiVersion": "ml.example.com/v1", "kind": "Training",
            "metadata": {"name": "py"}, "spec": {"workers": 3}}
    created = api.create_namespaced_custom_object("ml.example.com", "v1", "default",
                                                  "trainings", body)
    assert created["metadata"]["uid"]
    got = api.get_namespaced_custom_object("ml.example.com", "v1", "default", "trainings", "py")
    assert got["spec"]["workers"] == 3
    api.patch_namespaced_custom_object("ml.example.com", "v1", "default", "trainings", "py",
                                       {"spec": {"workers": 5}})
    items = api.list_namespaced_custom_object("ml.example.com", "v1", "default",
                                              "trainings")["items"]
    assert [(i["metadata"]["name"], i["spec"]["workers"]) for i in items] == [("py", 5)]
    api.delete_namespaced_custom_object("ml.example.com", "v1", "default", "trainings", "py")
    assert api.list_namespaced_custom_object("ml.example.com", "v1", "default",
                                             "trainings")["items"] == []


# ---- discovery -----------------------------------------------------------------------------

def test_aggregated_discovery(server):
    accept = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
              "application/json")
    r = server.request("GET", "/apis", headers={"Accept": accept})
    assert r.status == 200
    assert r.headers["Content-Type"] == \
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    doc = r.json()
    assert doc["kind"] == "APIGroupDiscoveryList"
    groups = {g["metadata"]["name"]: g for g in doc["items"]}
    jobs = [res for res in groups["batch"]["versions"][0]["resources"]
            if res["resource"] == "jobs"][0]
    assert jobs["scope"] == "Namespaced" and jobs["categories"] == ["all"]
    assert jobs["subresources"][0]["subresource"] == "status"
    core = server.request("GET", "/api", headers={"Accept": accept}).json()
    pods = [res for res in core["items"][0]["versions"][0]["resources"]
            if res["resource"] == "pods"][0]
    assert pods["shortNames"] == ["po"]
    assert {s["subresource"]: s["responseKind"]["group"] for s in pods["subresources"]} == \
        {"status": "", "binding": "", "eviction": "policy"}
    # Without the aggregated media type: the legacy documents.
    assert server.get_json("/apis")["kind"] == "APIGroupList"
    # kubectl needs two discovery requests, not one per group-version.
    r = server.kubectl("get", "pods", "-v=6")
    discovery = [l for l in r.stderr.splitlines()
                 if "GET https" in l and ("/api?" in l or "/apis?" in l or "/api/v1?" in l
                                           or "/apis/" in l and "?timeout" in l)]
    assert len(discovery) == 2, discovery


# ---- printing and describe ------------------------------------------------------------------

@pytest.mark.no_scheduler  # binds its pods to chosen nodes itself
def test_wide_columns_and_describe_with_events(server):
    create_node(server, "gpu-1", {"node-role.kubernetes.io/worker": ""})
    server.kubectl("create", "-f", "-", input=json.dumps(pod_manifest("p")))
    bind(server, "p", "gpu-1")
    headers, rows = table(server.kubectl("get", "pods", "-o", "wide").stdout)
    assert headers == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                       "NOMINATED NODE", "READINESS GATES"]
    assert rows[0][6] == "gpu-1"
    headers, rows = table(server.kubectl("get", "nodes", "-o", "wide").stdout)
    assert headers == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP",
                       "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]
    assert rows[0][:3] == ["gpu-1", "Ready", "worker"] and rows[0][5] == "10.0.0.7"

    pod = get_json(server, "pod", "p")
    event = {"apiVersion": "v1", "kind": "Event",
             "metadata": {"name": "p.1", "namespace": "default"},
             "involvedObject": {"kind": "Pod", "namespace": "default", "name": "p",
                                "uid": pod["metadata"]["uid"], "apiVersion": "v1"},
             "reason": "Scheduled", "message": "Successfully assigned default/p to gpu-1",
             "type": "Normal", "source": {"component": "default-scheduler"},
             "firstTimestamp": pod["metadata"]["creationTimestamp"],
             "lastTimestamp": pod["metadata"]["creationTimestamp"], "count": 1}
    assert server.request("POST", "/api/v1/namespaces/default/events", event).status == 201
    headers, rows = table(server.kubectl("get", "events").stdout)
    assert headers == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert rows[0][1:4] == ["Normal", "Scheduled", "pod/p"]

    out = server.kubectl("describe", "pod", "p").stdout
    assert re.search(r"^Node:\s+gpu-1/$", out, re.M), out
    assert "Successfully assigned default/p to gpu-1" in out  # the Events section
    out = server.kubectl("describe", "node", "gpu-1").stdout
    assert "Roles:              worker" in out
    assert "default                     p" in out  # Non-terminated Pods
    server.kubectl("create", "-f", "-", input=JOB_V1)
    assert "Pod Template:" in server.kubectl("describe", "job", "trace-job").stdout
    assert "Status:       Active" in server.kubectl("describe", "namespace", "default").stdout
    server.kubectl("create", "-f", "-", input=json.dumps(
        {"apiVersion": "scheduling.x-k8s.io/v1alpha1", "kind": "PodGroup",
         "metadata": {"name": "gang"}, "spec": {"minMember": 4}}))
    out = server.kubectl("describe", "podgroup", "gang").stdout
    assert "Min Member:  4" in out


def pb_envelope(api_version, kind, raw=b""):
    """A Kubernetes protobuf body: "k8s\\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw}."""
    def field(n, data):
        assert len(data) < 128
        return bytes([n << 3 | 2, len(data)]) + data
    type_meta = field(1, api_version.encode()) + field(2, kind.encode())
    return b"k8s\x00" + field(1, type_meta) + (field(2, raw) if raw else b"")


def test_kubectl_typed_generators_send_protobuf(server):
    """`kubectl create namespace|configmap|secret|job|priorityclass` send protobuf bodies."""
    server.kubectl("create", "namespace", "team-a")
    assert get_json(server, "ns", "team-a")["status"]["phase"] == "Active"
    server.kubectl("create", "configmap", "cm", "-n", "team-a", "--from-literal=a=b",
                   "--from-literal=empty=")
    assert get_json(server, "cm", "cm", "-n", "team-a")["data"] == {"a": "b", "empty": ""}
    server.kubectl("create", "secret", "generic", "s", "--from-literal=k=v")
    secret = get_json(server, "secret", "s")
    assert secret["data"] == {"k": "dg=="} and secret["type"] == "Opaque"
    server.kubectl("create", "priorityclass", "high", "--value=1000", "--description=x",
                   "--preemption-policy=Never")
    pc = get_json(server, "priorityclass", "high")
    assert (pc["value"], pc["description"], pc["preemptionPolicy"]) == (1000, "x", "Never")
    server.kubectl("create", "job", "j", "--image=busybox:1.36", "--", "echo", "hi")
    job = get_json(server, "job", "j")
    c = job["spec"]["template"]["spec"]["containers"][0]
    assert (c["name"], c["image"], c["command"]) == ("j", "busybox:1.36", ["echo", "hi"])
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] == 6  # defaulted like a JSON body
    assert job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"] == \
        job["metadata"]["uid"]
    # --dry-run=server decodes too, and stores nothing.
    server.kubectl("create", "configmap", "dry", "--from-literal=a=b", "--dry-run=server")
    assert server.request("GET", "/api/v1/namespaces/default/configmaps/dry").status == 404


def test_bad_protobuf_bodies(server):
    """A malformed protobuf body is a 400 naming the problem; a kind without a table a 415."""
    path = "/api/v1/namespaces/default/configmaps"
    pb = "application/vnd.kubernetes.protobuf"
    for body, want in ((b"\x6b\x38\x73", "missing k8s magic prefix"),
                       (b"k8s\x00\x0a\x05\x0a\x02v1", "truncated"),
                       (b"k8s\x00\x0a\x80", "truncated varint")):
        r = server.request("POST", path, body, content_type=pb)
        assert r.status == 400 and want in r.json()["message"], (body, r)
        assert r.json()["message"].startswith("ConfigMap in version \"v1\" cannot be handled")
    r = server.request("POST", path, pb_envelope("v1", "Service"), content_type=pb)
    assert r.status == 415 and r.json()["reason"] == "UnsupportedMediaType", r
    assert "v1, Kind=Service" in r.json()["message"]
    # A Namespace envelope sent to the configmaps endpoint: kind mismatch, 400.
    r = server.request("POST", path, pb_envelope("v1", "Namespace", b"\x0a\x04\x0a\x02zz"),
                       content_type=pb)
    assert r.status == 400, r
    r = server.request("POST", path, b"{}", content_type="text/plain")
    assert r.status == 415 and "application/vnd.kubernetes.protobuf" in r.json()["message"], r
    assert get_json(server, "cm")["items"] == []


# ---- eviction ------------------------------------------------------------------------------

@pytest.mark.no_scheduler  # binds its pods to chosen nodes itself
def test_eviction_and_drain(server, k8s):
    from kubernetes import client
    create_node(server, "n1")
    for name in ("a", "b"):
        server.kubectl("create", "-f", "-", input=json.dumps(pod_manifest(name)))
    core = client.CoreV1Api(k8s)
    body = client.V1Eviction(metadata=client.V1ObjectMeta(name="a", namespace="default"))
    core.create_namespaced_pod_eviction("a", "default", body)
    assert [p.metadata.name for p in core.list_namespaced_pod("default").items] == ["b"]
    # A name that does not match the URL is a 400 and deletes nothing.
    r = server.request("POST", "/api/v1/namespaces/default/pods/b/eviction",
                       {"apiVersion": "policy/v1", "kind": "Eviction",
                        "metadata": {"name": "other"}})
    assert r.status == 400, r
    assert server.request("GET", "/api/v1/namespaces/default/pods/b").status == 200
    # kubectl drain cordons the node and evicts its pods.
    bind(server, "b", "n1")
    server.kubectl("drain", "n1", "--force", "--grace-period=0", "--timeout=30s")
    assert get_json(server, "node", "n1")["spec"]["unschedulable"] is True
    wait_until(lambda: server.request("GET", "/api/v1/namespaces/default/pods/b").status == 404
               or get_json(server, "pod", "b")["metadata"].get("deletionTimestamp"),
               timeout=30, what="pod b evicted")


# ---- apply and patch -----------------------------------------------------------------------

JOB_V1 = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: trace-job
  labels: {app: trace-job, rev: "1", team: vision}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: c, image: "busybox:1.36", command: [echo, hi]}
"""


def test_client_side_apply_create_change_reapply_remove(server):
    r = server.kubectl("apply", "-f", "-", input=JOB_V1)
    assert "job.batch/trace-job created" in r.stdout
    job = get_json(server, "job", "trace-job")
    last = json.loads(job["metadata"]["annotations"]
                      ["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["metadata"]["labels"]["team"] == "vision"
    # Change one field and drop another: the dropped label is removed, others stay.
    v2 = JOB_V1.replace('rev: "1", team: vision', 'rev: "2"').replace("backoffLimit: 2",
                                                                      "backoffLimit: 1")
    r = server.kubectl("apply", "-f", "-", input=v2)
    assert "job.batch/trace-job configured" in r.stdout
    job = get_json(server, "job", "trace-job")
    assert job["metadata"]["labels"] == {"app": "trace-job", "rev": "2"}
    assert job["spec"]["backoffLimit"] == 1
    # A label someone else added survives the next apply (it was never in the config).
    server.kubectl("label", "job", "trace-job", "owner=ops")
    r = server.kubectl("apply", "-f", "-", input=v2)
    assert "unchanged" in r.stdout
    assert get_json(server, "job", "trace-job")["metadata"]["labels"]["owner"] == "ops"


# No scheduler: its write of the pod's PodScheduled condition could land between the two
# reads of the resourceVersion below.
@pytest.mark.server_args("--disable", "scheduler")
def test_three_patch_types(server):
    server.kubectl("create", "-f", "-", input=json.dumps(pod_manifest(
        "p", containers=[{"name": "a", "image": "img:1", "env": [{"name": "X", "value": "1"}]},
                         {"name": "b", "image": "img:1"}])))
    # Strategic merge: containers merge by name, env by name.
    server.kubectl("patch", "pod", "p", "-p",
                   '{"spec":{"containers":[{"name":"b","image":"img:2"}]}}')
    pod = get_json(server, "pod", "p")
    assert [(c["name"], c["image"]) for c in pod["spec"]["containers"]] == \
        [("a", "img:1"), ("b", "img:2")]
    # Merge patch: lists are replaced whole; null deletes a key.
    server.kubectl("label", "pod", "p", "x=1")
    server.kubectl("patch", "pod", "p", "--type=merge", "-p",
                   '{"metadata":{"labels":{"x":null,"y":"2"}}}')
    assert get_json(server, "pod", "p")["metadata"]["labels"] == {"y": "2"}
    # JSON patch: all six operations; a failed test is a 422 and changes nothing.
    ops = [{"op": "add", "path": "/metadata/labels/z", "value": "3"},
           {"op": "replace", "path": "/metadata/labels/y", "value": "22"},
           {"op": "copy", "from": "/metadata/labels/z", "path": "/metadata/labels/w"},
           {"op": "move", "from": "/metadata/labels/w", "path": "/metadata/labels/v"},
           {"op": "remove", "path": "/metadata/labels/z"},
           {"op": "test", "path": "/metadata/labels/y", "value": "22"}]
    server.kubectl("patch", "pod", "p", "--type=json", "-p", json.dumps(ops))
    assert get_json(server, "pod", "p")["metadata"]["labels"] == {"y": "22", "v": "3"}
    before = get_json(server, "pod", "p")["metadata"]["resourceVersion"]
    r = server.kubectl("patch", "pod", "p", "--type=json", "-p",
                       '[{"op":"add","path":"/metadata/labels/q","value":"1"},'
                       '{"op":"test","path":"/metadata/labels/y","value":"nope"}]', check=False)
    assert r.returncode != 0 and "is invalid" in r.stderr and "test failed" in r.stderr, r.stderr
    r2 = server.request("PATCH", "/api/v1/namespaces/default/pods/p",
                        '[{"op":"test","path":"/metadata/labels/y","value":"nope"}]',
                        content_type="application/json-patch+json")
    assert r2.status == 422, r2
    after = get_json(server, "pod", "p")
    assert after["metadata"]["resourceVersion"] == before
    assert "q" not in after["metadata"]["labels"]


# ---- multi-document delete and wait -------------------------------------------------------

MULTI = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: cm1}
data: {a: "1"}
---
apiVersion: v1
kind: Secret
metadata: {name: s1}
stringData: {token: abc}
---
apiVersion: batch/v1
kind: Job
metadata: {name: j1}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
"""


def test_delete_multi_document_file(server, tmp_path):
    f = tmp_path / "multi.yaml"
    f.write_text(MULTI)
    server.kubectl("create", "-f", str(f))
    assert len(get_json(server, "cm,secret,job")["items"]) == 3
    r = server.kubectl("delete", "-f", str(f))
    for line in ('configmap "cm1" deleted', 'secret "s1" deleted', 'job.batch "j1" deleted'):
        assert line in r.stdout
    assert get_json(server, "cm,secret,job")["items"] == []


def test_wait_for_condition_and_delete(server):
    server.kubectl("create", "-f", "-", input=json.dumps(pod_manifest("w")))
    waiter = server.kubectl_popen("wait", "--for=condition=Ready", "pod/w", "--timeout=30s")
    time.sleep(0.3)
    assert waiter.poll() is None  # not ready yet
    status = {"status": {"phase": "Running", "conditions": [
        {"type": "Ready", "status": "True", "lastTransitionTime": None}]}}
    r = server.request("PATCH", "/api/v1/namespaces/default/pods/w/status", status,
                       content_type="application/merge-patch+json")
    assert r.status == 200, r
    out, err = waiter.communicate(timeout=30)
    assert waiter.returncode == 0, err
    assert b"pod/w condition met" in out
    server.kubectl("create", "-f", "-", input=CRD)
    server.kubectl("wait", "--for=condition=Established", "crd/trainings.ml.example.com",
                   "--timeout=10s")
    waiter = server.kubectl_popen("wait", "--for=delete", "pod/w", "--timeout=30s")
    time.sleep(0.3)
    server.kubectl("delete", "pod", "w", "--wait=false")
    out, err = waiter.communicate(timeout=30)
    assert waiter.returncode == 0, err
    assert b"pod/w condition met" in out


# ---- admission -----------------------------------------------------------------------------

def test_requests_defaulted_from_limits_and_not_above_them(server):
    server.kubectl("create", "-f", "-", input=json.dumps(pod_manifest(
        "g", containers=[{"name": "c", "image": "x",
                          "resources": {"limits": {"cpu": "2", "memory": "1Gi"}}}])))
    pod = get_json(server, "pod", "g")
    assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "2", "memory": "1Gi"}
    assert pod["status"]["qosClass"] == "Guaranteed"
    r = server.kubectl("create", "-f", "-", check=False, input=json.dumps(pod_manifest(
        "over", containers=[{"name": "c", "image": "x",
                             "resources": {"requests": {"cpu": "3"}, "limits": {"cpu": "2"}}}])))
    assert r.returncode != 0
    assert 'spec.containers[0].resources.requests[cpu]: Invalid value: "3": must be less ' \
           'than or equal to cpu limit of 2' in r.stderr, r.stderr
    assert server.request("GET", "/api/v1/namespaces/default/pods/over").status == 404
    r = server.kubectl("create", "-f", "-", check=False, input=json.dumps(pod_manifest(
        "dup", containers=[{"name": "c", "image": "x"}, {"name": "c", "image": "y"}])))
    assert r.returncode != 0 and 'spec.containers[1].name: Duplicate value: "c"' in r.stderr


# No scheduler: its write of the pod's PodScheduled condition could land between the two
# reads of the resourceVersion below.
@pytest.mark.server_args("--disable", "scheduler")
def test_immutable_pod_and_job_fields(server):
    server.kubectl("create", "-f", "-", input=json.dumps(pod_manifest("p")))
    # Allowed: image, activeDeadlineSeconds, added tolerations.
    server.kubectl("patch", "pod", "p", "-p",
                   '{"spec":{"containers":[{"name":"c","image":"busybox:1.37"}],'
                   '"activeDeadlineSeconds":60}}')
    before = get_json(server, "pod", "p")
    r = server.kubectl("patch", "pod", "p", "-p", '{"spec":{"restartPolicy":"Never"}}',
                       check=False)
    assert r.returncode != 0
    assert "spec: Forbidden: pod updates may not change fields" in r.stderr, r.stderr
    r2 = server.request("PATCH", "/api/v1/namespaces/default/pods/p",
                        {"spec": {"nodeName": "elsewhere"}},
                        content_type="application/merge-patch+json")
    assert r2.status == 422 and r2.json()["details"]["causes"][0]["field"] == "spec"
    after = get_json(server, "pod", "p")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["spec"]["restartPolicy"] == "Always"

    server.kubectl("create", "-f", "-", input=JOB_V1)
    r = server.kubectl("patch", "job", "trace-job", "--type=merge", "-p",
                       '{"spec":{"completions":5}}', check=False)
    assert r.returncode != 0 and "spec.completions: Invalid value: 5: field is immutable" \
        in r.stderr, r.stderr
    r = server.kubectl("set", "image", "job/trace-job", "c=busybox:2", check=False)
    assert r.returncode != 0 and "spec.template" in r.stderr, r.stderr
    assert get_json(server, "job", "trace-job")["spec"]["template"]["spec"]["containers"][0][
        "image"] == "busybox:1.36"
