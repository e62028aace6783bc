"""End-to-end tests of `shoal agent`: a real server (with its scheduler), a real agent on this
machine running pods as processes, driven with the real kubectl.

Pods write what they see (environment, files, their PID) into files under the test's
directory, which the test reads: pods are plain processes on this machine.
"""

import json
import os
import subprocess
import time

import pytest

from shoal_fixture import (ShoalAgent, kubectl_get_json, metric_sample_or_none,
                           process_alive, shoal_bin, wait_until)


@pytest.fixture
def agent(server):
    a = ShoalAgent(server, node="node-1", fake_gpus=8,
                   extra_args=["--node-labels", "topology.shoal.io/leaf=l1,team=a"])
    try:
        a.start()
        yield a
    finally:
        # Force-delete what is left so that the agent stops it, then stop the agent.
        server.kubectl("delete", "pods", "--all", "--grace-period=0", "--force",
                       check=False, timeout=30)
        print(f"---- shoal agent log (tail) ----\n{a.log_tail()}")
        a.close()


def pod(name, command, restart="Never", gpus=0, env=None, grace=None, extra=None,
        init=None, volumes=None, mounts=None):
    container = {"name": "main", "image": "none", "command": command}
    if gpus:
        container["resources"] = {"limits": {"nvidia.com/gpu": str(gpus)}}
    if env:
        container["env"] = env
    if mounts:
        container["volumeMounts"] = mounts
    spec = {"restartPolicy": restart, "containers": [container]}
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    if init:
        spec["initContainers"] = init
    if volumes:
        spec["volumes"] = volumes
    if extra:
        spec.update(extra)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def create(server, *objs):
    text = "---\n" + "\n---\n".join(json.dumps(o) for o in objs)
    server.kubectl("create", "-f", "-", input=text)


def get_pod(server, name):
    return kubectl_get_json(server, "pod", name)


def status_column(server, name):
    out = server.kubectl("get", "pod", name, "--no-headers").stdout.split()
    return out[2] if len(out) > 2 else ""


def wait_status(server, name, want, timeout=20):
    return wait_until(lambda: status_column(server, name) == want, timeout,
                      interval=0.1, what=f"pod {name} STATUS {want}")


def main_status(p):
    return p["status"]["containerStatuses"][0]


def read(path):
    with open(path) as f:
        return f.read()


def has_line(path):
    """True once `path` holds a complete line (a shell's `>` creates the file before writing)."""
    try:
        return read(path).endswith("\n")
    except OSError:
        return False


def test_node_registers_with_capacity_labels_and_renews_its_lease(server, agent):
    node = kubectl_get_json(server, "node", "node-1")
    labels = node["metadata"]["labels"]
    assert labels["kubernetes.io/hostname"] == "node-1"
    assert labels["kubernetes.io/os"] == "linux"
    assert labels["topology.shoal.io/leaf"] == "l1" and labels["team"] == "a"
    cap = node["status"]["capacity"]
    assert cap["nvidia.com/gpu"] == "8" and cap["pods"] == "110"
    assert int(cap["cpu"]) >= 1 and cap["memory"].endswith("Ki")
    assert int(cap["ephemeral-storage"]) > 0
    assert node["status"]["allocatable"]["nvidia.com/gpu"] == "8"
    ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
    assert ready and ready[0]["status"] == "True"
    assert {"type": "InternalIP", "address": "127.0.0.1"} in node["status"]["addresses"]
    assert node["status"]["nodeInfo"]["operatingSystem"] == "linux"
    # Limits are enforced where cgroup v2 has the cpu and memory controllers (not on cgroup v1).
    try:
        controllers = read("/sys/fs/cgroup/cgroup.controllers").split()
    except OSError:
        controllers = []
    v2 = "cpu" in controllers and "memory" in controllers
    assert node["metadata"]["annotations"]["shoal.io/resource-limits"] == \
        ("cgroup-v2" if v2 else "not-enforced")
    out = server.kubectl("get", "nodes", "--no-headers").stdout
    assert "node-1" in out and "Ready" in out

    lease = kubectl_get_json(server, "lease", "-n", "kube-node-lease", "node-1")
    assert lease["spec"]["holderIdentity"] == "node-1"
    assert lease["spec"]["leaseDurationSeconds"] == 40
    first = lease["spec"]["renewTime"]
    wait_until(lambda: kubectl_get_json(server, "lease", "-n", "kube-node-lease", "node-1")
               ["spec"]["renewTime"] != first, 15, interval=0.5, what="lease renewal")


