"""Offline mode tries nothing: every address platformctl's own process looks up or connects
to is recorded (Python's audit events `socket.getaddrinfo` and `socket.connect`), and in
offline mode none is off the machine. Without offline mode the same recorder sees the
provider-registry probe, so the check can fail. The recorder also refuses every address
that is not loopback before the call is made, so not even a DNS query leaves."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

RECORDER = """
import ipaddress, json, sys
record = open(sys.argv[1], "a")

def loopback(host):
    if host in ("localhost", "", "None"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

def hook(event, args):
    if event == "socket.getaddrinfo":
        seen = ["lookup", str(args[0]), args[1]]
    elif event == "socket.connect" and isinstance(args[1], tuple):
        seen = ["connect", str(args[1][0]), args[1][1]]
    else:
        return
    record.write(json.dumps(seen) + "\\n")
    record.flush()
    if not loopback(seen[1]):
        raise OSError(f"refused by the test: {seen[1]} is not loopback")

sys.addaudithook(hook)
sys.argv = ["platformctl", *sys.argv[2:]]
from platformctl.cli import main
main()
"""


def _loopback(host: str) -> bool:
    if host in ("localhost", "", "None"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _run(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, list[list[object]]]:
    record = tmp_path / f"net-{len(list(tmp_path.glob('net-*')))}.jsonl"
    record.touch()
    done = subprocess.run(
        [sys.executable, "-c", RECORDER, str(record), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    return done.returncode, [json.loads(line) for line in record.read_text().splitlines()]


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(
        {
            "PLATFORMCTL_CACHE": str(tmp_path / "cache"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_COLOR": "1",
        }
    )
    env.pop("PLATFORMCTL_PROVIDER_MIRROR", None)
    return env


@pytest.mark.parametrize(
    "args",
    [
        ("tools", "providers"),
        ("tools", "providers", "--json"),
        ("doctor", "--offline", "--json"),
        ("tools", "install", "--dry-run"),
        ("tools", "list"),
        ("chart", "training-operator", "--json"),
    ],
)
def test_offline_mode_opens_no_connection_off_the_machine(
    tmp_path: Path, environment: dict[str, str], args: tuple[str, ...]
) -> None:
    environment["PLATFORMCTL_OFFLINE"] = "1"
    _code, seen = _run(tmp_path, environment, *args)
    assert [s for s in seen if not _loopback(str(s[1]))] == []


def test_the_offline_flag_is_offline_mode(tmp_path: Path, environment: dict[str, str]) -> None:
    environment.pop("PLATFORMCTL_OFFLINE", None)
    code, seen = _run(tmp_path, environment, "--offline", "tools", "providers")
    assert code == 1  # no mirror here: the providers do not resolve
    assert [s for s in seen if not _loopback(str(s[1]))] == []


def test_without_offline_mode_the_recorder_sees_the_registry_probe(
    tmp_path: Path, environment: dict[str, str]
) -> None:
    environment.pop("PLATFORMCTL_OFFLINE", None)
    _code, seen = _run(tmp_path, environment, "tools", "providers", "--json")
    assert ["lookup", "registry.opentofu.org", 443] in seen
