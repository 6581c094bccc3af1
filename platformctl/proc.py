"""The only module that starts processes.

Short commands are captured (`run`), long ones stream line by line to a callback and a
log file (`stream`), and services are started detached (`spawn`). A missing executable
and a failing one take the same path: a ProcessError with command, code and output tail.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from platformctl.errors import Interrupted, ProcessError


@dataclass(frozen=True)
class Completed:
    cmd: list[str]
    returncode: int
    stdout: str
    stderr: str


def _environ(env: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict(os.environ)
    if env:
        merged.update(env)
    return merged


# What a captured command may print before it is stopped (a probe that floods stdout must
# not be buffered whole); callers that read large documents (`tofu show -json`) raise it.
OUTPUT_LIMIT = 64 << 20
# After a timeout: SIGTERM to the whole process group, then SIGKILL after this grace.
KILL_GRACE = 2.0


class _Capture:
    """Output of one stream, kept up to a limit; past it the command's group is stopped."""

    def __init__(self, limit: int, stop: Callable[[], None]) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.overflowed = False
        self._stop = stop

    def __call__(self, chunk: str) -> bool | None:
        if self.overflowed:
            return True
        self.size += len(chunk)
        if self.size > self.limit:
            self.overflowed = True
            self._stop()
            return True
        self.parts.append(chunk)
        return None

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _fork_reason(exc: BaseException) -> str:
    """The OS's reason from sh's ForkException ("Exec format error"), without its traceback."""
    import re

    match = re.search(r"\[Errno \d+\] ([^:\n]+)", str(exc))
    if match:
        return match.group(1).strip()
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else "unknown reason"


