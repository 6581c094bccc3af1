"""The declarative environment model: platform.toml → validated, frozen dataclasses.

Every rule here produces one sentence naming the field and the rule, as a UsageError,
before anything is rendered or run.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformctl.errors import UsageError, quote
from platformctl.model import components, validate
from platformctl.model.awsdata import (
    AMI_TYPES,
    EKS_VERSIONS,
    LOG_RETENTION_DAYS,
    MAX_PUBLIC_ACCESS_CIDRS,
    NODE_IMAGES,
    REGION_AZS,
    REGIONS_BY_PARTITION,
    nearest,
)
from platformctl.paths import CONFIG_FILE

ORG_ENV_VAR = "PLATFORMCTL_ORG"
_ORG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,30})[a-z0-9]$")
# S3 refuses bucket names with these prefixes, and the data bucket starts with the org.
_RESERVED_ORG_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,18}[a-z0-9])?$")
_INSTANCE_RE = re.compile(r"^[a-z][a-z0-9-]{0,15}\.[a-z0-9]{1,16}$")
TAINT_EFFECTS = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")
# The only address ranges a VPC of this platform may use (RFC 1918).
RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
MAX_NODES = 1000  # per node group; far above any EKS quota, far below an overflow
MAX_INSTANCE_TYPES = 20
MAX_TAINTS = 50  # what EKS allows per managed node group
MAX_LABELS = 100
MAX_CONFIG_BYTES = 1024 * 1024
MAX_ADMIN_PRINCIPALS = 20
NAT_GATEWAYS = ("one", "per-az")
SUPPORT_TYPES = ("STANDARD", "EXTENDED")
# Where the public endpoint may be reached from when platform.toml does not narrow it:
# GitHub-hosted runners have no fixed addresses (IAM and access entries still apply).
OPEN_ENDPOINT = ("0.0.0.0/0",)
_PRINCIPAL_RE = re.compile(
    r"arn:(aws[a-z-]*):iam::[0-9]{12}:(?:role|user)/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}"
)
_ZONE_ID_RE = re.compile(r"Z[A-Z0-9]{1,31}")
_ACCOUNT_ID_RE = re.compile(r"[0-9]{12}")
_ROLE_ARN_RE = re.compile(
    r"arn:(aws[a-z-]*):iam::([0-9]{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}", re.ASCII
)
# What STS accepts for AssumeRole's ExternalId and RoleSessionName.
_EXTERNAL_ID_RE = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)
_SESSION_NAME_RE = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)

FEATURES = (
    "kiali",
    "prometheus",
    "gpu_operator",
    "fsx_lustre",
    "eks_addons",
    "access_entries",
    "pod_identity",
    "efs",
    "cert_manager",
    "cluster_autoscaler",
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
    # A node image of awsdata.NODE_IMAGES (ami_type is then CUSTOM), or "" for EKS's own.
    image: str = ""

    def image_parameter(self, kubernetes_version: str) -> str:
        """The public SSM parameter naming the current AMI of `image`, or "" for none."""
        if not self.image:
            return ""
        return NODE_IMAGES[self.image].format(kubernetes_version=kubernetes_version)

    @property
    def gpus(self) -> int:
        """NVIDIA GPUs of each node: the fewest of the instance types (0 for a type not listed)."""
        from platformctl.model.ec2types import instance_types

        known = instance_types()
        return min(known[t][1] if t in known else 0 for t in self.instance_types)


@dataclass(frozen=True)
class Endpoint:
    """Who may reach the Kubernetes API: the public endpoint's allowed CIDRs, or no public one."""

    public_cidrs: tuple[str, ...] = OPEN_ENDPOINT
    private_only: bool = False


@dataclass(frozen=True)
class Dns:
    """The Route 53 hosted zone External DNS and cert-manager work in."""

    zone_id: str
    domain: str


