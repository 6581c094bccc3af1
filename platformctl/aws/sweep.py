"""sweep: what an environment left in AWS after destroy, found by exact tags, then deleted.

Two kinds of leftovers qualify, and nothing else:

- what Kubernetes controllers of the environment's cluster `<org>-<env>-eks` created
  outside OpenTofu: load balancers, target groups and security groups of the AWS Load
  Balancer Controller (`elbv2.k8s.aws/cluster=<cluster>`), security groups, network
  interfaces and volumes tagged `kubernetes.io/cluster/<cluster>`, VPC CNI interfaces
  (`cluster.k8s.amazonaws.com/name=<cluster>`), EBS CSI volumes (`KubernetesCluster`);
- what the units created and a failed destroy left: resources carrying the provider's
  default tags `Organization=<org>`, `Environment=<env>`, `ManagedBy=platformctl`.

A resource in a VPC that is tagged for another environment is never listed. The sweep
refuses while the cluster exists (its load balancers and volumes are then in use), and
leaves alone what is still in use or still belongs to a unit that exists. Deletion runs in
dependency order and waits, bounded, while AWS still reports a resource in use.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from platformctl.aws.client import describe_cluster, parse_arn
from platformctl.aws.cloud import (
    CLOUD_TYPES,
    KMS_KEY,
    LOAD_BALANCER,
    LOG_GROUP,
    NETWORK_INTERFACE,
    SECURITY_GROUP,
    TARGET_GROUP,
    VOLUME,
    CloudResource,
    StillInUse,
    cloud_resources,
    delete_cloud_resource,
    vpc_tags,
)
from platformctl.aws.session import AwsTarget
from platformctl.errors import OperationError, UsageError
from platformctl.model.config import Environment, Org
from platformctl.model.naming import resource_names
from platformctl.report import Reporter

# Dependency order: a load balancer holds its target groups, interfaces hold security
# groups, and a log group's KMS key goes last.
ORDER = (
    LOAD_BALANCER,
    TARGET_GROUP,
    NETWORK_INTERFACE,
    SECURITY_GROUP,
    VOLUME,
    LOG_GROUP,
    KMS_KEY,
)
LABELS = {
    LOAD_BALANCER: "load balancer",
    TARGET_GROUP: "target group",
    NETWORK_INTERFACE: "network interface",
    SECURITY_GROUP: "security group",
    VOLUME: "EBS volume",
    LOG_GROUP: "log group",
    KMS_KEY: "KMS key",
}
DEFAULT_RETRY_SECONDS = 180.0
DEFAULT_POLL_SECONDS = 5.0
PENDING_DELETION = "PendingDeletion"
UNITS = "units"  # Leftover.found_by of what carries the units' default tags


class ClusterStillExists(UsageError):
    """The sweep refuses while the environment's EKS cluster exists."""


@dataclass(frozen=True)
class Query:
    """One tag query: its name, the exact tags (None: any value) and the types it may find."""

    name: str
    tags: Mapping[str, str | None]
    types: tuple[str, ...]


def queries(org: Org, env: Environment) -> tuple[Query, ...]:
    """The tag queries that find the environment's leftovers, most specific first."""
    cluster = resource_names(org, env)["cluster"]
    return (
        Query(
            "load balancer controller",
            {"elbv2.k8s.aws/cluster": cluster},
            (LOAD_BALANCER, TARGET_GROUP, SECURITY_GROUP),
        ),
        Query(
            "cluster tag",
            {f"kubernetes.io/cluster/{cluster}": None},
            (SECURITY_GROUP, NETWORK_INTERFACE, VOLUME),
        ),
        Query("VPC CNI", {"cluster.k8s.amazonaws.com/name": cluster}, (NETWORK_INTERFACE,)),
        Query("EBS CSI", {"KubernetesCluster": cluster}, (VOLUME,)),
        Query(UNITS, {"Organization": org.name, "Environment": env.name}, CLOUD_TYPES),
    )


