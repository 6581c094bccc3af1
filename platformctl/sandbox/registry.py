"""The local sandbox: services on 127.0.0.1 that stand in for AWS (and, later, EKS).

The sandbox is a list of components started in order and stopped in reverse. Each
component keeps its record (pid, port, endpoint, started_at) under its name in
.platformctl/sandbox.json, written atomically, and only ever stops the process it
recorded. Adding a component (the local Kubernetes control plane) is one line in
`components()`; it implements the `Component` protocol below.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from platformctl import proc, signals
from platformctl.errors import OperationError, UsageError
from platformctl.fsutil import write_atomic
from platformctl.model.config import Environment, load_platform
from platformctl.model.render import DEFAULT_SANDBOX_ENDPOINT
from platformctl.paths import state_dir
from platformctl.report import Reporter
from platformctl.sandbox import guard as sandbox_guard
from platformctl.sandbox.kwokconfig import check_training_seconds
from platformctl.toolchain.offline import offline_dir

if TYPE_CHECKING:
    from platformctl.aws.client import AwsTarget

STATE_FILE = "sandbox.json"
SANDBOX_ACCESS_KEY = "sandbox"
SANDBOX_SECRET_KEY = "sandbox"
DEFAULT_MOTO_PORT = int(DEFAULT_SANDBOX_ENDPOINT.rsplit(":", 1)[1])
NOT_RUNNING = "The sandbox is not running; run `platformctl sandbox up`."


@dataclass(frozen=True)
class SandboxOptions:
    """Options of `sandbox up`; a component reads the ones that concern it."""

    port: int | None = None
    wait_seconds: float = 60.0
    only: tuple[str, ...] = ()  # start just these components (by name); empty means all
    offline_dir: Path | None = None  # else PLATFORMCTL_OFFLINE_DIR, else ../shared/offline
    charts_port: int | None = None  # the chart repository's port (default 8879)
    training_seconds: float = 5.0  # how long a training pod runs on the fake nodes


@dataclass(frozen=True)
class ComponentStatus:
    """What one component is doing. action: started, reused, replaced, stopped, running, absent,
    waiting (an optional component that starts once something else exists)."""

    name: str
    running: bool
    action: str
    pid: int | None = None
    port: int | None = None
    endpoint: str | None = None
    started_at: str | None = None
    detail: str = ""
    # The sandbox counts as running when every required component runs; optional ones
    # (the local control plane, which needs extra binaries) are reported, not demanded.
    required: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "running": self.running,
            "required": self.required,
            "action": self.action,
            "pid": self.pid,
            "port": self.port,
            "endpoint": self.endpoint,
            "started_at": self.started_at,
            "detail": self.detail,
        }


class Component(Protocol):
    """One sandbox service. Implementations must be idempotent and stop only their own pid."""

    name: str

    def start(self, root: Path, options: SandboxOptions, reporter: Reporter) -> ComponentStatus: ...

    def stop(self, root: Path, reporter: Reporter) -> ComponentStatus: ...

    def status(self, root: Path) -> ComponentStatus: ...

    def env(self, root: Path) -> Mapping[str, str]:
        """Environment a client needs to use this component (empty when not running)."""
        ...

    def purge(self, root: Path, reporter: Reporter) -> None:
        """Remove the component's data (after stop); `sandbox down --purge`."""
        ...


# --- the shared state file ------------------------------------------------------------


def state_path(root: Path) -> Path:
    return state_dir(root) / STATE_FILE


def read_records(root: Path) -> dict[str, dict[str, Any]]:
    path = state_path(root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}  # a corrupt file is as good as none: every record in it is stale
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def read_record(root: Path, name: str) -> dict[str, Any] | None:
    return read_records(root).get(name)


def write_record(root: Path, name: str, record: Mapping[str, Any] | None) -> None:
    """Set (or with None remove) one component's record; the file goes when it is empty."""
    records = read_records(root)
    if record is None:
        records.pop(name, None)
    else:
        records[name] = dict(record)
    path = state_path(root)
    if records:
        write_atomic(path, json.dumps(records, indent=2, sort_keys=True) + "\n")
    else:
        path.unlink(missing_ok=True)


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _answers(url: str, timeout: float = 2.0) -> bool:
    import urllib.error
    import urllib.request  # here: plan-all reads the sandbox's environment before it starts

    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True  # it answered, with an error status
    except OSError:
        return False


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the AWS emulator -----------------------------------------------------------------


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
        return proc.pid_alive(pid) and "platformctl.sandbox.emulator" in _cmdline(pid)

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
        answering = _answers(endpoint + self.health_path)
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
            if self._live(record) and _answers(str(record.get("endpoint")) + self.health_path):
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
            started_at = _now()
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
            while not _answers(endpoint + self.health_path, timeout=1.0):
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


