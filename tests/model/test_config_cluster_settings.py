"""platform.toml's cluster settings: administrators, endpoint, NAT gateways, log retention,
DNS, EKS support policy and the cluster-service features, good values and bad ones."""

from __future__ import annotations

from typing import Any

import pytest

from platformctl.errors import UsageError
from platformctl.model.config import Dns, Endpoint, parse_platform
from tests.fixtures.repo import base_platform, platform_with

ADMIN = "arn:aws:iam::123456789012:role/PlatformAdmin"


def _dev(data: dict[str, Any]) -> Any:
    return parse_platform(data).get("dev")


def test_shipped_dev_is_cheap_open_to_its_runners_and_starts_gpus_at_zero() -> None:
    platform = parse_platform(base_platform())
    dev, sandbox = platform.get("dev"), platform.get("sandbox")
    assert dev.nat_gateways == "one"
    assert dev.log_retention_days == 7
    assert dev.endpoint == Endpoint(public_cidrs=("0.0.0.0/0",), private_only=False)
    assert dev.admin_principal_arns == ()
    assert dev.dns is None
    assert dev.support_type == "STANDARD"
    assert (dev.features.efs, dev.features.cert_manager, dev.features.cluster_autoscaler) == (
        False,
        True,
        True,
    )
    for env in (dev, sandbox):
        gpu = next(g for g in env.node_groups if g.role == "gpu")
        assert (gpu.min_size, gpu.desired_size) == (0, 0)
        assert gpu.gpus == 1  # g4dn.xlarge: one T4
    # The sandbox keeps the defaults (the e2e tier counts one NAT gateway per AZ there).
    assert (sandbox.nat_gateways, sandbox.log_retention_days) == ("per-az", 90)


def test_defaults_when_the_settings_are_left_out() -> None:
    data = base_platform()
    for key in ("admin_principal_arns", "endpoint", "nat_gateways", "log_retention_days"):
        data["environments"][0].pop(key, None)
    data["environments"][0].pop("support_type", None)
    for key in ("efs", "cert_manager", "cluster_autoscaler"):
        data["environments"][0]["features"].pop(key)
    dev = _dev(data)
    assert dev.nat_gateways == "per-az"
    assert dev.log_retention_days == 90
    assert dev.endpoint == Endpoint()
    assert dev.support_type == "STANDARD"
    assert (dev.features.efs, dev.features.cert_manager, dev.features.cluster_autoscaler) == (
        False,
        True,
        True,
    )


