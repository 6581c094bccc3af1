"""Readiness rules for post-install: `kubectl rollout status`'s own, for Deployments and DaemonSets."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from platformctl.errors import OperationError
from platformctl.postinstall.context import StepContext

if TYPE_CHECKING:
    from platformctl.cluster.kube import DaemonSetState, DeploymentState, Kube


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
