"""Post-install steps against the real API server (the kubernetes client is not patched)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from platformctl.cluster.kube import RESTARTED_AT, Kube
from platformctl.errors import OperationError
from platformctl.model.config import load_platform, resolve_org
from platformctl.postinstall import context, readiness, steps, workloads
from platformctl.report import SilentReporter
from tests.conftest import REPO
from tests.fixtures import kube as helpers
from tests.fixtures.controlplane import ControlPlane, load_crd_manifest

pytestmark = pytest.mark.real


def _ctx(cp: ControlPlane, timeout: float = 20) -> context.StepContext:
    return context.StepContext(
        REPO,
        resolve_org("ExampleOrg"),
        load_platform(REPO).get("sandbox"),
        SilentReporter(),
        timeout=timeout,
        kubeconfig=cp.kubeconfig,
        poll=0.2,
    )


def _ready(cp: ControlPlane, api: Any, namespace: str, name: str) -> None:
    """Let the controller observe the Deployment, or write its status when none runs."""
    if not cp.controllers:
        helpers.mark_deployment_ready(api, namespace, name)


@pytest.fixture
def kube(control_plane: ControlPlane) -> Iterator[Kube]:
    with Kube(control_plane.kubeconfig) as k:
        yield k


def test_rollout_restart_sets_the_annotation_and_a_second_restart_changes_it(
    api: Any, namespace: str, kube: Kube
) -> None:
    helpers.deployment(api, namespace, "ingress", replicas=0)
    first = kube.restart_deployment(namespace, "ingress")
    state = kube.deployment(namespace, "ingress")
    assert state is not None and state.restarted_at == first
    time.sleep(1.1)  # RFC 3339 has whole seconds, as with kubectl
    second = kube.restart_deployment(namespace, "ingress")
    after = kube.deployment(namespace, "ingress")
    assert after is not None and after.restarted_at == second != first
    assert after.generation == state.generation + 1


def test_restart_of_a_missing_deployment_is_an_operation_error(kube: Kube, namespace: str) -> None:
    with pytest.raises(OperationError, match=f"deployment {namespace}/nope does not exist"):
        kube.restart_deployment(namespace, "nope")


def test_wait_passes_for_a_ready_deployment(
    control_plane: ControlPlane, api: Any, namespace: str
) -> None:
    helpers.deployment(api, namespace, "idle", replicas=0)
    _ready(control_plane, api, namespace, "idle")
    state = readiness.wait_deployment(_ctx(control_plane), namespace, "idle", "mesh")
    assert state.replicas == 0 and state.observed_generation == state.generation


def test_wait_times_out_cleanly_naming_the_deployment_that_cannot_become_ready(
    control_plane: ControlPlane, api: Any, namespace: str
) -> None:
    # No node matches its selector (fake nodes or not): its pod stays Pending.
    helpers.deployment(api, namespace, "stuck", replicas=1, node_selector=helpers.NOWHERE)
    started = time.monotonic()
    with pytest.raises(OperationError) as info:
        readiness.wait_deployment(_ctx(control_plane, timeout=3), namespace, "stuck", "mesh")
    assert time.monotonic() - started < 15
    assert f"Timed out after 3 s waiting for deployment {namespace}/stuck" in info.value.message
    expected = "0 of 1 updated replicas available" if control_plane.controllers else "observe"
    assert expected in info.value.message


def test_missing_namespace_and_deployment_are_clear_errors(
    control_plane: ControlPlane, namespace: str
) -> None:
    ctx = _ctx(control_plane)
    with pytest.raises(OperationError, match="Namespace no-such-ns does not exist"):
        readiness.wait_deployment(ctx, "no-such-ns", "istiod", "mesh")
    with pytest.raises(OperationError, match=f"Deployment {namespace}/istiod does not exist.*mesh"):
        readiness.wait_deployment(ctx, namespace, "istiod", "mesh")
    ctx.close()


def test_daemonset_ready_and_not_ready(
    control_plane: ControlPlane, api: Any, namespace: str
) -> None:
    from kubernetes import client

    ctx = _ctx(control_plane, timeout=3)
    helpers.daemonset(api, namespace, "nowhere", {"platformctl.io/none": "x"})
    if not control_plane.controllers:
        helpers.mark_daemonset_ready(api, namespace, "nowhere")
    assert readiness.wait_daemonset(ctx, namespace, "nowhere", "mesh").desired == 0
    if not control_plane.controllers:
        helpers.daemonset(api, namespace, "unobserved", {"x": "y"})
        with pytest.raises(OperationError, match="unobserved: waiting for the controller"):
            readiness.wait_daemonset(ctx, namespace, "unobserved", "mesh")
        return
    # A node object without a kubelet: the DaemonSet wants a pod there that never runs.
    node = f"fake-{namespace}"
    core = client.CoreV1Api(api)
    core.create_node(
        client.V1Node(
            metadata=client.V1ObjectMeta(name=node, labels={"platformctl.io/fake": namespace}),
            spec=client.V1NodeSpec(unschedulable=True),
        )
    )
    try:
        helpers.daemonset(api, namespace, "agent", {"platformctl.io/fake": namespace})
        with pytest.raises(OperationError, match=f"daemonset {namespace}/agent: 0 of 1"):
            readiness.wait_daemonset(ctx, namespace, "agent", "mesh")
    finally:
        core.delete_node(node)
    ctx.close()


def test_mesh_stage_restarts_istio_ingress_and_checks_istiod_and_ztunnel(
    control_plane: ControlPlane, api: Any
) -> None:
    for ns in ("istio-ingress", "istio-system"):
        helpers.ensure_namespace(api, ns)
    helpers.delete_deployment(api, "istio-system", "istiod")
    reporter = SilentReporter()
    # istiod missing: the stage fails naming it, after still trying the other steps.
    helpers.delete_deployment(api, "istio-ingress", "istio-ingress")
    helpers.deployment(api, "istio-ingress", "istio-ingress", replicas=0)
    _ready(control_plane, api, "istio-ingress", "istio-ingress")
    if not control_plane.controllers:
        pytest.skip("rollout after restart needs the controller manager")
    with pytest.raises(context.PostInstallFailed) as info:
        steps.run_stage(
            REPO,
            "ExampleOrg",
            "sandbox",
            "mesh",
            reporter,
            timeout=20,
            kubeconfig=control_plane.kubeconfig,
            poll=0.2,
        )
    by_step = {r.step: r for r in info.value.results}
    assert by_step["restart-istio-ingress"].ok
    assert by_step["restart-istio-ingress"].data["restartedAt"]
    assert "Deployment istio-system/istiod does not exist" in by_step["istiod-ready"].message
    assert not by_step["ztunnel-ready"].ok
    assert not by_step["default-storage-class"].ok
    # Now everything is there: the stage passes, and running it again passes again.
    env = load_platform(REPO).get("sandbox")
    made = _platform_workloads(control_plane, api, env)
    try:
        for _ in range(2):
            results = steps.run_stage(
                REPO,
                "ExampleOrg",
                "sandbox",
                "mesh",
                reporter,
                timeout=20,
                kubeconfig=control_plane.kubeconfig,
                poll=0.2,
            )
            assert all(r.ok for r in results), [r.message for r in results if not r.ok]
            by_step = {r.step: r for r in results}
            # Off in the sandbox: skipped, and saying so.
            assert by_step["external-dns-ready"].action == "skipped"
            assert by_step["efs-csi-driver-ready"].action == "skipped"
            assert by_step["cert-manager-ready"].action == "checked"
            assert "gp3" in by_step["default-storage-class"].message
        state = Kube(control_plane.kubeconfig).deployment("istio-ingress", "istio-ingress")
        assert state is not None and state.restarted_at is not None
        assert RESTARTED_AT
    finally:
        _remove(api, made)


def _platform_workloads(control_plane: ControlPlane, api: Any, env: Any) -> list[Any]:
    """Every workload of the environment's enabled mesh components, ready, and the gp3 class."""
    from kubernetes import client

    made = []
    for component in workloads.enabled(env, "mesh"):
        for w in component.workloads:
            helpers.ensure_namespace(api, w.namespace)
            if w.kind == "deployment":
                helpers.delete_deployment(api, w.namespace, w.name)
                helpers.deployment(api, w.namespace, w.name, replicas=0)
                _ready(control_plane, api, w.namespace, w.name)
            else:
                helpers.daemonset(api, w.namespace, w.name, {"platformctl.io/none": "x"})
                if not control_plane.controllers:
                    helpers.mark_daemonset_ready(api, w.namespace, w.name)
            made.append(w)
    client.StorageV1Api(api).create_storage_class(
        client.V1StorageClass(
            metadata=client.V1ObjectMeta(
                name="gp3",
                annotations={workloads.DEFAULT_STORAGE_CLASS_ANNOTATION: "true"},
            ),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true"},
            volume_binding_mode="WaitForFirstConsumer",
        )
    )
    return made


