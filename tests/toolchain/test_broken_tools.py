"""A tool that is truncated, kills itself, is not an executable, hangs or floods its output:
doctor reports it in its table (exit 1, `--json` still printed), and never crashes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from platformctl import proc
from platformctl.errors import ProcessError
from platformctl.toolchain.versions import load_pins
from tests.conftest import REPO

PINS = load_pins(REPO)

BROKEN = {
    "truncated": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 40,
    "killed": b"#!/bin/sh\nkill -9 $$\n",
    "random": bytes(range(256)) * 8,
    "hanging": b"#!/bin/sh\nsleep 300 &\nsleep 300\n",
    "flooding": b"#!/bin/sh\nexec yes 'flood flood flood flood'\n",
}


def broken_tool(cache: Path, name: str, executable: str, kind: str) -> Path:
    binary = cache / "tools" / name / PINS[name].version / "bin" / executable
    binary.parent.mkdir(parents=True, exist_ok=True)
    binary.write_bytes(BROKEN[kind])
    binary.chmod(0o755)
    return binary


def _doctor(cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PLATFORMCTL_CACHE": str(cache), "PLATFORMCTL_ROOT": str(REPO)}
    env["COLUMNS"] = "300"
    return subprocess.run(
        [sys.executable, "-m", "platformctl", "doctor", "--offline", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_doctor_reports_every_broken_tool_and_exits_1(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    broken_tool(cache, "terragrunt", "terragrunt", "truncated")
    broken_tool(cache, "opentofu", "tofu", "killed")
    broken_tool(cache, "tflint", "tflint", "random")
    broken_tool(cache, "actionlint", "actionlint", "hanging")
    broken_tool(cache, "helm", "helm", "flooding")
    sleeping = _sleepers()
    started = time.monotonic()
    done = _doctor(cache)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    rows = {c["name"]: c for c in report["tools"]}
    for name in ("terragrunt", "opentofu", "tflint", "actionlint", "helm"):
        assert rows[name]["status"] == "broken", rows[name]
    assert "could not be started (Exec format error)" in rows["terragrunt"]["where"]
    assert "was killed by SIGKILL" in rows["opentofu"]["where"]
    assert "timed out" in rows["actionlint"]["where"]
    assert "printed more than" in rows["helm"]["where"]
    assert "Traceback" not in done.stderr and "this is a bug" not in done.stderr
    # Bounded: one hanging probe costs its timeout, not 30 s, and leaves no helper behind.
    assert time.monotonic() - started < 60
    assert _sleepers() - sleeping == set()


def _sleepers() -> set[int]:
    """Live `sleep 300` processes (the hanging tool's helper)."""
    done = proc.run(["pgrep", "-f", "^sleep 300$"], check=False)
    return {int(pid) for pid in done.stdout.split()}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_proc_run_turns_every_kind_of_failure_into_one_sentence(tmp_path: Path, kind: str) -> None:
    binary = tmp_path / f"tool-{kind}"
    binary.write_bytes(BROKEN[kind])
    binary.chmod(0o755)
    sleeping = _sleepers()
    with pytest.raises(ProcessError) as caught:
        proc.run([binary, "--version"], timeout=2, output_limit=1 << 20)
    message = caught.value.message
    assert message.startswith(f"{binary} ") and "\n" not in message
    assert "Traceback" not in message
    if kind == "hanging":
        assert caught.value.returncode == 124 and _sleepers() - sleeping == set()


@pytest.mark.parametrize("kind", ["truncated", "random"])
def test_a_streamed_or_spawned_tool_that_cannot_start_is_one_sentence(
    tmp_path: Path, kind: str
) -> None:
    binary = tmp_path / f"tool-{kind}"
    binary.write_bytes(BROKEN[kind])
    binary.chmod(0o755)
    with pytest.raises(ProcessError, match=r"could not be started \(Exec format error\)"):
        proc.stream([binary, "plan"], log_path=tmp_path / "log")
    with pytest.raises(ProcessError, match=r"could not be started \(Exec format error\)"):
        proc.spawn([binary], log_path=tmp_path / "svc.log")
