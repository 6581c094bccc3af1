"""The cluster settings of platform.toml as the eks and vpc units pass them to the modules."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import hcl2

from platformctl.model.config import parse_platform, resolve_org
from platformctl.model.naming import HELM_READERS_GROUP
from platformctl.model.render import parse_hcl, render_tree
from tests.fixtures.repo import REPO, base_platform, platform_with
from tests.modules.test_module_interfaces import decode, load_module

ORG = resolve_org("ExampleOrg")
ADMIN = "arn:aws:iam::123456789012:role/PlatformAdmin"


def _units(data: dict[str, Any], env: str = "dev") -> dict[str, dict[str, Any]]:
    files = render_tree(REPO, parse_platform(data), ORG).files
    return {
        unit: parse_hcl(files[Path(f"exampleorg/{env}/us-east-1/{unit}/terragrunt.hcl")], unit)
        for unit in ("eks", "vpc")
    }


def _inputs(unit: dict[str, Any]) -> dict[str, Any]:
    # Literals decoded; references such as local.env.features.efs stay "${...}" text.
    return {
        k: v if isinstance(v, str) and v.startswith("${") else decode(v)
        for k, v in unit["inputs"].items()
    }


def _generated(unit: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        str(decode(label)): body
        for block in unit.get("generate", [])
        for label, body in block.items()
        if label != "__is_block__"
    }


def _override(unit: dict[str, Any]) -> dict[str, Any]:
    """The OpenTofu file the upgrade_policy generate block writes, parsed."""
    contents = str(_generated(unit)["upgrade_policy"]["contents"])
    body = contents.strip('"').split("\n", 1)[1].rsplit("\n", 1)[0]
    parsed: dict[str, Any] = hcl2.loads(textwrap.dedent(body))
    return parsed


def test_inputs_are_variables_of_the_modules() -> None:
    variants = [
        base_platform(),
        platform_with("endpoint", {"private_only": True}),
        platform_with("dns", {"zone_id": "Z0123456789ABCDEFGHIJ", "domain": "dev.example.com"}),
        platform_with("admin_principal_arns", [ADMIN]),
    ]
    for data in variants:
        for env in ("dev", "sandbox"):
            for name, unit in _units(data, env).items():
                undeclared = set(unit["inputs"]) - set(load_module(name).variables)
                assert not undeclared, f"{env}/{name} passes {undeclared}"


def test_shipped_dev_units() -> None:
    units = _units(base_platform())
    vpc, eks = _inputs(units["vpc"]), _inputs(units["eks"])
    assert (vpc["nat_gateways"], vpc["flow_log_retention_days"]) == ("one", 7)
    assert eks["log_retention_days"] == 7
    assert eks["endpoint_private_only"] is False
    assert eks["endpoint_public_access_cidrs"] == ["0.0.0.0/0"]
    assert "admin_principal_arns" not in eks
    assert (eks["enable_external_dns"], eks["enable_cert_manager"]) == (False, False)
    assert eks["enable_cluster_autoscaler"] == "${local.env.features.cluster_autoscaler}"
    assert eks["enable_efs_csi_driver"] == "${local.env.features.efs}"
    assert "enable_node_template_tags" not in eks  # the module's default: on
    gpu = eks["node_groups"]["gpu"]
    assert (gpu["min_size"], gpu["desired_size"], gpu["gpus"]) == (0, 0, 1)
    assert eks["node_groups"]["cpu"]["gpus"] == 0


def test_the_plan_role_carries_the_group_the_mesh_and_kubeflow_units_bind() -> None:
    """AmazonEKSViewPolicy cannot read Secrets, where helm keeps its releases: without the
    group on the plan role's access entry, every plan of mesh and kubeflow by that role
    fails with "secrets is forbidden"."""
    files = render_tree(REPO, parse_platform(base_platform()), ORG).files
    unit = {
        name: parse_hcl(files[Path(f"exampleorg/dev/us-east-1/{name}/terragrunt.hcl")], name)
        for name in ("eks", "mesh", "kubeflow")
    }
    eks = _inputs(unit["eks"])
    assert eks["viewer_role_names"] == ["platformctl/github/exampleorg-github-plan"]
    assert eks["viewer_kubernetes_groups"] == [HELM_READERS_GROUP]
    for name in ("mesh", "kubeflow"):
        bound = decode(unit[name]["inputs"].get("helm_readers_group", '""'))
        assert bound == HELM_READERS_GROUP, f"the {name} unit binds {bound!r}"


def test_private_only_sends_no_public_cidrs() -> None:
    eks = _inputs(_units(platform_with("endpoint", {"private_only": True}))["eks"])
    assert eks["endpoint_private_only"] is True
    assert "endpoint_public_access_cidrs" not in eks


def test_narrowed_endpoint_admins_and_dns_reach_the_eks_unit() -> None:
    data = platform_with("endpoint", {"public_cidrs": ["203.0.113.0/24"]})
    data["environments"][0]["admin_principal_arns"] = [ADMIN]
    data["environments"][0]["dns"] = {
        "zone_id": "Z0123456789ABCDEFGHIJ",
        "domain": "dev.example.com",
    }
    eks = _inputs(_units(data)["eks"])
    assert eks["endpoint_public_access_cidrs"] == ["203.0.113.0/24"]
    assert eks["admin_principal_arns"] == [ADMIN]
    assert eks["route53_zone_ids"] == ["Z0123456789ABCDEFGHIJ"]
    assert eks["enable_external_dns"] is True
    assert eks["enable_cert_manager"] == "${local.env.features.cert_manager}"


def test_real_environments_generate_the_upgrade_policy_override() -> None:
    for support_type in ("STANDARD", "EXTENDED"):
        unit = _units(platform_with("support_type", support_type))["eks"]
        generate = _generated(unit)["upgrade_policy"]
        assert decode(generate["path"]) == "upgrade_policy_override.tf"  # an override file
        override = _override(unit)
        aws = override["terraform"][0]["required_providers"][0]["aws"]
        assert decode(aws["version"]) == ">= 5.61, < 7.0"
        cluster = override["resource"][0]['"aws_eks_cluster"']['"this"']
        assert decode(cluster["upgrade_policy"][0]["support_type"]) == support_type


def test_the_sandbox_keeps_to_what_the_emulator_has() -> None:
    units = _units(base_platform(), "sandbox")
    eks = _inputs(units["eks"])
    assert "upgrade_policy" not in _generated(units["eks"])
    assert eks["enable_node_template_tags"] is False
    assert "viewer_kubernetes_groups" not in eks
    assert _inputs(units["vpc"])["nat_gateways"] == "per-az"


def test_env_hcl_lists_the_cluster_service_features() -> None:
    files = render_tree(REPO, parse_platform(base_platform()), ORG).files
    features = decode(
        parse_hcl(files[Path("exampleorg/dev/env.hcl")], "env")["locals"][0]["features"]
    )
    assert {k: features[k] for k in ("efs", "cert_manager", "cluster_autoscaler")} == {
        "efs": False,
        "cert_manager": True,
        "cluster_autoscaler": True,
    }
