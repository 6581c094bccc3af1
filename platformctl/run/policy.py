"""Policy checks of saved plans: checkov's plan checks and the Rego policies in policies/.

Each unit's `tofu show -json` (tfplan.json beside its saved plan) is checked by checkov
(`--framework terraform_plan`, a curated list of checks, CHECKOV_CHECKS) and by conftest
(`conftest test --policy policies/ --all-namespaces`: the shipped policies and the user's
own). One checkov and one conftest process check every unit of an environment; both run
at the same time. Checked against checkov 3.3.30 and conftest 0.71.1 (their JSON output).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from platformctl import proc
from platformctl.errors import OperationError
from platformctl.run.results import Finding, PolicyResult, UnitResult

POLICY_DIR = "policies"

# The checkov plan checks that matter for this platform. The modules' `#checkov:skip`
# comments are invisible to a plan scan, so the checks they skip on purpose (public EKS
# endpoint, wildcard key policies, per-environment log settings) are not in this list.
CHECKOV_CHECKS: Mapping[str, str] = {
    "CKV_AWS_58": "EKS cluster encrypts Kubernetes Secrets",
    "CKV_AWS_53": "S3 public access block: block_public_acls",
    "CKV_AWS_54": "S3 public access block: block_public_policy",
    "CKV_AWS_55": "S3 public access block: ignore_public_acls",
    "CKV_AWS_56": "S3 public access block: restrict_public_buckets",
    "CKV_AWS_20": "S3 bucket ACL is not public-read",
    "CKV_AWS_57": "S3 bucket ACL is not public-read-write",
    "CKV_AWS_24": "no security group admits 0.0.0.0/0 to port 22",
    "CKV_AWS_25": "no security group admits 0.0.0.0/0 to port 3389",
    "CKV_AWS_7": "KMS keys rotate",
    "CKV_AWS_79": "launch templates require IMDSv2",
}


def with_policy(unit: UnitResult, result: PolicyResult) -> UnitResult:
    return replace(unit, policy=result)


def policy_of(unit: UnitResult) -> PolicyResult | None:
    return unit.policy


def record(plan_dir: Path, result: PolicyResult) -> None:
    """Record the check of the plan saved in `plan_dir` beside it (planfile.POLICY_FILE)."""
    from platformctl.run.planfile import write_policy

    write_policy(plan_dir, result.to_json())


def recorded(plan_dir: Path) -> PolicyResult | None:
    """The recorded check of the plan saved in `plan_dir`, or None when it was not checked."""
    from platformctl.run.planfile import read_policy

    data = read_policy(plan_dir)
    return PolicyResult.from_json(data) if data is not None else None


@dataclass(frozen=True)
class Checkers:
    """The programs and the Rego policies to check plans with."""

    checkov: Path
    conftest: Path | None  # None: no Rego policy to run
    policy_dir: Path


def checkers(root: Path) -> Checkers:
    """checkov and conftest of .tool-versions; ToolNotFoundError saying how to install them."""
    from platformctl.toolchain.locate import tool_path

    policy_dir = root / POLICY_DIR
    has_rego = policy_dir.is_dir() and any(policy_dir.rglob("*.rego"))
    return Checkers(
        checkov=tool_path(root, "checkov"),
        conftest=tool_path(root, "conftest") if has_rego else None,
        policy_dir=policy_dir,
    )


def check_plans(tools: Checkers, plans: Mapping[str, Path]) -> dict[str, PolicyResult]:
    """Check each unit's plan JSON document (unit → tfplan.json); the result per unit."""
    from concurrent.futures import ThreadPoolExecutor

    if not plans:
        return {}
    by_path = {str(path.resolve()): unit for unit, path in plans.items()}
    ran = ["checkov"] + (["conftest"] if tools.conftest is not None else [])
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="policy") as pool:
        jobs = [pool.submit(_checkov, tools.checkov, list(by_path))]
        if tools.conftest is not None:
            jobs.append(pool.submit(_conftest, tools.conftest, tools.policy_dir, list(by_path)))
        found = [finding for job in jobs for finding in job.result()]
    results: dict[str, PolicyResult] = {}
    for unit, path in plans.items():
        mine = tuple(f for p, f in found if p == str(path.resolve()))
        results[unit] = PolicyResult(findings=mine, tools=tuple(ran))
    return results