def test_lease_is_created_once_then_patched_and_taken_over_after_a_restart(server):
    """A new node's first heartbeat creates its Lease (no PATCH that finds none first); later
    renewals patch it; a restarted agent's create finds it (409) and patches it; a Lease
    deleted meanwhile is created again."""
    a = ShoalAgent(server, node="lease-1", fake_gpus=0,
                   extra_args=["--node-lease-duration-seconds", "2"])  # renewed every 0.5 s

    def renew_time():
        r = server.request("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/"
                                  "leases/lease-1")
        return json.loads(r.body)["spec"]["renewTime"] if r.status == 200 else None

    def lease_calls(verb, code):
        text = server.request("GET", "/metrics").body.decode()
        return metric_sample_or_none(text, "apiserver_request_total", code=code,
                                     resource="leases", subresource="", verb=verb) or 0

    try:
        a.start()
        first = wait_until(renew_time, 10, interval=0.1, what="the lease created")
        wait_until(lambda: renew_time() not in (None, first), 10, interval=0.1,
                   what="the lease renewed")
        assert lease_calls("POST", "201") == 1
        assert lease_calls("PATCH", "200") >= 1
        assert lease_calls("PATCH", "404") == 0  # no PATCH before the create
        assert a.stop() == 0
        before = renew_time()
        a.start()
        wait_until(lambda: renew_time() != before, 10, interval=0.1,
                   what="the restarted agent renewing the lease")
        wait_until(lambda: lease_calls("POST", "409") == 1, 5, interval=0.05,
                   what="the restarted agent's create counted")
        assert lease_calls("POST", "201") == 1
        # Deleted meanwhile: the next renewal's PATCH finds none, and the agent creates it.
        server.kubectl("delete", "lease", "-n", "kube-node-lease", "lease-1")
        wait_until(renew_time, 10, interval=0.1, what="the lease created again")
        # (the server counts a request once its answer is written, just after the write)
        wait_until(lambda: lease_calls("POST", "201") == 2, 5, interval=0.05,
                   what="the second create counted")
        assert lease_calls("PATCH", "404") >= 1
    finally:
        print(f"---- shoal agent log (tail) ----\n{a.log_tail()}")
        a.close()


