"""End-to-end: the API groups the scheduler builds on (issue 3, item 6, first part):
batch/v1 jobs, scheduling.k8s.io/v1 priorityclasses with pod priority admission, and
scheduling.x-k8s.io/v1alpha1 podgroups; through kubectl and the Python client."""


import pytest

from shoal_fixture import kubectl_get_json
from test_kubectl import table

MANIFESTS = """\
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
---
apiVersion: batch/v1
kind: Job
metadata: {name: train}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
---
apiVersion: scheduling.x-k8s.io/v1alpha1
kind: PodGroup
metadata: {name: gang}
spec: {minMember: 4, scheduleTimeoutSeconds: 60}
---
apiVersion: v1
kind: Pod
metadata: {name: urgent}
spec:
  priorityClassName: high
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  containers: [{name: c, image: busybox}]
"""


get_json = kubectl_get_json


def test_builtin_priority_classes_and_tables(server):
    headers, rows = table(server.kubectl("get", "pc").stdout)
    assert headers == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE"]
    assert [r[:3] for r in rows] == [["system-cluster-critical", "2000000000", "false"],
                                     ["system-node-critical", "2000001000", "false"]]
    server.kubectl("create", "-f", "-", input=MANIFESTS)
    headers, rows = table(server.kubectl("get", "jobs").stdout)
    assert headers == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert rows[0][:3] == ["train", "Running", "0/1"]
    headers, rows = table(server.kubectl("get", "pg").stdout)
    assert headers == ["NAME", "PHASE", "MINMEMBER", "RUNNING", "AGE"]
    assert rows[0][0] == "gang" and rows[0][2] == "4"
    out = server.kubectl("api-resources", "--api-group=scheduling.x-k8s.io").stdout
    assert "podgroups" in out and "pg,pgs" in out


def test_pod_priority_comes_from_its_class(server):
    server.kubectl("create", "-f", "-", input=MANIFESTS)
    urgent = get_json(server, "pod", "urgent")["spec"]
    assert (urgent["priority"], urgent["preemptionPolicy"]) == (1000, "PreemptLowerPriority")
    assert get_json(server, "pod", "plain")["spec"]["priority"] == 0

    # A global default class applies to pods without a class.
    server.kubectl("create", "-f", "-", input="apiVersion: scheduling.k8s.io/v1\n"
                   "kind: PriorityClass\nmetadata: {name: batch}\nvalue: 50\n"
                   "globalDefault: true\npreemptionPolicy: Never\n")
    server.kubectl("run", "later", "--image=busybox")
    later = get_json(server, "pod", "later")["spec"]
    assert (later["priority"], later["priorityClassName"], later["preemptionPolicy"]) == \
        (50, "batch", "Never")


def test_unknown_class_and_forged_priority_are_rejected(server):
    bad = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  priorityClassName: nope\n" \
          "  containers: [{name: c, image: busybox}]\n"
    r = server.kubectl("create", "-f", "-", input=bad, check=False)
    assert r.returncode != 0
    assert 'The Pod "p" is invalid: spec.priorityClassName: Not found: "nope"' in r.stderr
    forged = "apiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec:\n  priority: 2000000000\n" \
             "  containers: [{name: c, image: busybox}]\n"
    r = server.kubectl("create", "-f", "-", input=forged, check=False)
    assert r.returncode != 0
    assert "the integer value of priority (2000000000) must not be provided" in r.stderr
    # Nothing was stored.
    assert get_json(server, "pods")["items"] == []


def test_priority_class_rules(server):
    server.kubectl("create", "-f", "-", input=MANIFESTS)
    r = server.kubectl("patch", "pc", "high", "--type=merge", "-p", '{"value": 5}', check=False)
    assert r.returncode != 0 and "value: Forbidden: may not be changed" in r.stderr
    assert get_json(server, "pc", "high")["value"] == 1000
    r = server.kubectl("create", "-f", "-", check=False, input=(
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: system-x}\n"
        "value: 1\n"))
    assert r.returncode != 0 and "'system-' prefix are reserved" in r.stderr
    r = server.kubectl("create", "-f", "-", check=False, input=(
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: huge}\n"
        "value: 1000000001\n"))
    assert r.returncode != 0 and "value: Invalid value: 1000000001" in r.stderr
    names = [i["metadata"]["name"] for i in get_json(server, "pc")["items"]]
    assert names == ["high", "system-cluster-critical", "system-node-critical"]


