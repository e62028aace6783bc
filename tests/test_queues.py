"""End-to-end tests of shoal's queues (issue 8): Kueue's API (kueue.x-k8s.io) served by the
built server, its queue controller admitting Jobs by quota, and kubectl.

Quota is counted in `nvidia.com/gpu` only (the ClusterQueues cover that resource alone and the
test pods ask for nothing else). Where a Job must really finish, a real `shoal agent` with
fake GPUs runs its pods; elsewhere admission is observed on the Workload and the Job
(`spec.suspend`) without running anything.
"""

import json
import os
import time

import pytest
import yaml

from shoal_fixture import ShoalAgent, kubectl_get_json, wait_until

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "reference",
                        "kueue-examples")
# The Kueue documentation's example manifests (../shared/reference/kueue-examples/), inlined so
# that the suite runs where that tree is absent; test_inlined_examples_match checks them.
KUEUE_SETUP = """\
apiVersion: kueue.x-k8s.io/v1beta1
kind: ResourceFlavor
metadata:
  name: "default-flavor"
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: ClusterQueue
metadata:
  name: "cluster-queue"
spec:
  namespaceSelector: {} # match all.
  resourceGroups:
  - coveredResources: ["cpu", "memory"]
    flavors:
    - name: "default-flavor"
      resources:
      - name: "cpu"
        nominalQuota: 9
      - name: "memory"
        nominalQuota: 36Gi
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: LocalQueue
metadata:
  namespace: "default"
  name: "user-queue"
spec:
  clusterQueue: "cluster-queue"
"""
KUEUE_SAMPLE_JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  generateName: sample-job-
  namespace: default
  labels:
    kueue.x-k8s.io/queue-name: user-queue
spec:
  parallelism: 3
  completions: 3
  suspend: true
  template:
    spec:
      containers:
      - name: dummy-job
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        args: ["entrypoint-tester", "hello", "world"]
        resources:
          requests:
            cpu: 1
            memory: "200Mi"
      restartPolicy: Never
