"""End-to-end tests of the Job controller (batch/v1 Jobs and gang Jobs): a real server with
its scheduler and controllers, a real agent running the pods as processes, and kubectl.

Pods record what they saw in files under the test's directory. The delay before a failed pod
is replaced is shortened with --job-pod-failure-backoff so that retries take milliseconds.
"""

import json
import os
import time

import pytest

from shoal_fixture import ShoalAgent, kubectl_get_json, wait_until

pytestmark = pytest.mark.server_args("--job-pod-failure-backoff", "200ms")


@pytest.fixture
def agent(server):
    a = ShoalAgent(server, node="node-1", fake_gpus=8)
    try:
        a.start()
        yield a
    finally:
        server.kubectl("delete", "pods", "--all", "--grace-period=0", "--force",
                       check=False, timeout=30)
        print(f"---- shoal agent log (tail) ----\n{a.log_tail()}")
        a.close()


@pytest.fixture
def outdir(server):
    d = os.path.join(server.workdir, "out")
    os.makedirs(d)
    return d


def job(name, script, completions=1, parallelism=1, indexed=False, backoff_limit=None,
        annotations=None, **spec_extra):
    spec = {
        "completions": completions,
        "parallelism": parallelism,
        "template": {"spec": {
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 2,
            "containers": [{"name": "main", "image": "none", "command": ["sh", "-c", script]}],
        }},
    }
    if indexed:
        spec["completionMode"] = "Indexed"
    if backoff_limit is not None:
        spec["backoffLimit"] = backoff_limit
    spec.update(spec_extra)
    meta = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec}


def create(server, obj):
    server.kubectl("create", "-f", "-", input=json.dumps(obj))


def get_job(server, name):
    return kubectl_get_json(server, "job", name)


def condition(job_obj, ctype):
    for c in job_obj.get("status", {}).get("conditions", []):
        if c["type"] == ctype and c["status"] == "True":
            return c
    return None


def wait_condition(server, name, ctype, timeout=30):
    found = {}

    def done():
        j = get_job(server, name)
        c = condition(j, ctype)
        if c:
            found["job"], found["cond"] = j, c
        return c is not None
    wait_until(done, timeout, interval=0.1, what=f"job {name} condition {ctype}")
    return found["job"], found["cond"]


def job_pods(server, name):
    return kubectl_get_json(server, "pods", "-l", f"batch.kubernetes.io/job-name={name}")["items"]


def job_events(server, name):
    evs = kubectl_get_json(server, "events", "--field-selector",
                           f"involvedObject.kind=Job,involvedObject.name={name}")["items"]
    return [(e["reason"], e["message"], e.get("count", 1)) for e in evs]


def test_indexed_job_completes_and_each_pod_sees_its_index(server, agent, outdir):
    create(server, job("idx", f"echo $JOB_COMPLETION_INDEX > {outdir}/index-$JOB_COMPLETION_INDEX",
                       completions=4, parallelism=2, indexed=True))
    j, cond = wait_condition(server, "idx", "Complete")
    assert j["status"]["succeeded"] == 4
    assert j["status"]["completedIndexes"] == "0-3"
    assert j["status"].get("failed", 0) == 0
    assert j["status"]["active"] == 0
    assert j["status"]["completionTime"]
    assert j["status"]["uncountedTerminatedPods"] == {"succeeded": [], "failed": []}
    for i in range(4):
        with open(os.path.join(outdir, f"index-{i}")) as f:
            assert f.read().strip() == str(i)
    pods = job_pods(server, "idx")
    assert len(pods) == 4
    seen = set()
    for p in pods:
        idx = p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
        assert p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == idx
        assert p["metadata"]["name"].startswith(f"idx-{idx}-")
        assert p["spec"]["hostname"] == f"idx-{idx}"
        assert p["status"]["phase"] == "Succeeded"
        # Counted: the tracking finalizer is gone, the Job owns the pod.
        assert "batch.kubernetes.io/job-tracking" not in p["metadata"].get("finalizers", [])
        owner = p["metadata"]["ownerReferences"][0]
        assert owner["kind"] == "Job" and owner["uid"] == j["metadata"]["uid"]
        assert owner["controller"] is True
        seen.add(idx)
    assert seen == {"0", "1", "2", "3"}
    reasons = [r for r, _, _ in job_events(server, "idx")]
    assert reasons.count("SuccessfulCreate") == 4 and "Completed" in reasons
    out = server.kubectl("get", "job", "idx", "--no-headers").stdout.split()
    assert out[1] == "Complete" and out[2] == "4/4", out


