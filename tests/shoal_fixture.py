"""Starts and stops a real `shoal server` for the end-to-end tests.

Each ShoalServer owns a fresh temporary data directory and one child process. It is started
on a free loopback port, waited for with a deadline on GET /readyz (no fixed sleeps), and
always stopped by its PID: SIGTERM, then SIGKILL if it does not exit in time. The data
directory is removed when the server is closed.

The binary comes from $SHOAL_BIN (default: /work/main/build/shoal).
"""

import base64
import http.client
import json
import os
import queue
import select
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse

DEFAULT_BIN = "/work/main/build/shoal"
KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")
SETPRIV = shutil.which("setpriv")
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


def shoal_bin():
    return os.environ.get("SHOAL_BIN", DEFAULT_BIN)


def assert_server_refuses_flag(tmp_path, flag, value):
    """`shoal server FLAG VALUE` exits non-zero at start, naming the flag."""
    r = subprocess.run([shoal_bin(), "server", "--data-dir", str(tmp_path / "d"), "--port", "0",
                        flag, value], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0, r.stdout
    assert flag in r.stderr, r.stderr


def free_port():
    """A loopback port that was free a moment ago (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def file_tail(path, n):
    """The last `n` lines of a log file ("" if there is none)."""
    if not path or not os.path.exists(path):
        return ""
    with open(path, "rb") as f:
        lines = f.read().decode(errors="replace").splitlines()
    return "\n".join(lines[-n:])


def kubectl_get_json(server, *args, show_managed_fields=False):
    """`kubectl get ARGS -o json`, decoded (managedFields only when asked for, as kubectl)."""
    extra = ["--show-managed-fields"] if show_managed_fields else []
    return json.loads(server.kubectl("get", *args, "-o", "json", *extra).stdout)


def metric_sample(text, name, **labels):
    """The value of one sample of Prometheus' text format (labels in any order)."""
    want = {k: v for k, v in labels.items()}
    for line in text.splitlines():
        if not labels and line.startswith(name + " "):
            return float(line.split(" ")[1])
        if not line.startswith(name + "{"):
            continue
        inner, value = line[len(name) + 1:].rsplit("} ", 1)
        got = dict(part.split("=", 1) for part in inner.split(","))
        got = {k: v.strip('"') for k, v in got.items()}
        if got == want:
            return float(value)
    raise AssertionError(f"no sample {name}{labels} in /metrics")


def metric_sample_or_none(text, name, **labels):
    try:
        return metric_sample(text, name, **labels)
    except AssertionError:
        return None


def wait_until(predicate, timeout, interval=0.02, what="condition"):
    """Polls `predicate` until it returns a truthy value or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def _parse_kubeconfig(path):
    """Extracts server URL, CA bytes and bearer token from the kubeconfig shoal writes.

    Parsed by hand (the file is simple YAML) so the fixture needs no YAML library.
    """
    server = ca = token = None
    with open(path) as f:
        for line in f:
            s = line.strip()
            if s.startswith("server:"):
                server = s.split(":", 1)[1].strip().strip('"')
            elif s.startswith("certificate-authority-data:"):
                ca = base64.b64decode(s.split(":", 1)[1].strip().strip('"'))
            elif s.startswith("token:"):
                token = s.split(":", 1)[1].strip().strip('"')
    if not (server and ca and token):
        raise ValueError(f"incomplete kubeconfig {path}")
    return server, ca, token


class HttpResult:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"HttpResult({self.status}, {self.body[:300]!r})"


class ShoalServer:
    """One `shoal server` process on a private data directory."""

    def __init__(self, workdir=None, extra_args=()):
        self.workdir = workdir or tempfile.mkdtemp(prefix="shoal-e2e-")
        self.data_dir = os.path.join(self.workdir, "data")
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.log_path = None
        self._starts = 0
        self._ssl = None

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self, timeout=READY_TIMEOUT_S, same_port=False):
        """Starts the server and waits for /readyz. Retries on a port lost to a race.

        same_port: listen on the port of the previous start, so that clients holding the old
        kubeconfig (agents) reconnect to the restarted server.
        """
        assert self.proc is None, "already running"
        last_error = None
        for _ in range(3):
            if not (same_port and self.port):
                self.port = free_port()
            self._starts += 1
            self.log_path = os.path.join(self.workdir, f"server-{self._starts}.log")
            kubeconfig = os.path.join(self.data_dir, "admin.kubeconfig")
            # A kubeconfig left by an earlier run names an old port: wait for the new one.
            if os.path.exists(kubeconfig):
                os.unlink(kubeconfig)
            cmd = [shoal_bin(), "server", "--data-dir", self.data_dir, "--bind", "127.0.0.1",
                   "--port", str(self.port)] + self.extra_args
            if SETPRIV:
                # If pytest itself is killed (a ctest timeout), the server dies with it. setpriv
                # execs the server, so the PID stays the server's.
                cmd = [SETPRIV, "--pdeathsig", "KILL", "--"] + cmd
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL)
            try:
                self._wait_ready(timeout)
                return self
            except Exception as e:  # noqa: BLE001 - reported below if every attempt fails
                last_error = e
                self.stop()
        raise RuntimeError(f"shoal server did not become ready: {last_error}\n{self.log_tail()}")

    def _wait_ready(self, timeout):
        kubeconfig = os.path.join(self.data_dir, "admin.kubeconfig")

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with code {self.proc.returncode}")
            if not os.path.exists(kubeconfig):
                return False
            try:
                server, ca, token = _parse_kubeconfig(kubeconfig)
            except (ValueError, OSError):
                return False  # still being written
            if urllib.parse.urlparse(server).port != self.port:
                return False
            self.server_url, self.ca_pem, self.token = server, ca, token
            self._ssl = None
            try:
                r = self.request("GET", "/readyz", token=None, timeout=2)
            except OSError:
                return False
            return r.status == 200

        wait_until(ready, timeout, what=f"/readyz on port {self.port}")
        self.ca_path = os.path.join(self.workdir, "ca.crt")
        with open(self.ca_path, "wb") as f:
            f.write(self.ca_pem)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT_S):
        """Stops the process by PID: `sig` first, SIGKILL if it outlives `timeout`.

        Returns the exit code (negative for a signal), or None if nothing was running.
        """
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                os.kill(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        return proc.returncode

    def kill(self):
        """SIGKILL: the crash case. Returns the exit code."""
        return self.stop(sig=signal.SIGKILL)

    def restart(self, sig=signal.SIGTERM, same_port=False):
        self.stop(sig=sig)
        return self.start(same_port=same_port)

    def close(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, n=60):
        return file_tail(self.log_path, n)

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def kubeconfig(self):
        return os.path.join(self.data_dir, "admin.kubeconfig")

    # ---- raw HTTPS -------------------------------------------------------------------------

    def ssl_context(self):
        if self._ssl is None:
            ctx = ssl.create_default_context(cadata=self.ca_pem.decode())
            self._ssl = ctx
        return self._ssl

    def connection(self, timeout=30):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ssl_context(),
                                           timeout=timeout)

    def request(self, method, path, body=None, token="", headers=None, timeout=30,
                content_type="application/json"):
        """One HTTPS request on a fresh connection.

        token: "" = the admin token, None = no Authorization header, else that token.
        body: bytes, str, or a JSON-serializable object.
        """
        h = {"Accept": "application/json"}
        if token == "":
            token = self.token
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            if isinstance(body, str):
                body = body.encode()
            h["Content-Type"] = content_type
        h.update(headers or {})
        conn = self.connection(timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read()
            return HttpResult(resp.status, dict(resp.getheaders()), data)
        finally:
            conn.close()

    def get_json(self, path):
        r = self.request("GET", path)
        assert r.status == 200, r
        return r.json()

    # ---- kubectl ---------------------------------------------------------------------------

    def kubectl(self, *args, check=True, timeout=60, input=None):
        """Runs kubectl with this server's kubeconfig and a private discovery cache."""
        cmd = [KUBECTL, "--kubeconfig", self.kubeconfig,
               "--cache-dir", os.path.join(self.workdir, "kube-cache")] + list(args)
        env = dict(os.environ, HOME=self.workdir)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input,
                           env=env)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({r.returncode}):\n"
                                 f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def kubectl_popen(self, *args):
        cmd = [KUBECTL, "--kubeconfig", self.kubeconfig,
               "--cache-dir", os.path.join(self.workdir, "kube-cache")] + list(args)
        env = dict(os.environ, HOME=self.workdir)
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                stdin=subprocess.DEVNULL)