def run(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float | None = 120,
    input_text: str | None = None,
    output_limit: int = OUTPUT_LIMIT,
) -> Completed:
    """Run a short command and capture its output (through `sh`, which is lazy-imported).

    The command runs in a session of its own and is left to finish its own clean-up (a
    tool that starts helpers ends them itself). On a timeout, or when it prints more
    than `output_limit` characters, its whole process group is stopped, helpers
    included. Every way a command can fail — not found, not executable, killed by a
    signal, timed out, flooding — raises ProcessError with one sentence saying which.
    """
    import sh

    argv = [os.fspath(c) for c in cmd]
    try:
        program = sh.Command(argv[0])
    except sh.CommandNotFound as exc:
        raise ProcessError(
            argv, 127, f"{argv[0]}: command not found", reason="was not found"
        ) from exc
    running: list[Any] = []

    def stop_group() -> None:
        if running:
            _stop_group(running[0].pid)

    out, err = _Capture(output_limit, stop_group), _Capture(output_limit, stop_group)
    try:
        command = program(
            *argv[1:],
            _cwd=os.fspath(cwd) if cwd else None,
            _env=_environ(env),
            _ok_code=list(range(256)),
            _in=input_text,
            _out=out,
            _err=err,
            _bg=True,
            _bg_exc=False,
            _timeout=timeout,
            _new_session=True,
            _tty_out=False,
            _decode_errors="replace",
        )
        running.append(command)
        try:
            command.wait()  # joins the output threads too
        except sh.TimeoutException as exc:
            _stop_group(command.pid)
            raise ProcessError(
                argv, 124, out.text + err.text, reason=f"timed out after {timeout:g} s"
            ) from exc
        finally:
            # Helpers the command started and left behind (tflint's bundled plugin after
            # `tflint --version`) end with it: nothing a short command starts outlives it.
            if running and _group_alive(command.pid):
                _stop_group(command.pid)
        code = command.exit_code
    except sh.ForkException as exc:
        reason = _fork_reason(exc)
        raise ProcessError(argv, 126, reason, reason=f"could not be started ({reason})") from exc
    except sh.SignalException as exc:
        number = -int(exc.exit_code)
        if out.overflowed or err.overflowed:
            raise ProcessError(
                argv,
                128 + number,
                out.text[-4000:] + err.text[-4000:],
                reason=f"printed more than {output_limit >> 20} MB and was stopped",
            ) from exc
        raise ProcessError(
            argv, 128 + number, out.text + err.text, reason=f"was killed by {_signal_name(number)}"
        ) from exc
    if out.overflowed or err.overflowed:
        raise ProcessError(
            argv,
            code,
            out.text[-4000:] + err.text[-4000:],
            reason=f"printed more than {output_limit >> 20} MB and was stopped",
        )
    done = Completed(argv, code, out.text, err.text)
    if check and done.returncode != 0:
        raise ProcessError(argv, done.returncode, done.stdout + done.stderr)
    return done


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies, which only wait to be reaped by
    whoever adopted them, do not count)."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def _stop_group(pid: int) -> None:
    """SIGTERM the process group led by `pid`, then SIGKILL what is left after a grace."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + KILL_GRACE
    while time.monotonic() < deadline:
        if not _group_alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class Streamed:
    """A running command whose merged output is streamed to a callback and a log."""

    def __init__(
        self,
        cmd: Sequence[str | os.PathLike[str]],
        *,
        cwd: Path | None,
        env: Mapping[str, str] | None,
        log: IO[str] | None,
        on_line: Callable[[str], None] | None,
    ) -> None:
        self.cmd = [os.fspath(c) for c in cmd]
        try:
            # A session of its own: the terminal's Ctrl-C reaches us only, and we decide
            # what the child gets (SIGINT first so it can release state locks).
            self.popen = subprocess.Popen(
                self.cmd,
                cwd=cwd,
                env=_environ(env),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                errors="replace",
                bufsize=1,
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            raise ProcessError(self.cmd, 127, f"{self.cmd[0]}: command not found") from exc
        except OSError as exc:  # not executable, not a program (truncated, random bytes)
            reason = f"could not be started ({exc.strerror})"
            raise ProcessError(self.cmd, 126, str(exc), reason=reason) from exc
        self._tail: list[str] = []
        self._reader = threading.Thread(target=self._pump, args=(log, on_line), daemon=True)
        self._reader.start()

    def _pump(self, log: IO[str] | None, on_line: Callable[[str], None] | None) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            if log is not None:
                log.write(line)
                log.flush()
            self._tail.append(line.rstrip("\n"))
            del self._tail[:-200]
            if on_line is not None:
                # A failing callback (a terminal gone after SIGHUP) must not stop the
                # draining of the pipe, or the child blocks on a full pipe and never ends.
                with contextlib.suppress(Exception):
                    on_line(line.rstrip("\n"))

    @property
    def tail(self) -> str:
        return "\n".join(self._tail)

    def interrupt(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGINT)

    def terminate(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)

    def wait(self) -> int:
        code = self.popen.wait()
        self._reader.join()
        return code


def stream(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    on_line: Callable[[str], None] | None = None,
    on_start: Callable[[Streamed], None] | None = None,
) -> int:
    """Run a long command to completion, streaming output; stop signals are forwarded cleanly.

    The first Ctrl-C, SIGTERM or SIGHUP (platformctl.signals makes each a
    KeyboardInterrupt) sends SIGINT to the child's process group and waits for it to
    finish: SIGINT is what terragrunt and OpenTofu both treat as "stop after the current
    operation and release the state lock". A second one sends SIGTERM. Either way the
    call then raises Interrupted. `on_start` gets the running child right after it
    started (work that can overlap with it, and may stop it with child.interrupt()).
    """
    from platformctl import signals

    log = log_path.open("a", encoding="utf-8") if log_path else None
    try:
        child = Streamed(cmd, cwd=cwd, env=env, log=log, on_line=on_line)
        interrupts = 0
        while True:
            try:
                if on_start is not None:
                    start, on_start = on_start, None
                    start(child)
                code = child.wait()
                break
            except KeyboardInterrupt:
                interrupts += 1
                if interrupts == 1:
                    child.interrupt()
                else:
                    child.terminate()
        if interrupts:
            raise Interrupted(
                f"Interrupted ({signals.describe()}): {child.cmd[0]} was stopped "
                + ("cleanly." if interrupts == 1 else "with SIGTERM.")
            )
        return code
    finally:
        if log is not None:
            log.close()


def spawn(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    log_path: Path,
) -> int:
    """Start a detached service (it outlives us) logging to `log_path`; returns its pid."""
    argv = [os.fspath(c) for c in cmd]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        try:
            popen = subprocess.Popen(
                argv,
                cwd=cwd,
                env=_environ(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            raise ProcessError(argv, 127, f"{argv[0]}: command not found") from exc
        except OSError as exc:
            reason = f"could not be started ({exc.strerror})"
            raise ProcessError(argv, 126, str(exc), reason=reason) from exc
    return popen.pid


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still answers kill(0); reap it if it is ours.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def stop(pid: int, *, timeout: float = 10.0) -> None:
    """SIGTERM a process group started by `spawn`, then SIGKILL after `timeout` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.05)
