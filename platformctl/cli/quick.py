"""A plain `plan-all` read without Typer: its options, or None to let Typer parse it.

plan-all is the command people and CI run most, and on a sub-second `terragrunt run --all
plan` Typer's import alone is a fifth of what platformctl may add. This reader knows
plan-all's options exactly (tests/cli/test_quick.py holds them against the Typer command,
name by name and value by value) and takes only invocations whose meaning is certain:
long options, spelled in full, each at most once, with plain values. Anything else (help,
an unknown, abbreviated, repeated or attached option, a value Typer would refuse or
convert, --base without --changed) goes to Typer, so every message, usage error and exit
code stays the Typer app's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformctl.cli.plan_run import PlanAllArgs

COMMAND = "plan-all"
# Set by a shell asking for completions: that request is the Typer app's to answer.
COMPLETION_VARIABLE = "_PLATFORMCTL_COMPLETE"


@dataclass(frozen=True)
class Opt:
    """One option of the command: its spellings, the parameter it sets, and its kind."""

    names: tuple[str, ...]
    param: str
    kind: str  # "flag", "text", "count" (an int >= 1) or "file" (a path, not a directory)
    off: tuple[str, ...] = ()  # the names of a flag that set it to False (--no-…)


ROOT_OPTIONS = (Opt(("--verbose", "-v"), "verbose", "flag"),)
PLAN_ALL_OPTIONS = (
    Opt(("--org",), "org", "text"),
    Opt(("--env", "-e"), "env", "text"),
    Opt(("--parallelism", "-p"), "parallelism", "count"),
    Opt(("--json",), "json_out", "flag"),
    Opt(("--changed",), "changed", "flag"),
    Opt(("--base",), "base", "text"),
    Opt(("--dry-run",), "dry_run", "flag"),
    Opt(("--no-preflight",), "no_preflight", "flag"),
    Opt(("--summary-md",), "summary_md", "file"),
    Opt(("--plan-json",), "plan_json", "flag"),
    Opt(("--policy", "--no-policy"), "policy", "flag", off=("--no-policy",)),
)
_COUNT = re.compile(r"[1-9][0-9]{0,5}")


@dataclass(frozen=True)
class Plain:
    """A plan-all invocation read without Typer."""

    verbose: bool
    args: PlanAllArgs

    def run(self) -> int:
        from platformctl.cli.context import AppContext
        from platformctl.cli.plan_run import plan_all

        return plan_all(AppContext.create(verbose=self.verbose), self.args)


def parse(argv: Sequence[str]) -> Plain | None:
    """`argv` (after the program name) as a plain plan-all, or None when Typer must read it."""
    if COMPLETION_VARIABLE in os.environ:
        return None
    try:
        at = list(argv).index(COMMAND)
    except ValueError:
        return None
    root = _options(argv[:at], ROOT_OPTIONS)
    values = _options(argv[at + 1 :], PLAN_ALL_OPTIONS)
    if root is None or values is None:
        return None
    if values.get("base") is not None and not values.get("changed"):
        return None
    return Plain(verbose=bool(root.get("verbose")), args=PlanAllArgs(**values))


def _options(words: Sequence[str], table: Sequence[Opt]) -> dict[str, Any] | None:
    by_name = {name: opt for opt in table for name in opt.names}
    values: dict[str, Any] = {}
    i = 0
    while i < len(words):
        word = words[i]
        name, attached, value = word.partition("=") if word.startswith("--") else (word, "", "")
        opt = by_name.get(name)
        if opt is None or opt.param in values:
            return None  # not an option of the command, a positional word, or a repeat
        if opt.kind == "flag":
            if attached:
                return None
            values[opt.param] = name not in opt.off
            i += 1
            continue
        if not attached:
            if i + 1 == len(words):
                return None
            value = words[i + 1]
            i += 1
        i += 1
        converted = _value(opt.kind, value)
        if converted is None:
            return None
        values[opt.param] = converted
    return values


def _value(kind: str, value: str) -> object | None:
    """The value as the Typer command would pass it, or None when Typer must judge it."""
    if not value or value.startswith("-"):
        return None
    if kind == "count":
        return int(value) if _COUNT.fullmatch(value) else None
    if kind == "file":
        # Typer refuses an existing directory and an unreadable file; leave those to it.
        if os.path.isdir(value) or (os.path.exists(value) and not os.access(value, os.R_OK)):
            return None
        return Path(value)
    return value