class WatchStream:
    """A raw streaming WATCH over HTTPS.

    A reader thread turns the chunked body into JSON events on a queue, so the test thread
    can wait for events with a deadline without ever putting the socket into a timed-out
    state. close() shuts the socket down, which ends the reader.
    """

    _END = object()

    def __init__(self, server, path, token="", timeout=30):
        self.conn = server.connection(timeout=timeout)
        h = {"Accept": "application/json"}
        if token == "":
            token = server.token
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        self.conn.request("GET", path, headers=h)
        self.resp = self.conn.getresponse()  # status line and headers, within `timeout`
        self.status = self.resp.status
        self.ended = False
        self._queue = queue.Queue()
        if self.status == 200:
            self.conn.sock.settimeout(None)
            self._thread = threading.Thread(target=self._read, daemon=True)
            self._thread.start()
        else:
            self._thread = None

    def _read(self):
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    break
                if line.strip():
                    self._queue.put(json.loads(line))
        except Exception:  # noqa: BLE001 - the socket was closed under us, or bad data
            pass
        finally:
            self._queue.put(self._END)

    def _next(self, timeout):
        if self.ended:
            return self._END
        try:
            item = self._queue.get(timeout=max(timeout, 0))
        except queue.Empty:
            return None
        if item is self._END:
            self.ended = True
        return item

    def read_until(self, want, timeout):
        """Reads events until `want(events)` is true or the stream ends; returns them all.

        Raises TimeoutError if the deadline passes first.
        """
        deadline = time.monotonic() + timeout
        events = []
        while not want(events):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [(e.get("type"), e.get("object", {}).get("metadata", {}).get("name"))
                        for e in events]
                raise TimeoutError(
                    f"watch: timed out after {timeout}s with {len(events)} events: {seen}")
            item = self._next(remaining)
            if item is None:
                continue
            if item is self._END:
                break
            events.append(item)
        return events

    def read_for(self, seconds):
        """Every event that arrives within `seconds` (fewer if the stream ends)."""
        deadline = time.monotonic() + seconds
        events = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return events
            item = self._next(remaining)
            if item is None:
                continue
            if item is self._END:
                return events
            events.append(item)

    def body(self):
        """The whole body of a non-200 answer."""
        return self.resp.read()

    def close(self):
        try:
            if self.conn.sock is not None:
                self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.conn.close()
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def raw_exchange(server, data, timeout=30):
    """Sends raw HTTP/1.1 bytes over TLS while reading the answer at the same time.

    Like Go's HTTP client (kubectl), it keeps reading while it writes, so an answer the
    server sends before the body is complete (413 for an oversized body) is received even
    though the server then closes the connection. Returns an HttpResult, or raises
    ConnectionError if no complete answer arrived.
    """
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    tls = server.ssl_context().wrap_socket(sock, server_hostname="127.0.0.1")
    tls.setblocking(False)
    out = memoryview(data)
    received = b""
    deadline = time.monotonic() + timeout
    send_error = None
    try:
        while time.monotonic() < deadline:
            want_write = send_error is None and len(out) > 0
            readable, writable, _ = select.select([tls], [tls] if want_write else [], [], 0.2)
            if readable or tls.pending():
                try:
                    chunk = tls.recv(65536)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    chunk = None
                except OSError:
                    break
                if chunk == b"":
                    break
                if chunk:
                    received += chunk
                    parsed = _parse_response(received)
                    if parsed is not None:
                        return parsed
            if writable and want_write:
                try:
                    n = tls.send(out[:65536])
                    out = out[n:]
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
                except OSError as e:
                    send_error = e  # the server stopped reading; keep reading its answer
    finally:
        tls.close()
    parsed = _parse_response(received)
    if parsed is None:
        raise ConnectionError(f"no complete HTTP answer (send error: {send_error!r}); "
                              f"got {received[:200]!r}")
    return parsed