"""
GPU = "nvidia.com/gpu"


def apply(server, *objs):
    server.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(objs))


def flavor(name, node_labels=None, tolerations=None, taints=None):
    spec = {}
    if node_labels:
        spec["nodeLabels"] = node_labels
    if tolerations:
        spec["tolerations"] = tolerations
    if taints:
        spec["nodeTaints"] = taints
    return {"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ResourceFlavor",
            "metadata": {"name": name}, "spec": spec}


def cluster_queue(name, gpus, flavor_name="gpu", cohort=None, reclaim=None, within=None,
                  strategy=None, borrowing_limit=None, extra_flavors=()):
    resource = {"name": GPU, "nominalQuota": gpus}
    if borrowing_limit is not None:
        resource["borrowingLimit"] = borrowing_limit
    flavors = [{"name": flavor_name, "resources": [resource]}]
    flavors += [{"name": f, "resources": [{"name": GPU, "nominalQuota": q}]}
                for f, q in extra_flavors]
    spec = {"namespaceSelector": {},
            "resourceGroups": [{"coveredResources": [GPU], "flavors": flavors}]}
    if cohort:
        spec["cohort"] = cohort
    if reclaim or within:
        spec["preemption"] = {}
        if reclaim:
            spec["preemption"]["reclaimWithinCohort"] = reclaim
        if within:
            spec["preemption"]["withinClusterQueue"] = within
    if strategy:
        spec["queueingStrategy"] = strategy
    return {"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ClusterQueue",
            "metadata": {"name": name}, "spec": spec}


def local_queue(name, cq, ns="default"):
    return {"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "LocalQueue",
            "metadata": {"name": name, "namespace": ns}, "spec": {"clusterQueue": cq}}


def job(name, queue, gpus_per_pod, parallelism=1, script="sleep 60", priority_class=None):
    spec = {"restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
            "containers": [{"name": "main", "image": "none", "command": ["sh", "-c", script],
                            "resources": {"requests": {GPU: gpus_per_pod},
                                          "limits": {GPU: gpus_per_pod}}}]}
    if priority_class:
        spec["priorityClassName"] = priority_class
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "labels": {"kueue.x-k8s.io/queue-name": queue}},
            "spec": {"parallelism": parallelism, "completions": parallelism,
                     "template": {"spec": spec}}}


def workloads(server):
    """Workloads by the name of the Job that owns them."""
    out = {}
    for w in kubectl_get_json(server, "workloads")["items"]:
        owner = w["metadata"].get("ownerReferences", [{}])[0].get("name")
        out[owner] = w
    return out


def condition(obj, ctype):
    for c in obj.get("status", {}).get("conditions", []):
        if c["type"] == ctype:
            return c
    return None


def admitted(server):
    return sorted(name for name, w in workloads(server).items()
                  if (condition(w, "Admitted") or {}).get("status") == "True")


def suspended(server, name):
    return kubectl_get_json(server, "job", name)["spec"].get("suspend") is True


def node_without_agent(server, name, labels, taints=()):
    """A Ready Node of 8 GPUs that no agent runs: pods are bound to it and stay as they are."""
    r = server.request("POST", "/api/v1/nodes", {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels}, "spec": {"taints": list(taints)},
        "status": {"capacity": {"cpu": "8", "memory": "32Gi", "pods": "110", GPU: "8"},
                   "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110", GPU: "8"},
                   "conditions": [{"type": "Ready", "status": "True"}]}})
    assert r.status == 201, r


def pods_of(server, job_name):
    return [p for p in kubectl_get_json(server, "pods", "-l", f"job-name={job_name}")["items"]]


def test_inlined_examples_match_the_reference_manifests():
    for name, text in (("single-clusterqueue-setup.yaml", KUEUE_SETUP),
                       ("sample-job.yaml", KUEUE_SAMPLE_JOB)):
        path = os.path.join(EXAMPLES, name)
        if not os.path.exists(path):
            pytest.skip("reference examples not present")
        with open(path) as f:
            assert f.read() == text, name


def test_kueue_examples_apply_unchanged_and_the_sample_job_runs(server):
    server.kubectl("apply", "-f", "-", input=KUEUE_SETUP)
    out = server.kubectl("create", "-f", "-", input=KUEUE_SAMPLE_JOB).stdout
    name = out.split()[0].split("/")[1]
    wait_until(lambda: not suspended(server, name), timeout=10, what="the sample job admitted")
    w = workloads(server)[name]
    assert w["status"]["admission"]["clusterQueue"] == "cluster-queue"
    psa = w["status"]["admission"]["podSetAssignments"][0]
    assert psa["count"] == 3 and psa["flavors"] == {"cpu": "default-flavor",
                                                    "memory": "default-flavor"}
    assert psa["resourceUsage"] == {"cpu": "3", "memory": "600Mi"}
    assert w["spec"]["queueName"] == "user-queue"
    # The tables users look at.
    wait_until(lambda: kubectl_get_json(server, "clusterqueue", "cluster-queue")
               .get("status", {}).get("admittedWorkloads") == 1, timeout=10,
               what="queue status")
    lines = server.kubectl("get", "clusterqueues").stdout.splitlines()
    assert lines[0].split() == ["NAME", "COHORT", "PENDING", "WORKLOADS", "ADMITTED",
                                "WORKLOADS", "USAGE"]
    assert lines[1].split() == ["cluster-queue", "0", "1", "3"]  # 3 of 9 cpus
    wide = server.kubectl("get", "clusterqueues", "-o", "wide").stdout.splitlines()
    assert wide[0].split()[-2:] == ["USAGE", "BORROWED"] and wide[1].split()[-2:] == ["3", "0"]
    lines = server.kubectl("get", "localqueues").stdout.splitlines()
    assert lines[1].split() == ["user-queue", "cluster-queue", "0", "1"]
    lines = server.kubectl("get", "workloads").stdout.splitlines()
    assert lines[0].split()[:5] == ["NAME", "QUEUE", "RESERVED", "IN", "ADMITTED"]
    assert lines[1].split()[1:4] == ["user-queue", "cluster-queue", "True"]
    cq = kubectl_get_json(server, "clusterqueue", "cluster-queue")
    usage = {r["name"]: r["total"] for r in cq["status"]["flavorsUsage"][0]["resources"]}
    assert usage == {"cpu": "3", "memory": "600Mi"}


def test_the_queue_objects_are_served_as_v1beta2_too(server):
    """Kueue's newer version: the same objects applied as kueue.x-k8s.io/v1beta2 through
    kubectl admit a Job as v1beta1 ones do, and each version reads back with its own
    apiVersion (v1beta1 is stored; only apiVersion differs)."""
    objs = [flavor("gpu"), cluster_queue("cq", 8), local_queue("lq", "cq")]
    for o in objs:
        o["apiVersion"] = "kueue.x-k8s.io/v1beta2"
    apply(server, *objs)
    apply(server, job("j", "lq", 8))
    wait_until(lambda: admitted(server) == ["j"], timeout=15, what="j admitted")
    v2 = kubectl_get_json(server, "clusterqueues.v1beta2.kueue.x-k8s.io", "cq")
    assert v2["apiVersion"] == "kueue.x-k8s.io/v1beta2"
    assert v2["spec"]["resourceGroups"][0]["flavors"][0]["resources"][0]["nominalQuota"] == 8
    wait_until(lambda: kubectl_get_json(server, "clusterqueues.v1beta2.kueue.x-k8s.io", "cq")
               .get("status", {}).get("admittedWorkloads") == 1, timeout=10,
               what="cq status read as v1beta2")
    assert kubectl_get_json(server, "clusterqueues.v1beta1.kueue.x-k8s.io",
                            "cq")["apiVersion"] == "kueue.x-k8s.io/v1beta1"
    w = kubectl_get_json(server, "workloads.v1beta2.kueue.x-k8s.io", "-A")["items"]
    assert [x["apiVersion"] for x in w] == ["kueue.x-k8s.io/v1beta2"]
    assert w[0]["status"]["admission"]["clusterQueue"] == "cq"


def test_quota_is_respected_and_freed_when_a_job_finishes(server):
    agent = ShoalAgent(server, node="node-1", fake_gpus=40)
    try:
        agent.start()
        apply(server, flavor("gpu"), cluster_queue("team-a", 32), local_queue("a", "team-a"))
        apply(server, job("j0", "a", 8, script="sleep 2"))
        wait_until(lambda: admitted(server) == ["j0"], timeout=10, what="j0 admitted")
        apply(server, *[job(f"j{i}", "a", 8) for i in range(1, 5)])
        wait_until(lambda: "j4" in workloads(server) and
                   condition(workloads(server)["j4"], "QuotaReserved") is not None,
                   timeout=10, what="j4 considered")
        assert admitted(server) == ["j0", "j1", "j2", "j3"]
        w4 = workloads(server)["j4"]
        reserved = condition(w4, "QuotaReserved")
        assert reserved["status"] == "False" and reserved["reason"] == "Pending"
        assert reserved["message"] == (
            "couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu in "
            "flavor gpu: 8 requested, 0 available in ClusterQueue")
        assert suspended(server, "j4") and pods_of(server, "j4") == []
        events = kubectl_get_json(server, "events", "--field-selector",
                                  f"involvedObject.name={w4['metadata']['name']}")["items"]
        assert any(e["reason"] == "Pending" and "insufficient quota" in e["message"]
                   for e in events), events
        # j0 finishes: its quota goes to j4, and never more than 4 are admitted at once.
        def j4_admitted():
            now = admitted(server)
            assert len([n for n in now
                        if not condition(workloads(server)[n], "Finished")]) <= 4, now
            return "j4" in now
        wait_until(j4_admitted, timeout=30, what="j4 admitted after j0 finished")
        assert condition(workloads(server)["j0"], "Finished")["status"] == "True"
        wait_until(lambda: len(pods_of(server, "j4")) == 1, timeout=10, what="j4's pod")
    finally:
        server.kubectl("delete", "jobs", "--all", "--cascade=foreground", "--wait=false",
                       check=False)
        server.kubectl("delete", "pods", "--all", "--grace-period=0", "--force", check=False)
        agent.close()


# No Job controller writes the Job's status here (nor pod GC or node lifecycle touches the
# test's pods, bound to a node that does not exist): the test plays the Job controller.
@pytest.mark.server_args("--controllers", "*,-job,-podgc,-nodelifecycle")
def test_quota_is_freed_when_a_jobs_pods_succeed_before_its_status_says_so(server):
    apply(server, flavor("gpu"), cluster_queue("cq", 2), local_queue("lq", "cq"))
    first = job("first", "lq", 1, parallelism=2)
    first["spec"]["completionMode"] = "Indexed"
    apply(server, first)
    wait_until(lambda: admitted(server) == ["first"], 30, what="first admitted")
    apply(server, job("second", "lq", 2))
    wait_until(lambda: not suspended(server, "first"), 30, what="first started")
    uid = kubectl_get_json(server, "job", "first")["metadata"]["uid"]

    def pod(name, index, phase):
        body = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name,
                             "labels": {"job-name": "first",
                                        "batch.kubernetes.io/job-completion-index": str(index)},
                             "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job",
                                                  "name": "first", "uid": uid,
                                                  "controller": True}]},
                "spec": {"nodeName": "nowhere", "restartPolicy": "Never",
                         "containers": [{"name": "main", "image": "none"}]}}
        r = server.request("POST", "/api/v1/namespaces/default/pods", body)
        assert r.status == 201, r
        r = server.request("PATCH", f"/api/v1/namespaces/default/pods/{name}/status",
                           {"status": {"phase": phase}},
                           content_type="application/merge-patch+json")
        assert r.status == 200, r

    # Index 0 succeeded twice (a retry), index 1 failed: one completion of two, quota held.
    pod("first-0", 0, "Succeeded")
    pod("first-0-retry", 0, "Succeeded")
    pod("first-1", 1, "Failed")
    time.sleep(1.5)
    w = workloads(server)
    assert condition(w["first"], "Finished") is None, w["first"]
    assert admitted(server) == ["first"]
    assert (condition(w["second"], "QuotaReserved") or {}).get("reason") == "Pending"
    # Index 1 succeeds on its retry: every completion is in, the quota comes back although
    # the Job's status never changes.
    pod("first-1-retry", 1, "Succeeded")
    wait_until(lambda: condition(workloads(server)["first"], "Finished") is not None, 30,
               what="first Finished")
    finished = condition(workloads(server)["first"], "Finished")
    assert finished["status"] == "True" and finished["reason"] == "Succeeded", finished
    wait_until(lambda: "second" in admitted(server), 30, what="second admitted")
    assert kubectl_get_json(server, "job", "first").get("status", {}).get("conditions") is None


def test_a_queued_gangs_pod_group_is_made_while_it_waits(server):
    apply(server, flavor("gpu"), cluster_queue("cq", 8), local_queue("lq", "cq"))
    gang = job("gang", "lq", 8, parallelism=2)
    gang["metadata"]["annotations"] = {"shoal.io/gang": "true"}
    apply(server, gang)
    # The gang waits for quota it will never get here, yet its PodGroup is there, so that
    # its pods are scheduled without one more round trip once it is admitted.
    wait_until(lambda: server.request(
        "GET", "/apis/scheduling.x-k8s.io/v1alpha1/namespaces/default/podgroups/gang").status
        == 200, 30, what="the gang's PodGroup")
    group = server.get_json("/apis/scheduling.x-k8s.io/v1alpha1/namespaces/default/podgroups/gang")
    assert group["spec"]["minMember"] == 2
    assert suspended(server, "gang")
    assert pods_of(server, "gang") == []
    assert (condition(workloads(server)["gang"], "QuotaReserved") or {}).get("reason") == "Pending"


def test_a_gang_is_never_partly_admitted(server):
    apply(server, flavor("gpu"), cluster_queue("team-a", 12), local_queue("a", "team-a"))
    apply(server, job("gang", "a", 1, parallelism=16))
    wait_until(lambda: condition(workloads(server).get("gang", {}), "QuotaReserved"),
               timeout=10, what="the gang considered")
    w = workloads(server)["gang"]
    assert w["spec"]["podSets"][0]["count"] == 16
    assert "16 requested, 12 available" in condition(w, "QuotaReserved")["message"]
    assert suspended(server, "gang") and pods_of(server, "gang") == []
    # With room for all 16, all of it is admitted at once.
    apply(server, cluster_queue("team-a", 16))
    wait_until(lambda: not suspended(server, "gang"), timeout=10, what="the gang admitted")
    wait_until(lambda: len(pods_of(server, "gang")) == 16, timeout=10, what="16 pods")


def test_borrowing_and_reclaim_preempt_whole_workloads(server):
    apply(server, flavor("gpu"),
          cluster_queue("team-a", 16, cohort="org"),
          cluster_queue("team-b", 16, cohort="org", reclaim="Any"),
          local_queue("a", "team-a"), local_queue("b", "team-b"))
    # team-a uses b's idle quota: four 2-pod gangs of 4-GPU pods = 32 GPUs.
    for i in range(4):
        apply(server, job(f"a{i}", "a", 4, parallelism=2))
        wait_until(lambda i=i: f"a{i}" in admitted(server), timeout=10, what=f"a{i} admitted")
    wait_until(lambda: kubectl_get_json(server, "clusterqueue", "team-a")["status"]
               ["flavorsUsage"][0]["resources"][0]["borrowed"] == "16", timeout=10,
               what="team-a borrowing 16")
    # team-b wants its quota back: the two most recently admitted gangs of team-a go.
    apply(server, job("b0", "b", 8, parallelism=2))
    wait_until(lambda: "b0" in admitted(server), timeout=15, what="b0 admitted")
    assert admitted(server) == ["a0", "a1", "b0"]
    for victim in ("a2", "a3"):
        w = workloads(server)[victim]
        evicted = condition(w, "Evicted")
        assert evicted["status"] == "True" and evicted["reason"] == "Preempted", w["status"]
        assert "reclaiming quota lent to the cohort" in evicted["message"]
        assert "admission" not in w["status"]
        assert suspended(server, victim)
        wait_until(lambda v=victim: pods_of(server, v) == [], timeout=15,
                   what=f"{victim}'s whole gang removed")
    assert not suspended(server, "a0") and not suspended(server, "a1")


def pinned(name, queue, gpus, node):
    """A one-pod Job of `gpus` GPUs that only node `node` may run."""
    j = job(name, queue, gpus)
    j["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/hostname": node}
    return j


def running(server, job_name):
    pods = pods_of(server, job_name)
    return len(pods) == 1 and pods[0].get("status", {}).get("phase") == "Running"


def two_hollow_nodes(server, sim_factory):
    """r-00000 and r-00001, 8 GPUs each (`shoal sim`)."""
    sim_factory("--nodes", "2", "--gpus-per-node", "8", "--name-prefix", "r-")
    wait_until(lambda: len(kubectl_get_json(server, "nodes")["items"]) == 2, 30, interval=0.2,
               what="2 hollow nodes")


def test_reclaim_frees_a_whole_node_for_the_lenders_pod(server, sim_factory):
    """Reclaim looks at nodes, not only at quota: evicting the most recently admitted
    borrowers would free enough GPUs of quota, but scattered over two nodes, and the lender's
    8-GPU pod would wait for room; the borrowers that share one node go instead, and the pod
    runs at once on that node."""
    two_hollow_nodes(server, sim_factory)
    apply(server, flavor("gpu"),
          cluster_queue("team-a", 4, cohort="org"),
          cluster_queue("team-b", 12, cohort="org", reclaim="Any"),
          local_queue("a", "team-a"), local_queue("b", "team-b"))

    # r-00001: b's 4-GPU pod, then a-5..a-8; r-00000: a-1..a-4 and 4 free GPUs. team-a
    # borrows 4 of b's quota; the cohort has 4 GPUs of quota left.
    apply(server, pinned("b-fill", "b", 4, "r-00001"))
    for i in range(1, 9):
        if i == 5:
            time.sleep(1.1)  # admission times have one-second resolution: 5-8 are newer
        apply(server, pinned(f"a-{i}", "a", 1, "r-00000" if i <= 4 else "r-00001"))
        wait_until(lambda i=i: f"a-{i}" in admitted(server), timeout=10, what=f"a-{i} admitted")
    for name in ["b-fill"] + [f"a-{i}" for i in range(1, 9)]:
        wait_until(lambda n=name: running(server, n), timeout=20, what=f"{name} running")
    # b's 8-GPU pod: 4 GPUs of quota are free, 4 must come back from team-a.
    apply(server, job("b-big", "b", 8))
    wait_until(lambda: running(server, "b-big"), timeout=20, what="b-big running")
    assert pods_of(server, "b-big")[0]["spec"]["nodeName"] == "r-00000"
    ws = workloads(server)
    evicted = sorted(n for n, w in ws.items()
                     if (condition(w, "Evicted") or {}).get("status") == "True")
    assert evicted == ["a-1", "a-2", "a-3", "a-4"], evicted
    assert "reclaiming quota lent to the cohort" in condition(ws["a-1"], "Evicted")["message"]
    for i in range(5, 9):
        assert running(server, f"a-{i}") and not suspended(server, f"a-{i}")
    for i in range(1, 5):
        assert suspended(server, f"a-{i}")
    # Nothing was over-admitted: team-a is back at its nominal 4, team-b uses its 12.
    usage = {q: kubectl_get_json(server, "clusterqueue", q)["status"]["flavorsUsage"][0]
             ["resources"][0]["total"] for q in ("team-a", "team-b")}
    assert usage == {"team-a": "4", "team-b": "12"}, usage


def test_a_preemptor_starts_once_its_victims_pods_are_gone(server):
    """Reclaim admits the lender's Job at once, but makes its pods only when the borrower's
    pods have left the node: pods made earlier would find the node taken and back off in the
    scheduler. The node here has no agent, so the victim's pod stays terminating (holding its
    GPUs) until the test deletes it by force."""
    node_without_agent(server, "held-1", {"pool": "held"})
    apply(server, flavor("gpu"),
          cluster_queue("team-a", 0, cohort="org"),
          cluster_queue("team-b", 8, cohort="org", reclaim="Any"),
          local_queue("a", "team-a"), local_queue("b", "team-b"))

    def on_held_node(name, queue):
        j = job(name, queue, 8)
        j["spec"]["template"]["spec"]["nodeSelector"] = {"pool": "held"}
        return j

    apply(server, on_held_node("a-held", "a"))
    wait_until(lambda: len(pods_of(server, "a-held")) == 1 and
               pods_of(server, "a-held")[0]["spec"].get("nodeName") == "held-1", timeout=20,
               what="a-held's pod bound")
    held = pods_of(server, "a-held")[0]["metadata"]["name"]
    time.sleep(0.5)  # the queue controller's pod watch sees the binding too

    apply(server, on_held_node("b-big", "b"))
    wait_until(lambda: "b-big" in admitted(server), timeout=15, what="b-big admitted")
    evicted = condition(workloads(server)["a-held"], "Evicted")
    assert evicted["status"] == "True" and evicted["reason"] == "Preempted", evicted
    wait_until(lambda: kubectl_get_json(server, "pod", held)["metadata"].get("deletionTimestamp"),
               timeout=15, what="the victim's pod deleting")
    # Its pod still holds the node: b-big is admitted but its Job does not start.
    time.sleep(1.5)
    assert suspended(server, "b-big") and pods_of(server, "b-big") == []
    # Quota for the victim appears, but its pod still runs: it is not admitted again until that
    # pod is gone (as in Kueue), or its Job would resume in the room promised to b-big.
    apply(server, cluster_queue("team-a", 8, cohort="org"))
    wait_until(lambda: "waiting for its pods to stop" in
               condition(workloads(server)["a-held"], "QuotaReserved").get("message", ""),
               timeout=15, what="a-held told why it waits")
    assert "a-held" not in admitted(server) and suspended(server, "a-held")
    server.kubectl("delete", "pod", held, "--grace-period=0", "--force")
    wait_until(lambda: len(pods_of(server, "b-big")) == 1 and
               pods_of(server, "b-big")[0]["spec"].get("nodeName") == "held-1", timeout=20,
               what="b-big's pod bound")
    assert not suspended(server, "b-big")
    wait_until(lambda: "a-held" in admitted(server), timeout=15, what="a-held admitted again")


def test_an_admitted_gang_without_room_displaces_smaller_work(server, sim_factory):
    """Defragmentation: a gang admitted by quota whose pods find one-GPU pods on every node
    waits a moment (250 ms) for the scheduler, then the smaller work on the nodes it needs is
    evicted (requeued, not lost) and the gang runs; a higher-priority pod is never moved."""
    two_hollow_nodes(server, sim_factory)
    apply(server, flavor("gpu"),
          cluster_queue("team-a", 16, cohort="org", reclaim="Any"),
          cluster_queue("team-b", 16, cohort="org"),
          local_queue("a", "team-a"), local_queue("b", "team-b"))
    # One of b's one-GPU pods on each node: 14 GPUs free, no node free.
    apply(server, pinned("b-0", "b", 1, "r-00000"), pinned("b-1", "b", 1, "r-00001"))
    for name in ("b-0", "b-1"):
        wait_until(lambda n=name: running(server, n), timeout=20, what=f"{name} running")
    apply(server, job("gang", "a", 8, parallelism=2))
    wait_until(lambda: "gang" in admitted(server), timeout=10, what="gang admitted")
    gang_wl = workloads(server)["gang"]["metadata"]["name"]
    wait_until(lambda: len(pods_of(server, "gang")) == 2 and all(
        p.get("status", {}).get("phase") == "Running" for p in pods_of(server, "gang")),
        timeout=30, what="the gang's 2 pods running")
    assert sorted(p["spec"]["nodeName"] for p in pods_of(server, "gang")) == ["r-00000", "r-00001"]
    # Requeued, not lost: once the gang's pods are placed, each victim is admitted again (the
    # next pass) and its pod waits for its (now full) node.
    wait_until(lambda: all((condition(workloads(server)[n], "Evicted") or {}).get("message") ==
                           "Admitted again" for n in ("b-0", "b-1")),
               timeout=15, what="the victims admitted again")
    ws = workloads(server)
    preempted = {e["involvedObject"]["name"]: e["message"]
                 for e in kubectl_get_json(server, "events")["items"] if e["reason"] == "Preempted"}
    for name in ("b-0", "b-1"):
        assert preempted.get(ws[name]["metadata"]["name"]) == (
            "Preempted to make room on nodes for an admitted workload "
            f"(default/{gang_wl}) whose pods found none"), preempted
        wait_until(lambda n=name: len(pods_of(server, n)) == 1, timeout=15,
                   what=f"{name}'s pod created again")
        assert [p["spec"].get("nodeName") for p in pods_of(server, name)] == [None]
    # Quota was not disturbed: the gang keeps its 16 GPUs.
    used = kubectl_get_json(server, "clusterqueue", "team-a")["status"]["flavorsUsage"][0]
    assert used["resources"][0]["total"] == "16", used


def test_defragmentation_never_moves_higher_priority_work(server, sim_factory):
    two_hollow_nodes(server, sim_factory)
    apply(server, {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                   "metadata": {"name": "important"}, "value": 1000})
    apply(server, flavor("gpu"),
          cluster_queue("team-a", 16, cohort="org", reclaim="Any"),
          cluster_queue("team-b", 16, cohort="org"),
          local_queue("a", "team-a"), local_queue("b", "team-b"))
    hi = pinned("b-hi", "b", 1, "r-00001")
    hi["spec"]["template"]["spec"]["priorityClassName"] = "important"
    apply(server, pinned("b-0", "b", 1, "r-00000"), hi)
    for name in ("b-0", "b-hi"):
        wait_until(lambda n=name: running(server, n), timeout=20, what=f"{name} running")
    apply(server, job("gang", "a", 8, parallelism=2))
    wait_until(lambda: "gang" in admitted(server), timeout=10, what="gang admitted")
    # Well past the 250 ms grace: r-00001 cannot be freed, so nothing is moved (half the room
    # would not start the gang), and both small pods keep running.
    time.sleep(4)
    ws = workloads(server)
    assert all((condition(ws[n], "Evicted") or {}).get("status") != "True"
               for n in ("b-0", "b-hi")), ws
    assert running(server, "b-0") and running(server, "b-hi")
    assert all(not p["spec"].get("nodeName") for p in pods_of(server, "gang"))


def test_a_topology_aware_flavor_admits_only_what_fits_on_its_nodes(server, sim_factory):
    """With spec.topologyName, admission looks at the flavor's nodes: an 8-GPU pod that the
    quota allows but no node has room for waits unadmitted (saying why), one-GPU work behind
    it is admitted into the room meanwhile, and the pod is admitted once a node is free."""
    two_hollow_nodes(server, sim_factory)
    tas = flavor("gpu")
    tas["spec"]["topologyName"] = "default"
    apply(server, tas, cluster_queue("team-a", 16), local_queue("a", "team-a"))
    # 4 GPUs taken on each node: 8 of quota left, but no node with 8 free.
    apply(server, pinned("fill-0", "a", 4, "r-00000"), pinned("fill-1", "a", 4, "r-00001"))
    for name in ("fill-0", "fill-1"):
        wait_until(lambda n=name: running(server, n), timeout=20, what=f"{name} running")
    apply(server, job("big", "a", 8))
    wait_until(lambda: condition(workloads(server).get("big", {}), "QuotaReserved"),
               timeout=10, what="big considered")
    reserved = condition(workloads(server)["big"], "QuotaReserved")
    assert reserved["status"] == "False" and reserved["reason"] == "Pending", reserved
    assert reserved["message"] == ("no room for the workload's 1 pod on the nodes of "
                                   "topology-aware flavor gpu now; waiting for nodes to free up")
    assert suspended(server, "big") and pods_of(server, "big") == []
    # BestEffortFIFO: a one-GPU Job submitted later passes it and runs.
    apply(server, job("small", "a", 1))
    wait_until(lambda: running(server, "small"), timeout=20, what="small running")
    assert "big" not in admitted(server)
    # Both fillers go: a node is free again, and big is admitted and runs there.
    server.kubectl("delete", "job", "fill-0", "fill-1", "--wait=false")
    wait_until(lambda: running(server, "big"), timeout=30, what="big running")

    # The queue's status is written after the admission that it counts: wait for it.
    def gpus_in_use():
        used = kubectl_get_json(server, "clusterqueue", "team-a")["status"]["flavorsUsage"][0]
        return used["resources"][0]["total"]
    wait_until(lambda: gpus_in_use() == "9", timeout=10, interval=0.2,
               what="team-a's status counting big and small (9 GPUs)")


def test_two_teams_flooding_a_cohort_share_it_fairly(server):
    # The queues name a flavor that does not exist yet: they are inactive, so both floods
    # are pending when admission starts.
    apply(server, cluster_queue("team-a", 8, cohort="org"),
          cluster_queue("team-b", 8, cohort="org"), cluster_queue("lender", 16, cohort="org"),
          local_queue("a", "team-a"), local_queue("b", "team-b"))
    apply(server, *[job(f"a{i}", "a", 4) for i in range(8)])  # team-a's flood came first
    apply(server, *[job(f"b{i}", "b", 4) for i in range(8)])
    wait_until(lambda: len(workloads(server)) == 16 and all(
        condition(w, "QuotaReserved") for w in workloads(server).values()), timeout=15,
        what="16 workloads waiting")
    assert "inactive" in condition(workloads(server)["a0"], "QuotaReserved")["message"]
    apply(server, flavor("gpu"))
    wait_until(lambda: len(admitted(server)) == 8, timeout=15, what="32 GPUs admitted")
    got = admitted(server)
    # Each team's 8 GPUs, then the lender's 16 split evenly; FIFO alone would give a 6 of 8.
    assert len([n for n in got if n.startswith("a")]) == 4, got
    assert len([n for n in got if n.startswith("b")]) == 4, got


def test_a_tainted_flavor_keeps_other_work_out(server):
    # Two nodes: a dedicated pool (tainted, labelled) and a shared node, 8 GPUs each.
    for name, labels, taints in (("dedicated-1", {"pool": "dedicated"},
                                  [{"key": "pool", "value": "dedicated", "effect": "NoSchedule"}]),
                                 ("shared-1", {"pool": "shared"}, [])):
        node_without_agent(server, name, labels, taints)
    toleration = {"key": "pool", "operator": "Equal", "value": "dedicated",
                  "effect": "NoSchedule"}
    apply(server,
          flavor("dedicated", node_labels={"pool": "dedicated"}, tolerations=[toleration],
                 taints=[{"key": "pool", "value": "dedicated", "effect": "NoSchedule"}]),
          cluster_queue("team-a", 8, flavor_name="dedicated"), local_queue("a", "team-a"))
    apply(server, job("a0", "a", 8))
    wait_until(lambda: len(pods_of(server, "a0")) == 1 and
               pods_of(server, "a0")[0]["spec"].get("nodeName"), timeout=15,
               what="a0's pod bound")
    pod = pods_of(server, "a0")[0]
    assert pod["spec"]["nodeName"] == "dedicated-1"
    assert pod["spec"]["nodeSelector"] == {"pool": "dedicated"}
    assert toleration in pod["spec"]["tolerations"]
    # A pod outside the queue cannot use the pool, even when it is the only room left.
    r = server.request("POST", "/api/v1/namespaces/default/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "outsider"},
        "spec": {"containers": [{"name": "c", "image": "none",
                                 "resources": {"limits": {GPU: 8}}}]}})
    assert r.status == 201, r
    wait_until(lambda: kubectl_get_json(server, "pod", "outsider")["spec"].get("nodeName"),
               timeout=15, what="outsider bound")
    assert kubectl_get_json(server, "pod", "outsider")["spec"]["nodeName"] == "shared-1"


def test_bad_queue_objects_are_rejected(server):
    bad = cluster_queue("bad", 8)
    bad["spec"]["queueingStrategy"] = "Random"
    r = server.kubectl("apply", "-f", "-", input=json.dumps(bad), check=False)
    assert r.returncode != 0 and "queueingStrategy" in r.stderr, r.stderr
    bad = cluster_queue("bad", 8)
    bad["spec"]["resourceGroups"][0]["bogus"] = 1
    r = server.kubectl("apply", "-f", "-", input=json.dumps(bad), check=False)
    assert r.returncode != 0 and "bogus" in r.stderr, r.stderr
    assert kubectl_get_json(server, "clusterqueues")["items"] == []
    # A job for a queue that does not exist waits, suspended, and says why.
    apply(server, job("lost", "nowhere", 1))
    wait_until(lambda: condition(workloads(server).get("lost", {}), "QuotaReserved"),
               timeout=10, what="the lost job considered")
    assert condition(workloads(server)["lost"], "QuotaReserved")["message"] == \
        "LocalQueue or ClusterQueue doesn't exist"
    assert suspended(server, "lost")


def queued_pod(name, queue, gpus, group=None, total=None):
    meta = {"name": name, "labels": {"kueue.x-k8s.io/queue-name": queue}}
    if group:
        meta["labels"]["scheduling.x-k8s.io/pod-group"] = group
    if total:
        meta["annotations"] = {"kueue.x-k8s.io/pod-group-total-count": str(total)}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"restartPolicy": "Never",
                     "containers": [{"name": "c", "image": "none",
                                     "resources": {"limits": {GPU: gpus}}}]}}


def gates(server, pod):
    return kubectl_get_json(server, "pod", pod)["spec"].get("schedulingGates", [])


def test_bare_pods_and_pod_groups_wait_behind_a_scheduling_gate(server):
    apply(server, flavor("gpu", node_labels={"gpu": "h100"}), cluster_queue("team-a", 8),
          local_queue("a", "team-a"))
    # A bare pod: gated at creation, ungated (and placed on the flavor) when admitted.
    apply(server, queued_pod("solo", "a", 2))
    wait_until(lambda: gates(server, "solo") == [], timeout=10, what="solo ungated")
    solo = kubectl_get_json(server, "pod", "solo")
    assert solo["spec"]["nodeSelector"] == {"gpu": "h100"}
    w = next(w for w in kubectl_get_json(server, "workloads")["items"]
             if w["metadata"]["name"].startswith("pod-solo-"))
    assert w["spec"]["podSets"][0]["count"] == 1
    # A gang of 4 x 2 GPUs does not fit next to solo (6 left): all four stay gated.
    apply(server, *[queued_pod(f"g{i}", "a", 2, group="g", total=4) for i in range(4)])
    wait_until(lambda: condition(kubectl_get_json(server, "workload", "podgroup-g"),
                                 "QuotaReserved"), timeout=10, what="the gang considered")
    gang = kubectl_get_json(server, "workload", "podgroup-g")
    assert gang["spec"]["podSets"][0]["count"] == 4
    assert "8 requested, 6 available" in condition(gang, "QuotaReserved")["message"]
    assert all(gates(server, f"g{i}") == [{"name": "kueue.x-k8s.io/admission"}]
               for i in range(4))
    # solo goes: the whole gang is released at once.
    server.kubectl("delete", "pod", "solo", "--grace-period=0", "--force")
    wait_until(lambda: all(gates(server, f"g{i}") == [] for i in range(4)), timeout=15,
               what="the gang ungated")
    # A gated pod's spec may gain a nodeSelector entry only while it is gated.
    apply(server, queued_pod("late", "a", 8))
    r = server.request("PATCH", "/api/v1/namespaces/default/pods/g0",
                       {"spec": {"nodeSelector": {"gpu": "h100", "extra": "x"}}},
                       content_type="application/merge-patch+json")
    assert r.status == 422, r


def test_the_team_queues_example(server):
    """examples/team-queues.yaml applies, and its gang is admitted whole on a flavor it fits."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")
    server.kubectl("apply", "-f", os.path.join(root, "team-queues.yaml"))
    wait_until(lambda: not kubectl_get_json(server, "job", "pretrain", "-n", "research")
               ["spec"]["suspend"], timeout=10, what="pretrain admitted")
    job = kubectl_get_json(server, "job", "pretrain", "-n", "research")
    spec = job["spec"]["template"]["spec"]
    # 32 GPUs do not fit in the reserved pool's 16: the next flavor, without its toleration.
    assert spec["nodeSelector"] == {"gpu": "h100"}
    assert all(t.get("key") != "pool" for t in spec.get("tolerations", []))
    cqs = {c["metadata"]["name"]: c for c in kubectl_get_json(server, "clusterqueues")["items"]}
    assert set(cqs) == {"research", "product"}


