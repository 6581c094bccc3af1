"""Terragrunt command lines, environment and output, for `terragrunt run --all`.

Terragrunt is the executor: it walks the units in dependency order, in parallel where the
graph allows. platformctl chooses the scope (a stack directory and the units to include),
the flags and the environment, streams the output through `proc.stream`, and reads it
back: with `--log-format json` every line names the unit it belongs to, and the run report
(`--report-file`) gives each unit's final result.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from platformctl import proc

PLAN_FILE = "tfplan.tfplan"
PLAN_JSON_FILE = "tfplan.json"

# Terragrunt warns with this sentence when a dependency has no outputs yet (no state) and
# it hands the dependent the dependency block's mock_outputs instead
# (pkg/config/dependency.go, getTerragruntOutputIfAppliedElseConfiguredDefault).
MOCK_OUTPUTS_RE = re.compile(
    r"Config (?P<dependency>\S+) is a dependency of (?P<dependent>\S+) that has no outputs, "
    r"but mock outputs provided"
)

# Terragrunt 1.1.3 warns with this before it runs a unit's command again, once per retry,
# when the output matched a retry block of root.hcl's errors block (the block's name).
RETRY_RE = re.compile(
    r"^Encountered retryable error: (?P<rule>[^\n]+)\nAttempt (?P<attempt>\d+) of \d+\."
)


@dataclass(frozen=True)
class Invocation:
    """One terragrunt command: argv, working directory and the variables platformctl sets."""

    argv: tuple[str, ...]
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)

    def display(self) -> str:
        """The command as a person would type it (for --dry-run and logs)."""
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(self.env.items()))
        command = shlex.join(self.argv)
        return f"cd {shlex.quote(str(self.cwd))} && " + (
            f"{assignments} {command}" if assignments else command
        )


@dataclass(frozen=True)
class Tools:
    terragrunt: Path
    tofu: Path
    download_dir: Path
    plugin_cache_dir: Path


def environment(
    tools: Tools, extra: Mapping[str, str] | None = None, *, dry_run: bool = False
) -> dict[str, str]:
    """Variables for every terragrunt run: OpenTofu in automation, one shared plugin cache.

    `extra` (e.g. the sandbox endpoint) never overrides a variable the user exported, but
    PATH: extra's PATH is the user's with this platformctl's directory in front (see
    platformctl.run.scope.environment_for), so the units' hooks find the same platformctl.
    Unless a dry run, the download dir and plugin cache are made here, once the run is sure.
    """
    from platformctl.toolchain.providers import cli_config_env

    if not dry_run:
        tools.plugin_cache_dir.mkdir(parents=True, exist_ok=True)
        tools.download_dir.mkdir(parents=True, exist_ok=True)

    env = {
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "TF_PLUGIN_CACHE_DIR": str(tools.plugin_cache_dir),
    }
    # Our CLI configuration (plugin cache, provider mirror) unless the user has their own.
    env.update(cli_config_env(write=tools.plugin_cache_dir.is_dir()))
    for key, value in (extra or {}).items():
        if key not in os.environ or key == "PATH":
            env[key] = value
    return env


def run_all(
    tools: Tools,
    stack_dir: Path,
    command: Sequence[str],
    *,
    units: Sequence[str] | None = None,
    parallelism: int | None = None,
    out_dir: Path | None = None,
    json_out_dir: Path | None = None,
    report_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    independent: bool = False,
) -> Invocation:
    """`terragrunt run --all <command>` in `stack_dir`, limited to `units` when given.

    With `out_dir`, plan writes each unit's plan to <out_dir>/<unit>/tfplan.tfplan and
    apply applies exactly that file; `json_out_dir` adds the `tofu show -json` of it.
    `independent`: a unit runs even when a dependency failed (for commands that read).
    """
    argv: list[str] = [
        str(tools.terragrunt),
        "run",
        "--all",
        "--non-interactive",
        "--log-format",
        "json",
        "--no-color",
        "--no-tips",
        "--summary-disable",
        "--tf-path",
        str(tools.tofu),
        "--download-dir",
        str(tools.download_dir),
    ]
    if parallelism is not None:
        argv += ["--parallelism", str(parallelism)]
    for unit in units or ():
        argv += ["--queue-include-dir", unit]
    if independent:
        argv += ["--queue-ignore-errors"]
    if out_dir is not None:
        argv += ["--out-dir", str(out_dir)]
    if json_out_dir is not None:
        argv += ["--json-out-dir", str(json_out_dir)]
    if report_file is not None:
        argv += ["--report-file", str(report_file), "--report-format", "json"]
    argv += ["--", *command]
    return Invocation(tuple(argv), stack_dir, dict(env or {}))


@dataclass(frozen=True)
class LogEvent:
    """One line of terragrunt output: the unit it belongs to (None: the stack), level, text."""

    unit: str | None
    level: str
    message: str
    tf_command: str | None = None  # the OpenTofu subcommand the line comes from, if any


def unit_of(working_dir: str, stack_dir: Path) -> str | None:
    """The unit name of a log line's working dir (absolute, or relative to the stack)."""
    path = Path(working_dir)
    if path.is_absolute():
        try:
            path = path.relative_to(stack_dir)
        except ValueError:
            return None
    parts = [p for p in path.parts if p not in (".", "")]
    return parts[0] if parts and parts[0] != ".." else None


