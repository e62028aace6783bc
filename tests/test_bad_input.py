"""End-to-end: every class of bad input gets the right 4xx metav1.Status, and nothing is lost.

Each test checks the exact HTTP code, that the body is a metav1.Status naming the problem,
and that the stored state (every object of every seeded collection, and the global
resourceVersion) is exactly what it was before the bad request.
"""

import json
import time
import urllib.parse

import pytest

from shoal_fixture import WatchStream, raw_exchange

CM_PATH = "/api/v1/namespaces/default/configmaps"
POD_PATH = "/api/v1/namespaces/default/pods"
COLLECTIONS = [
    "/api/v1/namespaces",
    "/api/v1/nodes",
    "/api/v1/pods",
    "/api/v1/configmaps",
    "/api/v1/secrets",
    "/apis/coordination.k8s.io/v1/leases",
]


def snapshot(server):
    """Every object of every seeded collection, by path, plus the newest resourceVersion."""
    state, newest = {}, 0
    for path in COLLECTIONS:
        lst = server.get_json(path)
        newest = max(newest, int(lst["metadata"]["resourceVersion"]))
        for item in lst["items"]:
            m = item["metadata"]
            state[(path, m.get("namespace", ""), m["name"])] = item
    return newest, state


def assert_status(r, code, reason, *needles):
    """`r` is a metav1.Status failure with this code and reason; its message has `needles`."""
    assert r.status == code, r
    body = r.json()
    assert body["kind"] == "Status" and body["apiVersion"] == "v1", body
    assert body["status"] == "Failure", body
    assert body["code"] == code, body
    assert body["reason"] == reason, body
    msg = body["message"]
    assert msg, body
    for n in needles:
        assert n in msg, (n, msg)
    return body


@pytest.fixture
def seeded(server):
    """A server holding a few objects of every kind, and a check that they survive the test."""
    ok = [
        ("POST", "/api/v1/namespaces", {"metadata": {"name": "team"}}),
        ("POST", CM_PATH, {"metadata": {"name": "existing", "labels": {"app": "a"}},
                           "data": {"k": "v"}}),
        ("POST", "/api/v1/namespaces/team/configmaps", {"metadata": {"name": "other"}}),
        ("POST", POD_PATH, {"metadata": {"name": "existing-pod"},
                            "spec": {"containers": [{"name": "c", "image": "busybox",
                                                     "resources": {"requests": {"cpu": "1"}}}]}}),
        ("POST", "/api/v1/nodes", {"metadata": {"name": "node-1"},
                                   "status": {"capacity": {"cpu": "4"}}}),
        ("POST", "/api/v1/namespaces/default/secrets", {"metadata": {"name": "s"},
                                                        "data": {"a": "Yg=="}}),
        ("POST", "/apis/coordination.k8s.io/v1/namespaces/default/leases",
         {"metadata": {"name": "l"}, "spec": {"holderIdentity": "me"}}),
    ]
    for method, path, body in ok:
        r = server.request(method, path, body)
        assert r.status == 201, (path, r)
    before = snapshot(server)
    yield server
    # The server neither crashed nor changed anything the bad requests touched.
    assert server.alive, "the server process died"
    assert server.request("GET", "/readyz", token=None).status == 200
    after = snapshot(server)
    assert after[0] == before[0], "the global resourceVersion moved: something was written"
    assert after[1] == before[1]
    assert "internal error" not in server.log_tail(10000)


def get(server, path):
    return server.request("GET", path)


# ---- malformed bodies --------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    b'{"metadata": {"name": "x"}, "data": {',   # truncated
    b'{"metadata": {"name": "x"}} trailing',     # garbage after the object
    b'{"metadata": {"name": "x",}}',             # trailing comma
    b"not json at all",
    b"",
    b"[1, 2, 3]",                                # not an object
    b'"a string"',
    b"\xff\xfe{}",                               # not UTF-8
])
def test_malformed_json_create(seeded, body):
    r = seeded.request("POST", CM_PATH, body)
    assert_status(r, 400, "BadRequest", "ConfigMap")


