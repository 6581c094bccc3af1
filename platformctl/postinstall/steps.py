"""Post-install steps: what a person would otherwise type after each stage is applied.

A registry maps each stage ("eks", "mesh", "kubeflow") to its steps. `deploy` calls
`run_stage` after applying a stage; `platformctl post-install STAGE` runs one stage alone.
Every step is idempotent (safe to run again) and returns a StepResult saying what it did.
The rollout and readiness rules are kubectl's own (`kubectl rollout status`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformctl.errors import OperationError, UsageError
from platformctl.model.config import Environment, Org, load_platform, resolve_org
from platformctl.report import Reporter

if TYPE_CHECKING:
    from platformctl.cluster.kube import DaemonSetState, DeploymentState, Kube

STAGES = ("eks", "mesh", "kubeflow")
DEFAULT_TIMEOUT = 300.0
POLL_SECONDS = 1.0
KUBECONFIG_ENV = "PLATFORMCTL_KUBECONFIG"

INGRESS = ("istio-ingress", "istio-ingress")  # (namespace, deployment)
ISTIOD = ("istio-system", "istiod")
ZTUNNEL = ("istio-system", "ztunnel")  # a DaemonSet
TRAINING_OPERATOR = ("kubeflow", "training-operator")
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


class PostInstallFailed(OperationError):
    """One or more steps of a stage failed; `results` holds every step's outcome."""

    def __init__(self, message: str, results: tuple[StepResult, ...]) -> None:
        super().__init__(message)
        self.results = results


@dataclass(frozen=True)
class StepResult:
    """The outcome of one step. action: changed, checked, skipped, failed."""

    stage: str
    step: str
    ok: bool
    action: str
    message: str
    warning: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "step": self.step,
            "ok": self.ok,
            "action": self.action,
            "message": self.message,
            "warning": self.warning,
            "data": self.data,
        }


@dataclass
class StepContext:
    """What a step may use. The connection is opened on first use."""

    root: Path
    org: Org
    env: Environment
    reporter: Reporter
    timeout: float = DEFAULT_TIMEOUT
    kubeconfig: Path | None = None
    context: str | None = None
    poll: float = POLL_SECONDS
    _kube: Kube | None = None

    def kube(self) -> Kube:
        if self._kube is None:
            from platformctl.cluster.kube import Kube

            path = self.kubeconfig or default_kubeconfig(self.root, self.env)
            self._kube = Kube(path, self.context)
        return self._kube

    def close(self) -> None:
        if self._kube is not None:
            self._kube.close()
            self._kube = None


@dataclass(frozen=True)
class Step:
    stage: str
    name: str
    description: str
    run: Callable[[StepContext], StepResult]


def default_kubeconfig(root: Path, env: Environment) -> Path:
    """$PLATFORMCTL_KUBECONFIG, else the sandbox control plane's, else $KUBECONFIG."""
    override = os.environ.get(KUBECONFIG_ENV)
    if override:
        return Path(override)
    if env.sandbox:
        from platformctl.sandbox.cpconfig import kubeconfig_path

        path = kubeconfig_path(root)
        if not path.is_file():
            raise OperationError(
                f"The sandbox control plane has no kubeconfig at {path}.",
                hint="run `platformctl sandbox up` first.",
            )
        return path
    first = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return Path(first) if first else Path.home() / ".kube" / "config"


# --- readiness rules (kubectl rollout status) ------------------------------------------


def deployment_waiting(d: DeploymentState) -> str | None:
    """Why a Deployment has not finished rolling out, or None when it has."""
    ref = f"deployment {d.namespace}/{d.name}"
    if d.generation > d.observed_generation:
        return f"{ref}: waiting for the controller to observe generation {d.generation}"
    for c in d.conditions:
        if c.type == "Progressing" and c.reason == "ProgressDeadlineExceeded":
            return f"{ref} exceeded its progress deadline"
    if d.updated_replicas < d.replicas:
        return f"{ref}: {d.updated_replicas} of {d.replicas} new replicas updated"
    if d.status_replicas > d.updated_replicas:
        old = d.status_replicas - d.updated_replicas
        return f"{ref}: {old} old replicas pending termination"
    if d.available_replicas < d.updated_replicas:
        return f"{ref}: {d.available_replicas} of {d.updated_replicas} updated replicas available"
    return None


def daemonset_waiting(ds: DaemonSetState) -> str | None:
    """Why a DaemonSet has not finished rolling out, or None when it has."""
    ref = f"daemonset {ds.namespace}/{ds.name}"
    if ds.update_strategy != "RollingUpdate":
        return None  # kubectl cannot tell for OnDelete either
    if ds.generation > ds.observed_generation:
        return f"{ref}: waiting for the controller to observe generation {ds.generation}"
    if ds.updated < ds.desired:
        return f"{ref}: {ds.updated} of {ds.desired} pods updated"
    if ds.available < ds.desired:
        return f"{ref}: {ds.available} of {ds.desired} updated pods available"
    return None


