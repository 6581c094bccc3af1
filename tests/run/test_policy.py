"""The shipped policies and checkov's plan checks, run for real on plan JSON documents.

Boundary: no Terraform provider exists on this machine, so a plan of the real modules
(aws_eks_cluster, aws_s3_bucket_*, security groups) cannot be produced here. The plans
below are small hand-written documents in the format `tofu show -json` writes
(format_version 1.2: resource_changes[].change.after, mirrored in planned_values); real
checkov and real conftest check them. tests/run/test_policy_flows.py runs the same
checks on real plans that real OpenTofu made of a provider-free stack.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from platformctl.run import planfile, policy, results, summary_md
from platformctl.run.results import UnitResult

REPO = Path(__file__).resolve().parents[2]


def _checkers_or_skip() -> policy.Checkers:
    try:
        return policy.checkers(REPO)
    except Exception as exc:  # a missing tool says how to install it
        pytest.skip(f"policy tools not installed: {getattr(exc, 'message', exc)}")


def plan_document(*resources: tuple[str, str, Mapping[str, Any]]) -> dict[str, Any]:
    """A `tofu show -json` document creating each (type, name, planned values)."""
    changes, planned = [], []
    for rtype, name, values in resources:
        common = {
            "address": f"{rtype}.{name}",
            "mode": "managed",
            "type": rtype,
            "name": name,
            "provider_name": "registry.opentofu.org/hashicorp/aws",
        }
        planned.append({**common, "schema_version": 0, "values": dict(values)})
        changes.append(
            {
                **common,
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": dict(values),
                    "after_unknown": {"id": True, "arn": True},
                },
            }
        )
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.6",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"root_module": {}},
    }


KEY = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
EKS = {
    "name": "exampleorg-dev",
    "role_arn": "arn:aws:iam::123456789012:role/cluster",
    "enabled_cluster_log_types": ["api", "audit", "authenticator", "controllerManager"],
    "vpc_config": [
        {
            "endpoint_private_access": True,
            "endpoint_public_access": False,
            "public_access_cidrs": ["10.0.0.0/8"],
            "subnet_ids": ["subnet-1", "subnet-2"],
        }
    ],
}
BLOCK_ALL = {
    "block_public_acls": True,
    "block_public_policy": True,
    "ignore_public_acls": True,
    "restrict_public_buckets": True,
}
PUBLIC_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
            }
        ],
    }
)
SCOPED_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::b/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    }
)


def _rule(cidr: str, port: int, description: str = "") -> dict[str, Any]:
    return {
        "security_group_id": "sg-1",
        "cidr_ipv4": cidr,
        "ip_protocol": "tcp",
        "from_port": port,
        "to_port": port,
        "description": description,
    }


def _inline_sg(cidr: str, port: int, description: str = "") -> dict[str, Any]:
    rule = {
        "cidr_blocks": [cidr],
        "ipv6_cidr_blocks": [],
        "protocol": "tcp",
        "from_port": port,
        "to_port": port,
        "description": description,
        "prefix_list_ids": [],
        "security_groups": [],
        "self": False,
    }
    return {"name": "nodes", "vpc_id": "vpc-1", "description": "nodes", "ingress": [rule]}


PLANS: dict[str, dict[str, Any]] = {
    "eks-unencrypted": plan_document(("aws_eks_cluster", "this", {**EKS, "encryption_config": []})),
    "eks-encrypted": plan_document(
        (
            "aws_eks_cluster",
            "this",
            {
                **EKS,
                "encryption_config": [{"resources": ["secrets"], "provider": [{"key_arn": KEY}]}],
            },
        )
    ),
    "s3-public": plan_document(
        ("aws_s3_bucket", "data", {"bucket": "b", "force_destroy": False}),
        (
            "aws_s3_bucket_public_access_block",
            "data",
            {"bucket": "b", **BLOCK_ALL, "block_public_policy": False},
        ),
        ("aws_s3_bucket_acl", "data", {"bucket": "b", "acl": "public-read"}),
        ("aws_s3_bucket_policy", "data", {"bucket": "b", "policy": PUBLIC_POLICY}),
    ),
    "s3-private": plan_document(
        ("aws_s3_bucket", "data", {"bucket": "b", "force_destroy": False}),
        ("aws_s3_bucket_public_access_block", "data", {"bucket": "b", **BLOCK_ALL}),
        ("aws_s3_bucket_acl", "data", {"bucket": "b", "acl": "private"}),
        ("aws_s3_bucket_policy", "data", {"bucket": "b", "policy": SCOPED_POLICY}),
    ),
    "ingress-open": plan_document(
        ("aws_vpc_security_group_ingress_rule", "ssh", _rule("0.0.0.0/0", 22)),
        # The NLB's description does not open any other port.
        ("aws_vpc_security_group_ingress_rule", "nlb_ssh", _rule("0.0.0.0/0", 22, "NLB ssh")),
        ("aws_security_group", "nodes", _inline_sg("0.0.0.0/0", 22)),
    ),
    "ingress-nlb-only": plan_document(
        ("aws_vpc_security_group_ingress_rule", "https", _rule("0.0.0.0/0", 443, "NLB listener")),
        ("aws_vpc_security_group_ingress_rule", "http", _rule("0.0.0.0/0", 80, "NLB listener")),
        ("aws_vpc_security_group_ingress_rule", "vpc", _rule("10.0.0.0/16", 5432)),
        ("aws_security_group", "nodes", _inline_sg("10.0.0.0/16", 22)),
    ),
}


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, results.PolicyResult]:
    """Every plan above, checked by one checkov and one conftest run."""
    tools = _checkers_or_skip()
    assert tools.conftest is not None, "the shipped policies are Rego files in policies/"
    folder = tmp_path_factory.mktemp("plans")
    paths = {}
    for name, document in PLANS.items():
        paths[name] = folder / f"{name}.json"
        paths[name].write_text(json.dumps(document), encoding="utf-8")
    return policy.check_plans(tools, paths)


def _rules(result: results.PolicyResult, tool: str) -> set[str]:
    return {f.rule for f in result.findings if f.tool == tool}


def _messages(result: results.PolicyResult) -> list[str]:
    return [f.message for f in result.findings if f.tool == "conftest"]


def test_eks_secrets_must_be_encrypted(checked: dict[str, results.PolicyResult]) -> None:
    bad = checked["eks-unencrypted"]
    assert not bad.passed
    assert any("aws_eks_cluster.this: Kubernetes Secrets" in m for m in _messages(bad))
    assert "CKV_AWS_58" in _rules(bad, "checkov")
    assert checked["eks-encrypted"].passed, checked["eks-encrypted"].findings


def test_no_public_s3(checked: dict[str, results.PolicyResult]) -> None:
    bad = checked["s3-public"]
    messages = _messages(bad)
    assert any("block_public_policy is not true" in m for m in messages), messages
    assert any('canned ACL "public-read"' in m for m in messages), messages
    assert any("aws_s3_bucket_policy.data: a statement allows everyone" in m for m in messages)
    assert "CKV_AWS_54" in _rules(bad, "checkov")
    assert checked["s3-private"].passed, checked["s3-private"].findings


def test_no_ingress_from_anywhere_except_the_nlb(checked: dict[str, results.PolicyResult]) -> None:
    bad = checked["ingress-open"]
    resources = {f.resource for f in bad.findings if f.tool == "conftest"}
    assert resources == {
        "aws_vpc_security_group_ingress_rule.ssh",
        "aws_vpc_security_group_ingress_rule.nlb_ssh",
        "aws_security_group.nodes",
    }
    assert "CKV_AWS_24" in _rules(bad, "checkov")
    good = checked["ingress-nlb-only"]
    assert good.passed, good.findings
    assert good.tools == ("checkov", "conftest")


def test_a_broken_user_policy_is_an_error_not_a_pass(tmp_path: Path) -> None:
    from platformctl.errors import OperationError

    tools = _checkers_or_skip()
    (tmp_path / "broken.rego").write_text("package main\n\ndeny contains msg if {\n")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(PLANS["eks-encrypted"]))
    assert tools.conftest is not None
    with pytest.raises(OperationError, match="conftest could not check"):
        policy._conftest(tools.conftest, tmp_path, [str(plan)])


def test_the_result_is_recorded_beside_the_plan_and_read_back(tmp_path: Path) -> None:
    assert policy.recorded(tmp_path) is None
    result = results.PolicyResult(
        findings=(results.Finding("conftest", "main", "aws_eks_cluster.this", "no KMS"),),
        tools=("checkov", "conftest"),
    )
    policy.record(tmp_path, result)
    assert policy.recorded(tmp_path) == result
    assert (tmp_path / planfile.POLICY_FILE).is_file()


def test_json_and_markdown_carry_the_policy_result_per_unit() -> None:
    failed = results.PolicyResult(
        findings=(results.Finding("checkov", "CKV_AWS_58", "aws_eks_cluster.this", "secrets"),),
        tools=("checkov",),
    )
    unit = policy.with_policy(UnitResult("eks", "planned", add=1, retries=0), failed)
    document = unit.to_json()
    assert document["policy"]["passed"] is False
    assert document["policy"]["failures"][0]["rule"] == "CKV_AWS_58"
    assert document["add"] == 1
    clean = policy.with_policy(UnitResult("vpc", "no-changes"), results.PolicyResult())
    run = {
        "org": "exampleorg",
        "command": "plan",
        "ok": False,
        "environments": [
            {"env": "dev", "region": "us-east-1", "units": [unit.to_json(), clean.to_json()]}
        ],
    }
    text = summary_md.render(run)
    assert "| policy |" in text
    assert "❌ failed (1)" in text and "✅ passed" in text
    assert "| checkov | CKV_AWS_58 | aws_eks_cluster.this | secrets |" in text
    allowed = policy.with_policy(UnitResult("eks", "applied"), failed.allow())
    run["environments"][0]["units"] = [allowed.to_json()]  # type: ignore[index]
    assert "allowed by `--allow-policy-failures`" in summary_md.render(run)


def test_without_checks_the_tables_are_unchanged() -> None:
    run = {
        "org": "o",
        "command": "plan",
        "ok": True,
        "environments": [
            {"env": "dev", "region": "r", "units": [UnitResult("vpc", "planned").to_json()]}
        ],
    }
    assert "policy" not in summary_md.render(run)


def test_allow_policy_failures_needs_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.fixtures.repo import make_repo, run

    monkeypatch.setenv("PLATFORMCTL_ROOT", str(make_repo(tmp_path)))
    code, _out, err = run(
        ["deploy", "vpc", "--org", "ExampleOrg", "--env", "sandbox", "--allow-policy-failures"],
        capsys,
    )
    assert code == 2 and "only makes sense with --policy" in err
