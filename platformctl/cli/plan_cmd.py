"""platformctl plan-all: plan every unit of the org's environments with terragrunt."""

from __future__ import annotations

from pathlib import Path

import typer

from platformctl.cli import options

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
POLICY = typer.Option(
    False,
    "--policy/--no-policy",
    help="Check each saved plan with checkov and the Rego policies in policies/ "
    "(conftest); a failed check exits 1.",
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
    policy: bool = POLICY,
) -> None:
    """Plan every unit (terragrunt run --all plan) and show what each would change.

    Renders live/ first if it is stale, then lets terragrunt plan the units in dependency
    order, with a live line per unit. The preflight (credentials, state bucket) runs beside
    terragrunt and stops it if it fails; a pass is remembered for 10 minutes per endpoint
    and identity. Plans (with --plan-json also their `tofu show -json`) and per-unit logs
    are kept in .platformctl/runs/<timestamp>-plan/. The summary gives, per unit, resources
    to add / change / replace / destroy and whether the plan used mock outputs of a
    dependency that has no state yet. With --policy each saved plan is also checked
    (checkov's plan checks, conftest with policies/; see docs/policies.md), the result is
    recorded beside the plan and shown per unit. Exit 0 when every unit planned (and
    passed its checks), 1 when any failed (or the preflight did), 130 on Ctrl-C.

    Examples:

      platformctl plan-all --org ExampleOrg --env sandbox

      platformctl plan-all --org ExampleOrg --json --summary-md plan.md

      platformctl plan-all --org ExampleOrg --env dev --policy

      platformctl plan-all --org ExampleOrg --changed --base origin/main --dry-run
    """
    from platformctl.cli.plan_run import PlanAllArgs
    from platformctl.cli.plan_run import plan_all as run

    if base is not None and not changed:
        raise typer.BadParameter("--base only makes sense with --changed.", param_hint="--base")
    args = PlanAllArgs(
        org=org,
        env=env,
        parallelism=parallelism,
        json_out=json_out,
        changed=changed,
        base=base,
        dry_run=dry_run,
        no_preflight=no_preflight,
        summary_md=summary_md,
        plan_json=plan_json,
        policy=policy,
    )
    code = run(ctx.obj, args)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("plan-all")(plan_all)