@dataclass(frozen=True)
class Features:
    kiali: bool = True
    prometheus: bool = True
    gpu_operator: bool = True
    fsx_lustre: bool = False
    eks_addons: bool = True
    access_entries: bool = True
    pod_identity: bool = True
    efs: bool = False
    cert_manager: bool = True
    cluster_autoscaler: bool = True


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
    # IAM roles or users of the people who administer the cluster (access entries).
    admin_principal_arns: tuple[str, ...] = ()
    endpoint: Endpoint = field(default_factory=Endpoint)
    nat_gateways: str = "per-az"
    log_retention_days: int = 90
    dns: Dns | None = None
    # EKS support policy of the cluster version (upgrade_policy); a sandbox ignores it (the
    # AWS emulator has no upgrade policy).
    support_type: str = "STANDARD"
    # The AWS account the environment lives in ("": the account of the caller's
    # credentials), and the role platformctl, terragrunt and OpenTofu assume there ("": act
    # with the caller's own credentials).
    account_id: str = ""
    role_arn: str = ""
    external_id: str = ""
    session_name: str = ""

    def switched_on(self, switch: str) -> bool:
        """Whether what `switch` turns on runs here: "" always, "dns" with a hosted zone,
        else the feature of that name (the vocabulary of model.components)."""
        if not switch:
            return True
        if switch == "dns":
            return self.dns is not None
        return bool(getattr(self.features, switch))

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
class Retries:
    """[retries]: how often terragrunt runs a unit's command after a transient error, and the pause."""

    max_attempts: int = 3  # every attempt, the first included
    sleep_interval_sec: int = 10


