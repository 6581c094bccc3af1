"""The run directory: .platformctl/runs/<timestamp>-<command>/ with every log of one run.

Layout: <env>/<unit>.log (that unit's lines of every phase), <env>/terragrunt-<phase>.log
(terragrunt's raw output), <env>/<phase>.report.json (terragrunt's run report),
<env>/plans/<phase>/<unit>/tfplan.tfplan (and tfplan.json, its `tofu show -json`, with
plan-all --plan-json), summary.json (the result document) and timings.json (when this
process started and when each terragrunt run was started, as Unix times, and the
difference: how long platformctl took to reach terragrunt).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from platformctl.fsutil import write_atomic
from platformctl.paths import state_dir

RUNS_DIR = "runs"


@dataclass(frozen=True)
class RunDir:
    path: Path

    def env_dir(self, env: str) -> Path:
        return self.path / env

    def unit_log(self, env: str, unit: str) -> Path:
        return self.path / env / f"{unit}.log"

    def terragrunt_log(self, env: str, phase: str) -> Path:
        return self.path / env / f"terragrunt-{phase}.log"

    def report_file(self, env: str, phase: str) -> Path:
        return self.path / env / f"{phase}.report.json"

    def plans_dir(self, env: str, phase: str) -> Path:
        return self.path / env / "plans" / phase

    def record_start(self, label: str, at: float) -> None:
        """Note that terragrunt `label` (e.g. "sandbox/plan") was started at Unix time `at`."""
        path = self.path / "timings.json"
        try:
            timings: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            timings = {"process_started": process_started_at()}
        timings.setdefault("terragrunt_started", {})[label] = at
        began = timings.get("process_started")
        if isinstance(began, float):
            timings.setdefault("terragrunt_started_after_s", {})[label] = round(at - began, 3)
        write_atomic(path, json.dumps(timings, indent=2, sort_keys=True) + "\n")

    def write_summary(self, document: dict[str, Any]) -> Path:
        path = self.path / "summary.json"
        write_atomic(path, json.dumps(document, indent=2, sort_keys=True) + "\n")
        return path


def process_started_at() -> float | None:
    """Unix time this process started (Linux: /proc/self/stat, to 1/CLK_TCK s), else None."""
    try:
        fields = Path("/proc/self/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # starttime, the 22nd field: clock ticks after boot
        since_boot = ticks / os.sysconf("SC_CLK_TCK")
        return time.time() - (time.clock_gettime(time.CLOCK_BOOTTIME) - since_boot)
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def new_run(root: Path, command: str, *, now: float | None = None) -> RunDir:
    """Create a fresh run directory (a second run in the same second gets a suffix)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now if now is not None else time.time()))
    base = state_dir(root) / RUNS_DIR
    base.mkdir(parents=True, exist_ok=True)
    for attempt in range(1000):
        name = f"{stamp}-{command}" + (f"-{attempt}" if attempt else "")
        try:
            (base / name).mkdir()
        except FileExistsError:
            continue
        return RunDir(base / name)
    raise RuntimeError(f"could not create a run directory under {base}")


class UnitLogs:
    """Per-unit log files of one environment, opened on first use and closed together."""

    def __init__(self, run: RunDir, env: str) -> None:
        self.run = run
        self.env = env
        self._files: dict[str, IO[str]] = {}

    def write(self, unit: str, text: str) -> None:
        handle = self._files.get(unit)
        if handle is None:
            path = self.run.unit_log(self.env, unit)
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("a", encoding="utf-8")
            self._files[unit] = handle
        handle.write(text if text.endswith("\n") else text + "\n")
        handle.flush()

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()
