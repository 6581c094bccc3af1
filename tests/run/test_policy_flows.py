"""plan-all --policy and deploy's refusal, on real plans of real terragrunt + OpenTofu.

The test stack's units hold only OpenTofu's built-in `terraform_data` resource (no
provider exists here), so these plans prove the plumbing end to end: the saved plans'
`tofu show -json`, real checkov and real conftest with the shipped policies (which they
pass), the result recorded beside each plan, the refusal and its override. What the
shipped policies reject is shown on hand-written plans in tests/run/test_policy.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from platformctl.report import SilentReporter
from platformctl.run.deploy import deploy
from platformctl.run.plan import plan_all
from platformctl.run.policy import policy_of, recorded
from platformctl.run.results import RunResult, UnitResult
from platformctl.run.scope import Options
from platformctl.toolchain.versions import load_pins
from tests.run.conftest import Stack

pytestmark = pytest.mark.real

REPO = Path(__file__).resolve().parents[2]
DENY_DATA = """package main

import rego.v1

deny contains msg if {
\tsome rc in input.resource_changes
\trc.type == "terraform_data"
\tmsg := sprintf("%s: no terraform_data here", [rc.address])
}
"""


@pytest.fixture
def checked_stack(stack: Stack) -> Stack:
    """The test stack with checkov and conftest pinned and the shipped policies in place."""
    pins = load_pins(REPO)
    missing = [t for t in ("checkov", "conftest") if t not in pins]
    assert not missing, missing
    try:
        from platformctl.toolchain.locate import tool_path

        for tool in ("checkov", "conftest"):
            tool_path(REPO, tool)
    except Exception as exc:
        pytest.skip(f"policy tools not installed: {getattr(exc, 'message', exc)}")
    with (stack.root / ".tool-versions").open("a", encoding="utf-8") as handle:
        for tool in ("checkov", "conftest"):
            handle.write(f"#platformctl {tool} {pins[tool].version}\n")
    shutil.copytree(REPO / "policies", stack.root / "policies")
    return stack


def _opts() -> Options:
    return Options(ask=lambda _q: False, post_install=False)


def _units(result: RunResult) -> dict[str, UnitResult]:
    (env,) = result.environments
    return {u.name: u for u in env.units}


def _deploy(stack: Stack, **kwargs: object) -> RunResult:
    return deploy(
        stack.root,
        stack.platform,
        stack.org,
        "sandbox",
        "vpc",
        reporter=SilentReporter(),
        opts=_opts(),
        approve=lambda _r: True,
        policy=True,
        **kwargs,  # type: ignore[arg-type]
    )


def test_real_plans_pass_the_shipped_policies(checked_stack: Stack) -> None:
    result = plan_all(
        checked_stack.root,
        checked_stack.platform,
        checked_stack.org,
        None,
        SilentReporter(),
        opts=_opts(),
        policy=True,
    )
    assert result.ok, result.errors
    plans = Path(result.run_dir) / "sandbox" / "plans" / "plan"
    for name, unit in _units(result).items():
        checked = policy_of(unit)
        assert checked is not None and checked.passed, (name, checked)
        assert checked.tools == ("checkov", "conftest")
        assert recorded(plans / name) == checked
        assert (plans / name / "tfplan.json").is_file()
    summary = json.loads((Path(result.run_dir) / "summary.json").read_text())
    assert summary["environments"][0]["units"][0]["policy"]["passed"] is True


def test_a_failed_check_fails_plan_all_and_deploy_refuses_unless_allowed(
    checked_stack: Stack,
) -> None:
    (checked_stack.root / "policies" / "no_data.rego").write_text(DENY_DATA)
    result = plan_all(
        checked_stack.root,
        checked_stack.platform,
        checked_stack.org,
        "sandbox",
        SilentReporter(),
        opts=_opts(),
        policy=True,
    )
    assert not result.ok
    assert "vpc: 1 policy check(s) failed." in result.errors
    vpc = policy_of(_units(result)["vpc"])
    assert vpc is not None and [f.message for f in vpc.findings] == [
        "terraform_data.this: no terraform_data here"
    ]

    refused = _deploy(checked_stack)
    assert not refused.ok
    assert _units(refused)["vpc"].status == "planned"
    assert any("--allow-policy-failures" in e for e in refused.errors)
    assert checked_stack.s3_keys() == []  # nothing was applied

    allowed = _deploy(checked_stack, allow_policy_failures=True)
    assert allowed.ok, allowed.errors
    unit = _units(allowed)["vpc"]
    assert unit.status == "applied"
    checked = policy_of(unit)
    assert checked is not None and checked.allowed and not checked.passed
    kept = recorded(Path(allowed.run_dir) / "sandbox" / "plans" / "apply-0" / "vpc")
    assert kept is not None and kept.allowed
    assert checked_stack.s3_keys() == ["sandbox/vpc/terraform.tfstate"]
