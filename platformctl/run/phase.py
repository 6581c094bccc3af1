"""One `terragrunt run --all` phase: run it, follow its log lines, and say what happened to each unit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from platformctl.errors import Interrupted
from platformctl.model.graph import Graph
from platformctl.run import terragrunt as tg
from platformctl.run.results import (
    FAILED,
    SKIPPED,
)
from platformctl.run.runs import RunDir, UnitLogs

if TYPE_CHECKING:
    from platformctl.proc import Streamed


# Live states shown while terragrunt runs.
WAITING, RUNNING, DONE, RETRYING = "waiting", "running", "done", "retrying"
TAIL_LINES = 15


class UnitProgress(Protocol):
    """The live view: one line per unit (waiting / running / done / failed / skipped)."""

    def begin(self, title: str, units: Sequence[str]) -> None: ...

    def update(self, unit: str, state: str) -> None: ...

    def end(self) -> None: ...


class NoProgress:
    def begin(self, title: str, units: Sequence[str]) -> None:
        del title, units

    def update(self, unit: str, state: str) -> None:
        del unit, state

    def end(self) -> None:
        pass


@dataclass
class _UnitTrack:
    state: str = WAITING
    started: float | None = None
    ended: float | None = None
    tail: list[str] = field(default_factory=list)
    # The first "Error:" OpenTofu printed and the lines after it: the cause, which the
    # plain tail often misses (output after the error pushes it out).
    error: list[str] = field(default_factory=list)
    retries: int = 0

    def add(self, lines: list[str]) -> None:
        self.tail = (self.tail + lines)[-TAIL_LINES:]
        for line in lines:
            starts = not self.error and line.lstrip().startswith("Error:")
            if starts or 0 < len(self.error) < TAIL_LINES:
                self.error.append(line)

    def summary(self) -> str:
        return "\n".join(self.error or self.tail)


@dataclass(frozen=True)
class PhaseOutcome:
    """What one `terragrunt run --all` did to each unit of its scope."""

    results: Mapping[str, str]  # unit -> "succeeded" | "failed" | "skipped"
    mocked: frozenset[str]
    tails: Mapping[str, str]
    durations: Mapping[str, float]
    interrupted: bool
    returncode: int
    stack_tail: str
    retries: Mapping[str, int] = field(default_factory=dict)  # unit -> commands run again


_DONE_MARKERS = {
    "plan": ("Saved the plan to:",),
    "apply": ("Apply complete!",),
    "destroy": ("Destroy complete!",),
}
_FAIL_MARKERS = ("Planning failed.", "Error: ")


class _Phase:
    def __init__(
        self,
        *,
        stack: Path,
        graph: Graph,
        units: Sequence[str],
        kind: str,
        logs: UnitLogs,
        progress: UnitProgress,
        on_done: Callable[[str], None] | None = None,
    ) -> None:
        self.stack = stack
        self.graph = graph
        self.units = list(units)
        self.kind = kind
        self.logs = logs
        self.progress = progress
        self.tracks = {u: _UnitTrack() for u in units}
        self.mocked: set[str] = set()
        self.stack_tail: list[str] = []
        self.lock = threading.Lock()
        self.on_done = on_done

    def _set(self, unit: str, state: str) -> None:
        track = self.tracks[unit]
        if track.state == state:
            return
        now = time.monotonic()
        if state == RUNNING and track.started is None:
            track.started = now
        if state in (RUNNING, RETRYING):
            track.ended = None
        if state in (DONE, FAILED, SKIPPED):
            track.ended = now
        track.state = state
        self.progress.update(unit, state)
        if state == DONE and self.on_done is not None:
            self.on_done(unit)

    def on_event(self, event: tg.LogEvent) -> None:
        with self.lock:
            dependent = tg.mock_dependent(event.message, self.stack)
            if dependent in self.tracks:
                self.mocked.add(dependent)
            unit = event.unit
            lines = [line for line in event.message.splitlines() if line.strip()]
            if unit not in self.tracks:
                self.stack_tail = (self.stack_tail + lines)[-TAIL_LINES:]
                return
            self.logs.write(unit, event.message.rstrip("\n"))
            track = self.tracks[unit]
            track.add(lines)
            # Discovery logs about a unit (config parsing, mock outputs) before it runs;
            # it is running once OpenTofu or one of its hooks is.
            starting = event.tf_command is not None or event.message.startswith("Executing hook")
            if track.state in (WAITING, RETRYING) and starting:
                self._set(unit, RUNNING)
            if tg.is_retry(event.message):
                self._retry(unit)
            elif any(m in event.message for m in _DONE_MARKERS.get(self.kind, ())):
                self._set(unit, DONE)
            elif event.level in ("stderr", "error", "stdout") and any(
                m in event.message for m in _FAIL_MARKERS
            ):
                self._set(unit, FAILED)
                for dependent_unit in self.graph.dependents(unit):
                    if (
                        dependent_unit in self.tracks
                        and self.tracks[dependent_unit].state == WAITING
                    ):
                        self._set(dependent_unit, SKIPPED)

    def _retry(self, unit: str) -> None:
        """The failure just shown was transient: the unit runs again, its dependents wait again."""
        self.tracks[unit].retries += 1
        self._set(unit, RETRYING)
        for dependent_unit in self.graph.dependents(unit):
            track = self.tracks.get(dependent_unit)
            if (
                track is not None
                and track.state == SKIPPED
                and not any(
                    self.tracks[d].state == FAILED
                    for d in self.graph.dependencies(dependent_unit)
                    if d in self.tracks
                )
            ):
                self._set(dependent_unit, WAITING)


def run_phase(
    *,
    tools: tg.Tools,
    stack: Path,
    graph: Graph,
    units: Sequence[str],
    kind: str,
    command: Sequence[str],
    run: RunDir,
    env_name: str,
    phase: str,
    logs: UnitLogs,
    progress: UnitProgress,
    env: Mapping[str, str],
    parallelism: int | None,
    plans: Path | None = None,
    on_done: Callable[[str], None] | None = None,
    on_start: Callable[[Streamed], None] | None = None,
) -> PhaseOutcome:
    """Run one `terragrunt run --all` over `units` and return each unit's result."""
    report = run.report_file(env_name, phase)
    invocation = tg.run_all(
        tools,
        stack,
        command,
        units=units,
        parallelism=parallelism,
        out_dir=plans,
        report_file=report,
        env=env,
    )
    watcher = _Phase(
        stack=stack,
        graph=graph,
        units=units,
        kind=kind,
        logs=logs,
        progress=progress,
        on_done=on_done,
    )
    for unit in units:
        logs.write(unit, f"=== {phase}: {' '.join(command)} ===")
    progress.begin(f"{env_name}: {phase}", units)
    interrupted = False
    code = 1
    try:
        code = tg.execute(
            invocation,
            log_path=run.terragrunt_log(env_name, phase),
            on_event=watcher.on_event,
            on_start=on_start,
        )
    except (Interrupted, KeyboardInterrupt):
        interrupted = True
    finally:
        entries = tg.read_report(report, stack)
        results: dict[str, str] = {}
        durations: dict[str, float] = {}
        with watcher.lock:
            for unit in units:
                track = watcher.tracks[unit]
                entry = entries.get(unit)
                if entry is not None and entry.result == "succeeded":
                    result = "succeeded"
                elif entry is not None and entry.result == "failed":
                    result = "failed"
                elif entry is not None:
                    result = "skipped"  # early exit (a dependency failed) or excluded
                elif track.state in (RUNNING, DONE, FAILED) and (interrupted or code != 0):
                    result = "failed"
                elif track.state == DONE:
                    result = "succeeded"
                else:
                    result = "skipped"
                results[unit] = result
                # The report's times leave out init; the stream's include it.
                seen = (track.ended or time.monotonic()) - track.started if track.started else 0.0
                durations[unit] = max(seen, entry.duration_s if entry is not None else 0.0)
                watcher._set(unit, {"succeeded": DONE, "failed": FAILED}.get(result, SKIPPED))
            if code != 0 and not interrupted and "failed" not in results.values():
                # terragrunt failed before any unit ran (configuration, discovery): every
                # unit of the scope failed, and the stack's own output says why.
                for unit in units:
                    results[unit] = "failed"
                    watcher.tracks[unit].tail = watcher.stack_tail
        progress.end()
    return PhaseOutcome(
        results=results,
        mocked=frozenset(watcher.mocked),
        tails={u: watcher.tracks[u].summary() for u in units},
        durations=durations,
        interrupted=interrupted,
        returncode=code,
        stack_tail="\n".join(watcher.stack_tail),
        retries={u: watcher.tracks[u].retries for u in units if watcher.tracks[u].retries},
    )
