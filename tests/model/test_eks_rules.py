"""What EKS would refuse only after the VPC stage has been applied is refused when
platform.toml is read: one sentence, exit 2, nothing rendered."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from platformctl.errors import UsageError
from platformctl.model.config import parse_platform
from platformctl.model.eks_rules import reserved_label
from tests.fixtures.repo import base_platform, platform_with


def _refused(data: dict[str, Any]) -> str:
    with pytest.raises(UsageError) as err:
        parse_platform(data)
    message = err.value.message
    assert "\n" not in message and message.endswith("."), message
    return message


@pytest.mark.parametrize(
    "key",
    [
        "kubernetes.io/role",
        "node-role.kubernetes.io/worker",
        "node.kubernetes.io/instance-type",
        "k8s.io/x",
        "eks.amazonaws.com/nodegroup",
    ],
)
def test_labels_under_reserved_prefixes_are_refused(key: str) -> None:
    message = _refused(platform_with("node_groups.cpu.labels", {key: "x"}))
    assert f"'{key}' uses a prefix EKS reserves" in message


def test_labels_outside_the_reserved_domains_are_accepted() -> None:
    assert not reserved_label("platformctl.io/pool")
    assert not reserved_label("mykubernetes.io/x")  # not a subdomain of kubernetes.io
    assert not reserved_label("pool")
    parse_platform(platform_with("node_groups.cpu.labels", {"example.com/team": "ml"}))


def test_an_instance_type_that_does_not_exist_is_refused_with_a_guess() -> None:
    message = _refused(platform_with("node_groups.cpu.instance_types", ["t3.lareg"]))
    assert "'t3.lareg' is not an EC2 instance type; did you mean 't3.large'" in message


def test_a_new_instance_type_can_be_allowed() -> None:
    data = platform_with("node_groups.gpu.instance_types", ["p9.96xlarge"])
    _refused(data)
    data["extra_instance_types"] = ["p9.96xlarge"]
    parse_platform(data)


def test_a_gpu_group_without_gpus_is_refused() -> None:
    message = _refused(platform_with("node_groups.gpu.instance_types", ["g4dn.xlarge", "m5.large"]))
    assert "m5.large has no NVIDIA GPU" in message


def test_an_arm_ami_on_x86_types_and_the_reverse_are_refused() -> None:
    data = platform_with("node_groups.cpu.ami_type", "AL2023_ARM_64_STANDARD")
    assert "built for arm64, but t3.large is an x86_64 instance type" in _refused(data)
    data = platform_with("node_groups.cpu.instance_types", ["m7g.large"])
    assert "built for x86_64, but m7g.large is an arm64 instance type" in _refused(data)
    arm = platform_with("node_groups.cpu.instance_types", ["m7g.large"])
    arm["environments"][0]["node_groups"]["cpu"]["ami_type"] = "AL2023_ARM_64_STANDARD"
    parse_platform(arm)


def test_a_duplicate_instance_type_is_refused() -> None:
    message = _refused(platform_with("node_groups.cpu.instance_types", ["t3.large", "t3.large"]))
    assert "names 't3.large' twice" in message


def test_two_partitions_cannot_share_the_account_unit() -> None:
    data = copy.deepcopy(base_platform())
    second = copy.deepcopy(data["environments"][0])
    second.update(name="china", region="cn-north-1", vpc_cidr="10.50.0.0/16", azs=2)
    second.pop("sandbox", None)
    data["environments"] = [e for e in data["environments"] if not e.get("sandbox")] + [second]
    message = _refused(data)
    assert "partition aws-cn" in message and "would share one account unit" in message
