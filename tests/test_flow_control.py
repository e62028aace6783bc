"""Flow control end to end: a server with one seat per level answers a flood of writes with
429 TooManyRequests and Retry-After, keeps every write it accepted and none it refused, and
still renews node leases (their level is never limited); with both limits 0 nothing is
refused. /metrics (kube-apiserver's names) counts what was served and refused. The waiting and
the order are unit-tested in flow_control_test.cc, and the client's retry after Retry-After in
http_transport_test.cc.
"""

import json
import threading

import pytest

from shoal_fixture import assert_server_refuses_flag
from shoal_fixture import metric_sample as _metric
from shoal_fixture import metric_sample_or_none as _metric_or_none

THREADS = 24
ROUNDS = 30
ONE_SEAT = ("--max-requests-inflight", "1", "--max-mutating-requests-inflight", "1")


def _configmap(name):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
            "data": {"k": "v" * 2000}}


def _flood_round(server, round_no, results):
    """THREADS writes sent at once, each on a connection opened beforehand."""
    conns = [server.connection() for _ in range(THREADS)]
    for c in conns:
        c.connect()
    barrier = threading.Barrier(THREADS)

    def write(i):
        name = f"cm-{round_no}-{i}"
        body = json.dumps(_configmap(name)).encode()
        headers = {"Authorization": f"Bearer {server.token}", "Accept": "application/json",
                   "Content-Type": "application/json"}
        barrier.wait()
        conns[i].request("POST", "/api/v1/namespaces/default/configmaps", body=body,
                         headers=headers)
        resp = conns[i].getresponse()
        results.append((name, resp.status, dict(resp.getheaders()), resp.read()))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in conns:
        c.close()


def _renew_leases(server, stop, answers):
    """A node's heartbeat, on one kept-alive connection: creates its Lease, then renews it
    until told to stop."""
    path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "node-a"},
             "spec": {"holderIdentity": "node-a", "leaseDurationSeconds": 40}}
    conn = server.connection()
    headers = {"Authorization": f"Bearer {server.token}", "Accept": "application/json",
               "Content-Type": "application/json"}
    try:
        conn.request("POST", path, body=json.dumps(lease).encode(), headers=headers)
        resp = conn.getresponse()
        resp.read()
        answers.append(resp.status)
        headers["Content-Type"] = "application/merge-patch+json"
        n = 0
        while not stop.is_set():
            n += 1
            patch = {"spec": {"renewTime": f"2026-12-03T00:00:{n % 60:02d}.000000Z"}}
            conn.request("PATCH", f"{path}/node-a", body=json.dumps(patch).encode(),
                         headers=headers)
            resp = conn.getresponse()
            resp.read()
            answers.append(resp.status)
    finally:
        conn.close()


