"""HTTP/2 end to end: the server offers "h2" through ALPN, as kube-apiserver does, and a
client that takes it (kubectl, client-go, here the Debian `python3-h2` state machine over a
real TLS socket) multiplexes its watches and calls over one connection. Clients that offer
only HTTP/1.1, or no ALPN at all (the Python client), get HTTP/1.1 as before. The request
handling is the same as over HTTP/1.1, errors included; a reset watch stream ends its watch
at once (apiserver_longrunning_requests), and the connection goes on serving.
"""

import json
import socket
import ssl
import time

import h2.config
import h2.connection
import h2.events
import pytest

from shoal_fixture import metric_sample, metric_sample_or_none, wait_until


def _tls_socket(server, alpn):
    ctx = ssl.create_default_context(cadata=server.ca_pem.decode())
    if alpn is not None:
        ctx.set_alpn_protocols(list(alpn))
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


class H2Client:
    """One HTTP/2 connection to the server; streams are driven by pump()."""

    def __init__(self, server):
        self.server = server
        self.sock = _tls_socket(server, ["h2"])
        assert self.sock.selected_alpn_protocol() == "h2"
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.streams = {}
        self.closed = False
        self.flush()

    def close(self):
        self.sock.close()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def start(self, method, path, body=None, token="", content_type="application/json"):
        """Opens a stream with a request; returns its id. token: "" = admin, None = none."""
        sid = self.conn.get_next_available_stream_id()
        headers = [(":method", method), (":path", path), (":scheme", "https"),
                   (":authority", f"127.0.0.1:{self.server.port}"),
                   ("accept", "application/json"), ("user-agent", "test-http2")]
        if token == "":
            token = self.server.token
        if token is not None:
            headers.append(("authorization", f"Bearer {token}"))
        if body is not None:
            if not isinstance(body, bytes):
                body = json.dumps(body).encode() if not isinstance(body, str) else body.encode()
            headers.append(("content-type", content_type))
        self.streams[sid] = {"status": None, "headers": {}, "data": bytearray(),
                             "ended": False, "reset": False}
        self.conn.send_headers(sid, headers, end_stream=body is None)
        self.flush()
        if body is not None:
            self._send_body(sid, body)
        return sid

    def _send_body(self, sid, body):
        pos = 0
        while pos < len(body):
            st = self.streams[sid]
            if st["reset"] or st["ended"]:
                return  # the server answered (413) and stopped the upload
            window = min(self.conn.local_flow_control_window(sid),
                         self.conn.max_outbound_frame_size)
            if window <= 0:
                self.pump(5)
                continue
            piece = body[pos:pos + window]
            pos += len(piece)
            self.conn.send_data(sid, piece, end_stream=pos == len(body))
            self.flush()

    def pump(self, timeout):
        """Reads what arrives within `timeout` seconds (one read) and dispatches it."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return
        if not data:
            self.closed = True
            return
        for event in self.conn.receive_data(data):
            sid = getattr(event, "stream_id", None)
            st = self.streams.get(sid)
            if isinstance(event, h2.events.ResponseReceived) and st is not None:
                st["headers"] = dict(event.headers)
                st["status"] = int(st["headers"][":status"])
            elif isinstance(event, h2.events.DataReceived):
                if st is not None:
                    st["data"] += event.data
                self.conn.acknowledge_received_data(event.flow_controlled_length, sid)
            elif isinstance(event, h2.events.StreamEnded) and st is not None:
                st["ended"] = True
            elif isinstance(event, h2.events.StreamReset) and st is not None:
                st["reset"] = True
            elif isinstance(event, h2.events.ConnectionTerminated):
                self.closed = True
        self.flush()

    def wait(self, predicate, timeout=15, what="condition"):
        deadline = time.monotonic() + timeout
        while not predicate():
            assert not self.closed, f"connection closed waiting for {what}"
            left = deadline - time.monotonic()
            assert left > 0, f"timed out waiting for {what}"
            self.pump(min(left, 1.0))

    def finish(self, sid, timeout=15):
        """Waits for the stream's whole answer: (status, headers, body bytes)."""
        st = self.streams[sid]
        self.wait(lambda: st["ended"] or st["reset"], timeout, f"stream {sid}")
        return st["status"], st["headers"], bytes(st["data"])

    def call(self, method, path, body=None, **kw):
        status, headers, data = self.finish(self.start(method, path, body, **kw))
        return status, headers, data


@pytest.fixture
def h2c(server):
    c = H2Client(server)
    yield c
    c.close()


def _configmap(name, data=None):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
            "data": data or {"k": "v"}}


def _watch_lines(st):
    return [json.loads(line) for line in bytes(st["data"]).decode().splitlines() if line]


def _long_running(h2c, resource):
    status, _, body = h2c.call("GET", "/metrics")
    assert status == 200
    return metric_sample_or_none(body.decode(), "apiserver_longrunning_requests",
                                 resource=resource, subresource="", verb="WATCH") or 0


def test_alpn_offers_h2_and_keeps_http11_for_clients_without_it(server):
    for alpn, want in ((["h2", "http/1.1"], "h2"), (["http/1.1"], "http/1.1"), (None, None)):
        s = _tls_socket(server, alpn)
        try:
            assert s.selected_alpn_protocol() == want, alpn
        finally:
            s.close()
    # A client without ALPN (the Python client's http.client) is served HTTP/1.1.
    r = server.request("GET", "/api/v1/namespaces/default")
    assert r.status == 200, r


