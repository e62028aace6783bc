"""End-to-end: the Debian python3-kubernetes client against a fresh shoal server."""

import json
import threading

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from shoal_fixture import WatchStream, wait_until

NS = "default"


def cm(name, labels=None, data=None, finalizers=None, ns=NS):
    return client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name=name, namespace=ns, labels=labels,
                                     finalizers=finalizers),
        data=data if data is not None else {"k": name})


def pod(name, labels=None, node_name=None, ns=NS, image="busybox:1.36"):
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, namespace=ns, labels=labels),
        spec=client.V1PodSpec(
            node_name=node_name,
            containers=[client.V1Container(
                name="main", image=image, command=["sleep", "infinity"],
                resources=client.V1ResourceRequirements(requests={"cpu": "250m",
                                                                  "memory": "1Gi"}))]))


def names(items):
    return sorted(i.metadata.name for i in items)


def api_error(fn, *args, **kwargs):
    with pytest.raises(ApiException) as e:
        fn(*args, **kwargs)
    return e.value


# ---- create / read / delete --------------------------------------------------------------


def test_create_read_delete(k8s):
    v1 = client.CoreV1Api(k8s)
    created = v1.create_namespaced_config_map(NS, cm("c1", labels={"a": "b"},
                                                     data={"x": "1", "y": "2"}))
    assert created.metadata.uid and created.metadata.creation_timestamp
    rv = int(created.metadata.resource_version)
    assert rv > 0

    got = v1.read_namespaced_config_map("c1", NS)
    assert got.data == {"x": "1", "y": "2"}
    assert got.metadata.labels == {"a": "b"}
    assert got.metadata.uid == created.metadata.uid
    assert got.metadata.resource_version == created.metadata.resource_version

    p = v1.create_namespaced_pod(NS, pod("p1"))
    assert p.status.phase == "Pending"
    assert p.spec.containers[0].resources.requests == {"cpu": "250m", "memory": "1Gi"}
    assert p.spec.restart_policy == "Always"  # defaulted by the server
    got = v1.read_namespaced_pod("p1", NS)
    assert got.spec.containers[0].command == ["sleep", "infinity"]
    assert int(got.metadata.resource_version) > rv

    # generateName draws a fresh name.
    gen = v1.create_namespaced_config_map(
        NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(generate_name="gen-")))
    assert gen.metadata.name.startswith("gen-") and len(gen.metadata.name) == 9

    # Creating the same name again: 409 AlreadyExists.
    e = api_error(v1.create_namespaced_config_map, NS, cm("c1"))
    assert e.status == 409 and json.loads(e.body)["reason"] == "AlreadyExists"

    st = v1.delete_namespaced_config_map("c1", NS)
    assert st is not None
    e = api_error(v1.read_namespaced_config_map, "c1", NS)
    assert e.status == 404 and json.loads(e.body)["reason"] == "NotFound"
    e = api_error(v1.delete_namespaced_config_map, "c1", NS)
    assert e.status == 404
    assert names(v1.list_namespaced_config_map(NS).items) == [gen.metadata.name]

    # Cluster-scoped: nodes, and leases in another API group.
    node = v1.create_node(client.V1Node(metadata=client.V1ObjectMeta(name="n1")))
    assert node.metadata.name == "n1"
    coord = client.CoordinationV1Api(k8s)
    lease = coord.create_namespaced_lease(
        "kube-node-lease", client.V1Lease(metadata=client.V1ObjectMeta(name="n1"),
                                          spec=client.V1LeaseSpec(holder_identity="n1",
                                                                  lease_duration_seconds=40)))
    assert lease.spec.holder_identity == "n1"
    assert coord.read_namespaced_lease("n1", "kube-node-lease").spec.lease_duration_seconds == 40


def test_default_namespaces_exist(k8s):
    v1 = client.CoreV1Api(k8s)
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= {
        n.metadata.name for n in v1.list_namespace().items}


# ---- selectors ---------------------------------------------------------------------------


@pytest.fixture
def labelled(k8s):
    v1 = client.CoreV1Api(k8s)
    v1.create_namespaced_config_map(NS, cm("prod-web", {"env": "prod", "tier": "web"}))
    v1.create_namespaced_config_map(NS, cm("dev-db", {"env": "dev", "tier": "db"}))
    v1.create_namespaced_config_map(NS, cm("staging", {"env": "staging"}))
    v1.create_namespaced_config_map(NS, cm("bare"))
    return v1


