"""End-to-end: server-side apply, managedFields, schemas and field validation.

Server-side apply through kubectl and raw PATCHes (create, removal of fields no longer applied,
conflicts between managers, --force-conflicts, the 409 body), managedFields on ordinary writes,
the client-side to server-side apply migration, `kubectl explain`, fieldValidation
(Strict/Warn/Ignore: 400s naming fields, Warning headers, pruning), CRD structural-schema
validation (422) and the OpenAPI v2/v3 documents. Every rejected request is followed by a
check that nothing was created or changed.
"""

import json
import os
import re
import time

import pytest

from shoal_fixture import kubectl_get_json, wait_until
from test_kubectl_workflows import CRD, pod_manifest as pod

TRACES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                      "reference", "kubectl-traces", "manifests")

CM_PATH = "/api/v1/namespaces/default/configmaps"
PODS = "/api/v1/namespaces/default/pods"
JOBS = "/apis/batch/v1/namespaces/default/jobs"
TRAININGS = "/apis/ml.example.com/v1/namespaces/default/trainings"
APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"

# The Job of ../shared/reference/kubectl-traces/manifests/job.yaml and job-v2.yaml (inlined
# so the tests do not depend on the reference tree being present).
JOB_YAML = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: trace-job
  labels: {app: trace-job}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox:1.36
        command: ["echo", "hi"]
        resources:
          requests: {cpu: "1"}
