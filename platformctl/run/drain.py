"""drain: remove the cluster's cloud load balancers before the stages that run them go.

A Service of type LoadBalancer or an Ingress makes the AWS Load Balancer Controller
create a load balancer, target groups and security groups outside OpenTofu. Destroying
eks (the cluster) or mesh (the controller) first would leave them behind, billed, and
blocking the VPC's deletion. So `destroy` first deletes those objects while the
controller still runs, then waits, bounded, until Kubernetes and AWS both show them gone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from platformctl.aws.client import describe_cluster
from platformctl.aws.cloud import (
    LOAD_BALANCER,
    SECURITY_GROUP,
    TARGET_GROUP,
    CloudResource,
    cloud_resources,
)
from platformctl.aws.session import AwsTarget
from platformctl.errors import OperationError
from platformctl.model.config import Environment, Org
from platformctl.model.naming import resource_names
from platformctl.report import Reporter

if TYPE_CHECKING:
    from platformctl.cluster.kube import ExposedObject, Kube

DEFAULT_TIMEOUT = 300.0
POLL_SECONDS = 5.0
REPORT_EVERY = 15.0
CONTROLLER_TYPES = (LOAD_BALANCER, TARGET_GROUP, SECURITY_GROUP)
# The namespaces whose objects a stage owns when the cluster and its controller stay.
STAGE_NAMESPACES = {"kubeflow": ("kubeflow",)}
STACK_TAGS = ("service.k8s.aws/stack", "ingress.k8s.aws/stack")
SWEEP_HINT = "the sweep removes what is left once the cluster is gone (destroy --sweep)"


@dataclass(frozen=True)
class DrainResult:
    """What the drain deleted, and what was still there when it stopped waiting."""

    cluster: str
    reachable: bool
    deleted: tuple[str, ...] = ()  # "Service ns/name", "Ingress ns/name"
    objects_left: tuple[str, ...] = ()
    cloud_left: tuple[CloudResource, ...] = ()
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.reachable and not self.objects_left and not self.cloud_left


@dataclass(frozen=True)
class DrainOptions:
    timeout: float = DEFAULT_TIMEOUT
    poll: float = POLL_SECONDS
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


def scope(units: Collection[str]) -> tuple[str, ...] | None:
    """The namespaces to drain before destroying `units`: None for all, () for none.

    eks takes the cluster and mesh the load balancer controller, so either drains the
    whole cluster; kubeflow alone drains only its own namespaces.
    """
    if "eks" in units or "mesh" in units:
        return None
    return tuple(ns for unit in sorted(units) for ns in STAGE_NAMESPACES.get(unit, ()))


def controller_resources(
    target: AwsTarget, cluster: str, namespaces: Sequence[str] | None
) -> tuple[CloudResource, ...]:
    """The controller's load balancers, target groups and security groups of the cluster
    (only those of objects in `namespaces`, when given)."""
    found = cloud_resources(target, {"elbv2.k8s.aws/cluster": cluster}, CONTROLLER_TYPES)
    if namespaces is None:
        return found
    prefixes = tuple(f"{ns}/" for ns in namespaces)
    return tuple(
        r for r in found if any(r.tags.get(t, "").startswith(prefixes) for t in STACK_TAGS)
    )


def drain(
    kube: Kube,
    target: AwsTarget,
    cluster: str,
    reporter: Reporter,
    *,
    namespaces: Sequence[str] | None = None,
    options: DrainOptions | None = None,
) -> DrainResult:
    """Delete the LoadBalancer Services and Ingresses (all, or of `namespaces`), then wait
    until they and the controller's AWS resources for them are gone, at most the timeout."""
    opts = options or DrainOptions()
    where = "the cluster" if namespaces is None else f"namespaces {', '.join(namespaces)}"
    objects = kube.load_balancer_objects(namespaces)
    reporter.step(
        f"drain {cluster}: delete {_count(objects, 'Service')} LoadBalancer Service(s) and "
        f"{_count(objects, 'Ingress')} Ingress(es) in {where}"
    )
    deleted: list[str] = []
    for obj in objects:
        if kube.delete_load_balancer_object(obj):
            deleted.append(obj.ref)
            reporter.info(f"deleted {obj.ref}")
    start = opts.clock()
    next_report = start
    while True:
        objects_left = _still_there(kube, namespaces, deleted)
        cloud_left = controller_resources(target, cluster, namespaces)
        if not objects_left and not cloud_left:
            reporter.info(f"drained: no load balancer of {cluster} is left in AWS")
            return DrainResult(cluster, True, tuple(deleted))
        waited = opts.clock() - start
        if waited >= opts.timeout:
            names = [*objects_left, *(f"{r.type} {r.name or r.id}" for r in cloud_left)]
            message = (
                f"still there after {waited:.0f} s: {', '.join(names)}; continuing, and "
                f"{SWEEP_HINT}"
            )
            reporter.warn(message)
            return DrainResult(
                cluster, True, tuple(deleted), tuple(objects_left), cloud_left, message
            )
        if opts.clock() >= next_report:
            reporter.info(
                f"waiting for {len(objects_left)} object(s) and {len(cloud_left)} AWS "
                f"resource(s) to go ({waited:.0f} s of {opts.timeout:g} s)"
            )
            next_report = opts.clock() + REPORT_EVERY
        opts.sleep(opts.poll)


