"""The real control plane: etcd + kube-apiserver (+ controllers) on loopback."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from platformctl import proc
from platformctl.errors import ToolNotFoundError
from platformctl.report import SilentReporter
from platformctl.sandbox import controlplane, cpconfig
from platformctl.sandbox.pki import Pki
from platformctl.toolchain.locate import tool_path
from platformctl.toolchain.versions import load_pins
from tests.conftest import REPO
from tests.fixtures import kube as helpers
from tests.fixtures.controlplane import ControlPlane

pytestmark = pytest.mark.real


def test_apiserver_answers_readyz_and_version_with_the_pinned_version(
    control_plane: ControlPlane,
) -> None:
    pki = Pki(control_plane.base / "pki")
    code, body = controlplane.https_get(
        f"{control_plane.server}/readyz", ca=pki.ca.cert, client=pki.admin
    )
    assert (code, body) == (200, "ok")
    code, body = controlplane.https_get(
        f"{control_plane.server}/version", ca=pki.ca.cert, client=pki.admin
    )
    pinned = load_pins(REPO)["kube-apiserver"].version
    assert code == 200
    assert json.loads(body)["gitVersion"] == f"v{pinned}"


def test_status_lists_the_running_components_and_kubeconfig_is_private(
    control_plane: ControlPlane,
) -> None:
    st = controlplane.status(REPO, base=control_plane.base)
    assert st.running and st.ready
    names = [c.name for c in st.components]
    assert names[:2] == ["etcd", "kube-apiserver"]
    assert all(c.running and c.pid for c in st.components)
    assert stat.S_IMODE(control_plane.kubeconfig.stat().st_mode) == 0o600


def test_start_again_reuses_the_running_control_plane(control_plane: ControlPlane) -> None:
    before = controlplane.status(REPO, base=control_plane.base)
    again = controlplane.start(REPO, SilentReporter(), base=control_plane.base)
    assert [c.pid for c in again.components] == [c.pid for c in before.components]


def test_kubectl_get_namespaces_works_with_the_kubeconfig(control_plane: ControlPlane) -> None:
    try:
        kubectl = tool_path(REPO, "kubectl")
    except ToolNotFoundError:
        pytest.skip("kubectl is not installed")
    done = proc.run([kubectl, "--kubeconfig", control_plane.kubeconfig, "get", "ns", "-o", "name"])
    assert "namespace/kube-system" in done.stdout.split()


def test_anonymous_requests_cannot_read_secrets(control_plane: ControlPlane) -> None:
    pki = Pki(control_plane.base / "pki")
    code, _ = controlplane.https_get(
        f"{control_plane.server}/api/v1/namespaces/kube-system/secrets", ca=pki.ca.cert
    )
    assert code in (401, 403)


def test_what_a_deployment_does_here(control_plane: ControlPlane, api: Any, namespace: str) -> None:
    """With controllers: a ReplicaSet and Pods appear; with no node to run them (no fake
    nodes, or none matching the selector) the Pods stay Pending and Unschedulable."""
    import time

    from kubernetes import client

    if not control_plane.controllers:
        pytest.skip("kube-controller-manager/kube-scheduler not installed")
    helpers.deployment(api, namespace, "web", replicas=2, node_selector=helpers.NOWHERE)
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    deadline = time.monotonic() + 60
    pods: list[Any] = []
    while time.monotonic() < deadline:
        pods = core.list_namespaced_pod(namespace).items
        if len(pods) == 2 and all(
            any(
                c.type == "PodScheduled" and c.status == "False"
                for c in (p.status.conditions or [])
            )
            for p in pods
        ):
            break
        time.sleep(0.5)
    assert len(apps.list_namespaced_replica_set(namespace).items) == 1
    assert [p.status.phase for p in pods] == ["Pending", "Pending"]
    reasons = {
        c.reason for p in pods for c in (p.status.conditions or []) if c.type == "PodScheduled"
    }
    assert reasons == {"Unschedulable"}


def test_stop_and_purge_remove_exactly_what_start_made(tmp_path: Path) -> None:
    """A second, short-lived control plane: stop ends its processes, purge its files."""
    try:
        binaries = cpconfig.locate_binaries(REPO)
    except ToolNotFoundError as exc:
        pytest.skip(f"no control-plane binaries: {exc.message}")
    base = tmp_path / "cp"
    reporter = SilentReporter()
    st = controlplane.start(
        REPO,
        reporter,
        base=base,
        binaries=cpconfig.Binaries(binaries.etcd, binaries.apiserver, None, None),
    )
    try:
        pids = [c.pid for c in st.components]
        assert st.missing == ("kube-controller-manager", "kube-scheduler")
    finally:
        stopped = controlplane.stop(REPO, reporter, base=base)
    assert stopped == ("kube-apiserver", "etcd")
    assert not any(proc.pid_alive(p) for p in pids if p)
    assert (base / "etcd").is_dir()
    controlplane.purge(REPO, reporter, base=base)
    assert not base.exists()
