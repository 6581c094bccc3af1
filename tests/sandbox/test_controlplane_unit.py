"""Control-plane command lines, state handling and errors (no binaries needed)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from platformctl import proc
from platformctl.report import SilentReporter
from platformctl.sandbox import controlplane, cpconfig, fakenodes, lockdown
from tests.conftest import REPO


def _flags(argv: list[str]) -> dict[str, str]:
    return dict(a.removeprefix("--").split("=", 1) for a in argv[1:])


def test_apiserver_flags_make_a_minimal_secure_loopback_server(tmp_path: Path) -> None:
    layout = cpconfig.Layout(tmp_path)
    ports = cpconfig.Ports(2379, 2380, 6443, 10257, 10259)
    flags = _flags(cpconfig.apiserver_args(Path("/bin/kube-apiserver"), layout, ports))
    assert flags["etcd-servers"] == "https://127.0.0.1:2379"
    assert flags["bind-address"] == flags["advertise-address"] == "127.0.0.1"
    assert flags["secure-port"] == "6443"
    assert flags["authorization-mode"] == "Node,RBAC"
    assert flags["client-ca-file"] == str(layout.pki.ca.cert)
    assert flags["service-account-signing-key-file"] == str(layout.pki.sa_key)
    for key in (
        "tls-cert-file",
        "tls-private-key-file",
        "service-account-key-file",
        "service-account-issuer",
        "service-cluster-ip-range",
        "etcd-certfile",
    ):
        assert flags[key]


def test_etcd_and_controllers_bind_loopback_without_leader_election(tmp_path: Path) -> None:
    layout = cpconfig.Layout(tmp_path)
    ports = cpconfig.Ports(2379, 2380, 6443, 10257, 10259)
    etcd = _flags(cpconfig.etcd_args(Path("/bin/etcd"), layout, ports))
    assert etcd["listen-client-urls"] == "https://127.0.0.1:2379"
    assert etcd["listen-peer-urls"] == "https://127.0.0.1:2380"
    assert etcd["client-cert-auth"] == "true"
    assert etcd["data-dir"] == str(layout.etcd_data)
    for argv in (
        cpconfig.controller_manager_args(Path("/bin/kcm"), layout, ports),
        cpconfig.scheduler_args(Path("/bin/ks"), layout, ports),
    ):
        flags = _flags(argv)
        assert flags["leader-elect"] == "false"
        assert flags["bind-address"] == "127.0.0.1"
        assert Path(flags["kubeconfig"]).parent == tmp_path / "kubeconfigs"
    # Fake nodes are never declared dead for a late lease renewal on a busy machine.
    kcm = _flags(cpconfig.controller_manager_args(Path("/bin/kcm"), layout, ports))
    assert kcm["node-monitor-grace-period"] == "1h"


def test_ports_are_distinct_and_free() -> None:
    ports = cpconfig.Ports.pick()
    values = [
        ports.etcd_client,
        ports.etcd_peer,
        ports.apiserver,
        ports.controller_manager,
        ports.scheduler,
    ]
    assert len(set(values)) == 5


def test_status_of_a_control_plane_that_never_ran(tmp_path: Path) -> None:
    st = controlplane.status(REPO, base=tmp_path)
    assert not st.running and not st.ready and st.components == () and st.server is None
    assert controlplane.stop(REPO, SilentReporter(), base=tmp_path) == ()


def test_stop_leaves_a_reused_pid_alone(tmp_path: Path) -> None:
    """A recorded pid that now runs another program is forgotten, never signalled."""
    layout = cpconfig.Layout(tmp_path)
    other = proc.spawn(
        [sys.executable, "-c", "import time; time.sleep(60)"], log_path=tmp_path / "other.log"
    )
    try:
        record = {"name": "etcd", "pid": other, "exe": "/nonexistent/etcd", "port": 1, "log": "x"}
        layout.state.write_text(
            json.dumps({"server": "https://127.0.0.1:1", "processes": [record]})
        )
        st = controlplane.status(REPO, base=tmp_path)
        assert not st.running and "etcd" in st.note
        assert controlplane.stop(REPO, SilentReporter(), base=tmp_path) == ()
        assert proc.pid_alive(other)
        assert not layout.state.exists()
    finally:
        proc.stop(other)


def test_a_running_apiserver_without_the_egress_protections_is_not_reused(tmp_path: Path) -> None:
    """A control plane started by an older platformctl is restarted, not reused as is."""

    def api_running(*args: str) -> controlplane.ControlPlaneStatus:
        pid = proc.spawn(
            [sys.executable, "-c", "import time; time.sleep(60)", *args],
            log_path=tmp_path / "api.log",
        )
        pids.append(pid)
        cmdline = Path(f"/proc/{pid}/cmdline")
        while b"time.sleep" not in cmdline.read_bytes():  # until the child has exec'd
            time.sleep(0.01)
        component = cpconfig.ComponentStatus("kube-apiserver", True, pid, 6443)
        return controlplane.ControlPlaneStatus(str(tmp_path), True, None, None, True, (component,))

    pids: list[int] = []
    try:
        protected = api_running(
            *lockdown.ADMISSION_ARGS, f"--service-cluster-ip-range={cpconfig.SERVICE_CIDR}"
        )
        assert controlplane._locked_down(protected)
        assert not controlplane._locked_down(api_running("--service-cluster-ip-range=10.0.0.0/24"))
    finally:
        for pid in pids:
            proc.stop(pid)


def test_purge_removes_the_directory(tmp_path: Path) -> None:
    base = tmp_path / "cp"
    (base / "etcd").mkdir(parents=True)
    controlplane.purge(REPO, SilentReporter(), base=base)
    assert not base.exists()


def test_a_missing_binary_is_a_tool_error_naming_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from platformctl.errors import ToolNotFoundError

    monkeypatch.setenv("PLATFORMCTL_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolNotFoundError) as info:
        cpconfig.locate_binaries(REPO)
    assert "etcd" in info.value.message
    assert "platformctl tools install --only etcd" in (info.value.hint or "")


def test_kwok_manages_only_annotated_nodes_and_serves_on_loopback(tmp_path: Path) -> None:
    layout = cpconfig.Layout(tmp_path)
    ports = cpconfig.Ports(2379, 2380, 6443, 10257, 10259, 10300)
    flags = _flags(cpconfig.kwok_args(Path("/bin/kwok"), layout, ports))
    assert flags["manage-all-nodes"] == "false"
    assert flags["manage-nodes-with-annotation-selector"] == "kwok.x-k8s.io/node=fake"
    assert flags["manage-nodes-with-label-selector"] == ""
    assert flags["server-address"] == "127.0.0.1:10300"
    assert flags["config"] == str(tmp_path / "kwok.yaml")


def test_fake_nodes_follow_the_sandbox_node_groups() -> None:
    from platformctl.model.config import load_platform

    env = load_platform(REPO).get("sandbox")
    nodes = {n.name: n for n in fakenodes.fake_nodes(env)}
    assert sorted(nodes) == ["sandbox-cpu-0", "sandbox-cpu-1", "sandbox-gpu-0"]
    cpu, gpu = nodes["sandbox-cpu-0"], nodes["sandbox-gpu-0"]
    assert cpu.labels["platformctl.io/pool"] == "cpu" and cpu.taints == ()
    assert dict(cpu.resources) == {"cpu": "2", "memory": "8Gi", "pods": "110"}
    assert gpu.labels["nvidia.com/gpu.present"] == "true"
    assert gpu.taints == (("nvidia.com/gpu", "true", "NoSchedule"),)
    assert gpu.resources["nvidia.com/gpu"] == "1" and gpu.gpus == 1


def test_a_group_of_desired_size_zero_still_gets_one_fake_node() -> None:
    from dataclasses import replace

    from platformctl.model.config import load_platform

    env = load_platform(REPO).get("sandbox")
    groups = tuple(replace(g, desired_size=0) for g in env.node_groups)
    names = [n.name for n in fakenodes.fake_nodes(replace(env, node_groups=groups))]
    assert names == ["sandbox-cpu-0", "sandbox-gpu-0"]


def test_describe_says_when_there_are_no_fake_nodes() -> None:
    running = cpconfig.ComponentStatus("kube-apiserver", True, 1, 6443)
    st = controlplane.ControlPlaneStatus(
        "/x", True, "https://127.0.0.1:6443", "/x/kubeconfig", True, (running,)
    )
    assert controlplane.describe(st).endswith("; no fake nodes (kwok not installed)")
    with_kwok = controlplane.ControlPlaneStatus(
        "/x",
        True,
        "https://127.0.0.1:6443",
        "/x/kubeconfig",
        True,
        (running, cpconfig.ComponentStatus("kwok", True, 2, 10300)),
        fake_nodes=("sandbox-cpu-0",),
    )
    assert controlplane.describe(with_kwok).endswith("; fake nodes sandbox-cpu-0")
