"""The context object every command receives through ctx.obj."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rich.console import Console

from platformctl.paths import find_repo_root


@dataclass
class AppContext:
    verbose: bool
    console: Console
    err: Console
    _root: Path | None = field(default=None)

    @classmethod
    def create(cls, *, verbose: bool) -> AppContext:
        return cls(verbose=verbose, console=Console(), err=Console(stderr=True))

    @cached_property
    def root(self) -> Path:
        """The repository root (found on first use, so commands that need none stay fast)."""
        return self._root or find_repo_root()


class ConsoleReporter:
    """Reporter that prints steps to stderr, keeping stdout clean for --json."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def step(self, message: str) -> None:
        self.console.print(f"[bold cyan]→[/] {message}", highlight=False)

    def info(self, message: str) -> None:
        self.console.print(f"  {message}", highlight=False)

    def warn(self, message: str) -> None:
        self.console.print(f"[bold yellow]warning:[/] {message}", highlight=False)
