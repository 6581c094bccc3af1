"""Orchestration benchmarks on the providerless test stack, as ratios from one run.

1. overhead: `platformctl plan-all` vs raw `terragrunt run --all plan` on the same rendered
   tree (target <= 1.10), rounds alternating. On the bare stack (each plan ~0.3 s, so fixed
   costs dominate) three ways: as a user runs it twice in a row (the preflight's pass is
   remembered), with the preflight checked beside the run (its memory cleared first), and
   with --no-preflight. Then with every plan holding a few seconds, as plans against real
   provider APIs do.
2. start: how long after its spawn plan-all has terragrunt running (the run directory's
   timings.json; target 150 ms), from the bare-stack runs.
3. parallelism: k independent units, each plan holding a fixed delay, finish within
   1.3 x the ideal (depth x delay, depth 1 here).

Runs real terragrunt + OpenTofu with the state on a moto server on 127.0.0.1.
Usage: .venv/bin/python bench/orchestration.py [--rounds N] [--hold S] [--delay S]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.table import INFO, Row, Run, check, met, ratio_row, render  # noqa: E402
from platformctl.model.config import load_platform, resolve_org  # noqa: E402
from platformctl.report import SilentReporter  # noqa: E402
from platformctl.run.scope import ensure_rendered, stack_dir  # noqa: E402
from platformctl.toolchain.locate import tool_path  # noqa: E402
from tests.fixtures.servers import start_moto  # noqa: E402
from tests.run.stack import DEFAULT_UNITS, write_stack  # noqa: E402

PLATFORMCTL = Path(sys.executable).parent / "platformctl"
UNITS = tuple(DEFAULT_UNITS)
EXEC_TARGET_MS = 150.0
REMEMBERED = (
    "as run twice in a row: the preflight's pass is remembered for 10 minutes per endpoint "
    "and identity, so the second run makes no AWS call"
)
TYPER = (
    "the same plan-all spelled `-esandbox`, which cli.quick leaves to the Typer app: the "
    "difference to the first row is what reading a plain plan-all without Typer saves"
)
FLAGS = (
    "the exact terragrunt command plan-all runs (JSON log, run report, plans saved with "
    "-out): what saving the plans and reading the run back costs terragrunt itself"
)
FLOOR = (
    "what any Python CLI pays before it can start terragrunt: the interpreter, site, and "
    "importing the modules plan-all runs on; with the row above, the part of the 1.10 "
    "budget left for platformctl's own work"
)
BESIDE = (
    "the first run in 10 minutes checks credentials and bucket in a thread beside terragrunt: "
    "boto3's import and its STS and S3 clients cost ~0.35 s of CPU, which on 2 cores shared "
    "with terragrunt and the emulator shows on a sub-second plan"
)


def timed(
    cmd: Sequence[str], cwd: Path, env: Mapping[str, str], ok_codes: Sequence[int] = (0,)
) -> Run:
    """Run one command that must succeed: its wall and CPU time, spawn time and stdout."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    spawned = time.time()
    started = time.perf_counter()
    done = subprocess.run(
        list(cmd), cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in ok_codes:
        raise SystemExit(
            f"{cmd[0]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(elapsed, cpu, spawned, done.stdout)


def exec_after_spawn_ms(root: Path, spawned: float) -> float | None:
    """How long after `spawned` the newest plan-all run of `root` started terragrunt."""
    runs = sorted((root / ".platformctl" / "runs").glob("*-plan*"), key=lambda p: p.stat().st_mtime)
    try:
        timings = json.loads((runs[-1] / "timings.json").read_text())
    except (IndexError, OSError, ValueError):
        return None
    started = min(timings.get("terragrunt_started", {}).values(), default=None)
    return None if started is None else (started - spawned) * 1000


def _stack(base: Path, endpoint: str, units: Mapping[str, Sequence[str]]) -> tuple[Path, str, Path]:
    import boto3

    org = resolve_org(f"b{uuid.uuid4().hex[:10]}")
    root = write_stack(base / org.name, units=units)
    platform = load_platform(root)
    ensure_rendered(root, platform, org, None, SilentReporter(), dry_run=False)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=f"terraform-state-{org.name}-us-east-1")
    return root, org.name, stack_dir(root, org, platform.environments[0])


def _holds(seconds: float) -> dict[str, str]:
    return {f"STACK_HOLD_{u.upper()}": f"{seconds:g}" for u in UNITS}


def same_flags(root: Path, scratch: Path) -> tuple[list[str], dict[str, str], Path] | None:
    """The terragrunt command of the newest plan-all run of `root`, writing into `scratch`.

    Read back from the run's terragrunt log (its first line is the command as a person
    would type it), so it is exactly what plan-all ran: the shared download dir, the JSON
    log, the run report and the saved plans.
    """
    import shlex

    runs = sorted((root / ".platformctl" / "runs").glob("*-plan*"), key=lambda p: p.stat().st_mtime)
    logs = sorted(runs[-1].glob("*/terragrunt-plan.log")) if runs else []
    if not logs:
        return None
    words = shlex.split(logs[0].read_text().splitlines()[0].removeprefix("$ "))
    cwd, words = Path(words[1]), words[3:]  # cd <stack> && ...
    env: dict[str, str] = {}
    while "=" in words[0] and not words[0].startswith("/"):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    for flag, name in (("--out-dir", "plans"), ("--report-file", "report.json")):
        words[words.index(flag) + 1] = str(scratch / name)
    return words, env, cwd


def paired(a: list[Run], b: list[Run]) -> list[tuple[Run, Run]]:
    return list(zip(a, b, strict=True))


def bare_stack(base: Path, env: dict[str, str], rounds: int) -> list[Row]:
    """plan-all three ways vs raw terragrunt, and how soon plan-all starts terragrunt."""
    root, org, stack = _stack(base, env["AWS_ENDPOINT_URL"], DEFAULT_UNITS)
    run_env = {**env, "PLATFORMCTL_ROOT": str(root)}
    raw_env = {**run_env, "TG_TF_PATH": str(tool_path(root, "opentofu"))}
    raw = [str(tool_path(root, "terragrunt")), "run", "--all", "--non-interactive", "plan"]
    ours = [str(PLATFORMCTL), "plan-all", "--org", org, "--env", "sandbox", "--json"]
    remembered = root / ".platformctl" / "preflight-passed.json"
    timed(raw, stack, raw_env)  # warm-up: init, first S3 round trips
    timed(ours, root, run_env)  # warm-up: init, render stamp, preflight remembered
    found = same_flags(root, base / "same-flags")
    assert found is not None, "plan-all left no terragrunt log"
    flagged, flagged_env, _ = found
    floor = [sys.executable, "-c", "import platformctl.cli.quick, platformctl.run.plan"]
    times: dict[str, list[Run]] = {
        "raw": [],
        "ours": [],
        "beside": [],
        "bare": [],
        "flags": [],
        "floor": [],
        "typer": [],
    }
    # The same invocation in a spelling cli.quick leaves to the Typer app (an attached
    # short option): what reading a plain plan-all without Typer saves.
    through_typer = [w for w in ours if w not in ("--env", "sandbox")] + ["-esandbox"]
    starts: list[float] = []
    for i in range(rounds):
        if i % 2:  # every other round runs raw last: load that drifts in a round cancels
            times["ours"].append(timed(ours, root, run_env))
            times["raw"].append(timed(raw, stack, raw_env))
        else:
            times["raw"].append(timed(raw, stack, raw_env))
            times["ours"].append(timed(ours, root, run_env))
        if (ms := exec_after_spawn_ms(root, times["ours"][-1].spawned)) is not None:
            starts.append(ms)
        times["bare"].append(timed([*ours, "--no-preflight"], root, run_env))
        times["flags"].append(timed(flagged, stack, {**run_env, **flagged_env}))
        times["floor"].append(timed(floor, root, run_env))
        times["typer"].append(timed(through_typer, root, run_env))
        remembered.unlink(missing_ok=True)
        times["beside"].append(timed(ours, root, run_env))
        time.sleep(0.5)  # let the emulator settle after the preflight's calls
    figure = "bare 4-unit stack: plan-all ÷ raw terragrunt run --all plan"
    rows = [
        ratio_row(f"{figure}", times["ours"], times["raw"], 1.10, note=REMEMBERED),
        ratio_row(f"{figure}, --no-preflight", times["bare"], times["raw"], None),
        ratio_row(f"{figure}, read by Typer", times["typer"], times["raw"], None, note=TYPER),
        ratio_row(
            f"{figure}, preflight not remembered", times["beside"], times["raw"], None, note=BESIDE
        ),
        ratio_row(
            "bare stack: terragrunt with plan-all's flags ÷ raw",
            times["flags"],
            times["raw"],
            None,
            note=FLAGS,
        ),
        Row(
            "bare stack: start Python, import what plan-all needs; ÷ raw",
            f"{statistics.median(f.wall / r.wall for f, r in paired(times['floor'], times['raw'])):.3f}"
            f"  ({statistics.median(f.wall for f in times['floor']) * 1000:.0f} ms)",
            "-",
            INFO,
            note=FLOOR,
        ),
    ]
    if starts:
        ms = statistics.median(starts)
        rows.append(
            check(
                "plan-all start: spawn to terragrunt running (ms)",
                ms,
                EXEC_TARGET_MS,
                f"{ms:.0f} ms  (median of {len(starts)}, {min(starts):.0f}-{max(starts):.0f})",
                note="from the run directory's timings.json against the bench's spawn time",
            )
        )
    return rows


def holding(base: Path, env: dict[str, str], rounds: int, hold: float) -> list[Row]:
    """plan-all vs raw terragrunt with every plan holding `hold` seconds."""
    root, org, stack = _stack(base, env["AWS_ENDPOINT_URL"], DEFAULT_UNITS)
    run_env = {**env, **_holds(hold), "PLATFORMCTL_ROOT": str(root)}
    raw_env = {**run_env, "TG_TF_PATH": str(tool_path(root, "opentofu"))}
    raw = [str(tool_path(root, "terragrunt")), "run", "--all", "--non-interactive", "plan"]
    ours = [str(PLATFORMCTL), "plan-all", "--org", org, "--env", "sandbox", "--json"]
    warm_env = {**run_env, **_holds(0)}
    timed(raw, stack, {**raw_env, **_holds(0)})
    timed(ours, root, warm_env)
    raw_times, our_times = [], []
    for _ in range(rounds):
        raw_times.append(timed(raw, stack, raw_env))
        our_times.append(timed(ours, root, run_env))
    return [
        ratio_row(
            f"4-unit stack, every plan holding {hold:g} s: plan-all ÷ raw",
            our_times,
            raw_times,
            1.10,
        )
    ]


def parallel(base: Path, env: dict[str, str], delay: float) -> list[Row]:
    """k independent units, each plan holding `delay` s: plan-all wall time vs the ideal."""
    units = {u: () for u in UNITS}
    root, org, _ = _stack(base, env["AWS_ENDPOINT_URL"], units)
    run_env = {**env, "PLATFORMCTL_ROOT": str(root)}
    command = [str(PLATFORMCTL), "plan-all", "--org", org, "--env", "sandbox", "--json"]
    timed(command, root, run_env)  # warm-up
    wall = timed(command, root, {**run_env, **_holds(delay)}).wall
    return [
        check(
            f"{len(units)} independent units x {delay:g} s: plan-all ÷ ideal (depth 1)",
            wall / delay,
            1.30,
            f"{wall / delay:.2f}  ({wall:.2f} s / {delay:g} s)",
        )
    ]


def rows(rounds: int = 5, hold: float = 2.0, hold_rounds: int = 2, delay: float = 5.0) -> list[Row]:
    out: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="platformctl-bench-") as tmp:
        base = Path(tmp)
        moto = start_moto(base)
        server = next(moto)
        saved = dict(os.environ)
        try:
            os.environ.update(server.env())  # boto3 here and every child use the server
            env = dict(os.environ)
            for key in ("PLATFORMCTL_ROOT", "PLATFORMCTL_ORG"):
                env.pop(key, None)
            out += bare_stack(base, env, rounds)
            out += holding(base, env, hold_rounds, hold)
            out += parallel(base, env, delay)
        finally:
            os.environ.clear()
            os.environ.update(saved)
            moto.close()
    return out


def main(argv: Sequence[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hold", type=float, default=2.0, help="per-plan hold (s)")
    parser.add_argument("--hold-rounds", type=int, default=2)
    parser.add_argument("--delay", type=float, default=5.0, help="per-unit delay (s)")
    args = parser.parse_args(argv)
    table = rows(args.rounds, args.hold, args.hold_rounds, args.delay)
    print(render(table))
    return met(table)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
