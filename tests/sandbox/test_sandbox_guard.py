"""`sandbox up` is all or nothing, one at a time, and `status` tells a partial sandbox."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from platformctl import proc
from platformctl.report import SilentReporter
from platformctl.sandbox import registry as sandbox
from platformctl.sandbox.component import SandboxOptions
from tests.fixtures.repo_cli import Cli
from tests.fixtures.servers import free_port

pytestmark = pytest.mark.real

PLATFORMCTL = Path(sys.executable).parent / "platformctl"


@pytest.fixture
def cleanup(repo: Path) -> object:
    yield None
    sandbox.down(repo, SilentReporter())


def _up(repo: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(PLATFORMCTL), "sandbox", "up", "--only", "moto", "--port", str(port), *extra],
        cwd=repo,
        env={**os.environ, "COLUMNS": "400", "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def _moto_record(repo: Path) -> dict[str, object] | None:
    try:
        data = json.loads((repo / ".platformctl" / "sandbox.json").read_text())
    except (OSError, ValueError):
        return None
    record = data.get("moto")
    return record if isinstance(record, dict) else None


def _wait_for_record(repo: Path, child: subprocess.Popen[str]) -> dict[str, object] | None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and child.poll() is None:
        record = _moto_record(repo)
        if record is not None:
            return record
        time.sleep(0.01)
    return None


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)]
)
def test_a_stop_signal_during_up_stops_what_it_started(
    repo: Path, cli: Cli, cleanup: object, sig: signal.Signals, code: int
) -> None:
    """Defect 9: Ctrl-C during `sandbox up` left moto running and recorded, with no message."""
    for _attempt in range(3):
        child = _up(repo, free_port())
        record = _wait_for_record(repo, child)
        if record is not None and child.poll() is None:
            child.send_signal(sig)
            _out, err = child.communicate(timeout=60)
            if child.returncode != 0:
                break
        else:
            child.communicate(timeout=60)
        sandbox.down(repo, SilentReporter())  # moto answered first: try again
    else:
        pytest.fail("could not catch `sandbox up` before moto answered")
    assert record is not None
    assert child.returncode == code, err
    assert "nothing this `sandbox up` started is left running" in err
    assert "Traceback" not in err
    pid = record["pid"]
    assert isinstance(pid, int) and not proc.pid_alive(pid)
    assert _moto_record(repo) is None
    status = cli("sandbox", "status", "--json")
    assert status.code == 1 and status.json()["running"] is False


def test_concurrent_ups_share_one_moto(repo: Path, cleanup: object) -> None:
    """Defect 9: two concurrent `sandbox up` killed each other's moto."""
    port = free_port()
    children = [_up(repo, port, "--json"), _up(repo, port, "--json")]
    results = [c.communicate(timeout=120) for c in children]
    assert [c.returncode for c in children] == [0, 0], results
    motos = [json.loads(out)["components"][0] for out, _ in results]
    assert sorted(m["action"] for m in motos) == ["reused", "started"]
    assert motos[0]["pid"] == motos[1]["pid"] and proc.pid_alive(motos[0]["pid"])
    assert _moto_record(repo) is not None
    assert any("waiting for another" in err for _, err in results)


def test_an_up_killed_half_way_is_a_partial_status(repo: Path, cli: Cli, cleanup: object) -> None:
    child = _up(repo, free_port())
    record = _wait_for_record(repo, child)
    child.kill()  # SIGKILL: nothing can clean up
    child.communicate(timeout=30)
    assert record is not None
    status = cli("sandbox", "status", "--json")
    assert status.code == 1
    assert any("did not finish" in p for p in status.json()["problems"]), status.out
    text = cli("sandbox", "status")
    assert text.code == 1 and "partial:" in text.out
    assert cli("sandbox", "up", "--only", "moto", "--port", str(free_port())).code == 0
    assert cli("sandbox", "status").code == 0


def test_a_component_gone_since_up_is_a_partial_status(
    repo: Path, cli: Cli, cleanup: object
) -> None:
    up = cli("sandbox", "up", "--only", "moto", "--port", str(free_port()), "--json")
    assert up.code == 0, up.err
    pid = up.json()["components"][0]["pid"]
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while proc.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    status = cli("sandbox", "status", "--json")
    assert status.code == 1
    assert any("moto stopped since the last `sandbox up`" in p for p in status.json()["problems"])


def test_a_failed_moto_start_quotes_only_its_own_log_lines(repo: Path, cleanup: object) -> None:
    """Defect 9: the loser of a race quoted old lines of the appended moto log."""
    from platformctl.errors import OperationError

    log = repo / ".platformctl" / "logs" / "moto.log"
    log.parent.mkdir(parents=True)
    log.write_text("an old line from yesterday\n")
    options = SandboxOptions(port=free_port(), only=("moto",), wait_seconds=0.0)
    with pytest.raises(OperationError, match="moto did not start") as err:
        sandbox.up(repo, SilentReporter(), options)
    assert "an old line from yesterday" not in err.value.message
    assert _moto_record(repo) is None
