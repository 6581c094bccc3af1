"""The full `tofu show -json` of saved plans: only when asked for, and beside the run.

Counts come from the plan files themselves (platformctl.run.planfile); the whole JSON
document is produced only for `plan-all --plan-json`, or for a plan file that cannot be
read in-process (an encrypted plan). `tofu show -json` needs the unit's initialised
working directory (its providers' schemas): terragrunt keeps it under the download dir
at <download-dir>/<base64url(sha1(unit dir))>/<source>/<module path>
(internal/tf/source.go, NewSource), the directory that holds `.terraform`.
The Exporter starts a unit's `tofu show -json` as soon as its plan is saved, while
terragrunt goes on with the units after it, so the document costs no time on the run's
critical path.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from platformctl import proc
from platformctl.errors import PlatformctlError
from platformctl.run import terragrunt as tg
from platformctl.run.planreport import PlanCounts, read_plan_json

if TYPE_CHECKING:
    from concurrent.futures import Future

_DATA_DIR = ".terraform"


def _encoded(path: Path) -> str:
    digest = hashlib.sha1(str(path).encode(), usedforsecurity=False).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def unit_workdir(download_dir: Path, unit_dir: Path) -> Path | None:
    """The unit's initialised OpenTofu working directory under terragrunt's download dir."""
    import os

    found: list[Path] = []
    for candidate in dict.fromkeys((unit_dir, unit_dir.resolve())):
        for top, dirs, _files in os.walk(download_dir / _encoded(candidate)):
            if _DATA_DIR in dirs:
                found.append(Path(top))
            dirs[:] = [d for d in dirs if not d.startswith(".")]
    if not found:
        return None
    return max(found, key=lambda p: (p / _DATA_DIR).stat().st_mtime)


def write_plan_json(
    tools: tg.Tools, unit_dir: Path, plan: Path, out: Path, env: Mapping[str, str]
) -> Path:
    """Write `tofu show -json` of `plan` (unit `unit_dir`) to `out`; OperationError if it fails."""
    from platformctl.errors import OperationError
    from platformctl.fsutil import write_atomic

    workdir = unit_workdir(tools.download_dir, unit_dir)
    if workdir is None:
        raise OperationError(
            f"no initialised working directory of {unit_dir.name} under {tools.download_dir}"
        )
    done = proc.run(
        [tools.tofu, "show", "-json", "-no-color", plan.resolve()],
        cwd=workdir,
        env=env,
        timeout=300,
    )
    write_atomic(out, done.stdout)
    return out


class Exporter:
    """`tofu show -json` of each unit's saved plan, started as soon as the plan is saved."""

    def __init__(
        self, tools: tg.Tools, stack: Path, plans: Path, env: Mapping[str, str], workers: int = 2
    ) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.tools = tools
        self.stack = stack
        self.plans = plans
        self.env = dict(env)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="plan-json")
        self._jobs: dict[str, Future[Path]] = {}
        self._lock = threading.Lock()

    def json_path(self, unit: str) -> Path:
        return self.plans / unit / tg.PLAN_JSON_FILE

    def submit(self, unit: str) -> None:
        with self._lock:
            if unit in self._jobs:
                return
            self._jobs[unit] = self._pool.submit(
                write_plan_json,
                self.tools,
                self.stack / unit,
                self.plans / unit / tg.PLAN_FILE,
                self.json_path(unit),
                self.env,
            )

    def counts(self, unit: str) -> PlanCounts | None:
        """The unit's counts from its JSON document (exported now if it was not yet)."""
        self.submit(unit)
        try:
            return read_plan_json(self._jobs[unit].result())
        except PlatformctlError:
            return None

    def finish(self, units: Sequence[str]) -> list[str]:
        """Export what is left of `units`, wait for all; the units whose export failed."""
        for unit in units:
            self.submit(unit)
        failed = []
        for unit, job in sorted(self._jobs.items()):
            try:
                job.result()
            except PlatformctlError:
                failed.append(unit)
        self._pool.shutdown()
        return failed


def plan_counts(
    tools: tg.Tools,
    stack: Path,
    plans: Path,
    units: Sequence[str],
    env: Mapping[str, str],
    exporter: Exporter | None = None,
) -> tuple[dict[str, PlanCounts | None], list[str]]:
    """Each unit's counts, read in-process from its plan file.

    A plan file that cannot be read here is counted from its `tofu show -json`. With an
    `exporter` (plan-all --plan-json) every unit's JSON is waited for; the units whose
    JSON could not be written come back second.
    """
    from platformctl.run.planfile import PlanFileError, read_counts

    requested = exporter is not None
    counts: dict[str, PlanCounts | None] = {}
    for unit in units:
        try:
            counts[unit] = read_counts(plans / unit / tg.PLAN_FILE)
        except PlanFileError:
            exporter = exporter or Exporter(tools, stack, plans, env)
            counts[unit] = exporter.counts(unit)
    failed = exporter.finish(units if requested else ()) if exporter is not None else []
    return counts, failed