def _remove(api: Any, made: list[Any]) -> None:
    from kubernetes import client

    apps = client.AppsV1Api(api)
    for w in made:
        if w.kind == "deployment":
            helpers.delete_deployment(api, w.namespace, w.name)
        else:
            apps.delete_namespaced_daemon_set(w.name, w.namespace)
    client.StorageV1Api(api).delete_storage_class("gp3")


def test_component_health_reports_each_workload_once(control_plane: ControlPlane, api: Any) -> None:
    env = load_platform(REPO).get("sandbox")
    with Kube(control_plane.kubeconfig) as kube:
        before = {h.component.name: h for h in workloads.health(kube, env)}
    assert set(before) == {c.name for c in workloads.enabled(env)}
    assert "external-dns" not in before  # no hosted zone in the sandbox
    missing = before["cert-manager"]
    assert not missing.ready
    assert {w.detail for w in missing.workloads} == {"not installed"}
    made = _platform_workloads(control_plane, api, env)
    try:
        deadline = time.monotonic() + 30
        with Kube(control_plane.kubeconfig) as kube:
            while True:  # the controller manager, where it runs, observes them first
                after = {h.component.name: h for h in workloads.health(kube, env)}
                mesh = [h for h in after.values() if h.component.stage == "mesh"]
                if all(h.ready for h in mesh) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        assert mesh and all(h.ready for h in mesh), [h.to_json() for h in mesh if not h.ready]
        assert after["cert-manager"].to_json()["workloads"][0]["ready"] is True
    finally:
        _remove(api, made)