@pytest.mark.parametrize(
    ("path", "value", "check"),
    [
        ("admin_principal_arns", [ADMIN], lambda e: e.admin_principal_arns == (ADMIN,)),
        (
            "admin_principal_arns",
            [
                "arn:aws:iam::123456789012:user/alice",
                "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef",
            ],
            lambda e: len(e.admin_principal_arns) == 2,
        ),
        ("nat_gateways", "per-az", lambda e: e.nat_gateways == "per-az"),
        ("log_retention_days", 3653, lambda e: e.log_retention_days == 3653),
        ("log_retention_days", 1, lambda e: e.log_retention_days == 1),
        ("support_type", "EXTENDED", lambda e: e.support_type == "EXTENDED"),
        (
            "endpoint",
            {"public_cidrs": ["203.0.113.0/24", "198.51.100.7/32"]},
            lambda e: e.endpoint.public_cidrs == ("203.0.113.0/24", "198.51.100.7/32"),
        ),
        ("endpoint", {"private_only": True}, lambda e: e.endpoint == Endpoint((), True)),
        (
            "endpoint",
            {"private_only": True, "public_cidrs": []},
            lambda e: e.endpoint.private_only,
        ),
        (
            "dns",
            {"zone_id": "Z0123456789ABCDEFGHIJ", "domain": "dev.example.com"},
            lambda e: e.dns == Dns("Z0123456789ABCDEFGHIJ", "dev.example.com"),
        ),
        ("features.efs", True, lambda e: e.features.efs),
        ("features.cluster_autoscaler", False, lambda e: not e.features.cluster_autoscaler),
    ],
)
def test_good_values_are_kept(path: str, value: Any, check: Any) -> None:
    assert check(_dev(platform_with(path, value)))


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        ("admin_principal_arns", "arn:aws:iam::123456789012:role/Admin", "admin_principal_arns"),
        ("admin_principal_arns", ["Admin"], "admin_principal_arns[0]"),
        ("admin_principal_arns", ["arn:aws:iam::12345:role/Admin"], "not an IAM role or user"),
        ("admin_principal_arns", ["arn:aws:iam::123456789012:group/Admins"], "role or user"),
        (
            "admin_principal_arns",
            ["arn:aws:sts::123456789012:assumed-role/Admin/alice"],
            "session of a role",
        ),
        ("admin_principal_arns", ["arn:aws-cn:iam::123456789012:role/Admin"], "partition"),
        ("admin_principal_arns", [ADMIN, ADMIN], "twice"),
        ("admin_principal_arns", [ADMIN] * 21, "at most 20"),
        ("nat_gateways", "two", "nat_gateways"),
        ("nat_gateways", "per_az", "'per-az'"),
        ("log_retention_days", 10, "log_retention_days"),
        ("log_retention_days", 0, "CloudWatch Logs"),
        ("log_retention_days", "7", "whole number"),
        ("log_retention_days", True, "whole number"),
        ("support_type", "standard", "support_type"),
        ("endpoint", "0.0.0.0/0", "endpoint must be a table"),
        ("endpoint", {"public_cidrs": []}, "public_cidrs must list 1-40"),
        ("endpoint", {"public_cidrs": ["10.0.0.0/8"]}, "not an internet address range"),
        ("endpoint", {"public_cidrs": ["203.0.113.7/24"]}, "did you mean '203.0.113.0/24'"),
        ("endpoint", {"public_cidrs": ["2001:db8::/32"]}, "IPv4"),
        ("endpoint", {"public_cidrs": ["everyone"]}, "CIDR notation"),
        ("endpoint", {"public_cidrs": [f"203.0.{i}.0/24" for i in range(41)]}, "1-40"),
        ("endpoint", {"public_cidrs": ["203.0.113.0/24"] * 2}, "twice"),
        ("endpoint", {"private_only": "yes"}, "true or false"),
        (
            "endpoint",
            {"private_only": True, "public_cidrs": ["203.0.113.0/24"]},
            "cannot be set with private_only",
        ),
        ("endpoint", {"public": True}, "unknown key"),
        ("dns", {"zone_id": "Z0123456789ABCDEFGHIJ"}, "dns.domain"),
        ("dns", {"zone_id": "z123", "domain": "dev.example.com"}, "hosted zone ID"),
        ("dns", {"zone_id": "Z0123456789ABCDEFGHIJ", "domain": "dev.example.com."}, "trailing"),
        ("dns", {"zone_id": "Z0123456789ABCDEFGHIJ", "domain": "Dev.Example.com"}, "lowercase"),
        ("dns", {"zone_id": "Z0123456789ABCDEFGHIJ", "domain": "localhost"}, "dns.domain"),
        ("dns", "Z0123456789ABCDEFGHIJ", "table with zone_id and domain"),
        ("features.efs", "no", "true or false"),
        ("features.cluster_autoscaler", 1, "true or false"),
    ],
)
def test_bad_values_are_one_sentence_naming_the_field(path: str, value: Any, needle: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_platform(platform_with(path, value))
    message = err.value.message
    assert needle in message
    assert message.startswith(f"environments.dev.{path.split('.', maxsplit=1)[0]}")
    assert "\n" not in message and message.count(". ") == 0
    assert err.value.exit_code == 2


def test_admins_need_access_entries() -> None:
    data = platform_with("admin_principal_arns", [ADMIN])
    data["environments"][0]["features"]["access_entries"] = False
    with pytest.raises(UsageError, match=r"admin_principal_arns needs features.access_entries"):
        parse_platform(data)


def test_admin_partition_follows_the_region() -> None:
    data = platform_with("admin_principal_arns", ["arn:aws-us-gov:iam::123456789012:role/Admin"])
    data["environments"][0]["region"] = "us-gov-west-1"
    data["environments"][0]["azs"] = 3
    assert _dev(data).admin_principal_arns == ("arn:aws-us-gov:iam::123456789012:role/Admin",)
