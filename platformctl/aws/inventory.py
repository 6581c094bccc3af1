"""status: what an environment has in AWS, found by the tags every resource carries.

The rendered provider tags everything with Organization=<org> and Environment=<env>
(default_tags); the Resource Groups Tagging API finds those resources, and EKS describe
calls add what tags cannot tell (cluster status and version, node group sizes). What the
cluster's controllers created (load balancers, target groups, security groups, network
interfaces, volumes) carries the cluster's tags instead; the sweep's search finds those,
so `status` counts everything the sweep would delete. A KMS key already scheduled for
deletion is listed apart: it is no longer in use and AWS removes it at the date given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from platformctl.aws import sweep
from platformctl.aws.client import (
    addons,
    describe_cluster,
    node_groups,
    parse_arn,
    tagged_resources,
)
from platformctl.aws.cloud import CLOUD_TYPES, FINAL_STATES, KMS_KEY, ec2_states
from platformctl.aws.target import aws_target
from platformctl.model.config import Environment, Org
from platformctl.model.naming import resource_names
from platformctl.report import Reporter

# Display order and labels, as the inventory of the original platform listed them.
KINDS: tuple[tuple[str, str], ...] = (
    ("ec2:vpc", "VPC"),
    ("ec2:subnet", "Subnet"),
    ("ec2:natgateway", "NAT gateway"),
    ("ec2:internet-gateway", "Internet gateway"),
    ("ec2:route-table", "Route table"),
    ("ec2:elastic-ip", "Elastic IP"),
    ("ec2:network-interface", "Network interface"),
    ("ec2:security-group", "Security group"),
    ("ec2:network-acl", "Network ACL"),
    ("eks:cluster", "EKS cluster"),
    ("eks:nodegroup", "EKS node group"),
    ("eks:addon", "EKS add-on"),
    ("eks:podidentityassociation", "Pod identity association"),
    ("elasticfilesystem:file-system", "EFS file system"),
    ("fsx:file-system", "FSx file system"),
    ("elasticloadbalancing:loadbalancer", "Load balancer"),
    ("elasticloadbalancing:targetgroup", "Target group"),
    ("ec2:volume", "EBS volume"),
    ("logs:log-group", "Log group"),
    ("kms:key", "KMS key"),
)
_LABELS = dict(KINDS)
_ORDER = {k: i for i, (k, _) in enumerate(KINDS)}


@dataclass(frozen=True)
class Resource:
    type: str  # "<service>:<kind>", e.g. ec2:vpc
    id: str
    name: str
    arn: str
    details: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return _LABELS.get(self.type, self.type)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "label": self.label,
            "id": self.id,
            "name": self.name,
            "arn": self.arn,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class Inventory:
    org: str
    env: str
    region: str
    endpoint: str | None
    resources: tuple[Resource, ...]
    scheduled_for_deletion: tuple[Resource, ...] = ()

    def by_type(self) -> dict[str, tuple[Resource, ...]]:
        groups: dict[str, list[Resource]] = {}
        for r in self.resources:
            groups.setdefault(r.type, []).append(r)
        return {k: tuple(v) for k, v in groups.items()}

    def to_json(self) -> dict[str, Any]:
        counts = {k: len(v) for k, v in self.by_type().items()}
        return {
            "org": self.org,
            "env": self.env,
            "region": self.region,
            "endpoint": self.endpoint,
            "counts": counts,
            "resources": [r.to_json() for r in self.resources],
            "scheduled_for_deletion": [r.to_json() for r in self.scheduled_for_deletion],
        }


def _sort_key(r: Resource) -> tuple[int, str, str, str]:
    return (_ORDER.get(r.type, len(_ORDER)), r.type, r.name, r.id)


def inventory(root: Path, org: Org, env: Environment, reporter: Reporter) -> Inventory:
    """Every resource tagged Organization=<org>, Environment=<env> or for the env's cluster
    by its controllers, plus EKS details."""
    target = aws_target(root, env)
    tags = {"Organization": org.name, "Environment": env.name}
    reporter.step(f"{env.name}: resources tagged Organization={org.name}, Environment={env.name}")
    found: dict[str, Resource] = {}
    with_state: dict[str, list[str]] = {}
    for item in tagged_resources(target, tags):
        kind = f"{item.service}:{item.kind}"
        if kind in ("eks:nodegroup", "eks:addon") or kind in CLOUD_TYPES:
            continue  # listed from describe calls below (node group sizes, current state)
        found[item.arn] = Resource(kind, item.id, item.tags.get("Name", ""), item.arn)
        if item.service == "ec2" and item.kind in FINAL_STATES:
            with_state.setdefault(item.kind, []).append(item.arn)
    for ec2_kind, arns in with_state.items():
        states = ec2_states(target, ec2_kind, [found[a].id for a in arns])
        for arn in arns:
            state = states.get(found[arn].id)
            if state is None or state in FINAL_STATES[ec2_kind]:
                del found[arn]
            else:
                found[arn] = replace(found[arn], details={"state": state})
    scheduled: list[Resource] = []
    for leftover in sweep.find(target, org, env):
        cr = leftover.resource
        details = {k: v for k, v in (("state", cr.state), ("vpc", cr.vpc_id)) if v}
        if leftover.found_by != sweep.UNITS:
            details["found_by"] = leftover.found_by
        entry = Resource(
            cr.type, parse_arn(cr.arn)[2], cr.tags.get("Name", cr.name), cr.arn, details
        )
        if cr.type == KMS_KEY and cr.state == sweep.PENDING_DELETION:
            scheduled.append(entry)
        else:
            found[cr.arn] = entry
    cluster_name = resource_names(org, env)["cluster"]
    cluster = describe_cluster(target, cluster_name)
    if cluster is not None:
        found[cluster.arn] = Resource(
            "eks:cluster",
            cluster.name,
            cluster.name,
            cluster.arn,
            {"status": cluster.status, "version": cluster.version, "endpoint": cluster.endpoint},
        )
        for ng in node_groups(target, cluster.name):
            found[ng.arn or ng.name] = Resource(
                "eks:nodegroup",
                ng.name,
                ng.name,
                ng.arn,
                {
                    "status": ng.status,
                    "instance_types": ",".join(ng.instance_types),
                    "size": f"{ng.min_size}/{ng.desired_size}/{ng.max_size} (min/desired/max)",
                },
            )
        for addon in addons(target, cluster.name):
            found[addon.arn or f"addon/{addon.name}"] = Resource(
                "eks:addon",
                addon.name,
                addon.name,
                addon.arn,
                {"status": addon.status, "version": addon.version},
            )
    # EKS clusters found only by tag (another name) are described too.
    for r in list(found.values()):
        if r.type == "eks:cluster" and r.id != cluster_name:
            other = describe_cluster(target, r.id)
            if other is not None:
                found[r.arn] = Resource(
                    r.type,
                    r.id,
                    r.name or r.id,
                    r.arn,
                    {"status": other.status, "version": other.version, "endpoint": other.endpoint},
                )
    return Inventory(
        org=org.name,
        env=env.name,
        region=env.region,
        endpoint=target.endpoint,
        resources=tuple(sorted(found.values(), key=_sort_key)),
        scheduled_for_deletion=tuple(sorted(scheduled, key=_sort_key)),
    )