"""
JOB_V2_YAML = JOB_YAML.replace("labels: {app: trace-job}", 'labels: {app: trace-job, rev: "2"}')


def test_inlined_jobs_match_the_reference_manifests():
    """The inlined manifests are the reference ones (skipped where that tree is absent)."""
    for name, text in (("job.yaml", JOB_YAML), ("job-v2.yaml", JOB_V2_YAML)):
        path = os.path.join(TRACES, name)
        if not os.path.exists(path):
            pytest.skip("reference traces not present")
        with open(path) as f:
            assert f.read().strip() == text.strip(), name


# ---- helpers -------------------------------------------------------------------------------

def get_json(server, *args):
    return kubectl_get_json(server, *args, show_managed_fields=True)


def raw(server, path):
    """GET path as JSON, or None on 404."""
    r = server.request("GET", path)
    if r.status == 404:
        return None
    assert r.status == 200, r
    return r.json()


def entries(obj, manager=None):
    """The managedFields entries of obj (of one manager when given)."""
    mf = obj["metadata"].get("managedFields", [])
    return [e for e in mf if manager is None or e["manager"] == manager]


def entry(obj, manager):
    found = entries(obj, manager)
    assert len(found) == 1, (manager, obj["metadata"].get("managedFields"))
    return found[0]


def cm_yaml(name="cm", data=None, labels=None):
    data = data if data is not None else {"k1": "a", "k2": "b"}
    meta = {"name": name}
    if labels:
        meta["labels"] = labels
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data})


def apply_raw(server, path, obj, manager="x", force=False, extra=""):
    q = []
    if manager is not None:
        q.append(f"fieldManager={manager}")
    if force:
        q.append("force=true")
    if extra:
        q.append(extra)
    url = path + ("?" + "&".join(q) if q else "")
    body = obj if isinstance(obj, (str, bytes)) else json.dumps(obj)
    return server.request("PATCH", url, body, content_type=APPLY)


def request_warnings(server, method, path, body, content_type="application/json"):
    """One request; returns (status, every Warning header value, parsed body)."""
    conn = server.connection()
    try:
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        if isinstance(data, str):
            data = data.encode()
        conn.request(method, path, body=data,
                     headers={"Authorization": f"Bearer {server.token}",
                              "Content-Type": content_type, "Accept": "application/json"})
        resp = conn.getresponse()
        raw_body = resp.read()
        return resp.status, resp.msg.get_all("Warning") or [], json.loads(raw_body)
    finally:
        conn.close()


def create_crd(server):
    server.kubectl("create", "-f", "-", input=CRD)
    wait_until(lambda: server.request("GET", TRAININGS).status == 200, timeout=10,
               what="trainings served")


def training(name, spec, **top):
    obj = {"apiVersion": "ml.example.com/v1", "kind": "Training", "metadata": {"name": name},
           "spec": spec}
    obj.update(top)
    return obj


# ---- 1. server-side apply through kubectl -------------------------------------------------

def test_kubectl_server_side_apply_create_and_remove_field(server):
    """apply --server-side creates, records an Apply entry, and removes fields dropped later."""
    r = server.kubectl("apply", "--server-side", "-f", "-", input=cm_yaml())
    assert r.stdout.strip() == "configmap/cm serverside-applied", r.stdout
    cm = get_json(server, "cm", "cm")
    assert cm["data"] == {"k1": "a", "k2": "b"}
    e = entry(cm, "kubectl")
    assert e["operation"] == "Apply" and e["apiVersion"] == "v1"
    assert e["fieldsType"] == "FieldsV1"
    assert e["fieldsV1"] == {"f:data": {"f:k1": {}, "f:k2": {}}}
    assert "subresource" not in e
    assert len(entries(cm)) == 1

    rv = cm["metadata"]["resourceVersion"]
    # Dropping k2 from the configuration removes it from the object and from the entry.
    r = server.kubectl("apply", "--server-side", "-f", "-", input=cm_yaml(data={"k1": "a"}))
    assert "serverside-applied" in r.stdout
    cm = get_json(server, "cm", "cm")
    assert cm["data"] == {"k1": "a"}
    assert entry(cm, "kubectl")["fieldsV1"] == {"f:data": {"f:k1": {}}}
    assert int(cm["metadata"]["resourceVersion"]) > int(rv)


def test_kubectl_apply_conflict_with_patching_manager_and_force(server):
    """A field taken over by another manager makes the next apply fail; --force-conflicts wins."""
    server.kubectl("apply", "--server-side", "-f", "-", input=cm_yaml())
    server.kubectl("patch", "cm", "cm", "--type=merge", "-p", '{"data":{"k1":"ops"}}',
                   "--field-manager=ops")
    cm = get_json(server, "cm", "cm")
    # Ownership of k1 moved to the updater; kubectl keeps k2.
    ops = entry(cm, "ops")
    assert ops["operation"] == "Update" and ops["fieldsV1"] == {"f:data": {"f:k1": {}}}
    assert entry(cm, "kubectl")["fieldsV1"] == {"f:data": {"f:k2": {}}}
    before = cm["metadata"]["resourceVersion"]

    r = server.kubectl("apply", "--server-side", "-f", "-", input=cm_yaml(), check=False)
    assert r.returncode != 0
    assert 'Apply failed with 1 conflict: conflict with "ops"' in r.stderr, r.stderr
    assert ".data.k1" in r.stderr, r.stderr
    after = get_json(server, "cm", "cm")
    assert after["metadata"]["resourceVersion"] == before
    assert after["data"] == {"k1": "ops", "k2": "b"}
    assert after["metadata"]["managedFields"] == cm["metadata"]["managedFields"]

    r = server.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", input=cm_yaml())
    assert "serverside-applied" in r.stdout
    cm = get_json(server, "cm", "cm")
    assert cm["data"] == {"k1": "a", "k2": "b"}
    assert entry(cm, "kubectl")["fieldsV1"] == {"f:data": {"f:k1": {}, "f:k2": {}}}
    # ops owned nothing else, so its entry is gone altogether.
    assert entries(cm, "ops") == []


def test_kubectl_apply_conflict_between_two_appliers(server):
    """Two appliers: a different value conflicts, the same value is shared ownership."""
    server.kubectl("apply", "--server-side", "-f", "-", input=cm_yaml())
    before = get_json(server, "cm", "cm")
    r = server.kubectl("apply", "--server-side", "--field-manager=other", "-f", "-",
                       input=cm_yaml(data={"k1": "mine"}), check=False)
    assert r.returncode != 0
    assert 'Apply failed with 1 conflict: conflict with "kubectl"' in r.stderr, r.stderr
    assert ".data.k1" in r.stderr
    after = get_json(server, "cm", "cm")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert entries(after, "other") == []

    # Applying the value kubectl already set is not a conflict: both own k1.
    server.kubectl("apply", "--server-side", "--field-manager=other", "-f", "-",
                   input=cm_yaml(data={"k1": "a"}))
    cm = get_json(server, "cm", "cm")
    assert entry(cm, "other")["fieldsV1"] == {"f:data": {"f:k1": {}}}
    assert entry(cm, "kubectl")["fieldsV1"] == {"f:data": {"f:k1": {}, "f:k2": {}}}
    # kubectl stops applying k1: it stays, because "other" still owns it; k2 goes.
    server.kubectl("apply", "--server-side", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "cm", "labels": {"l": "1"}}}))
    cm = get_json(server, "cm", "cm")
    assert cm["data"] == {"k1": "a"}
    assert cm["metadata"]["labels"] == {"l": "1"}

    # --force-conflicts moves k1 to "other" with the new value.
    server.kubectl("apply", "--server-side", "--field-manager=other", "--force-conflicts",
                   "-f", "-", input=cm_yaml(data={"k1": "mine"}))
    cm = get_json(server, "cm", "cm")
    assert cm["data"] == {"k1": "mine"}
    assert entry(cm, "other")["fieldsV1"] == {"f:data": {"f:k1": {}}}
    assert "f:data" not in entry(cm, "kubectl")["fieldsV1"]


@pytest.mark.no_controllers  # no Job controller status writes between the checks
def test_server_side_apply_job(server):
    """The Job of the reference trace, applied server-side and then changed."""
    r = server.kubectl("apply", "--server-side", "-f", "-", input=JOB_YAML)
    assert r.stdout.strip() == "job.batch/trace-job serverside-applied", r.stdout
    job = get_json(server, "job", "trace-job")
    # Defaults and server-generated fields are there, but owned by nobody.
    assert job["spec"]["completions"] == 1 and job["spec"]["parallelism"] == 1
    assert job["spec"]["selector"]["matchLabels"]
    assert job["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    e = entry(job, "kubectl")
    assert e["operation"] == "Apply" and e["apiVersion"] == "batch/v1"
    spec = e["fieldsV1"]["f:spec"]
    assert set(spec) == {"f:backoffLimit", "f:template"}
    container = spec["f:template"]["f:spec"]["f:containers"]['k:{"name":"c"}']
    assert set(container) == {".", "f:command", "f:image", "f:name", "f:resources"}
    assert container["f:resources"] == {"f:requests": {"f:cpu": {}}}
    assert e["fieldsV1"]["f:metadata"] == {"f:labels": {"f:app": {}}}
    assert len(entries(job)) == 1
    selector = job["spec"]["selector"]

    r = server.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", input=JOB_V2_YAML)
    assert "job.batch/trace-job serverside-applied" in r.stdout
    job = get_json(server, "job", "trace-job")
    assert job["metadata"]["labels"] == {"app": "trace-job", "rev": "2"}
    assert job["spec"]["selector"] == selector
    assert job["metadata"]["generation"] == 1  # a metadata-only change
    assert entry(job, "kubectl")["fieldsV1"]["f:metadata"] == \
        {"f:labels": {"f:app": {}, "f:rev": {}}}


@pytest.mark.no_controllers  # no Job controller status writes between the checks
def test_raw_apply_conflict_409_and_force(server):
    """The raw 409: reason Conflict, FieldManagerConflict causes naming the field."""
    server.kubectl("apply", "--server-side", "-f", "-", input=JOB_YAML)
    before = raw(server, f"{JOBS}/trace-job")
    cfg = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "trace-job"},
           "spec": {"backoffLimit": 3}}
    r = apply_raw(server, f"{JOBS}/trace-job", cfg, manager="x")
    assert r.status == 409, r
    st = r.json()
    assert st["kind"] == "Status" and st["reason"] == "Conflict" and st["code"] == 409
    assert st["message"] == 'Apply failed with 1 conflict: conflict with "kubectl": ' \
                            '.spec.backoffLimit', st
    causes = st["details"]["causes"]
    assert len(causes) == 1
    assert causes[0]["reason"] == "FieldManagerConflict"
    assert causes[0]["field"] == ".spec.backoffLimit"
    assert 'conflict with "kubectl"' in causes[0]["message"]
    after = raw(server, f"{JOBS}/trace-job")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["spec"]["backoffLimit"] == 1 and entries(after, "x") == []

    r = apply_raw(server, f"{JOBS}/trace-job", cfg, manager="x", force=True)
    assert r.status == 200, r
    job = raw(server, f"{JOBS}/trace-job")
    assert job["spec"]["backoffLimit"] == 3
    assert entry(job, "x")["fieldsV1"] == {"f:spec": {"f:backoffLimit": {}}}
    assert "f:backoffLimit" not in entry(job, "kubectl")["fieldsV1"]["f:spec"]


def test_raw_apply_needs_field_manager_and_creates_missing_objects(server):
    """Apply without fieldManager is a 400; apply to a missing object creates it (201)."""
    cfg = json.loads(cm_yaml(name="new"))
    r = apply_raw(server, f"{CM_PATH}/new", cfg, manager=None)
    assert r.status == 400, r
    assert r.json()["reason"] == "BadRequest" and "fieldManager" in r.json()["message"]
    assert raw(server, f"{CM_PATH}/new") is None

    r = apply_raw(server, f"{CM_PATH}/new", cfg, manager="x")
    assert r.status == 201, r
    created = r.json()
    assert created["data"] == {"k1": "a", "k2": "b"}
    e = entry(created, "x")
    assert e["operation"] == "Apply" and e["fieldsV1"] == {"f:data": {"f:k1": {}, "f:k2": {}}}
    stored = raw(server, f"{CM_PATH}/new")
    assert stored["metadata"]["uid"] == created["metadata"]["uid"]
    # Applying it again answers 200 with the same object.
    r = apply_raw(server, f"{CM_PATH}/new", cfg, manager="x")
    assert r.status == 200, r
    assert r.json()["metadata"]["uid"] == created["metadata"]["uid"]
    assert r.json()["data"] == created["data"]
    stored = raw(server, f"{CM_PATH}/new")

    # On an existing object a body name that differs from the URL is a 400.
    other = dict(cfg, metadata={"name": "other"})
    r = apply_raw(server, f"{CM_PATH}/new", other, manager="x")
    assert r.status == 400, r
    assert "does not match the name on the URL" in r.json()["message"]
    assert raw(server, f"{CM_PATH}/other") is None
    assert raw(server, f"{CM_PATH}/new")["metadata"]["resourceVersion"] == \
        stored["metadata"]["resourceVersion"]



def test_yaml_bodies(server):
    """Apply configurations in block YAML, and application/yaml creates and updates."""
    r = apply_raw(server, f"{CM_PATH}/yaml",
                  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml\n"
                  "data:\n  flag: 'yes'\n  script: |\n    echo hi\n", manager="x")
    assert r.status == 201, r
    assert raw(server, f"{CM_PATH}/yaml")["data"] == {"flag": "yes", "script": "echo hi\n"}
    r = server.request("POST", CM_PATH, "apiVersion: v1\nkind: ConfigMap\n"
                       "metadata: {name: fromyaml, labels: {a: b}}\ndata: {k: v}\n",
                       content_type="application/yaml")
    assert r.status == 201, r
    got = raw(server, f"{CM_PATH}/fromyaml")
    assert got["data"] == {"k": "v"} and got["metadata"]["labels"] == {"a": "b"}
    r = server.request("PUT", f"{CM_PATH}/fromyaml",
                       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fromyaml}\n"
                       "data: {k: w}\n", content_type="application/yaml")
    assert r.status == 200, r
    assert raw(server, f"{CM_PATH}/fromyaml")["data"] == {"k": "w"}
    # Bad YAML: a 400 naming the line; an unknown or duplicate field under Strict: a 400.
    before = raw(server, f"{CM_PATH}/fromyaml")
    for body, want in (("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n", "yaml: line"),
                       ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nbogus: 1\n",
                        'unknown field "bogus"'),
                       ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, name: x2}\n",
                        'duplicate field "metadata.name"'),
                       ("a: 1\n---\nb: 2\n", "more than one document")):
        r = server.request("POST", CM_PATH + "?fieldValidation=Strict", body,
                           content_type="application/yaml")
        assert r.status == 400 and want in r.json()["message"], (body, r)
        r = apply_raw(server, f"{CM_PATH}/x", body, manager="x", extra="fieldValidation=Strict")
        assert r.status == 400, (body, r)
    assert raw(server, f"{CM_PATH}/x") is None and raw(server, f"{CM_PATH}/x2") is None
    assert raw(server, f"{CM_PATH}/fromyaml") == before


def test_raw_apply_create_checks_the_url_name(server):
    """Apply to a missing object with another name in the body: 400, nothing created."""
    cfg = json.loads(cm_yaml(name="zzz"))
    r = apply_raw(server, f"{CM_PATH}/other2", cfg, manager="x")
    created = raw(server, f"{CM_PATH}/zzz")
    assert r.status == 400, r
    assert "does not match the name on the URL" in r.json()["message"]
    assert created is None and raw(server, f"{CM_PATH}/other2") is None


def test_raw_apply_strict_field_validation(server):
    """Apply with fieldValidation=Strict rejects unknown fields; nothing created."""
    cfg = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"},
           "dataz": {"k": "v"}}
    r = apply_raw(server, f"{CM_PATH}/s", cfg, manager="x", extra="fieldValidation=Strict")
    assert r.status == 400, r
    assert 'strict decoding error: unknown field "dataz"' in r.json()["message"]
    assert raw(server, f"{CM_PATH}/s") is None


# ---- 2. managedFields on ordinary writes --------------------------------------------------

def test_managed_fields_on_create_label_and_status(server):
    """create, label and a status patch each record an Update entry under their manager."""
    server.kubectl("create", "-f", "-", input=json.dumps(pod("p")))
    p = get_json(server, "pod", "p")
    e = entry(p, "kubectl-create")
    assert e["operation"] == "Update" and e["apiVersion"] == "v1" and "subresource" not in e
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["time"]), e["time"]
    c = e["fieldsV1"]["f:spec"]["f:containers"]['k:{"name":"c"}']
    assert {".", "f:image", "f:name"} <= set(c)

    server.kubectl("label", "pod", "p", "team=ml")
    p = get_json(server, "pod", "p")
    e = entry(p, "kubectl-label")
    assert e["operation"] == "Update"
    assert e["fieldsV1"] == {"f:metadata": {"f:labels": {".": {}, "f:team": {}}}}
    assert entry(p, "kubectl-create")  # still there

    server.kubectl("patch", "pod", "p", "--subresource=status", "--type=merge", "-p",
                   '{"status":{"phase":"Running"}}')
    p = get_json(server, "pod", "p")
    assert p["status"]["phase"] == "Running"
    e = entry(p, "kubectl-patch")
    assert e["operation"] == "Update" and e["subresource"] == "status"
    assert e["fieldsV1"] == {"f:status": {"f:phase": {}}}

    # A raw write names its manager by ?fieldManager=.
    r = server.request("PATCH", f"{PODS}/p?fieldManager=robot",
                       {"metadata": {"annotations": {"a": "1"}}}, content_type=MERGE)
    assert r.status == 200, r
    e = entry(raw(server, f"{PODS}/p"), "robot")
    assert e["fieldsV1"] == {"f:metadata": {"f:annotations": {".": {}, "f:a": {}}}}


def test_managed_fields_cannot_be_set_to_garbage(server):
    """A write with an invalid managedFields entry is rejected and changes nothing."""
    server.kubectl("create", "-f", "-", input=cm_yaml())
    before = raw(server, f"{CM_PATH}/cm")
    r = server.request("PATCH", f"{CM_PATH}/cm",
                       {"metadata": {"managedFields": [{"manager": "m", "operation": "Bogus",
                                                        "fieldsType": "FieldsV1",
                                                        "fieldsV1": {"f:data": {}}}]}},
                       content_type=MERGE)
    assert r.status in (400, 422), r
    after = raw(server, f"{CM_PATH}/cm")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["metadata"]["managedFields"] == before["metadata"]["managedFields"]


# ---- 3. client-side apply, then server-side apply -----------------------------------------

def test_client_side_then_server_side_apply_migration(server):
    """An object from `kubectl apply` moves to --server-side; later removals still work."""
    cfg = cm_yaml(name="mig", labels={"a": "1"})
    r = server.kubectl("apply", "-f", "-", input=cfg)
    assert "configmap/mig created" in r.stdout
    cm = get_json(server, "cm", "mig")
    assert entry(cm, "kubectl-client-side-apply")["operation"] == "Update"
    assert "kubectl.kubernetes.io/last-applied-configuration" in cm["metadata"]["annotations"]

    r = server.kubectl("apply", "--server-side", "-f", "-", input=cfg)
    assert "configmap/mig serverside-applied" in r.stdout
    assert "failed to re-apply" not in r.stderr, r.stderr
    cm = get_json(server, "cm", "mig")
    # kubectl moved the client-side manager's fields to its Apply entry.
    assert entries(cm, "kubectl-client-side-apply") == []
    e = entry(cm, "kubectl")
    assert e["operation"] == "Apply"
    assert e["fieldsV1"]["f:data"] == {"f:k1": {}, "f:k2": {}}
    assert entry(cm, "kubectl-last-applied")["fieldsV1"] == \
        {"f:metadata": {"f:annotations": {"f:kubectl.kubernetes.io/last-applied-configuration":
                                          {}}}}

    # After the migration, a field dropped from the configuration is removed.
    r = server.kubectl("apply", "--server-side", "-f", "-",
                       input=cm_yaml(name="mig", data={"k1": "a"}, labels={"a": "1"}))
    assert "serverside-applied" in r.stdout
    cm = get_json(server, "cm", "mig")
    assert cm["data"] == {"k1": "a"}
    assert cm["metadata"]["labels"] == {"a": "1"}
    assert entry(cm, "kubectl")["fieldsV1"]["f:data"] == {"f:k1": {}}


def wait_for_next_second(stamp):
    """Polls (with a deadline) until the UTC wall-clock second differs from `stamp`."""
    wait_until(lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) != stamp, timeout=3,
               interval=0.05, what="the next second")


@pytest.mark.parametrize("via", ["kubectl", "raw"])
def test_repeated_identical_apply_is_a_noop(server, via):
    """Applying the same configuration again writes nothing, even a second later."""
    def apply():
        if via == "kubectl":
            server.kubectl("apply", "--server-side", "-f", "-", input=cm_yaml())
        else:
            r = apply_raw(server, f"{CM_PATH}/cm", json.loads(cm_yaml()), manager="kubectl")
            assert r.status in (200, 201), r
    apply()
    before = get_json(server, "cm", "cm")
    wait_for_next_second(entry(before, "kubectl")["time"])
    apply()
    after = get_json(server, "cm", "cm")
    assert after["metadata"]["managedFields"] == before["metadata"]["managedFields"]
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_server_side_apply_keeps_last_applied_annotation_in_step(server):
    """After CSA then SSA, the last-applied annotation holds the server-side configuration."""
    server.kubectl("apply", "-f", "-", input=cm_yaml(name="mig"))
    server.kubectl("apply", "--server-side", "-f", "-",
                   input=cm_yaml(name="mig", data={"k1": "a"}))
    cm = get_json(server, "cm", "mig")
    assert cm["data"] == {"k1": "a"}
    last = json.loads(cm["metadata"]["annotations"]
                      ["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["data"] == {"k1": "a"}, last


def test_client_side_then_server_side_apply_with_changed_value(server):
    """Moving to --server-side while changing a value does not conflict with one's own CSA."""
    server.kubectl("apply", "-f", "-", input=cm_yaml(name="mig"))
    r = server.kubectl("apply", "--server-side", "-f", "-",
                       input=cm_yaml(name="mig", data={"k1": "a", "k2": "c"}), check=False)
    assert r.returncode == 0, r.stderr
    assert get_json(server, "cm", "mig")["data"] == {"k1": "a", "k2": "c"}