def test_backoff_limit_fails_the_job_after_limit_plus_one_failures(server, agent):
    create(server, job("boom", "exit 3", backoff_limit=2))
    j, cond = wait_condition(server, "boom", "Failed")
    assert cond["reason"] == "BackoffLimitExceeded"
    assert cond["message"] == "Job has reached the specified backoff limit"
    assert condition(j, "FailureTarget") is not None
    assert condition(j, "Complete") is None
    assert j["status"]["failed"] == 3
    assert j["status"].get("succeeded", 0) == 0
    pods = job_pods(server, "boom")
    assert len(pods) == 3, [p["metadata"]["name"] for p in pods]
    assert all(p["status"]["phase"] == "Failed" for p in pods)
    reasons = [r for r, _, _ in job_events(server, "boom")]
    assert "BackoffLimitExceeded" in reasons
    out = server.kubectl("get", "job", "boom", "--no-headers").stdout.split()
    assert out[1] == "Failed", out


def test_backoff_limit_counts_container_restarts_with_on_failure(server, agent):
    # restartPolicy OnFailure: the agent restarts the container in place (the first restart
    # at once); kube counts those restarts against backoffLimit.
    obj = job("restarts", "exit 5", backoff_limit=1)
    obj["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    create(server, obj)
    j, cond = wait_condition(server, "restarts", "Failed", timeout=30)
    assert cond["reason"] == "BackoffLimitExceeded"
    assert j["status"].get("failed", 0) == 0  # no pod failed: its container restarted
    # One pod, never replaced (it restarted in place), deleted when the Job failed.
    reasons = [r for r, _, _ in job_events(server, "restarts")]
    assert reasons.count("SuccessfulCreate") == 1, reasons
    assert reasons.count("SuccessfulDelete") == 1, reasons
    wait_until(lambda: job_pods(server, "restarts") == [], 20, what="the pod deleted")


def test_pod_failure_policy_fail_job_and_ignore(server, agent, outdir):
    policy = {"rules": [
        {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In",
                                              "values": [42]}},
        {"action": "Ignore", "onExitCodes": {"operator": "In", "values": [43]}},
    ]}
    # FailJob: the first exit 42 ends the job at once, whatever backoffLimit says.
    create(server, job("fatal", "exit 42", backoff_limit=6, podFailurePolicy=policy))
    j, cond = wait_condition(server, "fatal", "Failed")
    assert cond["reason"] == "PodFailurePolicy"
    assert "exit code 42 matching FailJob rule at index 0" in cond["message"]
    assert j["status"]["failed"] == 1
    assert len(job_pods(server, "fatal")) == 1
    # Ignore: two failures with exit 43 do not count against backoffLimit 0.
    script = (f"n=$(cat {outdir}/tries 2>/dev/null || echo 0); echo $((n+1)) > {outdir}/tries; "
              f"[ $n -ge 2 ] && exit 0; exit 43")
    create(server, job("flaky", script, backoff_limit=0, podFailurePolicy=policy))
    j, _ = wait_condition(server, "flaky", "Complete")
    assert j["status"].get("failed", 0) == 0
    assert j["status"]["succeeded"] == 1
    phases = sorted(p["status"]["phase"] for p in job_pods(server, "flaky"))
    assert phases == ["Failed", "Failed", "Succeeded"]


def test_gang_job_restarts_whole_after_one_pod_fails(server, agent, outdir):
    # Index 2 fails on the first attempt; the others would run for a long time. The whole gang
    # must be torn down and recreated, then every member succeeds.
    script = (f"echo $$$$ > {outdir}/pid-$JOB_COMPLETION_INDEX; "
              f"if [ ! -e {outdir}/second ]; then "
              f"  if [ $JOB_COMPLETION_INDEX = 2 ]; then sleep 0.5; touch {outdir}/second; exit 7; fi; "
              f"  exec sleep 300; "
              f"fi; exit 0")
    create(server, job("gang", script, completions=4, parallelism=4, indexed=True,
                       backoff_limit=3,
                       annotations={"shoal.io/gang": "true", "shoal.io/topology": "leaf"}))
    first = {}

    def all_running():
        pods = job_pods(server, "gang")
        running = [p for p in pods if p["status"].get("phase") == "Running"]
        if len(running) == 4 and not first:
            first.update({p["metadata"]["uid"]: p["metadata"]["name"] for p in running})
        return bool(first)
    wait_until(all_running, 30, interval=0.05, what="first gang running")
    j, _ = wait_condition(server, "gang", "Complete", timeout=60)
    assert j["status"]["failed"] == 1, j["status"]  # one failure for the whole gang
    assert j["status"]["succeeded"] == 4
    succeeded = [p for p in job_pods(server, "gang") if p["status"]["phase"] == "Succeeded"]
    assert len(succeeded) == 4
    assert not set(first) & {p["metadata"]["uid"] for p in succeeded}, "a member was not replaced"
    # The gang's PodGroup, owned by the Job, holds the members.
    pg = kubectl_get_json(server, "podgroup", "gang")
    assert pg["spec"]["minMember"] == 4
    assert pg["metadata"]["ownerReferences"][0]["uid"] == j["metadata"]["uid"]
    assert pg["metadata"]["annotations"]["shoal.io/topology"] == "leaf"
    assert all(p["metadata"]["labels"]["scheduling.x-k8s.io/pod-group"] == "gang"
               for p in succeeded)
    events = job_events(server, "gang")
    restarts = [m for r, m, _ in events if r == "GangRestart"]
    assert len(restarts) == 1, events
    assert "gang-2-" in restarts[0] and "node-1" in restarts[0] and "exited with code 7" in restarts[0]