@dataclass(frozen=True)
class Platform:
    """Every environment of platform.toml, in file order, and the GitOps repository."""

    environments: tuple[Environment, ...] = field(default_factory=tuple)
    github_repository: str | None = None
    retries: Retries = field(default_factory=Retries)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.environments)

    def get(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        raise UsageError(
            f"Unknown environment {quote(name)}; known environments: {', '.join(self.names)}."
        )

    def select(self, name: str | None) -> tuple[Environment, ...]:
        return self.environments if name is None else (self.get(name),)


def resolve_org(value: str | None) -> Org:
    """The org from --org, else PLATFORMCTL_ORG; validated for S3 bucket and resource names.

    The org is normalised once, here: ASCII only (so no Unicode case folding can turn a
    look-alike into a valid name), lowercased for every name and every rendered file.
    """
    source = "--org" if value is not None else ORG_ENV_VAR
    raw = value if value is not None else os.environ.get(ORG_ENV_VAR)
    if value == "":
        raise UsageError(
            f"--org is empty: give the organisation, or leave --org out to use {ORG_ENV_VAR}."
        )
    if raw is None or raw == "":
        raise UsageError(f"No organisation given: pass --org ORG or set {ORG_ENV_VAR}.")
    name = raw.lower() if raw.isascii() else ""
    if not _ORG_RE.fullmatch(name):
        raise UsageError(
            f"{source} {quote(raw)} is invalid: it must be 3-32 characters of ASCII a-z, 0-9 and "
            "'-', not starting or ending with '-' (it becomes part of S3 bucket and AWS resource "
            "names)."
        )
    if name.startswith(_RESERVED_ORG_PREFIXES):
        raise UsageError(
            f"{source} {quote(raw)} is invalid: S3 bucket names may not start with "
            f"{', '.join(repr(p) for p in _RESERVED_ORG_PREFIXES)}."
        )
    return Org(display=raw, name=name)


def load_platform(root: Path) -> Platform:
    """Read and validate <root>/platform.toml."""
    path = root / CONFIG_FILE
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{path} is not a regular file.")
        if info.st_size > MAX_CONFIG_BYTES:
            raise UsageError(
                f"{path} is {info.st_size} bytes; a platform file is at most {MAX_CONFIG_BYTES}."
            )
        # A UTF-8 byte order mark is what some editors write; anything else must be UTF-8.
        text = path.read_bytes().decode("utf-8-sig")
        data = tomllib.loads(text)
    except FileNotFoundError as exc:
        raise UsageError(f"{path} does not exist.") from exc
    except OSError as exc:
        raise UsageError(f"Cannot read {path}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{path} is not UTF-8 text (byte {exc.start} cannot be decoded); save it as UTF-8."
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}.") from exc
    except RecursionError as exc:
        raise UsageError(
            f"{path} nests arrays or tables too deeply to be a platform file."
        ) from exc
    except ValueError as exc:  # e.g. an integer too long to convert
        raise UsageError(f"{path} is not valid TOML: {exc}.") from exc
    return parse_platform(data)


def parse_platform(data: Mapping[str, Any]) -> Platform:
    """Validate a decoded platform document (the [[environments]] list)."""
    _only_keys(
        "platform.toml",
        data,
        {"environments", "github_repository", "extra_instance_types", "retries"},
    )
    repository = data.get("github_repository")
    if repository is not None and not validate.github_repository(repository):
        raise UsageError(
            f'platform.toml: github_repository {quote(repository)} must be "owner/name" as GitHub '
            "allows them (owner: letters, digits and single hyphens; name: letters, digits, "
            "'.', '_' and '-', not '.' or '..')."
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
    from platformctl.model.eks_rules import check_environments

    check_environments(envs, _extra_instance_types(data.get("extra_instance_types", [])))
    return Platform(envs, repository, _parse_retries(data.get("retries", {})))


def _parse_retries(raw: Any) -> Retries:
    """[retries]: bounded, so a persistent error still fails within minutes."""
    if not isinstance(raw, Mapping):
        raise UsageError(
            "platform.toml: retries must be a table ([retries] with max_attempts and "
            "sleep_interval_sec)."
        )
    _only_keys("retries", raw, {"max_attempts", "sleep_interval_sec"})
    default = Retries()
    return Retries(
        max_attempts=_bounded(
            "retries.max_attempts", raw.get("max_attempts", default.max_attempts), 1, 10
        ),
        sleep_interval_sec=_bounded(
            "retries.sleep_interval_sec",
            raw.get("sleep_interval_sec", default.sleep_interval_sec),
            0,
            300,
        ),
    )


def _extra_instance_types(raw: Any) -> tuple[str, ...]:
    """Instance types AWS launched after platformctl's offline list was taken."""
    if not isinstance(raw, list) or not all(
        isinstance(t, str) and _INSTANCE_RE.fullmatch(t) for t in raw
    ):
        raise UsageError(
            'platform.toml: extra_instance_types must be a list of EC2 instance types such as "p6-b200.48xlarge".'
        )
    return tuple(raw)


def _only_keys(where: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise UsageError(
            f"{where}: unknown key {quote(unknown[0])}; allowed keys are {', '.join(sorted(allowed))}."
        )


def _typed(where: str, value: Any, kind: type, what: str) -> Any:
    # bool is an int in Python; a count written as `true` is a mistake worth naming.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise UsageError(f"{where} must be {what}, got {quote(value)}.")
    return value


def _bounded(where: str, value: Any, low: int, high: int) -> int:
    number: int = _typed(where, value, int, "a whole number")
    if not low <= number <= high:
        raise UsageError(f"{where} must be between {low} and {high}, got {quote(number)}.")
    return number


_CHART_REPOSITORY_RE = re.compile(
    r"(https|oci)://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?"
)


def _parse_environment(index: int, raw: Any) -> Environment:
    if not isinstance(raw, Mapping):
        raise UsageError(f"environments[{index}] must be a table.")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise UsageError(
            f"environments[{index}].name {quote(name)} is invalid: use 1-20 characters of a-z, 0-9 "
            "and '-' (no path separators, spaces or shell metacharacters)."
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
            "admin_principal_arns",
            "endpoint",
            "nat_gateways",
            "log_retention_days",
            "dns",
            "support_type",
            "account_id",
            "role_arn",
            "external_id",
            "session_name",
        },
    )
    region = raw.get("region")
    if not validate.region(region):
        guess = nearest(region, sorted(REGION_AZS)) if isinstance(region, str) else None
        raise UsageError(
            f"{where}.region {quote(region)} is not an AWS region"
            + (f"; did you mean '{guess}'?" if guess else " (such as 'us-east-1').")
        )
    azs = _typed(f"{where}.azs", raw.get("azs", 3), int, "a whole number")
    max_azs = REGION_AZS[region]
    if not 2 <= azs <= max_azs:
        raise UsageError(
            f"{where}.azs is {quote(azs)}, but {region} has {max_azs} usable availability zones "
            "(and EKS needs at least 2)."
        )
    vpc_cidr = _parse_cidr(f"{where}.vpc_cidr", raw.get("vpc_cidr"))
    version = raw.get("kubernetes_version", EKS_VERSIONS[-1])
    if not isinstance(version, str) or version not in EKS_VERSIONS:
        raise UsageError(
            f"{where}.kubernetes_version {quote(version)} is not a Kubernetes version EKS supports; "
            f"use one of {', '.join(repr(v) for v in EKS_VERSIONS)} (a string)."
        )
    components.check_kubernetes_version(where, version, raw)
    sandbox = _typed(f"{where}.sandbox", raw.get("sandbox", False), bool, "true or false")
    chart_repository = _parse_chart_repository(f"{where}.chart_repository", raw, sandbox)
    features = _parse_features(where, raw.get("features", {}))
    account_id, role_arn, external_id, session_name = _parse_account(where, raw, region, sandbox)
    return Environment(
        name=name,
        region=region,
        vpc_cidr=vpc_cidr,
        azs=azs,
        kubernetes_version=version,
        node_groups=_parse_node_groups(where, raw.get("node_groups")),
        features=features,
        sandbox=sandbox,
        chart_repository=chart_repository,
        admin_principal_arns=_parse_admin_principals(
            f"{where}.admin_principal_arns", raw.get("admin_principal_arns", []), region, features
        ),
        endpoint=_parse_endpoint(f"{where}.endpoint", raw.get("endpoint")),
        nat_gateways=_one_of(
            f"{where}.nat_gateways", raw.get("nat_gateways", "per-az"), NAT_GATEWAYS
        ),
        log_retention_days=_parse_log_retention(
            f"{where}.log_retention_days", raw.get("log_retention_days", 90)
        ),
        dns=_parse_dns(f"{where}.dns", raw.get("dns")),
        support_type=_one_of(
            f"{where}.support_type", raw.get("support_type", "STANDARD"), SUPPORT_TYPES
        ),
        account_id=account_id,
        role_arn=role_arn,
        external_id=external_id,
        session_name=session_name,
    )


def _parse_account(
    where: str, raw: Mapping[str, Any], region: str, sandbox: bool
) -> tuple[str, str, str, str]:
    """(account_id, role_arn, external_id, session_name), "" for each one not given."""
    account_id = raw.get("account_id", "")
    if account_id != "" and sandbox:
        raise UsageError(
            f"{where}.account_id cannot be set for a sandbox environment: the sandbox acts in "
            "the local AWS emulator's own account."
        )
    if not isinstance(account_id, str) or (account_id and not _ACCOUNT_ID_RE.fullmatch(account_id)):
        raise UsageError(
            f"{where}.account_id {quote(account_id)} must be an AWS account ID of 12 digits, "
            'written as a string such as "111122223333".'
        )
    role_arn = raw.get("role_arn", "")
    if not isinstance(role_arn, str):
        raise UsageError(
            f"{where}.role_arn {quote(role_arn)} must be an IAM role ARN string such as "
            "'arn:aws:iam::111122223333:role/PlatformDeploy'."
        )
    external_id, session_name = raw.get("external_id", ""), raw.get("session_name", "")
    if role_arn:
        if not account_id:
            raise UsageError(
                f"{where}.role_arn needs {where}.account_id: name the account the role belongs to."
            )
        match = _ROLE_ARN_RE.fullmatch(role_arn)
        if match is None:
            raise UsageError(
                f"{where}.role_arn {quote(role_arn)} is not an IAM role ARN such as "
                f"'arn:aws:iam::{account_id}:role/PlatformDeploy'."
            )
        partition = next(p for p, regions in REGIONS_BY_PARTITION.items() if region in regions)
        if match.group(1) != partition:
            raise UsageError(
                f"{where}.role_arn {quote(role_arn)} belongs to partition {match.group(1)}, but "
                f"{region} is in partition {partition}."
            )
        if match.group(2) != account_id:
            raise UsageError(
                f"{where}.role_arn {quote(role_arn)} is a role of account {match.group(2)}, but "
                f"{where}.account_id is {account_id}."
            )
    for key, value, pattern, rule in (
        (
            "external_id",
            external_id,
            _EXTERNAL_ID_RE,
            "2-1224 characters of A-Z, a-z, 0-9 and +=,.@:/-_",
        ),
        (
            "session_name",
            session_name,
            _SESSION_NAME_RE,
            "2-64 characters of A-Z, a-z, 0-9 and +=,.@-_",
        ),
    ):
        if value == "":
            continue
        if not role_arn:
            raise UsageError(
                f"{where}.{key} needs {where}.role_arn: it is part of assuming the role."
            )
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise UsageError(f"{where}.{key} {quote(value)} must be {rule}.")
    return account_id, role_arn, external_id, session_name


def _one_of(where: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise UsageError(
            f"{where} {quote(value)} must be one of {', '.join(repr(c) for c in choices)}."
        )
    chosen: str = value
    return chosen


def _parse_log_retention(where: str, value: Any) -> int:
    days: int = _typed(where, value, int, "a whole number of days")
    if days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise UsageError(
            f"{where} is {days}, but CloudWatch Logs keeps logs for one of {allowed} days."
        )
    return days


def _parse_admin_principals(
    where: str, raw: Any, region: str, features: Features
) -> tuple[str, ...]:
    if (
        not isinstance(raw, list)
        or len(raw) > MAX_ADMIN_PRINCIPALS
        or not all(isinstance(a, str) for a in raw)
    ):
        raise UsageError(
            f"{where} must be a list of at most {MAX_ADMIN_PRINCIPALS} IAM role or user ARNs "
            'such as "arn:aws:iam::123456789012:role/Admin".'
        )
    partition = next(p for p, regions in REGIONS_BY_PARTITION.items() if region in regions)
    for i, arn in enumerate(raw):
        if ":assumed-role/" in arn:
            raise UsageError(
                f"{where}[{i}] {quote(arn)} is a session of a role; give the role's own ARN, "
                "such as 'arn:aws:iam::123456789012:role/Admin'."
            )
        match = _PRINCIPAL_RE.fullmatch(arn)
        if match is None:
            raise UsageError(
                f"{where}[{i}] {quote(arn)} is not an IAM role or user ARN such as "
                "'arn:aws:iam::123456789012:role/Admin'."
            )
        if match.group(1) != partition:
            raise UsageError(
                f"{where}[{i}] {quote(arn)} belongs to partition {match.group(1)}, but {region} "
                f"is in partition {partition}."
            )
        if arn in raw[:i]:
            raise UsageError(f"{where} lists {quote(arn)} twice.")
    if raw and not features.access_entries:
        raise UsageError(
            f"{where} needs features.access_entries = true: administrators reach the cluster "
            "through EKS access entries."
        )
    return tuple(raw)


def _parse_endpoint(where: str, raw: Any) -> Endpoint:
    if raw is None:
        return Endpoint()
    if not isinstance(raw, Mapping):
        raise UsageError(f"{where} must be a table with public_cidrs and private_only.")
    _only_keys(where, raw, {"public_cidrs", "private_only"})
    private_only = _typed(
        f"{where}.private_only", raw.get("private_only", False), bool, "true or false"
    )
    cidrs = raw.get("public_cidrs", [] if private_only else list(OPEN_ENDPOINT))
    if private_only:
        if cidrs != []:
            raise UsageError(
                f"{where}.public_cidrs cannot be set with private_only = true: a private-only "
                "endpoint has no public addresses to allow."
            )
        return Endpoint(public_cidrs=(), private_only=True)
    if not isinstance(cidrs, list) or not 1 <= len(cidrs) <= MAX_PUBLIC_ACCESS_CIDRS:
        raise UsageError(
            f"{where}.public_cidrs must list 1-{MAX_PUBLIC_ACCESS_CIDRS} IPv4 CIDR blocks allowed "
            "to reach the public endpoint (or set private_only = true)."
        )
    parsed = tuple(_parse_public_cidr(f"{where}.public_cidrs[{i}]", c) for i, c in enumerate(cidrs))
    for i, cidr in enumerate(parsed):
        if cidr in parsed[:i]:
            raise UsageError(f"{where}.public_cidrs lists {cidr} twice.")
    return Endpoint(public_cidrs=parsed, private_only=False)


def _parse_public_cidr(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise UsageError(f'{where} must be a CIDR string such as "203.0.113.0/24".')
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        try:
            loose = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise UsageError(
                f'{where} {quote(value)} is not a network in CIDR notation such as "203.0.113.0/24".'
            ) from exc
        raise UsageError(
            f"{where} {quote(value)} has host bits set; did you mean '{loose}'?"
        ) from exc
    if not isinstance(net, ipaddress.IPv4Network):
        raise UsageError(f"{where} {quote(value)} must be IPv4: the cluster's endpoint is IPv4.")
    internal = (
        any(net.subnet_of(r) for r in RFC1918)
        or net.is_loopback
        or net.is_link_local
        or net.is_multicast
    )
    if internal:
        raise UsageError(
            f"{where} {quote(value)} is not an internet address range; the public endpoint sees "
            "public source addresses (networks routed into the VPC use the private endpoint)."
        )
    return str(net)


def _parse_dns(where: str, raw: Any) -> Dns | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise UsageError(f"{where} must be a table with zone_id and domain.")
    _only_keys(where, raw, {"zone_id", "domain"})
    zone_id, domain = raw.get("zone_id"), raw.get("domain")
    if not isinstance(zone_id, str) or not _ZONE_ID_RE.fullmatch(zone_id):
        raise UsageError(
            f"{where}.zone_id {quote(zone_id)} is not a Route 53 hosted zone ID such as "
            "'Z0123456789ABCDEFGHIJ'."
        )
    if not validate.dns_subdomain(domain) or "." not in domain:
        raise UsageError(
            f"{where}.domain {quote(domain)} is not a lowercase DNS name such as 'dev.example.com' "
            "(no trailing dot)."
        )
    return Dns(zone_id=zone_id, domain=domain)


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
        raise UsageError(
            f"{where} {quote(value)} must be an https:// (or oci://) Helm repository URL without "
            "credentials, such as 'https://artifactory.example.com/helm-virtual'."
        )
    return value.rstrip("/")


def _parse_cidr(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise UsageError(f'{where} must be a CIDR string such as "10.0.0.0/16".')
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        try:
            loose = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise UsageError(
                f'{where} {quote(value)} is not a network in CIDR notation such as "10.0.0.0/16".'
            ) from exc
        raise UsageError(
            f"{where} {quote(value)} has host bits set; did you mean '{loose}'?"
        ) from exc
    if not isinstance(net, ipaddress.IPv4Network) or not any(net.subnet_of(r) for r in RFC1918):
        raise UsageError(
            f"{where} {quote(value)} must be a private IPv4 range inside 10.0.0.0/8, "
            "172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)."
        )
    if not 16 <= net.prefixlen <= 22:
        raise UsageError(
            f"{where} {quote(value)} must have a prefix between /16 and /22 to hold one private "
            "and one public subnet per AZ."
        )
    return str(net)


def _check_overlaps(envs: tuple[Environment, ...]) -> None:
    for i, a in enumerate(envs):
        for b in envs[i + 1 :]:
            # Environments that name different accounts never share a network; one that
            # names none may be in any account.
            if a.account_id and b.account_id and a.account_id != b.account_id:
                continue
            if ipaddress.ip_network(a.vpc_cidr).overlaps(ipaddress.ip_network(b.vpc_cidr)):
                where = f" in account {a.account_id}" if a.account_id == b.account_id != "" else ""
                raise UsageError(
                    f"environments.{b.name}.vpc_cidr {b.vpc_cidr} overlaps environments.{a.name}.vpc_cidr "
                    f"{a.vpc_cidr}{where}; give each environment of one account its own range so "
                    "they can be peered."
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
            "image",
            "disk_size_gb",
        },
    )
    types = raw.get("instance_types")
    if (
        not isinstance(types, list)
        or not 1 <= len(types) <= MAX_INSTANCE_TYPES
        or not all(isinstance(t, str) and _INSTANCE_RE.fullmatch(t) for t in types)
    ):
        raise UsageError(
            f"{where}.instance_types must be a list of 1-{MAX_INSTANCE_TYPES} EC2 instance types "
            'such as "t3.large".'
        )
    low = _bounded(f"{where}.min_size", raw.get("min_size", 1), 0, MAX_NODES)
    want = _bounded(f"{where}.desired_size", raw.get("desired_size", low), 0, MAX_NODES)
    high = _bounded(f"{where}.max_size", raw.get("max_size", max(want, 1)), 1, MAX_NODES)
    if not low <= want <= high:
        raise UsageError(
            f"{where}: sizes must satisfy 0 <= min_size <= desired_size <= max_size and max_size >= 1 "
            f"(got min {low}, desired {want}, max {high})."
        )
    image, ami = _parse_node_image(where, role, raw)
    disk = _bounded(
        f"{where}.disk_size_gb", raw.get("disk_size_gb", 100 if role == "gpu" else 50), 20, 16384
    )
    return NodeGroup(
        role=role,
        instance_types=tuple(types),
        min_size=low,
        desired_size=want,
        max_size=high,
        ami_type=ami,
        image=image,
        disk_size_gb=disk,
        labels=_parse_labels(f"{where}.labels", raw.get("labels", {})),
        taints=_parse_taints(f"{where}.taints", raw.get("taints", [])),
    )


def _parse_node_image(where: str, role: str, raw: Mapping[str, Any]) -> tuple[str, str]:
    """(image, ami_type) of a node group: EKS's AMI type, or one of NODE_IMAGES as CUSTOM.

    GPU groups default to Ubuntu 24.04, the OS NVIDIA supports on EKS for the pinned GPU
    operator (which then installs the driver and toolkit). The EKS NVIDIA AMI types
    (AL2023, Bottlerocket) remain available by name; the sandbox uses one, since its
    emulator holds no Canonical SSM parameters.
    """
    if "image" in raw and "ami_type" in raw:
        raise UsageError(
            f"{where}: give ami_type (an EKS AMI type) or image (one of "
            f"{', '.join(NODE_IMAGES)}), not both."
        )
    if "image" in raw or ("ami_type" not in raw and role == "gpu"):
        image = raw.get("image", "ubuntu-24.04")
        if image not in NODE_IMAGES:
            raise UsageError(
                f"{where}.image {quote(image)} is not a node image modules/eks supports; "
                f"use one of {', '.join(NODE_IMAGES)} (or an ami_type)."
            )
        return image, "CUSTOM"
    ami = raw.get("ami_type", "AL2023_x86_64_STANDARD")
    if ami not in AMI_TYPES:
        raise UsageError(
            f"{where}.ami_type {quote(ami)} is not an EKS AMI type modules/eks supports; "
            f"use one of {', '.join(AMI_TYPES)}."
        )
    return "", ami


def _parse_labels(where: str, raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, Mapping) or len(raw) > MAX_LABELS:
        raise UsageError(f"{where} must be a table of at most {MAX_LABELS} Kubernetes labels.")
    for key, value in raw.items():
        if not validate.qualified_name(key):
            raise UsageError(
                f"{where}: key {quote(key)} is not a Kubernetes label key (an optional DNS "
                "subdomain prefix and '/', then 1-63 characters of A-Z, a-z, 0-9, '-', '_' and '.', "
                "starting and ending alphanumeric)."
            )
        if not validate.label_value(value):
            raise UsageError(
                f"{where}.{key}: {quote(value)} is not a Kubernetes label value (a string of up to "
                "63 characters of A-Z, a-z, 0-9, '-', '_' and '.', starting and ending alphanumeric)."
            )
    return tuple(sorted(raw.items()))


def _parse_taints(where: str, raw: Any) -> tuple[Taint, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_TAINTS:
        raise UsageError(
            f"{where} must be a list of at most {MAX_TAINTS} tables with key, value and effect."
        )
    taints = tuple(_parse_taint(f"{where}[{i}]", t) for i, t in enumerate(raw))
    pairs = [(t.key, t.effect) for t in taints]
    for i, pair in enumerate(pairs):
        if pair in pairs[:i]:
            raise UsageError(
                f"{where}[{i}] repeats key {quote(pair[0])} with effect {pair[1]}; "
                "Kubernetes allows one taint per key and effect."
            )
    return taints


def _parse_taint(where: str, raw: Any) -> Taint:
    if not isinstance(raw, Mapping):
        raise UsageError(f"{where} must be a table with key, value and effect.")
    _only_keys(where, raw, {"key", "value", "effect"})
    key, value, effect = raw.get("key"), raw.get("value", ""), raw.get("effect", "NO_SCHEDULE")
    if not validate.qualified_name(key):
        raise UsageError(
            f"{where}.key {quote(key)} is not a Kubernetes taint key (an optional DNS subdomain "
            "prefix and '/', then 1-63 characters of A-Z, a-z, 0-9, '-', '_' and '.', starting "
            "and ending alphanumeric)."
        )
    if not validate.label_value(value):
        raise UsageError(
            f"{where}.value {quote(value)} is not a valid Kubernetes taint value (up to 63 "
            "characters of A-Z, a-z, 0-9, '-', '_' and '.')."
        )
    if effect not in TAINT_EFFECTS:
        raise UsageError(
            f"{where}.effect {quote(effect)} must be one of {', '.join(TAINT_EFFECTS)}."
        )
    return Taint(key, value, effect)


def _parse_features(where: str, raw: Any) -> Features:
    if not isinstance(raw, Mapping):
        raise UsageError(f"{where}.features must be a table of switches.")
    _only_keys(f"{where}.features", raw, set(FEATURES))
    values = {k: _typed(f"{where}.features.{k}", v, bool, "true or false") for k, v in raw.items()}
    return Features(**values)
