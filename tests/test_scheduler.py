"""End-to-end: the scheduler (issue 4) inside `shoal server` and as `shoal scheduler`, with
Node objects created through kubectl (no agent): resources and taints, the unschedulable
message, gangs placed whole (the two-gang deadlock case), leaf/spine topology, preemption of
balloon pods by a high-priority gang, and the standalone scheduler."""

import json
import os
import signal
import subprocess
import time

import pytest

from shoal_fixture import SETPRIV, ShoalServer, kubectl_get_json, shoal_bin, wait_until


def node_yaml(name, gpus=8, leaf="leaf-0", spine="spine-0", taints=None):
    doc = {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "kubernetes.io/hostname": name,
            "topology.shoal.io/leaf": leaf, "topology.shoal.io/spine": spine}},
        "spec": {"taints": taints or []},
        "status": {
            "capacity": {"cpu": "96", "memory": "1536Gi", "pods": "110",
                         "nvidia.com/gpu": str(gpus)},
            "allocatable": {"cpu": "96", "memory": "1536Gi", "pods": "110",
                            "nvidia.com/gpu": str(gpus)},
            "conditions": [{"type": "Ready", "status": "True", "reason": "Test",
                            "message": "test node"}]},
    }
    return json.dumps(doc)


def pod_yaml(name, gpus=1, group=None, priority_class=None, grace=None, scheduler=None,
             tolerations=None):
    spec = {"containers": [{"name": "c", "image": "busybox",
                            "resources": {"limits": {"nvidia.com/gpu": str(gpus)}}}]}
    if priority_class:
        spec["priorityClassName"] = priority_class
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    if scheduler:
        spec["schedulerName"] = scheduler
    if tolerations:
        spec["tolerations"] = tolerations
    meta = {"name": name}
    if group:
        meta["labels"] = {"scheduling.x-k8s.io/pod-group": group}
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec})


def podgroup_yaml(name, min_member, locality=None):
    meta = {"name": name}
    if locality:
        meta["annotations"] = {"shoal.io/topology": locality}
    return json.dumps({"apiVersion": "scheduling.x-k8s.io/v1alpha1", "kind": "PodGroup",
                       "metadata": meta, "spec": {"minMember": min_member}})


def create(server, docs):
    # JSON documents are YAML too; the leading "---" makes kubectl read a YAML stream.
    server.kubectl("create", "-f", "-", input="---\n" + "\n---\n".join(docs))


def pods_by_name(server):
    return {p["metadata"]["name"]: p for p in kubectl_get_json(server, "pods")["items"]}


def node_of(pod):
    return pod["spec"].get("nodeName", "")


def scheduled_condition(pod):
    for c in pod.get("status", {}).get("conditions", []):
        if c["type"] == "PodScheduled":
            return c
    return None


def events_for(server, name):
    out = kubectl_get_json(server, "events", "--field-selector", f"involvedObject.name={name}")
    return [(e["reason"], e["message"]) for e in out["items"]]


def wait_bound(server, names, timeout=20):
    def all_bound():
        pods = pods_by_name(server)
        return all(node_of(pods.get(n, {"spec": {}})) for n in names) and pods
    return wait_until(all_bound, timeout, interval=0.1, what=f"pods {names} bound")


def test_resources_taints_and_the_unschedulable_message(server):
    create(server, [
        node_yaml("gpu-a"),
        node_yaml("gpu-b", taints=[{"key": "shoal.io/unhealthy", "effect": "NoSchedule"}]),
        node_yaml("cpu-only", gpus=0),
    ])
    create(server, [pod_yaml("half", gpus=4), pod_yaml("whole", gpus=8)])
    pods = wait_bound(server, ["half"])
    assert node_of(pods["half"]) == "gpu-a"
    msg = ("0/3 nodes are available: 2 Insufficient nvidia.com/gpu, "
           "1 node(s) had untolerated taint {shoal.io/unhealthy: }.")

    def reported():
        c = scheduled_condition(pods_by_name(server)["whole"])
        return c if c and c["status"] == "False" else None
    cond = wait_until(reported, 10, interval=0.1, what="PodScheduled=False on whole")
    assert cond["reason"] == "Unschedulable"
    assert cond["message"] == msg
    assert node_of(pods_by_name(server)["whole"]) == ""
    wait_until(lambda: ("FailedScheduling", msg) in events_for(server, "whole"), 10,
               what="FailedScheduling event")
    assert ("Scheduled", "Successfully assigned default/half to gpu-a") in \
        events_for(server, "half")
    # describe shows the event, as kubectl users expect.
    assert "FailedScheduling" in server.kubectl("describe", "pod", "whole").stdout

    # Freeing room (a pod deleted) retries the waiting pod without polling: it lands on gpu-a.
    server.kubectl("delete", "pod", "half", "--grace-period=0", "--force")
    pods = wait_bound(server, ["whole"])
    assert node_of(pods["whole"]) == "gpu-a"

    # A toleration opens the tainted node; a cordoned node takes nothing new.
    server.kubectl("cordon", "gpu-b")
    tol = [{"key": "shoal.io/unhealthy", "operator": "Exists", "effect": "NoSchedule"}]
    create(server, [pod_yaml("tolerant", gpus=2, tolerations=tol)])
    wait_until(lambda: scheduled_condition(pods_by_name(server)["tolerant"]), 10,
               what="tolerant reported")
    assert node_of(pods_by_name(server)["tolerant"]) == ""
    assert "node(s) were unschedulable" in \
        scheduled_condition(pods_by_name(server)["tolerant"])["message"]
    server.kubectl("uncordon", "gpu-b")
    assert node_of(wait_bound(server, ["tolerant"])["tolerant"]) == "gpu-b"


