from __future__ import annotations

import copy
from typing import Any

import pytest

from platformctl.errors import UsageError
from platformctl.model.config import parse_platform, resolve_org
from tests.fixtures.repo import base_platform


def test_shipped_platform_has_dev_and_sandbox() -> None:
    platform = parse_platform(base_platform())
    dev = platform.get("dev")
    assert platform.names == ("dev", "sandbox")
    assert (dev.region, dev.vpc_cidr, dev.azs) == ("us-east-1", "10.0.0.0/16", 3)
    cpu, gpu = dev.node_groups
    assert cpu.instance_types == ("t3.large",)
    assert gpu.instance_types == ("g4dn.xlarge",)
    assert [(t.key, t.effect) for t in gpu.taints] == [("nvidia.com/gpu", "NO_SCHEDULE")]
    sandbox = platform.get("sandbox")
    assert sandbox.sandbox
    assert not (
        sandbox.features.eks_addons
        or sandbox.features.access_entries
        or sandbox.features.pod_identity
    )


def test_subnets_are_disjoint_and_inside_the_vpc() -> None:
    import ipaddress

    dev = parse_platform(base_platform()).get("dev")
    vpc = ipaddress.ip_network(dev.vpc_cidr)
    nets = [ipaddress.ip_network(s) for s in (*dev.private_subnets, *dev.public_subnets)]
    assert len(nets) == 6
    assert all(n.subnet_of(vpc) for n in nets)
    assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
    assert dev.availability_zones == ("us-east-1a", "us-east-1b", "us-east-1c")


@pytest.mark.parametrize(
    ("raw", "name"),
    [("ExampleOrg", "exampleorg"), ("abc", "abc"), ("a-1-b", "a-1-b"), ("x" * 32, "x" * 32)],
)
def test_org_is_lowercased(raw: str, name: str) -> None:
    assert resolve_org(raw).name == name
    assert resolve_org(raw).display == raw


@pytest.mark.parametrize(
    "raw", ["ab", "x" * 33, "-abc", "abc-", "a_b", "a.b", "a/b", "a b", "ab$c", ""]
)
def test_invalid_org_names_the_rule(raw: str) -> None:
    with pytest.raises(UsageError) as err:
        resolve_org(raw)
    assert "org" in err.value.message.lower()


def test_org_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATFORMCTL_ORG", "FromEnv")
    assert resolve_org(None).name == "fromenv"
    monkeypatch.delenv("PLATFORMCTL_ORG")
    with pytest.raises(UsageError, match="--org"):
        resolve_org(None)


def test_unknown_env_lists_known_ones() -> None:
    with pytest.raises(UsageError, match="known environments: dev, sandbox"):
        parse_platform(base_platform()).get("prod")


def _mutated(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(base_platform())
    target: Any = data["environments"][0]
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[key]
    if value is KeyError:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        ("name", "dev/../x", "name"),
        ("name", "dev;rm", "name"),
        ("name", "Dev", "name"),
        ("region", "us-east-1/x", "region"),
        ("region", "$(whoami)", "region"),
        ("vpc_cidr", "10.0.0.0/33", "vpc_cidr"),
        ("vpc_cidr", "10.0.0.1/16", "vpc_cidr"),
        ("vpc_cidr", "8.8.0.0/16", "private"),
        ("vpc_cidr", "10.0.0.0/24", "prefix"),
        ("azs", 7, "availability zones"),
        ("azs", 1, "availability zones"),
        ("azs", True, "whole number"),
        ("kubernetes_version", "latest", "kubernetes_version"),
        ("node_groups.gpu.min_size", 3, "min_size <= desired_size <= max_size"),
        ("node_groups.cpu.desired_size", 9, "min_size <= desired_size <= max_size"),
        ("node_groups.cpu.instance_types", [], "instance_types"),
        ("node_groups.gpu", KeyError, "'gpu'"),
        ("node_groups.gpu.taints", [{"key": "nvidia.com/gpu", "effect": "SOMETIMES"}], "effect"),
        ("features.kiali", "yes", "true or false"),
        ("features.telepathy", True, "unknown key"),
        ("colour", "blue", "unknown key"),
    ],
)
def test_invalid_spec_gives_one_sentence_naming_the_field(
    path: str, value: Any, needle: str
) -> None:
    with pytest.raises(UsageError) as err:
        parse_platform(_mutated(path, value))
    message = err.value.message
    assert needle in message
    assert "\n" not in message
    assert err.value.exit_code == 2


def test_overlapping_cidrs_are_refused() -> None:
    data = base_platform()
    data["environments"][1]["vpc_cidr"] = "10.0.128.0/17"
    with pytest.raises(UsageError, match="overlaps"):
        parse_platform(data)


def test_duplicate_env_names_are_refused() -> None:
    data = base_platform()
    data["environments"][1]["name"] = "dev"
    data["environments"][1]["vpc_cidr"] = "10.9.0.0/16"
    with pytest.raises(UsageError, match="used twice"):
        parse_platform(data)


def test_region_az_limit_is_per_region() -> None:
    data = _mutated("region", "us-west-1")
    with pytest.raises(UsageError, match="us-west-1 has 2 usable"):
        parse_platform(data)
    data["environments"][0]["azs"] = 2
    assert parse_platform(data).get("dev").azs == 2


@pytest.mark.parametrize("repo", ["nope", "a/b/c", "*/x", "owner/*", ""])
def test_github_repository_must_be_owner_slash_name(repo: str) -> None:
    data = base_platform()
    data["github_repository"] = repo
    with pytest.raises(UsageError, match="github_repository"):
        parse_platform(data)
