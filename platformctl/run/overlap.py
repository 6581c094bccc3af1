"""What plan-all runs beside terragrunt instead of before it.

plan-all starts terragrunt as soon as it has the command line; what used to come first
runs next to it, on the other core, while terragrunt parses its configuration:

- Held: the steps' messages and the live view are held until terragrunt has started,
  then shown in order, so setting up the console (rich) costs no time before the start.
- PreflightBeside: the preflight (credentials, state bucket) runs in a thread once
  terragrunt has started, or not at all when it passed minutes ago for the same endpoint
  and identity (platformctl.aws.preflight_memo). When it fails, terragrunt is stopped the way
  Ctrl-C stops it (SIGINT, so OpenTofu releases its state lock) and the run ends with the
  preflight's sentence. plan-all never creates or changes the state bucket (that is
  `platformctl bootstrap` or deploy's question), so nothing here asks anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from platformctl.report import Reporter

if TYPE_CHECKING:
    from platformctl.model.config import Environment, Org
    from platformctl.proc import Streamed
    from platformctl.run.phase import UnitProgress


class Held:
    """A reporter and a live view whose calls wait, in order, until `release()`."""

    def __init__(self, reporter: Reporter, progress: UnitProgress, *, active: bool = True) -> None:
        self._reporter = reporter
        self._progress = progress
        self._queue: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
        self._lock = threading.Lock()
        self._released = not active
        self.reporter: Reporter = _HeldReporter(self)
        self.progress: UnitProgress = _HeldProgress(self)

    def call(self, method: Callable[..., None], *args: Any) -> None:
        if self._released:
            method(*args)
            return
        with self._lock:
            if not self._released:
                self._queue.append((method, args))
                return
        method(*args)

    def release(self) -> None:
        """Show everything held so far; later calls go straight through."""
        with self._lock:
            while self._queue:
                method, args = self._queue.pop(0)
                method(*args)
            self._released = True

    def __enter__(self) -> Held:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class _HeldReporter:
    def __init__(self, held: Held) -> None:
        self._held = held

    def step(self, message: str) -> None:
        self._held.call(self._held._reporter.step, message)

    def info(self, message: str) -> None:
        self._held.call(self._held._reporter.info, message)

    def warn(self, message: str) -> None:
        self._held.call(self._held._reporter.warn, message)


class _HeldProgress:
    def __init__(self, held: Held) -> None:
        self._held = held

    def begin(self, title: str, units: Sequence[str]) -> None:
        self._held.call(self._held._progress.begin, title, units)

    def update(self, unit: str, state: str) -> None:
        self._held.call(self._held._progress.update, unit, state)

    def end(self) -> None:
        self._held.call(self._held._progress.end)


def _never(_question: str) -> bool:
    return False


class PreflightBeside:
    """One environment's preflight, run beside its terragrunt; `finish` raises its error."""

    def __init__(
        self, root: Path, org: Org, env: Environment, reporter: Reporter, *, enabled: bool
    ) -> None:
        self.root, self.org, self.env, self.reporter = root, org, env, reporter
        self.enabled = enabled
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self, child: Streamed) -> None:
        """Check now that terragrunt runs (skipped after a recent pass); stop it on failure."""
        if not self.enabled:
            return
        from platformctl.aws.preflight_memo import recently_passed

        if recently_passed(self.root, self.org, self.env, self.reporter):
            return
        self._thread = threading.Thread(
            target=self._check, args=(child,), name="platformctl-preflight", daemon=True
        )
        self._thread.start()

    def _check(self, child: Streamed) -> None:
        from platformctl.aws.preflight import preflight

        try:
            preflight(self.root, self.org, self.env, self.reporter, ask=_never)
        except BaseException as exc:  # every failure stops the run; finish() re-raises it
            self.error = exc
            child.interrupt()

    def finish(self, *, wait: bool = True) -> None:
        """Wait for the check (unless the run was interrupted) and raise what it raised."""
        if self._thread is not None and wait:
            self._thread.join()
        if self.error is not None:
            raise self.error