@pytest.mark.parametrize("body,needle", [
    ({"metadata": "name"}, "metadata"),
    ({"metadata": {"name": 7}}, "name"),
    ({"metadata": {"name": "x", "labels": ["a", "b"]}}, "labels"),
    ({"metadata": {"name": "x", "labels": {"a": 1}}}, "labels"),
    ({"metadata": {"name": "x", "annotations": "a=b"}}, "annotations"),
    ({"kind": 5, "metadata": {"name": "x"}}, "kind"),
])
def test_wrongly_typed_fields(seeded, body, needle):
    r = seeded.request("POST", CM_PATH, body)
    assert_status(r, 400, "BadRequest", needle)


def test_malformed_json_update_and_patch(seeded):
    path = CM_PATH + "/existing"
    r = seeded.request("PUT", path, b'{"metadata": {"name": "existing"}, "data": ')
    assert_status(r, 400, "BadRequest", "ConfigMap")
    r = seeded.request("PATCH", path, b'{"data": {"k": ',
                       content_type="application/merge-patch+json")
    assert_status(r, 400, "BadRequest")
    r = seeded.request("PATCH", path, b'[{"op": "replace", "path": "/data/k"',
                       content_type="application/json-patch+json")
    assert_status(r, 400, "BadRequest")
    r = seeded.request("PATCH", path, b'{"data": {"k": "z"}}', content_type="text/plain")
    assert_status(r, 415, "UnsupportedMediaType", "media types")
    r = seeded.request("DELETE", path, b"{not json")
    assert_status(r, 400, "BadRequest", "DeleteOptions")


# ---- body size ---------------------------------------------------------------------------


def oversized_configmap(name):
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                       "data": {"blob": "x" * (3 * 1024 * 1024 + 4096)}}).encode()


def raw_request(server, method, path, body, chunked=False):
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {server.token}\r\nContent-Type: application/json\r\n")
    if chunked:
        step = 256 * 1024
        payload = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + step]), body[i:i + step])
                           for i in range(0, len(body), step)) + b"0\r\n\r\n"
        head += "Transfer-Encoding: chunked\r\n\r\n"
    else:
        payload = body
        head += f"Content-Length: {len(body)}\r\n\r\n"
    return head.encode() + payload


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_over_3mib_is_413(seeded, chunked):
    r = raw_exchange(seeded, raw_request(seeded, "POST", CM_PATH, oversized_configmap("huge"),
                                         chunked=chunked))
    assert_status(r, 413, "RequestEntityTooLarge", "too large")
    r = raw_exchange(seeded, raw_request(seeded, "PUT", CM_PATH + "/existing",
                                         oversized_configmap("existing"), chunked=chunked))
    assert_status(r, 413, "RequestEntityTooLarge", "too large")
    assert get(seeded, CM_PATH + "/huge").status == 404


def test_body_just_under_the_limit_is_not_413(server):
    # The limit is on the body: 2 MiB is read in full and judged on its content.
    body = json.dumps({"metadata": {"name": "big-ok"},
                       "data": {"blob": "x" * (2 * 1024 * 1024)}}).encode()
    r = raw_exchange(server, raw_request(server, "POST", CM_PATH, body))
    assert r.status == 201, r
    assert len(server.get_json(CM_PATH + "/big-ok")["data"]["blob"]) == 2 * 1024 * 1024


# ---- kind / apiVersion / namespace vs. URL -----------------------------------------------


@pytest.mark.parametrize("body,needles", [
    ({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}}, ["Secret", "ConfigMap"]),
    ({"apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": {"name": "x"}}, ["apps/v1"]),
    ({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "x"}},
     ["coordination.k8s.io/v1"]),
])
def test_kind_or_api_version_not_matching_url(seeded, body, needles):
    r = seeded.request("POST", CM_PATH, body)
    assert_status(r, 400, "BadRequest", *needles)
    body = dict(body, metadata={"name": "existing"})
    r = seeded.request("PUT", CM_PATH + "/existing", body)
    assert_status(r, 400, "BadRequest", *needles)