# --- the sandbox as a whole -----------------------------------------------------------


def components() -> tuple[Component, ...]:
    """Every sandbox component in start order."""
    from platformctl.sandbox.chartrepo import ChartRepository
    from platformctl.sandbox.controlplane import ControlPlaneComponent
    from platformctl.sandbox.trainingop import TrainingOperator

    return (Moto(), ChartRepository(), ControlPlaneComponent(), TrainingOperator())


@dataclass(frozen=True)
class SandboxStatus:
    components: tuple[ComponentStatus, ...]
    # Why the sandbox is only partly up (platformctl.sandbox.guard.problems).
    problems: tuple[str, ...] = ()

    @property
    def running(self) -> bool:
        return not self.problems and all(c.running for c in self.components if c.required)

    def to_json(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "problems": list(self.problems),
            "components": [c.to_json() for c in self.components],
        }


def up(root: Path, reporter: Reporter, options: SandboxOptions | None = None) -> SandboxStatus:
    """Start every component (reusing live ones); idempotent."""
    opts = options or SandboxOptions()
    if opts.port is not None and not 1 <= opts.port <= 65535:
        raise UsageError(f"--port {opts.port} is not a TCP port number (1-65535).")
    if opts.charts_port is not None and not 1 <= opts.charts_port <= 65535:
        raise UsageError(f"--charts-port {opts.charts_port} is not a TCP port number (1-65535).")
    check_training_seconds(opts.training_seconds)
    offline_dir(opts.offline_dir, root=root)  # a named directory that does not exist is bad input
    names = [c.name for c in components()]
    unknown = [n for n in opts.only if n not in names]
    if unknown:
        raise UsageError(
            f"--only {unknown[0]!r} is not a sandbox component; known: {', '.join(names)}."
        )
    chosen = [c for c in components() if not opts.only or c.name in opts.only]
    # One `up` at a time, all or nothing (platformctl.sandbox.guard).
    with sandbox_guard.exclusive(root, reporter, wait=opts.wait_seconds * 3):
        return SandboxStatus(sandbox_guard.start_all(root, chosen, opts, reporter))


def down(root: Path, reporter: Reporter, *, purge: bool = False) -> SandboxStatus:
    """Stop every component this repository started, in reverse order; idempotent.

    With purge, also remove each component's data under .platformctl/.
    """
    stopped = []
    with sandbox_guard.exclusive(root, reporter, wait=60.0):
        for component in reversed(components()):
            stopped.append(component.stop(root, reporter))
            if purge:
                component.purge(root, reporter)
        sandbox_guard.clear(root)
    return SandboxStatus(tuple(reversed(stopped)))


def status(root: Path) -> SandboxStatus:
    statuses = tuple(c.status(root) for c in components())
    return SandboxStatus(statuses, sandbox_guard.problems(root, statuses))


def _sandbox_region(root: Path) -> str:
    try:
        platform = load_platform(root)
    except UsageError:
        return "us-east-1"
    regions = [e.region for e in platform.environments if e.sandbox]
    return regions[0] if regions else "us-east-1"


def sandbox_env(root: Path, region: str | None = None) -> dict[str, str]:
    """The environment a terragrunt/boto3 run needs to use the sandbox.

    PLATFORMCTL_AWS_ENDPOINT and AWS_ENDPOINT_URL point at the emulator, with fake
    credentials and the sandbox region; components may add more (KUBECONFIG).
    Raises UsageError when the AWS emulator is not running.
    """
    moto_env = Moto().env(root)
    if not moto_env:
        raise UsageError(NOT_RUNNING)
    the_region = region or _sandbox_region(root)
    env: dict[str, str] = {"AWS_REGION": the_region, "AWS_DEFAULT_REGION": the_region}
    for component in components():
        env.update(component.env(root))
    return env


def aws_target(root: Path, env: Environment, region: str | None = None) -> AwsTarget:
    """Where AWS calls for an environment go: the sandbox's emulator, or AWS itself."""
    from platformctl.aws.client import AwsTarget

    the_region = region or env.region
    if not env.sandbox:
        return AwsTarget(region=the_region)
    values = sandbox_env(root, the_region)
    return AwsTarget(
        region=the_region,
        endpoint=values["AWS_ENDPOINT_URL"],
        access_key=values["AWS_ACCESS_KEY_ID"],
        secret_key=values["AWS_SECRET_ACCESS_KEY"],
        label="sandbox",
    )
