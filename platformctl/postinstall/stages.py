"""The post-install steps of each stage: eks (kubeconfig, nodes, GPUs), mesh (istiod, ztunnel, ingress), kubeflow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from platformctl.errors import OperationError
from platformctl.model.config import Environment
from platformctl.postinstall.context import StepContext, StepResult, default_kubeconfig
from platformctl.postinstall.readiness import (
    poll,
    require_deployment,
    wait_daemonset,
    wait_deployment,
)

if TYPE_CHECKING:
    from platformctl.cluster.kube import Kube

INGRESS = ("istio-ingress", "istio-ingress")  # (namespace, deployment)
ZTUNNEL = ("istio-system", "ztunnel")  # a DaemonSet
REQUIRED_CRDS = ("pytorchjobs.kubeflow.org",)
# The other kinds the Training Operator serves: checked when installed.
OPTIONAL_CRDS = (
    "tfjobs.kubeflow.org",
    "mpijobs.kubeflow.org",
    "xgboostjobs.kubeflow.org",
    "paddlejobs.kubeflow.org",
    "jaxjobs.kubeflow.org",
)
GPU_POOL_LABEL = ("platformctl.io/pool", "gpu")


def eks_kubeconfig(ctx: StepContext) -> StepResult:
    """Make sure a kubeconfig for the cluster exists (add-cluster on AWS)."""
    if ctx.kubeconfig is not None:
        return StepResult("eks", "kubeconfig", True, "checked", f"using {ctx.kubeconfig}")
    if ctx.env.sandbox:
        path = default_kubeconfig(ctx.root, ctx.env)
        ctx.kubeconfig = path
        return StepResult(
            "eks",
            "kubeconfig",
            True,
            "checked",
            f"sandbox: using the local control plane's kubeconfig {path}",
            data={"kubeconfig": str(path)},
        )
    from platformctl.aws.kubeconfig import add_cluster

    written = add_cluster(ctx.root, ctx.org, ctx.env, ctx.reporter)
    ctx.kubeconfig = written.path
    ctx.context = written.context
    return StepResult(
        "eks",
        "kubeconfig",
        True,
        "changed" if written.changed else "checked",
        f"{'wrote' if written.changed else 'kept'} context {written.context} in {written.path}",
        data=written.to_json(),
    )


def eks_nodes_ready(ctx: StepContext) -> StepResult:
    kube = ctx.kube()
    nodes = kube.nodes()
    if not nodes and ctx.env.sandbox:
        return StepResult(
            "eks",
            "nodes-ready",
            True,
            "checked",
            f"the cluster at {kube.server} has no nodes (the sandbox runs no kubelets)",
            warning=True,
            data={"nodes": 0, "ready": 0},
        )

    def check() -> str | None:
        current = kube.nodes()
        if not current:
            return "no nodes have registered"
        not_ready = [n.name for n in current if not n.ready]
        if not_ready:
            return f"{len(not_ready)} of {len(current)} nodes not Ready: {', '.join(not_ready)}"
        return None

    poll(ctx, "nodes to be Ready", check)
    nodes = kube.nodes()
    return StepResult(
        "eks",
        "nodes-ready",
        True,
        "checked",
        f"{len(nodes)} nodes Ready",
        data={"nodes": len(nodes), "ready": len(nodes)},
    )


def _gpu_label(env: Environment) -> tuple[str, str]:
    for group in env.node_groups:
        if group.role == "gpu":
            labels = dict(group.labels)
            if GPU_POOL_LABEL[0] in labels:
                return GPU_POOL_LABEL[0], labels[GPU_POOL_LABEL[0]]
    return GPU_POOL_LABEL


def eks_gpu_nodes(ctx: StepContext) -> StepResult:
    key, value = _gpu_label(ctx.env)
    nodes = ctx.kube().nodes()
    gpu_nodes = [n for n in nodes if n.labels.get(key) == value or n.allocatable_gpus > 0]
    total = sum(n.allocatable_gpus for n in gpu_nodes)
    data = {
        "gpu_nodes": [{"name": n.name, "nvidia.com/gpu": n.allocatable_gpus} for n in gpu_nodes],
        "allocatable_gpus": total,
    }
    if not gpu_nodes:
        gpu_group = next((g for g in ctx.env.node_groups if g.role == "gpu"), None)
        if (
            gpu_group is not None
            and gpu_group.min_size == 0
            and ctx.env.features.cluster_autoscaler
        ):
            return StepResult(
                "eks",
                "gpu-nodes",
                True,
                "checked",
                f"no GPU nodes yet (label {key}={value}; the GPU group starts at zero): the "
                "cluster autoscaler adds them for pending GPU pods",
                data=data,
            )
        return StepResult(
            "eks",
            "gpu-nodes",
            True,
            "checked",
            f"no GPU nodes (label {key}={value}): GPU training jobs will stay Pending",
            warning=True,
            data=data,
        )
    if total == 0:
        return StepResult(
            "eks",
            "gpu-nodes",
            True,
            "checked",
            f"{len(gpu_nodes)} GPU nodes but no allocatable nvidia.com/gpu: is the NVIDIA "
            "device plugin (GPU operator) running?",
            warning=True,
            data=data,
        )
    return StepResult(
        "eks",
        "gpu-nodes",
        True,
        "checked",
        f"{len(gpu_nodes)} GPU nodes, {total} allocatable nvidia.com/gpu",
        data=data,
    )


def mesh_restart_ingress(ctx: StepContext) -> StepResult:
    """`kubectl rollout restart deployment/istio-ingress -n istio-ingress`, then wait."""
    namespace, name = INGRESS
    kube = ctx.kube()
    require_deployment(kube, namespace, name, "mesh")
    stamp = kube.restart_deployment(namespace, name)
    ctx.reporter.info(f"restartedAt={stamp}; waiting for the rollout")
    state = wait_deployment(ctx, namespace, name, "mesh")
    return StepResult(
        "mesh",
        "restart-istio-ingress",
        True,
        "changed",
        f"restarted deployment {namespace}/{name}; rolled out "
        f"({state.available_replicas}/{state.replicas} available)",
        data={"restartedAt": stamp, "replicas": state.replicas},
    )


def mesh_ztunnel(ctx: StepContext) -> StepResult:
    namespace, name = ZTUNNEL
    state = wait_daemonset(ctx, namespace, name, "mesh")
    return StepResult(
        "mesh",
        "ztunnel-ready",
        True,
        "checked",
        f"daemonset {namespace}/{name} ready ({state.available}/{state.desired} nodes)",
        warning=state.desired == 0,
    )


def kubeflow_sandbox_operator(ctx: StepContext) -> StepResult:
    """In the sandbox, the Training Operator runs as a local process against the control
    plane (its in-cluster Deployment sits on a fake node); start it now that its CRDs exist."""
    if not ctx.env.sandbox:
        return StepResult(
            "kubeflow", "sandbox-operator", True, "skipped", "runs in the cluster (not a sandbox)"
        )
    from platformctl.sandbox import controlplane
    from platformctl.sandbox.trainingop import NO_CONTROL_PLANE, ensure_training_operator

    own = controlplane.status(ctx.root)
    if (
        own.running
        and own.server is not None
        and ctx.kube().server.rstrip("/") != own.server.rstrip("/")
    ):
        # The stage checks another cluster than this checkout's control plane (a kubeconfig
        # given by hand): whoever runs that cluster runs its operator.
        return StepResult(
            "kubeflow",
            "sandbox-operator",
            True,
            "skipped",
            f"the cluster at {ctx.kube().server} is not this sandbox's control plane",
        )
    status = ensure_training_operator(ctx.root, ctx.reporter)
    if not status.running and status.detail == NO_CONTROL_PLANE:
        # The cluster is not the sandbox's own control plane (a kubeconfig given by hand):
        # whoever runs that cluster runs its operator.
        return StepResult(
            "kubeflow", "sandbox-operator", True, "skipped", f"Training Operator {status.detail}"
        )
    if not status.running:
        raise OperationError(
            f"The sandbox's Training Operator is not running ({status.action}: {status.detail}); "
            "PyTorchJobs would get no pods."
        )
    return StepResult(
        "kubeflow",
        "sandbox-operator",
        True,
        status.action,
        f"Training Operator process {status.pid} ({status.detail})",
    )


def crds_waiting(kube: Kube, required: tuple[str, ...], optional: tuple[str, ...]) -> str | None:
    problems = []
    for name in (*required, *optional):
        crd = kube.crd(name)
        if crd is None:
            if name in required:
                problems.append(f"{name} is not installed")
        elif not crd.established:
            why = "; ".join(
                f"{c.type}={c.status} ({c.message or c.reason})"
                for c in crd.conditions
                if c.status != "True"
            )
            problems.append(f"{name} is not Established" + (f": {why}" if why else ""))
    return "; ".join(problems) or None


def kubeflow_crds(ctx: StepContext) -> StepResult:
    kube = ctx.kube()
    poll(
        ctx,
        "the Training Operator CRDs",
        lambda: crds_waiting(kube, REQUIRED_CRDS, OPTIONAL_CRDS),
    )
    present = [n for n in (*REQUIRED_CRDS, *OPTIONAL_CRDS) if kube.crd(n) is not None]
    return StepResult(
        "kubeflow",
        "crds-established",
        True,
        "checked",
        f"{len(present)} CRDs Established: {', '.join(present)}",
        data={"crds": present},
    )