def test_lease_with_core_api_version(seeded):
    r = seeded.request("POST", "/apis/coordination.k8s.io/v1/namespaces/default/leases",
                       {"apiVersion": "v1", "kind": "Lease", "metadata": {"name": "x"}})
    assert_status(r, 400, "BadRequest", "v1")


def test_namespace_mismatch(seeded):
    r = seeded.request("POST", CM_PATH, {"metadata": {"name": "x", "namespace": "team"}})
    assert_status(r, 400, "BadRequest", "namespace")
    r = seeded.request("PUT", CM_PATH + "/existing",
                       {"metadata": {"name": "existing", "namespace": "team"}})
    assert_status(r, 400, "BadRequest", "namespace")
    # Name in the body vs. the URL on update.
    r = seeded.request("PUT", CM_PATH + "/existing", {"metadata": {"name": "other"}})
    assert_status(r, 400, "BadRequest", "other", "existing")


def test_missing_namespace_is_not_found(seeded):
    r = seeded.request("POST", "/api/v1/namespaces/nope/configmaps", {"metadata": {"name": "x"}})
    assert_status(r, 404, "NotFound", "nope")
    r = get(seeded, "/api/v1/namespaces/nope/configmaps/x")
    assert_status(r, 404, "NotFound", "x")


# ---- names -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "Bad_Name", "UPPER", "-leading-dash", "trailing-dash-", "has space", "a" * 254, "dots..x",
    "under_score", "ünïcode",
])
def test_invalid_name_is_422(seeded, name):
    r = seeded.request("POST", CM_PATH, {"metadata": {"name": name}})
    body = assert_status(r, 422, "Invalid", "metadata.name", name)
    causes = body["details"]["causes"]
    assert causes and causes[0]["field"] == "metadata.name", body
    assert body["details"]["kind"] == "ConfigMap"


@pytest.mark.parametrize("name", ["with.dot", "a" * 64, "Team"])
def test_invalid_namespace_name_is_422(seeded, name):
    # Namespace names are DNS-1123 labels: no dots, at most 63 characters.
    r = seeded.request("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert_status(r, 422, "Invalid", "metadata.name", name)


def test_missing_name_is_422(seeded):
    r = seeded.request("POST", CM_PATH, {"metadata": {"labels": {"a": "b"}}})
    assert_status(r, 422, "Invalid", "metadata.name", "name or generateName is required")


@pytest.mark.parametrize("labels,needle", [
    ({"bad key": "v"}, "bad key"),
    ({"k": "bad value!"}, "bad value!"),
    ({"k": "v" * 64}, "v" * 64),
    ({"a/b/c": "v"}, "a/b/c"),
])
def test_invalid_labels_are_422(seeded, labels, needle):
    r = seeded.request("POST", CM_PATH, {"metadata": {"name": "lbl", "labels": labels}})
    assert_status(r, 422, "Invalid", "metadata.labels", needle)
    r = seeded.request("PATCH", CM_PATH + "/existing", {"metadata": {"labels": labels}},
                       content_type="application/merge-patch+json")
    assert_status(r, 422, "Invalid", "metadata.labels", needle)


# ---- unknown resources -------------------------------------------------------------------


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/v1/namespaces/default/widgets"),
    ("GET", "/api/v1/widgets"),
    ("POST", "/api/v1/namespaces/default/widgets"),
    ("GET", "/apis/example.com/v1/widgets"),
    ("GET", "/apis/coordination.k8s.io/v9/leases"),
    ("GET", "/api/v9/pods"),
    ("GET", "/api/v1/namespaces/default/configmaps/existing/log"),  # no such subresource
    ("GET", "/api/v1/namespaces/default/nodes"),  # nodes are not namespaced
    ("GET", "/api/v1/namespaces/default/widgets?watch=true"),
])
def test_unknown_resource_is_404(seeded, method, path):
    body = {"metadata": {"name": "w"}} if method == "POST" else None
    r = seeded.request(method, path, body)
    assert_status(r, 404, "NotFound", "could not find the requested resource")


