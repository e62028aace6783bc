"""End-to-end tests of `shoal agent`'s GPU discovery and GPU health checks through nvidia-smi.

Without a GPU, the agent is pointed (--nvidia-smi) at a stand-in program that prints what a
real nvidia-smi printed on an NVIDIA H200 machine (recorded below, the lines unchanged but
repeated for 8 GPUs) and that the test can make report fewer GPUs, ECC errors or a failure;
the kernel log (--kernel-log) is a file the test appends Xid records to. The agent runs the
program as a real child process, exactly as it runs nvidia-smi.

With a real nvidia-smi on PATH (a GPU machine), test_real_gpus_* run against it and the real
/dev/kmsg; without one they are skipped. Only the API (no kubectl) is used here, so that the
file runs on a GPU machine that has no kubectl.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from shoal_fixture import ShoalAgent, shoal_bin, wait_until

# What `nvidia-smi --query-gpu=index,uuid,name --format=csv,noheader` and
# `nvidia-smi --query-gpu=index,ecc.errors.uncorrected.volatile.total --format=csv,noheader`
# printed on an NVIDIA H200 machine (driver 580.159.04, Ubuntu 24.04), 2026-12-04.
H200_GPU_LINE = "0, GPU-591d22d9-f40b-2202-ee83-a15239aebc6a, NVIDIA H200"
H200_ECC_LINE = "0, 0"
H200_PRODUCT_LABEL = "NVIDIA-H200"

FAKE_SMI = """#!/bin/sh
# A stand-in for nvidia-smi: answers the agent's two queries from files beside it.
dir=$(dirname "$0")
if [ -f "$dir/fail" ]; then cat "$dir/fail"; exit 9; fi
case "$1" in
  --query-gpu=index,uuid,name) cat "$dir/gpus.csv" ;;
  --query-gpu=index,ecc.errors.uncorrected.volatile.total) cat "$dir/ecc.csv" ;;
  *) echo "unexpected arguments: $*"; exit 2 ;;
