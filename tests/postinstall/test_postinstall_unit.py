"""Post-install rules and registry (no cluster needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from platformctl.cluster.kube import Condition, DaemonSetState, DeploymentState
from platformctl.errors import UsageError
from platformctl.postinstall import context, readiness, steps
from platformctl.report import SilentReporter
from tests.conftest import REPO


def _dep(**kw: object) -> DeploymentState:
    base: dict[str, object] = dict(
        namespace="ns",
        name="web",
        generation=2,
        observed_generation=2,
        replicas=2,
        status_replicas=2,
        updated_replicas=2,
        ready_replicas=2,
        available_replicas=2,
    )
    base.update(kw)
    return DeploymentState(**base)  # type: ignore[arg-type]


def test_deployment_rules_follow_kubectl_rollout_status() -> None:
    assert readiness.deployment_waiting(_dep()) is None
    assert "observe generation 3" in str(readiness.deployment_waiting(_dep(generation=3)))
    assert "1 of 2 new replicas updated" in str(
        readiness.deployment_waiting(_dep(updated_replicas=1))
    )
    assert "1 old replicas pending termination" in str(
        readiness.deployment_waiting(_dep(status_replicas=3))
    )
    assert "0 of 2 updated replicas available" in str(
        readiness.deployment_waiting(_dep(available_replicas=0))
    )
    stuck = _dep(conditions=(Condition("Progressing", "False", "ProgressDeadlineExceeded"),))
    assert "progress deadline" in str(readiness.deployment_waiting(stuck))
    assert (
        readiness.deployment_waiting(
            _dep(replicas=0, status_replicas=0, updated_replicas=0, available_replicas=0)
        )
        is None
    )


def test_daemonset_rules() -> None:
    ds = DaemonSetState("istio-system", "ztunnel", 1, 1, "RollingUpdate", 3, 3, 3, 3, 3)
    assert readiness.daemonset_waiting(ds) is None
    waiting = readiness.daemonset_waiting(
        DaemonSetState("istio-system", "ztunnel", 1, 1, "RollingUpdate", 3, 3, 3, 2, 2)
    )
    assert waiting == "daemonset istio-system/ztunnel: 2 of 3 updated pods available"
    assert (
        readiness.daemonset_waiting(
            DaemonSetState("istio-system", "ztunnel", 2, 1, "RollingUpdate", 0, 0, 0, 0, 0)
        )
        is not None
    )


def test_registry_has_the_three_stages_in_order() -> None:
    assert tuple(steps.REGISTRY) == steps.STAGES == ("eks", "mesh", "kubeflow")
    assert [s.name for s in steps.steps("mesh")] == [
        "restart-istio-ingress",
        "istiod-ready",
        "ztunnel-ready",
        "aws-load-balancer-controller-ready",
        "ebs-csi-driver-ready",
        "efs-csi-driver-ready",
        "default-storage-class",
        "cert-manager-ready",
        "external-dns-ready",
        "cluster-autoscaler-ready",
        "prometheus-ready",
        "kiali-ready",
    ]
    with pytest.raises(UsageError, match="post-install stages are eks, mesh, kubeflow"):
        steps.steps("vpc")


def test_sandbox_without_a_control_plane_says_how_to_start_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(context.KUBECONFIG_ENV, raising=False)
    root = tmp_path / "repo"
    root.mkdir()
    (root / "platform.toml").write_text((REPO / "platform.toml").read_text())
    with pytest.raises(context.PostInstallFailed) as info:
        steps.run_stage(root, "ExampleOrg", "sandbox", "mesh", SilentReporter())
    assert "sandbox control plane has no kubeconfig" in info.value.message
    results = info.value.results
    # Every step that needs the cluster fails; the components off in the sandbox say so.
    assert [r.step for r in results if r.ok] == ["efs-csi-driver-ready", "external-dns-ready"]
    assert all(r.action == "skipped" for r in results if r.ok)


def test_unreachable_api_server_is_one_clear_error(tmp_path: Path) -> None:
    from platformctl.cluster.kube import KubeUnreachable
    from platformctl.sandbox.cpconfig import write_kubeconfig
    from platformctl.sandbox.pki import ensure_pki
    from tests.fixtures.servers import free_port

    pki = ensure_pki(tmp_path / "pki")
    kubeconfig = tmp_path / "kubeconfig"
    server = f"https://127.0.0.1:{free_port()}"
    write_kubeconfig(kubeconfig, server, pki.ca.cert, pki.admin, "admin")
    with pytest.raises(KubeUnreachable, match=f"Cannot reach the API server at {server}"):
        steps.run_stage(
            REPO, "ExampleOrg", "sandbox", "kubeflow", SilentReporter(), kubeconfig=kubeconfig
        )


def test_bad_timeout_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--timeout"):
        steps.run_stage(REPO, "ExampleOrg", "sandbox", "mesh", SilentReporter(), timeout=0)


def test_every_component_switch_names_a_feature_or_the_hosted_zone() -> None:
    from platformctl.model.config import FEATURES
    from platformctl.postinstall import workloads

    for component in workloads.COMPONENTS:
        assert component.switch in ("", "dns", *FEATURES), component.name