def _checkov(checkov: Path, files: Sequence[str]) -> list[tuple[str, Finding]]:
    cmd: list[str] = [str(checkov), "--framework", "terraform_plan"]
    for path in files:
        cmd += ["-f", path]
    cmd += ["--check", ",".join(CHECKOV_CHECKS), "--output", "json", "--compact", "--quiet"]
    cmd += ["--skip-download", "--soft-fail"]
    done = proc.run(cmd, timeout=900)
    try:
        document = json.loads(done.stdout)
    except ValueError as exc:
        raise OperationError(f"checkov printed no JSON report: {done.stdout[-300:]!r}") from exc
    reports = document if isinstance(document, list) else [document]
    out = []
    for report in reports:
        for check in report.get("results", {}).get("failed_checks", []):
            out.append(
                (
                    str(Path(check["file_abs_path"]).resolve()),
                    Finding(
                        "checkov",
                        str(check["check_id"]),
                        str(check.get("resource_address") or check.get("resource", "")),
                        str(check.get("check_name", "")),
                    ),
                )
            )
    return out


def _conftest(conftest: Path, policy_dir: Path, files: Sequence[str]) -> list[tuple[str, Finding]]:
    cmd = [str(conftest), "test", "--policy", str(policy_dir), "--all-namespaces"]
    cmd += ["--output", "json", "--no-color", "--parser", "json", *files]
    # Exit 1 is both "a policy failed" and "a policy does not compile": the report tells.
    done = proc.run(cmd, timeout=300, check=False)
    try:
        reports = json.loads(done.stdout) if done.returncode in (0, 1) else None
    except ValueError:
        reports = None
    if not isinstance(reports, list):
        raise OperationError(
            f"conftest could not check the plans (exit {done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[-500:]}"
        )
    out = []
    for report in reports:
        path = str(Path(report["filename"]).resolve())
        for failure in report.get("failures") or []:
            message = str(failure.get("msg", ""))
            resource, _, _ = message.partition(": ")
            rule = str(report.get("namespace", "main"))
            out.append((path, Finding("conftest", rule, resource if _ else "", message)))
    return out


def check_units(tools: Checkers, plans: Path, results: dict[str, UnitResult]) -> list[str]:
    """Check the saved plan of every planned unit of `results` and record it beside the plan.

    Updates `results` in place (each checked unit carries its PolicyResult) and returns one
    error line per unit whose check failed. A unit whose plan JSON is missing fails.
    """
    from platformctl.run import terragrunt as tg
    from platformctl.run.results import NO_CHANGES, PLANNED

    units = [u for u, r in results.items() if r.status in (PLANNED, NO_CHANGES)]
    documents = {u: plans / u / tg.PLAN_JSON_FILE for u in units}
    present = {u: p for u, p in documents.items() if p.is_file()}
    checked = check_plans(tools, present)
    errors = []
    for unit in units:
        result = checked.get(unit) or PolicyResult(
            findings=(Finding("platformctl", "plan-json", unit, "no plan JSON to check"),)
        )
        record(plans / unit, result)
        results[unit] = with_policy(results[unit], result)
        if not result.passed:
            errors.append(f"{unit}: {len(result.findings)} policy check(s) failed.")
    return errors


def describe_checks(tools: Checkers | None) -> str:
    """One line saying what the policy checks run (for --dry-run)."""
    rego = f", conftest test --policy {POLICY_DIR}/" if tools is None or tools.conftest else ""
    return f"policy checks of each plan: checkov --framework terraform_plan{rego}"