def test_client_side_then_server_side_apply_job(server):
    """The reference trace: `kubectl apply` job.yaml, then --server-side job-v2.yaml, twice."""
    server.kubectl("apply", "-f", "-", input=JOB_YAML)
    csa = entry(get_json(server, "job", "trace-job"), "kubectl-client-side-apply")["fieldsV1"]
    r = server.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-",
                       input=JOB_V2_YAML)
    assert "job.batch/trace-job serverside-applied" in r.stdout
    assert "failed to re-apply" not in r.stderr, r.stderr
    r = server.kubectl("apply", "--server-side", "-f", "-", input=JOB_V2_YAML, check=False)
    assert r.returncode == 0, r.stderr
    job = get_json(server, "job", "trace-job")
    assert job["metadata"]["labels"] == {"app": "trace-job", "rev": "2"}
    assert entries(job, "kubectl-client-side-apply") == []
    # As in the trace: the generated selector and template labels were owned by nobody.
    assert "f:selector" not in csa["f:spec"], csa
    assert "f:metadata" not in csa["f:spec"]["f:template"], csa


def test_apply_removing_defaulted_field_restores_default(server):
    """Dropping backoffLimit from the applied configuration gives back the default, 6."""
    server.kubectl("apply", "--server-side", "-f", "-", input=JOB_YAML)
    server.kubectl("apply", "--server-side", "-f", "-",
                   input=JOB_YAML.replace("  backoffLimit: 1\n", ""))
    job = raw(server, f"{JOBS}/trace-job")
    assert job["spec"].get("backoffLimit") == 6, job["spec"]