@pytest.mark.parametrize("selector,expected", [
    ("env=prod", ["prod-web"]),
    ("env==prod", ["prod-web"]),
    ("env!=prod", ["bare", "dev-db", "staging"]),  # != also matches objects without the key
    ("env in (prod,dev)", ["dev-db", "prod-web"]),
    ("env notin (prod,dev)", ["bare", "staging"]),
    ("tier", ["dev-db", "prod-web"]),
    ("!tier", ["bare", "staging"]),
    ("env in (prod,dev),tier=db", ["dev-db"]),
    ("env,!tier", ["staging"]),
    ("env=nothing", []),
])
def test_list_label_selectors(labelled, selector, expected):
    got = labelled.list_namespaced_config_map(NS, label_selector=selector).items
    assert names(got) == expected
    # The same selector across all namespaces.
    got = labelled.list_config_map_for_all_namespaces(label_selector=selector).items
    assert names(got) == expected


def test_list_field_selectors(k8s):
    v1 = client.CoreV1Api(k8s)
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="other")))
    v1.create_namespaced_pod(NS, pod("on-a", {"app": "x"}, node_name="node-a"))
    v1.create_namespaced_pod(NS, pod("on-b", {"app": "y"}, node_name="node-b"))
    v1.create_namespaced_pod(NS, pod("unbound", {"app": "x"}))
    v1.create_namespaced_pod("other", pod("on-a", {"app": "x"}, node_name="node-a", ns="other"))

    # Move one pod to Running through /status.
    p = v1.read_namespaced_pod("on-b", NS)
    p.status.phase = "Running"
    v1.replace_namespaced_pod_status("on-b", NS, p)

    def sel(field, label=None, ns=NS):
        if ns is None:
            items = v1.list_pod_for_all_namespaces(field_selector=field,
                                                   label_selector=label).items
            return sorted(f"{i.metadata.namespace}/{i.metadata.name}" for i in items)
        return names(v1.list_namespaced_pod(ns, field_selector=field,
                                            label_selector=label).items)

    assert sel("metadata.name=on-a") == ["on-a"]
    assert sel("metadata.name!=on-a") == ["on-b", "unbound"]
    assert sel("spec.nodeName=node-a") == ["on-a"]
    assert sel("spec.nodeName=node-a", ns=None) == ["default/on-a", "other/on-a"]
    assert sel("spec.nodeName=") == ["unbound"]
    assert sel("spec.nodeName!=node-a") == ["on-b", "unbound"]
    assert sel("status.phase=Running") == ["on-b"]
    assert sel("status.phase=Pending") == ["on-a", "unbound"]
    assert sel("status.phase!=Pending,status.phase!=Failed") == ["on-b"]
    assert sel("status.phase=Pending", label="app=x") == ["on-a", "unbound"]
    assert sel("spec.nodeName=node-a,status.phase=Pending") == ["on-a"]
    assert sel("metadata.namespace=other", ns=None) == ["other/on-a"]
    assert sel("metadata.name=none") == []

    # Field selectors on other types: metadata.name on configmaps, spec.unschedulable on nodes.
    v1.create_namespaced_config_map(NS, cm("only"))
    v1.create_namespaced_config_map(NS, cm("another"))
    assert names(v1.list_namespaced_config_map(NS, field_selector="metadata.name=only")
                 .items) == ["only"]
    v1.create_node(client.V1Node(metadata=client.V1ObjectMeta(name="n-cordoned"),
                                 spec=client.V1NodeSpec(unschedulable=True)))
    v1.create_node(client.V1Node(metadata=client.V1ObjectMeta(name="n-open")))
    assert names(v1.list_node(field_selector="spec.unschedulable=true").items) == ["n-cordoned"]

    # An unsupported field label is a 400.
    e = api_error(v1.list_namespaced_pod, NS, field_selector="spec.priority=0")
    assert e.status == 400


def test_field_selector_absent_bool_is_false(k8s):
    # kube-apiserver selects on strconv.FormatBool(node.Spec.Unschedulable): a node that
    # never set the field is "false" (this is what the scheduler and `kubectl get nodes
    # --field-selector spec.unschedulable=false` rely on).
    v1 = client.CoreV1Api(k8s)
    v1.create_node(client.V1Node(metadata=client.V1ObjectMeta(name="n-cordoned"),
                                 spec=client.V1NodeSpec(unschedulable=True)))
    v1.create_node(client.V1Node(metadata=client.V1ObjectMeta(name="n-open")))
    v1.create_node(client.V1Node(metadata=client.V1ObjectMeta(name="n-explicit"),
                                 spec=client.V1NodeSpec(unschedulable=False)))
    assert names(v1.list_node(field_selector="spec.unschedulable=false").items) == [
        "n-explicit", "n-open"]
    assert names(v1.list_node(field_selector="spec.unschedulable!=true").items) == [
        "n-explicit", "n-open"]
    # Same rule for pods' spec.hostNetwork.
    v1.create_namespaced_pod(NS, pod("plain"))
    assert names(v1.list_namespaced_pod(NS, field_selector="spec.hostNetwork=false").items) == [
        "plain"]