def _parse_response(data):
    """An HttpResult once `data` holds a whole response with a Content-Length, else None."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "-1"))
    if length < 0 or len(body) < length:
        return None
    return HttpResult(status, headers, body[:length])


class ShoalAgent:
    """One `shoal agent` process for a node, against a running ShoalServer.

    Its data directory lives in the server's workdir. close() stops it by PID and then kills
    any container process group it left behind (recorded in DATA/NODE/pods/*/procs/), so that
    a failed test leaves no process running.
    """

    def __init__(self, server, node="node-1", fake_gpus=8, extra_args=()):
        self.server = server
        self.node = node
        self.fake_gpus = fake_gpus
        self.extra_args = list(extra_args)
        self.data_dir = os.path.join(server.workdir, "agent")
        self.proc = None
        self._starts = 0
        self.log_path = None

    def start(self, wait_ready=True):
        assert self.proc is None, "already running"
        self._starts += 1
        self.log_path = os.path.join(self.server.workdir, f"agent-{self.node}-{self._starts}.log")
        cmd = [shoal_bin(), "agent", "--kubeconfig", self.server.kubeconfig, "--node-name",
               self.node, "--data-dir", self.data_dir, "--port", "0"] + self.extra_args
        if self.fake_gpus is not None:
            cmd += ["--fake-gpus", str(self.fake_gpus)]
        if SETPRIV:
            cmd = [SETPRIV, "--pdeathsig", "KILL", "--"] + cmd
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        if wait_ready:
            wait_until(self._registered, 20, interval=0.05, what=f"node {self.node} registered")
        return self

    def _registered(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"agent exited with {self.proc.returncode}:\n{self.log_tail()}")
        r = self.server.request("GET", f"/api/v1/nodes/{self.node}")
        return r.status == 200 and "registered" in self.log_tail()

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT_S):
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def kill(self):
        return self.stop(sig=signal.SIGKILL)

    def recorded_processes(self):
        """(pid, start_ticks) of every container process the agent has on record."""
        out = []
        root = os.path.join(self.data_dir, self.node, "pods")
        for uid in os.listdir(root) if os.path.isdir(root) else []:
            procs = os.path.join(root, uid, "procs")
            for name in os.listdir(procs) if os.path.isdir(procs) else []:
                try:
                    with open(os.path.join(procs, name)) as f:
                        pid, ticks = f.read().split()
                    out.append((int(pid), int(ticks)))
                except (OSError, ValueError):
                    pass
        return out

    def close(self):
        try:
            self.stop()
        finally:
            for pid, _ in self.recorded_processes():
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def log_tail(self, n=60):
        return file_tail(self.log_path, n)


class Sim:
    """One `shoal sim` process (hollow nodes) against a running ShoalServer; stop() by PID."""

    def __init__(self, server, *args, own_temporary_dir=False, log_name="sim.log"):
        """own_temporary_dir: no --data-dir, so the sim makes (and at exit removes) its own
        temporary directory, in /dev/shm when that is writable."""
        self.log_path = os.path.join(server.workdir, log_name)
        cmd = [shoal_bin(), "sim", "--kubeconfig", server.kubeconfig]
        if not own_temporary_dir:
            cmd += ["--data-dir", os.path.join(server.workdir, "sim")]
        cmd += list(args)
        if SETPRIV:
            cmd = [SETPRIV, "--pdeathsig", "KILL", "--"] + cmd
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def process_alive(pid):
    """True if `pid` runs and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
