"""plan-all starts terragrunt first; preflight runs beside it (real terragrunt, OpenTofu, moto)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from platformctl.run.overlap import Held
from platformctl.run.phase import NoProgress
from tests.fixtures.servers import free_port
from tests.run.conftest import Stack

PLATFORMCTL = Path(sys.executable).parent / "platformctl"


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def step(self, message: str) -> None:
        self.calls.append(("step", message))

    def info(self, message: str) -> None:
        self.calls.append(("info", message))

    def warn(self, message: str) -> None:
        self.calls.append(("warn", message))


def test_held_messages_come_out_in_order_on_release() -> None:
    out = _Recorder()
    held = Held(out, NoProgress())
    held.reporter.info("rendered")
    held.reporter.step("plan")
    assert out.calls == []
    held.release()
    held.reporter.warn("after")
    assert out.calls == [("info", "rendered"), ("step", "plan"), ("warn", "after")]
    passthrough = _Recorder()
    Held(passthrough, NoProgress(), active=False).reporter.info("now")
    assert passthrough.calls == [("info", "now")]


def _plan_all(
    stack: Stack, *args: str, env: dict[str, str] | None = None, python: str = ""
) -> subprocess.CompletedProcess[str]:
    command = (
        [sys.executable, *python.split(), "-m", "platformctl"] if python else [str(PLATFORMCTL)]
    )
    return subprocess.run(
        [*command, "plan-all", "--json", *args],
        cwd=stack.root,
        env={**os.environ, "COLUMNS": "2000", **(env or {})},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )


def _run_dirs(stack: Stack) -> list[Path]:
    return sorted((stack.root / ".platformctl" / "runs").glob("*-plan*"))


@pytest.mark.real
def test_a_failing_preflight_stops_terragrunt_and_reports_its_sentence(stack: Stack) -> None:
    # The preflight's AWS calls go to a port nothing listens on; terragrunt's backend does
    # not use AWS_ENDPOINT_URL (the stack names its endpoint), so it would plan for 30 s.
    dead = f"http://127.0.0.1:{free_port()}"
    broken = {"AWS_ENDPOINT_URL": dead, "STACK_HOLD_VPC": "30"}
    # live/ is stale: it is rewritten only once the preflight passed, so nothing starts.
    early = _plan_all(stack, env=broken)
    assert early.returncode == 1 and "unreachable" in early.stderr, early.stderr
    assert not (stack.root / "live").exists() and not _run_dirs(stack)

    assert _plan_all(stack, "--no-preflight").returncode == 0  # renders live/
    started = time.monotonic()
    done = _plan_all(stack, env=broken)
    elapsed = time.monotonic() - started

    assert done.returncode == 1, done.stderr
    assert "unreachable" in done.stderr and dead in done.stderr
    assert elapsed < 25, elapsed  # stopped, not waited out
    run = _run_dirs(stack)[-1]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["ok"] is False and any("unreachable" in e for e in summary["errors"])
    assert summary["environments"][0]["units"][0]["status"] == "failed"
    assert not [k for k in stack.s3_keys() if k.endswith(".tflock")]

    again = _plan_all(stack)
    assert again.returncode == 0, again.stderr


@pytest.mark.real
def test_preflight_runs_once_then_is_remembered_and_boto3_stays_unloaded(stack: Stack) -> None:
    first = _plan_all(stack)
    assert first.returncode == 0, first.stderr
    assert "AWS account" in first.stderr  # the test bucket lacks the bootstrap's protection:
    assert "not fully protected" in first.stderr

    # Same endpoint and identity minutes later: no AWS call, and no boto3 import at all.
    second = _plan_all(stack, python="-X importtime")
    assert second.returncode == 0, second.stderr
    assert "preflight passed minutes ago" in second.stderr and "AWS account" not in second.stderr
    assert "not fully protected" in second.stderr  # the remembered warning is repeated
    imported = {line.split("|")[-1].strip() for line in second.stderr.splitlines() if "|" in line}
    assert "platformctl.run.plan" in imported
    assert not {"boto3", "botocore"} & imported

    # Another identity is checked again.
    third = _plan_all(stack, env={"AWS_ACCESS_KEY_ID": "other"})
    assert third.returncode == 0, third.stderr
    assert "preflight passed minutes ago" not in third.stderr

    # Without preflight nothing AWS-side is imported either.
    bare = _plan_all(stack, "--no-preflight", python="-X importtime")
    assert bare.returncode == 0, bare.stderr
    assert " boto3\n" not in bare.stderr + "\n" and "botocore" not in bare.stderr


@pytest.mark.real
def test_the_run_dir_records_when_terragrunt_was_started(stack: Stack) -> None:
    before = time.time()
    done = _plan_all(stack, "--no-preflight")
    assert done.returncode == 0, done.stderr
    (run,) = _run_dirs(stack)
    timings = json.loads((run / "timings.json").read_text())
    at = timings["terragrunt_started"]["sandbox/plan"]
    assert before < at < time.time()
    assert 0 < timings["terragrunt_started_after_s"]["sandbox/plan"] < at - before + 0.05
    log = (run / "sandbox" / "terragrunt-plan.log").read_text()
    assert log.startswith("$ ")


_AT_EXEC = """
import subprocess, sys
from platformctl.cli import main
HEAVY = (
    "typer", "click", "rich", "pydantic", "jinja2", "hcl2", "boto3", "botocore", "urllib.request", "sh"
)
popen = subprocess.Popen.__init__
def spawn(self, args, *rest, **kwargs):
    if "terragrunt" in str(args[0]):
        print("AT EXEC", sorted(m for m in HEAVY if m in sys.modules), file=sys.stderr)
    popen(self, args, *rest, **kwargs)
subprocess.Popen.__init__ = spawn
main(sys.argv[1:])
"""


@pytest.mark.real
def test_nothing_heavy_is_imported_before_terragrunt_starts(stack: Stack) -> None:
    assert _plan_all(stack).returncode == 0  # renders live/ and remembers the preflight
    done = subprocess.run(
        [sys.executable, "-c", _AT_EXEC, "plan-all", "--org", stack.org.name, "--json"],
        cwd=stack.root,
        env={**os.environ, "COLUMNS": "2000"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "AT EXEC []" in done.stderr, done.stderr