# ---- pagination --------------------------------------------------------------------------


def test_pagination_every_object_exactly_once(k8s):
    v1 = client.CoreV1Api(k8s)
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="zz")))
    created = [f"cm-{i:03d}" for i in range(37)]
    for n in created:
        v1.create_namespaced_config_map(NS, cm(n, {"even": str(int(n[-1]) % 2 == 0).lower()}))
    v1.create_namespaced_config_map("zz", cm("elsewhere", ns="zz"))

    seen, pages, token = [], 0, None
    first_rv = None
    while True:
        r = v1.list_namespaced_config_map(NS, limit=5, _continue=token)
        pages += 1
        assert len(r.items) <= 5
        seen += [i.metadata.name for i in r.items]
        if first_rv is None:
            first_rv = r.metadata.resource_version
        else:
            # Every page is served from the first page's snapshot.
            assert r.metadata.resource_version == first_rv
        token = r.metadata._continue
        if pages == 2:
            # Changes during pagination are not seen: the list is one consistent snapshot.
            v1.create_namespaced_config_map(NS, cm("cm-000a"))  # sorts into a later page
            v1.delete_namespaced_config_map("cm-036", NS)
        if not token:
            break
        assert pages < 50
    assert len(seen) == len(set(seen)), "an object was returned twice"
    assert sorted(seen) == created
    assert pages == 8  # 37 objects in pages of 5

    # After the pagination the change is visible; pages again cover everything once.
    now = [i.metadata.name for i in v1.list_namespaced_config_map(NS).items]
    assert "cm-000a" in now and "cm-036" not in now

    # Pagination combined with a label selector: pages hold matching objects only.
    seen, token = [], None
    while True:
        r = v1.list_namespaced_config_map(NS, limit=4, _continue=token,
                                          label_selector="even=true")
        seen += [i.metadata.name for i in r.items]
        token = r.metadata._continue
        if not token:
            break
    assert sorted(seen) == [n for n in created[:-1] if int(n[-1]) % 2 == 0]

    # Across all namespaces: every object in every namespace, once.
    seen, token = [], None
    while True:
        r = v1.list_config_map_for_all_namespaces(limit=7, _continue=token)
        seen += [(i.metadata.namespace, i.metadata.name) for i in r.items]
        token = r.metadata._continue
        if not token:
            break
    assert len(seen) == len(set(seen))
    assert ("zz", "elsewhere") in seen and len(seen) == 38


# ---- watch -------------------------------------------------------------------------------


def ev(e):
    return (e["type"], e["raw_object"]["metadata"]["name"],
            e["raw_object"]["metadata"]["resourceVersion"])


def test_watch_from_resource_version_exact_replay(k8s):
    v1 = client.CoreV1Api(k8s)
    v1.create_namespaced_config_map(NS, cm("before"))
    start_rv = v1.list_namespaced_config_map(NS).metadata.resource_version

    expected = []
    r = v1.create_namespaced_config_map(NS, cm("a"))
    expected.append(("ADDED", "a", r.metadata.resource_version))
    r = v1.create_namespaced_config_map(NS, cm("b"))
    expected.append(("ADDED", "b", r.metadata.resource_version))
    r.data = {"k": "changed"}
    r = v1.replace_namespaced_config_map("b", NS, r)
    expected.append(("MODIFIED", "b", r.metadata.resource_version))
    r = v1.patch_namespaced_config_map("a", NS, {"metadata": {"labels": {"x": "y"}}})
    expected.append(("MODIFIED", "a", r.metadata.resource_version))
    # Changes to other types and namespaces do not appear in this watch.
    v1.create_namespaced_pod(NS, pod("unrelated"))
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="elsewhere")))
    v1.create_namespaced_config_map("elsewhere", cm("not-here", ns="elsewhere"))
    v1.delete_namespaced_config_map("a", NS)
    a_deleted = len(expected)
    expected.append(("DELETED", "a", None))  # the delete's revision is in the event
    r = v1.create_namespaced_config_map(NS, cm("c"))
    expected.append(("ADDED", "c", r.metadata.resource_version))

    w = watch.Watch()
    got = []
    stream = w.stream(v1.list_namespaced_config_map, NS, resource_version=start_rv,
                      timeout_seconds=20, _request_timeout=30)
    sentinel_sent = False
    for e in stream:
        got.append(e)
        if len(got) == len(expected) and not sentinel_sent:
            sentinel = v1.create_namespaced_config_map(NS, cm("sentinel"))
            sentinel_sent = True
        if len(got) == len(expected) + 1:
            w.stop()
    got = [ev(e) for e in got]
    assert len(got) == len(expected) + 1, got
    for i, (g, x) in enumerate(zip(got, expected)):
        if x[2] is None:
            assert g[:2] == x[:2], (i, got)
        else:
            assert g == x, (i, got)
    # Revisions strictly increase (no duplicate, in order).
    rvs = [int(g[2]) for g in got]
    assert rvs == sorted(set(rvs)), got
    assert int(got[a_deleted][2]) > int(expected[a_deleted - 1][2])
    # The next event after the replay is exactly the next change: nothing was repeated.
    assert got[-1] == ("ADDED", "sentinel", sentinel.metadata.resource_version)


