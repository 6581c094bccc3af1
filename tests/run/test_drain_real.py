"""drain against the real API server and a real moto server.

The test plays the AWS Load Balancer Controller itself, the way it behaves: its Service
and Ingress carry its finalizer, and only once they are being deleted does it remove the
NLB, target group and security group from AWS (moto) and then the finalizer.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from platformctl.aws.session import AwsTarget
from platformctl.cluster.kube import Kube
from platformctl.model.config import load_platform, resolve_org
from platformctl.report import SilentReporter
from platformctl.run import drain
from tests.conftest import REPO
from tests.fixtures.controlplane import ControlPlane
from tests.fixtures.leftovers import (
    controller_load_balancer,
    exists,
    network,
    remove_controller_load_balancer,
)
from tests.fixtures.servers import MotoServer, free_port

pytestmark = pytest.mark.real

SERVICE_FINALIZER = "service.k8s.aws/resources"
INGRESS_FINALIZER = "ingress.k8s.aws/resources"


@pytest.fixture
def kube(control_plane: ControlPlane) -> Iterator[Kube]:
    with Kube(control_plane.kubeconfig) as k:
        yield k


def _service(api: Any, namespace: str, name: str, kind: str, finalizers: list[str]) -> None:
    from kubernetes import client

    body = client.V1Service(
        metadata=client.V1ObjectMeta(name=name, namespace=namespace, finalizers=finalizers),
        spec=client.V1ServiceSpec(
            type=kind,
            selector={"app": name},
            ports=[client.V1ServicePort(port=80, target_port=8080)],
        ),
    )
    client.CoreV1Api(api).create_namespaced_service(namespace, body)


def _ingress(api: Any, namespace: str, name: str, finalizers: list[str]) -> None:
    from kubernetes import client

    backend = client.V1IngressBackend(
        service=client.V1IngressServiceBackend(
            name="web", port=client.V1ServiceBackendPort(number=80)
        )
    )
    body = client.V1Ingress(
        metadata=client.V1ObjectMeta(name=name, namespace=namespace, finalizers=finalizers),
        spec=client.V1IngressSpec(default_backend=backend),
    )
    client.NetworkingV1Api(api).create_namespaced_ingress(namespace, body)


class FakeController(threading.Thread):
    """Once the Service is being deleted: remove its AWS resources, then its finalizer."""

    def __init__(
        self, api: Any, moto: MotoServer, namespace: str, made: dict[str, str], delay: float
    ) -> None:
        super().__init__(daemon=True)
        self.api, self.moto, self.namespace, self.made, self.delay = (
            api,
            moto,
            namespace,
            made,
            delay,
        )
        self.saw_deletion_at: float | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        from kubernetes import client

        core = client.CoreV1Api(self.api)
        net = client.NetworkingV1Api(self.api)
        while not self.stop.is_set():
            svc = core.read_namespaced_service("gw", self.namespace)
            if svc.metadata.deletion_timestamp is not None:
                self.saw_deletion_at = time.monotonic()
                time.sleep(self.delay)  # deleting an NLB takes AWS a while
                remove_controller_load_balancer(self.moto, self.made)
                core.patch_namespaced_service(
                    "gw", self.namespace, {"metadata": {"finalizers": None}}
                )
                net.patch_namespaced_ingress(
                    "web", self.namespace, {"metadata": {"finalizers": None}}
                )
                return
            time.sleep(0.1)


def _cluster() -> str:
    return f"dr{uuid.uuid4().hex[:8]}-dev-eks"


def test_drain_deletes_load_balancer_objects_and_waits_until_aws_shows_them_gone(
    api: Any, namespace: str, kube: Kube, aws_env: MotoServer
) -> None:
    from kubernetes import client

    cluster = _cluster()
    net = network(aws_env, None, "10.201.0.0/16")
    made = controller_load_balancer(aws_env, cluster, net, stack=f"{namespace}/gw")
    _service(api, namespace, "gw", "LoadBalancer", [SERVICE_FINALIZER])
    _service(api, namespace, "web", "ClusterIP", [])
    _ingress(api, namespace, "web", [INGRESS_FINALIZER])
    controller = FakeController(api, aws_env, namespace, made, delay=1.0)
    controller.start()
    reporter = SilentReporter()

    started = time.monotonic()
    result = drain.drain(
        kube,
        AwsTarget(region="us-east-1"),
        cluster,
        reporter,
        options=drain.DrainOptions(timeout=60, poll=0.2),
    )
    controller.stop.set()

    assert result.ok, result
    assert set(result.deleted) == {f"Service {namespace}/gw", f"Ingress {namespace}/web"}
    # It returned only after the controller had removed the AWS side.
    assert controller.saw_deletion_at is not None
    assert time.monotonic() - started >= 1.0
    assert not any(exists(aws_env, kind, ident) for kind, ident in made.items())
    core = client.CoreV1Api(api)
    assert [s.metadata.name for s in core.list_namespaced_service(namespace).items] == ["web"]
    assert kube.load_balancer_objects([namespace]) == ()
    steps = [m for kind, m in reporter.messages if kind == "step"]
    assert steps == [
        f"drain {cluster}: delete 1 LoadBalancer Service(s) and 1 Ingress(es) in the cluster"
    ]
    assert any("waiting for" in m for _, m in reporter.messages)


def test_drain_stops_waiting_at_the_timeout_and_says_what_is_left(
    api: Any, namespace: str, kube: Kube, aws_env: MotoServer
) -> None:
    from kubernetes import client

    cluster = _cluster()
    net = network(aws_env, None, "10.202.0.0/16")
    made = controller_load_balancer(aws_env, cluster, net, stack=f"{namespace}/stuck")
    _service(api, namespace, "stuck", "LoadBalancer", [SERVICE_FINALIZER])
    reporter = SilentReporter()
    try:
        started = time.monotonic()
        result = drain.drain(
            kube,
            AwsTarget(region="us-east-1"),
            cluster,
            reporter,
            namespaces=[namespace],
            options=drain.DrainOptions(timeout=1.5, poll=0.2),
        )
        took = time.monotonic() - started
    finally:
        client.CoreV1Api(api).patch_namespaced_service(
            "stuck", namespace, {"metadata": {"finalizers": None}}
        )
    assert 1.5 <= took < 10
    assert not result.ok
    assert result.objects_left == (f"Service {namespace}/stuck",)
    assert {r.arn or r.id for r in result.cloud_left} >= {made["elasticloadbalancing:loadbalancer"]}
    [warning] = [m for kind, m in reporter.messages if kind == "warn"]
    assert "still there after" in warning and "destroy --sweep" in warning
    remove_controller_load_balancer(aws_env, made)


def _kubeconfig_to_nowhere(tmp_path: Path) -> Path:
    port = free_port()  # nothing listens there
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "x",
        "clusters": [{"name": "x", "cluster": {"server": f"https://127.0.0.1:{port}"}}],
        "users": [{"name": "x", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "x", "user": "x"}}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_destroy_hook_drains_only_when_eks_or_mesh_goes_and_goes_on_when_unreachable(
    api: Any,
    namespace: str,
    control_plane: ControlPlane,
    aws_env: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    org = resolve_org(f"dr{uuid.uuid4().hex[:8]}")
    env = load_platform(REPO).get("dev")
    monkeypatch.setenv("PLATFORMCTL_KUBECONFIG", str(control_plane.kubeconfig))
    _service(api, namespace, "gw", "LoadBalancer", [])
    options = drain.DrainOptions(timeout=10, poll=0.2)

    # Destroying vpc alone runs no load balancer: nothing is looked at.
    assert drain.before_destroy(REPO, org, env, ["vpc"], SilentReporter(), options=options) is None
    with Kube(control_plane.kubeconfig) as kube:
        assert kube.load_balancer_objects([namespace]) != ()

    # Destroying kubeflow alone drains only its own namespaces.
    kubeflow_only = drain.before_destroy(
        REPO, org, env, ["kubeflow"], SilentReporter(), options=options
    )
    assert kubeflow_only is not None and kubeflow_only.ok
    assert f"Service {namespace}/gw" not in kubeflow_only.deleted

    result = drain.before_destroy(
        REPO, org, env, ["eks", "mesh", "kubeflow"], SilentReporter(), options=options
    )
    assert result is not None and result.ok
    assert f"Service {namespace}/gw" in result.deleted

    monkeypatch.setenv("PLATFORMCTL_KUBECONFIG", str(_kubeconfig_to_nowhere(tmp_path)))
    reporter = SilentReporter()
    away = drain.before_destroy(REPO, org, env, ["eks"], reporter, options=options)
    assert away is not None and not away.reachable
    [warning] = [m for kind, m in reporter.messages if kind == "warn"]
    assert warning.startswith(f"could not drain {org.name}-dev-eks: Cannot reach the API server")
    assert "destroy --sweep" in warning


def test_scope_follows_what_the_destroyed_units_take_away() -> None:
    assert drain.scope({"vpc", "eks", "mesh", "kubeflow"}) is None
    assert drain.scope({"mesh"}) is None
    assert drain.scope({"kubeflow"}) == ("kubeflow",)
    assert drain.scope({"vpc"}) == ()