def test_a_watch_and_calls_share_one_connection(server, h2c):
    watch = h2c.start("GET", "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=60")
    h2c.wait(lambda: h2c.streams[watch]["status"] is not None, what="the watch's head")
    assert h2c.streams[watch]["status"] == 200
    assert h2c.streams[watch]["headers"]["content-type"] == "application/json"
    assert _long_running(h2c, "configmaps") == 1

    status, _, body = h2c.call("POST", "/api/v1/namespaces/default/configmaps",
                               _configmap("over-h2"))
    assert status == 201, body
    status, headers, body = h2c.call("GET", "/api/v1/namespaces/default/configmaps/over-h2")
    assert status == 200, body
    assert json.loads(body)["data"] == {"k": "v"}
    assert int(headers["content-length"]) == len(body)

    def seen():
        return any(e["type"] == "ADDED" and e["object"]["metadata"]["name"] == "over-h2"
                   for e in _watch_lines(h2c.streams[watch]))
    h2c.wait(seen, what="the watch event")
    assert not h2c.streams[watch]["ended"]

    # The client ends the watch with RST_STREAM: the server drops the watch at once (not at
    # its next event or bookmark), and the connection serves on.
    h2c.conn.reset_stream(watch)
    h2c.flush()
    wait_until(lambda: _long_running(h2c, "configmaps") == 0, 5, what="the watch to end")
    status, _, body = h2c.call("GET", "/api/v1/namespaces/default/configmaps/over-h2")
    assert status == 200, body
    # The object is the one the HTTP/1.1 clients see.
    assert server.get_json("/api/v1/namespaces/default/configmaps/over-h2")["data"] == {"k": "v"}


def test_a_closed_connection_ends_its_watches_at_once(server, h2c):
    other = H2Client(server)
    try:
        watch = other.start("GET", "/api/v1/namespaces/default/secrets?watch=1")
        other.wait(lambda: other.streams[watch]["status"] == 200, what="the watch's head")
        assert _long_running(h2c, "secrets") == 1
    finally:
        other.close()
    # Not at the watch's next event or bookmark: at once.
    wait_until(lambda: _long_running(h2c, "secrets") == 0, 5, what="the watch to end")


def test_many_streams_at_once_are_each_answered(server, h2c):
    sids = [h2c.start("GET", f"/api/v1/namespaces/default/configmaps/missing-{i}")
            for i in range(60)]
    sids.append(h2c.start("GET", "/api/v1/namespaces/default"))
    answers = [h2c.finish(sid) for sid in sids]
    for i, (status, _, body) in enumerate(answers[:-1]):
        assert status == 404, body
        assert json.loads(body)["details"]["name"] == f"missing-{i}"
    assert answers[-1][0] == 200


def test_a_large_list_arrives_whole_through_flow_control(server, h2c):
    # 30 ConfigMaps of 20 KB: the answer is ten times the client's 64 KiB window.
    for i in range(30):
        r = server.request("POST", "/api/v1/namespaces/default/configmaps",
                           _configmap(f"big-{i:02d}", {"blob": chr(ord("a") + i % 26) * 20000}))
        assert r.status == 201, r
    status, headers, body = h2c.call("GET", "/api/v1/namespaces/default/configmaps")
    assert status == 200
    assert len(body) > 600000
    assert int(headers["content-length"]) == len(body)
    items = {i["metadata"]["name"]: i for i in json.loads(body)["items"]}
    for i in range(30):
        assert items[f"big-{i:02d}"]["data"]["blob"] == chr(ord("a") + i % 26) * 20000


def test_errors_over_h2_are_the_same_and_change_nothing(server, h2c):
    status, _, body = h2c.call("GET", "/api/v1/namespaces", token=None)
    assert status == 401, body
    assert json.loads(body)["reason"] == "Unauthorized"
    status, _, body = h2c.call("GET", "/healthz", token=None)
    assert (status, body) == (200, b"ok")

    status, _, body = h2c.call("POST", "/api/v1/namespaces/default/configmaps", '{"kind": ')
    assert status == 400, body
    assert json.loads(body)["code"] == 400

    # A body over 3 MiB: 413 as soon as the limit is passed; the stream is reset so that the
    # client stops sending, and the connection goes on.
    huge = json.dumps(_configmap("too-big", {"blob": "x" * (4 * 1024 * 1024)}))
    sid = h2c.start("POST", "/api/v1/namespaces/default/configmaps", huge)
    status, _, body = h2c.finish(sid, timeout=30)
    assert status == 413, body
    assert json.loads(body)["reason"] == "RequestEntityTooLarge"

    status, _, body = h2c.call("GET", "/api/v1/namespaces/default/configmaps")
    assert status == 200, body
    names = {i["metadata"]["name"] for i in json.loads(body)["items"]}
    assert "too-big" not in names
    assert server.request("GET", "/api/v1/namespaces/default/configmaps/too-big").status == 404


def test_kubectl_speaks_h2_and_the_python_client_http11(server):
    def counts():
        text = server.request("GET", "/metrics").body.decode()
        return (metric_sample(text, "shoal_connections_total", protocol="h2"),
                metric_sample(text, "shoal_connections_total", protocol="http/1.1"))
    h2_before, h1_before = counts()
    server.kubectl("get", "namespaces")
    h2_after, h1_after = counts()
    assert h2_after >= h2_before + 1
    # Only the two /metrics scrapes (http.client, no ALPN) came over HTTP/1.1.
    assert h1_after == h1_before + 1
