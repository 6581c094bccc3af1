"""sandbox up/down/status: a real moto server started from a throwaway repository."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from platformctl import proc
from platformctl.errors import UsageError
from platformctl.report import SilentReporter
from platformctl.sandbox import registry as sandbox
from tests.fixtures.repo_cli import Cli, assert_one_sentence
from tests.fixtures.servers import free_port


def _answers(endpoint: str) -> bool:
    with urllib.request.urlopen(endpoint + "/moto-api/", timeout=5) as reply:
        return bool(reply.status == 200)


@pytest.fixture
def cleanup(repo: Path) -> object:
    """Whatever a test leaves running in its repository is stopped afterwards."""
    yield None
    sandbox.down(repo, SilentReporter())


@pytest.mark.real
def test_up_is_idempotent_and_down_stops_only_our_server(
    repo: Path, cli: Cli, cleanup: object
) -> None:
    port = free_port()
    first = cli("sandbox", "up", "--port", str(port), "--only", "moto", "--json")
    assert first.code == 0, first.err
    moto = first.json()["components"][0]
    assert (moto["name"], moto["action"], moto["port"]) == ("moto", "started", port)
    endpoint = f"http://127.0.0.1:{port}"
    assert moto["endpoint"] == endpoint and _answers(endpoint)

    record = json.loads((repo / ".platformctl" / "sandbox.json").read_text())["moto"]
    assert record["pid"] == moto["pid"] and record["port"] == port
    assert record["endpoint"] == endpoint and record["started_at"].endswith("Z")

    again = cli("sandbox", "up", "--only", "moto", "--json")
    assert again.code == 0, again.err
    assert again.json()["components"][0]["action"] == "reused"
    assert again.json()["components"][0]["pid"] == moto["pid"]

    status = cli("sandbox", "status", "--json")
    [running] = [c for c in status.json()["components"] if c["name"] == "moto"]
    assert running["running"] is True and running["endpoint"] == endpoint
    assert endpoint in cli("sandbox", "status").out

    env = sandbox.sandbox_env(repo)
    assert env["PLATFORMCTL_AWS_ENDPOINT"] == env["AWS_ENDPOINT_URL"] == endpoint
    assert env["AWS_ACCESS_KEY_ID"] == env["AWS_SECRET_ACCESS_KEY"] == "sandbox"
    assert env["AWS_REGION"] == "us-east-1"

    down = cli("sandbox", "down", "--json")
    assert down.code == 0, down.err
    assert down.json()["components"][0]["action"] == "stopped"
    assert not proc.pid_alive(moto["pid"])
    assert not (repo / ".platformctl" / "sandbox.json").exists()

    stopped = cli("sandbox", "status", "--json")
    assert stopped.code == 1 and stopped.json()["running"] is False
    with pytest.raises(UsageError, match=r"not running; run `platformctl sandbox up`"):
        sandbox.sandbox_env(repo)
    assert cli("sandbox", "down").code == 0  # idempotent


def _dead_pid() -> int:
    pid = proc.spawn([sys.executable, "-c", "pass"], log_path=Path(os.devnull))
    deadline = time.monotonic() + 10
    while proc.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not proc.pid_alive(pid)
    return pid


@pytest.mark.real
@pytest.mark.parametrize("who", ["dead", "not-moto"])
def test_stale_state_file_is_replaced(repo: Path, cli: Cli, cleanup: object, who: str) -> None:
    # A dead pid, or a live process that is not a moto server (pids get reused): this
    # test's own process, which `up` must neither reuse nor stop.
    pid = _dead_pid() if who == "dead" else os.getpid()
    stale_port = free_port()
    state = repo / ".platformctl" / "sandbox.json"
    state.parent.mkdir(parents=True)
    state.write_text(
        json.dumps(
            {
                "moto": {
                    "pid": pid,
                    "port": stale_port,
                    "endpoint": f"http://127.0.0.1:{stale_port}",
                    "started_at": "2020-01-01T00:00:00Z",
                }
            }
        )
    )
    assert "stale" in cli("sandbox", "status").out

    port = free_port()
    result = cli("sandbox", "up", "--port", str(port), "--only", "moto", "--json")
    assert result.code == 0, result.err
    moto = result.json()["components"][0]
    assert moto["action"] == "replaced" and moto["pid"] != pid and moto["port"] == port
    assert json.loads(state.read_text())["moto"]["pid"] == moto["pid"]
    assert _answers(f"http://127.0.0.1:{port}")
    assert proc.pid_alive(os.getpid())


@pytest.mark.real
def test_port_in_use_is_a_clear_error(repo: Path, cli: Cli) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("sandbox", "up", "--port", str(port), "--only", "moto")
    assert result.code == 1
    assert f"Port {port}" in result.error and "--port" in result.error
    assert_one_sentence(result.error)
    assert not (repo / ".platformctl" / "sandbox.json").exists()
