"""platformctl sweep: delete what is still tagged for an environment after destroy."""

from __future__ import annotations

import json

import typer

from platformctl.cli import options
from platformctl.cli.context import AppContext, ConsoleReporter

TIMEOUT = typer.Option(
    180.0,
    "--timeout",
    min=0,
    help="Seconds to keep retrying a resource AWS still reports in use (an NLB's network "
    "interfaces linger for a minute after it).",
)


def sweep(
    ctx: typer.Context,
    org: str | None = options.Org,
    env: str = typer.Option(
        ..., "--env", "-e", help="Environment from platform.toml.", show_default=False
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="List what would be deleted; delete nothing."
    ),
    yes: bool = options.Yes,
    timeout: float = TIMEOUT,
    json_out: bool = options.Json,
) -> None:
    """Delete what is still tagged for an environment once its cluster is destroyed.

    Finds, by exact tags only: the load balancers, target groups and security groups of
    the AWS Load Balancer Controller (elbv2.k8s.aws/cluster=<org>-<env>-eks), security
    groups, network interfaces (available) and EBS volumes (available) tagged for the
    cluster, and what the units left (security groups, log groups, KMS keys tagged
    Organization/Environment/ManagedBy=platformctl). Lists them with their tags, asks you
    to type the environment name, then deletes them in dependency order (load balancers,
    target groups, interfaces, security groups, volumes, log groups; KMS keys are
    scheduled for deletion). Refuses while the cluster exists. Untagged resources and
    those of another environment are never touched.

    Examples:

      platformctl sweep --org ExampleOrg --env dev --dry-run

      platformctl sweep --org ExampleOrg --env dev

      platformctl sweep --org ExampleOrg --env dev --yes --json
    """
    from platformctl.aws import sweep as sweeping
    from platformctl.aws.preflight import guard_account
    from platformctl.cli.teardownview import (
        print_sweep_outcome,
        require_terminal,
        sweep_confirmation,
    )
    from platformctl.model.config import load_platform, resolve_org

    app: AppContext = ctx.obj
    require_terminal(yes, dry_run, "sweep")
    the_org = resolve_org(org)
    environment = load_platform(app.root).get(env)
    reporter = ConsoleReporter(app.err)
    guard_account(app.root, the_org, environment, reporter)
    result = sweeping.sweep(
        app.root,
        the_org,
        environment,
        reporter=reporter,
        confirm=sweep_confirmation(app.err, yes, "Still tagged"),
        options=sweeping.SweepOptions(dry_run=dry_run, retry_seconds=timeout),
    )
    if json_out:
        app.console.out(json.dumps(result.to_json(), indent=2), highlight=False)
    else:
        print_sweep_outcome(app.console, result)
    if result.failed:
        from platformctl.errors import OperationError

        raise OperationError(
            f"{len(result.failed)} of {len(result.to_delete)} resources were not deleted "
            "(listed above with the reason)."
        )
    if not result.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)