def test_watch_with_label_selector_from_resource_version(k8s):
    v1 = client.CoreV1Api(k8s)
    start_rv = v1.list_namespaced_config_map(NS).metadata.resource_version
    v1.create_namespaced_config_map(NS, cm("m", {"watch": "yes"}))
    v1.create_namespaced_config_map(NS, cm("n", {"watch": "no"}))
    v1.patch_namespaced_config_map("m", NS, {"metadata": {"labels": {"watch": "no"}}})
    v1.patch_namespaced_config_map("n", NS, {"metadata": {"labels": {"watch": "yes"}}})
    w = watch.Watch()
    got = []
    for e in w.stream(v1.list_namespaced_config_map, NS, resource_version=start_rv,
                      label_selector="watch=yes", timeout_seconds=20, _request_timeout=30):
        got.append((e["type"], e["raw_object"]["metadata"]["name"]))
        if len(got) == 3:
            w.stop()
    # An object that stops matching is DELETED for this watcher; one that starts is ADDED.
    assert got == [("ADDED", "m"), ("DELETED", "m"), ("ADDED", "n")]


def test_watch_pods_of_one_node(k8s):
    # The node agent's watch: spec.nodeName=<node>, filtered on the server.
    v1 = client.CoreV1Api(k8s)
    v1.create_namespaced_pod(NS, pod("early", node_name="node-a"))
    start_rv = v1.list_namespaced_pod(NS).metadata.resource_version

    def bind(name, node):
        v1.create_namespaced_pod_binding(
            name, NS, client.V1Binding(metadata=client.V1ObjectMeta(name=name),
                                       target=client.V1ObjectReference(kind="Node", name=node)),
            _preload_content=False)

    v1.create_namespaced_pod(NS, pod("p-a"))       # unbound: not this node's yet
    v1.create_namespaced_pod(NS, pod("p-b"))
    bind("p-a", "node-a")                          # now it is: ADDED
    bind("p-b", "node-b")                          # another node's: nothing
    v1.patch_namespaced_pod_status("p-a", NS, {"status": {"phase": "Running"}})
    v1.patch_namespaced_pod_status("p-b", NS, {"status": {"phase": "Running"}})
    v1.delete_namespaced_pod("p-a", NS, grace_period_seconds=0)
    v1.delete_namespaced_pod("p-b", NS, grace_period_seconds=0)
    v1.create_namespaced_pod(NS, pod("direct", node_name="node-a"))
    w = watch.Watch()
    got = []
    for e in w.stream(v1.list_pod_for_all_namespaces, field_selector="spec.nodeName=node-a",
                      resource_version=start_rv, timeout_seconds=20, _request_timeout=30):
        o = e["raw_object"]
        got.append((e["type"], o["metadata"]["name"], o["status"].get("phase")))
        if len(got) == 4:
            w.stop()
    assert got == [("ADDED", "p-a", "Pending"), ("MODIFIED", "p-a", "Running"),
                   ("DELETED", "p-a", "Running"), ("ADDED", "direct", "Pending")]


def test_watch_from_zero_lists_current_state_first(k8s):
    v1 = client.CoreV1Api(k8s)
    for n in ("x1", "x2"):
        v1.create_namespaced_config_map(NS, cm(n))
    v1.delete_namespaced_config_map("x1", NS)
    w = watch.Watch()
    got = []
    for e in w.stream(v1.list_namespaced_config_map, NS, timeout_seconds=20,
                      _request_timeout=30):
        got.append((e["type"], e["raw_object"]["metadata"]["name"]))
        if len(got) == 1:
            v1.create_namespaced_config_map(NS, cm("x3"))
        if len(got) == 2:
            w.stop()
    assert got == [("ADDED", "x2"), ("ADDED", "x3")]


