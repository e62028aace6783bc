"""End-to-end: the real kubectl v1.32 against a fresh shoal server."""

import base64
import json
import pathlib
import queue
import re
import threading
import time

import pytest
import yaml

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {ns}
  labels:
    app: web
spec:
  containers:
  - name: main
    image: busybox:1.36
    command: ["sleep", "3600"]
    resources:
      requests:
        cpu: 100m
        memory: 64Mi
"""

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: {ns}
data:
  a: "1"
  b: "two"
"""

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: {name}
  namespace: {ns}
type: Opaque
stringData:
  password: hunter2
data:
  user: YWRtaW4=
"""

NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: {name}
"""

LEASE = """\
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: {name}
  namespace: {ns}
spec:
  holderIdentity: holder-1
  leaseDurationSeconds: 40
"""

NODE = """\
apiVersion: v1
kind: Node
metadata:
  name: {name}
  labels:
    kubernetes.io/hostname: {name}
spec: {{}}
status:
  capacity:
    cpu: "8"
    memory: 32Gi
    pods: "110"
  allocatable:
    cpu: "8"
    memory: 32Gi
    pods: "110"
  conditions:
  - type: Ready
    status: "True"
    reason: KubeletReady
    message: ready
  nodeInfo:
    kubeletVersion: v1.32.0
    architecture: amd64
    operatingSystem: linux
    osImage: test
    kernelVersion: "6.1"
    containerRuntimeVersion: fake://1
    machineID: ""
    systemUUID: ""
    bootID: ""
    kubeProxyVersion: ""
"""


@pytest.fixture
def mdir(server):
    """A folder for manifests inside the server's temporary directory (removed with it)."""
    d = pathlib.Path(server.workdir) / "manifests"
    d.mkdir()
    return d


def write(mdir, name, text):
    p = mdir / name
    p.write_text(text)
    return str(p)


def create(server, mdir, template, **kw):
    kw.setdefault("ns", "default")
    path = write(mdir, f"{kw['name']}-{abs(hash(template))}.yaml", template.format(**kw))
    return server.kubectl("create", "-f", path)


def table(stdout):
    """Splits kubectl's table output into a header list and rows (lists of cells)."""
    lines = [l for l in stdout.splitlines() if l.strip()]
    header_line = lines[0]
    # Columns are separated by two or more spaces; a header may contain one ("NOMINATED NODE").
    starts = [m.start() for m in re.finditer(r"\S+(?: \S+)*", header_line)]
    headers = [header_line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
    rows = []
    for line in lines[1:]:
        rows.append([line[a:b].strip() if b else line[a:].strip()
                     for a, b in zip(starts, starts[1:] + [None])])
    return headers, rows


class LineReader:
    """Reads a subprocess's stdout lines on a thread, so the test can wait with a deadline."""

    def __init__(self, proc):
        self.proc = proc
        self.lines = []
        self._q = queue.Queue()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        for line in self.proc.stdout:
            self._q.put(line.decode().rstrip("\n"))
        self._q.put(None)

    def wait_for(self, predicate, timeout=20):
        deadline = time.monotonic() + timeout
        for line in self.lines:
            if predicate(line):
                return line
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching line within {timeout}s; got {self.lines}")
            try:
                line = self._q.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                err = self.proc.stderr.read().decode()
                raise AssertionError(f"output ended without a match; got {self.lines}; "
                                     f"stderr: {err}")
            self.lines.append(line)
            if predicate(line):
                return line


def stop(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


# ---- get ---------------------------------------------------------------------------------


def test_get_pods_table_columns(server, mdir):
    create(server, mdir, POD, name="web-1")
    create(server, mdir, POD, name="web-2")
    out = server.kubectl("get", "pods").stdout
    headers, rows = table(out)
    assert headers == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], out
    assert sorted(r[0] for r in rows) == ["web-1", "web-2"]
    for r in rows:
        assert r[1] == "0/1" and r[2] == "Pending" and r[3] == "0", out
        assert re.fullmatch(r"\d+s", r[4]), out

    wide = server.kubectl("get", "pods", "-o", "wide").stdout
    headers, rows = table(wide)
    assert headers == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                       "NOMINATED NODE", "READINESS GATES"], wide
    assert all(r[5] == "<none>" and r[6] == "<none>" for r in rows), wide

    # All namespaces: a NAMESPACE column first.
    create(server, mdir, NAMESPACE, name="ns-x")
    create(server, mdir, POD, name="web-3", ns="ns-x")
    out = server.kubectl("get", "pods", "-A").stdout
    headers, rows = table(out)
    assert headers == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"], out
    assert sorted((r[0], r[1]) for r in rows) == [("default", "web-1"), ("default", "web-2"),
                                                  ("ns-x", "web-3")]

    # A bound pod shows its node in -o wide.
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web-1"},
               "target": {"apiVersion": "v1", "kind": "Node", "name": "node-9"}}
    r = server.request("POST", "/api/v1/namespaces/default/pods/web-1/binding", binding)
    assert r.status == 201, r
    headers, rows = table(server.kubectl("get", "pod", "web-1", "-o", "wide").stdout)
    assert rows[0][0] == "web-1" and rows[0][6] == "node-9", rows


