"""End-to-end: ownerReferences and cascading deletion (issue 6) against the built server.

`kubectl delete --cascade=background|foreground|orphan` on an owner with ConfigMap and Pod
dependents, the foreground owner waiting for a blocking dependent, orphaned dependents losing
only that reference, a batch/v1 Job deleted by the Python client without a policy (Orphan by
default, with kube-apiserver's warning), and a bad propagationPolicy refused with nothing
changed. Pods are left unscheduled (no_scheduler) so that they are deleted at once."""

import json

import pytest

from shoal_fixture import kubectl_get_json, wait_until

pytestmark = pytest.mark.no_scheduler

TIMEOUT = 20


def ref(owner, block=False):
    """An ownerReference to `owner` (an object as the API returned it)."""
    r = {"apiVersion": owner["apiVersion"], "kind": owner["kind"],
         "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"]}
    if block:
        r["blockOwnerDeletion"] = True
    return r


def create(server, obj):
    """Creates `obj` with kubectl and returns it as stored."""
    server.kubectl("create", "-f", "-", input=json.dumps(obj))
    kind = obj["kind"].lower()
    return kubectl_get_json(server, kind, obj["metadata"]["name"])


def configmap(server, name, owners=(), finalizers=()):
    meta = {"name": name}
    if owners:
        meta["ownerReferences"] = list(owners)
    if finalizers:
        meta["finalizers"] = list(finalizers)
    return create(server, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
                           "data": {"k": "v"}})


def pod(server, name, owners=()):
    meta = {"name": name, "ownerReferences": list(owners)}
    return create(server, {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                           "spec": {"containers": [{"name": "c", "image": "busybox"}]}})


def get(server, kind, name):
    """The object, or None when it does not exist."""
    r = server.kubectl("get", kind, name, "-o", "json", "--ignore-not-found")
    return json.loads(r.stdout) if r.stdout.strip() else None


def owner_uids(obj):
    return [r["uid"] for r in obj["metadata"].get("ownerReferences", [])]


def test_cascade_background_deletes_configmap_and_pod_dependents(server):
    owner = configmap(server, "owner")
    configmap(server, "dep-cm", [ref(owner)])
    pod(server, "dep-pod", [ref(owner, block=True)])
    configmap(server, "bystander")
    r = server.kubectl("delete", "configmap", "owner", "--cascade=background")
    assert 'configmap "owner" deleted' in r.stdout
    wait_until(lambda: get(server, "configmap", "dep-cm") is None
               and get(server, "pod", "dep-pod") is None, TIMEOUT,
               what="the dependents to be garbage collected")
    assert get(server, "configmap", "owner") is None
    assert get(server, "configmap", "bystander") is not None