def test_watch_bookmarks(k8s):
    v1 = client.CoreV1Api(k8s)
    rv = v1.list_namespaced_config_map(NS).metadata.resource_version
    v1.create_namespaced_config_map(NS, cm("bm"))
    w = watch.Watch()
    got, pod_rv = [], None
    # An idle watch gets a bookmark 2 s before its timeout (and after each minute of
    # silence), as from kube-apiserver: here after 5 s.
    for e in w.stream(v1.list_namespaced_config_map, NS, resource_version=rv,
                      allow_watch_bookmarks=True, timeout_seconds=7, _request_timeout=40):
        got.append(e)
        if len(got) == 1:
            # A change to another type moves the global revision past the watched objects.
            pod_rv = v1.create_namespaced_pod(NS, pod("moves-rv")).metadata.resource_version
        if e["type"] == "BOOKMARK":
            w.stop()
    assert [x["type"] for x in got] == ["ADDED", "BOOKMARK"], [x["type"] for x in got]
    assert got[0]["raw_object"]["metadata"]["name"] == "bm"
    bm = got[1]["raw_object"]
    assert bm["kind"] == "ConfigMap" and bm["apiVersion"] == "v1"
    bm_rv = bm["metadata"]["resourceVersion"]
    # The bookmark carries the current revision, so a resumed watch skips what went by.
    assert int(bm_rv) >= int(pod_rv)

    # Resuming from the bookmark's revision replays nothing and delivers the next change.
    v1.create_namespaced_config_map(NS, cm("after-bookmark"))
    got = []
    for e in w.stream(v1.list_namespaced_config_map, NS, resource_version=bm_rv,
                      timeout_seconds=20, _request_timeout=30):
        got.append((e["type"], e["raw_object"]["metadata"]["name"]))
        w.stop()
    assert got == [("ADDED", "after-bookmark")]


def test_watch_without_bookmarks_gets_none(server, k8s):
    # allowWatchBookmarks=false: an idle watch sends nothing (checked over raw HTTPS).
    v1 = client.CoreV1Api(k8s)
    rv = v1.list_namespaced_config_map(NS).metadata.resource_version
    with WatchStream(server, f"/api/v1/namespaces/default/configmaps?watch=true"
                             f"&resourceVersion={rv}&timeoutSeconds=12") as ws:
        assert ws.status == 200
        assert ws.read_until(lambda evs: False, timeout=20) == []
        assert ws.ended  # the server ended the stream at timeoutSeconds


# ---- optimistic concurrency --------------------------------------------------------------


def test_update_with_stale_resource_version_conflicts(k8s):
    v1 = client.CoreV1Api(k8s)
    v1.create_namespaced_config_map(NS, cm("occ", data={"v": "0"}))
    first = v1.read_namespaced_config_map("occ", NS)
    first.data = {"v": "1"}
    second = v1.replace_namespaced_config_map("occ", NS, first)
    assert second.data == {"v": "1"}
    assert int(second.metadata.resource_version) > int(first.metadata.resource_version)

    # `first` still carries the old resourceVersion: the write must be refused.
    first.data = {"v": "stale"}
    e = api_error(v1.replace_namespaced_config_map, "occ", NS, first)
    assert e.status == 409
    body = json.loads(e.body)
    assert body["kind"] == "Status" and body["reason"] == "Conflict" and body["code"] == 409
    assert "the object has been modified" in body["message"]
    now = v1.read_namespaced_config_map("occ", NS)
    assert now.data == {"v": "1"}
    assert now.metadata.resource_version == second.metadata.resource_version

    # Same for a merge patch that names a stale resourceVersion.
    e = api_error(v1.patch_namespaced_config_map, "occ", NS,
                  {"metadata": {"resourceVersion": first.metadata.resource_version},
                   "data": {"v": "patched"}})
    assert e.status == 409
    assert v1.read_namespaced_config_map("occ", NS).data == {"v": "1"}

    # Without a resourceVersion the update is unconditional.
    second.metadata.resource_version = None
    second.data = {"v": "2"}
    assert v1.replace_namespaced_config_map("occ", NS, second).data == {"v": "2"}

    # Deleting with a stale resourceVersion precondition: 409, object kept.
    cur = v1.read_namespaced_config_map("occ", NS)
    e = api_error(v1.delete_namespaced_config_map, "occ", NS,
                  body=client.V1DeleteOptions(preconditions=client.V1Preconditions(
                      resource_version=first.metadata.resource_version)))
    assert e.status == 409
    assert v1.read_namespaced_config_map("occ", NS).metadata.resource_version == \
        cur.metadata.resource_version


def in_parallel(server, writers, work):
    """Runs work(core_v1_api, w) for w in range(writers), each on a thread with its own client
    (its own connection), and waits for all of them."""
    def run(w):
        cfg = client.Configuration()
        config.load_kube_config(config_file=server.kubeconfig, client_configuration=cfg)
        with client.ApiClient(cfg) as api:
            work(client.CoreV1Api(api), w)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)


