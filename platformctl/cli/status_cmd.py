"""platformctl status: the AWS resources of an environment, found by their tags."""

from __future__ import annotations

import json

import typer

from platformctl.cli import options
from platformctl.cli.context import AppContext, ConsoleReporter


def status(
    ctx: typer.Context,
    org: str | None = options.Org,
    env: str = options.EnvDefaultSandbox,
    as_json: bool = options.Json,
) -> None:
    """List what exists in AWS for an environment: VPC, subnets, NAT gateways, internet
    gateway, route tables, EIPs, ENIs, security groups, NACLs, EKS cluster and node groups.

    Resources are found by the tags the rendered provider puts on everything
    (Organization=<org>, Environment=<env>); EKS details come from describe calls.

    Examples:

      platformctl status --org ExampleOrg --env sandbox

      platformctl status --org ExampleOrg --env dev --json
    """
    from rich.table import Table

    from platformctl.config import load_platform, resolve_org
    from platformctl.inventory import inventory

    app: AppContext = ctx.obj
    the_org = resolve_org(org)
    environment = load_platform(app.root).get(env)
    inv = inventory(app.root, the_org, environment, ConsoleReporter(app.err))
    if as_json:
        app.console.out(json.dumps(inv.to_json(), indent=2), highlight=False)
        return
    where = inv.endpoint or inv.region
    if not inv.resources:
        app.console.print(
            f"No resources tagged Organization={inv.org}, Environment={inv.env} in {where}."
        )
        return
    table = Table(title=f"{inv.org}/{inv.env} in {where}", title_justify="left")
    for col in ("type", "id", "name", "details"):
        table.add_column(col)
    for kind, rows in inv.by_type().items():
        for i, r in enumerate(rows):
            details = ", ".join(f"{k}={v}" for k, v in r.details.items())
            table.add_row(f"{r.label} ({len(rows)})" if i == 0 else "", r.id, r.name, details)
        table.add_section()
        del kind
    app.console.print(table)
    app.console.print(f"{len(inv.resources)} resources.")


def register(app: typer.Typer) -> None:
    app.command("status")(status)