def parse_line(line: str, stack_dir: Path) -> LogEvent:
    """Read one line of `--log-format json` output; other lines belong to the stack."""
    if line.startswith("{"):
        try:
            data: Any = json.loads(line)
        except ValueError:
            data = None
        if isinstance(data, dict) and "msg" in data:
            wd = data.get("working-dir")
            unit = unit_of(wd, stack_dir) if isinstance(wd, str) else None
            args = data.get("tf-command-args")
            tf_command = str(args[0]) if isinstance(args, list) and args else None
            return LogEvent(unit, str(data.get("level", "info")), str(data["msg"]), tf_command)
    return LogEvent(None, "raw", line)


def mock_dependent(message: str, stack_dir: Path) -> str | None:
    """The unit that was handed mock outputs, if `message` is terragrunt's mock warning."""
    match = MOCK_OUTPUTS_RE.search(message)
    if match is None:
        return None
    return unit_of(str(Path(match.group("dependent")).parent), stack_dir)


def is_retry(message: str) -> bool:
    """Whether `message` is terragrunt announcing that it runs a unit's command again."""
    return RETRY_RE.match(message) is not None


@dataclass(frozen=True)
class ReportEntry:
    """A unit's line of terragrunt's run report."""

    unit: str
    result: str  # "succeeded", "failed", "early exit", "excluded"
    reason: str | None
    cause: str | None
    started: datetime | None
    ended: datetime | None

    @property
    def duration_s(self) -> float:
        if self.started is None or self.ended is None:
            return 0.0
        return max(0.0, (self.ended - self.started).total_seconds())


_FRACTION_RE = re.compile(r"(\.\d{6})\d+")


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    # Go writes nanoseconds and a Z; datetime wants at most microseconds.
    text = _FRACTION_RE.sub(r"\1", value).replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def read_report(path: Path, stack_dir: Path) -> dict[str, ReportEntry]:
    """Terragrunt's JSON run report, by unit name; empty when it was not written."""
    try:
        runs = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries: dict[str, ReportEntry] = {}
    for run in runs if isinstance(runs, list) else []:
        if not isinstance(run, dict):
            continue
        unit = unit_of(str(run.get("Name", "")), stack_dir)
        if unit is None:
            continue
        entries[unit] = ReportEntry(
            unit=unit,
            result=str(run.get("Result", "")),
            reason=run.get("Reason"),
            cause=run.get("Cause"),
            started=_timestamp(run.get("Started")),
            ended=_timestamp(run.get("Ended")),
        )
    return entries


def execute(
    invocation: Invocation,
    *,
    log_path: Path,
    on_event: Callable[[LogEvent], None],
    on_start: Callable[[proc.Streamed], None] | None = None,
) -> int:
    """Run an invocation to completion; every line goes to `log_path` and to `on_event`.

    Ctrl-C is forwarded by proc.stream (SIGINT, so OpenTofu releases its state locks);
    it then raises Interrupted. `on_start` gets the running terragrunt (see proc.stream).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a", encoding="utf-8") as log:
        log.write(f"$ {invocation.display()}\n")

    def on_line(line: str) -> None:
        on_event(parse_line(line, invocation.cwd))

    return proc.stream(
        list(invocation.argv),
        cwd=invocation.cwd,
        env=invocation.env,
        log_path=log_path,
        on_line=on_line,
        on_start=on_start,
    )