def test_get_other_tables(server, mdir):
    create(server, mdir, CONFIGMAP, name="cm-1")
    create(server, mdir, SECRET, name="sec-1")
    create(server, mdir, LEASE, name="lease-1")
    create(server, mdir, NODE, name="node-1")

    headers, rows = table(server.kubectl("get", "configmaps").stdout)
    assert headers == ["NAME", "DATA", "AGE"]
    assert ["cm-1", "2"] == rows[0][:2]

    headers, rows = table(server.kubectl("get", "secrets").stdout)
    assert headers == ["NAME", "TYPE", "DATA", "AGE"]
    assert ["sec-1", "Opaque", "2"] == rows[0][:3]

    headers, rows = table(server.kubectl("get", "leases").stdout)
    assert headers == ["NAME", "HOLDER", "AGE"]
    assert ["lease-1", "holder-1"] == rows[0][:2]

    headers, rows = table(server.kubectl("get", "nodes").stdout)
    assert headers == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert rows[0][0] == "node-1" and rows[0][1] == "Ready" and rows[0][4] == "v1.32.0", rows

    headers, rows = table(server.kubectl("get", "namespaces").stdout)
    assert headers == ["NAME", "STATUS", "AGE"]
    assert {r[0] for r in rows} >= {"default", "kube-system", "kube-public", "kube-node-lease"}
    assert all(r[1] == "Active" for r in rows)


def test_get_json_yaml_name_jsonpath(server, mdir):
    create(server, mdir, POD, name="p1")
    create(server, mdir, POD, name="p2")

    one = json.loads(server.kubectl("get", "pod", "p1", "-o", "json").stdout)
    assert one["kind"] == "Pod" and one["apiVersion"] == "v1"
    assert one["metadata"]["name"] == "p1" and one["metadata"]["namespace"] == "default"
    assert one["metadata"]["uid"] and int(one["metadata"]["resourceVersion"]) > 0
    assert one["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "100m",
                                                                     "memory": "64Mi"}
    assert one["status"]["phase"] == "Pending"

    lst = json.loads(server.kubectl("get", "pods", "-o", "json").stdout)
    assert lst["kind"] == "List"
    assert sorted(i["metadata"]["name"] for i in lst["items"]) == ["p1", "p2"]

    y = yaml.safe_load(server.kubectl("get", "pod", "p2", "-o", "yaml").stdout)
    assert y["kind"] == "Pod" and y["metadata"]["name"] == "p2"
    assert y["metadata"]["labels"] == {"app": "web"}
    assert y["spec"]["containers"][0]["command"] == ["sleep", "3600"]

    names = server.kubectl("get", "pods", "-o", "name").stdout.split()
    assert sorted(names) == ["pod/p1", "pod/p2"]

    jp = server.kubectl("get", "pods", "-o", "jsonpath={.items[*].metadata.name}").stdout
    assert sorted(jp.split()) == ["p1", "p2"]
    jp = server.kubectl("get", "pod", "p1", "-o",
                        "jsonpath={.spec.containers[0].image}/{.metadata.labels.app}").stdout
    assert jp == "busybox:1.36/web"


def test_get_watch_sees_later_changes(server, mdir):
    create(server, mdir, POD, name="w1")
    proc = server.kubectl_popen("get", "pods", "-w")
    try:
        out = LineReader(proc)
        out.wait_for(lambda l: l.startswith("NAME"))
        out.wait_for(lambda l: l.startswith("w1 "))
        create(server, mdir, POD, name="w2")
        line = out.wait_for(lambda l: l.startswith("w2 "))
        assert "Pending" in line
    finally:
        stop(proc)