esac
"""


class FakeSmi:
    """The stand-in nvidia-smi in `dir`, reporting `count` H200s until told otherwise."""

    def __init__(self, dir_, count=8):
        self.dir = dir_
        self.dir.mkdir()
        self.path = self.dir / "nvidia-smi"
        self.path.write_text(FAKE_SMI)
        self.path.chmod(0o755)
        self.set_gpus(count)
        self.set_ecc({})

    def gpu_line(self, i):
        index, uuid, name = (p.strip() for p in H200_GPU_LINE.split(","))
        return f"{i}, {uuid[:-2]}{i:02d}, {name}"

    def set_gpus(self, count):
        self.count = count
        (self.dir / "gpus.csv").write_text("".join(self.gpu_line(i) + "\n" for i in range(count)))

    def set_ecc(self, errors):
        """errors: GPU index -> uncorrectable ECC count (others as recorded: 0)."""
        lines = []
        for i in range(self.count):
            lines.append(f"{i}, {errors[i]}" if i in errors
                         else f"{i}{H200_ECC_LINE[H200_ECC_LINE.index(','):]}")
        (self.dir / "ecc.csv").write_text("".join(line + "\n" for line in lines))

    def set_failing(self, message):
        if message is None:
            (self.dir / "fail").unlink(missing_ok=True)
        else:
            (self.dir / "fail").write_text(message + "\n")


def get_node(server, node="node-1"):
    return server.get_json(f"/api/v1/nodes/{node}")


def healthy_condition(server, node="node-1"):
    for c in get_node(server, node)["status"]["conditions"]:
        if c["type"] == "Healthy":
            return c
    return None


def taint_keys(server, node="node-1"):
    return {t["key"] for t in get_node(server, node)["spec"].get("taints", [])}


def wait_health(server, healthy, what, timeout=20):
    """Waits until the node's Healthy condition is `healthy` (and the taint agrees); returns
    the condition."""
    def check():
        c = healthy_condition(server)
        if c is None or (c["status"] == "True") != healthy:
            return None
        return c if ("shoal.io/unhealthy" in taint_keys(server)) != healthy else None
    return wait_until(check, timeout, interval=0.2, what=what)


def create_pod(server, name, command, gpus=0):
    container = {"name": "main", "image": "none", "command": command}
    if gpus:
        container["resources"] = {"limits": {"nvidia.com/gpu": str(gpus)}}
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": "Never", "containers": [container]}}
    r = server.request("POST", "/api/v1/namespaces/default/pods", body)
    assert r.status == 201, r


def wait_pod_phase(server, name, phase, timeout=60):
    def check():
        p = server.get_json(f"/api/v1/namespaces/default/pods/{name}")
        got = p.get("status", {}).get("phase")
        if got in ("Succeeded", "Failed") and got != phase:
            raise AssertionError(f"pod {name} ended {got}, wanted {phase}: {p['status']}")
        return got == phase
    wait_until(check, timeout, interval=0.2, what=f"pod {name} {phase}")


def close_agent(server, agent):
    """Force-deletes the pods (so that the agent stops them), then stops the agent."""
    pods = server.get_json("/api/v1/namespaces/default/pods")["items"]
    for p in pods:
        server.request("DELETE", f"/api/v1/namespaces/default/pods/{p['metadata']['name']}",
                       {"gracePeriodSeconds": 0})
    print(f"---- shoal agent log (tail) ----\n{agent.log_tail()}")
    agent.close()


def test_agent_discovers_gpus_through_nvidia_smi_and_labels_the_model(server, tmp_path):
    smi = FakeSmi(tmp_path / "smi", count=8)
    a = ShoalAgent(server, fake_gpus=None,
                   extra_args=["--nvidia-smi", str(smi.path), "--health-interval", "1",
                               "--kernel-log", str(tmp_path / "kmsg")])
    try:
        a.start()
        node = get_node(server)
        assert node["status"]["capacity"]["nvidia.com/gpu"] == "8"
        assert node["status"]["allocatable"]["nvidia.com/gpu"] == "8"
        assert node["metadata"]["labels"]["nvidia.com/gpu.product"] == H200_PRODUCT_LABEL
        # Each device is logged with its UUID and model, as nvidia-smi named them.
        assert f"GPU 7 {smi.gpu_line(7).split(', ')[1]} (NVIDIA H200)" in a.log_tail()
        # Discovered GPUs are handed out by index like fake ones.
        out = tmp_path / "visible"
        create_pod(server, "two", ["sh", "-c", f"echo $CUDA_VISIBLE_DEVICES > {out}"], gpus=2)
        wait_pod_phase(server, "two", "Succeeded")
        assert out.read_text().strip() == "0,1"
    finally:
        close_agent(server, a)


def test_node_labels_flag_overrides_the_discovered_product_label(server, tmp_path):
    smi = FakeSmi(tmp_path / "smi", count=1)
    a = ShoalAgent(server, fake_gpus=None,
                   extra_args=["--nvidia-smi", str(smi.path),
                               "--node-labels", "nvidia.com/gpu.product=renamed"])
    try:
        a.start()
        assert get_node(server)["metadata"]["labels"]["nvidia.com/gpu.product"] == "renamed"
    finally:
        close_agent(server, a)


def test_fake_gpus_get_no_product_label_and_no_nvidia_smi_checks(server, tmp_path):
    smi = FakeSmi(tmp_path / "smi", count=8)
    smi.set_failing("would fail every check")
    a = ShoalAgent(server, fake_gpus=4,
                   extra_args=["--nvidia-smi", str(smi.path), "--health-interval", "1"])
    try:
        a.start()
        node = get_node(server)
        assert node["status"]["capacity"]["nvidia.com/gpu"] == "4"
        assert "nvidia.com/gpu.product" not in node["metadata"]["labels"]
        wait_health(server, True, "Healthy=True")
        time.sleep(2.5)  # two more health runs: the failing nvidia-smi is never asked
        assert healthy_condition(server)["status"] == "True"
    finally:
        close_agent(server, a)


def test_agent_refuses_to_start_when_nvidia_smi_fails(server, tmp_path):
    smi = FakeSmi(tmp_path / "smi")
    smi.set_failing("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA "
                    "driver.")
    r = subprocess.run([shoal_bin(), "agent", "--kubeconfig", server.kubeconfig,
                        "--node-name", "node-1", "--data-dir", str(tmp_path / "agent"),
                        "--port", "0", "--nvidia-smi", str(smi.path)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "GPU discovery" in r.stderr and "couldn't communicate" in r.stderr, r.stderr
    # Nothing was registered.
    assert server.request("GET", "/api/v1/nodes/node-1").status == 404


def test_gpu_health_checks_lost_gpu_ecc_errors_failing_smi_and_xid(server, tmp_path):
    smi = FakeSmi(tmp_path / "smi", count=8)
    kmsg = tmp_path / "kmsg"
    kmsg.write_text("6,1,1,-;NVRM: Xid (PCI:0000:3b:00): 79, before the agent started\n")
    a = ShoalAgent(server, fake_gpus=None,
                   extra_args=["--nvidia-smi", str(smi.path), "--kernel-log", str(kmsg),
                               "--health-interval", "1"])
    try:
        a.start()
        wait_health(server, True, "Healthy=True (an Xid from before the start does not count)")

        smi.set_gpus(7)  # a GPU fell off the bus
        c = wait_health(server, False, "unhealthy: 7 GPUs")
        assert c["reason"] == "HealthCheckFailed"
        assert "gpu-count: expected 8 GPUs, nvidia-smi reports 7" in c["message"], c
        smi.set_gpus(8)
        wait_health(server, True, "healthy again with 8 GPUs")
        # The allocatable count never followed the lost GPU: the taint keeps work off.
        assert get_node(server)["status"]["allocatable"]["nvidia.com/gpu"] == "8"

        smi.set_ecc({3: 2})
        c = wait_health(server, False, "unhealthy: ECC")
        assert "ecc: GPU 3 has 2 uncorrectable ECC errors" in c["message"], c
        smi.set_ecc({})
        wait_health(server, True, "healthy again without ECC errors")

        smi.set_failing("Unable to determine the device handle for GPU0000:3B:00.0: Unknown "
                        "Error")
        c = wait_health(server, False, "unhealthy: nvidia-smi fails")
        assert "gpu-count: nvidia-smi failed: Unable to determine the device handle" in \
            c["message"], c
        smi.set_failing(None)
        wait_health(server, True, "healthy again with nvidia-smi answering")

        with open(kmsg, "a") as f:
            f.write("4,2,2,-;NVRM: Xid (PCI:0000:3b:00): 48, pid=77, DBE (double bit error)\n")
        c = wait_health(server, False, "unhealthy: Xid")
        assert "xid: NVRM: Xid (PCI:0000:3b:00): 48, pid=77, DBE" in c["message"], c
        time.sleep(2.5)  # an Xid stays reported: the GPU needs a person
        assert healthy_condition(server)["status"] == "False"
        # The agent never lost its registration or its GPUs along the way.
        assert get_node(server)["status"]["capacity"]["nvidia.com/gpu"] == "8"
    finally:
        close_agent(server, a)


# ---- on a machine with real NVIDIA GPUs ----------------------------------------------------

REAL_SMI = shutil.which("nvidia-smi")
needs_gpu = pytest.mark.skipif(REAL_SMI is None, reason="no nvidia-smi on PATH (no GPU here)")


def smi_query(*fields):
    r = subprocess.run([REAL_SMI, f"--query-gpu={','.join(fields)}", "--format=csv,noheader"],
                       capture_output=True, text=True, timeout=60, check=True)
    return [[p.strip() for p in line.split(",")] for line in r.stdout.splitlines() if line]


@needs_gpu
def test_real_gpus_are_discovered_handed_out_and_healthy(server, tmp_path):
    gpus = smi_query("index", "uuid", "name")
    a = ShoalAgent(server, fake_gpus=None, extra_args=["--health-interval", "1"])
    try:
        a.start()
        node = get_node(server)
        assert node["status"]["capacity"]["nvidia.com/gpu"] == str(len(gpus))
        assert node["metadata"]["labels"]["nvidia.com/gpu.product"] == \
            gpus[0][2].replace(" ", "-")
        for index, uuid, name in gpus:
            assert f"GPU {index} {uuid} ({name})" in a.log_tail()
        # The real ECC query parses and reports nothing on a good GPU.
        wait_health(server, True, "Healthy=True with the real nvidia-smi")
        time.sleep(3)
        assert healthy_condition(server)["status"] == "True", healthy_condition(server)

        # A one-GPU pod sees exactly one device, through CUDA itself when PyTorch is there.
        probe = ("import json, os, sys\n"
                 "out = {'visible': os.environ.get('CUDA_VISIBLE_DEVICES')}\n"
                 "try:\n"
                 "    import torch\n"
                 "    out['count'] = torch.cuda.device_count()\n"
                 "    out['names'] = [torch.cuda.get_device_name(i) for i in range(out['count'])]\n"
                 "except ImportError:\n"
                 "    pass\n"
                 "json.dump(out, open(sys.argv[1], 'w'))\n")
        (tmp_path / "probe.py").write_text(probe)
        for name, want in (("one-gpu", 1), ("no-gpu", 0)):
            create_pod(server, name, [sys.executable, str(tmp_path / "probe.py"),
                                      str(tmp_path / f"{name}.json")], gpus=want)
        for name in ("one-gpu", "no-gpu"):
            wait_pod_phase(server, name, "Succeeded", timeout=120)
        one = json.loads((tmp_path / "one-gpu.json").read_text())
        none = json.loads((tmp_path / "no-gpu.json").read_text())
        print("pods saw:", one, none)
        assert one["visible"] == "0" and none["visible"] == ""
        if "count" in one:
            assert one["count"] == 1 and one["names"] == [gpus[0][2]]
            assert none["count"] == 0
    finally:
        close_agent(server, a)


@needs_gpu
@pytest.mark.skipif(not os.access("/dev/kmsg", os.W_OK), reason="/dev/kmsg is not writable")
def test_real_kernel_log_xid_marks_the_node_unhealthy(server, tmp_path):
    a = ShoalAgent(server, fake_gpus=None, extra_args=["--health-interval", "1"])
    try:
        a.start()
        wait_health(server, True, "Healthy=True")
        # A record as the NVIDIA driver writes it, injected into the real kernel log.
        with open("/dev/kmsg", "w") as f:
            f.write("NVRM: Xid (PCI:0000:00:00): 13, pid=1, shoal test injection, not a fault\n")
        c = wait_health(server, False, "unhealthy after an Xid in /dev/kmsg")
        assert "xid: NVRM: Xid (PCI:0000:00:00): 13" in c["message"], c
    finally:
        close_agent(server, a)