def test_pod_runs_with_env_volumes_and_init_containers_then_completes(server, agent, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    mnt = tmp_path / "mnt"
    create(server,
           {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
            "data": {"greeting": "hello", "conf.ini": "[x]\na=1\n"}},
           {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sec"},
            "stringData": {"token": "s3cret"}})
    script = (f"echo \"$GREETING $TOKEN $ME $NS $NODE $IP $(GREETING)-x\" > {out}/env; "
              f"cat {mnt}/cfg/conf.ini > {out}/cfg; cat {mnt}/sec/token > {out}/sec; "
              f"cat {mnt}/scratch/init > {out}/scratch; pwd > {out}/pwd")
    create(server, pod(
        "full", ["sh", "-c", script],
        env=[{"name": "GREETING", "valueFrom": {"configMapKeyRef": {"name": "cfg",
                                                                    "key": "greeting"}}},
             {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "token"}}},
             {"name": "ME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
             {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
             {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
             {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
        init=[{"name": "first", "image": "none",
               "command": ["sh", "-c", f"echo one > {mnt}/scratch/init"],
               "volumeMounts": [{"name": "scratch", "mountPath": f"{mnt}/scratch"}]},
              {"name": "second", "image": "none",
               "command": ["sh", "-c", f"echo two >> {mnt}/scratch/init"],
               "volumeMounts": [{"name": "scratch", "mountPath": f"{mnt}/scratch"}]}],
        volumes=[{"name": "cfg", "configMap": {"name": "cfg"}},
                 {"name": "sec", "secret": {"secretName": "sec"}},
                 {"name": "scratch", "emptyDir": {}}],
        mounts=[{"name": "cfg", "mountPath": f"{mnt}/cfg", "readOnly": True},
                {"name": "sec", "mountPath": f"{mnt}/sec"},
                {"name": "scratch", "mountPath": f"{mnt}/scratch"}]))
    wait_status(server, "full", "Completed")
    p = get_pod(server, "full")
    assert p["status"]["phase"] == "Succeeded"
    term = main_status(p)["state"]["terminated"]
    assert term["exitCode"] == 0 and term["reason"] == "Completed"
    assert [s["state"]["terminated"]["reason"] for s in p["status"]["initContainerStatuses"]] \
        == ["Completed", "Completed"]
    assert p["status"]["podIP"] == "127.0.0.1" and p["status"]["hostIP"] == "127.0.0.1"
    assert read(out / "env").split() == ["hello", "s3cret", "full", "default", "node-1",
                                         "127.0.0.1", "hello-x"]
    assert read(out / "cfg") == "[x]\na=1\n"
    assert read(out / "sec") == "s3cret"
    assert read(out / "scratch") == "one\ntwo\n"  # init containers ran in order
    assert read(out / "pwd").strip() == "/"


def test_exit_codes_and_restart_policies(server, agent):
    create(server,
           pod("never-fails", ["sh", "-c", "exit 3"], restart="Never"),
           pod("onfailure-fails", ["sh", "-c", "exit 4"], restart="OnFailure"),
           pod("onfailure-ok", ["sh", "-c", "exit 0"], restart="OnFailure"),
           pod("always-crashes", ["sh", "-c", "echo crash; exit 5"], restart="Always"))
    wait_status(server, "never-fails", "Error")
    p = get_pod(server, "never-fails")
    assert p["status"]["phase"] == "Failed"
    assert main_status(p)["state"]["terminated"]["exitCode"] == 3
    assert main_status(p)["restartCount"] == 0

    wait_status(server, "onfailure-ok", "Completed")
    assert main_status(get_pod(server, "onfailure-ok"))["restartCount"] == 0

    # A failing container restarts at once, then waits in CrashLoopBackOff (10 s).
    def in_backoff(name):
        s = main_status(get_pod(server, name))
        w = s["state"].get("waiting", {})
        return s["restartCount"] >= 1 and w.get("reason") == "CrashLoopBackOff" and s
    for name, code in (("onfailure-fails", 4), ("always-crashes", 5)):
        s = wait_until(lambda: in_backoff(name), 20, interval=0.1, what=f"{name} back-off")
        assert s["lastState"]["terminated"]["exitCode"] == code
        assert "back-off 10s restarting failed container=main" in \
            s["state"]["waiting"]["message"]
        assert status_column(server, name) == "CrashLoopBackOff"
        assert get_pod(server, name)["status"]["phase"] == "Running"
    # Never does not restart.
    assert main_status(get_pod(server, "never-fails"))["restartCount"] == 0


def test_container_without_command_fails_with_a_reason(server, agent):
    create(server, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nocmd"},
                    "spec": {"containers": [{"name": "main", "image": "busybox"}]}})
    wait_status(server, "nocmd", "CreateContainerConfigError")
    w = main_status(get_pod(server, "nocmd"))["state"]["waiting"]
    assert "has no command" in w["message"]
    create(server, pod("missing", ["/no/such/binary"], restart="Never"))
    wait_status(server, "missing", "StartError")
    t = main_status(get_pod(server, "missing"))["state"]["terminated"]
    assert t["exitCode"] == 128 and "/no/such/binary" in t["message"]


def test_deletion_honours_the_grace_period(server, agent, tmp_path):
    # One traps SIGTERM and needs a second to finish; one ignores SIGTERM and is killed after
    # its 2 s grace period.
    create(server,
           pod("polite", ["sh", "-c", f"echo $$$$ > {tmp_path}/polite.pid; "
                          f"trap 'sleep 1; echo done > {tmp_path}/polite.term; exit 0' TERM; "
                          "while true; do sleep 0.1; done"], grace=30),
           pod("stubborn", ["sh", "-c", f"echo $$$$ > {tmp_path}/stubborn.pid; trap '' TERM; "
                            "while true; do sleep 0.1; done"], grace=2))
    wait_status(server, "polite", "Running")
    wait_status(server, "stubborn", "Running")
    wait_until(lambda: has_line(tmp_path / "polite.pid") and
               has_line(tmp_path / "stubborn.pid"), 10, what="pid files")
    pids = {n: int(read(tmp_path / f"{n}.pid")) for n in ("polite", "stubborn")}

    t0 = time.monotonic()
    server.kubectl("delete", "pod", "polite", timeout=40)
    took = time.monotonic() - t0
    assert read(tmp_path / "polite.term").strip() == "done"  # it got its time
    assert took >= 1.0
    assert not process_alive(pids["polite"])

    t0 = time.monotonic()
    server.kubectl("delete", "pod", "stubborn", timeout=40)
    took = time.monotonic() - t0
    assert took >= 2.0, "killed before its grace period ended"
    assert not process_alive(pids["stubborn"])
    out = server.kubectl("get", "pods", "--no-headers").stdout
    assert "polite" not in out and "stubborn" not in out


def test_gpus_are_handed_out_disjoint_and_returned(server, agent, tmp_path):
    def gpu_pod(name, n):
        return pod(name, ["sh", "-c", f"echo $CUDA_VISIBLE_DEVICES,$NVIDIA_VISIBLE_DEVICES > "
                          f"{tmp_path}/{name}; sleep 1000"], restart="Always", gpus=n)
    create(server, gpu_pod("a", 2), gpu_pod("b", 2), gpu_pod("c", 4))
    seen = {}
    for name in ("a", "b", "c"):
        wait_until(lambda: has_line(tmp_path / name),
                   20, what=f"{name} started")
        parts = read(tmp_path / name).strip().split(",")
        half = len(parts) // 2
        seen[name] = set(parts[:half])
        assert parts[:half] == parts[half:]  # CUDA_ and NVIDIA_VISIBLE_DEVICES agree
    assert [len(seen[n]) for n in ("a", "b", "c")] == [2, 2, 4]
    assert seen["a"] | seen["b"] | seen["c"] == {str(i) for i in range(8)}
    # A fourth GPU pod waits: the node is full.
    create(server, gpu_pod("d", 1))
    time.sleep(1)
    assert status_column(server, "d") == "Pending"
    assert not os.path.exists(tmp_path / "d")
    # Its GPU comes back when a pod ends.
    server.kubectl("delete", "pod", "a", "--grace-period=1")
    wait_until(lambda: has_line(tmp_path / "d"), 20, what="d started")
    assert set(read(tmp_path / "d").strip().split(",")[:1]) <= seen["a"]


def test_agent_killed_and_restarted_leaves_no_orphan(server, agent, tmp_path):
    create(server, pod("long", ["sh", "-c", f"echo $$$$ > {tmp_path}/long.pid; sleep 1000 & "
                                "wait"], restart="Always"),
           pod("once", ["sh", "-c", f"echo $$$$ > {tmp_path}/once.pid; sleep 1000"],
               restart="Never"))
    wait_until(lambda: has_line(tmp_path / "long.pid") and
               has_line(tmp_path / "once.pid"), 20, what="pods started")
    old = {n: int(read(tmp_path / f"{n}.pid")) for n in ("long", "once")}
    children = subprocess.run(["pgrep", "-g", str(old["long"])], capture_output=True,
                              text=True).stdout.split()
    assert len(children) >= 2  # the shell and its sleep
    os.remove(tmp_path / "long.pid")

    agent.kill()
    assert process_alive(old["long"])  # pods keep running while the agent is down
    agent.start()
    # The restarted agent killed the old processes, the whole group included...
    wait_until(lambda: not process_alive(old["long"]) and not process_alive(old["once"]), 10,
               what="old processes gone")
    for pid in children:
        assert not process_alive(int(pid))
    # ...and says so: Always restarts the container, Never leaves the pod failed.
    wait_until(lambda: has_line(tmp_path / "long.pid"), 20, what="long restarted")
    s = main_status(get_pod(server, "long"))
    assert s["restartCount"] == 1
    assert s["lastState"]["terminated"]["exitCode"] == 137
    wait_status(server, "once", "Error")
    p = get_pod(server, "once")
    assert p["status"]["phase"] == "Failed"
    assert main_status(p)["state"]["terminated"]["exitCode"] == 137
    assert "agent restarted" in main_status(p)["state"]["terminated"]["message"]


def test_agent_help_and_bad_arguments(tmp_path):
    out = subprocess.run([shoal_bin(), "agent", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--fake-gpus" in out.stdout and "--node-name" in out.stdout
    bad = subprocess.run([shoal_bin(), "agent", "--kubeconfig", str(tmp_path / "none"),
                          "--node-name", "x"], capture_output=True, text=True, timeout=10)
    assert bad.returncode != 0 and "error" in bad.stderr
    bad = subprocess.run([shoal_bin(), "agent", "--kubeconfig", str(tmp_path / "none"),
                          "--node-name", "x", "--node-labels", "novalue"],
                         capture_output=True, text=True, timeout=10)
    assert bad.returncode != 0 and "not key=value" in bad.stderr


def test_kubectl_logs_follow_tail_timestamps_previous(server, agent, tmp_path):
    go = tmp_path / "go"
    create(server,
           pod("hello", ["sh", "-c", "for i in 1 2 3; do echo line $i; done; echo oops >&2"]),
           pod("ticker", ["sh", "-c", f"echo tick 1; while [ ! -f {go} ]; do sleep 0.05; done; "
                          "for i in 2 3 4 5; do echo tick $i; done; exit 1"], restart="Always"))
    wait_status(server, "hello", "Completed")
    assert server.kubectl("logs", "hello").stdout == "line 1\nline 2\nline 3\noops\n"
    assert server.kubectl("logs", "pod/hello", "-c", "main", "--tail", "2").stdout == \
        "line 3\noops\n"
    stamped = server.kubectl("logs", "hello", "--timestamps").stdout.splitlines()
    assert len(stamped) == 4 and stamped[0].endswith("Z line 1")
    assert stamped[0][:4].isdigit() and stamped[0][10] == "T"
    assert server.kubectl("logs", "hello", "--limit-bytes", "8").stdout == "line 1\nl"

    # -f streams a running container's output as it comes and ends when the run ends: the
    # first line arrives while the container still waits for the go file.
    wait_until(lambda: main_status(get_pod(server, "ticker"))["state"].get("running"), 20,
               what="ticker running")
    proc = server.kubectl_popen("logs", "-f", "ticker")
    first = proc.stdout.readline()
    assert first == b"tick 1\n"
    assert proc.poll() is None
    go.touch()
    # Read the rest through the same buffered reader (communicate() would bypass its buffer).
    rest = proc.stdout.read()
    proc.wait(timeout=20)
    lines = (first + rest).decode().splitlines()
    assert lines[-1] == "tick 5" and proc.returncode == 0, (lines, proc.stderr.read())
    # --previous shows the run before the current one.
    wait_until(lambda: main_status(get_pod(server, "ticker"))["restartCount"] >= 1, 20,
               what="ticker restarted")
    assert server.kubectl("logs", "ticker", "--previous").stdout.splitlines()[0] == "tick 1"

    # Errors read like Kubernetes'.
    r = server.kubectl("logs", "nope", check=False)
    assert r.returncode != 0 and 'pods "nope" not found' in r.stderr
    r = server.kubectl("logs", "hello", "-c", "other", check=False)
    assert r.returncode != 0 and "container other is not valid for pod hello" in r.stderr
    r = server.kubectl("logs", "hello", "--previous", check=False)
    assert r.returncode != 0 and "previous terminated container" in r.stderr


def test_log_endpoint_accepts_only_the_api_server(server, agent):
    import ssl
    import socket
    port = kubectl_get_json(server, "node", "node-1")["status"]["daemonEndpoints"][
        "kubeletEndpoint"]["Port"]
    assert port > 0

    def get(context, headers=""):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(f"GET /containerLogs/default/x/main HTTP/1.1\r\nHost: x\r\n{headers}"
                          "\r\n".encode())
                return s.recv(100)

    anonymous = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    anonymous.check_hostname = False
    anonymous.verify_mode = ssl.CERT_NONE
    # No client certificate, even with the admin token: the handshake or the read fails.
    pki = os.path.join(server.data_dir, "pki")
    token = read(os.path.join(pki, "admin.token")).strip()
    for headers in ("", f"Authorization: Bearer {token}\r\n"):
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            data = get(anonymous, headers)
            if not data:
                raise ConnectionError("closed")
    # The API server's agent-client certificate gets an answer.
    trusted = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    trusted.check_hostname = False
    trusted.verify_mode = ssl.CERT_NONE
    trusted.load_cert_chain(os.path.join(pki, "agent-client.crt"),
                            os.path.join(pki, "agent-client.key"))
    assert get(trusted).startswith(b"HTTP/1.1 404")  # no such pod, but let in


def write_script(path, body):
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)


def node_taints(server, node="node-1"):
    return {t["key"] for t in kubectl_get_json(server, "node", node)["spec"].get("taints", [])}


def node_condition(server, type_, node="node-1"):
    for c in kubectl_get_json(server, "node", node)["status"]["conditions"]:
        if c["type"] == type_:
            return c
    return None


def node_event_reasons(server, node="node-1"):
    events = kubectl_get_json(server, "events", "-n", "default",
                              "--field-selector", f"involvedObject.name={node}")
    return [e["reason"] for e in events["items"]]


def test_failing_check_taints_the_node_and_recovery_untaints_it(server, tmp_path):
    checks = tmp_path / "checks"
    checks.mkdir()
    flag = tmp_path / "broken"
    write_script(checks / "gpu-temp",
                 f"if [ -f {flag} ]; then echo 'gpu 3 at 95C'; exit 1; fi; exit 0")
    a = ShoalAgent(server, extra_args=["--health-check-dir", str(checks),
                                       "--health-interval", "1"])
    try:
        a.start()
        wait_until(lambda: node_condition(server, "Healthy") and
                   node_condition(server, "Healthy")["status"] == "True", 15,
                   interval=0.2, what="Healthy=True")
        assert "shoal.io/unhealthy" not in node_taints(server)

        flag.touch()
        wait_until(lambda: "shoal.io/unhealthy" in node_taints(server), 15, interval=0.2,
                   what="unhealthy taint")
        cond = wait_until(lambda: node_condition(server, "Healthy")["status"] == "False" and
                          node_condition(server, "Healthy"), 15, interval=0.2,
                          what="Healthy=False")
        assert cond["reason"] == "HealthCheckFailed"
        assert "gpu-temp: gpu 3 at 95C" in cond["message"]
        wait_until(lambda: "NodeUnhealthy" in node_event_reasons(server), 10, interval=0.2,
                   what="NodeUnhealthy event")
        # The scheduler keeps new work off the tainted node.
        create(server, pod("waits", ["true"]))
        time.sleep(1)
        assert status_column(server, "waits") == "Pending"

        flag.unlink()
        wait_until(lambda: "shoal.io/unhealthy" not in node_taints(server), 15, interval=0.2,
                   what="taint removed")
        assert node_condition(server, "Healthy")["status"] == "True"
        wait_until(lambda: "NodeHealthy" in node_event_reasons(server), 10, interval=0.2,
                   what="NodeHealthy event")
        wait_status(server, "waits", "Completed")
    finally:
        server.kubectl("delete", "pods", "--all", "--grace-period=0", "--force", check=False)
        print(a.log_tail())
        a.close()


def test_preflight_gates_scheduling_until_it_passes(server, tmp_path):
    preflight = tmp_path / "preflight"
    preflight.mkdir()
    flag = tmp_path / "burnin-done"
    write_script(preflight / "burn-in",
                 f"if [ -f {flag} ]; then exit 0; fi; echo 'burn-in not finished'; exit 1")
    a = ShoalAgent(server, extra_args=["--preflight-dir", str(preflight),
                                       "--health-interval", "1"])
    try:
        a.start()
        assert "shoal.io/preflight" in node_taints(server)
        create(server, pod("early", ["true"]))
        wait_until(lambda: "PreflightFailed" in node_event_reasons(server), 10, interval=0.2,
                   what="PreflightFailed event")
        assert status_column(server, "early") == "Pending"
        assert "shoal.io/preflight" in node_taints(server)

        flag.touch()
        wait_until(lambda: "shoal.io/preflight" not in node_taints(server), 15, interval=0.2,
                   what="preflight taint removed")
        assert "PreflightPassed" in node_event_reasons(server)
        wait_status(server, "early", "Completed")
    finally:
        server.kubectl("delete", "pods", "--all", "--grace-period=0", "--force", check=False)
        print(a.log_tail())
        a.close()


def test_podgroup_status_follows_its_pods(server, agent, tmp_path):
    go = tmp_path / "go"
    create(server, {"apiVersion": "scheduling.x-k8s.io/v1alpha1", "kind": "PodGroup",
                    "metadata": {"name": "job"}, "spec": {"minMember": 2}})
    for i in range(2):
        p = pod(f"job-{i}", ["sh", "-c", f"while [ ! -f {go} ]; do sleep 0.05; done"], gpus=2)
        p["metadata"]["labels"] = {"scheduling.x-k8s.io/pod-group": "job"}
        create(server, p)

    def status():
        return kubectl_get_json(server, "podgroup", "job").get("status", {})
    s = wait_until(lambda: status().get("phase") == "Running" and status(), 20, interval=0.1,
                   what="PodGroup Running")
    assert (s["running"], s["succeeded"], s["failed"]) == (2, 0, 0)
    assert s["scheduled"] == 2
    go.touch()
    s = wait_until(lambda: status().get("phase") == "Succeeded" and status(), 20, interval=0.1,
                   what="PodGroup Succeeded")
    assert (s["running"], s["succeeded"], s["failed"], s["scheduled"]) == (0, 2, 0, 0)
    out = server.kubectl("get", "podgroup", "job", "--no-headers").stdout.split()
    assert out[1] == "Succeeded"
