"""What a plan-all, deploy or destroy did: per-unit, per-environment and per-run results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Final statuses of a unit in a result document.
PLANNED, NO_CHANGES, FAILED, SKIPPED, APPLIED, DESTROYED = (
    "planned",
    "no-changes",
    "failed",
    "skipped",
    "applied",
    "destroyed",
)
OK_STATUSES = frozenset({PLANNED, NO_CHANGES, APPLIED, DESTROYED})


@dataclass(frozen=True)
class UnitResult:
    name: str
    status: str
    add: int = 0
    change: int = 0
    replace: int = 0
    destroy: int = 0
    duration_s: float = 0.0
    used_mock_outputs: bool = False
    log: str = ""
    error_tail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "add": self.add,
            "change": self.change,
            "replace": self.replace,
            "destroy": self.destroy,
            "duration_s": round(self.duration_s, 2),
            "used_mock_outputs": self.used_mock_outputs,
            "log": self.log,
            "error_tail": self.error_tail,
        }


@dataclass(frozen=True)
class EnvResult:
    env: str
    region: str
    units: tuple[UnitResult, ...]

    @property
    def ok(self) -> bool:
        return all(u.status in OK_STATUSES for u in self.units)

    def to_json(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "region": self.region,
            "ok": self.ok,
            "units": [u.to_json() for u in self.units],
        }


@dataclass(frozen=True)
class RunResult:
    """What one plan-all / deploy / destroy did, per environment and unit."""

    org: str
    command: str
    run_dir: str
    environments: tuple[EnvResult, ...]
    interrupted: bool = False
    aborted: bool = False
    dry_run: bool = False
    commands: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return (
            not self.interrupted
            and not self.aborted
            and not self.errors
            and all(e.ok for e in self.environments)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "command": self.command,
            "ok": self.ok,
            "run_dir": self.run_dir,
            "environments": [e.to_json() for e in self.environments],
            "errors": list(self.errors),
        }