@pytest.mark.server_args(*ONE_SEAT)
def test_a_write_flood_gets_429_with_retry_after_and_loses_nothing(server):
    results = []
    stop = threading.Event()
    lease_answers = []
    renewer = threading.Thread(target=_renew_leases, args=(server, stop, lease_answers))
    renewer.start()
    try:
        for round_no in range(ROUNDS):
            _flood_round(server, round_no, results)
            if any(status == 429 for _, status, _, _ in results) and round_no >= 10:
                break
    finally:
        stop.set()
        renewer.join()

    refused = [r for r in results if r[1] == 429]
    created = [r for r in results if r[1] == 201]
    assert refused, "a flood of writes on one seat was never refused"
    assert created, "no write of the flood was accepted"
    assert len(refused) + len(created) == len(results), \
        sorted({status for _, status, _, _ in results})
    for _, _, headers, body in refused:
        assert headers.get("Retry-After") == "1", headers
        status = json.loads(body)
        assert status["kind"] == "Status"
        assert status["reason"] == "TooManyRequests"
        assert status["code"] == 429
        assert status["details"]["retryAfterSeconds"] == 1

    # Every accepted write is stored, every refused one is not, and nothing else appeared.
    stored = server.get_json("/api/v1/namespaces/default/configmaps")["items"]
    stored_names = {cm["metadata"]["name"] for cm in stored if cm["metadata"]["name"] != "kube-root-ca.crt"}
    assert stored_names == {name for name, _, _, _ in created}
    for cm in stored:
        if cm["metadata"]["name"] in stored_names:
            assert cm["data"]["k"] == "v" * 2000

    # The node's heartbeat was never refused: node leases have seats of their own.
    assert lease_answers[0] == 201
    assert len(lease_answers) > 10
    assert set(lease_answers[1:]) == {200}, sorted(set(lease_answers))
    # The server says in its log that it refused requests, and /metrics counts them all.
    assert "flow control:" in server.log_tail(400)
    metrics = server.kubectl("get", "--raw", "/metrics").stdout
    assert _metric(metrics, "apiserver_flowcontrol_rejected_requests_total",
                   priority_level="mutating", reason="queue-full") + \
        _metric(metrics, "apiserver_flowcontrol_rejected_requests_total",
                priority_level="mutating", reason="time-out") == len(refused)
    assert _metric(metrics, "apiserver_request_total", code="429", resource="configmaps",
                   subresource="", verb="POST") == len(refused)
    assert _metric(metrics, "apiserver_request_total", code="201", resource="configmaps",
                   subresource="", verb="POST") == len(created)
    assert _metric(metrics, "apiserver_flowcontrol_rejected_requests_total",
                   priority_level="node-high", reason="queue-full") == 0
    assert _metric(metrics, "apiserver_request_duration_seconds_count", resource="leases",
                   subresource="", verb="PATCH") == len(lease_answers) - 1


@pytest.mark.server_args("--max-requests-inflight", "0", "--max-mutating-requests-inflight", "0")
def test_with_both_limits_zero_no_write_is_refused(server):
    results = []
    for round_no in range(3):
        _flood_round(server, round_no, results)
    assert [status for _, status, _, _ in results] == [201] * (3 * THREADS)


@pytest.mark.server_args(*ONE_SEAT)
def test_kubectl_works_on_a_server_with_one_seat_per_level(server):
    """kubectl's discovery, create, get and delete all pass through one seat per level."""
    server.kubectl("create", "configmap", "one", "--from-literal=a=b")
    out = server.kubectl("get", "configmap", "one", "-o", "jsonpath={.data.a}").stdout
    assert out == "b"
    server.kubectl("delete", "configmap", "one")
    assert server.kubectl("get", "configmap", "one", check=False).returncode != 0


@pytest.mark.parametrize("flag,value", [("--max-requests-inflight", "-1"),
                                        ("--max-mutating-requests-inflight", "x")])
def test_a_bad_limit_is_refused_at_start(tmp_path, flag, value):
    assert_server_refuses_flag(tmp_path, flag, value)


def test_metrics_need_credentials_and_count_requests(server):
    """/metrics answers 401 without a token, and counts each verb, resource and code."""
    assert server.request("GET", "/metrics", token=None).status == 401
    server.kubectl("create", "configmap", "m1", "--from-literal=a=b")
    server.kubectl("get", "configmap", "m1")
    assert server.kubectl("get", "configmap", "missing", check=False).returncode != 0
    server.kubectl("get", "configmaps")
    r = server.request("GET", "/metrics")
    assert r.status == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = r.body.decode()
    assert _metric(text, "apiserver_request_total", code="201", resource="configmaps",
                   subresource="", verb="POST") == 1
    assert _metric(text, "apiserver_request_total", code="200", resource="configmaps",
                   subresource="", verb="GET") == 1
    assert _metric(text, "apiserver_request_total", code="404", resource="configmaps",
                   subresource="", verb="GET") == 1
    assert _metric(text, "apiserver_request_total", code="200", resource="configmaps",
                   subresource="", verb="LIST") == 1
    assert _metric(text, "apiserver_request_duration_seconds_bucket", resource="configmaps",
                   subresource="", verb="POST", le="+Inf") == 1
    assert _metric(text, "apiserver_flowcontrol_nominal_limit_seats",
                   priority_level="mutating") == 200
    assert _metric(text, "apiserver_flowcontrol_nominal_limit_seats",
                   priority_level="read-only") == 400
    assert _metric(text, "shoal_open_connections") >= 1


