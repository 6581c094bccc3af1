"""The real units on the sandbox: plan-all vs raw terragrunt with the real providers.

A copy of this repository's templates, modules and platform.toml in a temporary directory,
its own AWS emulator (`platformctl sandbox up --only moto` on a free port) and state
bucket (`platformctl bootstrap`), the `sandbox` environment rendered by plan-all itself.
Both sides plan the same rendered tree with the same OpenTofu CLI configuration (the
provider mirror and the shared plugin cache): plan-all with its own download dir, raw
`terragrunt run --all plan` with terragrunt's default (.terragrunt-cache in each unit).

1. initialised: both have run once; plan-all ÷ raw (target <= 1.05).
2. cold: before each run its download dir is removed, so every unit is initialised again
   from the shared plugin cache; plan-all ÷ raw (target <= 1.10).
3. disk: after plan-all's cold init the download dir must hold no copy of a provider
   binary (they are symlinks into the plugin cache), whatever its size.

Scope: vpc and eks, the units that plan against the emulator alone (mesh and kubeflow
need the sandbox's chart repository and control plane); a unit of the scope whose plan
fails in the warm-up is left out and named. Terragrunt's own TG_QUEUE_EXCLUDE_DIR leaves
the other units out of both runs alike. Where the providers do not resolve the rows are
skipped, naming them. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.orchestration import timed  # noqa: E402
from bench.table import MISS, PASS, SKIP, Row, Run, met, ratio_row, render  # noqa: E402

PLATFORMCTL = Path(sys.executable).parent / "platformctl"
ORG = "BenchOrg"
ENV = "sandbox"
SCOPE = ("vpc", "eks")
PROVIDERS = ("hashicorp/aws",)  # what vpc and eks need
COPY = ("templates", "modules", "platform.toml", ".tool-versions")
COPY_LIMIT = 50 * 1024 * 1024  # a regular file this big in a download dir is a provider copy

WARM = "real sandbox units {scope}, initialised: plan-all ÷ raw terragrunt"
COLD = "real sandbox units {scope}, first init from the plugin cache: plan-all ÷ raw"
DISK = "real sandbox units {scope}: plan-all download dir after first init"


def _skipped(reason: str) -> list[Row]:
    scope = "+".join(SCOPE)
    return [
        Row(f.format(scope=scope), "-", t, SKIP, reason)
        for f, t in ((WARM, "<= 1.05"), (COLD, "<= 1.1"), (DISK, "no provider copies"))
    ]


def _unresolved() -> str:
    """One line naming the providers of the scope that do not resolve here ('' when all do)."""
    from platformctl.toolchain.providers import missing_summary, provider_needs

    return missing_summary(tuple(n for n in provider_needs(REPO) if n.source in PROVIDERS))


def _cli(root: Path, env: Mapping[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(PLATFORMCTL), *args],
        cwd=root,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise SystemExit(f"platformctl {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _units(document: str) -> dict[str, dict[str, object]]:
    return {u["name"]: u for u in json.loads(document)["environments"][0]["units"]}


def disk_use(download_dir: Path) -> tuple[int, list[str], list[str]]:
    """Bytes of regular files (links not followed), provider copies, provider links."""
    total, copies, links = 0, [], []
    for top, dirs, files in os.walk(download_dir):
        for name in dirs + files:
            path = Path(top) / name
            if path.is_symlink():
                if "providers" in path.parts:
                    links.append(str(path.relative_to(download_dir)))
                continue
            if name in files:
                size = path.stat().st_size
                total += size
                if name.startswith("terraform-provider-") or size > COPY_LIMIT:
                    copies.append(f"{path.relative_to(download_dir)} ({size >> 20} MB)")
    return total, copies, links


def rows(rounds: int = 3, cold_rounds: int = 2) -> list[Row]:
    missing = _unresolved()
    if missing:
        return _skipped(missing)
    from tests.fixtures.servers import free_port

    with tempfile.TemporaryDirectory(prefix="platformctl-bench-real-") as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        for name in COPY:
            source = REPO / name
            if source.is_dir():
                shutil.copytree(source, root / name, ignore=shutil.ignore_patterns(".*"))
            else:
                shutil.copy2(source, root / name)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "PLATFORMCTL_", "TG_", "TF_"))
        }
        env.update(
            {"PLATFORMCTL_ROOT": str(root), "AWS_EC2_METADATA_DISABLED": "true", "COLUMNS": "200"}
        )
        _cli(root, env, "sandbox", "up", "--only", "moto", "--port", str(free_port()))
        try:
            _cli(root, env, "bootstrap", "--org", ORG, "--env", ENV)
            return _measure(root, env, rounds, cold_rounds)
        finally:
            subprocess.run(
                [str(PLATFORMCTL), "sandbox", "down", "--purge"],
                cwd=root,
                env=env,
                capture_output=True,
                check=False,
            )


def _measure(root: Path, env: dict[str, str], rounds: int, cold_rounds: int) -> list[Row]:
    from platformctl.model.config import load_platform, resolve_org
    from platformctl.model.render import UNITS
    from platformctl.run import terragrunt as t
    from platformctl.run.scope import Options, environment_for, resolve_tools, stack_dir

    environment = load_platform(root).get(ENV)
    org = resolve_org(ORG)
    stack = stack_dir(root, org, environment)
    ours = [str(PLATFORMCTL), "plan-all", "--org", ORG, "--env", ENV, "--json"]
    everything = list(UNITS)

    def excluding(scope: Sequence[str]) -> dict[str, str]:
        return {"TG_QUEUE_EXCLUDE_DIR": ",".join(u for u in everything if u not in scope)}

    # plan-all first: it renders the tree that both then plan.
    scope = list(SCOPE)

    def failures() -> tuple[dict[str, dict[str, object]], list[str]]:
        planned = _units(timed(ours, root, {**env, **excluding(scope)}, ok_codes=(0, 1)).stdout)
        ok = ("planned", "no-changes")
        return planned, [u for u in scope if planned.get(u, {}).get("status") not in ok]

    planned, failed = failures()
    if failed:  # once more, so a unit is left out only for a failure that repeats
        planned, failed = failures()
    note = ""
    if failed:
        reasons = []
        for unit in failed:
            entry = planned.get(unit, {})
            lines = str(entry.get("error_tail", "")).splitlines()
            line = next((x for x in lines if x.startswith("Error:")), lines[-1] if lines else "")
            reasons.append(f"{unit} ({entry.get('status', 'not run')}): {line[:200]}")
        scope = [u for u in scope if u not in failed]
        note = f"left out, its plan fails: {'; '.join(reasons)}"
    if not scope:
        return _skipped(f"no unit of {'+'.join(SCOPE)} plans here: {note}")
    label = "+".join(scope)
    tools = resolve_tools(root, dry_run=False)
    raw_env = {
        **env,
        # As plan-all sets them for its terragrunt (children here see no AWS_*, TF_*, TG_*).
        **t.environment(tools),
        **environment_for(root, environment, Options()),
        "TG_TF_PATH": str(tools.tofu),
        **excluding(scope),
    }
    our_env = {**env, **excluding(scope)}
    raw = [str(tools.terragrunt), "run", "--all", "--non-interactive", "plan"]
    # plan-all exits 1: the units left out count as skipped.
    codes = (0,) if len(scope) == len(everything) else (0, 1)
    timed(raw, stack, raw_env)  # warm-up: init of raw's own .terragrunt-cache (plan-all's is)

    def raw_run(cold: bool) -> Run:
        if cold:
            for unit in scope:
                shutil.rmtree(stack / unit / ".terragrunt-cache", ignore_errors=True)
        return timed(raw, stack, raw_env)

    def our_run(cold: bool) -> Run:
        if cold:
            shutil.rmtree(tools.download_dir, ignore_errors=True)
        return timed(ours, root, our_env, ok_codes=codes)

    # Rounds alternate which side runs first, so load that drifts during a round cancels.
    runs: dict[tuple[bool, str], list[Run]] = {}
    for cold, count in ((False, rounds), (True, cold_rounds)):
        for i in range(count):
            for side in ("raw", "ours") if i % 2 == 0 else ("ours", "raw"):
                run = raw_run(cold) if side == "raw" else our_run(cold)
                runs.setdefault((cold, side), []).append(run)
    warm_raw, warm_ours = runs[(False, "raw")], runs[(False, "ours")]
    cold_raw, cold_ours = runs[(True, "raw")], runs[(True, "ours")]
    total, copies, links = disk_use(tools.download_dir)
    disk = Row(
        DISK.format(scope=label),
        f"{total / 1e6:.1f} MB, {len(links)} provider link(s), {len(copies)} cop(ies)",
        "no provider copies",
        PASS if links and not copies else MISS,
        "copies: " + ", ".join(copies) if copies else ("" if links else "no provider link found"),
    )
    return [
        ratio_row(WARM.format(scope=label), warm_ours, warm_raw, 1.05, note),
        ratio_row(COLD.format(scope=label), cold_ours, cold_raw, 1.10),
        disk,
    ]


def main(argv: Sequence[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold-rounds", type=int, default=2)
    args = parser.parse_args(argv)
    table = rows(args.rounds, args.cold_rounds)
    print(render(table))
    return met(table)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