def test_patch_removing_defaulted_field_restores_default(server):
    """Every write is defaulted again: a merge patch setting backoffLimit to null gives 6."""
    server.kubectl("apply", "-f", "-", input=JOB_YAML)
    server.kubectl("patch", "job", "trace-job", "--type=merge", "-p",
                   '{"spec":{"backoffLimit":null}}')
    job = raw(server, f"{JOBS}/trace-job")
    assert job["spec"]["backoffLimit"] == 6, job["spec"]
    # A JSON patch removing a defaulted pod-template field: it comes back, so the immutable
    # template is unchanged and the patch is accepted as a no-op.
    r = server.kubectl("patch", "job", "trace-job", "--type=json", "-p",
                       '[{"op":"remove","path":"/spec/template/spec/dnsPolicy"}]', check=False)
    assert r.returncode == 0, r.stderr
    assert raw(server, f"{JOBS}/trace-job")["spec"]["template"]["spec"]["dnsPolicy"] == \
        "ClusterFirst"


# ---- 4. kubectl explain -------------------------------------------------------------------

def test_explain_builtin_types(server):
    """explain walks the served OpenAPI schemas of core, batch and scheduling.x-k8s.io."""
    out = server.kubectl("explain", "pod.spec.containers").stdout
    assert re.search(r"^KIND:\s+Pod$", out, re.M), out
    assert re.search(r"^VERSION:\s+v1$", out, re.M)
    assert "FIELD: containers <[]Container>" in out
    fields = re.findall(r"^  ([a-zA-Z]+)\t<", out, re.M)
    for f in ("image", "resources", "name", "command", "env", "volumeMounts"):
        assert f in fields, fields
    assert re.search(r"^  name\t<string> -required-$", out, re.M), out
    assert re.search(r"^  resources\t<ResourceRequirements>$", out, re.M), out

    out = server.kubectl("explain", "jobs.spec.backoffLimit").stdout
    assert re.search(r"^GROUP:\s+batch$", out, re.M), out
    assert re.search(r"^KIND:\s+Job$", out, re.M)
    assert "FIELD: backoffLimit <integer>" in out

    out = server.kubectl("explain", "podgroups.spec").stdout
    assert re.search(r"^GROUP:\s+scheduling.x-k8s.io$", out, re.M), out
    assert re.search(r"^VERSION:\s+v1alpha1$", out, re.M)
    assert re.search(r"^  minMember\t<integer>", out, re.M), out

    r = server.kubectl("explain", "pod.spec.containers.imagePullPolice", check=False)
    assert r.returncode != 0
    assert 'field "imagePullPolice" does not exist' in r.stderr, r.stderr
    r = server.kubectl("explain", "nosuchkinds", check=False)
    assert r.returncode != 0