def test_get_watch_output_watch_events(server, mdir):
    create(server, mdir, CONFIGMAP, name="cm-w")
    proc = server.kubectl_popen("get", "configmaps", "-w", "--output-watch-events")
    try:
        out = LineReader(proc)
        out.wait_for(lambda l: l.split()[:2] == ["ADDED", "cm-w"])
        server.kubectl("label", "configmap", "cm-w", "stage=two")
        out.wait_for(lambda l: l.split()[:2] == ["MODIFIED", "cm-w"])
        server.kubectl("delete", "configmap", "cm-w")
        out.wait_for(lambda l: l.split()[:2] == ["DELETED", "cm-w"])
        # Nothing but these three events (kube sends no spurious updates).
        kinds = [l.split()[0] for l in out.lines if not l.startswith("EVENT")]
        assert kinds == ["ADDED", "MODIFIED", "DELETED"], out.lines
    finally:
        stop(proc)


# ---- create / delete ---------------------------------------------------------------------


def test_create_each_kind_from_file(server, mdir):
    r = create(server, mdir, NAMESPACE, name="team-a")
    assert r.stdout.strip() == "namespace/team-a created"
    for template, name, kind in [(POD, "pod-a", "pod"), (CONFIGMAP, "cm-a", "configmap"),
                                 (SECRET, "sec-a", "secret"),
                                 (LEASE, "lease-a", "lease.coordination.k8s.io")]:
        r = create(server, mdir, template, name=name, ns="team-a")
        assert r.stdout.strip() == f"{kind}/{name} created", r.stdout

    pod = server.get_json("/api/v1/namespaces/team-a/pods/pod-a")
    assert pod["spec"]["containers"][0]["image"] == "busybox:1.36"
    cm = server.get_json("/api/v1/namespaces/team-a/configmaps/cm-a")
    assert cm["data"] == {"a": "1", "b": "two"}
    sec = server.get_json("/api/v1/namespaces/team-a/secrets/sec-a")
    # kubectl sends stringData; the server folds it into data (base64) and drops it.
    decoded = {k: base64.b64decode(v).decode() for k, v in sec["data"].items()}
    assert decoded == {"user": "admin", "password": "hunter2"}
    assert "stringData" not in sec
    lease = server.get_json("/apis/coordination.k8s.io/v1/namespaces/team-a/leases/lease-a")
    assert lease["spec"] == {"holderIdentity": "holder-1", "leaseDurationSeconds": 40}
    ns = server.get_json("/api/v1/namespaces/team-a")
    assert ns["status"]["phase"] == "Active"

    # A multi-document file creates every object in it.
    multi = "---\n".join([CONFIGMAP.format(name="m1", ns="team-a"),
                          CONFIGMAP.format(name="m2", ns="team-a")])
    r = server.kubectl("create", "-f", write(mdir, "multi.yaml", multi))
    assert r.stdout.split("\n")[:2] == ["configmap/m1 created", "configmap/m2 created"]

    # Creating it again fails with AlreadyExists and leaves the object as it was.
    path = write(mdir, "again.yaml", CONFIGMAP.format(name="cm-a", ns="team-a"))
    r = server.kubectl("create", "-f", path, check=False)
    assert r.returncode != 0
    assert "AlreadyExists" in r.stderr and 'configmaps "cm-a" already exists' in r.stderr


def test_delete(server, mdir):
    create(server, mdir, POD, name="gone")
    create(server, mdir, CONFIGMAP, name="keep")
    r = server.kubectl("delete", "pod", "gone")
    assert r.stdout.strip() == 'pod "gone" deleted'
    r = server.kubectl("get", "pod", "gone", check=False)
    assert r.returncode != 0
    assert 'Error from server (NotFound): pods "gone" not found' in r.stderr
    assert server.request("GET", "/api/v1/namespaces/default/pods/gone").status == 404
    assert server.kubectl("get", "cm", "keep", "-o", "name").stdout.strip() == "configmap/keep"

    r = server.kubectl("delete", "pod", "gone", check=False)
    assert r.returncode != 0 and "NotFound" in r.stderr

    # delete -f with the manifest
    path = write(mdir, "cm.yaml", CONFIGMAP.format(name="keep", ns="default"))
    r = server.kubectl("delete", "-f", path)
    assert r.stdout.strip() == 'configmap "keep" deleted'
    assert server.request("GET", "/api/v1/namespaces/default/configmaps/keep").status == 404


def test_delete_by_label_selector(server, mdir):
    for n in ("a", "b"):
        create(server, mdir, POD, name=f"sel-{n}")
    create(server, mdir, CONFIGMAP, name="other")
    server.kubectl("label", "pod", "sel-a", "drop=yes")
    server.kubectl("delete", "pods", "-l", "drop=yes")
    names = server.kubectl("get", "pods", "-o", "name").stdout.split()
    assert names == ["pod/sel-b"]


