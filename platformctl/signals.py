"""Stop signals: Ctrl-C (SIGINT), SIGTERM and SIGHUP all mean "stop cleanly, then exit".

Python turns SIGINT into KeyboardInterrupt; `handled()` makes SIGTERM (a `kill`, a
`timeout`, a cancelled CI job) and SIGHUP (a closed terminal) raise a KeyboardInterrupt
too. Every path that stops cleanly on Ctrl-C — forward SIGINT to terragrunt's process
group, wait until OpenTofu has released its state lock, write the run's summary, stop
the sandbox processes this run started — therefore does the same for them. The first
signal decides the exit code: 128 + its number (130, 143, 129).

Signal state is process-wide by nature; this module is the one place that keeps it.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopSignal(KeyboardInterrupt):
    """A stop signal arrived (a KeyboardInterrupt, so every Ctrl-C path handles it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class _State:
    received: list[int] = field(default_factory=list)
    deferring: int = 0
    pending: int | None = None


# Python runs signal handlers in the main thread, between bytecodes, and deferred() is
# used by the main thread: no lock (one could deadlock against its own handler).
_state = _State()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    del frame
    _state.received.append(signum)
    if _state.deferring:
        if _state.pending is None:
            _state.pending = signum
        return
    raise StopSignal(signum)


@contextmanager
def handled() -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise StopSignal (main thread only)."""
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    reset()
    for sig in STOP_SIGNALS:
        signal.signal(sig, _on_signal)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold stop signals back for a short critical section (a swap of files, a cleanup).

    A signal that arrives inside is raised when the outermost block ends, so a rename
    sequence or the stop of a process this run started is never cut in half.
    """
    _state.deferring += 1
    try:
        yield
    finally:
        _state.deferring -= 1
        pending = _state.pending if not _state.deferring else None
        if pending is not None:
            _state.pending = None
            raise StopSignal(pending)


def first() -> int | None:
    """The first stop signal received since `handled()` began, if any."""
    return _state.received[0] if _state.received else None


def exit_code() -> int:
    """128 + the first stop signal (130 when only a plain KeyboardInterrupt was seen)."""
    return 128 + (first() or signal.SIGINT)


def describe() -> str:
    """`Ctrl-C` or the signal's name, for messages."""
    signum = first()
    return "Ctrl-C" if signum in (None, signal.SIGINT) else signal.Signals(signum).name


def reset() -> None:
    _state.received.clear()
    _state.deferring = 0
    _state.pending = None
