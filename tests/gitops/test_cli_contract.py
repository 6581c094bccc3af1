"""Every `platformctl …` command in the workflows must exist in the CLI with those flags,
so the workflows and the CLI cannot drift apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from platformctl.cli import app
from tests.gitops import contract

FILES = contract.workflow_files() + contract.action_files()
INVOCATIONS = contract.invocations(FILES)


@pytest.fixture(scope="module")
def cli() -> Any:
    return typer.main.get_command(app)


def test_workflows_call_the_commands_they_are_built_on() -> None:
    paths = {" ".join(a for a in inv.args[:2] if not a.startswith("-")) for inv in INVOCATIONS}
    firsts = {inv.args[0] for inv in INVOCATIONS if inv.args}
    assert {"render", "plan-all", "deploy", "destroy", "doctor", "tools"} <= firsts, firsts
    assert "tools install" in paths, paths


@pytest.mark.parametrize(
    "invocation",
    INVOCATIONS,
    ids=[f"{i.step.file}:{i.step.job}:{i.step.name}" for i in INVOCATIONS],
)
def test_invocation_matches_the_cli(cli: Any, invocation: contract.Invocation) -> None:
    problems = contract.check(cli, invocation)
    assert not problems, "\n".join(problems)


# The checker itself, on small inputs against the real CLI.


def _write(tmp_path: Path, run: str) -> list[contract.Invocation]:
    workflow = tmp_path / ".github" / "workflows" / "w.yml"
    workflow.parent.mkdir(parents=True)
    doc = {"on": "push", "jobs": {"j": {"steps": [{"name": "the step", "run": run}]}}}
    import yaml

    workflow.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return contract.invocations([workflow], tmp_path)


def test_unknown_flag_names_workflow_step_and_flag(tmp_path: Path, cli: Any) -> None:
    (inv,) = _write(tmp_path, 'platformctl render --org "$ORG" --chek\n')
    problems = contract.check(cli, inv)
    assert len(problems) == 1
    message = problems[0]
    assert ".github/workflows/w.yml" in message
    assert "job 'j', step 'the step'" in message
    assert "has no option '--chek'" in message
    assert "--check" in message  # the known options are listed


def test_unknown_command_is_named(tmp_path: Path, cli: Any) -> None:
    (inv,) = _write(tmp_path, "platformctl rendr --org x\n")
    (message,) = contract.check(cli, inv)
    assert "has no command 'rendr'" in message and "render" in message


def test_continuations_expressions_and_operators(tmp_path: Path) -> None:
    run = (
        "set -euo pipefail\n"
        "platformctl render --org ${{ vars.ORG_NAME }} \\\n"
        "  --env ${{ matrix.env }} --check > out.txt && echo ok\n"
        "cat x | platformctl doctor --offline; VAR=1 exec platformctl doctor --json\n"
        "echo 'platformctl is not called here' # platformctl neither\n"
    )
    found = [inv.args for inv in _write(tmp_path, run)]
    assert found == [
        ("render", "--org", contract.EXPR, "--env", contract.EXPR, "--check"),
        ("doctor", "--offline"),
        ("doctor", "--json"),
    ]


def test_heredoc_bodies_are_not_commands(tmp_path: Path) -> None:
    run = "python3 - <<'PY'\nplatformctl render --bogus\nPY\nplatformctl doctor --offline\n"
    assert [inv.args for inv in _write(tmp_path, run)] == [("doctor", "--offline")]


def test_option_value_and_bool_flag_shapes(tmp_path: Path, cli: Any) -> None:
    (ok,) = _write(tmp_path / "a", "platformctl render --org=ExampleOrg --env sandbox --check\n")
    assert contract.check(cli, ok) == []
    (missing,) = _write(tmp_path / "b", "platformctl render --org\n")
    (message,) = contract.check(cli, missing)
    assert "option '--org' needs a value" in message
    (extra,) = _write(tmp_path / "c", "platformctl render --org x stray\n")
    (message,) = contract.check(cli, extra)
    assert "takes no further argument" in message and "stray" in message
