"""What every sandbox component shares: options, status, and its record in .platformctl/sandbox.json.

Each component keeps its record (pid, port, endpoint, started_at) under its name in
.platformctl/sandbox.json, written atomically, and only ever stops the process it
recorded. A component implements the `Component` protocol below; the registry
(platformctl.sandbox.registry) lists them.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from platformctl.fsutil import write_atomic
from platformctl.paths import state_dir
from platformctl.report import Reporter

STATE_FILE = "sandbox.json"


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


def process_cmdline(pid: int) -> str:
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


def answers_http(url: str, timeout: float = 2.0) -> bool:
    import urllib.error
    import urllib.request  # here: plan-all reads the sandbox's environment before it starts

    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True  # it answered, with an error status
    except OSError:
        return False


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
