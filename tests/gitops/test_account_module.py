"""modules/account: formatted (real tofu), and its trust policies are as narrow as intended.

`tofu validate` needs the AWS provider binary, which is not available offline here; the
structure is checked by reading the HCL with python-hcl2 instead.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from platformctl.errors import ToolNotFoundError
from platformctl.toolchain.locate import tool_path
from tests.gitops import contract

MODULE = contract.REPO / "modules" / "account"


def _unquote_keys(value: Any) -> Any:
    """python-hcl2 8.x keeps the quotes of block labels; drop them from mapping keys."""
    if isinstance(value, dict):
        return {k.strip('"'): _unquote_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unquote_keys(v) for v in value]
    return value


def _blocks(kind: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in sorted(MODULE.glob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            doc = _unquote_keys(hcl2.load(handle))
        for block in doc.get(kind, []):
            for label, body in block.items():
                found.setdefault(label, {})
                if isinstance(body, dict) and kind in ("resource", "data"):
                    found[label].update(body)
                else:
                    found[label] = body
    return found


def _strip(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals in some versions."""
    return value.strip('"') if isinstance(value, str) else value


def test_tofu_fmt_check(tmp_path: Path) -> None:
    try:
        tofu = tool_path(contract.REPO, "opentofu")
    except ToolNotFoundError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))
    done = subprocess.run(
        [str(tofu), "fmt", "-check", "-recursive", "-diff", str(MODULE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "TF_CLI_CONFIG_FILE": str(tmp_path / "none.tfrc")},
    )
    assert done.returncode == 0, (
        f"tofu fmt -check found unformatted files:\n{done.stdout}{done.stderr}"
    )


def test_variables_are_typed_described_and_validated() -> None:
    variables = _blocks("variable")
    assert {"org", "github_repository", "environments", "regions", "main_branch"} <= set(variables)
    for name, body in variables.items():
        assert "type" in body, f"variable {name} has no type"
        assert _strip(body.get("description", "")), f"variable {name} has no description"
    for name in ("org", "github_repository", "environments", "regions", "main_branch"):
        assert variables[name].get("validation"), f"variable {name} has no validation"


def test_requires_the_aws_provider() -> None:
    with (MODULE / "versions.tf").open(encoding="utf-8") as handle:
        terraform = _unquote_keys(hcl2.load(handle))["terraform"][0]
    providers = terraform["required_providers"][0]
    assert _strip(providers["aws"]["source"]) == "hashicorp/aws"
    assert _strip(terraform["required_version"]).startswith(">=")


def test_oidc_provider_is_githubs_with_the_sts_audience() -> None:
    provider = _blocks("resource")["aws_iam_openid_connect_provider"]["github"]
    assert _strip(provider["url"]) == "https://${local.oidc_host}"
    main = (MODULE / "main.tf").read_text(encoding="utf-8")
    assert re.search(r'oidc_host\s*=\s*"token\.actions\.githubusercontent\.com"', main)
    assert [_strip(v) for v in provider["client_id_list"]] == ["sts.amazonaws.com"]


def test_trust_policies_match_subjects_of_this_repository_under_its_template() -> None:
    text = (MODULE / "main.tf").read_text(encoding="utf-8")
    locals_text = text[text.index("deploy_subjects") : text.index("state_buckets")]
    subjects = re.findall(r'"(repo:[^"]+)"', locals_text)
    workflows = "${local.workflows_path}/${workflow}"
    assert subjects == [
        f"repo:${{local.repo}}:environment:${{env}}:job_workflow_ref:{workflows}@${{local.main_ref}}",
        f"repo:${{local.repo}}:pull_request:job_workflow_ref:{workflows}@refs/pull/*/merge",
        f"repo:${{local.repo}}:ref:${{local.main_ref}}:job_workflow_ref:{workflows}@${{local.main_ref}}",
    ]
    # The one wildcard stands for a pull request's number (the plan role only).
    assert [s.count("*") for s in subjects] == [0, 1, 0]
    assert re.search(
        r'oidc_subject_claim_keys\s*=\s*\["repo", "context", "job_workflow_ref"\]', text
    )
    assert re.search(r'main_ref\s*=\s*"refs/heads/\$\{var\.main_branch\}"', text)
    data = _blocks("data")["aws_iam_policy_document"]
    expected = {
        "deploy_trust": {"aud": "StringEquals", "sub": "StringEquals", "ref": "StringEquals"},
        "plan_trust": {"aud": "StringEquals", "sub": "StringLike"},
    }
    for name, tests in expected.items():
        (statement,) = data[name]["statement"]
        conditions = {_strip(c["variable"]).split(":")[-1]: c for c in statement["condition"]}
        assert {k: _strip(c["test"]) for k, c in conditions.items()} == tests, name
        assert [_strip(v) for v in conditions["aud"]["values"]] == ["sts.amazonaws.com"]
        assert [_strip(a) for a in statement["actions"]] == ["sts:AssumeRoleWithWebIdentity"]
    (deploy,) = data["deploy_trust"]["statement"]
    ref = next(c for c in deploy["condition"] if _strip(c["variable"]).endswith(":ref"))
    assert [_strip(v) for v in ref["values"]] == ["${local.main_ref}"]


def test_the_deploy_role_cannot_change_the_github_roles() -> None:
    deploy = _blocks("data")["aws_iam_policy_document"]["deploy"]
    denies = [s for s in deploy["statement"] if _strip(s.get("effect", "Allow")) == "Deny"]
    resources = " ".join(str(r) for s in denies for r in s["resources"])
    assert "role${var.role_path}*" in resources
    assert "oidc-provider/${local.oidc_host}" in resources