def test_active_deadline_fails_the_job_and_stops_its_pods(server, agent):
    create(server, job("slow", "exec sleep 300", completions=2, parallelism=2,
                       activeDeadlineSeconds=2))
    j, cond = wait_condition(server, "slow", "Failed", timeout=30)
    assert cond["reason"] == "DeadlineExceeded"
    assert j["status"]["active"] == 0
    wait_until(lambda: all(p["metadata"].get("deletionTimestamp") or
                           p["status"].get("phase") in ("Failed", "Succeeded")
                           for p in job_pods(server, "slow")),
               20, what="deadline-exceeded pods stopped")


@pytest.mark.no_scheduler
def test_suspend_and_resume(server):
    obj = job("later", "exit 0", completions=3, parallelism=3)
    obj["spec"]["suspend"] = True
    create(server, obj)
    j, cond = wait_condition(server, "later", "Suspended")
    assert cond["reason"] == "JobSuspended"
    assert job_pods(server, "later") == []
    assert "startTime" not in j["status"]
    server.kubectl("patch", "job", "later", "--type=merge", "-p", '{"spec":{"suspend":false}}')
    wait_until(lambda: len(job_pods(server, "later")) == 3, 20, what="3 pods after resume")
    j = get_job(server, "later")
    susp = [c for c in j["status"]["conditions"] if c["type"] == "Suspended"][0]
    assert susp["status"] == "False" and susp["reason"] == "JobResumed"
    assert j["status"]["active"] == 3 and j["status"]["startTime"]
    # Suspending again deletes the running pods (they never ran: no failure is counted).
    server.kubectl("patch", "job", "later", "--type=merge", "-p", '{"spec":{"suspend":true}}')
    wait_until(lambda: job_pods(server, "later") == [], 20, what="pods gone after suspend")
    j = get_job(server, "later")
    assert j["status"]["active"] == 0 and j["status"].get("failed", 0) == 0
    reasons = [r for r, _, _ in job_events(server, "later")]
    assert "Suspended" in reasons and "Resumed" in reasons


def test_ttl_after_finished_deletes_the_job(server, agent):
    create(server, job("short", "exit 0", ttlSecondsAfterFinished=2))
    path = "/apis/batch/v1/namespaces/default/jobs/short"
    seen = {}

    def complete_then_gone():
        r = server.request("GET", path)
        if r.status == 200:
            if any(c["type"] == "Complete" and c["status"] == "True"
                   for c in r.json().get("status", {}).get("conditions", [])):
                seen.setdefault("complete", time.monotonic())
            return False
        seen["gone"] = time.monotonic()
        return r.status == 404
    wait_until(complete_then_gone, 30, interval=0.05, what="job complete, then deleted")
    # It completed first (Completed event, and seen Complete), then went after its TTL.
    assert "complete" in seen, "the job was deleted before it was seen Complete"
    assert seen["gone"] - seen["complete"] > 0.5
    assert "Completed" in [r for r, _, _ in job_events(server, "short")]


def test_server_sigkill_while_a_job_runs_loses_and_double_counts_nothing(server, agent, outdir):
    script = f"sleep 0.3; echo $$$$ >> {outdir}/done; exit 0"
    create(server, job("steady", script, completions=12, parallelism=3))
    wait_until(lambda: get_job(server, "steady")["status"].get("succeeded", 0) >= 3, 30,
               interval=0.05, what="some pods counted")
    server.kill()
    server.start(same_port=True)
    j, _ = wait_condition(server, "steady", "Complete", timeout=90)
    assert j["status"]["succeeded"] == 12
    assert j["status"].get("failed", 0) == 0
    pods = job_pods(server, "steady")
    succeeded = [p for p in pods if p["status"]["phase"] == "Succeeded"]
    assert len(succeeded) == 12, [(p["metadata"]["name"], p["status"]["phase"]) for p in pods]
    assert all("batch.kubernetes.io/job-tracking" not in p["metadata"].get("finalizers", [])
               for p in pods)
    with open(os.path.join(outdir, "done")) as f:
        assert len(f.read().split()) == 12  # exactly 12 runs reached the end