def test_metrics_time_each_store_call_by_operation_and_type(server):
    """etcd_request_duration_seconds (kube-apiserver's storage metric) counts each write the
    server hands its store, by operation and group-qualified type, and
    shoal_store_resume_seconds the same calls' wait for their handler's thread."""
    server.kubectl("create", "priorityclass", "metrics-pc", "--value=1000")
    server.kubectl("label", "priorityclass", "metrics-pc", "tier=test")
    # A no-op update is not written: the store sees no second update.
    server.kubectl("label", "priorityclass", "metrics-pc", "tier=test", "--overwrite")
    server.kubectl("create", "secret", "generic", "metrics-s", "--from-literal=a=b")
    server.kubectl("delete", "secret", "metrics-s")
    text = server.request("GET", "/metrics").body.decode()
    assert "# TYPE etcd_request_duration_seconds histogram" in text
    assert "# TYPE shoal_store_resume_seconds histogram" in text
    pc = "priorityclasses.scheduling.k8s.io"
    for family in ("etcd_request_duration_seconds", "shoal_store_resume_seconds"):
        assert _metric(text, family + "_count", operation="create", type=pc) == 1
        assert _metric(text, family + "_count", operation="update", type=pc) == 1
        assert _metric(text, family + "_count", operation="create", type="secrets") == 1
        assert _metric(text, family + "_count", operation="delete", type="secrets") == 1
        assert _metric(text, family + "_bucket", operation="delete", type="secrets",
                       le="+Inf") == 1
    # The store call is part of the request: its duration is within the request's.
    stored = _metric(text, "etcd_request_duration_seconds_sum", operation="create", type=pc)
    served = _metric(text, "apiserver_request_duration_seconds_sum",
                     resource="priorityclasses", subresource="", verb="POST")
    resumed = _metric(text, "shoal_store_resume_seconds_sum", operation="create", type=pc)
    assert 0 < resumed <= stored <= served, (resumed, stored, served)


def test_metrics_time_each_watch_event_from_the_cache_to_the_connection(server):
    """shoal_watch_delivery_seconds counts a live event once it is written to a watch, by
    resource and scope; an initial (replayed) event is written but not counted as delivered."""
    server.kubectl("create", "configmap", "before", "--from-literal=a=b")
    rv = server.get_json("/api/v1/namespaces/default/configmaps")["metadata"]["resourceVersion"]
    watched = {}

    def watch():
        # From resourceVersion 0: the existing configmap first (initial), then live events.
        watched["r"] = server.request(
            "GET", "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0"
                   "&timeoutSeconds=3")

    t = threading.Thread(target=watch)
    t.start()
    try:
        # The watch is registered once its initial event was written.
        for _ in range(100):
            m = server.request("GET", "/metrics").body.decode()
            if _metric_or_none(m, "shoal_watch_write_seconds_count", resource="configmaps",
                               scope="namespace"):
                break
            threading.Event().wait(0.05)
        server.kubectl("create", "configmap", "after", "--from-literal=a=b")
    finally:
        t.join()
    events = [json.loads(line) for line in watched["r"].body.decode().splitlines()]
    assert [e["object"]["metadata"]["name"] for e in events] == ["before", "after"], events
    assert int(events[1]["object"]["metadata"]["resourceVersion"]) > int(rv)
    text = server.request("GET", "/metrics").body.decode()
    assert _metric(text, "shoal_watch_delivery_seconds_count", resource="configmaps",
                   scope="namespace") == 1
    assert _metric(text, "shoal_watch_delivery_seconds_bucket", resource="configmaps",
                   scope="namespace", le="+Inf") == 1
    assert _metric(text, "shoal_watch_write_seconds_count", resource="configmaps",
                   scope="namespace") == 2
    assert "# TYPE shoal_watch_delivery_seconds histogram" in text
