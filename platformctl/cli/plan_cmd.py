"""platformctl plan-all: plan every unit of the org's environments with terragrunt."""

from __future__ import annotations

from pathlib import Path

import typer

from platformctl.cli import options
from platformctl.cli.context import AppContext, ConsoleReporter

NO_PREFLIGHT = typer.Option(
    False,
    "--no-preflight",
    help="Skip the credentials and state-bucket checks (when CI has done them already).",
)
SUMMARY_MD = typer.Option(
    None,
    "--summary-md",
    help="Also write the per-unit table as GitHub markdown to FILE.",
    show_default=False,
    dir_okay=False,
)
PLAN_JSON = typer.Option(
    False,
    "--plan-json",
    help="Also keep each unit's `tofu show -json` next to its saved plan (tfplan.json).",
)


def plan_all(
    ctx: typer.Context,
    *,
    org: str | None = options.Org,
    env: str | None = typer.Option(
        None,
        "--env",
        "-e",
        help="Environment from platform.toml (default: every one, one after another).",
        show_default=False,
    ),
    parallelism: int | None = typer.Option(
        None,
        "--parallelism",
        "-p",
        min=1,
        help="Units planned at the same time (default: terragrunt's).",
        show_default=False,
    ),
    json_out: bool = options.Json,
    changed: bool = typer.Option(
        False,
        "--changed",
        help="Only units whose files changed since --base, and their dependents.",
    ),
    base: str | None = typer.Option(
        None,
        "--base",
        help="Git ref for --changed (default: the PR base in CI, else origin/main or main).",
        show_default=False,
    ),
    dry_run: bool = options.DryRun,
    no_preflight: bool = NO_PREFLIGHT,
    summary_md: Path | None = SUMMARY_MD,
    plan_json: bool = PLAN_JSON,
) -> None:
    """Plan every unit (terragrunt run --all plan) and show what each would change.

    Renders live/ first if it is stale, then lets terragrunt plan the units in dependency
    order, with a live line per unit. The preflight (credentials, state bucket) runs beside
    terragrunt and stops it if it fails; a pass is remembered for 10 minutes per endpoint
    and identity. Plans (with --plan-json also their `tofu show -json`) and per-unit logs
    are kept in .platformctl/runs/<timestamp>-plan/. The summary gives, per unit, resources
    to add / change / replace / destroy and whether the plan used mock outputs of a
    dependency that has no state yet. Exit 0 when every unit planned, 1 when any failed (or
    the preflight did), 130 on Ctrl-C.

    Examples:

      platformctl plan-all --org ExampleOrg --env sandbox

      platformctl plan-all --org ExampleOrg --json --summary-md plan.md

      platformctl plan-all --org ExampleOrg --changed --base origin/main --dry-run
    """
    from platformctl import signals
    from platformctl.cli.runview import LiveUnits, print_summary
    from platformctl.errors import Interrupted
    from platformctl.model.config import load_platform, resolve_org
    from platformctl.run import plan, scope

    app: AppContext = ctx.obj
    if base is not None and not changed:
        raise typer.BadParameter("--base only makes sense with --changed.", param_hint="--base")
    the_org = resolve_org(org)
    platform = load_platform(app.root)
    if env is not None:
        platform.get(env)
    reporter = ConsoleReporter(lambda: app.err)  # rich loads once terragrunt runs
    result = plan.plan_all(
        app.root,
        platform,
        the_org,
        env,
        reporter,
        opts=scope.Options(
            parallelism=parallelism,
            dry_run=dry_run,
            preflight=not no_preflight,
            plan_json=plan_json,
        ),
        progress=LiveUnits(lambda: app.err),
        changed=changed,
        changed_base=base,
    )
    if dry_run:
        return
    document = result.to_json()
    if summary_md is not None:
        from platformctl.fsutil import write_atomic
        from platformctl.run.summary_md import render

        write_atomic(summary_md, render(document))
    if json_out:
        from platformctl.model.graph import dumps

        app.console.out(dumps(document), highlight=False)
    else:
        print_summary(app.console, result)
    if result.interrupted:
        raise Interrupted(
            f"Interrupted ({signals.describe()}); the logs and summary are in {result.run_dir}."
        )
    if not result.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("plan-all")(plan_all)
