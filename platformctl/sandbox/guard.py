"""`sandbox up` as one transaction: one at a time, all or nothing, and an honest status.

- One `sandbox up` or `down` at a time per repository: an exclusive lock on
  .platformctl/sandbox.lock (a second `up` waits, then reuses what the first started,
  instead of both starting a moto and stopping each other's).
- All or nothing: when a component fails to start, or Ctrl-C / SIGTERM / SIGHUP
  arrives, every component this `up` started is stopped again, with further signals
  held back until that is done.
- .platformctl/sandbox-up.json records which components the last finished `up`
  brought up and whether an `up` is under way, so `status` can tell a partial sandbox
  (a component gone, an `up` that never finished) from a complete one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformctl import proc, signals
from platformctl.errors import Interrupted, OperationError
from platformctl.fsutil import write_atomic
from platformctl.paths import state_dir
from platformctl.report import Reporter

if TYPE_CHECKING:
    from platformctl.sandbox.component import Component, ComponentStatus, SandboxOptions

LOCK_FILE = "sandbox.lock"
UP_FILE = "sandbox-up.json"
STARTED_ACTIONS = ("started", "replaced")


@contextmanager
def exclusive(root: Path, reporter: Reporter, *, wait: float) -> Iterator[None]:
    """Hold the sandbox lock of `root` (waiting up to `wait` seconds for another holder)."""
    path = state_dir(root) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            holder = _holder(path)
            reporter.info(f"waiting for another `platformctl sandbox` command{holder} to finish")
            deadline = time.monotonic() + wait
            while not _try_lock(fd):
                if time.monotonic() > deadline:
                    raise OperationError(
                        f"Another `platformctl sandbox` command{holder} still holds {path} after "
                        f"{wait:g} s; wait for it to finish and try again."
                    )
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(path: Path) -> str:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return ""
    return f" (pid {pid})"


# --- the record of the last `up` --------------------------------------------------------


def _record_path(root: Path) -> Path:
    return state_dir(root) / UP_FILE


def read_up_record(root: Path) -> dict[str, Any]:
    try:
        data = json.loads(_record_path(root).read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_up_record(root: Path, record: dict[str, Any]) -> None:
    write_atomic(_record_path(root), json.dumps(record, indent=2, sort_keys=True) + "\n")


def clear(root: Path) -> None:
    """Forget the last `up` (after `sandbox down`)."""
    _record_path(root).unlink(missing_ok=True)


def start_all(
    root: Path, chosen: Sequence[Component], options: SandboxOptions, reporter: Reporter
) -> tuple[ComponentStatus, ...]:
    """Start `chosen` in order; on any failure or stop signal, stop what this call started."""
    previous = read_up_record(root)
    expected = previous.get("expected", [])
    _write_up_record(
        root,
        {
            "expected": expected,
            "in_progress": {
                "pid": os.getpid(),
                "started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "components": [c.name for c in chosen],
            },
        },
    )
    done: list[tuple[Component, ComponentStatus]] = []
    try:
        for component in chosen:
            done.append((component, component.start(root, options, reporter)))
    except BaseException as exc:
        with signals.deferred():
            stopped = _undo(root, done, reporter)
            _write_up_record(root, {"expected": expected, "in_progress": None})
        if isinstance(exc, KeyboardInterrupt | Interrupted):
            what = f" (stopped {', '.join(stopped)})" if stopped else ""
            raise Interrupted(
                f"Interrupted ({signals.describe()}); nothing this `sandbox up` started is "
                f"left running{what}."
            ) from exc
        raise
    running = [status.name for _, status in done if status.running]
    kept = [n for n in expected if n not in {c.name for c in chosen}]
    _write_up_record(root, {"expected": sorted({*kept, *running}), "in_progress": None})
    return tuple(status for _, status in done)


def _undo(
    root: Path, done: Sequence[tuple[Component, ComponentStatus]], reporter: Reporter
) -> list[str]:
    stopped: list[str] = []
    for component, status in reversed(done):
        if status.action in STARTED_ACTIONS:
            with contextlib.suppress(Exception):
                component.stop(root, reporter)
                stopped.append(component.name)
    return stopped


def problems(root: Path, statuses: Sequence[ComponentStatus]) -> tuple[str, ...]:
    """Why the sandbox is not complete beyond its required components: an `up` still under
    way or killed half-way, a component the last `up` started that is gone."""
    record = read_up_record(root)
    found: list[str] = []
    pending = record.get("in_progress")
    if isinstance(pending, dict) and isinstance(pending.get("pid"), int):
        pid = pending["pid"]
        if proc.pid_alive(pid) and pid != os.getpid():
            found.append(f"a `sandbox up` (pid {pid}) is still starting it")
        elif pid != os.getpid():
            found.append(
                f"the `sandbox up` of {pending.get('started_at', '?')} (pid {pid}) did not "
                "finish; run `platformctl sandbox up` again"
            )
    running = {s.name for s in statuses if s.running}
    expected = record.get("expected", [])
    missing = [n for n in expected if isinstance(n, str) and n not in running]
    if missing:
        found.append(
            f"{', '.join(missing)} stopped since the last `sandbox up`; "
            "run `platformctl sandbox up` again"
        )
    return tuple(found)
