"""What EKS (and EC2 behind it) refuses, checked offline when platform.toml is read.

Without these, only the EKS API catches them — after the VPC stage has been applied: node
labels under reserved prefixes, instance types that do not exist, a GPU group without
GPUs, an AMI built for another CPU architecture, a type named twice, and environments of
two AWS partitions sharing the one account unit of an org.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from platformctl.errors import UsageError, quote
from platformctl.model.awsdata import REGIONS_BY_PARTITION, nearest


class NodeGroup(Protocol):
    """What these rules read of a node group (platformctl.model.config.NodeGroup)."""

    @property
    def role(self) -> str: ...
    @property
    def instance_types(self) -> Sequence[str]: ...
    @property
    def ami_type(self) -> str: ...
    @property
    def labels(self) -> Sequence[tuple[str, str]]: ...


class Environment(Protocol):
    """What these rules read of an environment (platformctl.model.config.Environment)."""

    @property
    def name(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def sandbox(self) -> bool: ...
    @property
    def node_groups(self) -> Sequence[NodeGroup]: ...


# Label prefixes EKS reserves for itself and Kubernetes (CreateNodegroup refuses them).
RESERVED_LABEL_DOMAINS = ("kubernetes.io", "k8s.io", "eks.amazonaws.com")


def reserved_label(key: str) -> bool:
    """Whether the label key's prefix is (a subdomain of) a domain EKS reserves."""
    prefix, slash, _name = key.rpartition("/")
    if not slash:
        return False
    return any(prefix == d or prefix.endswith("." + d) for d in RESERVED_LABEL_DOMAINS)


def ami_architecture(ami_type: str) -> str:
    return "arm64" if "_ARM_64" in ami_type else "x86_64"


def check_environments(envs: Iterable[Environment], extra_types: Iterable[str] = ()) -> None:
    """UsageError (one sentence) for the first thing EKS or EC2 would refuse."""
    envs = tuple(envs)
    extra = frozenset(extra_types)
    for env in envs:
        for group in env.node_groups:
            _check_group(f"environments.{env.name}.node_groups.{group.role}", group, extra)
    _check_partitions(envs)


def _check_group(where: str, group: NodeGroup, extra: frozenset[str]) -> None:
    from platformctl.model.ec2types import instance_types

    for key, _value in group.labels:
        if reserved_label(key):
            raise UsageError(
                f"{where}.labels: {quote(key)} uses a prefix EKS reserves "
                f"({', '.join(RESERVED_LABEL_DOMAINS)} and their subdomains); choose another."
            )
    seen: set[str] = set()
    known = instance_types()
    for name in group.instance_types:
        if name in seen:
            raise UsageError(f"{where}.instance_types names {quote(name)} twice.")
        seen.add(name)
        if name not in known and name not in extra:
            guess = nearest(name, sorted(known))
            raise UsageError(
                f"{where}.instance_types: {quote(name)} is not an EC2 instance type"
                + (f"; did you mean '{guess}'" if guess else "")
                + " (a type newer than platformctl's list goes in extra_instance_types)."
            )
    described = [(n, known[n]) for n in group.instance_types if n in known]
    arch = ami_architecture(group.ami_type)
    for name, (type_arch, _gpus, _neuron) in described:
        if type_arch != arch:
            raise UsageError(
                f"{where}: ami_type {group.ami_type} is built for {arch}, but {name} is an "
                f"{type_arch} instance type; pick an AMI type and instance types of one architecture."
            )
    wants_gpu = group.role == "gpu" or "NVIDIA" in group.ami_type
    no_gpu = [name for name, (_arch, gpus, _neuron) in described if gpus == 0]
    if wants_gpu and no_gpu:
        raise UsageError(
            f"{where}.instance_types: {', '.join(no_gpu)} "
            f"{'has' if len(no_gpu) == 1 else 'have'} no NVIDIA GPU, so GPU pods could never "
            "run there; use GPU instance types such as g5.xlarge or g6.xlarge."
        )


def partition_of(region: str) -> str:
    return next((p for p, regions in REGIONS_BY_PARTITION.items() if region in regions), "aws")


def _check_partitions(envs: tuple[Environment, ...]) -> None:
    real = [e for e in envs if not e.sandbox]
    partitions = {partition_of(e.region): e for e in real}
    if len(partitions) > 1:
        (pa, a), (pb, b) = sorted(partitions.items())[:2]
        raise UsageError(
            f"environments.{a.name} ({a.region}, partition {pa}) and environments.{b.name} "
            f"({b.region}, partition {pb}) would share one account unit, but an AWS account "
            "lives in one partition; keep one partition per platform.toml."
        )