def test_explain_custom_resource(server):
    """explain a CRD kind uses its openAPIV3Schema; it follows schema changes."""
    r = server.kubectl("explain", "trainings", check=False)
    assert r.returncode != 0  # not served yet
    create_crd(server)
    out = server.kubectl("explain", "trainings.spec").stdout
    assert re.search(r"^GROUP:\s+ml.example.com$", out, re.M), out
    assert re.search(r"^KIND:\s+Training$", out, re.M)
    assert re.search(r"^  workers\t<integer> -required-$", out, re.M), out
    assert re.search(r"^  image\t<string>$", out, re.M), out
    r = server.kubectl("explain", "trainings.spec.gpus", check=False)
    assert r.returncode != 0 and 'field "gpus" does not exist' in r.stderr, r.stderr

    server.kubectl("patch", "crd", "trainings.ml.example.com", "--type=json", "-p", json.dumps(
        [{"op": "add", "path": "/spec/versions/0/schema/openAPIV3Schema/properties/spec/"
                               "properties/gpus",
          "value": {"type": "integer", "description": "GPUs per worker."}}]))
    out = wait_until(lambda: (lambda r: r.returncode == 0 and r.stdout)(
        server.kubectl("explain", "trainings.spec.gpus", check=False)), timeout=10,
        what="explain trainings.spec.gpus")
    assert "FIELD: gpus <integer>" in out
    assert "GPUs per worker." in out