def _count(objects: Sequence[ExposedObject], kind: str) -> int:
    return sum(1 for o in objects if o.kind == kind)


def _still_there(kube: Kube, namespaces: Sequence[str] | None, deleted: Sequence[str]) -> list[str]:
    # New LoadBalancer objects may appear while we wait (a controller recreating one); the
    # wait is for what was deleted, the rest is reported by the AWS side.
    return [o.ref for o in kube.load_balancer_objects(namespaces) if o.ref in deleted]


def before_destroy(
    root: Path,
    org: Org,
    env: Environment,
    units: Collection[str],
    reporter: Reporter,
    *,
    dry_run: bool = False,
    options: DrainOptions | None = None,
) -> DrainResult | None:
    """destroy's hook: drain before destroying `units`, or say why it cannot and go on.

    None when none of the units runs load balancers (or for a dry run, which only names
    the step). An unreachable cluster is reported, not an error: the destroy goes on, and
    the sweep deals with what is left.
    """
    namespaces = scope(units)
    if namespaces == ():
        return None
    if dry_run:
        where = "the cluster" if namespaces is None else ", ".join(namespaces)
        reporter.step(
            f"{env.name}: drain {where}: delete LoadBalancer Services and Ingresses, wait "
            f"(at most {(options or DrainOptions()).timeout:g} s) until their load balancers, "
            "target groups and security groups are gone from AWS"
        )
        return None
    from platformctl.aws.target import aws_target
    from platformctl.cluster.kube import Kube

    cluster = resource_names(org, env)["cluster"]
    target = aws_target(root, env)
    try:
        kubeconfig, context = _kubeconfig(root, org, env, target, cluster, reporter)
        if kubeconfig is None:
            reporter.info(f"no EKS cluster {cluster}: nothing to drain")
            return None
        with Kube(kubeconfig, context, timeout=10) as kube:
            kube.version()
            return drain(kube, target, cluster, reporter, namespaces=namespaces, options=options)
    except OperationError as exc:
        reporter.warn(f"could not drain {cluster}: {exc.message}; continuing, and {SWEEP_HINT}")
        return DrainResult(cluster, False, message=exc.message)


def _kubeconfig(
    root: Path,
    org: Org,
    env: Environment,
    target: AwsTarget,
    cluster: str,
    reporter: Reporter,
) -> tuple[Path | None, str | None]:
    """The kubeconfig and context of exactly this environment's cluster.

    The sandbox's control plane, or the file $PLATFORMCTL_KUBECONFIG names; otherwise
    never the user's current context: a kubeconfig of our own is written under
    .platformctl/ from the cluster's description, so no other cluster is ever drained.
    (None, None) when the cluster does not exist.
    """
    from platformctl.postinstall.context import KUBECONFIG_ENV, default_kubeconfig

    if env.sandbox or os.environ.get(KUBECONFIG_ENV):
        return default_kubeconfig(root, env), None
    if describe_cluster(target, cluster) is None:
        return None, None
    from platformctl.aws.kubeconfig import add_cluster
    from platformctl.paths import state_dir

    path = state_dir(root) / "teardown" / f"{cluster}.kubeconfig"
    written = add_cluster(root, org, env, reporter, kubeconfig=path)
    return written.path, written.context
