"""Values that used to be accepted and rendered: each is refused with one sentence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from platformctl.errors import UsageError
from platformctl.model import validate
from platformctl.model.awsdata import AMI_TYPES, REGION_AZS, REGIONS_BY_PARTITION
from platformctl.model.config import parse_platform, resolve_org
from tests.fixtures.repo import base_platform, platform_with


def _refused(data: dict[str, Any]) -> str:
    with pytest.raises(UsageError) as err:
        parse_platform(data)
    message = err.value.message
    assert "\n" not in message and len(message) < 400, message
    return message


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        ("region", "us-esat-1", "did you mean 'us-east-1'?"),
        ("region", "xx-nowhere-9", "is not an AWS region"),
        ("kubernetes_version", "1.99", "is not a Kubernetes version EKS supports"),
        ("kubernetes_version", "1.20", "EKS supports"),
        ("vpc_cidr", "127.0.0.0/16", "RFC 1918"),
        ("vpc_cidr", "169.254.0.0/16", "RFC 1918"),
        ("vpc_cidr", "0.0.0.0/16", "RFC 1918"),
        ("vpc_cidr", "100.64.0.0/16", "RFC 1918"),
        ("vpc_cidr", "fd00::/16", "RFC 1918"),
        ("node_groups.cpu.max_size", 99999999999999999, "max_size must be between 1 and 1000"),
        ("node_groups.cpu.min_size", -1, "min_size must be between 0 and 1000"),
        ("node_groups.cpu.ami_type", "AL2023_", "is not an EKS AMI type"),
        ("node_groups.cpu.ami_type", "BOTTLEROCKET_", "is not an EKS AMI type"),
        ("node_groups.cpu.labels", {"../x": "a"}, "is not a Kubernetes label key"),
        ("node_groups.cpu.labels", {"a..b/x": "a"}, "is not a Kubernetes label key"),
        ("node_groups.cpu.labels", {"x/": "a"}, "is not a Kubernetes label key"),
        ("node_groups.cpu.labels", {"a": "-x"}, "is not a Kubernetes label value"),
        ("node_groups.gpu.taints", [{"key": "-/gpu"}], "is not a Kubernetes taint key"),
        ("node_groups.gpu.taints", [{"key": "x" * 64}], "is not a Kubernetes taint key"),
        ("node_groups.gpu.taints", 5, "taints must be a list"),
        ("node_groups.gpu.taints", [{"key": "a"}, {"key": "a"}], "one taint per key and effect"),
        ("node_groups.cpu.labels", 5, "labels must be a table"),
        ("node_groups.cpu.instance_types", ["t3.large"] * 21, "instance_types"),
        ("node_groups.cpu.disk_size_gb", 10**30, "disk_size_gb must be between 20 and 16384"),
    ],
)
def test_values_outside_the_rules_are_refused(path: str, value: Any, needle: str) -> None:
    assert needle in _refused(platform_with(path, value))


@pytest.mark.parametrize(
    "repository",
    [
        "ExampleOrg/..",
        "ExampleOrg/.",
        "-org/x",
        "org-/x",
        "o--rg/x",
        "a" * 40 + "/x",
        "o/" + "x" * 101,
    ],
)
def test_github_repository_follows_githubs_rules(repository: str) -> None:
    data = base_platform()
    data["github_repository"] = repository
    assert "github_repository" in _refused(data)


@pytest.mark.parametrize("repository", ["ExampleOrg/platform", "a/b", "a-b/c.d_e-f", "x/.github"])
def test_github_repository_accepts_real_names(repository: str) -> None:
    data = base_platform()
    data["github_repository"] = repository
    assert parse_platform(data).github_repository == repository


def test_every_region_of_every_partition_is_accepted() -> None:
    for region in REGION_AZS:
        data = platform_with("region", region)
        data["environments"][0]["azs"] = 2
        assert parse_platform(data).get("dev").region == region


def test_regions_are_those_of_the_installed_botocore() -> None:
    import botocore

    partitions = json.loads(
        (Path(botocore.__file__).parent / "data" / "partitions.json").read_text()
    )
    known = {
        region
        for partition in partitions["partitions"]
        for region in partition["regions"]
        if not region.endswith("-global")
    }
    ours = {r for regions in REGIONS_BY_PARTITION.values() for r in regions}
    assert ours <= known, sorted(ours - known)


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("nvidia.com/gpu", True),
        ("platformctl.io/pool", True),
        ("gpu", True),
        ("a.b-c.d/Name_1.x", True),
        ("../x", False),
        ("-/gpu", False),
        ("a/b/c", False),
        ("A.com/x", False),
        ("x" * 63, True),
        ("x" * 64, False),
        ("/x", False),
        ("", False),
    ],
)
def test_qualified_name_rules(key: str, ok: bool) -> None:
    assert validate.qualified_name(key) is ok


@pytest.mark.parametrize(
    ("image", "ok"),
    [
        ("docker.io/pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime", True),
        ("localhost:5000/train:1", True),
        ("ghcr.io/org/img@sha256:" + "a" * 64, True),
        ("busybox", True),
        ("Busybox", False),
        ("img:tag with space", False),
        ("img\n", False),
        ("", False),
        ("a" * 256, False),
        ("-" * 200 + "!", False),
    ],
)
def test_image_reference_rules(image: str, ok: bool) -> None:
    assert validate.image_reference(image) is ok


def test_org_spellings_normalise_to_one_name() -> None:
    assert resolve_org("EXAMPLEORG").name == resolve_org("ExampleOrg").name == "exampleorg"


@pytest.mark.parametrize("raw", ["\u212aorg", "exampl\u0435org", "ｅｘａｍｐｌｅ", "stra\u00dfe"])
def test_non_ascii_org_is_refused_even_when_it_lowercases_to_ascii(raw: str) -> None:
    with pytest.raises(UsageError, match="ASCII"):
        resolve_org(raw)


@pytest.mark.parametrize("raw", ["xn--abc", "sthree-abc", "amzn-s3-demo-x"])
def test_org_may_not_start_with_a_prefix_s3_reserves(raw: str) -> None:
    with pytest.raises(UsageError, match="S3 bucket names may not start"):
        resolve_org(raw)


def test_ami_types_are_exactly_those_modules_eks_accepts() -> None:
    import re

    from tests.fixtures.repo import REPO

    text = (REPO / "modules/eks/variables.tf").read_text()
    end = text.index("], g.ami_type)")
    listed = text[text.rindex("contains([", 0, end) : end]
    # CUSTOM is what a node group with an `image` renders to.
    assert tuple(re.findall(r'"([A-Za-z0-9_]+)"', listed)) == (*AMI_TYPES, "CUSTOM")
