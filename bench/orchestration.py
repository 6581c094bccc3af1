"""Orchestration benchmarks, printed as ratios from one run.

1. overhead: `platformctl plan-all` on the providerless test stack vs raw
   `terragrunt run --all plan` on the same rendered tree (target <= 1.10). Measured on
   the bare stack (each plan ~0.3 s, so fixed start-up costs dominate) and with every
   plan holding a few seconds, as plans against real provider APIs do.
2. parallelism: k independent units, each plan holding a fixed delay, finish within
   1.3 x the ideal (depth x delay, depth 1 here).

Runs real terragrunt + OpenTofu with the state on a moto server on 127.0.0.1.
Usage: .venv/bin/python bench/orchestration.py [--rounds N] [--hold S] [--delay S]
"""

from __future__ import annotations

import argparse
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

from platformctl.config import load_platform, resolve_org  # noqa: E402
from platformctl.orchestrate import ensure_rendered, stack_dir  # noqa: E402
from platformctl.report import SilentReporter  # noqa: E402
from platformctl.toolchain.locate import tool_path  # noqa: E402
from tests.fixtures.servers import start_moto  # noqa: E402
from tests.orchestration.stack import DEFAULT_UNITS, write_stack  # noqa: E402

PLATFORMCTL = Path(sys.executable).parent / "platformctl"
UNITS = tuple(DEFAULT_UNITS)


def _timed(cmd: Sequence[str], cwd: Path, env: Mapping[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        list(cmd), cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"{cmd[0]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return elapsed


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


def overhead(
    base: Path, env: dict[str, str], rounds: int, hold: float
) -> tuple[float, float, float]:
    """Median wall times: platformctl plan-all, the same without preflight, raw terragrunt."""
    root, org, stack = _stack(base, env["AWS_ENDPOINT_URL"], DEFAULT_UNITS)
    run_env = {**env, **_holds(hold), "PLATFORMCTL_ROOT": str(root)}
    raw_env = {**run_env, "TG_TF_PATH": str(tool_path(root, "opentofu"))}
    terragrunt = str(tool_path(root, "terragrunt"))
    ours = [PLATFORMCTL, "plan-all", "--org", org, "--env", "sandbox", "--json"]
    # One warm-up each (init, first S3 round trips), then alternate.
    _timed([terragrunt, "run", "--all", "--non-interactive", "plan"], stack, raw_env)
    _timed(ours, root, run_env)
    a, b, c = [], [], []
    for _ in range(rounds):
        c.append(_timed([terragrunt, "run", "--all", "--non-interactive", "plan"], stack, raw_env))
        a.append(_timed(ours, root, run_env))
        b.append(_timed([*ours, "--no-preflight"], root, run_env))
    return statistics.median(a), statistics.median(b), statistics.median(c)


def parallel(base: Path, env: dict[str, str], delay: float) -> tuple[int, float]:
    """k independent units, each plan holding `delay` s: platformctl plan-all wall time."""
    units = {u: () for u in UNITS}
    root, org, _ = _stack(base, env["AWS_ENDPOINT_URL"], units)
    run_env = {**env, "PLATFORMCTL_ROOT": str(root)}
    _timed(
        [PLATFORMCTL, "plan-all", "--org", org, "--env", "sandbox", "--json"], root, run_env
    )  # warm-up
    run_env.update(_holds(delay))
    return len(units), _timed(
        [PLATFORMCTL, "plan-all", "--org", org, "--env", "sandbox", "--json"], root, run_env
    )


def main(argv: Sequence[str] | None = None) -> bool:
    """Print the ratios; True when the realistic and parallel cases meet their targets."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--hold", type=float, default=5.0, help="per-plan hold of the realistic case (s)"
    )
    parser.add_argument(
        "--delay", type=float, default=10.0, help="per-unit delay of the parallel case (s)"
    )
    args = parser.parse_args(argv)
    met = True
    with tempfile.TemporaryDirectory(prefix="platformctl-bench-") as tmp:
        base = Path(tmp)
        moto = start_moto(base)
        server = next(moto)
        try:
            os.environ.update(server.env())  # boto3 here and every child use the server
            env = dict(os.environ)
            for key in ("PLATFORMCTL_ROOT", "PLATFORMCTL_ORG"):
                env.pop(key, None)
            for hold in (0.0, args.hold):
                ours, no_preflight, raw = overhead(base, env, args.rounds, hold)
                label = "bare stack" if hold == 0 else f"plans holding {hold:g} s"
                if hold:
                    met = met and ours / raw <= 1.10
                print(
                    f"plan-all vs raw terragrunt run --all plan ({label}, median of {args.rounds}): "
                    f"{ours:.2f} s / {raw:.2f} s = {ours / raw:.2f}  "
                    f"(without preflight {no_preflight:.2f} s = {no_preflight / raw:.2f}; target <= 1.10)"
                )
            k, wall = parallel(base, env, args.delay)
            met = met and wall / args.delay <= 1.30
            print(
                f"{k} independent units x {args.delay:g} s delay: {wall:.2f} s / ideal {args.delay:g} s "
                f"(depth 1) = {wall / args.delay:.2f}  (target <= 1.30)"
            )
        finally:
            moto.close()
    return met


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