def test_missing_object_is_404(seeded):
    r = get(seeded, CM_PATH + "/missing")
    body = assert_status(r, 404, "NotFound", 'configmaps "missing" not found')
    assert body["details"] == {"name": "missing", "kind": "configmaps"}
    r = seeded.request("PUT", CM_PATH + "/missing", {"metadata": {"name": "missing"}})
    assert_status(r, 404, "NotFound", "missing")
    r = seeded.request("DELETE", CM_PATH + "/missing")
    assert_status(r, 404, "NotFound", "missing")


# ---- selectors ---------------------------------------------------------------------------


def q(path, **params):
    return path + "?" + urllib.parse.urlencode(params)


@pytest.mark.parametrize("selector,needle", [
    ("a in (b", "expected: ',' or ')'"),
    ("!!a", "'!'"),
    ("a=b=c", "'='"),
    ("a b", "'b'"),
    ("in (x)", "'('"),
    ("-bad=x", "-bad"),
    ("k=" + "v" * 64, "v" * 64),
    ("a notin x", "'('"),
])
def test_bad_label_selector_is_400(seeded, selector, needle):
    for path in (CM_PATH, "/api/v1/configmaps"):
        for watch in (False, True):
            params = {"labelSelector": selector}
            if watch:
                params["watch"] = "true"
            r = seeded.request("GET", q(path, **params), timeout=10)
            body = assert_status(r, 400, "BadRequest", needle)
            assert body["message"].count("unable to parse requirement") <= 1, body["message"]
    # DELETE of a collection with a bad selector deletes nothing.
    r = seeded.request("DELETE", q(CM_PATH, labelSelector=selector))
    assert_status(r, 400, "BadRequest", needle)


@pytest.mark.parametrize("path,selector,needle", [
    (CM_PATH, "metadata.name", "metadata.name"),                  # no operator
    (CM_PATH, "metadata.name=a=b", "'='"),                        # unescaped =
    (CM_PATH, "spec.nodeName=x", "field label not supported: spec.nodeName"),
    (POD_PATH, "spec.foo=bar", "field label not supported: spec.foo"),
    (POD_PATH, "status.podIP<x", "status.podIP<x"),
    ("/api/v1/nodes", "spec.unschedulable=true,metadata.labels=x",
     "field label not supported: metadata.labels"),
])
def test_bad_field_selector_is_400(seeded, path, selector, needle):
    for watch in (False, True):
        params = {"fieldSelector": selector}
        if watch:
            params["watch"] = "true"
        r = seeded.request("GET", q(path, **params), timeout=10)
        body = assert_status(r, 400, "BadRequest", needle)
        assert body["message"].count("invalid field selector") <= 1, body["message"]


# ---- resourceVersion and paging parameters -----------------------------------------------


@pytest.mark.parametrize("params,needle", [
    ({"resourceVersion": "abc"}, "abc"),
    ({"resourceVersion": "-5"}, "-5"),
    ({"resourceVersion": "1.5"}, "1.5"),
    ({"resourceVersion": "1", "resourceVersionMatch": "Sometimes"}, "Sometimes"),
    ({"resourceVersionMatch": "Exact"}, "resourceVersionMatch"),
    ({"limit": "ten"}, "ten"),
    ({"continue": "!!!not-a-token"}, "continue"),
])
def test_bad_list_parameters_are_400(seeded, params, needle):
    r = get(seeded, q(CM_PATH, **params))
    assert_status(r, 400, "BadRequest", needle)