# ---- label / annotate --------------------------------------------------------------------


def test_label_and_annotate(server, mdir):
    create(server, mdir, POD, name="lbl")
    r = server.kubectl("label", "pod", "lbl", "tier=backend", "team=ml")
    assert r.stdout.strip() == "pod/lbl labeled"
    labels = server.get_json("/api/v1/namespaces/default/pods/lbl")["metadata"]["labels"]
    assert labels == {"app": "web", "tier": "backend", "team": "ml"}

    # Changing a label needs --overwrite.
    r = server.kubectl("label", "pod", "lbl", "tier=frontend", check=False)
    assert r.returncode != 0 and "already has a value" in r.stderr
    server.kubectl("label", "pod", "lbl", "tier=frontend", "--overwrite")
    server.kubectl("label", "pod", "lbl", "team-")
    labels = server.get_json("/api/v1/namespaces/default/pods/lbl")["metadata"]["labels"]
    assert labels == {"app": "web", "tier": "frontend"}

    out = server.kubectl("get", "pods", "-l", "tier=frontend", "-o", "name").stdout.split()
    assert out == ["pod/lbl"]
    out = server.kubectl("get", "pods", "--show-labels").stdout
    headers, rows = table(out)
    assert headers[-1] == "LABELS" and rows[0][-1] == "app=web,tier=frontend"

    r = server.kubectl("annotate", "pod", "lbl", "note=hello world", "owner=me")
    assert r.stdout.strip() == "pod/lbl annotated"
    ann = server.get_json("/api/v1/namespaces/default/pods/lbl")["metadata"]["annotations"]
    assert ann == {"note": "hello world", "owner": "me"}
    server.kubectl("annotate", "pod", "lbl", "owner-")
    server.kubectl("annotate", "pod", "lbl", "note=bye", "--overwrite")
    ann = server.get_json("/api/v1/namespaces/default/pods/lbl")["metadata"]["annotations"]
    assert ann == {"note": "bye"}

    # An invalid label key is rejected by the server with Invalid.
    r = server.kubectl("label", "pod", "lbl", "bad key!=x", check=False)
    assert r.returncode != 0


def test_label_namespaced_configmap_in_other_namespace(server, mdir):
    create(server, mdir, NAMESPACE, name="ns-l")
    create(server, mdir, CONFIGMAP, name="c", ns="ns-l")
    server.kubectl("label", "-n", "ns-l", "configmap", "c", "x=y")
    got = server.get_json("/api/v1/namespaces/ns-l/configmaps/c")
    assert got["metadata"]["labels"] == {"x": "y"}


# ---- nodes -------------------------------------------------------------------------------


def test_cordon_uncordon_node_created_with_status(server, mdir):
    r = create(server, mdir, NODE, name="gpu-node-1")
    assert r.stdout.strip() == "node/gpu-node-1 created"
    node = server.get_json("/api/v1/nodes/gpu-node-1")
    # Like Kubernetes, a Node may be created with its status.
    assert node["status"]["capacity"]["cpu"] == "8"
    assert node["status"]["conditions"][0]["type"] == "Ready"

    r = server.kubectl("cordon", "gpu-node-1")
    assert r.stdout.strip() == "node/gpu-node-1 cordoned"
    node = server.get_json("/api/v1/nodes/gpu-node-1")
    assert node["spec"].get("unschedulable") is True
    assert node["status"]["capacity"]["cpu"] == "8"  # status survives the spec patch
    headers, rows = table(server.kubectl("get", "nodes").stdout)
    assert rows[0][:2] == ["gpu-node-1", "Ready,SchedulingDisabled"]
    sel = server.kubectl("get", "nodes", "--field-selector", "spec.unschedulable=true",
                         "-o", "name").stdout.split()
    assert sel == ["node/gpu-node-1"]

    r = server.kubectl("cordon", "gpu-node-1")
    assert "already cordoned" in r.stdout

    r = server.kubectl("uncordon", "gpu-node-1")
    assert r.stdout.strip() == "node/gpu-node-1 uncordoned"
    node = server.get_json("/api/v1/nodes/gpu-node-1")
    assert not node["spec"].get("unschedulable", False)
    headers, rows = table(server.kubectl("get", "nodes").stdout)
    assert rows[0][:2] == ["gpu-node-1", "Ready"]


