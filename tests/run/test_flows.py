"""plan-all, deploy and destroy against real terragrunt + OpenTofu, state on a moto server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from platformctl.errors import OperationError, UsageError
from platformctl.report import SilentReporter
from platformctl.run.deploy import deploy
from platformctl.run.destroy import destroy
from platformctl.run.plan import plan_all
from platformctl.run.planreport import PlanCounts
from platformctl.run.results import RunResult, UnitResult
from platformctl.run.scope import Options
from tests.run.conftest import Stack

pytestmark = pytest.mark.real

PLATFORMCTL = Path(sys.executable).parent / "platformctl"


def _opts(**kwargs: object) -> Options:
    # The test stack's units are named like the real stages; their post-install steps
    # (kubeconfig, rollouts) need a real cluster and are not what these tests are about.
    return Options(ask=lambda _q: False, post_install=False, **kwargs)  # type: ignore[arg-type]


def _units(result: RunResult) -> dict[str, UnitResult]:
    (env,) = result.environments
    return {u.name: u for u in env.units}


def _report(run_dir: str, phase: str) -> list[dict[str, str]]:
    path = Path(run_dir) / "sandbox" / f"{phase}.report.json"
    runs: list[dict[str, str]] = json.loads(path.read_text())
    return runs


def _plan_all(stack: Stack, **kwargs: object) -> RunResult:
    return plan_all(
        stack.root,
        stack.platform,
        stack.org,
        None,
        SilentReporter(),
        opts=_opts(),
        **kwargs,  # type: ignore[arg-type]
    )


def _deploy(stack: Stack, stage: str, **kwargs: object) -> RunResult:
    return deploy(
        stack.root,
        stack.platform,
        stack.org,
        "sandbox",
        stage,
        reporter=SilentReporter(),
        opts=_opts(),
        approve=lambda _r: True,
        **kwargs,  # type: ignore[arg-type]
    )


def _destroy(stack: Stack, target: str, **kwargs: object) -> RunResult:
    return destroy(
        stack.root,
        stack.platform,
        stack.org,
        "sandbox",
        target,
        reporter=SilentReporter(),
        opts=_opts(),
        approve=lambda _r: True,
        **kwargs,  # type: ignore[arg-type]
    )


def test_first_plan_flags_mock_outputs_and_runs_independent_units_in_parallel(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # mesh and kubeflow depend only on eks: each holds its plan 3 s, together they should
    # take about 3 s, not 6.
    monkeypatch.setenv("STACK_HOLD_MESH", "3")
    monkeypatch.setenv("STACK_HOLD_KUBEFLOW", "3")
    result = _plan_all(stack)

    assert result.ok and not result.interrupted
    units = _units(result)
    assert list(units) == ["vpc", "eks", "kubeflow", "mesh"]
    assert {u.status for u in units.values()} == {"planned"}
    assert all((u.add, u.change, u.replace, u.destroy) == (1, 0, 0, 0) for u in units.values())
    # vpc has no dependency; every other unit was planned against mock outputs.
    assert {n: u.used_mock_outputs for n, u in units.items()} == {
        "vpc": False,
        "eks": True,
        "kubeflow": True,
        "mesh": True,
    }
    # Plans, their JSON, per-unit logs and the summary are in the run directory.
    run = Path(result.run_dir)
    assert run.parent == stack.root / ".platformctl" / "runs"
    for name in units:
        assert (run / "sandbox" / "plans" / "plan" / name / "tfplan.tfplan").is_file()
        assert "terraform_data.this will be created" in Path(units[name].log).read_text()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["command"] == "plan" and summary["ok"] is True
    assert summary["environments"][0]["units"][1]["used_mock_outputs"] is True

    runs = {r["Name"]: r for r in _report(result.run_dir, "plan")}
    mesh, kubeflow = runs["mesh"], runs["kubeflow"]
    assert mesh["Started"] < kubeflow["Ended"] and kubeflow["Started"] < mesh["Ended"], runs
    # eks runs after vpc finished, mesh after eks finished.
    assert runs["vpc"]["Ended"] <= runs["eks"]["Started"] <= runs["eks"]["Ended"] <= mesh["Started"]
    # Nothing was applied: no state object exists yet.
    assert stack.s3_keys() == []


def test_deploy_applies_in_order_with_real_outputs_then_replan_is_clean_and_destroy_reverses(
    stack: Stack,
) -> None:
    # Without --with-dependencies, eks cannot be deployed before vpc: its plan used mocks.
    with pytest.raises(OperationError, match="mock outputs of vpc"):
        _deploy(stack, "eks")

    result = _deploy(stack, "kubeflow", with_dependencies=True)
    assert result.ok, result
    units = _units(result)
    assert {n: u.status for n, u in units.items()} == {
        "vpc": "applied",
        "eks": "applied",
        "kubeflow": "applied",
    }
    # kubeflow got eks's real output, which got vpc's: no mock value was ever applied.
    log = Path(units["kubeflow"].log).read_text()
    assert 'id = "kubeflow[eks[vpc[]@1]@1]@1"' in log
    assert "mock-" not in log.split("=== apply")[-1]
    assert (
        Path(result.run_dir) / "sandbox" / "plans" / "apply-2" / "kubeflow" / "tfplan.tfplan"
    ).is_file()
    assert stack.s3_keys() == [
        "sandbox/eks/terraform.tfstate",
        "sandbox/kubeflow/terraform.tfstate",
        "sandbox/vpc/terraform.tfstate",
    ]

    # Re-plan: the applied units have nothing to do, mesh now sees eks's real outputs.
    again = _units(_plan_all(stack))
    assert {n: u.status for n, u in again.items()} == {
        "vpc": "no-changes",
        "eks": "no-changes",
        "kubeflow": "no-changes",
        "mesh": "planned",
    }
    assert not any(u.used_mock_outputs for u in again.values())

    # destroy eks would leave kubeflow without its cluster: refused.
    with pytest.raises(UsageError, match="kubeflow still depends on eks"):
        _destroy(stack, "eks")

    gone = _destroy(stack, "all")
    assert gone.ok
    statuses = {n: u.status for n, u in _units(gone).items()}
    assert statuses == {
        "vpc": "destroyed",
        "eks": "destroyed",
        "kubeflow": "destroyed",
        "mesh": "no-changes",
    }
    order = [
        r["Name"] for r in sorted(_report(gone.run_dir, "destroy"), key=lambda r: r["Started"])
    ]
    assert order == ["kubeflow", "eks", "vpc"]
    runs = {r["Name"]: r for r in _report(gone.run_dir, "destroy")}
    assert (
        runs["kubeflow"]["Ended"] <= runs["eks"]["Started"]
        and runs["eks"]["Ended"] <= runs["vpc"]["Started"]
    )


def _cli(
    stack: Stack, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(extra_env or {}), "COLUMNS": "2000"}
    return subprocess.run(
        [str(PLATFORMCTL), *args],
        cwd=stack.root,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )


def test_failing_unit_skips_its_dependents_and_exits_1(stack: Stack, tmp_path: Path) -> None:
    md = tmp_path / "summary.md"
    done = _cli(
        stack, "plan-all", "--json", "--summary-md", str(md), extra_env={"STACK_FAIL_EKS": "1"}
    )

    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert document["ok"] is False and document["command"] == "plan"
    units = {u["name"]: u for u in document["environments"][0]["units"]}
    assert {n: u["status"] for n, u in units.items()} == {
        "vpc": "planned",
        "eks": "failed",
        "kubeflow": "skipped",
        "mesh": "skipped",
    }
    assert "The eks unit is configured to fail" in units["eks"]["error_tail"]
    assert Path(units["eks"]["log"]).is_file()
    assert "Resource precondition failed" in Path(units["eks"]["log"]).read_text()
    assert units["mesh"]["error_tail"] == ""
    text = md.read_text()
    assert "| eks | ❌ failed |" in text and "The eks unit is configured to fail" in text
    assert units["eks"]["log"] in text


def test_sigint_during_apply_exits_130_releases_the_lock_and_the_next_run_succeeds(
    stack: Stack,
) -> None:
    env = {**os.environ, "STACK_SLEEP_VPC": "30"}
    child = subprocess.Popen(
        [str(PLATFORMCTL), "deploy", "vpc", "--env", "sandbox", "--yes", "--no-preflight"],
        cwd=stack.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        runs = stack.root / ".platformctl" / "runs"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            logs = list(runs.glob("*-deploy/sandbox/vpc.log"))
            if logs and "sleep 30" in logs[0].read_text():
                break
            assert child.poll() is None, child.communicate()
            time.sleep(0.2)
        else:
            pytest.fail("the apply never started")
        assert any(k.endswith(".tflock") for k in stack.s3_keys())  # the apply holds the lock
        started = time.monotonic()
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130, err
    assert time.monotonic() - started < 25  # stopped, not waited out
    assert "Interrupted" in err
    assert not [k for k in stack.s3_keys() if k.endswith(".tflock")]
    (run_dir,) = runs.glob("*-deploy")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["ok"] is False
    assert summary["environments"][0]["units"][0]["status"] == "failed"

    again = _cli(stack, "deploy", "vpc", "--env", "sandbox", "--yes", "--no-preflight", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["environments"][0]["units"][0]["status"] == "applied"
    assert not [k for k in stack.s3_keys() if k.endswith(".tflock")]


def test_deploy_refuses_without_yes_when_not_a_terminal(stack: Stack) -> None:
    done = _cli(stack, "deploy", "vpc", "--env", "sandbox")
    assert done.returncode == 2
    assert "pass --yes" in done.stderr
    assert not (stack.root / ".platformctl" / "runs").exists()


def test_dry_run_prints_the_terragrunt_commands_and_runs_nothing(stack: Stack) -> None:
    done = _cli(stack, "deploy", "kubeflow", "--env", "sandbox", "--with-dependencies", "--dry-run")
    assert done.returncode == 0, done.stderr
    text = done.stderr
    assert "run --all" in text and "--queue-include-dir kubeflow" in text
    assert text.count("-- apply") == 3 and "-- plan" in text
    destroy = _cli(
        stack, "destroy", "all", "--env", "sandbox", "--dry-run", "--drain-timeout", "42"
    )
    assert destroy.returncode == 0, destroy.stderr
    assert "-- destroy" in destroy.stderr and "mesh, kubeflow, eks, vpc" in destroy.stderr
    assert "(at most 42 s)" in destroy.stderr
    assert not (stack.root / ".platformctl" / "runs").exists()
    assert stack.s3_keys() == []


def test_plan_all_without_env_plans_every_environment_in_turn(
    tmp_path: Path, aws_env: object, monkeypatch: pytest.MonkeyPatch, stack: Stack
) -> None:
    from platformctl.model.config import load_platform
    from tests.run.stack import write_stack

    root = write_stack(tmp_path / "two", envs=("sandbox", "staging"))
    monkeypatch.setenv("PLATFORMCTL_ROOT", str(root))
    result = plan_all(root, load_platform(root), stack.org, None, SilentReporter(), opts=_opts())
    assert [(e.env, e.ok, len(e.units)) for e in result.environments] == [
        ("sandbox", True, 4),
        ("staging", True, 4),
    ]
    run = Path(result.run_dir)
    assert (run / "staging" / "plans" / "plan" / "mesh" / "tfplan.tfplan").is_file()
    # Counts come from the saved plans: no `tofu show -json` unless asked for.
    assert not list(run.glob("*/plans/plan/*/tfplan.json"))
    assert (run / "sandbox" / "vpc.log").is_file() and (run / "staging" / "vpc.log").is_file()


def test_plan_json_keeps_each_plans_json_with_the_same_counts(stack: Stack) -> None:
    from platformctl.run.planreport import read_plan_json

    result = plan_all(
        stack.root,
        stack.platform,
        stack.org,
        None,
        SilentReporter(),
        opts=_opts(plan_json=True),
    )
    assert result.ok, result
    plans = Path(result.run_dir) / "sandbox" / "plans" / "plan"
    for unit in _units(result).values():
        assert read_plan_json(plans / unit.name / "tfplan.json") == PlanCounts(
            unit.add, unit.change, unit.replace, unit.destroy, outputs_change=True
        )


def test_encrypted_plans_are_counted_through_tofu_show(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OpenTofu's plan encryption: the saved plans cannot be read in-process.
    monkeypatch.setenv(
        "TF_ENCRYPTION",
        'key_provider "pbkdf2" "k" { passphrase = "a passphrase of the test stack" }\n'
        'method "aes_gcm" "m" { keys = key_provider.pbkdf2.k }\n'
        "plan { method = method.aes_gcm.m }\n",
    )
    result = _plan_all(stack)
    assert result.ok, result
    units = _units(result)
    assert all((u.status, u.add) == ("planned", 1) for u in units.values())
    plans = Path(result.run_dir) / "sandbox" / "plans" / "plan"
    assert not zipfile.is_zipfile(plans / "vpc" / "tfplan.tfplan")


def test_deploy_and_destroy_need_env_when_there_are_several(tmp_path: Path) -> None:
    from platformctl.model.config import load_platform, resolve_org
    from tests.run.stack import write_stack

    root = write_stack(tmp_path / "two", envs=("sandbox", "staging"))
    with pytest.raises(UsageError, match="deploy needs --env"):
        deploy(
            root,
            load_platform(root),
            resolve_org("acme"),
            None,
            "vpc",
            reporter=SilentReporter(),
            opts=_opts(dry_run=True),
            approve=lambda _r: True,
        )


def test_destroy_of_a_never_applied_environment_has_nothing_to_destroy(stack: Stack) -> None:
    # `state list` of a unit whose dependency has no state runs on mock outputs: it reads
    # no inputs, and it finds an empty state.
    gone = _destroy(stack, "all")
    assert gone.ok
    assert {u.status for u in _units(gone).values()} == {"no-changes"}
    log = (Path(gone.run_dir) / "sandbox" / "terragrunt-state.log").read_text()
    assert log.count("No state file was found!") >= 4  # every unit was read, none failed
    assert not gone.errors


def test_destroy_that_cannot_read_the_state_destroys_nothing_and_says_so(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    assert _deploy(stack, "vpc").ok
    keys = stack.s3_keys()
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setenv("PLATFORMCTL_AWS_ENDPOINT", f"http://127.0.0.1:{closed}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(OperationError, match=r"Could not read the state of .*vpc.*nothing was"):
        _destroy(
            stack,
            "all",
        )
    assert stack.s3_keys() == keys  # the vpc's state is untouched
    run_dir = max((stack.root / ".platformctl" / "runs").glob("*-destroy"))
    summary = json.loads((run_dir / "summary.json").read_text())
    assert "Could not read the state" in " ".join(summary["errors"])