def test_namespace_selector_and_stop_policy(server):
    cq = cluster_queue("team-a", 8)
    cq["spec"]["namespaceSelector"] = {"matchLabels": {"team": "a"}}
    apply(server, flavor("gpu"), cq, local_queue("a", "team-a"))
    apply(server, job("j", "a", 1))
    wait_until(lambda: condition(workloads(server).get("j", {}), "QuotaReserved"), timeout=10,
               what="j considered")
    assert "not selected by ClusterQueue team-a's namespaceSelector" in \
        condition(workloads(server)["j"], "QuotaReserved")["message"]
    server.kubectl("label", "namespace", "default", "team=a")
    wait_until(lambda: "j" in admitted(server), timeout=10, what="j admitted")
    # A held queue admits nothing new until it is released.
    cq["spec"]["stopPolicy"] = "Hold"
    apply(server, cq)
    apply(server, job("k", "a", 1))
    wait_until(lambda: condition(workloads(server).get("k", {}), "QuotaReserved"), timeout=10,
               what="k considered")
    assert condition(workloads(server)["k"], "QuotaReserved")["message"] == \
        "ClusterQueue team-a is inactive"
    assert "j" in admitted(server)  # admitted work stays
    cq["spec"]["stopPolicy"] = "None"
    apply(server, cq)
    wait_until(lambda: "k" in admitted(server), timeout=10, what="k admitted")
    # HoldAndDrain also evicts what is admitted: the Jobs are suspended again.
    cq["spec"]["stopPolicy"] = "HoldAndDrain"
    apply(server, cq)
    wait_until(lambda: admitted(server) == [], timeout=10, what="the queue drained")
    for name in ("j", "k"):
        evicted = condition(workloads(server)[name], "Evicted")
        assert evicted["status"] == "True" and evicted["reason"] == "ClusterQueueStopped"
        wait_until(lambda n=name: suspended(server, n), timeout=10, what=f"{name} suspended")


