"""modules/eks and modules/vpc: access, creation order, pod identities, scale-to-zero
hints, NAT gateways and compatibility with AWS provider 5.46, checked without providers.

The structure is read with python-hcl2; the locals that compute tags and NAT gateways are
evaluated by the real OpenTofu (`tofu console` needs no provider for them).
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from platformctl import proc
from platformctl.errors import ToolNotFoundError
from platformctl.toolchain.locate import tool_path
from tests.modules.test_module_interfaces import (
    LIVE_DIR,
    MODULES_DIR,
    REPO,
    decode,
    load_module,
    load_unit,
)

DEV_EKS = LIVE_DIR / "exampleorg/dev/us-east-1/eks/terragrunt.hcl"


def _resource(module: str, rtype: str, name: str) -> dict[str, Any]:
    for kind, bodies in load_module(module).blocks("resource"):
        if kind == rtype and f'"{name}"' in bodies:
            body: dict[str, Any] = bodies[f'"{name}"']
            return body
    raise AssertionError(f"modules/{module} has no {rtype}.{name}")


def _local(module: str, name: str) -> Any:
    for parsed in load_module(module).files.values():
        for block in parsed.get("locals", []):
            if name in block:
                return block[name]
    raise AssertionError(f"modules/{module} has no local.{name}")


def _value(raw: Any) -> Any:
    """A python-hcl2 value with literals decoded and expressions kept as "${...}" text."""
    return decode(raw, lambda expr: "${" + expr + "}")


def _depends_on(body: dict[str, Any]) -> list[str]:
    return [str(d).removeprefix("${").removesuffix("}") for d in body.get("depends_on", [])]


# ------------------------------------------------------------------------- access


def test_access_entries_only_and_the_viewers_group() -> None:
    cluster = _resource("eks", "aws_eks_cluster", "this")
    (dynamic,) = [d['"access_config"'] for d in cluster["dynamic"] if '"access_config"' in d]
    assert decode(dynamic["content"][0]["authentication_mode"]) == "API"

    entry = _resource("eks", "aws_eks_access_entry", "this")
    assert entry["kubernetes_groups"] == "${each.value.groups}"
    principals = str(_local("eks", "access_principals"))
    viewer = re.search(r"local\.viewer_arns : arn => \{([^}]*)\}", principals)
    assert viewer, principals
    assert 'policy = "AmazonEKSViewPolicy"' in viewer.group(1)
    assert "groups = var.viewer_kubernetes_groups" in viewer.group(1)
    association = _resource("eks", "aws_eks_access_policy_association", "this")
    assert decode(association["policy_arn"]) == "${local.access_policy_prefix}/${each.value.policy}"


def test_public_endpoint_follows_the_settings() -> None:
    vpc_config = _resource("eks", "aws_eks_cluster", "this")["vpc_config"][0]
    assert vpc_config["endpoint_private_access"] is True
    assert vpc_config["endpoint_public_access"] == "${!var.endpoint_private_only}"
    assert vpc_config["public_access_cidrs"] == (
        "${var.endpoint_private_only ? null : var.endpoint_public_access_cidrs}"
    )


# ----------------------------------------------------------------- creation order


def test_node_groups_wait_for_the_agent_the_cni_and_every_pod_identity() -> None:
    after = set(_depends_on(_resource("eks", "aws_eks_node_group", "this")))
    assert {
        "aws_eks_addon.before_nodes",
        "aws_eks_pod_identity_association.this",
        "aws_iam_role_policy_attachment.pod_identity",
    } <= after
    before = str(_local("eks", "addons_before_nodes"))
    assert all(a in before for a in ('"vpc-cni"', '"kube-proxy"', '"eks-pod-identity-agent"'))


def test_addons_after_nodes_wait_for_the_system_group_only() -> None:
    addon = _resource("eks", "aws_eks_addon", "after_nodes")
    # depends_on on aws_eks_node_group.this would wait for every group, the GPU group
    # (zero nodes, possibly no quota) too.
    assert "aws_eks_node_group.this" not in _depends_on(addon)
    assert addon["cluster_name"] == "${aws_eks_node_group.this[var.system_node_group].cluster_name}"
    assert "aws_eks_pod_identity_association.this" in _depends_on(addon)
    after = str(_local("eks", "addons_after_nodes"))
    assert all(a in after for a in ('"coredns"', '"aws-ebs-csi-driver"', '"aws-efs-csi-driver"'))
    assert decode(load_module("eks").variables["system_node_group"].body["default"]) == "cpu"


# ----------------------------------------------------------------- pod identities


def _pod_identities() -> dict[str, dict[str, Any]]:
    identities: dict[str, dict[str, Any]] = _value(_local("eks", "pod_identities"))
    return identities


def test_the_vpc_cni_has_its_own_pod_identity_and_leaves_the_node_role() -> None:
    cni = _pod_identities()["vpc-cni"]
    assert (cni["namespace"], cni["service_account"]) == ("kube-system", "aws-node")
    assert cni["managed_policies"] == ["AmazonEKS_CNI_Policy"]
    assert _pod_identities()["vpc-cni"]["enabled"] == "${local.cni_pod_identity}"
    node_policies = str(_resource("eks", "aws_iam_role_policy_attachment", "node")["for_each"])
    assert 'local.cni_pod_identity ? [] : ["AmazonEKS_CNI_Policy"]' in node_policies


def test_the_cluster_autoscaler_and_csi_drivers_have_pod_identities() -> None:
    identities = _pod_identities()
    wanted = {
        "cluster-autoscaler": ("kube-system", "cluster-autoscaler"),
        "ebs-csi-driver": ("kube-system", "ebs-csi-controller-sa"),
        "efs-csi-driver": ("kube-system", "efs-csi-controller-sa"),
    }
    for name, (namespace, account) in wanted.items():
        assert (identities[name]["namespace"], identities[name]["service_account"]) == (
            namespace,
            account,
        )


# ------------------------------------------------------------- provider 5.46


def test_no_arguments_newer_than_aws_provider_5_46() -> None:
    """upgrade_policy (5.61) and aws_eks_addon's pod_identity_association (after 5.46) are
    left to the generated override file and separate associations."""
    for name in ("eks", "vpc"):
        text = "\n".join(p.read_text() for p in sorted((MODULES_DIR / name).glob("*.tf")))
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        assert "upgrade_policy" not in code
        assert "pod_identity_association {" not in code
        assert "bootstrap_self_managed_addons" not in code
    versions = load_module("eks").files["versions.tf"]["terraform"][0]["required_providers"][0]
    assert decode(versions["aws"]["version"]) == ">= 5.46, < 7.0"


# ------------------------------------------------------- evaluated with tofu


@pytest.fixture(scope="module")
def tofu() -> Path:
    try:
        return tool_path(REPO, "opentofu")
    except ToolNotFoundError as exc:
        pytest.skip(f"OpenTofu is not installed: {exc.message}")


def _block(text: str, marker: str) -> str:
    """The `locals { ... }` block of a .tf file that contains `marker`."""
    at = text.index(marker)
    start = text.rindex("\nlocals {", 0, at) + 1
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1] + "\n"
    raise AssertionError(f"unbalanced locals block around {marker!r}")


def _console(
    tofu: Path, work: Path, module: str, marker: str, inputs: dict[str, Any], expr: str
) -> Any:
    work.mkdir()
    (work / "variables.tf").write_text((MODULES_DIR / module / "variables.tf").read_text())
    source = next(p for p in (MODULES_DIR / module).glob("*.tf") if marker in p.read_text())
    (work / "locals.tf").write_text(_block(source.read_text(), marker))
    (work / "terraform.tfvars.json").write_text(json.dumps(inputs))
    env = {"TF_CLI_CONFIG_FILE": "/dev/null"}
    proc.run([tofu, "init", "-backend=false", "-input=false"], cwd=work, env=env, timeout=120)
    done = proc.run(
        [tofu, "console"], cwd=work, env=env, input_text=f"jsonencode({expr})\n", timeout=120
    )
    return json.loads(json.loads(done.stdout.strip()))


@pytest.mark.real
def test_scale_from_zero_tags_of_the_shipped_node_groups(tofu: Path, tmp_path: Path) -> None:
    unit = load_unit(DEV_EKS)
    inputs = {
        "cluster_name": "exampleorg-dev-eks",
        "kubernetes_version": "1.35",
        "vpc_id": "vpc-00000000000000000",
        "private_subnet_ids": ["subnet-00000000000000001", "subnet-00000000000000002"],
        "public_subnet_ids": [],
        "node_groups": decode(unit.inputs["node_groups"]),
    }
    tags = _console(
        tofu, tmp_path / "on", "eks", "node_template_tags =", inputs, "local.node_template_tags"
    )
    prefix = "k8s.io/cluster-autoscaler/node-template"
    gpu = {t["key"]: t["value"] for t in tags.values() if t["group"] == "gpu"}
    assert gpu == {
        f"{prefix}/label/platformctl.io/pool": "gpu",
        f"{prefix}/label/nvidia.com/gpu.present": "true",
        f"{prefix}/taint/nvidia.com/gpu": "true:NoSchedule",
        f"{prefix}/resources/nvidia.com/gpu": "1",
    }
    assert {t["key"] for t in tags.values() if t["group"] == "cpu"} == {
        f"{prefix}/label/platformctl.io/pool"
    }
    off = {**inputs, "enable_node_template_tags": False}
    assert (
        _console(
            tofu, tmp_path / "off", "eks", "node_template_tags =", off, "local.node_template_tags"
        )
        == {}
    )


@pytest.mark.real
def test_one_nat_gateway_serves_every_zone(tofu: Path, tmp_path: Path) -> None:
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    inputs = {
        "name": "exampleorg-dev-vpc",
        "cluster_name": "exampleorg-dev-eks",
        "vpc_cidr": "10.0.0.0/16",
        "availability_zones": zones,
        "private_subnets": ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"],
        "public_subnets": ["10.0.224.0/22", "10.0.228.0/22", "10.0.232.0/22"],
    }
    expr = "{ nat = keys(local.nat_zones), egress = local.egress_zone }"
    one = _console(
        tofu, tmp_path / "one", "vpc", "nat_zones", {**inputs, "nat_gateways": "one"}, expr
    )
    assert one == {"nat": ["us-east-1a"], "egress": dict.fromkeys(zones, "us-east-1a")}
    per_az = _console(tofu, tmp_path / "per-az", "vpc", "nat_zones", inputs, expr)
    assert per_az == {"nat": zones, "egress": {z: z for z in zones}}


def _generated_override(unit_path: Path) -> str | None:
    """The text the unit's `generate "upgrade_policy"` block writes, if it has one."""
    for block in load_unit(unit_path).parsed.get("generate", []):
        body = block.get('"upgrade_policy"')
        if body is not None:
            heredoc = str(body["contents"]).strip('"')
            return textwrap.dedent(heredoc.split("\n", 1)[1].rsplit("\n", 1)[0])
    return None


@pytest.mark.real
def test_the_generated_override_merges_into_the_module(tofu: Path, tmp_path: Path) -> None:
    """OpenTofu loads the override file with the module (its target resource exists) and
    the unit then requires AWS provider 5.61; the module alone, and the sandbox's unit,
    stay at 5.46."""
    assert _generated_override(LIVE_DIR / "exampleorg/sandbox/us-east-1/eks/terragrunt.hcl") is None
    override = _generated_override(DEV_EKS)
    assert override is not None and "upgrade_policy {" in override

    def required_aws(work: Path) -> str:
        done = proc.run([tofu, "providers"], cwd=work, env={"TF_CLI_CONFIG_FILE": "/dev/null"})
        match = re.search(r"provider\[registry\.opentofu\.org/hashicorp/aws\] (.+)", done.stdout)
        assert match, done.stdout
        return match.group(1).strip()

    work = tmp_path / "eks"
    shutil.copytree(MODULES_DIR / "eks", work)
    assert required_aws(work) == ">= 5.46.0, < 7.0.0"
    (work / "upgrade_policy_override.tf").write_text(override)
    assert required_aws(work) == ">= 5.61.0, < 7.0.0"