def test_concurrent_read_modify_write_loses_no_increment(server, k8s):
    # Optimistic concurrency under contention: every writer reads, increments and writes with
    # the resourceVersion it read, retrying on 409. Exactly one write per revision wins, so
    # the final count is the number of successful writes.
    v1 = client.CoreV1Api(k8s)
    v1.create_namespaced_config_map(NS, cm("counter", data={"n": "0"}))
    per_writer, writers = 25, 6
    conflicts, errors = [], []

    def work(mine, _):
        done = 0
        while done < per_writer:
            cur = mine.read_namespaced_config_map("counter", NS)
            cur.data = {"n": str(int(cur.data["n"]) + 1)}
            try:
                mine.replace_namespaced_config_map("counter", NS, cur)
                done += 1
            except ApiException as e:
                if e.status != 409:
                    errors.append(e)
                    return
                conflicts.append(1)

    in_parallel(server, writers, work)
    assert not errors, errors[:3]
    final = v1.read_namespaced_config_map("counter", NS)
    assert final.data["n"] == str(per_writer * writers), (final.data, len(conflicts))


def test_concurrent_patches_without_a_resource_version_all_apply(server, k8s):
    # A merge patch without resourceVersion has no precondition: kube-apiserver retries it
    # internally when another write wins the race, and so must shoal, however many writers
    # contend (a 409 here would be an answer kube never gives; 16 writers make one of them
    # lose many races in a row). Each writer sets its own keys; every one of them must be in
    # the final object.
    v1 = client.CoreV1Api(k8s)
    v1.create_namespaced_config_map(NS, cm("patched", data={}))
    per_writer, writers = 25, 16
    errors = []

    def work(mine, w):
        for i in range(per_writer):
            try:
                mine.patch_namespaced_config_map("patched", NS, {"data": {f"w{w}-{i}": "x"}})
            except ApiException as e:
                errors.append((e.status, e.body[:200]))

    in_parallel(server, writers, work)
    assert not errors, errors[:3]
    final = v1.read_namespaced_config_map("patched", NS)
    assert len(final.data) == per_writer * writers, len(final.data)


# ---- status subresource ------------------------------------------------------------------


@pytest.mark.no_scheduler  # read-modify-write of a pod the scheduler would bind
def test_status_subresource_split(k8s):
    v1 = client.CoreV1Api(k8s)
    v1.create_namespaced_pod(NS, pod("split", {"v": "1"}))
    p = v1.read_namespaced_pod("split", NS)
    assert p.status.phase == "Pending"

    # A write to the main resource changes metadata/spec but ignores status.
    p.metadata.labels = {"v": "2"}
    p.spec.active_deadline_seconds = 600
    p.status.phase = "Running"
    p.status.message = "from main"
    out = v1.replace_namespaced_pod("split", NS, p)
    assert out.metadata.labels == {"v": "2"}
    assert out.spec.active_deadline_seconds == 600
    assert out.status.phase == "Pending" and out.status.message is None
    got = v1.read_namespaced_pod("split", NS)
    assert got.status.phase == "Pending" and got.spec.active_deadline_seconds == 600

    # A write to /status changes status only: labels and spec in the body are ignored.
    got.metadata.labels = {"v": "3"}
    got.spec.active_deadline_seconds = 900
    got.status.phase = "Running"
    got.status.message = "from status"
    out = v1.replace_namespaced_pod_status("split", NS, got)
    assert out.status.phase == "Running" and out.status.message == "from status"
    assert out.metadata.labels == {"v": "2"}
    assert out.spec.active_deadline_seconds == 600
    got = v1.read_namespaced_pod("split", NS)
    assert got.status.phase == "Running" and got.metadata.labels == {"v": "2"}

    # A merge patch on the main resource cannot touch status either, and vice versa.
    v1.patch_namespaced_pod("split", NS, {"status": {"phase": "Failed"},
                                          "metadata": {"labels": {"v": "4"}}})
    got = v1.read_namespaced_pod("split", NS)
    assert got.status.phase == "Running" and got.metadata.labels == {"v": "4"}
    v1.patch_namespaced_pod_status("split", NS, {"status": {"phase": "Succeeded"},
                                                 "metadata": {"labels": {"v": "5"}}})
    got = v1.read_namespaced_pod("split", NS)
    assert got.status.phase == "Succeeded" and got.metadata.labels == {"v": "4"}

    # Nodes: status may be given at create; afterwards only /status changes it.
    v1.create_node(client.V1Node(
        metadata=client.V1ObjectMeta(name="sn"), spec=client.V1NodeSpec(pod_cidr="10.1.0.0/24"),
        status=client.V1NodeStatus(capacity={"cpu": "4"}, allocatable={"cpu": "4"})))
    n = v1.read_node("sn")
    assert n.status.capacity == {"cpu": "4"}
    n.status.capacity = {"cpu": "64"}
    n.spec.unschedulable = True
    v1.replace_node("sn", n)
    n = v1.read_node("sn")
    assert n.status.capacity == {"cpu": "4"} and n.spec.unschedulable is True
    v1.patch_node_status("sn", {"status": {"capacity": {"cpu": "8"}},
                                "spec": {"unschedulable": False}})
    n = v1.read_node("sn")
    assert n.status.capacity == {"cpu": "8"} and n.spec.unschedulable is True

    # A pod created with a status gets the server's initial status instead.
    body = pod("born-running")
    body.status = client.V1PodStatus(phase="Running")
    assert v1.create_namespaced_pod(NS, body).status.phase == "Pending"


