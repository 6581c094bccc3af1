"""Stop signals at several points of plan-all, deploy and destroy, on real terragrunt + OpenTofu.

For SIGINT, SIGTERM and SIGHUP: platformctl forwards a stop to terragrunt's process
group, waits until OpenTofu has released its state lock, writes the run summary and
exits 128 + the signal; no terragrunt, tofu or provisioner process outlives it and no
lock object is left in the S3 bucket. (`sandbox up` is covered the same way in
tests/sandbox/test_sandbox_guard.py.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.run.conftest import Stack

pytestmark = pytest.mark.real

PLATFORMCTL = Path(sys.executable).parent / "platformctl"
HOLD = 60  # seconds a held step would last; a stop must end it much sooner
SIGNALS = {
    "SIGINT": (signal.SIGINT, 130),
    "SIGTERM": (signal.SIGTERM, 143),
    "SIGHUP": (signal.SIGHUP, 129),
}


def _marked(mark: str) -> list[tuple[int, str]]:
    """Processes (pid, command line) whose environment carries `mark`."""
    found = []
    needle = f"PLATFORMCTL_TEST_MARK={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                found.append((int(entry.name), cmdline.strip()))
        except OSError:
            continue
    return found


def _cli(stack: Stack, *args: str, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        [str(PLATFORMCTL), *args, "--env", "sandbox", "--no-preflight"],
        cwd=stack.root,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@dataclass(frozen=True)
class Point:
    """Where in a run the signal arrives: the command, its knobs, what to wait for."""

    args: tuple[str, ...]
    env: dict[str, str]
    waits_for: str  # a command line of a process of the run that shows the point is reached
    holds_lock: bool
    prepare: Callable[[Stack], None] = lambda _stack: None


POINTS = {
    "plan-all while a plan hook runs": Point(
        ("plan-all",), {"STACK_HOLD_EKS": str(HOLD)}, f"sleep {HOLD}", holds_lock=False
    ),
    "deploy while tofu applies": Point(
        ("deploy", "vpc", "--yes"), {"STACK_SLEEP_VPC": str(HOLD)}, f"sleep {HOLD}", holds_lock=True
    ),
    "destroy while tofu destroys": Point(
        ("destroy", "vpc", "--yes"),
        {"STACK_DESTROY_SLEEP": str(HOLD)},
        f"sleep {HOLD}",
        holds_lock=True,
        prepare=lambda stack: _cli(stack, "deploy", "vpc", "--yes"),
    ),
}


@pytest.mark.parametrize("signame", list(SIGNALS))
@pytest.mark.parametrize("point", list(POINTS))
def test_a_stop_signal_stops_the_run_cleanly(stack: Stack, point: str, signame: str) -> None:
    """Defect 1: SIGTERM left terragrunt and tofu running (parent PID 1) with the lock held."""
    where = POINTS[point]
    sig, code = SIGNALS[signame]
    where.prepare(stack)
    mark = uuid.uuid4().hex
    child = subprocess.Popen(
        [str(PLATFORMCTL), *where.args, "--env", "sandbox", "--no-preflight"],
        cwd=stack.root,
        env={**os.environ, **where.env, "PLATFORMCTL_TEST_MARK": mark},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not any(where.waits_for in cmd for _, cmd in _marked(mark)):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the run never reached the point"
            time.sleep(0.1)
        if where.holds_lock:
            assert any(k.endswith(".tflock") for k in stack.s3_keys())
        started = time.monotonic()
        child.send_signal(sig)
        _out, err = child.communicate(timeout=90)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == code, err
    assert time.monotonic() - started < HOLD / 2  # stopped, not waited out
    assert f"Interrupted ({'Ctrl-C' if sig == signal.SIGINT else signame})" in err
    assert "Traceback" not in err
    assert _marked(mark) == []  # no terragrunt, tofu or provisioner outlives platformctl
    assert not [k for k in stack.s3_keys() if k.endswith(".tflock")]
    (run_dir,) = (stack.root / ".platformctl" / "runs").glob(f"*-{where.args[0].split('-')[0]}")
    assert json.loads((run_dir / "summary.json").read_text())["ok"] is False
