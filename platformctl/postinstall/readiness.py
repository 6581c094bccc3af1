"""Readiness rules for post-install: `kubectl rollout status`'s own, for Deployments and DaemonSets."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from platformctl.errors import OperationError
from platformctl.postinstall.context import StepContext

if TYPE_CHECKING:
    from platformctl.cluster.kube import DaemonSetState, DeploymentState, Kube

State = TypeVar("State")


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


def poll(
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


def require_deployment(kube: Kube, namespace: str, name: str, stage: str) -> DeploymentState:
    """The Deployment, or an error saying the stage that makes it looks unapplied."""
    return _require(kube, "Deployment", namespace, name, stage, kube.deployment)


def wait_deployment(ctx: StepContext, namespace: str, name: str, stage: str) -> DeploymentState:
    kube = ctx.kube()
    return _wait(ctx, "Deployment", namespace, name, stage, kube.deployment, deployment_waiting)


def wait_daemonset(ctx: StepContext, namespace: str, name: str, stage: str) -> DaemonSetState:
    kube = ctx.kube()
    return _wait(ctx, "DaemonSet", namespace, name, stage, kube.daemonset, daemonset_waiting)


def _require(
    kube: Kube,
    kind: str,
    namespace: str,
    name: str,
    stage: str,
    read: Callable[[str, str], State | None],
) -> State:
    _require_namespace(kube, namespace, stage)
    state = read(namespace, name)
    if state is None:
        raise OperationError(
            f"{kind} {namespace}/{name} does not exist on {kube.server}; "
            f"has the {stage} stage been applied?"
        )
    return state


def _wait(
    ctx: StepContext,
    kind: str,
    namespace: str,
    name: str,
    stage: str,
    read: Callable[[str, str], State | None],
    waiting: Callable[[State], str | None],
) -> State:
    """Wait until `read`'s object of `kind` has rolled out, as `kubectl rollout status` does."""
    _require(ctx.kube(), kind, namespace, name, stage, read)
    ref = f"{kind.lower()} {namespace}/{name}"
    last: list[State] = []

    def check() -> str | None:
        state = read(namespace, name)
        if state is None:
            return f"{ref} was deleted"
        last[:] = [state]
        return waiting(state)

    poll(ctx, f"{ref} to be ready", check)
    return last[0]
