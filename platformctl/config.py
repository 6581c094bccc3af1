"""The declarative environment model: platform.toml → validated, frozen dataclasses.

Every rule here produces one sentence naming the field and the rule, as a UsageError,
before anything is rendered or run.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformctl.errors import UsageError
from platformctl.paths import CONFIG_FILE

ORG_ENV_VAR = "PLATFORMCTL_ORG"
_ORG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,30})[a-z0-9]$")
_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,18}[a-z0-9])?$")
_REGION_RE = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]$")
_GITHUB_REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_K8S_VERSION_RE = re.compile(r"^1\.[0-9]{2}$")
_LABEL_KEY_RE = re.compile(r"^([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
_LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")
_INSTANCE_RE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
TAINT_EFFECTS = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")

# Usable availability zones per region (what a new account can place subnets in).
REGION_AZS: Mapping[str, int] = {
    "us-east-1": 6,
    "us-east-2": 3,
    "us-west-1": 2,
    "us-west-2": 4,
    "ca-central-1": 3,
    "ca-west-1": 3,
    "sa-east-1": 3,
    "mx-central-1": 3,
    "eu-west-1": 3,
    "eu-west-2": 3,
    "eu-west-3": 3,
    "eu-central-1": 3,
    "eu-central-2": 3,
    "eu-north-1": 3,
    "eu-south-1": 3,
    "eu-south-2": 3,
    "ap-northeast-1": 3,
    "ap-northeast-2": 4,
    "ap-northeast-3": 3,
    "ap-southeast-1": 3,
    "ap-southeast-2": 3,
    "ap-southeast-3": 3,
    "ap-southeast-4": 3,
    "ap-southeast-5": 3,
    "ap-southeast-7": 3,
    "ap-south-1": 3,
    "ap-south-2": 3,
    "ap-east-1": 3,
    "me-south-1": 3,
    "me-central-1": 3,
    "il-central-1": 3,
    "af-south-1": 3,
    "us-gov-west-1": 3,
    "us-gov-east-1": 3,
}
FEATURES = (
    "kiali",
    "prometheus",
    "gpu_operator",
    "fsx_lustre",
    "eks_addons",
    "access_entries",
    "pod_identity",
)
NODE_GROUP_ROLES = ("cpu", "gpu")


@dataclass(frozen=True)
class Org:
    """The organisation: as typed (for display) and lowercased (for resource names)."""

    display: str
    name: str


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str


@dataclass(frozen=True)
class NodeGroup:
    role: str
    instance_types: tuple[str, ...]
    min_size: int
    desired_size: int
    max_size: int
    ami_type: str
    disk_size_gb: int
    labels: tuple[tuple[str, str], ...] = ()
    taints: tuple[Taint, ...] = ()


@dataclass(frozen=True)
class Features:
    kiali: bool = True
    prometheus: bool = True
    gpu_operator: bool = True
    fsx_lustre: bool = False
    eks_addons: bool = True
    access_entries: bool = True
    pod_identity: bool = True


@dataclass(frozen=True)
class Environment:
    name: str
    region: str
    vpc_cidr: str
    azs: int
    kubernetes_version: str
    node_groups: tuple[NodeGroup, ...]
    features: Features
    sandbox: bool = False
    # One Helm repository that serves every chart (an internal mirror such as Artifactory,
    # Harbor or ChartMuseum); empty means each chart's public repository. The sandbox
    # always uses its own chart repository.
    chart_repository: str = ""

    @property
    def availability_zones(self) -> tuple[str, ...]:
        return tuple(f"{self.region}{chr(ord('a') + i)}" for i in range(self.azs))

    @property
    def private_subnets(self) -> tuple[str, ...]:
        """One large private subnet per AZ: the first AZ-count eighths of the VPC."""
        net = ipaddress.IPv4Network(self.vpc_cidr)
        eighths = list(net.subnets(new_prefix=net.prefixlen + 3))
        return tuple(str(eighths[i]) for i in range(self.azs))

    @property
    def public_subnets(self) -> tuple[str, ...]:
        """Small public subnets (load balancers, NAT gateways) carved from the last eighth."""
        net = ipaddress.IPv4Network(self.vpc_cidr)
        last = list(net.subnets(new_prefix=net.prefixlen + 3))[-1]
        return tuple(str(s) for s in list(last.subnets(new_prefix=net.prefixlen + 6))[: self.azs])


@dataclass(frozen=True)
class Platform:
    """Every environment of platform.toml, in file order, and the GitOps repository."""

    environments: tuple[Environment, ...] = field(default_factory=tuple)
    github_repository: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.environments)

    def get(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        raise UsageError(
            f"Unknown environment '{name}'; known environments: {', '.join(self.names)}."
        )

    def select(self, name: str | None) -> tuple[Environment, ...]:
        return self.environments if name is None else (self.get(name),)


def resolve_org(value: str | None) -> Org:
    """The org from --org, else PLATFORMCTL_ORG; validated for S3 bucket and resource names."""
    raw = value if value is not None else os.environ.get(ORG_ENV_VAR)
    if raw is None or raw == "":
        raise UsageError(f"No organisation given: pass --org ORG or set {ORG_ENV_VAR}.")
    name = raw.lower()
    if not _ORG_RE.fullmatch(name):
        raise UsageError(
            f"--org '{raw}' is invalid: it must be 3-32 characters of a-z, 0-9 and '-', "
            "not starting or ending with '-' (it becomes part of S3 bucket and AWS resource names)."
        )
    return Org(display=raw, name=name)


def load_platform(root: Path) -> Platform:
    """Read and validate <root>/platform.toml."""
    path = root / CONFIG_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(f"{path} does not exist.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}.") from exc
    return parse_platform(data)


def parse_platform(data: Mapping[str, Any]) -> Platform:
    """Validate a decoded platform document (the [[environments]] list)."""
    _only_keys("platform.toml", data, {"environments", "github_repository"})
    repository = data.get("github_repository")
    if repository is not None and (
        not isinstance(repository, str) or not _GITHUB_REPO_RE.fullmatch(repository)
    ):
        raise UsageError(
            f'platform.toml: github_repository {repository!r} must look like "owner/name" '
            "exactly as GitHub spells it (no wildcards)."
        )
    raw_envs = data.get("environments")
    if not isinstance(raw_envs, list) or not raw_envs:
        raise UsageError(
            "platform.toml: 'environments' must be a non-empty list of [[environments]] tables."
        )
    envs = tuple(_parse_environment(i, raw) for i, raw in enumerate(raw_envs))
    seen: dict[str, int] = {}
    for env in envs:
        if env.name in seen:
            raise UsageError(
                f"environments.{env.name}: the name is used twice; environment names must be unique."
            )
        seen[env.name] = 1
    _check_overlaps(envs)
    return Platform(envs, repository)


def _only_keys(where: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise UsageError(
            f"{where}: unknown key '{unknown[0]}'; allowed keys are {', '.join(sorted(allowed))}."
        )


def _typed(where: str, value: Any, kind: type, what: str) -> Any:
    # bool is an int in Python; a count written as `true` is a mistake worth naming.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise UsageError(f"{where} must be {what}, got {value!r}.")
    return value


_CHART_REPOSITORY_RE = re.compile(
    r"(https|oci)://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?"
)


def _parse_environment(index: int, raw: Any) -> Environment:
    if not isinstance(raw, Mapping):
        raise UsageError(f"environments[{index}] must be a table.")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise UsageError(
            f"environments[{index}].name {name!r} is invalid: use 1-20 characters of a-z, 0-9 and '-' "
            "(no path separators, spaces or shell metacharacters)."
        )
    where = f"environments.{name}"
    _only_keys(
        where,
        raw,
        {
            "name",
            "region",
            "vpc_cidr",
            "azs",
            "kubernetes_version",
            "node_groups",
            "features",
            "sandbox",
            "chart_repository",
        },
    )
    region = raw.get("region")
    if not isinstance(region, str) or not _REGION_RE.fullmatch(region):
        raise UsageError(
            f"{where}.region {region!r} is not an AWS region name such as 'us-east-1'."
        )
    azs = _typed(f"{where}.azs", raw.get("azs", 3), int, "a whole number")
    max_azs = REGION_AZS.get(region, 3)
    if not 2 <= azs <= max_azs:
        raise UsageError(
            f"{where}.azs is {azs}, but {region} has {max_azs} usable availability zones (and EKS needs at least 2)."
        )
    vpc_cidr = _parse_cidr(f"{where}.vpc_cidr", raw.get("vpc_cidr"))
    version = raw.get("kubernetes_version", "1.35")
    if not isinstance(version, str) or not _K8S_VERSION_RE.fullmatch(version):
        raise UsageError(
            f'{where}.kubernetes_version {version!r} must be a minor version string such as "1.35".'
        )
    sandbox = _typed(f"{where}.sandbox", raw.get("sandbox", False), bool, "true or false")
    chart_repository = _parse_chart_repository(f"{where}.chart_repository", raw, sandbox)
    return Environment(
        name=name,
        region=region,
        vpc_cidr=vpc_cidr,
        azs=azs,
        kubernetes_version=version,
        node_groups=_parse_node_groups(where, raw.get("node_groups")),
        features=_parse_features(where, raw.get("features", {})),
        sandbox=sandbox,
        chart_repository=chart_repository,
    )


def _parse_chart_repository(where: str, raw: Mapping[str, Any], sandbox: bool) -> str:
    value = raw.get("chart_repository", "")
    if value == "":
        return ""
    if sandbox:
        raise UsageError(
            f"{where} cannot be set for a sandbox environment: the sandbox serves its own "
            "chart repository (`platformctl sandbox up`)."
        )
    if not isinstance(value, str) or not _CHART_REPOSITORY_RE.fullmatch(value) or len(value) > 200:
        shown = repr(value)[:80]
        raise UsageError(
            f"{where} {shown} must be an https:// (or oci://) Helm repository URL without "
            "credentials, such as 'https://artifactory.example.com/helm-virtual'."
        )
    return value.rstrip("/")


def _parse_cidr(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise UsageError(f'{where} must be a CIDR string such as "10.0.0.0/16".')
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise UsageError(f"{where} '{value}' is not a valid network: {exc}.") from exc
    if net.version != 4 or not net.is_private:
        raise UsageError(
            f"{where} '{value}' must be a private IPv4 range (10/8, 172.16/12 or 192.168/16)."
        )
    if not 16 <= net.prefixlen <= 22:
        raise UsageError(
            f"{where} '{value}' must have a prefix between /16 and /22 to hold one private and one public subnet per AZ."
        )
    return str(net)


def _check_overlaps(envs: tuple[Environment, ...]) -> None:
    for i, a in enumerate(envs):
        for b in envs[i + 1 :]:
            if ipaddress.ip_network(a.vpc_cidr).overlaps(ipaddress.ip_network(b.vpc_cidr)):
                raise UsageError(
                    f"environments.{b.name}.vpc_cidr {b.vpc_cidr} overlaps environments.{a.name}.vpc_cidr "
                    f"{a.vpc_cidr}; give each environment its own range so they can be peered."
                )


def _parse_node_groups(where: str, raw: Any) -> tuple[NodeGroup, ...]:
    if not isinstance(raw, Mapping):
        raise UsageError(f"{where}.node_groups must be a table with a 'cpu' and a 'gpu' group.")
    _only_keys(f"{where}.node_groups", raw, set(NODE_GROUP_ROLES))
    missing = [r for r in NODE_GROUP_ROLES if r not in raw]
    if missing:
        raise UsageError(f"{where}.node_groups is missing the '{missing[0]}' group.")
    return tuple(
        _parse_node_group(f"{where}.node_groups.{role}", role, raw[role])
        for role in NODE_GROUP_ROLES
    )


def _parse_node_group(where: str, role: str, raw: Any) -> NodeGroup:
    if not isinstance(raw, Mapping):
        raise UsageError(f"{where} must be a table.")
    _only_keys(
        where,
        raw,
        {
            "instance_types",
            "min_size",
            "desired_size",
            "max_size",
            "labels",
            "taints",
            "ami_type",
            "disk_size_gb",
        },
    )
    types = raw.get("instance_types")
    if (
        not isinstance(types, list)
        or not types
        or not all(isinstance(t, str) and _INSTANCE_RE.fullmatch(t) for t in types)
    ):
        raise UsageError(
            f'{where}.instance_types must be a non-empty list of EC2 instance types such as "t3.large".'
        )
    low = _typed(f"{where}.min_size", raw.get("min_size", 1), int, "a whole number")
    want = _typed(f"{where}.desired_size", raw.get("desired_size", low), int, "a whole number")
    high = _typed(f"{where}.max_size", raw.get("max_size", max(want, 1)), int, "a whole number")
    if not (0 <= low <= want <= high) or high < 1:
        raise UsageError(
            f"{where}: sizes must satisfy 0 <= min_size <= desired_size <= max_size and max_size >= 1 "
            f"(got min {low}, desired {want}, max {high})."
        )
    # GPU nodes default to Bottlerocket's NVIDIA variant (driver, container toolkit and
    # device plugin built in): the one NVIDIA AMI type for Kubernetes 1.35 that every AWS
    # provider the modules admit knows (AL2023_x86_64_NVIDIA arrived after 5.46).
    default_ami = "BOTTLEROCKET_x86_64_NVIDIA" if role == "gpu" else "AL2023_x86_64_STANDARD"
    ami = raw.get("ami_type", default_ami)
    if not isinstance(ami, str) or not ami.startswith(("AL2023_", "BOTTLEROCKET_")):
        raise UsageError(
            f"{where}.ami_type {ami!r} must be an AL2023 or Bottlerocket EKS AMI type."
        )
    disk = _typed(
        f"{where}.disk_size_gb",
        raw.get("disk_size_gb", 100 if role == "gpu" else 50),
        int,
        "a whole number",
    )
    if not 20 <= disk <= 16384:
        raise UsageError(f"{where}.disk_size_gb must be between 20 and 16384, got {disk}.")
    labels = raw.get("labels", {})
    if not isinstance(labels, Mapping) or not all(
        isinstance(k, str)
        and _LABEL_KEY_RE.fullmatch(k)
        and isinstance(v, str)
        and _LABEL_VALUE_RE.fullmatch(v)
        for k, v in labels.items()
    ):
        raise UsageError(
            f"{where}.labels must map Kubernetes label keys to label values "
            "(up to 63 characters of A-Z, a-z, 0-9, '-', '_' and '.', starting and ending alphanumeric)."
        )
    return NodeGroup(
        role=role,
        instance_types=tuple(types),
        min_size=low,
        desired_size=want,
        max_size=high,
        ami_type=ami,
        disk_size_gb=disk,
        labels=tuple(sorted(labels.items())),
        taints=tuple(
            _parse_taint(f"{where}.taints[{i}]", t) for i, t in enumerate(raw.get("taints", []))
        ),
    )


def _parse_taint(where: str, raw: Any) -> Taint:
    if not isinstance(raw, Mapping):
        raise UsageError(f"{where} must be a table with key, value and effect.")
    _only_keys(where, raw, {"key", "value", "effect"})
    key, value, effect = raw.get("key"), raw.get("value", ""), raw.get("effect", "NO_SCHEDULE")
    if not isinstance(key, str) or not _LABEL_KEY_RE.fullmatch(key):
        raise UsageError(f"{where}.key {key!r} is not a valid Kubernetes taint key.")
    if not isinstance(value, str) or not _LABEL_VALUE_RE.fullmatch(value):
        raise UsageError(
            f"{where}.value {value!r} is not a valid Kubernetes taint value (up to 63 characters of A-Z, a-z, 0-9, '-', '_' and '.')."
        )
    if effect not in TAINT_EFFECTS:
        raise UsageError(f"{where}.effect {effect!r} must be one of {', '.join(TAINT_EFFECTS)}.")
    return Taint(key, value, effect)


def _parse_features(where: str, raw: Any) -> Features:
    if not isinstance(raw, Mapping):
        raise UsageError(f"{where}.features must be a table of switches.")
    _only_keys(f"{where}.features", raw, set(FEATURES))
    values = {k: _typed(f"{where}.features.{k}", v, bool, "true or false") for k, v in raw.items()}
    return Features(**values)