@pytest.mark.parametrize("rv", ["abc", "-5", "1.5", "0x10"])
def test_bad_watch_resource_version_is_400(seeded, rv):
    r = seeded.request("GET", q(CM_PATH, watch="true", resourceVersion=rv), timeout=10)
    assert_status(r, 400, "BadRequest", rv)
    r = seeded.request("GET", q(CM_PATH, watch="true", timeoutSeconds="soon"), timeout=10)
    assert_status(r, 400, "BadRequest", "soon")


def test_resource_version_from_the_future(seeded):
    # Well-formed but newer than anything the server has: kube-apiserver answers 504 Timeout
    # "Too large resource version" (after waiting for its cache); a watch must not start and
    # then deliver events older than the revision it was asked to start after.
    future = str(snapshot(seeded)[0] + 1000)
    r = get(seeded, q(CM_PATH, resourceVersion=future))
    assert_status(r, 504, "Timeout", "Too large resource version", future)
    r = seeded.request("GET", q(CM_PATH, watch="true", resourceVersion=future), timeout=10)
    assert_status(r, 504, "Timeout", "Too large resource version", future)


# ---- quantities --------------------------------------------------------------------------


TYPE_ERROR = "in body must be of type string or number"


@pytest.mark.parametrize("resources,why", [
    ({"requests": {"cpu": "12 cores"}}, "quantit"),
    ({"requests": {"memory": "1.5.5Gi"}}, "quantit"),
    ({"limits": {"memory": "lots"}}, "quantit"),
    ({"limits": {"nvidia.com/gpu": "8x"}}, "quantit"),
    # Not a string or number at all: the schema's type check answers first.
    ({"requests": {"cpu": True}}, TYPE_ERROR),
    ({"requests": {"cpu": {"value": 1}}}, TYPE_ERROR),
    ({"requests": {"cpu": ""}}, "quantit"),
])
def test_unparsable_quantity_is_400(seeded, resources, why):
    pod = {"metadata": {"name": "q"},
           "spec": {"containers": [{"name": "c", "image": "busybox", "resources": resources}]}}
    r = seeded.request("POST", POD_PATH, pod)
    body = assert_status(r, 400, "BadRequest", "Pod", why)
    # The same quantity through an update of an existing pod.
    cur = seeded.get_json(POD_PATH + "/existing-pod")
    cur["spec"]["containers"][0]["resources"] = resources
    r = seeded.request("PUT", POD_PATH + "/existing-pod", cur)
    assert_status(r, 400, "BadRequest", why)
    r = seeded.request("PATCH", POD_PATH + "/existing-pod",
                       {"spec": {"containers": [{"name": "c", "resources": resources}]}},
                       content_type="application/strategic-merge-patch+json")
    assert_status(r, 400, "BadRequest", why)
    assert body["message"]


def test_unparsable_node_capacity_is_400(seeded):
    r = seeded.request("POST", "/api/v1/nodes",
                       {"metadata": {"name": "n2"}, "status": {"capacity": {"cpu": "many"}}})
    assert_status(r, 400, "BadRequest", "Node", "quantit")
    r = seeded.request("PATCH", "/api/v1/nodes/node-1/status",
                       {"status": {"allocatable": {"memory": "10 GB"}}},
                       content_type="application/merge-patch+json")
    assert_status(r, 400, "BadRequest", "quantit")


# ---- authentication ----------------------------------------------------------------------