# ---- finalizers and deletion -------------------------------------------------------------


def test_finalizers_hold_deletion(k8s):
    v1 = client.CoreV1Api(k8s)
    start_rv = v1.list_namespaced_config_map(NS).metadata.resource_version
    v1.create_namespaced_config_map(NS, cm("fin", finalizers=["example.com/hold",
                                                              "example.com/second"]))
    v1.delete_namespaced_config_map("fin", NS)
    held = v1.read_namespaced_config_map("fin", NS)
    assert held.metadata.deletion_timestamp is not None
    assert held.metadata.finalizers == ["example.com/hold", "example.com/second"]
    assert "fin" in names(v1.list_namespaced_config_map(NS).items)

    # Deleting again keeps it marked, with the same deletionTimestamp.
    v1.delete_namespaced_config_map("fin", NS)
    again = v1.read_namespaced_config_map("fin", NS)
    assert again.metadata.deletion_timestamp == held.metadata.deletion_timestamp

    # Removing one finalizer is not enough.
    # finalizers is a merge-strategy list: a strategic merge patch (the client's default for
    # a dict) adds to it; removing one takes the $deleteFromPrimitiveList directive.
    v1.patch_namespaced_config_map("fin", NS,
                                   {"metadata": {"finalizers": ["example.com/second"]}})
    assert v1.read_namespaced_config_map("fin", NS).metadata.finalizers == \
        ["example.com/hold", "example.com/second"]
    v1.patch_namespaced_config_map(
        "fin", NS, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["example.com/hold"]}})
    still = v1.read_namespaced_config_map("fin", NS)
    assert still.metadata.finalizers == ["example.com/second"]
    assert still.metadata.deletion_timestamp == held.metadata.deletion_timestamp

    # Removing the last one completes the deletion.
    still.metadata.finalizers = []
    v1.replace_namespaced_config_map("fin", NS, still)
    e = api_error(v1.read_namespaced_config_map, "fin", NS)
    assert e.status == 404
    assert "fin" not in names(v1.list_namespaced_config_map(NS).items)

    # The watch shows the whole story: added, marked, finalizer removed, deleted.
    w = watch.Watch()
    got = []
    for e in w.stream(v1.list_namespaced_config_map, NS, resource_version=start_rv,
                      timeout_seconds=20, _request_timeout=30):
        got.append((e["type"], bool(e["raw_object"]["metadata"].get("deletionTimestamp"))))
        if len(got) == 4:
            w.stop()
    assert got == [("ADDED", False), ("MODIFIED", True), ("MODIFIED", True), ("DELETED", True)]


def test_namespace_deletion_waits_for_finalizers(k8s):
    v1 = client.CoreV1Api(k8s)
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="fin-ns")))
    v1.create_namespaced_config_map("fin-ns", cm("held", finalizers=["example.com/hold"],
                                                 ns="fin-ns"))
    v1.create_namespaced_config_map("fin-ns", cm("free", ns="fin-ns"))
    v1.create_namespaced_pod("fin-ns", pod("p", ns="fin-ns"))
    v1.delete_namespace("fin-ns")

    def remaining():
        return names(v1.list_namespaced_config_map("fin-ns").items) + names(
            v1.list_namespaced_pod("fin-ns").items)

    wait_until(lambda: remaining() == ["held"], timeout=20, what="namespace cleanup")
    ns = v1.read_namespace("fin-ns")
    assert ns.status.phase == "Terminating" and ns.metadata.deletion_timestamp is not None
    # No new content in a terminating namespace.
    e = api_error(v1.create_namespaced_config_map, "fin-ns", cm("late", ns="fin-ns"))
    assert e.status == 403
    # Once the last finalizer goes, the object and then the namespace are deleted.
    v1.patch_namespaced_config_map("held", "fin-ns", {"metadata": {"finalizers": None}})

    def namespace_gone():
        try:
            v1.read_namespace("fin-ns")
            return False
        except ApiException as e:
            assert e.status == 404
            return True

    wait_until(namespace_gone, timeout=20, what="the namespace to be deleted")


