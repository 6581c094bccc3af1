"""platformctl deploy / destroy: apply or destroy stages with terragrunt, safely."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

import typer

from platformctl.cli import options
from platformctl.cli.context import AppContext, ConsoleReporter, warn_support_status
from platformctl.cli.plan_cmd import NO_PREFLIGHT, POLICY

if TYPE_CHECKING:
    from platformctl.run.results import RunResult
    from platformctl.run.teardown import Teardown


class Stage(StrEnum):
    vpc = "vpc"
    eks = "eks"
    mesh = "mesh"
    kubeflow = "kubeflow"


class Target(StrEnum):
    vpc = "vpc"
    eks = "eks"
    mesh = "mesh"
    kubeflow = "kubeflow"
    all = "all"


STAGE = typer.Argument(..., help="The stage (unit) to deploy.")
TARGET = typer.Argument(..., help="The stage to destroy, or all.")
ENV_HELP = "Environment from platform.toml (required when it has more than one)."


def deploy(
    ctx: typer.Context,
    stage: Stage = STAGE,
    *,
    org: str | None = options.Org,
    env: str | None = typer.Option(None, "--env", "-e", help=ENV_HELP, show_default=False),
    yes: bool = options.Yes,
    with_dependencies: bool = typer.Option(
        False,
        "--with-dependencies",
        help="Also plan and apply the units the stage depends on, in order.",
    ),
    parallelism: int | None = typer.Option(
        None, "--parallelism", "-p", min=1, help="Units run at the same time.", show_default=False
    ),
    dry_run: bool = options.DryRun,
    no_preflight: bool = NO_PREFLIGHT,
    json_out: bool = options.Json,
    policy: bool = POLICY,
    allow_policy_failures: bool = typer.Option(
        False,
        "--allow-policy-failures",
        help="With --policy: apply a plan even though its policy checks failed (named in "
        "the summary).",
    ),
) -> None:
    """Plan a stage, show the summary, ask, then apply exactly the saved plans.

    Never applies a plan made against mock outputs: units are applied level by level,
    and a unit whose dependencies were just applied is planned again first. After each
    applied unit its post-install steps run (kubeconfig after eks, istio-ingress restart
    after mesh, health gates). Without --yes it asks first, and refuses to run in a
    non-terminal. With --policy each saved plan is checked as by `plan-all --policy`, and
    a plan whose check failed is not applied (exit 1) unless --allow-policy-failures.

    Examples:

      platformctl deploy vpc --org ExampleOrg --env sandbox

      platformctl deploy kubeflow --org ExampleOrg --env sandbox --with-dependencies --yes

      platformctl deploy eks --org ExampleOrg --env dev --dry-run

      platformctl deploy eks --org ExampleOrg --env dev --policy --yes
    """
    from platformctl.cli.plan_run import print_policy_failures
    from platformctl.cli.runview import LiveUnits, print_summary
    from platformctl.cli.teardownview import require_terminal
    from platformctl.model.config import load_platform, resolve_org
    from platformctl.run import deploy as deploy_flow
    from platformctl.run import scope

    app: AppContext = ctx.obj
    if allow_policy_failures and not policy:
        raise typer.BadParameter(
            "--allow-policy-failures only makes sense with --policy.",
            param_hint="--allow-policy-failures",
        )
    require_terminal(yes, dry_run, "deploy")
    the_org = resolve_org(org)
    platform = load_platform(app.root)
    reporter = ConsoleReporter(app.err)
    warn_support_status(reporter, platform.select(env))

    def approve(summary: RunResult) -> bool:
        if yes:
            return True
        print_summary(app.err, summary)
        print_policy_failures(app.err, summary)
        return typer.confirm("Apply these plans?", default=False, err=True)

    result = deploy_flow.deploy(
        app.root,
        platform,
        the_org,
        env,
        stage.value,
        reporter=reporter,
        opts=scope.Options(
            parallelism=parallelism, dry_run=dry_run, ask=_ask(yes), preflight=not no_preflight
        ),
        approve=approve,
        with_dependencies=with_dependencies,
        progress=LiveUnits(app.err),
        policy=policy,
        allow_policy_failures=allow_policy_failures,
    )
    if not dry_run:
        _conclude(app, result, json_out, aborted="Nothing was applied.")


def destroy(
    ctx: typer.Context,
    target: Target = TARGET,
    *,
    org: str | None = options.Org,
    env: str | None = typer.Option(None, "--env", "-e", help=ENV_HELP, show_default=False),
    yes: bool = options.Yes,
    with_dependents: bool = typer.Option(
        False, "--with-dependents", help="Also destroy the units that depend on the stage (first)."
    ),
    parallelism: int | None = typer.Option(
        None, "--parallelism", "-p", min=1, help="Units run at the same time.", show_default=False
    ),
    sweep: bool = typer.Option(
        False,
        "--sweep",
        help="Once the cluster is gone, delete what is still tagged for the environment "
        "(as `platformctl sweep`), and destroy again if that unblocked a unit.",
    ),
    drain_timeout: float = typer.Option(
        300.0,
        "--drain-timeout",
        min=0,
        metavar="SECONDS",
        help="How long to wait for the cluster's load balancers to go from AWS before "
        "destroying eks or mesh (0: delete them and go on).",
    ),
    dry_run: bool = options.DryRun,
    no_preflight: bool = NO_PREFLIGHT,
    json_out: bool = options.Json,
) -> None:
    """Destroy a stage or every stage, dependents first; asks you to type the environment name.

    Refuses while another unit that depends on the stage still has resources, unless
    --with-dependents. Never proceeds in a non-terminal without --yes. Before eks or mesh
    goes, the cluster's LoadBalancer Services and Ingresses are deleted and their AWS load
    balancers waited for (bounded). With --sweep, what is left tagged for the environment
    is listed and, after a second typed confirmation, deleted. `destroy all` ends by
    checking that no resource tagged for the environment is left ("0 resources left"), or
    lists what is and exits 1.

    Examples:

      platformctl destroy kubeflow --org ExampleOrg --env sandbox

      platformctl destroy eks --org ExampleOrg --env sandbox --with-dependents

      platformctl destroy all --org ExampleOrg --env sandbox --yes --sweep
    """
    from platformctl.cli.runview import LiveUnits, print_summary
    from platformctl.cli.teardownview import require_terminal, sweep_confirmation
    from platformctl.model.config import load_platform, resolve_org
    from platformctl.run import scope, teardown

    app: AppContext = ctx.obj
    require_terminal(yes, dry_run, "destroy")
    the_org = resolve_org(org)
    platform = load_platform(app.root)
    reporter = ConsoleReporter(app.err)
    warn_support_status(reporter, platform.select(env))

    def approve(summary: RunResult) -> bool:
        if yes:
            return True
        print_summary(app.err, summary)
        env_name = summary.environments[0].env
        typed = typer.prompt(
            f"Type the environment name ({env_name}) to destroy these units", err=True
        )
        return bool(typed.strip() == env_name)

    result = teardown.destroy(
        app.root,
        platform,
        the_org,
        env,
        target.value,
        reporter=reporter,
        opts=scope.Options(
            parallelism=parallelism,
            dry_run=dry_run,
            ask=_ask(yes),
            preflight=not no_preflight,
            drain_timeout=drain_timeout,
        ),
        approve=approve,
        confirm_sweep=sweep_confirmation(app.err, yes, "Left after destroy"),
        sweep=sweep,
        with_dependents=with_dependents,
        progress=LiveUnits(app.err),
    )
    if not dry_run:
        _conclude_teardown(app, result, json_out)


def _conclude_teardown(app: AppContext, result: Teardown, json_out: bool) -> None:
    """The destroy's summary, the sweep's outcome and what is left; then the exit code."""
    from platformctl import signals
    from platformctl.cli.runview import print_summary
    from platformctl.cli.teardownview import print_left, print_sweep_outcome
    from platformctl.errors import Interrupted

    run = result.run
    if json_out:
        from platformctl.model.graph import dumps

        app.console.out(dumps(result.to_json()), highlight=False)
    else:
        print_summary(app.console, run)
        if result.swept is not None:
            print_sweep_outcome(app.console, result.swept)
        if result.left is not None:
            print_left(app.console, result.left)
    if run.interrupted:
        raise Interrupted(
            f"Interrupted ({signals.describe()}); the logs and summary are in {run.run_dir}."
        )
    if result.first.aborted:
        app.err.print("The name did not match; nothing was destroyed.")
        raise typer.Exit(1)
    if not result.ok:
        raise typer.Exit(1)


def _conclude(app: AppContext, result: RunResult, json_out: bool, *, aborted: str) -> None:
    """Show the summary, then turn the outcome into the exit code (130, 1 or 0)."""
    from platformctl import signals
    from platformctl.errors import Interrupted

    _show(app, result, json_out)
    if result.interrupted:
        raise Interrupted(
            f"Interrupted ({signals.describe()}); the logs and summary are in {result.run_dir}."
        )
    if result.aborted:
        app.err.print(aborted)
        raise typer.Exit(1)
    if not result.ok:
        raise typer.Exit(1)


def _ask(yes: bool) -> Callable[[str], bool]:
    """The preflight's question callback: yes with --yes, no without a terminal."""

    def ask(question: str) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            return False
        return bool(typer.confirm(question, default=False, err=True))

    return ask


def _show(app: AppContext, result: RunResult, json_out: bool) -> None:
    from platformctl.cli.plan_run import print_policy_failures
    from platformctl.cli.runview import print_summary

    if json_out:
        from platformctl.model.graph import dumps

        app.console.out(dumps(result.to_json()), highlight=False)
    else:
        print_summary(app.console, result)
        print_policy_failures(app.console, result)


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)
    app.command("destroy")(destroy)