def test_two_gangs_that_fit_alone_never_deadlock(server):
    create(server, [node_yaml(f"n{i}") for i in range(4)])
    docs = [podgroup_yaml("red", 3), podgroup_yaml("blue", 3)]
    # Interleaved, so that a pod-at-a-time scheduler would half-place both.
    for i in range(3):
        docs += [pod_yaml(f"red-{i}", gpus=8, group="red"),
                 pod_yaml(f"blue-{i}", gpus=8, group="blue")]
    create(server, docs)

    def one_gang_bound():
        pods = pods_by_name(server)
        counts = {g: sum(1 for i in range(3) if node_of(pods[f"{g}-{i}"])) for g in ("red", "blue")}
        return counts if sorted(counts.values()) == [0, 3] else None
    counts = wait_until(one_gang_bound, 20, interval=0.1, what="one whole gang bound")
    winner = "red" if counts["red"] == 3 else "blue"
    loser = "blue" if winner == "red" else "red"
    pg = kubectl_get_json(server, "podgroup", loser)
    cond = {c["type"]: c for c in pg["status"].get("conditions", [])}["Scheduled"]
    assert cond["status"] == "False"
    assert "short by 2 nodes with 8 free nvidia.com/gpu" in cond["message"], cond
    assert kubectl_get_json(server, "podgroup", winner)["status"]["phase"] == "Scheduled"
    # `kubectl describe podgroup` lists the gang's Events (selected by the PodGroup's uid).
    wait_until(lambda: "short by 2 nodes" in server.kubectl("describe", "podgroup",
                                                            loser).stdout.split("Events:")[-1],
               10, interval=0.2, what="the wait reason among the PodGroup's Events")
    # No pod of the waiting gang is bound while it waits.
    pods = pods_by_name(server)
    assert [node_of(pods[f"{loser}-{i}"]) for i in range(3)] == ["", "", ""]
    # When the winner goes, the loser is placed whole.
    server.kubectl("delete", "pods", "-l", f"scheduling.x-k8s.io/pod-group={winner}",
                   "--grace-period=0", "--force")
    wait_bound(server, [f"{loser}-{i}" for i in range(3)])


def test_gang_topology_fewest_leaves_of_one_spine(server):
    nodes = []
    for spine in range(2):
        for leaf in range(2):
            for i in range(16):
                nodes.append(node_yaml(f"s{spine}-l{leaf}-n{i}", leaf=f"leaf-{spine}-{leaf}",
                                       spine=f"spine-{spine}"))
    create(server, nodes)
    # A partly used leaf in spine-1 must not pull the gang apart.
    create(server, [pod_yaml("small", gpus=1)])
    wait_bound(server, ["small"])
    create(server, [podgroup_yaml("big", 32)] +
           [pod_yaml(f"big-{i}", gpus=8, group="big") for i in range(32)])
    pods = wait_bound(server, [f"big-{i}" for i in range(32)], timeout=30)
    placed = [node_of(pods[f"big-{i}"]) for i in range(32)]
    assert len(set(placed)) == 32
    leaves = {n.rsplit("-n", 1)[0] for n in placed}
    spines = {n.split("-")[0] for n in placed}
    assert len(leaves) == 2, leaves
    assert len(spines) == 1, spines
    assert "placed 32 pods at once on 2 leaf(s) in 1 spine(s)" in \
        kubectl_get_json(server, "podgroup", "big")["status"]["conditions"][0]["message"]

    # Required locality that no leaf can meet: the gang waits and says why.
    create(server, [podgroup_yaml("local", 20, locality="leaf")] +
           [pod_yaml(f"local-{i}", gpus=8, group="local") for i in range(20)])

    def reason():
        conds = kubectl_get_json(server, "podgroup", "local").get("status", {}).get("conditions")
        return conds[0]["message"] if conds else None
    msg = wait_until(reason, 10, interval=0.1, what="PodGroup local explains")
    assert "no leaf has room for the gang's 20 pods" in msg
    assert all(node_of(p) == "" for n, p in pods_by_name(server).items() if n.startswith("local-"))