def test_pod_on_a_node_is_deleted_gracefully(k8s):
    v1 = client.CoreV1Api(k8s)
    v1.create_namespaced_pod(NS, pod("graceful", node_name="some-node"))
    v1.delete_namespaced_pod("graceful", NS)
    p = v1.read_namespaced_pod("graceful", NS)  # the node agent would finish the deletion
    assert p.metadata.deletion_timestamp is not None
    assert p.metadata.deletion_grace_period_seconds == 30
    v1.delete_namespaced_pod("graceful", NS, grace_period_seconds=0)
    assert api_error(v1.read_namespaced_pod, "graceful", NS).status == 404


# ---- pods/binding ------------------------------------------------------------------------


def test_pod_binding_sets_node_name(k8s):
    v1 = client.CoreV1Api(k8s)
    v1.create_namespaced_pod(NS, pod("to-bind"))
    assert v1.read_namespaced_pod("to-bind", NS).spec.node_name is None
    binding = client.V1Binding(metadata=client.V1ObjectMeta(name="to-bind"),
                               target=client.V1ObjectReference(kind="Node", name="node-7"))
    # The server answers a Status, which this client cannot decode as a V1Binding.
    resp = v1.create_namespaced_pod_binding("to-bind", NS, binding, _preload_content=False)
    assert resp.status == 201
    assert json.loads(resp.data)["status"] == "Success"
    p = v1.read_namespaced_pod("to-bind", NS)
    assert p.spec.node_name == "node-7"
    cond = {c.type: c.status for c in p.status.conditions}
    assert cond.get("PodScheduled") == "True"
    assert names(v1.list_namespaced_pod(NS, field_selector="spec.nodeName=node-7").items) == [
        "to-bind"]

    # Binding a bound pod again is a conflict, and the pod stays where it is.
    other = client.V1Binding(metadata=client.V1ObjectMeta(name="to-bind"),
                             target=client.V1ObjectReference(kind="Node", name="node-8"))
    e = api_error(v1.create_namespaced_pod_binding, "to-bind", NS, other)
    assert e.status == 409
    assert v1.read_namespaced_pod("to-bind", NS).spec.node_name == "node-7"

    # Binding a pod that does not exist is NotFound.
    e = api_error(v1.create_namespaced_pod_binding, "nope", NS,
                  client.V1Binding(metadata=client.V1ObjectMeta(name="nope"),
                                   target=client.V1ObjectReference(kind="Node", name="n")))
    assert e.status == 404


@pytest.mark.no_controllers  # the test writes Job status that the Job controller owns
def test_typed_jobs_and_node_status(k8s):
    """BatchV1Api and the node status subresource through the generated typed models."""
    batch = client.BatchV1Api(k8s)
    v1 = client.CoreV1Api(k8s)
    job = client.V1Job(
        metadata=client.V1ObjectMeta(name="typed"),
        spec=client.V1JobSpec(parallelism=2, completions=4, template=client.V1PodTemplateSpec(
            spec=client.V1PodSpec(restart_policy="Never", containers=[
                client.V1Container(name="c", image="busybox",
                                   resources=client.V1ResourceRequirements(
                                       limits={"nvidia.com/gpu": "1"}))]))))
    created = batch.create_namespaced_job("default", job)
    # Defaults the typed model must be able to read back.
    assert created.spec.backoff_limit == 6
    assert created.spec.completion_mode == "NonIndexed"
    assert created.spec.selector.match_labels["batch.kubernetes.io/controller-uid"] == \
        created.metadata.uid
    assert created.spec.template.spec.containers[0].resources.requests == {"nvidia.com/gpu": "1"}
    status = {"status": {"active": 2, "startTime": created.metadata.creation_timestamp.strftime(
        "%Y-%m-%dT%H:%M:%SZ")}}
    batch.patch_namespaced_job_status("typed", "default", status)
    got = batch.read_namespaced_job("typed", "default")
    assert got.status.active == 2 and got.spec.parallelism == 2
    assert [j.metadata.name for j in batch.list_namespaced_job("default").items] == ["typed"]
    # Background: without a policy a batch/v1 Job would orphan its pods and wait for the garbage
    # collector (not running here) to drop the `orphan` finalizer.
    batch.delete_namespaced_job("typed", "default", propagation_policy="Background")
    assert batch.list_namespaced_job("default").items == []

    v1.create_node(client.V1Node(metadata=client.V1ObjectMeta(name="gpu-node")))
    v1.patch_node_status("gpu-node", {"status": {
        "capacity": {"nvidia.com/gpu": "8", "cpu": "96"},
        "allocatable": {"nvidia.com/gpu": "8", "cpu": "95"},
        "conditions": [{"type": "Ready", "status": "True"}]}})
    node = v1.read_node("gpu-node")
    assert node.status.allocatable == {"nvidia.com/gpu": "8", "cpu": "95"}
    assert node.status.conditions[0].type == "Ready"