@dataclass(frozen=True)
class Leftover:
    """A resource tagged for the environment; skip says why the sweep leaves it alone."""

    resource: CloudResource
    found_by: str
    skip: str = ""

    @property
    def label(self) -> str:
        return LABELS.get(self.resource.type, self.resource.type)

    @property
    def title(self) -> str:
        r = self.resource
        name = r.tags.get("Name") or r.name
        ident = parse_arn(r.arn)[2] if r.type in (LOAD_BALANCER, TARGET_GROUP) else r.id
        return f"{self.label} {ident}" + (f" ({name})" if name and name not in ident else "")

    def to_json(self) -> dict[str, Any]:
        r = self.resource
        return {
            "type": r.type,
            "label": self.label,
            "id": r.id,
            "arn": r.arn,
            "name": r.name,
            "vpc_id": r.vpc_id,
            "state": r.state,
            "tags": dict(r.tags),
            "found_by": self.found_by,
            "skip": self.skip,
        }


def _sort_key(item: Leftover) -> tuple[int, str]:
    return (ORDER.index(item.resource.type), item.resource.id)


def find(target: AwsTarget, org: Org, env: Environment) -> tuple[Leftover, ...]:
    """Every resource of the sweep's types tagged for the environment, in deletion order.

    Resources in a VPC tagged for another organisation or environment are dropped; the
    others carry the reason the sweep would leave them alone (empty: it deletes them).
    """
    found: dict[str, Leftover] = {}
    for query in queries(org, env):
        for resource in cloud_resources(target, query.tags, query.types):
            found.setdefault(resource.arn, Leftover(resource, query.name))
    in_vpcs = tuple(sorted({item.resource.vpc_id for item in found.values()} - {""}))
    vpcs = vpc_tags(target, vpc_ids=in_vpcs) if in_vpcs else {}
    env_vpcs = vpc_tags(target, tags={"Organization": org.name, "Environment": env.name})
    kept: list[Leftover] = []
    for item in found.values():
        owner = vpcs.get(item.resource.vpc_id, {})
        if _tagged_for_another(owner, org, env):
            continue
        kept.append(replace(item, skip=_skip_reason(item, org, env, bool(env_vpcs))))
    return tuple(sorted(kept, key=_sort_key))


def _tagged_for_another(tags: Mapping[str, str], org: Org, env: Environment) -> bool:
    theirs = (tags.get("Organization"), tags.get("Environment"))
    return theirs not in ((None, None), (org.name, env.name))


def _skip_reason(item: Leftover, org: Org, env: Environment, vpc_exists: bool) -> str:
    r = item.resource
    if r.type == KMS_KEY and r.state == PENDING_DELETION:
        return "already scheduled for deletion"
    if r.type == SECURITY_GROUP and r.name == "default":
        return "the VPC's default security group goes with the VPC"
    if r.type == NETWORK_INTERFACE and r.state != "available":
        return f"in use ({r.state})"
    if r.type == VOLUME and r.state != "available":
        return f"not available ({r.state})"
    if item.found_by == UNITS:
        if r.tags.get("ManagedBy") != "platformctl":
            return "tagged for the environment but not ManagedBy=platformctl"
        unit = r.tags.get("Component", "")
        if unit in ("", "vpc") and vpc_exists:
            return f"the vpc unit of {org.name}/{env.name} still exists; destroy it first"
    return ""


@dataclass(frozen=True)
class SweepResult:
    """What the sweep found, deleted and could not delete."""

    org: str
    env: str
    where: str
    found: tuple[Leftover, ...]
    deleted: tuple[Leftover, ...] = ()
    failed: tuple[tuple[Leftover, str], ...] = ()
    dry_run: bool = False
    aborted: bool = False

    @property
    def to_delete(self) -> tuple[Leftover, ...]:
        return tuple(item for item in self.found if not item.skip)

    @property
    def left_alone(self) -> tuple[Leftover, ...]:
        return tuple(item for item in self.found if item.skip)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.aborted

    def to_json(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "env": self.env,
            "where": self.where,
            "dry_run": self.dry_run,
            "aborted": self.aborted,
            "ok": self.ok,
            "to_delete": [item.to_json() for item in self.to_delete],
            "left_alone": [item.to_json() for item in self.left_alone],
            "deleted": [item.to_json() for item in self.deleted],
            "failed": [{**item.to_json(), "error": error} for item, error in self.failed],
        }


