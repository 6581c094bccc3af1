"""What a plan-all, deploy or destroy did: per-unit, per-environment and per-run results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

ALLOW_FLAG = "--allow-policy-failures"

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
class Finding:
    """One failed check: which tool, which rule, on which resource, and why."""

    tool: str  # "checkov" or "conftest"
    rule: str
    resource: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {
            "tool": self.tool,
            "rule": self.rule,
            "resource": self.resource,
            "message": self.message,
        }


@dataclass(frozen=True)
class PolicyResult:
    """The policy check of one unit's plan. `allowed`: applied anyway (--allow-policy-failures)."""

    findings: tuple[Finding, ...] = ()
    tools: tuple[str, ...] = ()
    allowed: bool = False

    @property
    def passed(self) -> bool:
        return not self.findings

    def describe(self) -> str:
        if self.passed:
            return "passed"
        return f"failed ({len(self.findings)})" + (
            f", allowed by {ALLOW_FLAG}" if self.allowed else ""
        )

    def allow(self) -> PolicyResult:
        """The same result, applied anyway (--allow-policy-failures)."""
        return replace(self, allowed=True)

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "tools": list(self.tools),
            "allowed": self.allowed,
            "failures": [f.to_json() for f in self.findings],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolicyResult:
        return cls(
            findings=tuple(
                Finding(str(f["tool"]), str(f["rule"]), str(f["resource"]), str(f["message"]))
                for f in data.get("failures", [])
            ),
            tools=tuple(str(t) for t in data.get("tools", [])),
            allowed=bool(data.get("allowed", False)),
        )


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
    retries: int = 0  # times terragrunt ran a command again after a transient error
    policy: PolicyResult | None = None  # the policy check of its saved plan (plan-all --policy)

    def to_json(self) -> dict[str, Any]:
        policy = {} if self.policy is None else {"policy": self.policy.to_json()}
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
            "retries": self.retries,
            **policy,
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