def test_job_defaults_and_validation(server):
    server.kubectl("create", "-f", "-", input=MANIFESTS)
    job = get_json(server, "job", "train")
    uid = job["metadata"]["uid"]
    spec = job["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    labels = spec["template"]["metadata"]["labels"]
    assert labels["batch.kubernetes.io/job-name"] == "train"
    assert labels["controller-uid"] == uid
    assert job["metadata"]["generation"] == 1

    r = server.kubectl("create", "-f", "-", check=False, input=(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: bad}\nspec:\n  template:\n"
        "    spec:\n      restartPolicy: Always\n      containers: [{name: c, image: b}]\n"))
    assert r.returncode != 0
    assert 'spec.template.spec.restartPolicy: Unsupported value: "Always"' in r.stderr
    assert [j["metadata"]["name"] for j in get_json(server, "jobs")["items"]] == ["train"]


@pytest.mark.no_controllers
def test_python_client_typed_apis(server, k8s):
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    sched = client.SchedulingV1Api(k8s)
    sched.create_priority_class(client.V1PriorityClass(
        metadata=client.V1ObjectMeta(name="train-high"), value=100000))
    assert sched.read_priority_class("train-high").value == 100000

    batch = client.BatchV1Api(k8s)
    batch.create_namespaced_job("default", client.V1Job(
        metadata=client.V1ObjectMeta(name="j1"),
        spec=client.V1JobSpec(template=client.V1PodTemplateSpec(spec=client.V1PodSpec(
            restart_policy="OnFailure", priority_class_name="train-high",
            containers=[client.V1Container(name="c", image="busybox")])))))
    job = batch.read_namespaced_job("j1", "default")
    assert job.spec.completions == 1 and job.spec.backoff_limit == 6
    assert [j.metadata.name for j in batch.list_namespaced_job("default").items] == ["j1"]

    custom = client.CustomObjectsApi(k8s)
    pg = {"apiVersion": "scheduling.x-k8s.io/v1alpha1", "kind": "PodGroup",
          "metadata": {"name": "gang"}, "spec": {"minMember": 8,
                                                 "minResources": {"nvidia.com/gpu": "64"}}}
    custom.create_namespaced_custom_object("scheduling.x-k8s.io", "v1alpha1", "default",
                                           "podgroups", pg)
    got = custom.get_namespaced_custom_object("scheduling.x-k8s.io", "v1alpha1", "default",
                                              "podgroups", "gang")
    assert got["spec"]["minMember"] == 8
    custom.patch_namespaced_custom_object_status(
        "scheduling.x-k8s.io", "v1alpha1", "default", "podgroups", "gang",
        {"status": {"phase": "Scheduled", "scheduled": 8}})
    got = custom.get_namespaced_custom_object("scheduling.x-k8s.io", "v1alpha1", "default",
                                              "podgroups", "gang")
    assert got["status"] == {"phase": "Scheduled", "scheduled": 8}
    assert got["metadata"]["generation"] == 1  # a status write is not a spec change

    pg_bad = dict(pg, metadata={"name": "bad"}, spec={"minMember": -1})
    with pytest.raises(ApiException) as e:
        custom.create_namespaced_custom_object("scheduling.x-k8s.io", "v1alpha1", "default",
                                               "podgroups", pg_bad)
    assert e.value.status == 422 and "spec.minMember" in e.value.body
    items = custom.list_namespaced_custom_object("scheduling.x-k8s.io", "v1alpha1", "default",
                                                 "podgroups")["items"]
    assert [i["metadata"]["name"] for i in items] == ["gang"]
