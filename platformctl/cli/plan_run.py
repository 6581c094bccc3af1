"""What `plan-all` does once its options are parsed, by Typer (plan_cmd) or by cli.quick."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from platformctl.cli.context import AppContext, ConsoleReporter, warn_support_status

if TYPE_CHECKING:
    from rich.console import Console

    from platformctl.run.results import RunResult


@dataclass(frozen=True)
class PlanAllArgs:
    """plan-all's options, named as the Typer command's parameters are."""

    org: str | None = None
    env: str | None = None
    parallelism: int | None = None
    json_out: bool = False
    changed: bool = False
    base: str | None = None
    dry_run: bool = False
    no_preflight: bool = False
    summary_md: Path | None = None
    plan_json: bool = False
    policy: bool = False


def plan_all(app: AppContext, args: PlanAllArgs) -> int:
    """Plan, print the summary (or the JSON document), and give the exit code: 0 or 1."""
    from platformctl import signals
    from platformctl.cli.runview import LiveUnits, print_summary
    from platformctl.errors import Interrupted
    from platformctl.model.config import load_platform, resolve_org
    from platformctl.run import plan, scope

    the_org = resolve_org(args.org)
    platform = load_platform(app.root)
    if args.env is not None:
        platform.get(args.env)
    reporter = ConsoleReporter(lambda: app.err)  # rich loads once terragrunt runs
    warn_support_status(reporter, platform.select(args.env))
    result = plan.plan_all(
        app.root,
        platform,
        the_org,
        args.env,
        reporter,
        opts=scope.Options(
            parallelism=args.parallelism,
            dry_run=args.dry_run,
            preflight=not args.no_preflight,
            plan_json=args.plan_json,
        ),
        progress=LiveUnits(lambda: app.err),
        changed=args.changed,
        changed_base=args.base,
        policy=args.policy,
    )
    if args.dry_run:
        return 0
    document = result.to_json()
    if args.summary_md is not None:
        from platformctl.fsutil import write_atomic
        from platformctl.run.summary_md import render

        write_atomic(args.summary_md, render(document))
    if args.json_out:
        from platformctl.model.graph import dumps

        app.console.out(dumps(document), highlight=False)
    else:
        print_summary(app.console, result)
        print_policy_failures(app.console, result)
    if result.interrupted:
        raise Interrupted(
            f"Interrupted ({signals.describe()}); the logs and summary are in {result.run_dir}."
        )
    return 0 if result.ok else 1


def print_policy_failures(console: Console, result: RunResult) -> None:
    """Each failed policy check under the summary table, then the run's errors about them."""
    from rich.text import Text

    from platformctl.run.policy import policy_of

    for env in result.environments:
        for unit in env.units:
            checked = policy_of(unit)
            if checked is None or checked.passed:
                continue
            console.print(Text(f"\n{env.env}/{unit.name}: policy checks failed:", style="bold red"))
            for finding in checked.findings:
                console.print(
                    Text(f"  {finding.tool} {finding.rule}: {finding.message}"), highlight=False
                )
    for error in result.errors:
        if "policy check" in error:
            console.print(Text(error, style="bold red"), highlight=False)
