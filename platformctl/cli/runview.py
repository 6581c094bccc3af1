"""The live view of a run (one line per unit) and the per-unit summary table.

rich is imported on first use: plan-all shows the live view once terragrunt runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console, Group
    from rich.live import Live
    from rich.table import Table
    from rich.text import Text

    from platformctl.run.results import RunResult

_STYLES = {
    "waiting": "dim",
    "running": "bold cyan",
    "retrying": "bold yellow",
    "done": "green",
    "failed": "bold red",
    "skipped": "yellow",
    "planned": "cyan",
    "no-changes": "green",
    "applied": "green",
    "destroyed": "magenta",
}


class LiveUnits:
    """UnitProgress on a console: a live table on a terminal, one line per change otherwise."""

    def __init__(self, console: Console | Callable[[], Console]) -> None:
        self._console = console
        self.title = ""
        self.units: list[str] = []
        self.states: dict[str, str] = {}
        self.started: dict[str, float] = {}
        self.ended: dict[str, float] = {}
        self.lock = threading.Lock()
        self.live: Live | None = None

    @property
    def console(self) -> Console:
        if callable(self._console):
            self._console = self._console()
        return self._console

    @property
    def interactive(self) -> bool:
        return self.console.is_terminal

    def _render(self) -> Table:
        from rich.table import Table
        from rich.text import Text

        table = Table(
            title=self.title, title_justify="left", show_header=False, box=None, padding=(0, 2)
        )
        now = time.monotonic()
        for unit in self.units:
            state = self.states[unit]
            elapsed = ""
            if unit in self.started:
                elapsed = f"{(self.ended.get(unit, now) - self.started[unit]):.1f}s"
            table.add_row(Text(unit), Text(state, style=_STYLES.get(state, "")), elapsed)
        return table

    def begin(self, title: str, units: Sequence[str]) -> None:
        with self.lock:
            self.title, self.units = title, list(units)
            self.states = dict.fromkeys(units, "waiting")
            self.started, self.ended = {}, {}
            if self.interactive:
                from rich.live import Live

                self.live = Live(
                    self._render(),
                    console=self.console,
                    refresh_per_second=4,
                    transient=False,
                    get_renderable=self._render,
                )
                self.live.start()
            else:
                from rich.markup import escape

                self.console.print(
                    f"[bold]{escape(title)}[/]: {escape(', '.join(units))}", highlight=False
                )

    def update(self, unit: str, state: str) -> None:
        with self.lock:
            if unit not in self.states or self.states[unit] == state:
                return
            now = time.monotonic()
            if state == "running":
                self.started.setdefault(unit, now)
            if state in ("running", "retrying"):
                self.ended.pop(unit, None)
            elif state in ("done", "failed", "skipped"):
                self.ended[unit] = now
            self.states[unit] = state
            if not self.interactive:
                elapsed = ""
                if unit in self.started and unit in self.ended:
                    elapsed = f" ({self.ended[unit] - self.started[unit]:.1f}s)"
                from rich.text import Text

                self.console.print(Text(f"  {unit}: {state}{elapsed}"), highlight=False)

    def end(self) -> None:
        with self.lock:
            if self.live is not None:
                self.live.stop()
                self.live = None


def summary_table(result: RunResult) -> Group:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[Table | Text] = []
    for env in result.environments:
        table = Table(title=f"{env.env} ({env.region})", title_justify="left")
        # The retries column appears only when a transient error made terragrunt run again.
        retried = any(u.retries for u in env.units)
        # The policy column appears only when the plans were checked (--policy).
        checked = any(getattr(u, "policy", None) for u in env.units)
        for column in (
            "unit",
            "status",
            "add",
            "change",
            "replace",
            "destroy",
            "duration",
            "mock outputs",
            *(("retries",) if retried else ()),
            *(("policy",) if checked else ()),
        ):
            table.add_column(
                column,
                justify="right"
                if column in ("add", "change", "replace", "destroy", "duration")
                else "left",
            )
        for unit in env.units:
            table.add_row(
                Text(unit.name),
                Text(unit.status, style=_STYLES.get(unit.status, "")),
                str(unit.add),
                str(unit.change),
                str(unit.replace),
                str(unit.destroy),
                f"{unit.duration_s:.1f}s",
                Text("yes ⚠", style="yellow") if unit.used_mock_outputs else Text("no"),
                *((Text(retry_label(unit.retries), style="yellow"),) if retried else ()),
                *((policy_label(unit),) if checked else ()),
            )
        if not env.units:
            parts.append(Text(f"{env.env}: no units in scope.", style="dim"))
        else:
            parts.append(table)
        for unit in env.units:
            if unit.status == "failed":
                parts.append(
                    Text(
                        f"\n{env.env}/{unit.name} failed; last lines (full log: {unit.log}):",
                        style="bold red",
                    )
                )
                parts.append(Text(unit.error_tail or "(no output)", style="dim"))
    if any(u.used_mock_outputs for e in result.environments for u in e.units):
        parts.append(
            Text(
                "⚠ mock outputs: a dependency has no state yet, so its mock outputs were used; "
                "deploy plans such a unit again once the dependency is applied.",
                style="yellow",
            )
        )
    if result.run_dir:
        parts.append(Text(f"Run directory: {result.run_dir}", style="dim"))
    return Group(*parts)


def retry_label(retries: int) -> str:
    """How a unit's retries read in the summaries ("" when it needed none)."""
    return f"retried {retries}×" if retries else ""


def policy_label(unit: object) -> Text:
    """A unit's policy check as the summary table shows it (run.results.PolicyResult)."""
    from rich.text import Text

    policy = getattr(unit, "policy", None)
    if policy is None:
        return Text("—", style="dim")
    return Text(policy.describe(), style="green" if policy.passed else "bold red")


def print_summary(console: Console, result: RunResult) -> None:
    console.print(summary_table(result))
