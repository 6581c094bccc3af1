"""Supply-chain and safety rules of the workflows: pinned actions, timeouts, least privilege."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.gitops import contract

WORKFLOWS = contract.workflow_files()
ACTIONS = contract.action_files()
EVERY_FILE = WORKFLOWS + ACTIONS
_USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>.*))?$")
_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
_VERSION = re.compile(r"^v\d+(\.\d+){0,2}$")


def _ids(paths: list[Path]) -> list[str]:
    return [p.name if p.parent.name == "workflows" else f"{p.parent.name}/{p.name}" for p in paths]


def _jobs(path: Path) -> dict[str, dict[str, Any]]:
    return contract.load(path).get("jobs") or {}


def _all_steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    if "jobs" in doc:
        return [step for job in doc["jobs"].values() for step in job.get("steps") or []]
    return list((doc.get("runs") or {}).get("steps") or [])


def _uses(job: dict[str, Any]) -> list[str]:
    return [str(step["uses"]) for step in job.get("steps") or [] if "uses" in step]


def test_there_are_workflows_for_the_whole_flow() -> None:
    names = {p.stem for p in WORKFLOWS}
    assert {"validate-plan", "apply", "destroy", "drift"} <= names, names


@pytest.mark.parametrize("path", EVERY_FILE, ids=_ids(EVERY_FILE))
def test_third_party_actions_are_pinned_by_sha_with_version(path: Path) -> None:
    lines = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = _USES_LINE.match(line)
        if match:
            lines[number] = (match["ref"].strip("'\""), (match["comment"] or "").strip())
    parsed = [str(step["uses"]) for step in _all_steps(contract.load(path)) if "uses" in step]
    assert sorted(ref for ref, _ in lines.values()) == sorted(parsed), "a `uses:` line was not read"
    problems = []
    for number, (ref, comment) in sorted(lines.items()):
        if ref.startswith("./"):
            continue  # an action of this repository
        if not _PINNED.match(ref):
            problems.append(
                f"{path.name}:{number}: {ref} is not pinned by a full 40-hex commit SHA"
            )
        elif not _VERSION.match(comment.split()[0] if comment else ""):
            problems.append(f"{path.name}:{number}: {ref} has no version comment like '# v1.2.3'")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", WORKFLOWS, ids=_ids(WORKFLOWS))
def test_every_job_has_a_timeout(path: Path) -> None:
    missing = [name for name, job in _jobs(path).items() if "timeout-minutes" not in job]
    assert not missing, f"{path.name}: jobs without timeout-minutes: {missing}"
    for name, job in _jobs(path).items():
        timeout = job["timeout-minutes"]
        assert isinstance(timeout, int) and 0 < timeout <= 360, f"{path.name}: {name}: {timeout}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=_ids(WORKFLOWS))
def test_permissions_are_least_privilege(path: Path) -> None:
    doc = contract.load(path)
    top = doc.get("permissions")
    assert isinstance(top, dict), f"{path.name}: declare `permissions:` at workflow level"
    assert all(v in ("read", "none") for v in top.values()), (
        f"{path.name}: workflow-level writes {top}"
    )
    for name, job in _jobs(path).items():
        perms = job.get("permissions", top)
        assert isinstance(perms, dict), f"{path.name}: {name}: permissions must be a mapping"
        writes = {k for k, v in perms.items() if v == "write"}
        uses = " ".join(_uses(job))
        expected = set()
        if "aws-actions/configure-aws-credentials@" in uses:
            expected.add("id-token")
        if "sticky-pull-request-comment@" in uses:
            expected.add("pull-requests")
        if "actions/github-script@" in uses and path.stem == "drift":
            expected.add("issues")
        assert writes == expected, (
            f"{path.name}: job {name} writes {sorted(writes)}, needs {sorted(expected)}"
        )


@pytest.mark.parametrize("name", ["apply", "destroy"])
def test_changes_run_one_at_a_time_per_environment_behind_an_environment(name: str) -> None:
    path = next(p for p in WORKFLOWS if p.stem == name)
    assuming = {
        job_id: job
        for job_id, job in _jobs(path).items()
        if any("configure-aws-credentials@" in u for u in _uses(job))
    }
    assert assuming, f"{name}: no job assumes the AWS role"
    for job_id, job in assuming.items():
        assert "environment" in job, f"{name}: {job_id} must run in a GitHub environment"
        concurrency = job.get("concurrency")
        assert isinstance(concurrency, dict), f"{name}: {job_id} needs a concurrency group"
        assert concurrency.get("cancel-in-progress") is False, f"{name}: {job_id} may not cancel"
        assert "platform-${{" in concurrency["group"], f"{name}: {job_id} group is per environment"


def test_destroy_needs_a_typed_confirmation_equal_to_the_environment() -> None:
    path = next(p for p in WORKFLOWS if p.stem == "destroy")
    doc = contract.load(path)
    inputs = contract.triggers(doc)["workflow_dispatch"]["inputs"]
    assert {"environment", "confirm"} <= set(inputs)
    assert set(contract.triggers(doc)) == {"workflow_dispatch"}, "destroy runs only by hand"
    destroy = _jobs(path)["destroy"]
    assert "inputs.confirm == inputs.environment" in destroy["if"]
    guard = " ".join(step.get("run", "") for step in _jobs(path)["confirm"]["steps"])
    assert '"$CONFIRM" != "$TARGET"' in guard and "exit 1" in guard


def test_plans_reach_the_job_summary_and_one_sticky_comment_per_environment() -> None:
    path = next(p for p in WORKFLOWS if p.stem == "validate-plan")
    steps = _jobs(path)["plan"]["steps"]
    runs = " ".join(step.get("run", "") for step in steps)
    assert "$GITHUB_STEP_SUMMARY" in runs
    sticky = [s for s in steps if "sticky-pull-request-comment@" in s.get("uses", "")]
    assert len(sticky) == 1
    assert "matrix.env" in sticky[0]["with"]["header"], "one comment per environment"
