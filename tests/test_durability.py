"""End-to-end durability: SIGKILL the server under concurrent writes, restart, and check that
every acknowledged write is there, unchanged, and that watches from old revisions are exact
or 410 Gone. The server runs with its default commit delay (group commit waits up to 2 ms for
more writes), so these also prove that the delay acknowledges nothing before its fsync; the
last tests check that concurrent writers share commits, and that a delay of 0 never waits.
"""

import http.client
import json
import re
import threading
import time
import urllib.parse

import pytest

from shoal_fixture import WatchStream, assert_server_refuses_flag, wait_until

NS = "load"
CM_PATH = f"/api/v1/namespaces/{NS}/configmaps"
WRITERS = 8


class Writer(threading.Thread):
    """Creates configmaps `<prefix>-<i>` over one keep-alive HTTPS connection until told to
    stop or the server goes away. Records every acknowledged create."""

    def __init__(self, server, prefix, stop):
        super().__init__(daemon=True)
        self.server, self.prefix, self.stop_event = server, prefix, stop
        self.acked = {}       # name -> (resourceVersion, uid, data) from the 201 answer
        self.attempted = set()
        self.unexpected = []  # answers other than 201 while the server was up

    def run(self):
        headers = {"Authorization": f"Bearer {self.server.token}",
                   "Content-Type": "application/json", "Accept": "application/json"}
        conn = self.server.connection(timeout=30)
        i = 0
        try:
            while not self.stop_event.is_set():
                name = f"{self.prefix}-{i}"
                data = {"writer": self.prefix, "seq": str(i), "pad": "p" * (i % 97)}
                body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                   "metadata": {"name": name, "labels": {"w": self.prefix}},
                                   "data": data})
                self.attempted.add(name)
                i += 1
                try:
                    conn.request("POST", CM_PATH, body=body, headers=headers)
                    resp = conn.getresponse()
                    payload = resp.read()
                except (OSError, http.client.HTTPException):
                    return  # the server was killed: this write is not acknowledged
                if resp.status != 201:
                    self.unexpected.append((name, resp.status, payload[:200]))
                    continue
                obj = json.loads(payload)
                m = obj["metadata"]
                assert m["name"] == name
                self.acked[name] = (m["resourceVersion"], m["uid"], obj["data"])
        finally:
            conn.close()


def run_writers(server, prefix, acks, then):
    """Starts WRITERS writers (configmaps `<prefix>w<t>-<i>`); once `acks` creates are
    acknowledged, with the writers still running, calls then(writers); then stops the writers
    and returns them."""
    stop = threading.Event()
    writers = [Writer(server, f"{prefix}w{t}", stop) for t in range(WRITERS)]
    for w in writers:
        w.start()
    try:
        wait_until(lambda: sum(len(w.acked) for w in writers) >= acks, timeout=60,
                   interval=0.005, what=f"{acks} acknowledged creates")
        then(writers)
    finally:
        stop.set()
        for w in writers:
            w.join(timeout=30)
    for w in writers:
        assert not w.unexpected, w.unexpected[:5]
    return writers


def run_load_and_kill(server, round_id, min_acks):
    """Starts WRITERS writers, SIGKILLs the server once `min_acks` creates are acknowledged
    (writers still running), and returns the writers."""
    def kill(writers):
        assert all(w.is_alive() for w in writers), "a writer stopped before the kill"
        code = server.kill()
        assert code == -9, f"server exit code {code}: it was not running under load"
    return run_writers(server, f"r{round_id}", min_acks, kill)


def list_all(server):
    """name -> object for every configmap in NS, read page by page."""
    out, token = {}, None
    while True:
        params = {"limit": "500"}
        if token:
            params["continue"] = token
        page = server.get_json(CM_PATH + "?" + urllib.parse.urlencode(params))
        for item in page["items"]:
            assert item["metadata"]["name"] not in out, "an object was listed twice"
            out[item["metadata"]["name"]] = item
        token = page["metadata"].get("continue")
        if not token:
            return out, int(page["metadata"]["resourceVersion"])


