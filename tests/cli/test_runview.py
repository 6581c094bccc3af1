"""The live view and the summary table render on a terminal and on a plain stream."""

from __future__ import annotations

import io

from rich.console import Console

from platformctl.cli.runview import LiveUnits, print_summary
from platformctl.run.results import EnvResult, RunResult, UnitResult


def _result() -> RunResult:
    units = (
        UnitResult("vpc", "planned", add=3, duration_s=1.5, log="/r/vpc.log"),
        UnitResult(
            "eks", "failed", used_mock_outputs=True, log="/r/eks.log", error_tail="Error: boom"
        ),
        UnitResult("mesh", "skipped", log="/r/mesh.log"),
    )
    return RunResult("acme", "plan", "/r", (EnvResult("dev", "us-east-1", units),))


def test_live_view_on_a_plain_stream_prints_one_line_per_change() -> None:
    out = io.StringIO()
    view = LiveUnits(Console(file=out, width=120))
    view.begin("dev: plan", ["vpc", "eks"])
    view.update("vpc", "running")
    view.update("vpc", "running")
    view.update("vpc", "done")
    view.update("eks", "skipped")
    view.end()
    lines = out.getvalue().splitlines()
    assert lines[0] == "dev: plan: vpc, eks"
    assert lines[1:3] == ["  vpc: running", lines[2]] and lines[2].startswith("  vpc: done (")
    assert lines[3] == "  eks: skipped"


def test_live_view_on_a_terminal_draws_a_table() -> None:
    out = io.StringIO()
    view = LiveUnits(Console(file=out, width=120, force_terminal=True))
    view.begin("dev: plan", ["vpc", "eks"])
    view.update("vpc", "running")
    view.update("vpc", "done")
    view.end()
    assert "vpc" in out.getvalue() and "done" in out.getvalue()


def test_summary_shows_counts_mocks_and_failed_tails() -> None:
    out = io.StringIO()
    print_summary(Console(file=out, width=160), _result())
    text = out.getvalue()
    assert "dev (us-east-1)" in text and "planned" in text and "yes ⚠" in text
    assert "dev/eks failed; last lines (full log: /r/eks.log)" in text and "Error: boom" in text
    assert "Run directory: /r" in text
    assert not _result().ok
