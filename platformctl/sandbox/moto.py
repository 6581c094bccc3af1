"""The sandbox's AWS emulator as a component: moto server on 127.0.0.1 (platformctl.sandbox.emulator)."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from platformctl import proc, signals
from platformctl.errors import OperationError
from platformctl.model.render import DEFAULT_SANDBOX_ENDPOINT
from platformctl.paths import state_dir
from platformctl.report import Reporter
from platformctl.sandbox.component import (
    ComponentStatus,
    SandboxOptions,
    answers_http,
    port_free,
    process_cmdline,
    read_record,
    utc_now,
    write_record,
)

SANDBOX_ACCESS_KEY = "sandbox"
SANDBOX_SECRET_KEY = "sandbox"
DEFAULT_MOTO_PORT = int(DEFAULT_SANDBOX_ENDPOINT.rsplit(":", 1)[1])
EMULATOR_MODULES = ("platformctl.sandbox.emulator", "platformctl.emulator")


class Moto:
    """moto server on 127.0.0.1 (platformctl.sandbox.emulator), with AWS-managed IAM policies loaded."""

    name = "moto"
    required = True
    health_path = "/moto-api/"

    def _live(self, record: Mapping[str, Any] | None) -> bool:
        """The recorded pid is alive and is a moto server (pids get reused)."""
        if not record or not isinstance(record.get("pid"), int):
            return False
        pid: int = record["pid"]
        cmdline = process_cmdline(pid)  # this module, or its name before the package layout
        return proc.pid_alive(pid) and any(m in cmdline for m in EMULATOR_MODULES)

    def status(self, root: Path) -> ComponentStatus:
        record = read_record(root, self.name)
        if record is None:
            return ComponentStatus(self.name, False, "absent", detail="not running")
        if not self._live(record):
            return ComponentStatus(
                self.name,
                False,
                "absent",
                pid=record.get("pid"),
                detail="not running (stale record: the recorded process is gone)",
            )
        endpoint = str(record.get("endpoint"))
        answering = answers_http(endpoint + self.health_path)
        return ComponentStatus(
            self.name,
            True,
            "running",
            pid=record["pid"],
            port=record.get("port"),
            endpoint=endpoint,
            started_at=record.get("started_at"),
            detail="AWS emulator" + ("" if answering else " (not answering)"),
        )

    def start(self, root: Path, options: SandboxOptions, reporter: Reporter) -> ComponentStatus:
        record = read_record(root, self.name)
        replaced = False
        if record is not None:
            if self._live(record) and answers_http(str(record.get("endpoint")) + self.health_path):
                if options.port is not None and options.port != record.get("port"):
                    reporter.warn(
                        f"moto is already running on port {record.get('port')}; --port "
                        f"{options.port} ignored (run `platformctl sandbox down` first to move it)."
                    )
                return ComponentStatus(
                    self.name,
                    True,
                    "reused",
                    pid=record["pid"],
                    port=record.get("port"),
                    endpoint=record.get("endpoint"),
                    started_at=record.get("started_at"),
                    detail="AWS emulator",
                )
            if self._live(record):
                reporter.warn(f"moto (pid {record['pid']}) does not answer; restarting it.")
                proc.stop(int(record["pid"]))
            write_record(root, self.name, None)
            replaced = True
        port = options.port if options.port is not None else DEFAULT_MOTO_PORT
        if not port_free(port):
            raise OperationError(
                f"Port {port} on 127.0.0.1 is in use by another program; "
                "choose another with `platformctl sandbox up --port N`."
            )
        endpoint = f"http://127.0.0.1:{port}"
        log_path = state_dir(root) / "logs" / "moto.log"
        log_start = log_path.stat().st_size if log_path.exists() else 0
        reporter.step(f"sandbox: starting moto on {endpoint}")
        with signals.deferred():  # a process that runs is a process that is recorded
            pid = proc.spawn(
                [
                    sys.executable,
                    "-m",
                    "platformctl.sandbox.emulator",
                    "-H",
                    "127.0.0.1",
                    "-p",
                    str(port),
                ],
                env={"MOTO_IAM_LOAD_MANAGED_POLICIES": "true", "AWS_EC2_METADATA_DISABLED": "true"},
                log_path=log_path,
            )
            started_at = utc_now()
            write_record(
                root,
                self.name,
                {
                    "pid": pid,
                    "port": port,
                    "endpoint": endpoint,
                    "started_at": started_at,
                    "log": str(log_path),
                },
            )
        try:
            deadline = time.monotonic() + options.wait_seconds
            while not answers_http(endpoint + self.health_path, timeout=1.0):
                if not proc.pid_alive(pid) or time.monotonic() > deadline:
                    tail = _tail(log_path, start=log_start)
                    raise OperationError(
                        f"moto did not start on {endpoint} (see {log_path})"
                        + (f": {tail}" if tail else ".")
                    )
                time.sleep(0.1)
        except BaseException:
            with signals.deferred():
                proc.stop(pid)
                write_record(root, self.name, None)
            raise
        return ComponentStatus(
            self.name,
            True,
            "replaced" if replaced else "started",
            pid=pid,
            port=port,
            endpoint=endpoint,
            started_at=started_at,
            detail="AWS emulator",
        )

    def stop(self, root: Path, reporter: Reporter) -> ComponentStatus:
        record = read_record(root, self.name)
        if record is None:
            return ComponentStatus(self.name, False, "absent", detail="was not running")
        pid = record.get("pid")
        if self._live(record) and isinstance(pid, int):
            reporter.step(f"sandbox: stopping moto (pid {pid})")
            proc.stop(pid)
            detail = f"stopped pid {pid}"
        else:
            detail = "was not running (removed a stale record)"
        write_record(root, self.name, None)
        return ComponentStatus(self.name, False, "stopped", pid=pid, detail=detail)

    def env(self, root: Path) -> Mapping[str, str]:
        record = read_record(root, self.name)
        if not self._live(record) or record is None:
            return {}
        endpoint = str(record["endpoint"])
        return {
            "PLATFORMCTL_AWS_ENDPOINT": endpoint,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY,
            # Nothing of the sandbox may reach for instance metadata (169.254.169.254).
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def purge(self, root: Path, reporter: Reporter) -> None:
        """The emulator keeps its data in memory: nothing to remove but its log."""
        (state_dir(root) / "logs" / "moto.log").unlink(missing_ok=True)


def _tail(path: Path, lines: int = 5, *, start: int = 0) -> str:
    """The last lines of a log, from byte `start` on (this run's part of an appended log)."""
    try:
        with path.open("rb") as handle:
            handle.seek(start)
            text = handle.read().decode(errors="replace")
    except OSError:
        return ""
    return " | ".join(text.strip().splitlines()[-lines:])
