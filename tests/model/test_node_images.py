"""GPU node images: Ubuntu (the OS NVIDIA's GPU operator supports on EKS) by default, an
EKS AMI type by name, never both; and what the eks unit and module make of it."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from platformctl.errors import UsageError
from platformctl.model.config import parse_platform
from tests.conftest import REPO
from tests.fixtures.repo import base_platform

UBUNTU_2404 = "/aws/service/canonical/ubuntu/eks/24.04/1.35/stable/current/amd64/hvm/ebs-gp3/ami-id"


def _gpu(data: dict, env: str = "dev"):  # type: ignore[no-untyped-def]
    return next(g for g in parse_platform(data).get(env).node_groups if g.role == "gpu")


def test_shipped_gpu_groups_ubuntu_on_aws_and_an_eks_nvidia_ami_in_the_sandbox() -> None:
    dev = _gpu(base_platform())
    assert (dev.image, dev.ami_type) == ("ubuntu-24.04", "CUSTOM")
    assert dev.image_parameter("1.35") == UBUNTU_2404
    sandbox = _gpu(base_platform(), "sandbox")
    assert (sandbox.image, sandbox.ami_type) == ("", "BOTTLEROCKET_x86_64_NVIDIA")


def test_a_gpu_group_without_either_defaults_to_ubuntu_2404() -> None:
    data = copy.deepcopy(base_platform())
    del data["environments"][0]["node_groups"]["gpu"]["image"]
    assert _gpu(data).image == "ubuntu-24.04"
    cpu = next(g for g in parse_platform(data).get("dev").node_groups if g.role == "cpu")
    assert (cpu.image, cpu.ami_type) == ("", "AL2023_x86_64_STANDARD")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ami_type": "AL2023_x86_64_NVIDIA"}, "give ami_type"),
        ({"image": "ubuntu-20.04"}, "is not a node image modules/eks supports"),
    ],
)
def test_bad_image_settings_are_one_sentence(change: dict, message: str) -> None:
    data = copy.deepcopy(base_platform())
    data["environments"][0]["node_groups"]["gpu"].update(change)
    with pytest.raises(UsageError, match=message) as info:
        parse_platform(data)
    assert info.value.message.count(". ") == 0


def test_the_dev_eks_unit_names_the_image_and_the_gpu_operator_brings_the_driver() -> None:
    eks = (REPO / "live/exampleorg/dev/us-east-1/eks/terragrunt.hcl").read_text()
    assert 'ami_type       = "CUSTOM"' in eks
    assert f'image_ssm_parameter = "{UBUNTU_2404}"' in eks
    kubeflow = (REPO / "live/exampleorg/dev/us-east-1/kubeflow/terragrunt.hcl").read_text()
    assert "gpu_operator_driver" not in kubeflow  # the module default: the operator installs it
    sandbox = (REPO / "live/exampleorg/sandbox/us-east-1/kubeflow/terragrunt.hcl").read_text()
    assert "gpu_operator_driver = false" in sandbox


def test_custom_image_launch_templates_carry_the_image_and_a_bootstrap() -> None:
    module = Path(REPO / "modules/eks")
    node_groups = (module / "node_groups.tf").read_text()
    template = node_groups[node_groups.index('resource "aws_launch_template" "node"') :]
    template = template[: template.index("\n}\n")]
    assert "nonsensitive(data.aws_ssm_parameter.node_image[each.key].value)" in template
    assert "base64encode(local.node_bootstrap[each.key])" in template
    assert '"/dev/sda1"' in template  # Ubuntu's root device
    text = (module / "node_images.tf").read_text()
    assert 'data "aws_ssm_parameter" "node_image"' in text
    assert "/etc/eks/bootstrap.sh" in text
    assert "--register-with-taints" in text and "--node-labels" in text
