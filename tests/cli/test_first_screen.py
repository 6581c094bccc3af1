"""What a user sees first: the bare command, -v anywhere, examples in every group's help,
and output to a log (no terminal) that keeps identifiers whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    return subprocess.run(
        [sys.executable, "-m", "platformctl", *args],
        cwd=REPO,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_bare_command_prints_the_help() -> None:
    done = _run()
    assert done.returncode == 2  # as click does for a group without a command
    assert done.stdout.startswith("Usage: platformctl [OPTIONS] COMMAND [ARGS]...")
    assert "Commands:" in done.stdout and "plan-all" in done.stdout
    assert "error:" not in done.stderr


@pytest.mark.parametrize("flag", ["-v", "--verbose"])
def test_verbose_is_accepted_after_the_command(flag: str) -> None:
    done = _run("render", "--org", "x", flag)
    assert done.returncode == 2
    assert "No such option" not in done.stderr
    assert "Traceback" in done.stderr  # -v shows it
    assert "--org 'x' is invalid" in done.stderr


@pytest.mark.parametrize("group", ["tools", "sandbox", "train", "chart"])
def test_every_group_help_has_examples(group: str) -> None:
    done = _run(group, "--help")
    assert done.returncode == 0
    assert "Examples:" in done.stdout
    assert (
        f"platformctl {group} " in done.stdout or f"platformctl --offline {group} " in done.stdout
    )


def test_output_to_a_log_keeps_identifiers_whole(tmp_path: Path) -> None:
    cache = tmp_path / ("a-cache-directory-with-a-long-name-" + "x" * 40)
    binary = cache / "tools/terragrunt/1.1.3/bin/terragrunt"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\necho 'terragrunt version v1.1.3'\n")
    binary.chmod(0o755)
    done = _run("doctor", "--offline", env={"PLATFORMCTL_CACHE": str(cache)})
    assert str(binary) in done.stdout  # whole, on one line: not cut, not folded
    assert "…" not in done.stdout


def test_columns_is_honoured_without_a_terminal() -> None:
    done = _run("doctor", "--offline", env={"COLUMNS": "100"})
    assert done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 100
