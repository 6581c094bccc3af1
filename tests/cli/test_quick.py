"""plan-all read without Typer (cli.quick): the same options, the same values, or Typer's turn."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from platformctl.cli import quick
from platformctl.cli.plan_run import PlanAllArgs
from tests.fixtures.repo import make_repo, run


def _typer_command() -> Any:
    import typer

    from platformctl.cli import build_app

    return typer.main.get_command(build_app("plan-all")).commands["plan-all"]  # type: ignore[attr-defined]


def _typer_reading(argv: list[str]) -> tuple[bool, PlanAllArgs]:
    """What the Typer app makes of `argv`: (verbose, plan-all's parameters)."""
    import typer

    from platformctl.cli import build_app
    from platformctl.cli.params import lighten

    group = typer.main.get_command(build_app("plan-all"))
    lighten(group)
    at = argv.index("plan-all")
    root = group.make_context("platformctl", [*argv[:at], "plan-all"], resilient_parsing=True)
    command = group.commands["plan-all"]  # type: ignore[attr-defined]
    ctx = command.make_context("plan-all", argv[at + 1 :], parent=root)
    return bool(root.params["verbose"]), PlanAllArgs(**ctx.params)


def test_the_option_table_is_the_typer_commands() -> None:
    command = _typer_command()
    declared = {}
    for param in command.params:
        if param.name == "help":
            continue
        names = tuple(sorted(param.opts + param.secondary_opts))
        annotation = param.type_descriptor.annotation
        if param.is_flag:
            kind = "flag"
        elif annotation is int and param.min == 1 and param.max is None:
            kind = "count"
        elif annotation is Path:
            kind = "file"
        else:
            assert annotation is str, param.name
            kind = "text"
        assert not param.multiple and param.envvar is None, param.name
        declared[param.name] = (names, kind)
    table = {opt.param: (tuple(sorted(opt.names)), opt.kind) for opt in quick.PLAN_ALL_OPTIONS}
    assert table == declared
    assert set(declared) == set(asdict(PlanAllArgs()))


@pytest.mark.parametrize(
    "argv",
    [
        ["plan-all"],
        ["plan-all", "--org", "ExampleOrg"],
        ["-v", "plan-all", "--org=ExampleOrg", "--env", "sandbox", "--json"],
        ["--verbose", "plan-all", "-e", "dev", "-p", "3", "--no-preflight", "--plan-json"],
        ["plan-all", "--parallelism=12", "--dry-run", "--changed", "--base", "origin/main"],
        ["plan-all", "--changed", "--base=HEAD~1", "--summary-md", "plan.md", "--org", "a=b"],
        ["plan-all", "--summary-md=out/plan.md", "--env=sandbox", "--org", "Ünïcode"],
        ["plan-all", "--org", "ExampleOrg", "--policy"],
        ["plan-all", "--no-policy", "--json"],
    ],
)
def test_what_it_reads_is_what_typer_reads(argv: list[str]) -> None:
    plain = quick.parse(argv)
    assert plain is not None
    assert (plain.verbose, plain.args) == _typer_reading(argv)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["render", "--org", "x"],
        ["plan-all", "--help"],
        ["plan-all", "-h"],
        ["--version", "plan-all"],
        ["plan-all", "-v"],  # -v belongs before the command
        ["plan-all", "--org"],  # a missing value
        ["plan-all", "--org", "--json"],  # click would take "--json" as the org
        ["plan-all", "--org", ""],
        ["plan-all", "--org", "a", "--org", "b"],  # repeated: click keeps the last
        ["plan-all", "-esandbox"],  # attached short option
        ["plan-all", "--or", "x"],  # abbreviated
        ["plan-all", "--json=1"],
        ["plan-all", "--policy", "--no-policy"],  # repeated: click keeps the last
        ["plan-all", "extra"],
        ["plan-all", "--", "--org"],
        ["plan-all", "--parallelism", "0"],
        ["plan-all", "--parallelism", "+3"],
        ["plan-all", "--parallelism", "1_000"],
        ["plan-all", "--base", "main"],  # --base without --changed
        ["plan-all", "--summary-md", "."],  # a directory
        ["graph", "plan-all"],
    ],
)
def test_anything_uncertain_is_left_to_typer(argv: list[str]) -> None:
    assert quick.parse(argv) is None


def test_a_completion_request_is_left_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["plan-all", "--org", "ExampleOrg"]
    assert quick.parse(argv) is not None
    monkeypatch.setenv(quick.COMPLETION_VARIABLE, "bash_complete")
    assert quick.parse(argv) is None


def test_errors_read_the_same_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(tmp_path)
    monkeypatch.setenv("PLATFORMCTL_ROOT", str(root))
    before = sorted(p.name for p in root.iterdir())
    # The same invocation, read by quick (--env sandbox) and by Typer (-esandbox).
    for bad in (["--org", "Not an org!"], ["--org", "ExampleOrg", "--env", "nope"]):
        env_word = bad[bad.index("--env") + 1] if "--env" in bad else "sandbox"
        head = [w for w in bad if w not in ("--env", env_word)]
        assert quick.parse(["plan-all", *head, "--env", env_word]) is not None
        assert quick.parse(["plan-all", *head, f"-e{env_word}"]) is None
        readings = [
            run(["plan-all", *head, "--env", env_word], capsys),
            run(["plan-all", *head, f"-e{env_word}"], capsys),
        ]
        assert readings[0] == readings[1]
        assert readings[0][0] == 2 and readings[0][2].startswith("error: ")
    assert sorted(p.name for p in root.iterdir()) == before  # bad input wrote nothing