def test_cascade_foreground_keeps_owner_until_blocking_dependent_is_gone(server):
    owner = configmap(server, "owner")
    # Blocks its owner, and holds its own deletion with a finalizer.
    configmap(server, "blocking", [ref(owner, block=True)], finalizers=["example.com/hold"])
    # Deleted too, but not waited for.
    pod(server, "nonblocking", [ref(owner)])
    server.kubectl("delete", "configmap", "owner", "--cascade=foreground", "--wait=false")

    def dependents_deleted():
        blocking = get(server, "configmap", "blocking")
        return (get(server, "pod", "nonblocking") is None and blocking is not None
                and blocking["metadata"].get("deletionTimestamp"))
    wait_until(dependents_deleted, TIMEOUT, what="the dependents to be deleted")
    # The owner waits, marked for deletion, while the blocking dependent terminates.
    o = get(server, "configmap", "owner")
    assert o is not None
    assert o["metadata"].get("deletionTimestamp")
    assert o["metadata"]["deletionGracePeriodSeconds"] == 0
    assert o["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert owner_uids(get(server, "configmap", "blocking")) == [owner["metadata"]["uid"]]

    server.kubectl("patch", "configmap", "blocking", "--type=json",
                   "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
    wait_until(lambda: get(server, "configmap", "owner") is None, TIMEOUT,
               what="the owner to go once its blocking dependent is gone")
    assert get(server, "configmap", "blocking") is None


def test_cascade_orphan_keeps_dependents_without_the_owner_reference(server):
    owner = configmap(server, "owner")
    other = configmap(server, "other")
    configmap(server, "only-child", [ref(owner, block=True)])
    configmap(server, "shared", [ref(other), ref(owner)])
    pod(server, "pod", [ref(owner, block=True)])
    r = server.kubectl("delete", "configmap", "owner", "--cascade=orphan")  # waits until gone
    assert 'configmap "owner" deleted' in r.stdout
    assert get(server, "configmap", "owner") is None
    only_child = get(server, "configmap", "only-child")
    assert only_child is not None and "ownerReferences" not in only_child["metadata"]
    assert owner_uids(get(server, "configmap", "shared")) == [other["metadata"]["uid"]]
    p = get(server, "pod", "pod")
    assert p is not None and "ownerReferences" not in p["metadata"]
    assert not p["metadata"].get("deletionTimestamp")


def test_partial_owners_lose_only_the_dangling_reference(server):
    a = configmap(server, "owner-a")
    b = configmap(server, "owner-b")
    configmap(server, "dep", [ref(a), ref(b)])
    server.kubectl("delete", "configmap", "owner-a")  # kubectl's default: background
    wait_until(lambda: owner_uids(get(server, "configmap", "dep")) == [b["metadata"]["uid"]],
               TIMEOUT, what="the reference to owner-a to be removed")
    server.kubectl("delete", "configmap", "owner-b")
    wait_until(lambda: get(server, "configmap", "dep") is None, TIMEOUT,
               what="dep to go with its last owner")


def test_job_deleted_without_policy_orphans_its_pods_with_a_warning(server, k8s):
    from kubernetes import client

    # Suspended, so that the Job controller starts no pods of its own; these pods are owned
    # by the Job without matching its selector.
    job = create(server, {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "train"},
        "spec": {"suspend": True, "template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}})
    for i in range(2):
        pod(server, f"train-worker-{i}", [ref(job, block=True)])

    batch = client.BatchV1Api(k8s)
    _, status, headers = batch.delete_namespaced_job_with_http_info("train", "default")
    assert status == 200
    warnings = [v for k, v in headers.items() if k.lower() == "warning"]
    assert warnings == ['299 - "child pods are preserved by default when jobs are deleted; set '
                        'propagationPolicy=Background to remove them or set '
                        'propagationPolicy=Orphan to suppress this warning"'], headers
    wait_until(lambda: get(server, "job", "train") is None, TIMEOUT,
               what="the job to be deleted once its pods are orphaned")
    for i in range(2):
        p = get(server, "pod", f"train-worker-{i}")
        assert p is not None, f"train-worker-{i} was deleted"
        assert job["metadata"]["uid"] not in owner_uids(p)
        assert not p["metadata"].get("deletionTimestamp")

    # With Background the pods go with the Job, and nothing is warned about.
    job2 = create(server, {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "train2"},
        "spec": {"suspend": True, "template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}})
    pod(server, "train2-worker", [ref(job2, block=True)])
    _, status, headers = batch.delete_namespaced_job_with_http_info(
        "train2", "default", body=client.V1DeleteOptions(propagation_policy="Background"))
    assert status == 200
    assert not [v for k, v in headers.items() if k.lower() == "warning"]
    wait_until(lambda: get(server, "pod", "train2-worker") is None, TIMEOUT,
               what="the Background-deleted job's pod to be collected")


def test_bad_propagation_policy_is_refused_and_changes_nothing(server):
    owner = configmap(server, "owner")
    configmap(server, "dep", [ref(owner)])
    path = "/api/v1/namespaces/default/configmaps/owner"
    # kube-apiserver answers 422 Invalid (ValidateDeleteOptions), naming the value.
    r = server.request("DELETE", path, {"propagationPolicy": "Sideways"})
    assert r.status == 422, r
    body = r.json()
    assert body["kind"] == "Status" and body["reason"] == "Invalid"
    assert 'Unsupported value: "Sideways"' in body["message"], body
    r = server.request("DELETE", path + "?propagationPolicy=background")
    assert r.status == 422 and '"background"' in r.json()["message"], r
    r = server.request("DELETE", path, {"propagationPolicy": "Orphan", "orphanDependents": True})
    assert r.status == 422, r
    assert "orphanDependents and deletionPropagation cannot be both set" in r.json()["message"]
    r = server.request("DELETE", path, {"propagationPolicy": 3})
    assert r.status == 400, r
    after = get(server, "configmap", "owner")
    assert after["metadata"]["resourceVersion"] == owner["metadata"]["resourceVersion"]
    assert "deletionTimestamp" not in after["metadata"]
    assert "finalizers" not in after["metadata"]
    assert get(server, "configmap", "dep") is not None


def test_namespace_deletion_removes_everything_in_it(server):
    """A namespace holding a Job (whose pods carry the Job's tracking finalizer), a PodGroup
    owned by nothing, a custom resource and a ConfigMap with an owner: `kubectl delete
    namespace` returns once all of it is gone, and another namespace is untouched."""
    from test_kubectl_workflows import CRD
    server.kubectl("create", "-f", "-", input=CRD)
    wait_until(lambda: server.request(
        "GET", "/apis/ml.example.com/v1/namespaces/default/trainings").status == 200,
        TIMEOUT, what="the CRD served")
    for ns in ("doomed", "kept"):
        server.kubectl("create", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))
        job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": ns},
               "spec": {"completions": 3, "parallelism": 3, "template": {"spec": {
                   "restartPolicy": "Never",
                   "containers": [{"name": "c", "image": "none", "command": ["true"]}]}}}}
        server.kubectl("create", "-f", "-", input=json.dumps(job))
        server.kubectl("create", "-f", "-", input=json.dumps({
            "apiVersion": "scheduling.x-k8s.io/v1alpha1", "kind": "PodGroup",
            "metadata": {"name": "g", "namespace": ns}, "spec": {"minMember": 2}}))
        server.kubectl("create", "-f", "-", input=json.dumps({
            "apiVersion": "ml.example.com/v1", "kind": "Training",
            "metadata": {"name": "t", "namespace": ns}, "spec": {"workers": 2}}))
        server.kubectl("create", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": ns},
            "data": {"k": "v"}}))
        wait_until(lambda: len(kubectl_get_json(server, "pods", "-n", ns)["items"]) == 3,
                   TIMEOUT, what=f"the job's pods in {ns}")
    pods = kubectl_get_json(server, "pods", "-n", "doomed")["items"]
    assert all("batch.kubernetes.io/job-tracking" in p["metadata"]["finalizers"] for p in pods)

    r = server.kubectl("delete", "namespace", "doomed", "--timeout=30s")
    assert r.stdout.strip() == 'namespace "doomed" deleted'
    assert server.request("GET", "/api/v1/namespaces/doomed").status == 404
    for path in ("/api/v1/namespaces/doomed/pods", "/api/v1/namespaces/doomed/configmaps",
                 "/apis/batch/v1/namespaces/doomed/jobs",
                 "/apis/scheduling.x-k8s.io/v1alpha1/namespaces/doomed/podgroups",
                 "/apis/ml.example.com/v1/namespaces/doomed/trainings"):
        assert server.get_json(path)["items"] == [], path
    for kind in ("jobs", "podgroups", "trainings", "configmaps"):
        names = server.kubectl("get", kind, "-n", "kept", "-o", "name").stdout.split()
        assert len([n for n in names if not n.endswith("kube-root-ca.crt")]) == 1, (kind, names)
    assert len(kubectl_get_json(server, "pods", "-n", "kept")["items"]) == 3