def test_workload_priority_classes_order_and_preempt(server):
    """Kueue's WorkloadPriorityClass (label kueue.x-k8s.io/priority-class) sets a workload's
    priority for queueing and preemption without touching the pods' priority."""
    wpc = lambda name, value: {"apiVersion": "kueue.x-k8s.io/v1beta1",  # noqa: E731
                               "kind": "WorkloadPriorityClass", "metadata": {"name": name},
                               "value": value, "description": name}
    apply(server, flavor("gpu"), cluster_queue("team-a", 8, within="LowerPriority"),
          local_queue("a", "team-a"), wpc("low", 10), wpc("high", 1000))
    lines = server.kubectl("get", "workloadpriorityclasses").stdout.splitlines()
    assert lines[0].split()[:2] == ["NAME", "VALUE"] and lines[1].split()[:2] == ["high", "1000"]
    low = job("low", "a", 8)
    low["metadata"]["labels"]["kueue.x-k8s.io/priority-class"] = "low"
    apply(server, low)
    wait_until(lambda: "low" in admitted(server), timeout=10, what="low admitted")
    assert workloads(server)["low"]["spec"]["priority"] == 10
    assert workloads(server)["low"]["spec"]["priorityClassSource"] == \
        "kueue.x-k8s.io/workloadpriorityclass"
    high = job("high", "a", 8)
    high["metadata"]["labels"]["kueue.x-k8s.io/priority-class"] = "high"
    apply(server, high)
    wait_until(lambda: admitted(server) == ["high"], timeout=15, what="high displaces low")
    assert condition(workloads(server)["low"], "Evicted")["reason"] == "Preempted"
    assert suspended(server, "low")
