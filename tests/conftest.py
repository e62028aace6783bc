"""pytest fixtures shared by the end-to-end tests: a fresh shoal server per test."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from shoal_fixture import ShoalServer, Sim, file_tail  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "no_scheduler: run the server with --disable scheduler (the test binds pods "
        "itself, as a scheduler would, or needs pods to stay exactly as it wrote them)")
    config.addinivalue_line(
        "markers", "no_controllers: run the server with --disable controllers (the test writes "
        "status that a controller would own, e.g. a PodGroup's phase)")
    config.addinivalue_line(
        "markers", "server_args(*args): extra command-line arguments for the server, e.g. "
        "shortened controller durations (--node-monitor-grace-period 3s)")


@pytest.fixture
def server(request):
    """A running shoal server on a fresh data dir; stopped by PID and removed afterwards.

    The end of the server's log is printed at teardown, so pytest shows it for a failed test;
    a server that does not exit with 0 on SIGTERM fails the test.
    """
    disable = [part for part, marker in (("scheduler", "no_scheduler"),
                                         ("controllers", "no_controllers"))
               if request.node.get_closest_marker(marker) is not None]
    extra = ["--disable", ",".join(disable)] if disable else []
    for marker in request.node.iter_markers("server_args"):
        extra += list(marker.args)
    s = ShoalServer(extra_args=extra)
    code = None
    try:
        s.start()
        yield s
    finally:
        try:
            code = s.stop()
            print(f"---- shoal server log (tail; exit code {code}) ----")
            print(s.log_tail())
        finally:
            s.close()
    # DESIGN.md: SIGTERM stops the server cleanly.
    assert code in (None, 0), f"shoal server exited with code {code} after SIGTERM"


@pytest.fixture
def k8s(server):
    """The Debian python3-kubernetes client, configured from the server's admin.kubeconfig."""
    from kubernetes import client, config

    cfg = client.Configuration()
    config.load_kube_config(config_file=server.kubeconfig, client_configuration=cfg)
    api_client = client.ApiClient(cfg)
    try:
        yield api_client
    finally:
        api_client.close()


@pytest.fixture
def sim_factory(server):
    """Starts `shoal sim` processes against the server; each is stopped and its log printed."""
    sims = []

    def make(*args, **kwargs):
        s = Sim(server, *args, **kwargs)
        sims.append(s)
        return s
    try:
        yield make
    finally:
        for s in sims:
            code = s.stop()
            print(f"---- shoal sim log (tail; exit {code}) ----\n{file_tail(s.log_path, 30)}")