def test_high_priority_gang_preempts_balloons(server):
    create(server, [node_yaml(f"n{i}") for i in range(4)])
    server.kubectl("create", "-f", "-", input="""
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: balloon}
value: -100
preemptionPolicy: Never
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: training}
value: 1000
""")
    create(server, [pod_yaml(f"balloon-{i}", gpus=8, priority_class="balloon", grace=0)
                    for i in range(4)])
    wait_bound(server, [f"balloon-{i}" for i in range(4)])
    create(server, [podgroup_yaml("job", 2)] +
           [pod_yaml(f"job-{i}", gpus=8, group="job", priority_class="training")
            for i in range(2)])
    pods = wait_bound(server, ["job-0", "job-1"], timeout=30)
    balloons = [n for n in pods if n.startswith("balloon-")]
    assert len(balloons) == 2, balloons  # exactly as many as the gang needed
    assert {node_of(pods[b]) for b in balloons}.isdisjoint({node_of(pods["job-0"]),
                                                            node_of(pods["job-1"])})
    wait_until(lambda: any(r == "Preempted" for r, _ in
                           events_for(server, [f"balloon-{i}" for i in range(4)
                                               if f"balloon-{i}" not in balloons][0])),
               10, what="Preempted event")
    # A balloon never preempts (preemptionPolicy Never; lower priority anyway).
    create(server, [pod_yaml("balloon-late", gpus=8, priority_class="balloon", grace=0)])
    wait_until(lambda: scheduled_condition(pods_by_name(server)["balloon-late"]), 10,
               what="balloon-late reported")
    assert len([n for n in pods_by_name(server) if n.startswith("balloon-")]) == 3


@pytest.fixture
def bare_server():
    s = ShoalServer(extra_args=["--disable", "scheduler"])
    try:
        s.start()
        yield s
    finally:
        s.close()


def start_scheduler(server, *args):
    log = open(os.path.join(server.workdir, "scheduler.log"), "wb")
    cmd = [shoal_bin(), "scheduler", "--kubeconfig", server.kubeconfig] + list(args)
    if SETPRIV:
        cmd = [SETPRIV, "--pdeathsig", "KILL", "--"] + cmd
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def test_standalone_scheduler_against_server_without_one(bare_server):
    server = bare_server
    create(server, [node_yaml(f"n{i}") for i in range(3)])
    create(server, [pod_yaml("solo", gpus=2), pod_yaml("other", gpus=1, scheduler="other"),
                    podgroup_yaml("g", 2),
                    pod_yaml("g-0", gpus=8, group="g"), pod_yaml("g-1", gpus=8, group="g")])
    # Nothing schedules in a server started with --disable scheduler.
    assert all(node_of(p) == "" for p in pods_by_name(server).values())
    proc = start_scheduler(server)
    try:
        pods = wait_bound(server, ["solo", "g-0", "g-1"])
        assert node_of(pods["other"]) == ""  # not ours: schedulerName other
        assert len({node_of(pods["g-0"]), node_of(pods["g-1"])}) == 2
    finally:
        assert stop(proc) == 0
    proc = start_scheduler(server, "--scheduler-name", "other")
    try:
        wait_bound(server, ["other"])
    finally:
        assert stop(proc) == 0


def test_scheduler_help_and_bad_kubeconfig(tmp_path):
    out = subprocess.run([shoal_bin(), "scheduler", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--scheduler-name" in out.stdout
    bad = subprocess.run([shoal_bin(), "scheduler", "--kubeconfig", str(tmp_path / "none")],
                         capture_output=True, text=True, timeout=10)
    assert bad.returncode != 0
    assert bad.stderr.startswith("error:") and len(bad.stderr.strip().splitlines()) == 1


def test_standalone_controllers_keep_podgroup_status(tmp_path):
    server = ShoalServer(extra_args=["--disable", "controllers"])
    try:
        server.start()
        create(server, [node_yaml(f"n{i}") for i in range(2)])
        create(server, [podgroup_yaml("g", 2), pod_yaml("g-0", gpus=8, group="g"),
                        pod_yaml("g-1", gpus=8, group="g")])
        wait_bound(server, ["g-0", "g-1"])
        # Bound, but no controller in the server: nobody counts the members.
        time.sleep(0.5)
        assert "phase" not in kubectl_get_json(server, "podgroup", "g").get("status", {})
        log = open(os.path.join(server.workdir, "controllers.log"), "wb")
        cmd = [shoal_bin(), "controllers", "--kubeconfig", server.kubeconfig]
        if SETPRIV:
            cmd = [SETPRIV, "--pdeathsig", "KILL", "--"] + cmd
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        try:
            status = wait_until(
                lambda: (kubectl_get_json(server, "podgroup", "g").get("status", {})
                         .get("phase") == "Scheduled" and
                         kubectl_get_json(server, "podgroup", "g")["status"]), 15,
                interval=0.1, what="PodGroup phase from shoal controllers")
            assert status["scheduled"] == 2 and status["running"] == 0
            # Someone else overwrites the status: the controller puts it back.
            server.kubectl("patch", "podgroup", "g", "--subresource=status", "--type=merge",
                           "-p", '{"status":{"phase":"Pending","scheduled":0}}')
            wait_until(lambda: kubectl_get_json(server, "podgroup", "g")["status"]
                       ["scheduled"] == 2, 10, interval=0.1, what="status restored")
        finally:
            assert stop(proc) == 0
    finally:
        server.close()
