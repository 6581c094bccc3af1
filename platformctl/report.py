"""The reporter interface: how the engine tells the user what it is doing without printing."""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    def step(self, message: str) -> None:
        """A numbered or named step is starting (`[2/4] eks: plan`)."""

    def info(self, message: str) -> None: ...

    def warn(self, message: str) -> None: ...


class SilentReporter:
    """For tests and library callers that want results only."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def step(self, message: str) -> None:
        self.messages.append(("step", message))

    def info(self, message: str) -> None:
        self.messages.append(("info", message))

    def warn(self, message: str) -> None:
        self.messages.append(("warn", message))