# ---- 5. field validation ------------------------------------------------------------------

BAD_POD = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "bad", "labelz": {"a": "b"}},
           "spec": {"containers": [{"name": "c", "image": "busybox:1.36",
                                    "imagePullPolice": "Always"}]}}


def test_kubectl_create_strict_rejects_unknown_fields(server):
    """kubectl's default --validate=strict: 400 naming both unknown fields, nothing created."""
    r = server.kubectl("create", "-f", "-", input=json.dumps(BAD_POD), check=False)
    assert r.returncode != 0
    assert "strict decoding error:" in r.stderr, r.stderr
    assert 'unknown field "spec.containers[0].imagePullPolice"' in r.stderr
    assert 'unknown field "metadata.labelz"' in r.stderr
    assert raw(server, f"{PODS}/bad") is None


def test_kubectl_create_validate_warn_prunes(server):
    """--validate=warn: created, a Warning per unknown field, the fields pruned."""
    r = server.kubectl("create", "--validate=warn", "-f", "-", input=json.dumps(BAD_POD))
    assert "pod/bad created" in r.stdout
    assert 'Warning: unknown field "spec.containers[0].imagePullPolice"' in r.stderr, r.stderr
    assert 'Warning: unknown field "metadata.labelz"' in r.stderr
    stored = raw(server, f"{PODS}/bad")
    text = json.dumps(stored)
    assert "imagePullPolice" not in text and "labelz" not in text
    # The known fields are kept (and defaulted as usual).
    assert stored["spec"]["containers"][0]["image"] == "busybox:1.36"


def test_field_validation_ignore_and_warn(server):
    """Ignore: 201, no Warning, pruned. Warn: one Warning header per unknown field."""
    status, warnings, body = request_warnings(server, "POST", f"{PODS}?fieldValidation=Ignore",
                                              pod("ign", foo=1))
    assert status == 201, body
    assert warnings == []
    assert "foo" not in raw(server, f"{PODS}/ign")["spec"]

    status, warnings, body = request_warnings(
        server, "POST", f"{PODS}?fieldValidation=Warn",
        pod("warn", foo=1, containers=[{"name": "c", "image": "x", "zzz": True}]))
    assert status == 201, body
    assert sorted(warnings) == sorted([
        '299 - "unknown field \\"spec.foo\\""',
        '299 - "unknown field \\"spec.containers[0].zzz\\""']), warnings
    stored = raw(server, f"{PODS}/warn")
    assert "foo" not in stored["spec"] and "zzz" not in stored["spec"]["containers"][0]

    # Without the parameter the server's default for raw requests is Warn too.
    status, warnings, _ = request_warnings(server, "POST", PODS, pod("dflt", foo=1))
    assert status == 201
    assert warnings == ['299 - "unknown field \\"spec.foo\\""']


def test_field_validation_strict_unknown_and_duplicate(server):
    """Strict: unknown fields and duplicate keys in the JSON text are 400s; nothing created."""
    r = server.request("POST", f"{PODS}?fieldValidation=Strict", pod("u", foo=1))
    assert r.status == 400 and r.json()["reason"] == "BadRequest", r
    assert 'strict decoding error: unknown field "spec.foo"' in r.json()["message"]
    assert raw(server, f"{PODS}/u") is None

    dup = ('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","name":"b"},'
           '"spec":{"containers":[{"name":"c","image":"busybox"}]}}')
    r = server.request("POST", f"{PODS}?fieldValidation=Strict", dup)
    assert r.status == 400, r
    assert 'duplicate field "metadata.name"' in r.json()["message"], r
    assert raw(server, f"{PODS}/a") is None and raw(server, f"{PODS}/b") is None

    status, warnings, body = request_warnings(
        server, "POST", f"{PODS}?fieldValidation=Warn",
        dup.replace('"name":"a","name":"b"', '"name":"d","name":"d"'))
    assert status == 201, body
    assert warnings == ['299 - "duplicate field \\"metadata.name\\""'], warnings

    r = server.request("POST", f"{PODS}?fieldValidation=Bogus", pod("bogus"))
    assert r.status == 400, r
    assert "fieldValidation" in r.json()["message"]
    assert raw(server, f"{PODS}/bogus") is None


@pytest.mark.parametrize("mode", ["Strict", "Warn", "Ignore"])
def test_wrong_types_are_rejected_in_every_mode(server, mode):
    """A wrong type is a 400 whatever fieldValidation says; nothing is created."""
    r = server.request("POST", f"{PODS}?fieldValidation={mode}", pod("t1", containers="x"))
    assert r.status == 400, r
    assert "spec.containers" in r.json()["message"] and "array" in r.json()["message"]
    r = server.request("POST", f"{PODS}?fieldValidation={mode}",
                       pod("t2", terminationGracePeriodSeconds="30"))
    assert r.status == 400, r
    assert "spec.terminationGracePeriodSeconds" in r.json()["message"]
    assert "integer" in r.json()["message"]
    assert raw(server, PODS)["items"] == []