@pytest.mark.no_scheduler
def test_invalid_jobs_are_rejected_and_nothing_is_stored(server):
    bad_policy = job("bad1", "exit 0", podFailurePolicy={"rules": [
        {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [0]}}]})
    bad_policy["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    no_completions = job("bad2", "exit 0", indexed=True)
    del no_completions["spec"]["completions"]
    bad_action = job("bad3", "exit 0", podFailurePolicy={"rules": [
        {"action": "Explode", "onExitCodes": {"operator": "In", "values": [1]}}]})
    for obj, needles in ((bad_policy, ["spec.template.spec.restartPolicy",
                                       "spec.podFailurePolicy.rules[0].onExitCodes.values"]),
                         (no_completions, ["spec.completions"]),
                         (bad_action, ["spec.podFailurePolicy.rules[0].action"])):
        r = server.request("POST", "/apis/batch/v1/namespaces/default/jobs", body=obj)
        assert r.status == 422, (r.status, r.body)
        msg = r.json()["message"]
        for n in needles:
            assert n in msg, msg
    names = [j["metadata"]["name"] for j in kubectl_get_json(server, "jobs")["items"]]
    assert names == []
    assert kubectl_get_json(server, "pods")["items"] == []


@pytest.mark.no_scheduler
def test_examples_are_accepted_by_the_server(server):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")
    for name in ("gang-training-job.yaml", "experiment-sweep.yaml", "balloons.yaml"):
        out = server.kubectl("apply", "--dry-run=server", "-f", os.path.join(root, name)).stdout
        assert "created (server dry run)" in out, out


@pytest.mark.server_args("--node-monitor-grace-period", "3s", "--node-monitor-period", "500ms")
def test_gang_restarts_whole_when_a_members_node_is_lost(server, outdir):
    # Three nodes; a gang of two pods that each need 5 of a node's 8 GPUs, so the members sit
    # on two different nodes. The agent of one member's node is SIGKILLed: once the node is
    # not Ready, the gang is torn down and placed again on the two nodes left.
    agents = [ShoalAgent(server, node=f"node-{i}", fake_gpus=8,
                         extra_args=["--node-lease-duration-seconds", "2"]) for i in range(3)]
    try:
        for a in agents:
            a.start()
        script = f"if [ -e {outdir}/second ]; then exit 0; fi; exec sleep 300"
        obj = job("lost", script, completions=2, parallelism=2, indexed=True, backoff_limit=2,
                  annotations={"shoal.io/gang": "true"})
        obj["spec"]["template"]["spec"]["containers"][0]["resources"] = {
            "limits": {"nvidia.com/gpu": "5"}}
        create(server, obj)
        first = {}

        def running():
            pods = [p for p in job_pods(server, "lost") if p["status"].get("phase") == "Running"]
            if len(pods) == 2:
                first.update({p["metadata"]["uid"]: p["spec"]["nodeName"] for p in pods})
            return len(first) == 2
        wait_until(running, 30, interval=0.05, what="gang running")
        victim_node = sorted(first.values())[0]
        with open(os.path.join(outdir, "second"), "w"):
            pass
        victim = next(a for a in agents if a.node == victim_node)
        victim.kill()
        j, _ = wait_condition(server, "lost", "Complete", timeout=60)
        assert j["status"]["failed"] == 1, j["status"]
        done = [p for p in job_pods(server, "lost") if p["status"]["phase"] == "Succeeded"]
        assert len(done) == 2
        assert not set(first) & {p["metadata"]["uid"] for p in done}
        assert all(p["spec"]["nodeName"] != victim_node for p in done)
        restarts = [m for r, m, _ in job_events(server, "lost") if r == "GangRestart"]
        assert len(restarts) == 1 and victim_node in restarts[0] and "lost" in restarts[0], \
            restarts
    finally:
        server.kubectl("delete", "pods", "--all", "--grace-period=0", "--force",
                       check=False, timeout=30)
        for a in agents:
            print(f"---- agent {a.node} log (tail) ----\n{a.log_tail()}")
            a.close()
