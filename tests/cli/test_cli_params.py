"""Typer's coercion, lightened: plain string options import no pydantic; checks are typer's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.repo import make_repo

_PROBE = """
import sys
from platformctl.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    print("exit", exc.code, "pydantic" in sys.modules, file=sys.stderr)
"""


def _run(root: Path, *args: str) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=root,
        env={**os.environ, "PLATFORMCTL_ROOT": str(root), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return done.stdout, done.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


def test_plain_string_options_need_no_pydantic(repo: Path) -> None:
    _out, err = _run(repo, "render", "--org", "ExampleOrg", "--env", "dev")
    assert err.strip().endswith("exit 0 False"), err


def test_every_other_value_goes_through_typers_own_checks(repo: Path) -> None:
    for args, message in (
        (("--parallelism", "0"), "greater than or equal to 1"),
        (("--parallelism", "two"), "valid integer"),
        (("--summary-md", str(repo)), "is a directory"),
    ):
        _out, err = _run(repo, "plan-all", "--org", "ExampleOrg", "--dry-run", *args)
        assert message in err and err.strip().endswith("exit 2 True"), err


def test_every_parameter_of_the_app_is_lightened() -> None:
    import typer

    from platformctl.cli import app
    from platformctl.cli.params import lighten

    command = typer.main.get_command(app)
    assert lighten(command) > 100
    assert lighten(command) == 0  # nothing left to do the second time
