"""Fake nodes played by kwok in the real control plane: Deployments roll out, GPU Pods run."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from platformctl.cluster.kube import Kube, NodeState
from platformctl.model.config import load_platform, resolve_org
from platformctl.postinstall import context, readiness, steps
from platformctl.report import SilentReporter
from platformctl.sandbox import controlplane, fakenodes, kwokconfig
from tests.conftest import REPO
from tests.fixtures import kube as helpers
from tests.fixtures.controlplane import ControlPlane

pytestmark = pytest.mark.real

EXPECTED_NODES = ("sandbox-cpu-0", "sandbox-cpu-1", "sandbox-gpu-0")  # platform.toml sandbox


def _until(what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def nodes(control_plane: ControlPlane, api: Any) -> Iterator[tuple[NodeState, ...]]:
    """The fake nodes, once all are Ready and the node lifecycle controller has lifted
    their not-ready taint (skips loudly when kwok is not installed)."""
    from kubernetes import client

    if not control_plane.kwok:
        pytest.skip(
            "SKIPPED: kwok is not installed, so the sandbox has no fake nodes and the "
            "rollout/GPU tests cannot run. Run `platformctl tools install --only kwok`."
        )
    if not control_plane.controllers:
        pytest.skip("SKIPPED: kube-controller-manager/kube-scheduler not installed")
    with Kube(control_plane.kubeconfig) as kube:

        def ready() -> tuple[NodeState, ...] | None:
            current = kube.nodes()
            ok = [n.name for n in current if n.ready] == list(EXPECTED_NODES)
            tainted = [
                node.metadata.name
                for node in client.CoreV1Api(api).list_node().items
                if any(t.key == "node.kubernetes.io/not-ready" for t in node.spec.taints or ())
            ]
            return current if ok and not tainted else None

        yield _until("the fake nodes to be Ready", ready)


def test_fake_nodes_of_the_sandbox_node_groups_become_ready_with_their_labels_and_taints(
    control_plane: ControlPlane, api: Any, nodes: tuple[NodeState, ...]
) -> None:
    from kubernetes import client

    assert tuple(n.name for n in nodes) == EXPECTED_NODES
    by_name = {n.name: n for n in nodes}
    assert by_name["sandbox-cpu-0"].labels["platformctl.io/pool"] == "cpu"
    assert by_name["sandbox-cpu-0"].allocatable_gpus == 0
    gpu = by_name["sandbox-gpu-0"]
    assert gpu.labels["platformctl.io/pool"] == "gpu"
    assert gpu.labels["nvidia.com/gpu.present"] == "true"
    assert gpu.allocatable_gpus == 1
    raw = client.CoreV1Api(api).read_node("sandbox-gpu-0")
    assert [(t.key, t.value, t.effect) for t in raw.spec.taints] == [
        ("nvidia.com/gpu", "true", "NoSchedule")
    ]
    assert raw.metadata.annotations[fakenodes.KWOK_ANNOTATION] == "fake"
    st = controlplane.status(REPO, base=control_plane.base)
    assert st.kwok and st.fake_nodes == EXPECTED_NODES
    assert "fake nodes sandbox-cpu-0, sandbox-cpu-1, sandbox-gpu-0" in controlplane.describe(st)


def test_a_deployment_rolls_out_and_the_post_install_rollout_wait_succeeds(
    control_plane: ControlPlane, api: Any, namespace: str, nodes: tuple[NodeState, ...]
) -> None:
    from kubernetes import client

    helpers.deployment(api, namespace, "web", replicas=2)
    ctx = context.StepContext(
        REPO,
        resolve_org("ExampleOrg"),
        load_platform(REPO).get("sandbox"),
        SilentReporter(),
        timeout=60,
        kubeconfig=control_plane.kubeconfig,
        poll=0.3,
    )
    state = readiness.wait_deployment(ctx, namespace, "web", "mesh")
    assert state.available_replicas == 2
    dep = client.AppsV1Api(api).read_namespaced_deployment("web", namespace)
    assert dep.status.available_replicas == 2
    pods = client.CoreV1Api(api).list_namespaced_pod(namespace).items
    assert sorted(p.status.phase for p in pods) == ["Running", "Running"]
    # The GPU node's taint keeps Pods without the toleration off it.
    assert {p.spec.node_name for p in pods} <= {"sandbox-cpu-0", "sandbox-cpu-1"}


def test_a_gpu_pod_schedules_onto_the_gpu_node_and_runs(
    api: Any, namespace: str, nodes: tuple[NodeState, ...]
) -> None:
    from kubernetes import client

    core = client.CoreV1Api(api)
    gpu = {"nvidia.com/gpu": "1"}
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="train"),
        spec=client.V1PodSpec(
            node_selector={"platformctl.io/pool": "gpu"},
            tolerations=[
                client.V1Toleration(key="nvidia.com/gpu", operator="Exists", effect="NoSchedule")
            ],
            containers=[
                client.V1Container(
                    name="train",
                    image="registry.invalid/train:1",
                    resources=client.V1ResourceRequirements(requests=gpu, limits=gpu),
                )
            ],
        ),
    )
    core.create_namespaced_pod(namespace, pod)

    def running() -> Any:
        current = core.read_namespaced_pod("train", namespace)
        return current if current.status.phase == "Running" else None

    current = _until("the GPU pod to run", running)
    assert current.spec.node_name == "sandbox-gpu-0"
    # The one GPU is taken: a second GPU pod cannot be scheduled anywhere.
    pod.metadata.name = "train-2"
    core.create_namespaced_pod(namespace, pod)

    def unschedulable() -> bool:
        conditions = core.read_namespaced_pod("train-2", namespace).status.conditions or []
        return any(
            c.type == "PodScheduled" and c.status == "False" and c.reason == "Unschedulable"
            for c in conditions
        )

    assert _until("the second GPU pod to be Unschedulable", unschedulable)


def test_eks_stage_reports_the_ready_nodes_the_gpu_node_and_its_allocatable_gpu(
    control_plane: ControlPlane, nodes: tuple[NodeState, ...]
) -> None:
    reporter = SilentReporter()
    results = steps.run_stage(
        REPO,
        "ExampleOrg",
        "sandbox",
        "eks",
        reporter,
        timeout=30,
        kubeconfig=control_plane.kubeconfig,
        poll=0.2,
    )
    by_step = {r.step: r for r in results}
    assert by_step["nodes-ready"].ok and not by_step["nodes-ready"].warning
    assert by_step["nodes-ready"].data == {"nodes": 3, "ready": 3}
    gpu = by_step["gpu-nodes"]
    assert gpu.ok and not gpu.warning
    assert gpu.message == "1 GPU nodes, 1 allocatable nvidia.com/gpu"
    assert gpu.data["gpu_nodes"] == [{"name": "sandbox-gpu-0", "nvidia.com/gpu": 1}]
    assert gpu.data["allocatable_gpus"] == 1


def test_a_training_pod_runs_for_the_training_seconds_then_succeeds_and_others_keep_running(
    api: Any, namespace: str, nodes: tuple[NodeState, ...]
) -> None:
    """kwok's Stage for pods that carry the Training Operator's job label."""
    from kubernetes import client

    core = client.CoreV1Api(api)

    def pod(name: str, labels: dict[str, str]) -> Any:
        return client.V1Pod(
            metadata=client.V1ObjectMeta(name=name, labels=labels),
            spec=client.V1PodSpec(
                restart_policy="OnFailure",
                containers=[client.V1Container(name="pytorch", image="registry.invalid/t:1")],
            ),
        )

    _until(
        "the namespace's service account",
        lambda: core.list_namespaced_service_account(namespace).items,
    )
    core.create_namespaced_pod(namespace, pod("master", {kwokconfig.TRAINING_LABEL: "job"}))
    core.create_namespaced_pod(namespace, pod("web", {"app": "web"}))

    def phase(name: str) -> str:
        return str(core.read_namespaced_pod(name, namespace).status.phase)

    _until("the training pod to run", lambda: phase("master") == "Running")
    running_since = time.monotonic()
    _until("the training pod to succeed", lambda: phase("master") == "Succeeded")
    ran = time.monotonic() - running_since
    # The session's control plane keeps the default run time.
    assert kwokconfig.DEFAULT_TRAINING_SECONDS - 1 <= ran <= kwokconfig.DEFAULT_TRAINING_SECONDS + 5
    [status] = core.read_namespaced_pod("master", namespace).status.container_statuses
    assert (status.state.terminated.exit_code, status.state.terminated.reason) == (0, "Completed")
    assert phase("web") == "Running"