# No scheduler: it would write the unschedulable pod's PodScheduled condition at a moment of
# its own, and the resourceVersion compared below would move (it did, once the store's
# commit delay shifted that moment).
@pytest.mark.server_args("--disable", "scheduler")
def test_patches_are_field_validated(server):
    """Unknown fields in merge, strategic and JSON patches: Strict 400, object unchanged."""
    server.kubectl("create", "-f", "-", input=json.dumps(pod("p")))
    before = raw(server, f"{PODS}/p")
    for ctype, body in ((MERGE, {"metadata": {"labels": {"x": "1"}}, "spec": {"foo": 1}}),
                        ("application/strategic-merge-patch+json", {"spec": {"foo": 1}}),
                        ("application/json-patch+json",
                         [{"op": "add", "path": "/spec/foo", "value": 1}])):
        r = server.request("PATCH", f"{PODS}/p?fieldValidation=Strict", body,
                           content_type=ctype)
        assert r.status == 400, (ctype, r)
        assert 'unknown field "spec.foo"' in r.json()["message"]
        after = raw(server, f"{PODS}/p")
        assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
        assert "labels" not in after["metadata"] and "foo" not in after["spec"]

    # Warn: the known part is applied, the unknown one pruned, with a Warning.
    status, warnings, body = request_warnings(
        server, "PATCH", f"{PODS}/p?fieldValidation=Warn",
        {"metadata": {"labels": {"x": "1"}}, "spec": {"foo": 1}}, content_type=MERGE)
    assert status == 200, body
    assert warnings == ['299 - "unknown field \\"spec.foo\\""']
    after = raw(server, f"{PODS}/p")
    assert after["metadata"]["labels"] == {"x": "1"} and "foo" not in after["spec"]

    # PUT is validated the same way.
    full = dict(after)
    full["spec"] = dict(after["spec"], foo=1)
    r = server.request("PUT", f"{PODS}/p?fieldValidation=Strict", full)
    assert r.status == 400, r
    assert raw(server, f"{PODS}/p")["metadata"]["resourceVersion"] == \
        after["metadata"]["resourceVersion"]


# ---- 6. CRD schema validation -------------------------------------------------------------

def assert_invalid(r, field, text):
    assert r.status == 422, r
    st = r.json()
    assert st["reason"] == "Invalid", st
    assert f"{field}: {text}" in st["message"], st["message"]
    assert any(c["field"] == field for c in st["details"]["causes"]), st


def test_crd_schema_validation_on_create(server):
    """required, type and minimum of the Training schema: 422 naming the field; no object."""
    create_crd(server)
    r = server.request("POST", TRAININGS, training("a", {"image": "x"}))
    assert_invalid(r, "spec.workers", "Required value")
    assert r.json()["details"]["causes"][0]["reason"] == "FieldValueRequired"
    r = server.request("POST", TRAININGS, training("b", {"workers": "four"}))
    assert_invalid(r, "spec.workers", "Invalid value")
    assert "must be of type integer" in r.json()["message"]
    r = server.request("POST", TRAININGS, training("c", {"workers": 0}))
    assert_invalid(r, "spec.workers", "Invalid value: 0")
    assert "greater than or equal to 1" in r.json()["message"]
    r = server.request("POST", TRAININGS, training("d", {"workers": 2, "image": 7}))
    assert_invalid(r, "spec.image", "Invalid value")
    # kubectl sees the same 422.
    r = server.kubectl("create", "-f", "-", input=json.dumps(training("k", {"workers": 0})),
                       check=False)
    assert r.returncode != 0 and "spec.workers" in r.stderr, r.stderr
    assert raw(server, TRAININGS)["items"] == []

    r = server.request("POST", TRAININGS, training("ok", {"workers": 1}))
    assert r.status == 201, r


def test_crd_unknown_fields_pruned_or_rejected(server):
    """Unknown fields in a custom object: pruned under Warn/Ignore, 400 under Strict."""
    create_crd(server)
    r = server.request("POST", f"{TRAININGS}?fieldValidation=Strict",
                       training("s", {"workers": 2, "extra": 1}))
    assert r.status == 400, r
    assert 'unknown field "spec.extra"' in r.json()["message"]
    r = server.request("POST", f"{TRAININGS}?fieldValidation=Strict",
                       training("s", {"workers": 2}, top=1))
    assert r.status == 400 and 'unknown field "top"' in r.json()["message"], r
    assert raw(server, f"{TRAININGS}/s") is None

    status, warnings, body = request_warnings(server, "POST", f"{TRAININGS}?fieldValidation=Warn",
                                              training("w", {"workers": 2, "extra": 1}))
    assert status == 201, body
    assert warnings == ['299 - "unknown field \\"spec.extra\\""'], warnings
    assert raw(server, f"{TRAININGS}/w")["spec"] == {"workers": 2}

    status, warnings, body = request_warnings(server, "POST",
                                              f"{TRAININGS}?fieldValidation=Ignore",
                                              training("i", {"workers": 2, "extra": 1}))
    assert status == 201 and warnings == [], body
    assert raw(server, f"{TRAININGS}/i")["spec"] == {"workers": 2}


