"""Connections end to end: new connections' TLS handshakes run on a thread of their own
(`api-tls-0`) and the connections then move to the I/O threads; with
`--tls-handshake-threads 0` the I/O threads do the handshakes. Either way, connections that
never finish their handshake do not hold up requests on open ones, and shoal_open_connections
counts every connection from its accept to its close. The hand-over itself is unit-tested in
tls_stream_test.cc (Rebind) and http_transport_test.cc (where requests run). Watches move on
to a thread of their own (`api-watch-0`; `--watch-threads 0` keeps them on the I/O threads).
A small answer leaves in one write with its header (one TLS record).
"""

import json
import os
import re
import socket
import threading

import pytest

from shoal_fixture import assert_server_refuses_flag, metric_sample, wait_until


def _thread_names(server):
    task_dir = f"/proc/{server.proc.pid}/task"
    names = set()
    for tid in os.listdir(task_dir):
        try:
            with open(f"{task_dir}/{tid}/comm") as f:
                names.add(f.read().strip())
        except FileNotFoundError:
            pass  # the thread ended while listing
    return names


def _open_connections(server):
    r = server.request("GET", "/metrics")
    assert r.status == 200, r
    # The scrape's own connection is open while it is answered.
    return int(metric_sample(r.body.decode(), "shoal_open_connections")) - 1


def _stalled_handshakes_do_not_hold_up_open_connections(server):
    assert _open_connections(server) == 0
    # Connections whose handshake never comes: TCP connected, no ClientHello.
    raw = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(3)]
    tls = [server.connection() for _ in range(4)]
    try:
        for c in tls:
            c.connect()
        wait_until(lambda: _open_connections(server) == 7, timeout=10,
                   what="7 connections counted")
        headers = {"Authorization": f"Bearer {server.token}", "Accept": "application/json"}
        for i, c in enumerate(tls):
            c.request("GET", "/api/v1/namespaces/default", headers=headers)
            resp = c.getresponse()
            assert resp.status == 200, (i, resp.read())
            resp.read()
    finally:
        for s in raw:
            s.close()
        for c in tls:
            c.close()
    wait_until(lambda: _open_connections(server) == 0, timeout=10,
               what="closed connections no longer counted")


def test_handshakes_run_on_their_own_thread(server):
    names = _thread_names(server)
    assert "api-tls-0" in names, names
    assert {"api-io-0", "api-io-1"} <= names, names
    _stalled_handshakes_do_not_hold_up_open_connections(server)
    out = server.kubectl("get", "namespace", "default", "-o", "jsonpath={.metadata.name}")
    assert out.stdout == "default"


@pytest.mark.server_args("--tls-handshake-threads", "0")
def test_with_no_handshake_threads_the_io_threads_do_handshakes(server):
    names = _thread_names(server)
    assert not any(n.startswith("api-tls") for n in names), names
    _stalled_handshakes_do_not_hold_up_open_connections(server)
    out = server.kubectl("get", "namespace", "default", "-o", "jsonpath={.metadata.name}")
    assert out.stdout == "default"


@pytest.mark.parametrize("value", ["-1", "65", "x"])
def test_a_bad_handshake_thread_count_is_refused_at_start(tmp_path, value):
    assert_server_refuses_flag(tmp_path, "--tls-handshake-threads", value)


def _a_watch_gets_a_live_event_and_its_connection_is_counted_until_it_ends(server, name):
    assert _open_connections(server) == 0
    got = {}

    def watch():
        got["r"] = server.request(
            "GET", "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=3")

    t = threading.Thread(target=watch)
    t.start()
    try:
        wait_until(lambda: _open_connections(server) == 1, timeout=10, what="the watch counted")
        server.kubectl("create", "configmap", name, "--from-literal=a=b")
    finally:
        t.join()
    events = [json.loads(line) for line in got["r"].body.decode().splitlines()]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", name)]
    wait_until(lambda: _open_connections(server) == 0, timeout=10,
               what="the ended watch no longer counted")


def test_watches_stream_on_their_own_thread(server):
    assert "api-watch-0" in _thread_names(server)
    _a_watch_gets_a_live_event_and_its_connection_is_counted_until_it_ends(server, "w1")
    # A watch still open when the server stops: the server exits 0 (the fixture checks).
    conn = server.connection()
    conn.request("GET", "/api/v1/namespaces/default/configmaps?watch=1",
                 headers={"Authorization": f"Bearer {server.token}"})
    assert conn.getresponse().status == 200
    wait_until(lambda: _open_connections(server) == 1, timeout=10, what="the open watch")


@pytest.mark.server_args("--watch-threads", "0")
def test_with_no_watch_threads_the_io_threads_stream_watches(server):
    assert not any(n.startswith("api-watch") for n in _thread_names(server))
    _a_watch_gets_a_live_event_and_its_connection_is_counted_until_it_ends(server, "w2")


@pytest.mark.parametrize("value", ["-1", "65", "x"])
def test_a_bad_watch_thread_count_is_refused_at_start(tmp_path, value):
    assert_server_refuses_flag(tmp_path, "--watch-threads", value)


def _get_raw(server, path):
    """One GET on a fresh TLS connection; returns the bytes of the first TLS record only
    (SSL_read, and so recv, returns at most one record's bytes)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    tls = server.ssl_context().wrap_socket(sock, server_hostname="127.0.0.1")
    try:
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Authorization: Bearer {server.token}\r\n"
                    "Accept: application/json\r\n\r\n".encode())
        return tls.recv(1 << 20)
    finally:
        tls.close()


def test_a_small_answer_leaves_in_one_write_with_its_header(server):
    """The answer to a GET of a cached object of a few KiB is written at once: its first TLS
    record holds the status line, the headers and the whole body. A large one (over 64 KiB)
    still arrives whole, its body in pieces after the header."""
    small = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "small"},
             "data": {"k": "x" * 3000}}
    large = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "large"},
             "data": {"k": "y" * 200_000}}
    for cm in (small, large):
        r = server.request("POST", "/api/v1/namespaces/default/configmaps", cm)
        assert r.status == 201, r
    first = _get_raw(server, "/api/v1/namespaces/default/configmaps/small")
    head, sep, body = first.partition(b"\r\n\r\n")
    assert sep and head.startswith(b"HTTP/1.1 200"), first[:300]
    length = int(re.search(rb"(?im)^content-length: *(\d+)", head).group(1))
    assert len(body) == length, (len(body), length)
    assert json.loads(body)["data"]["k"] == "x" * 3000
    r = server.request("GET", "/api/v1/namespaces/default/configmaps/large")
    assert r.status == 200, r
    assert json.loads(r.body)["data"]["k"] == "y" * 200_000
