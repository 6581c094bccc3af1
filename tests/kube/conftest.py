"""A real local control plane (etcd + kube-apiserver, plus controller manager and scheduler
when built), started once per test session on free loopback ports and stopped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from platformctl import controlplane
from platformctl.errors import ToolNotFoundError
from platformctl.report import SilentReporter
from tests.conftest import REPO

CRD_MANIFEST = Path(__file__).with_name("pytorchjob-crd.yaml")


@dataclass(frozen=True)
class ControlPlane:
    base: Path
    kubeconfig: Path
    server: str
    status: controlplane.ControlPlaneStatus

    @property
    def controllers(self) -> bool:
        """The controller manager and scheduler run (Deployments get ReplicaSets and Pods)."""
        return not self.status.missing

    @property
    def kwok(self) -> bool:
        """kwok runs and plays the fake nodes (Pods on them become Running and Ready)."""
        return self.status.kwok


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    try:
        binaries = controlplane.locate_binaries(REPO)
    except ToolNotFoundError as exc:
        pytest.skip(
            f"SKIPPED: no etcd/kube-apiserver binaries, so the real control-plane tests cannot "
            f"run ({exc.message} {exc.hint}). Run `platformctl tools install --only etcd "
            "--only kube-apiserver` to enable them."
        )
    base = tmp_path_factory.mktemp("controlplane")
    reporter = SilentReporter()
    try:
        st = controlplane.start(REPO, reporter, base=base, binaries=binaries)
    except Exception:
        controlplane.stop(REPO, reporter, base=base)
        raise
    try:
        assert st.server is not None and st.kubeconfig is not None
        yield ControlPlane(base, Path(st.kubeconfig), st.server, st)
    finally:
        controlplane.stop(REPO, reporter, base=base)


@pytest.fixture(scope="session")
def api(control_plane: ControlPlane) -> Iterator[Any]:
    """A kubernetes ApiClient for arranging test objects (the client is never patched)."""
    from kubernetes import client, config

    configuration = client.Configuration()
    config.load_kube_config(
        config_file=str(control_plane.kubeconfig), client_configuration=configuration
    )
    with client.ApiClient(configuration) as api_client:
        yield api_client


@pytest.fixture
def namespace(api: Any) -> Iterator[str]:
    """A fresh namespace per test, deleted afterwards."""
    from kubernetes import client

    name = f"t-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    core.delete_namespace(name)


def load_crd_manifest() -> dict[str, Any]:
    import yaml

    doc: dict[str, Any] = yaml.safe_load(CRD_MANIFEST.read_text())
    return doc