@pytest.mark.parametrize("headers,token", [
    ({}, None),                                             # no credentials
    ({}, "not-the-token"),                                  # wrong token
    ({}, ""),                                               # placeholder: empty bearer
    ({"Authorization": "Basic YWRtaW46YWRtaW4="}, None),    # wrong scheme
])
def test_unauthenticated_is_401(seeded, headers, token):
    if token == "":
        headers = {"Authorization": "Bearer "}
        token = None
    for method, path, body in [("GET", CM_PATH, None), ("GET", CM_PATH + "/existing", None),
                               ("POST", CM_PATH, {"metadata": {"name": "sneaky"}}),
                               ("DELETE", CM_PATH + "/existing", None),
                               ("GET", "/api", None), ("GET", "/apis", None),
                               ("GET", CM_PATH + "?watch=true", None)]:
        r = seeded.request(method, path, body, token=token, headers=headers, timeout=10)
        assert_status(r, 401, "Unauthorized")


def test_token_is_checked_exactly(seeded):
    for bad in (seeded.token[:-1], seeded.token + "x", seeded.token.upper()):
        if bad == seeded.token:
            continue
        assert seeded.request("GET", CM_PATH, token=bad).status == 401


@pytest.mark.parametrize("path", ["/readyz", "/livez", "/healthz", "/version",
                                  "/readyz?verbose", "/healthz/ping"])
def test_health_and_version_need_no_credentials(seeded, path):
    r = seeded.request("GET", path, token=None)
    assert r.status == 200, r
    if path == "/version":
        v = r.json()
        assert v["major"] == "1" and v["gitVersion"].startswith("v1.")
    elif "verbose" not in path:
        assert r.body == b"ok"


# ---- conflicts ---------------------------------------------------------------------------


def test_create_existing_is_409_already_exists(seeded):
    r = seeded.request("POST", CM_PATH, {"metadata": {"name": "existing"}, "data": {"k": "new"}})
    body = assert_status(r, 409, "AlreadyExists", 'configmaps "existing" already exists')
    assert body["details"]["name"] == "existing" and body["details"]["kind"] == "configmaps"
    r = seeded.request("POST", "/api/v1/nodes", {"metadata": {"name": "node-1"}})
    assert_status(r, 409, "AlreadyExists", 'nodes "node-1" already exists')
    r = seeded.request("POST", "/api/v1/namespaces", {"metadata": {"name": "default"}})
    assert_status(r, 409, "AlreadyExists", "default")


def test_stale_update_is_409_conflict(seeded):
    cur = seeded.get_json(CM_PATH + "/existing")
    stale = dict(cur, data={"k": "stale"})
    stale["metadata"] = dict(cur["metadata"], resourceVersion=str(int(
        cur["metadata"]["resourceVersion"]) - 1))
    r = seeded.request("PUT", CM_PATH + "/existing", stale)
    assert_status(r, 409, "Conflict", "the object has been modified", "existing")
    r = seeded.request("PATCH", CM_PATH + "/existing",
                       {"metadata": {"resourceVersion": "1"}, "data": {"k": "stale"}},
                       content_type="application/merge-patch+json")
    assert_status(r, 409, "Conflict", "existing")
    r = seeded.request("DELETE", CM_PATH + "/existing",
                       {"kind": "DeleteOptions", "apiVersion": "v1",
                        "preconditions": {"resourceVersion": "1"}})
    assert_status(r, 409, "Conflict", "existing")
    r = seeded.request("DELETE", CM_PATH + "/existing",
                       {"preconditions": {"uid": "00000000-0000-0000-0000-000000000000"}})
    assert_status(r, 409, "Conflict", "UID")


def test_namespace_default_cannot_be_deleted(seeded):
    r = seeded.request("DELETE", "/api/v1/namespaces/default")
    assert_status(r, 403, "Forbidden", "default")


# ---- too old resourceVersion -------------------------------------------------------------