def _poll(
    ctx: StepContext, what: str, check: Callable[[], str | None], timeout: float | None = None
) -> None:
    """Call `check` until it returns None; on timeout raise naming what is still not ready."""
    limit = ctx.timeout if timeout is None else timeout
    deadline = time.monotonic() + limit
    while True:
        waiting = check()
        if waiting is None:
            return
        if time.monotonic() >= deadline:
            raise OperationError(f"Timed out after {limit:g} s waiting for {what}: {waiting}.")
        time.sleep(ctx.poll)


def _require_namespace(kube: Kube, namespace: str, stage: str) -> None:
    if not kube.namespace_exists(namespace):
        raise OperationError(
            f"Namespace {namespace} does not exist on {kube.server}; "
            f"has the {stage} stage been applied?"
        )


def _deployment(kube: Kube, namespace: str, name: str, stage: str) -> DeploymentState:
    _require_namespace(kube, namespace, stage)
    state = kube.deployment(namespace, name)
    if state is None:
        raise OperationError(
            f"Deployment {namespace}/{name} does not exist on {kube.server}; "
            f"has the {stage} stage been applied?"
        )
    return state


def wait_deployment(ctx: StepContext, namespace: str, name: str, stage: str) -> DeploymentState:
    kube = ctx.kube()
    _deployment(kube, namespace, name, stage)
    last: list[DeploymentState] = []

    def check() -> str | None:
        state = kube.deployment(namespace, name)
        if state is None:
            return f"deployment {namespace}/{name} was deleted"
        last[:] = [state]
        return deployment_waiting(state)

    _poll(ctx, f"deployment {namespace}/{name} to be ready", check)
    return last[0]


def wait_daemonset(ctx: StepContext, namespace: str, name: str, stage: str) -> DaemonSetState:
    kube = ctx.kube()
    _require_namespace(kube, namespace, stage)
    if kube.daemonset(namespace, name) is None:
        raise OperationError(
            f"DaemonSet {namespace}/{name} does not exist on {kube.server}; "
            f"has the {stage} stage been applied?"
        )
    last: list[DaemonSetState] = []

    def check() -> str | None:
        state = kube.daemonset(namespace, name)
        if state is None:
            return f"daemonset {namespace}/{name} was deleted"
        last[:] = [state]
        return daemonset_waiting(state)

    _poll(ctx, f"daemonset {namespace}/{name} to be ready", check)
    return last[0]


# --- eks ------------------------------------------------------------------------------


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

    _poll(ctx, "nodes to be Ready", check)
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


# --- mesh -----------------------------------------------------------------------------


def mesh_restart_ingress(ctx: StepContext) -> StepResult:
    """`kubectl rollout restart deployment/istio-ingress -n istio-ingress`, then wait."""
    namespace, name = INGRESS
    kube = ctx.kube()
    _deployment(kube, namespace, name, "mesh")
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


def mesh_istiod(ctx: StepContext) -> StepResult:
    namespace, name = ISTIOD
    state = wait_deployment(ctx, namespace, name, "mesh")
    return StepResult(
        "mesh",
        "istiod-ready",
        True,
        "checked",
        f"deployment {namespace}/{name} ready ({state.available_replicas}/{state.replicas})",
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


# --- kubeflow -------------------------------------------------------------------------


def kubeflow_sandbox_operator(ctx: StepContext) -> StepResult:
    """In the sandbox, the Training Operator runs as a local process against the control
    plane (its in-cluster Deployment sits on a fake node); start it now that its CRDs exist."""
    if not ctx.env.sandbox:
        return StepResult(
            "kubeflow", "sandbox-operator", True, "skipped", "runs in the cluster (not a sandbox)"
        )
    from platformctl.sandbox.trainingop import NO_CONTROL_PLANE, ensure_training_operator

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


def kubeflow_operator(ctx: StepContext) -> StepResult:
    namespace, name = TRAINING_OPERATOR
    state = wait_deployment(ctx, namespace, name, "kubeflow")
    return StepResult(
        "kubeflow",
        "training-operator-ready",
        True,
        "checked",
        f"deployment {namespace}/{name} ready ({state.available_replicas}/{state.replicas})",
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
    _poll(
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
        Step("mesh", "istiod-ready", "check istiod", mesh_istiod),
        Step("mesh", "ztunnel-ready", "check ztunnel", mesh_ztunnel),
    ),
    "kubeflow": (
        Step(
            "kubeflow", "training-operator-ready", "check the Training Operator", kubeflow_operator
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
