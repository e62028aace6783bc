"""End-to-end tests of the node lifecycle controller (node health, unreachable/not-ready
taints, taint-based eviction, the disruption guard) and the pod garbage collector, against a
real `shoal server` with shortened controller durations.

Nodes are either a real `shoal agent` (killed with SIGKILL by PID) or plain Node objects
whose Leases the test renews itself from a thread, stopping for the nodes it wants dead.
"""

import threading
import time
from datetime import datetime, timezone

import pytest

from shoal_fixture import ShoalAgent, wait_until

LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
FAST = ("--node-monitor-grace-period", "3s", "--node-monitor-period", "500ms")


def rfc3339(micro=False):
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ"
    return datetime.now(timezone.utc).strftime(fmt)


def call(server, method, path, body=None, want=(200,), content_type="application/json"):
    r = server.request(method, path, body, content_type=content_type)
    assert r.status in want, r
    return r


def merge_patch(server, path, body):
    return call(server, "PATCH", path, body, content_type="application/merge-patch+json")


def add_node(server, name):
    now = rfc3339()
    call(server, "POST", "/api/v1/nodes", {
        "apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
        "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                   "lastHeartbeatTime": now, "lastTransitionTime": now}]}},
        want=(201,))


def post_ready(server, name):
    """What an agent that comes back does: posts Ready=True with a fresh heartbeat."""
    now = rfc3339()
    merge_patch(server, f"/api/v1/nodes/{name}/status", {"status": {"conditions": [
        {"type": "Ready", "status": "True", "reason": "KubeletReady",
         "lastHeartbeatTime": now, "lastTransitionTime": now}]}})


def tolerate(seconds):
    """Tolerations of the not-ready and unreachable NoExecute taints for `seconds`."""
    return [{"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds}
            for key in (UNREACHABLE, NOT_READY)]


def pod_manifest(name, node=None, tolerations=None, command=("sleep", "600"), grace=None):
    spec = {"containers": [{"name": "main", "image": "none", "command": list(command)}]}
    if node:
        spec["nodeName"] = node
    if tolerations is not None:
        spec["tolerations"] = tolerations
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def add_pod(server, name, node, tolerations=None):
    call(server, "POST", "/api/v1/namespaces/default/pods",
         pod_manifest(name, node, tolerations), want=(201,))


def get_pod(server, name):
    r = server.request("GET", f"/api/v1/namespaces/default/pods/{name}")
    return r.json() if r.status == 200 else None


def get_node(server, name):
    return server.get_json(f"/api/v1/nodes/{name}")


def condition(obj, kind):
    for c in (obj or {}).get("status", {}).get("conditions", []):
        if c["type"] == kind:
            return c
    return {}


def node_taints(node):
    return [f"{t['key']}:{t['effect']}" for t in node.get("spec", {}).get("taints", [])]


def taints(server, name):
    return node_taints(get_node(server, name))


def terminating(server, name):
    p = get_pod(server, name)
    return p is not None and bool(p["metadata"].get("deletionTimestamp"))


def events(server, reason):
    items = server.get_json("/api/v1/namespaces/default/events")["items"]
    return [e for e in items if e["reason"] == reason]


class LeaseRenewer:
    """Renews the kube-node-lease Lease of every node in `alive`, every 300 ms, from a thread,
    as agents would. stop() ends the thread (also on failure: use it as a context manager)."""

    def __init__(self, server, names):
        self.server = server
        self.alive = set(names)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        now = rfc3339(micro=True)
        for n in names:
            call(server, "POST", LEASES, {
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": n, "namespace": "kube-node-lease"},
                "spec": {"holderIdentity": n, "leaseDurationSeconds": 40, "renewTime": now}},
                want=(201,))

    def set_alive(self, names, alive):
        with self._lock:
            if alive:
                self.alive |= set(names)
            else:
                self.alive -= set(names)

    def _run(self):
        while not self._stop.wait(0.3):
            with self._lock:
                names = sorted(self.alive)
            now = rfc3339(micro=True)
            for n in names:
                self.server.request("PATCH", f"{LEASES}/{n}", {"spec": {"renewTime": now}},
                                    content_type="application/merge-patch+json")

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)


# ---- a real agent ---------------------------------------------------------------------------

# The agent renews its Lease every 500 ms (a quarter of --node-lease-duration-seconds 2), well
# inside the 3 s grace period.
@pytest.mark.server_args(*FAST)
def test_dead_agent_node_goes_unknown_its_pod_is_evicted_and_it_recovers(server):
    agent = ShoalAgent(server, node="node-1", fake_gpus=0,
                       extra_args=["--node-lease-duration-seconds", "2"])
    try:
        agent.start()
        call(server, "POST", "/api/v1/namespaces/default/pods",
             pod_manifest("sleeper", tolerations=tolerate(2), grace=5), want=(201,))
        wait_until(lambda: condition(get_pod(server, "sleeper"), "Ready").get("status") == "True",
                   30, interval=0.2, what="pod running and Ready")
        assert get_pod(server, "sleeper")["spec"]["nodeName"] == "node-1"
        assert taints(server, "node-1") == []

        agent.kill()  # SIGKILL by PID: no more lease renewals or status
        killed = time.monotonic()

        def unreachable():
            # One read for both: the taint lands a moment after Ready=Unknown, and the node
            # returned is the one checked.
            n = get_node(server, "node-1")
            return (condition(n, "Ready").get("status") == "Unknown" and
                    f"{UNREACHABLE}:NoExecute" in node_taints(n) and n)

        node = wait_until(unreachable, 3 + 8, interval=0.1, what="node Unknown and tainted")
        tainted = time.monotonic()
        # Not before the grace period after the last renewal (at most 0.5 s before the kill).
        assert tainted - killed > 3 - 0.5 - 0.2
        ready = condition(node, "Ready")
        assert ready["reason"] == "NodeStatusUnknown"
        assert ready["message"] == "Kubelet stopped posting node status."
        by_key = {(t["key"], t["effect"]): t for t in node["spec"]["taints"]}
        assert (UNREACHABLE, "NoSchedule") in by_key
        assert by_key[(UNREACHABLE, "NoExecute")]["timeAdded"]
        wait_until(lambda: events(server, "NodeNotReady"), 5, interval=0.2,
                   what="NodeNotReady event")
        assert any(e["involvedObject"]["kind"] == "Node" and
                   e["message"] == "Node node-1 status is now: NodeNotReady"
                   for e in events(server, "NodeNotReady"))

        # MarkPodsNotReady at once; deletion after tolerationSeconds (2 s).
        assert wait_until(lambda: condition(get_pod(server, "sleeper"), "Ready")
                          .get("status") == "False", 5, interval=0.1, what="pod not Ready")
        if not terminating(server, "sleeper"):
            wait_until(lambda: terminating(server, "sleeper"), 8, interval=0.1,
                       what="pod terminating")
            assert time.monotonic() - tainted > 0.8  # timeAdded has whole seconds
        else:
            pytest.fail("pod was deleted before its tolerationSeconds ran out")
        p = get_pod(server, "sleeper")
        target = condition(p, "DisruptionTarget")
        assert target["status"] == "True" and target["reason"] == "DeletionByTaintManager"
        # kube's taint manager deletes gracefully: with the agent dead the pod stays Terminating.
        time.sleep(1)
        assert terminating(server, "sleeper")
        wait_until(lambda: [e for e in events(server, "TaintManagerEviction")
                            if e["message"] == "Marking for deletion Pod default/sleeper"],
                   5, interval=0.2, what="TaintManagerEviction event")

        agent.start()
        wait_until(lambda: condition(get_node(server, "node-1"), "Ready").get("status") == "True"
                   and taints(server, "node-1") == [], 20, interval=0.2,
                   what="node Ready and untainted again")
        # The agent back finishes the graceful deletion.
        wait_until(lambda: get_pod(server, "sleeper") is None, 30, interval=0.2,
                   what="pod gone")
    finally:
        server.kubectl("delete", "pods", "--all", "--grace-period=0", "--force",
                       check=False, timeout=30)
        print(f"---- shoal agent log (tail) ----\n{agent.log_tail()}")
        agent.close()


# ---- plain nodes, leases renewed by the test ------------------------------------------------

@pytest.mark.no_scheduler
@pytest.mark.server_args(*FAST)
def test_most_nodes_down_pauses_evictions_until_enough_recover(server):
    names = [f"n{i}" for i in range(6)]
    for n in names:
        add_node(server, n)
    with LeaseRenewer(server, names) as leases:
        for n in names:
            # tolerationSeconds 2: a pass that sees only some of them down yet does not evict.
            add_pod(server, f"pod-{n}", n, tolerate(2))
        down = names[:4]  # 4 of 6: 67% > 55%
        leases.set_alive(down, False)
        wait_until(lambda: all(f"{UNREACHABLE}:NoExecute" in taints(server, n) for n in down),
                   3 + 6, interval=0.2, what="the 4 silent nodes tainted")
        paused = wait_until(lambda: events(server, "EvictionsPaused"), 5, interval=0.2,
                            what="EvictionsPaused event")
        assert paused[0]["message"] == \
            "4 of 6 nodes are not Ready (more than 55%): pod evictions paused"
        assert paused[0]["type"] == "Warning"
        time.sleep(3.5)  # well past tolerationSeconds
        assert [n for n in names if terminating(server, f"pod-{n}")] == []
        assert taints(server, "n4") == [] and taints(server, "n5") == []
        assert "evictions paused" in server.log_tail(400)

        # Three come back: 1 of 6 down, evictions resume and take only n3's pod.
        leases.set_alive(down[:3], True)
        for n in down[:3]:
            post_ready(server, n)
        wait_until(lambda: terminating(server, "pod-n3"), 8, interval=0.2,
                   what="pod on n3 evicted")
        wait_until(lambda: all(taints(server, n) == [] for n in down[:3]), 5, interval=0.2,
                   what="recovered nodes untainted")
        resumed = wait_until(lambda: events(server, "EvictionsResumed"), 5, interval=0.2,
                             what="EvictionsResumed event")
        assert resumed[0]["message"] == "1 of 6 nodes are not Ready: pod evictions resumed"
        assert [n for n in names if terminating(server, f"pod-{n}")] == ["n3"]


@pytest.mark.no_scheduler
@pytest.mark.server_args(*FAST)
def test_few_nodes_down_are_tainted_and_evicted_by_tolerations(server):
    names = [f"n{i}" for i in range(6)]
    for n in names:
        add_node(server, n)
    with LeaseRenewer(server, names) as leases:
        for n in names:
            add_pod(server, f"quick-{n}", n, tolerate(1))
        add_pod(server, "stays-n0", "n0", [{"operator": "Exists"}])  # tolerates everything
        leases.set_alive(["n0", "n1"], False)  # 2 of 6: below the threshold
        wait_until(lambda: terminating(server, "quick-n0") and terminating(server, "quick-n1"),
                   3 + 1 + 8, interval=0.2, what="pods on the silent nodes evicted")
        assert f"{UNREACHABLE}:NoSchedule" in taints(server, "n0")
        time.sleep(1)
        assert not terminating(server, "stays-n0")
        assert [n for n in names if terminating(server, f"quick-{n}")] == ["n0", "n1"]
        assert events(server, "EvictionsPaused") == []


# ---- pod garbage collection -----------------------------------------------------------------

@pytest.mark.no_scheduler
@pytest.mark.server_args("--pod-gc-period", "500ms")
def test_pods_of_a_deleted_node_are_deleted(server):
    add_node(server, "gone")
    add_node(server, "stays")
    add_pod(server, "on-gone", "gone")
    add_pod(server, "on-stays", "stays")
    time.sleep(1.5)  # a few collection passes: nothing to collect yet
    assert get_pod(server, "on-gone") is not None
    call(server, "DELETE", "/api/v1/nodes/gone")
    wait_until(lambda: get_pod(server, "on-gone") is None, 10, interval=0.1,
               what="orphaned pod deleted")
    assert get_pod(server, "on-stays") is not None


@pytest.mark.no_scheduler
@pytest.mark.server_args("--terminated-pod-gc-threshold", "3", "--pod-gc-period", "500ms")
def test_terminated_pods_beyond_the_threshold_go_oldest_first(server):
    add_node(server, "n1")
    # Names sort the other way round from age, so that only creationTimestamp can pick them.
    old, new = ["z-old", "y-old", "x-old"], ["c-new", "b-new", "a-new"]
    add_pod(server, "running", "n1")  # older than all, not terminated
    for i, name in enumerate(old + new):
        if i == len(old):
            time.sleep(1.1)  # creationTimestamp has whole seconds
        add_pod(server, name, "n1")
        merge_patch(server, f"/api/v1/namespaces/default/pods/{name}/status",
                    {"status": {"phase": "Succeeded"}})
    wait_until(lambda: all(get_pod(server, n) is None for n in old), 10, interval=0.1,
               what="the oldest terminated pods deleted")
    time.sleep(1.5)  # a few more passes
    assert all(get_pod(server, n) is not None for n in new + ["running"])


@pytest.mark.no_scheduler
def test_admission_adds_default_tolerations_unless_already_tolerated(server):
    call(server, "POST", "/api/v1/namespaces/default/pods", pod_manifest("plain"), want=(201,))
    tol = get_pod(server, "plain")["spec"]["tolerations"]
    assert sorted((t["key"], t["effect"], t["tolerationSeconds"]) for t in tol) == [
        (NOT_READY, "NoExecute", 300), (UNREACHABLE, "NoExecute", 300)]
    # An empty key with Exists tolerates every taint: nothing is added (kube's admission).
    everything = [{"operator": "Exists"}]
    call(server, "POST", "/api/v1/namespaces/default/pods",
         pod_manifest("anything", tolerations=everything), want=(201,))
    assert get_pod(server, "anything")["spec"]["tolerations"] == everything