def test_crd_patches_that_break_the_schema(server):
    """Patches, PUTs and status writes that break the schema: 422, object unchanged."""
    create_crd(server)
    assert server.request("POST", TRAININGS, training("t", {"workers": 2})).status == 201
    before = raw(server, f"{TRAININGS}/t")
    rv = before["metadata"]["resourceVersion"]

    r = server.request("PATCH", f"{TRAININGS}/t", {"spec": {"workers": 0}}, content_type=MERGE)
    assert_invalid(r, "spec.workers", "Invalid value: 0")
    r = server.request("PATCH", f"{TRAININGS}/t", {"spec": {"workers": None}},
                       content_type=MERGE)
    assert_invalid(r, "spec.workers", "Required value")
    r = server.request("PATCH", f"{TRAININGS}/t",
                       [{"op": "replace", "path": "/spec/workers", "value": "many"}],
                       content_type="application/json-patch+json")
    assert_invalid(r, "spec.workers", "Invalid value")
    r = server.request("PUT", f"{TRAININGS}/t",
                       dict(training("t", {"workers": -1}), metadata=before["metadata"]))
    assert_invalid(r, "spec.workers", "Invalid value: -1")
    r = server.request("PATCH", f"{TRAININGS}/t/status", {"status": {"phase": 5}},
                       content_type=MERGE)
    assert_invalid(r, "status.phase", "Invalid value")
    r = server.kubectl("patch", "tr", "t", "--type=merge", "-p", '{"spec":{"workers":0}}',
                       check=False)
    assert r.returncode != 0 and "spec.workers" in r.stderr, r.stderr
    # Server-side apply is validated too.
    r = apply_raw(server, f"{TRAININGS}/t", training("t", {"workers": 0}), manager="x",
                  force=True)
    assert_invalid(r, "spec.workers", "Invalid value: 0")

    after = raw(server, f"{TRAININGS}/t")
    assert after["metadata"]["resourceVersion"] == rv
    assert after["spec"] == {"workers": 2} and "status" not in after

    # A valid change still goes through.
    r = server.request("PATCH", f"{TRAININGS}/t", {"spec": {"workers": 3}}, content_type=MERGE)
    assert r.status == 200, r
    assert raw(server, f"{TRAININGS}/t")["spec"]["workers"] == 3


# ---- 7. OpenAPI documents -----------------------------------------------------------------

def openapi_paths(server):
    doc = server.get_json("/openapi/v3")
    return {k: v["serverRelativeURL"] for k, v in doc["paths"].items()}


def test_openapi_v3_index_and_documents(server):
    """The v3 index lists each group-version; a document holds the typed schemas."""
    paths = openapi_paths(server)
    for gv in ("api/v1", "apis/batch/v1", "apis/scheduling.x-k8s.io/v1alpha1"):
        assert gv in paths, sorted(paths)
        assert re.fullmatch(rf"/openapi/v3/{re.escape(gv)}\?hash=\w+", paths[gv]), paths[gv]
    assert "apis/ml.example.com/v1" not in paths

    doc = server.get_json(paths["api/v1"])
    assert doc["openapi"].startswith("3.")
    pod_schema = doc["components"]["schemas"]["io.k8s.api.core.v1.Pod"]
    assert pod_schema["x-kubernetes-group-version-kind"] == \
        [{"group": "", "kind": "Pod", "version": "v1"}]
    assert set(pod_schema["properties"]) >= {"apiVersion", "kind", "metadata", "spec", "status"}
    assert "io.k8s.api.core.v1.PodSpec" in doc["components"]["schemas"]
    assert any(p.startswith("/api/v1/namespaces/{namespace}/pods") for p in doc["paths"])
    # Without the hash the same document is served.
    assert server.get_json("/openapi/v3/api/v1") == doc

    batch = server.get_json(paths["apis/batch/v1"])
    assert batch["components"]["schemas"]["io.k8s.api.batch.v1.Job"][
        "x-kubernetes-group-version-kind"] == [{"group": "batch", "kind": "Job", "version": "v1"}]
    assert server.request("GET", "/openapi/v3/apis/nosuch.example.com/v1").status == 404


def test_openapi_v3_follows_crds(server):
    """A CRD adds its group-version; changing it changes only that hash; deleting removes it."""
    create_crd(server)
    paths = openapi_paths(server)
    assert "apis/ml.example.com/v1" in paths, sorted(paths)
    doc = server.get_json(paths["apis/ml.example.com/v1"])
    schema = doc["components"]["schemas"]["com.example.ml.v1.Training"]
    assert schema["x-kubernetes-group-version-kind"] == \
        [{"group": "ml.example.com", "kind": "Training", "version": "v1"}]
    spec = schema["properties"]["spec"]
    assert spec["required"] == ["workers"]
    assert spec["properties"]["workers"] == {"type": "integer", "minimum": 1}

    server.kubectl("patch", "crd", "trainings.ml.example.com", "--type=json", "-p", json.dumps(
        [{"op": "add", "path": "/spec/versions/0/schema/openAPIV3Schema/properties/spec/"
                               "properties/gpus", "value": {"type": "integer"}}]))
    changed = wait_until(
        lambda: (lambda p: p if p["apis/ml.example.com/v1"] != paths["apis/ml.example.com/v1"]
                 else None)(openapi_paths(server)), timeout=10, what="new openapi hash")
    for gv, url in paths.items():
        if gv != "apis/ml.example.com/v1":
            assert changed[gv] == url, gv
    doc = server.get_json(changed["apis/ml.example.com/v1"])
    assert "gpus" in doc["components"]["schemas"]["com.example.ml.v1.Training"]["properties"][
        "spec"]["properties"]

    server.kubectl("delete", "crd", "trainings.ml.example.com")
    wait_until(lambda: "apis/ml.example.com/v1" not in openapi_paths(server), timeout=10,
               what="group-version gone from /openapi/v3")


def test_openapi_v2(server):
    """v2 as JSON is a swagger 2.0 document; protobuf alone is a 404 (kubectl falls back)."""
    r = server.request("GET", "/openapi/v2", headers={"Accept": "application/json"})
    assert r.status == 200, r
    assert r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    assert doc["swagger"] == "2.0"
    job = doc["definitions"]["io.k8s.api.batch.v1.Job"]
    assert job["x-kubernetes-group-version-kind"] == \
        [{"group": "batch", "kind": "Job", "version": "v1"}]
    assert "io.k8s.api.core.v1.Pod" in doc["definitions"]

    proto = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    r = server.request("GET", "/openapi/v2", headers={"Accept": proto})
    assert r.status == 404, r
    r = server.request("GET", "/openapi/v2", headers={"Accept": f"{proto}, application/json"})
    assert r.status == 200 and r.json()["swagger"] == "2.0", r