def test_watch_and_list_from_a_too_old_resource_version_is_410(server):
    for i in range(5):
        assert server.request("POST", CM_PATH, {"metadata": {"name": f"c{i}"}}).status == 201
    old_rv = server.get_json(CM_PATH)["metadata"]["resourceVersion"]
    page = server.get_json(q(CM_PATH, limit="2"))
    token = page["metadata"]["continue"]
    assert token
    for i in range(5, 8):
        assert server.request("POST", CM_PATH, {"metadata": {"name": f"c{i}"}}).status == 201
    # A restart starts the watch cache from the store's current revision: older history is
    # gone (compacted), so resuming from before it is 410 Gone.
    server.restart()
    before = snapshot(server)
    assert len([k for k in before[1] if k[0] == "/api/v1/configmaps"]) == 8

    with WatchStream(server, q(CM_PATH, watch="true", resourceVersion=old_rv)) as w:
        if w.status == 200:
            events = w.read_until(lambda e: len(e) >= 1, timeout=10)
            assert len(events) == 1 and events[0]["type"] == "ERROR", events
            status = events[0]["object"]
            assert status["kind"] == "Status" and status["code"] == 410, status
            assert status["reason"] in ("Expired", "Gone"), status
            assert w.read_for(2) == [] and w.ended, "the stream goes on after the ERROR"
        else:
            assert w.status == 410
            status = json.loads(w.body())
            assert status["kind"] == "Status" and status["code"] == 410

    r = get(server, q(CM_PATH, resourceVersion=old_rv, resourceVersionMatch="Exact"))
    assert_status(r, 410, "Expired")
    r = get(server, q(CM_PATH, limit="2", **{"continue": token}))
    assert_status(r, 410, "Expired")

    # A watch from the current revision still works and sees the next change.
    cur = server.get_json(CM_PATH)["metadata"]["resourceVersion"]
    with WatchStream(server, q(CM_PATH, watch="true", resourceVersion=cur)) as w:
        assert w.status == 200
        assert server.request("POST", CM_PATH, {"metadata": {"name": "next"}}).status == 201
        events = w.read_until(lambda e: len(e) >= 1, timeout=10)
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
            ("ADDED", "next")]


@pytest.mark.server_args("--compaction-interval", "3")
def test_continue_tokens_and_watches_expire_after_the_compaction_interval(server):
    """The watch cache's history lasts one compaction interval (here 3 s), as the store's:
    a continue token or a watch from before it gets 410 Expired, without a restart."""
    for i in range(5):
        assert server.request("POST", CM_PATH, {"metadata": {"name": f"e{i}"}}).status == 201
    old_rv = server.get_json(CM_PATH)["metadata"]["resourceVersion"]
    page = server.get_json(q(CM_PATH, limit="2"))
    token = page["metadata"]["continue"]
    assert token and len(page["items"]) == 2
    # Within the interval the token reads the snapshot on, a change after it aside.
    assert server.request("POST", CM_PATH, {"metadata": {"name": "e5"}}).status == 201
    page2 = server.get_json(q(CM_PATH, limit="2", **{"continue": token}))
    assert [c["metadata"]["name"] for c in page2["items"]] == ["e2", "e3"]

    time.sleep(4.5)
    # The next configmap write trims the events older than 3 s from the history.
    assert server.request("POST", CM_PATH, {"metadata": {"name": "e6"}}).status == 201
    r = get(server, q(CM_PATH, limit="2", **{"continue": token}))
    assert_status(r, 410, "Expired")
    with WatchStream(server, q(CM_PATH, watch="true", resourceVersion=old_rv)) as w:
        if w.status == 200:
            events = w.read_until(lambda e: len(e) >= 1, timeout=10)
            assert len(events) == 1 and events[0]["type"] == "ERROR", events
            assert events[0]["object"]["code"] == 410, events
        else:
            assert w.status == 410
    # Nothing was lost: every configmap is listed, and a new page walk works.
    names = [c["metadata"]["name"] for c in server.get_json(CM_PATH)["items"]]
    assert [n for n in names if n.startswith("e")] == [f"e{i}" for i in range(7)]
    page = server.get_json(q(CM_PATH, limit="4"))
    rest = server.get_json(q(CM_PATH, limit="100", **{"continue": page["metadata"]["continue"]}))
    assert len(page["items"]) + len(rest["items"]) == len(names)