Confirm = Callable[[SweepResult], bool]


@dataclass(frozen=True)
class SweepOptions:
    """How long to keep trying a resource AWS reports in use, and how often."""

    dry_run: bool = False
    retry_seconds: float = DEFAULT_RETRY_SECONDS
    poll_seconds: float = DEFAULT_POLL_SECONDS
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


def sweep(
    root: Path,
    org: Org,
    env: Environment,
    *,
    reporter: Reporter,
    confirm: Confirm,
    options: SweepOptions | None = None,
    target: AwsTarget | None = None,
) -> SweepResult:
    """Find the environment's leftovers, ask `confirm`, delete them in dependency order.

    Refuses (UsageError) while the EKS cluster exists, except for a dry run, which lists
    only. A KMS key is scheduled for deletion, not deleted.
    """
    from platformctl.aws.target import aws_target

    opts = options or SweepOptions()
    if opts.retry_seconds < 0 or opts.poll_seconds <= 0:
        raise UsageError("--timeout must be zero or more seconds.")
    target = target or aws_target(root, env)
    cluster = resource_names(org, env)["cluster"]
    where = target.endpoint or env.region
    reporter.step(f"{env.name}: find what is tagged for cluster {cluster} or {org.name}/{env.name}")
    live = describe_cluster(target, cluster)
    found = find(target, org, env)
    result = SweepResult(org.name, env.name, where, found, dry_run=opts.dry_run)
    if live is not None:
        message = (
            f"EKS cluster {cluster} still exists ({live.status or 'status unknown'}), and the "
            "sweep only removes what is left once it is gone: destroy the eks stage first."
        )
        if not opts.dry_run:
            raise ClusterStillExists(message)
        reporter.warn(message)
    if opts.dry_run or not result.to_delete:
        return result
    if not confirm(result):
        return replace(result, aborted=True)
    deleted, failed = _delete_in_order(target, result.to_delete, reporter, opts)
    return replace(result, deleted=deleted, failed=failed)


def _delete_in_order(
    target: AwsTarget, todo: Sequence[Leftover], reporter: Reporter, opts: SweepOptions
) -> tuple[tuple[Leftover, ...], tuple[tuple[Leftover, str], ...]]:
    deleted: list[Leftover] = []
    failed: list[tuple[Leftover, str]] = []
    deadline = opts.clock() + opts.retry_seconds
    for kind in ORDER:
        pending = [item for item in todo if item.resource.type == kind]
        if not pending:
            continue
        label = LABELS[kind]
        verb = "schedule the deletion of" if kind == KMS_KEY else "delete"
        reporter.step(f"{verb} {len(pending)} {label}{'s' if len(pending) != 1 else ''}")
        while pending:
            in_use: list[tuple[Leftover, str]] = []
            for item in pending:
                try:
                    now_gone = delete_cloud_resource(target, item.resource)
                except StillInUse as exc:
                    in_use.append((item, exc.message))
                    continue
                except OperationError as exc:
                    failed.append((item, exc.message))
                    reporter.warn(f"{item.title}: {exc.message}")
                    continue
                deleted.append(item)
                reporter.info(f"{item.title}: {'done' if now_gone else 'already gone'}")
            if not in_use:
                break
            if opts.clock() >= deadline:
                for item, message in in_use:
                    failed.append((item, message))
                    reporter.warn(f"{item.title}: {message}")
                break
            reporter.info(
                f"{len(in_use)} {label}(s) still in use; trying again in {opts.poll_seconds:g} s"
            )
            opts.sleep(opts.poll_seconds)
            pending = [item for item, _ in in_use]
    return tuple(deleted), tuple(failed)