# ---- discovery ---------------------------------------------------------------------------


def test_api_resources(server):
    out = server.kubectl("api-resources").stdout
    headers, rows = table(out)
    assert headers == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"], out
    by_name = {r[0]: r for r in rows}
    expect = {
        "pods": ["pods", "po", "v1", "true", "Pod"],
        "nodes": ["nodes", "no", "v1", "false", "Node"],
        "namespaces": ["namespaces", "ns", "v1", "false", "Namespace"],
        "configmaps": ["configmaps", "cm", "v1", "true", "ConfigMap"],
        "secrets": ["secrets", "", "v1", "true", "Secret"],
        "events": ["events", "ev", "v1", "true", "Event"],
        "leases": ["leases", "", "coordination.k8s.io/v1", "true", "Lease"],
    }
    for name, row in expect.items():
        assert by_name.get(name) == row, (name, by_name.get(name))

    out = server.kubectl("api-resources", "--namespaced=false", "-o", "name").stdout.split()
    assert "nodes" in out and "namespaces" in out and "pods" not in out
    out = server.kubectl("api-resources", "--api-group=coordination.k8s.io", "-o",
                         "name").stdout.split()
    assert out == ["leases.coordination.k8s.io"]


def test_api_versions(server):
    out = server.kubectl("api-versions").stdout.split()
    assert "v1" in out and "coordination.k8s.io/v1" in out
    assert out == sorted(out)


# ---- namespaces --------------------------------------------------------------------------


def test_missing_namespace_is_not_found(server, mdir):
    path = write(mdir, "cm.yaml", CONFIGMAP.format(name="c", ns="no-such-ns"))
    r = server.kubectl("create", "-f", path, check=False)
    assert r.returncode != 0
    assert "NotFound" in r.stderr and 'namespaces "no-such-ns" not found' in r.stderr, r.stderr
    r = server.kubectl("get", "cm", "c", "-n", "no-such-ns", check=False)
    assert r.returncode != 0 and "NotFound" in r.stderr
    # Nothing was stored anywhere.
    lst = server.get_json("/api/v1/configmaps")
    assert [i["metadata"]["name"] for i in lst["items"]] == []


def test_delete_namespace_removes_its_objects(server, mdir):
    create(server, mdir, NAMESPACE, name="doomed")
    create(server, mdir, NAMESPACE, name="kept")
    for ns in ("doomed", "kept"):
        create(server, mdir, POD, name="p", ns=ns)
        create(server, mdir, CONFIGMAP, name="c", ns=ns)
        create(server, mdir, SECRET, name="s", ns=ns)
        create(server, mdir, LEASE, name="l", ns=ns)

    r = server.kubectl("delete", "namespace", "doomed", "--timeout=30s")
    assert r.stdout.strip() == 'namespace "doomed" deleted'
    # kubectl waited for the namespace to be gone; its objects went first.
    assert server.request("GET", "/api/v1/namespaces/doomed").status == 404
    for path in ("/api/v1/namespaces/doomed/pods", "/api/v1/namespaces/doomed/configmaps",
                 "/api/v1/namespaces/doomed/secrets",
                 "/apis/coordination.k8s.io/v1/namespaces/doomed/leases"):
        assert server.get_json(path)["items"] == [], path
    # The other namespace is untouched.
    for kind in ("pods", "configmaps", "secrets", "leases"):
        names = server.kubectl("get", kind, "-n", "kept", "-o", "name").stdout.split()
        assert len(names) == 1, (kind, names)
    # The namespace can be created again, empty.
    create(server, mdir, NAMESPACE, name="doomed")
    assert server.kubectl("get", "pods", "-n", "doomed", "-o", "name").stdout.strip() == ""


def test_cannot_delete_default_namespace(server):
    r = server.kubectl("delete", "namespace", "default", check=False)
    assert r.returncode != 0 and "Forbidden" in r.stderr
    assert server.request("GET", "/api/v1/namespaces/default").status == 200


def test_tls_1_3_without_session_tickets(server):
    """The API server speaks TLS 1.3 and sends no session tickets: none of its clients
    resumes a session, and making tickets would cost every new connection (7,500 registering
    nodes open 15,000)."""
    conn = server.connection()
    try:
        conn.request("GET", "/version")
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read())["major"] == "1"
        assert conn.sock.version() == "TLSv1.3"
        # The answer came after any ticket the server sent, so Python has seen them by now.
        session = conn.sock.session
        assert session is None or not session.has_ticket, session
    finally:
        conn.close()