def check_acknowledged(server, writers, others=()):
    """Every create a writer got a 201 for is stored exactly as acknowledged. `others` names
    objects the test itself created besides the writers'."""
    stored, list_rv = list_all(server)
    acked = {}
    attempted = set(others)
    for w in writers:
        acked.update(w.acked)
        attempted |= w.attempted
    missing = [n for n in acked if n not in stored]
    assert not missing, f"{len(missing)} acknowledged creates lost, e.g. {missing[:5]}"
    for name, (rv, uid, data) in acked.items():
        m = stored[name]["metadata"]
        assert m["resourceVersion"] == rv, (name, rv, m["resourceVersion"])
        assert m["uid"] == uid, name
        assert stored[name]["data"] == data, name
    # Nothing appeared that no client asked for; at most the in-flight creates (one per
    # writer and round) were applied without an acknowledgement.
    phantoms = set(stored) - attempted
    assert not phantoms, f"objects nobody created: {sorted(phantoms)[:5]}"
    # Revisions are unique: no two objects share a resourceVersion.
    rvs = [int(o["metadata"]["resourceVersion"]) for o in stored.values()]
    assert len(rvs) == len(set(rvs)), "two objects share a resourceVersion"
    assert list_rv >= max(rvs)
    # A GET of each of a sample of objects answers the same as the list.
    for name in sorted(acked)[:: max(1, len(acked) // 50)]:
        assert server.get_json(f"{CM_PATH}/{name}") == stored[name]
    return stored, list_rv


def check_watch_from(server, from_rv, stored, probe, timeout=20):
    """A watch from `from_rv` either replays exactly the creates after it, in revision order,
    or ends with a single 410 Gone (ERROR event or Status). After a replay, creates the
    configmap `probe` and expects it as the very next event."""
    expected = sorted(((int(o["metadata"]["resourceVersion"]), n) for n, o in stored.items()
                       if int(o["metadata"]["resourceVersion"]) > from_rv))
    path = f"{CM_PATH}?watch=true&resourceVersion={from_rv}"
    with WatchStream(server, path) as w:
        if w.status == 410:
            status = json.loads(w.body())
            assert status["kind"] == "Status" and status["code"] == 410, status
            return "gone"
        assert w.status == 200, w.status
        first = w.read_until(lambda e: len(e) >= 1, timeout=timeout) if expected else \
            w.read_for(1.0)
        if first and first[0]["type"] == "ERROR":
            status = first[0]["object"]
            assert status["kind"] == "Status" and status["code"] == 410, status
            assert len(first) == 1
            return "gone"
        events = first + w.read_until(lambda e: len(first) + len(e) >= len(expected),
                                      timeout=timeout)
        got = [(int(e["object"]["metadata"]["resourceVersion"]), e["object"]["metadata"]["name"])
               for e in events]
        assert all(e["type"] == "ADDED" for e in events), [e["type"] for e in events][:10]
        assert got == expected, "replay differs: " + str(
            [(g, x) for g, x in zip(got, expected) if g != x][:5])
        # Nothing more: a new object is the very next event.
        r = server.request("POST", CM_PATH, {"metadata": {"name": probe}})
        assert r.status == 201, r
        nxt = w.read_until(lambda e: len(e) >= 1, timeout=timeout)
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in nxt] == [("ADDED", probe)]
        return "replayed"


def test_sigkill_under_concurrent_creates_loses_no_acknowledged_write(server):
    assert server.request("POST", "/api/v1/namespaces", {"metadata": {"name": NS}}).status == 201
    start_rv = server.get_json(CM_PATH)["metadata"]["resourceVersion"]

    all_writers, others = [], set()
    for round_id in range(2):
        writers = run_load_and_kill(server, round_id, min_acks=1000)
        all_writers += writers
        n_acked = sum(len(w.acked) for w in writers)
        print(f"round {round_id}: {n_acked} creates acknowledged of "
              f"{sum(len(w.attempted) for w in writers)} sent")
        assert n_acked >= 1000
        server.start()  # same data dir
        stored, list_rv = check_acknowledged(server, all_writers, others)

        # New writes continue the revision sequence: nothing is reused or goes back.
        r = server.request("POST", CM_PATH, {"metadata": {"name": f"after-{round_id}"}})
        assert r.status == 201, r
        new_rv = int(r.json()["metadata"]["resourceVersion"])
        assert new_rv > list_rv
        others.add(f"after-{round_id}")

        # Watches from old revisions: exact replay or 410.
        acked_rvs = sorted(int(rv) for w in writers for rv, _, _ in w.acked.values())
        for i, from_rv in enumerate((int(start_rv), acked_rvs[len(acked_rvs) // 2],
                                     acked_rvs[-1])):
            stored, _ = list_all(server)
            probe = f"probe-{round_id}-{i}"
            outcome = check_watch_from(server, from_rv, stored, probe)
            print(f"watch from {from_rv}: {outcome}")
            assert outcome in ("gone", "replayed")
            others.add(probe)
        # From the revision of the post-restart list, the replay must be exact.
        stored, _ = list_all(server)
        probe = f"probe-{round_id}-list"
        assert check_watch_from(server, list_rv, stored, probe) == "replayed"
        others.add(probe)

    # After a clean stop and start, everything is still there.
    server.restart()
    check_acknowledged(server, all_writers, others)


class Updater(threading.Thread):
    """Updates one configmap over and over; records each acknowledged value and revision."""

    def __init__(self, server, name, stop):
        super().__init__(daemon=True)
        self.server, self.name, self.stop_event = server, name, stop
        self.acked = []     # (counter, resourceVersion)
        self.attempted = 0  # highest counter sent

    def run(self):
        headers = {"Authorization": f"Bearer {self.server.token}",
                   "Content-Type": "application/merge-patch+json", "Accept": "application/json"}
        conn = self.server.connection(timeout=30)
        n = 0
        try:
            while not self.stop_event.is_set():
                n += 1
                self.attempted = n
                body = json.dumps({"data": {"counter": str(n)}})
                try:
                    conn.request("PATCH", f"{CM_PATH}/{self.name}", body=body, headers=headers)
                    resp = conn.getresponse()
                    payload = resp.read()
                except (OSError, http.client.HTTPException):
                    return
                assert resp.status == 200, payload
                self.acked.append((n, json.loads(payload)["metadata"]["resourceVersion"]))
        finally:
            conn.close()


def test_sigkill_under_concurrent_updates_and_deletes(server):
    assert server.request("POST", "/api/v1/namespaces", {"metadata": {"name": NS}}).status == 201
    names = [f"u{i}" for i in range(4)]
    for n in names + [f"d{i}" for i in range(200)]:
        assert server.request("POST", CM_PATH, {"metadata": {"name": n},
                                                "data": {"counter": "0"}}).status == 201
    stop = threading.Event()
    updaters = [Updater(server, n, stop) for n in names]
    deleted = []

    def deleter():
        conn = server.connection(timeout=30)
        h = {"Authorization": f"Bearer {server.token}", "Accept": "application/json"}
        try:
            for i in range(200):
                if stop.is_set():
                    return
                try:
                    conn.request("DELETE", f"{CM_PATH}/d{i}", headers=h)
                    resp = conn.getresponse()
                    resp.read()
                except (OSError, http.client.HTTPException):
                    return
                assert resp.status == 200
                deleted.append(f"d{i}")
        finally:
            conn.close()

    d = threading.Thread(target=deleter, daemon=True)
    for u in updaters:
        u.start()
    d.start()
    try:
        wait_until(lambda: all(len(u.acked) >= 100 for u in updaters) and len(deleted) >= 50,
                   timeout=60, interval=0.005, what="updates and deletes under way")
        assert server.kill() == -9
    finally:
        stop.set()
        for t in updaters + [d]:
            t.join(timeout=30)

    server.start()
    for u in updaters:
        obj = server.get_json(f"{CM_PATH}/{u.name}")
        last_n, last_rv = u.acked[-1]
        have = int(obj["data"]["counter"])
        # The last acknowledged update survived; at most the one in flight was applied too.
        assert have in (last_n, u.attempted), (u.name, have, last_n, u.attempted)
        if have == last_n:
            assert obj["metadata"]["resourceVersion"] == last_rv
        else:
            assert int(obj["metadata"]["resourceVersion"]) > int(last_rv)
    for n in deleted:
        assert server.request("GET", f"{CM_PATH}/{n}").status == 404, n
    remaining = [f"d{i}" for i in range(200) if f"d{i}" not in deleted]
    present = [n for n in remaining
               if server.request("GET", f"{CM_PATH}/{n}").status == 200]
    # Every unacknowledged delete but the one in flight is still there.
    assert len(present) >= len(remaining) - 1


def test_sigterm_stops_cleanly_with_open_watches(server):
    assert server.request("POST", "/api/v1/namespaces", {"metadata": {"name": NS}}).status == 201
    for i in range(20):
        assert server.request("POST", CM_PATH, {"metadata": {"name": f"t{i}"}}).status == 201
    before, _ = list_all(server)
    watches = [WatchStream(server, f"{CM_PATH}?watch=true") for _ in range(3)]
    try:
        for w in watches:
            assert w.status == 200
            assert len(w.read_until(lambda e: len(e) >= 20, timeout=10)) == 20
        t0 = time.monotonic()
        code = server.stop()  # SIGTERM; SIGKILL only after 10 s
        assert code == 0, f"exit code {code} after SIGTERM"
        assert time.monotonic() - t0 < 5, "SIGTERM took too long with watches open"
        for w in watches:
            w.read_until(lambda e: False, timeout=5)  # the streams end
            assert w.ended
    finally:
        for w in watches:
            w.close()
    server.start()
    after, _ = list_all(server)
    assert after == before


def _write_for_a_while_then_stop(server, acks):
    """WRITERS writers until `acks` creates are acknowledged; then SIGTERM. Returns the
    server's shutdown line about its commits: (writes, commits, waits)."""
    assert server.request("POST", "/api/v1/namespaces", {"metadata": {"name": NS}}).status == 201
    run_writers(server, "d", acks, lambda writers: None)
    assert server.stop() == 0
    line = [ln for ln in server.log_tail(200).splitlines() if "store: " in ln]
    assert line, server.log_tail(40)
    m = re.search(r"store: (\d+) writes in (\d+) commits; (\d+) waits", line[-1])
    assert m, line[-1]
    return tuple(int(g) for g in m.groups())


def test_concurrent_writers_share_commits_with_the_commit_delay(server):
    writes, commits, waits = _write_for_a_while_then_stop(server, 1500)
    assert writes >= 1500
    assert waits > 0
    assert commits < writes, "no commit served more than one write"


@pytest.mark.server_args("--store-commit-delay-us", "0")
def test_a_commit_delay_of_zero_never_waits(server):
    writes, commits, waits = _write_for_a_while_then_stop(server, 500)
    assert writes >= 500
    assert waits == 0


@pytest.mark.parametrize("value", ["-1", "100001", "2ms"])
def test_a_bad_commit_delay_is_refused_at_start(tmp_path, value):
    assert_server_refuses_flag(tmp_path, "--store-commit-delay-us", value)