def test_kubeflow_stage_checks_the_operator_and_crds(control_plane: ControlPlane, api: Any) -> None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    ext = client.ApiextensionsV1Api(api)
    helpers.ensure_namespace(api, "kubeflow")
    helpers.delete_deployment(api, "kubeflow", "training-operator")
    helpers.deployment(api, "kubeflow", "training-operator", replicas=0)
    _ready(control_plane, api, "kubeflow", "training-operator")
    try:
        ext.create_custom_resource_definition(load_crd_manifest())
    except ApiException as exc:
        if exc.status != 409:
            raise
    # A CRD whose kind clashes with PyTorchJob's is never Established.
    clash = load_crd_manifest()
    clash["metadata"]["name"] = "tfjobs.kubeflow.org"
    clash["spec"]["names"] = {
        "kind": "PyTorchJob",
        "listKind": "TFJobList",
        "plural": "tfjobs",
        "singular": "tfjob",
    }
    ext.create_custom_resource_definition(clash)
    try:
        with pytest.raises(context.PostInstallFailed) as info:
            steps.run_stage(
                REPO,
                "ExampleOrg",
                "sandbox",
                "kubeflow",
                SilentReporter(),
                timeout=10,
                kubeconfig=control_plane.kubeconfig,
                poll=0.2,
            )
        by_step = {r.step: r for r in info.value.results}
        assert by_step["training-operator-ready"].ok
        assert "tfjobs.kubeflow.org is not Established" in by_step["crds-established"].message
        assert "pytorchjobs" not in by_step["crds-established"].message
    finally:
        ext.delete_custom_resource_definition("tfjobs.kubeflow.org")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            ext.read_custom_resource_definition("tfjobs.kubeflow.org")
        except ApiException:
            break
        time.sleep(0.2)
    results = steps.run_stage(
        REPO,
        "ExampleOrg",
        "sandbox",
        "kubeflow",
        SilentReporter(),
        timeout=20,
        kubeconfig=control_plane.kubeconfig,
        poll=0.2,
    )
    assert [r.step for r in results if r.ok] == [
        "training-operator-ready",
        "crds-established",
        "sandbox-operator",
    ]
    assert "pytorchjobs.kubeflow.org" in results[1].message
    # This control plane is the test's, not the sandbox's: the sandbox operator stands aside.
    assert results[2].action == "skipped"


def test_eks_stage_on_the_sandbox_reports_zero_nodes_and_no_gpus(
    control_plane: ControlPlane,
) -> None:
    if control_plane.kwok:
        pytest.skip("kwok runs fake nodes here; see test_fake_nodes_real.py for the eks stage")
    reporter = SilentReporter()
    results = steps.run_stage(
        REPO,
        "ExampleOrg",
        "sandbox",
        "eks",
        reporter,
        timeout=5,
        kubeconfig=control_plane.kubeconfig,
        poll=0.2,
    )
    by_step = {r.step: r for r in results}
    assert by_step["nodes-ready"].warning and "has no nodes" in by_step["nodes-ready"].message
    assert by_step["gpu-nodes"].warning and "no GPU nodes" in by_step["gpu-nodes"].message
    assert ("warn", by_step["gpu-nodes"].message) in reporter.messages
