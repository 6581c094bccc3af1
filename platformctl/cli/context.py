"""The context object every command receives through ctx.obj."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from platformctl.paths import find_repo_root

if TYPE_CHECKING:
    from rich.console import Console

    from platformctl.model.config import Environment


@dataclass
class AppContext:
    verbose: bool
    _root: Path | None = field(default=None)

    @classmethod
    def create(cls, *, verbose: bool) -> AppContext:
        return cls(verbose=verbose)

    @cached_property
    def console(self) -> Console:
        """stdout (rich is imported on first use: plan-all starts terragrunt before)."""
        return make_console(stderr=False)

    @cached_property
    def err(self) -> Console:
        """stderr: steps, warnings and the live view."""
        return make_console(stderr=True)

    @cached_property
    def root(self) -> Path:
        """The repository root (found on first use, so commands that need none stay fast)."""
        return self._root or find_repo_root()


# The width of output that goes to no terminal (CI logs, `make demo | tee`) when COLUMNS
# does not say: so wide that a table takes its natural width and never cuts an identifier.
LOG_WIDTH = 4096


def make_console(*, stderr: bool) -> Console:
    """A console for stdout or stderr: the terminal's width, or $COLUMNS, or — for a log —
    LOG_WIDTH with sentences never wrapped (a log reader's viewer wraps them)."""
    import os
    import sys

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):
        terminal = False
    if terminal or os.environ.get("COLUMNS", "").isdigit():
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=LOG_WIDTH, soft_wrap=True)


class ConsoleReporter:
    """Reporter that prints steps to stderr, keeping stdout clean for --json.

    Takes a console, or a function giving it on first use (`lambda: app.err`).
    """

    def __init__(self, console: Console | Callable[[], Console]) -> None:
        self._console = console

    @property
    def console(self) -> Console:
        if callable(self._console):
            self._console = self._console()
        return self._console

    def step(self, message: str) -> None:
        self.console.print(f"[bold cyan]→[/] {_plain(message)}", highlight=False)

    def info(self, message: str) -> None:
        self.console.print(f"  {_plain(message)}", highlight=False)

    def warn(self, message: str) -> None:
        self.console.print(f"[bold yellow]warning:[/] {_plain(message)}", highlight=False)


def warn_support_status(reporter: ConsoleReporter, environments: Iterable[Environment]) -> None:
    """Warn of every EKS environment whose Kubernetes version is past standard support."""
    from datetime import UTC, datetime

    from platformctl.model.components import support_warnings

    for warning in support_warnings(environments, today=datetime.now(UTC).date()):
        reporter.warn(warning)


def _plain(message: str) -> str:
    """An engine message as rich prints it: never markup (it carries paths, names, output)."""
    from rich.markup import escape

    return escape(message)
