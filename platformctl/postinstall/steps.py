"""The post-install registry: each stage's steps, and `run_stage`, which runs them in order.

The registry maps each stage ("eks", "mesh", "kubeflow") to its steps. `deploy` calls
`run_stage` after applying a stage; `platformctl post-install STAGE` runs one stage alone.
Every step is idempotent (safe to run again) and returns a StepResult saying what it did.
The rollout and readiness rules are kubectl's own (`kubectl rollout status`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from platformctl.errors import OperationError, UsageError
from platformctl.model.config import Environment, Org, load_platform, resolve_org
from platformctl.postinstall.context import (
    DEFAULT_TIMEOUT,
    POLL_SECONDS,
    PostInstallFailed,
    Step,
    StepContext,
    StepResult,
)
from platformctl.postinstall.stages import (
    eks_gpu_nodes,
    eks_kubeconfig,
    eks_nodes_ready,
    kubeflow_crds,
    kubeflow_sandbox_operator,
    mesh_restart_ingress,
    mesh_ztunnel,
)
from platformctl.postinstall.workloads import default_storage_class, gate
from platformctl.report import Reporter

if TYPE_CHECKING:
    pass

STAGES = ("eks", "mesh", "kubeflow")

REGISTRY: dict[str, tuple[Step, ...]] = {
    "eks": (
        Step("eks", "kubeconfig", "write the kubeconfig (add-cluster)", eks_kubeconfig),
        Step("eks", "nodes-ready", "wait for nodes Ready", eks_nodes_ready),
        Step("eks", "gpu-nodes", "report GPU nodes and allocatable nvidia.com/gpu", eks_gpu_nodes),
    ),
    "mesh": (
        Step(
            "mesh",
            "restart-istio-ingress",
            "rollout restart istio-ingress and wait",
            mesh_restart_ingress,
        ),
        Step("mesh", "istiod-ready", "check istiod", gate("istiod")),
        Step("mesh", "ztunnel-ready", "check ztunnel", mesh_ztunnel),
        Step(
            "mesh",
            "aws-load-balancer-controller-ready",
            "check the AWS Load Balancer Controller",
            gate("aws-load-balancer-controller"),
        ),
        Step("mesh", "ebs-csi-driver-ready", "check the EBS CSI driver", gate("ebs-csi-driver")),
        Step("mesh", "efs-csi-driver-ready", "check the EFS CSI driver", gate("efs-csi-driver")),
        Step(
            "mesh",
            "default-storage-class",
            "check the default StorageClass (encrypted gp3)",
            default_storage_class,
        ),
        Step("mesh", "cert-manager-ready", "check cert-manager", gate("cert-manager")),
        Step("mesh", "external-dns-ready", "check External DNS", gate("external-dns")),
        Step(
            "mesh",
            "cluster-autoscaler-ready",
            "check the cluster autoscaler",
            gate("cluster-autoscaler"),
        ),
        Step("mesh", "prometheus-ready", "check Prometheus", gate("prometheus")),
        Step("mesh", "kiali-ready", "check Kiali", gate("kiali")),
    ),
    "kubeflow": (
        Step(
            "kubeflow",
            "training-operator-ready",
            "check the Training Operator",
            gate("training-operator"),
        ),
        Step(
            "kubeflow", "crds-established", "check the training CRDs are Established", kubeflow_crds
        ),
        Step(
            "kubeflow",
            "sandbox-operator",
            "sandbox: run the Training Operator against the control plane",
            kubeflow_sandbox_operator,
        ),
    ),
}


def steps(stage: str) -> tuple[Step, ...]:
    if stage not in REGISTRY:
        raise UsageError(f"Unknown stage '{stage}'; post-install stages are {', '.join(STAGES)}.")
    return REGISTRY[stage]


def run_stage(
    root: Path,
    org: Org | str,
    env: Environment | str,
    stage: str,
    reporter: Reporter,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    kubeconfig: Path | None = None,
    context: str | None = None,
    poll: float = POLL_SECONDS,
) -> tuple[StepResult, ...]:
    """Run every step of `stage`; raise PostInstallFailed (with all results) if any failed.

    A step that fails does not stop the checks after it, except when the API server
    cannot be reached at all.
    """
    from platformctl.cluster.kube import KubeUnreachable

    todo = steps(stage)
    the_org = org if isinstance(org, Org) else resolve_org(org)
    the_env = env if isinstance(env, Environment) else load_platform(root).get(env)
    if timeout <= 0:
        raise UsageError(f"--timeout {timeout:g} must be a positive number of seconds.")
    ctx = StepContext(root, the_org, the_env, reporter, timeout, kubeconfig, context, poll)
    results: list[StepResult] = []
    try:
        for index, step in enumerate(todo, start=1):
            reporter.step(f"[{index}/{len(todo)}] {stage}: {step.description}")
            try:
                result = step.run(ctx)
            except KubeUnreachable:
                raise
            except OperationError as exc:
                result = StepResult(stage, step.name, False, "failed", exc.message)
                reporter.warn(exc.message)
            else:
                (reporter.warn if result.warning else reporter.info)(result.message)
            results.append(result)
    finally:
        ctx.close()
    failed = [r for r in results if not r.ok]
    if failed:
        raise PostInstallFailed(
            f"post-install {stage}: {len(failed)} of {len(results)} steps failed: "
            + " | ".join(f"{r.step}: {r.message}" for r in failed),
            tuple(results),
        )
    return tuple(results)
