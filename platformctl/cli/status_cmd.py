"""platformctl status: the AWS resources of an environment, found by their tags."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from platformctl.cli import options
from platformctl.cli.context import AppContext, ConsoleReporter

if TYPE_CHECKING:
    from rich.table import Table

    from platformctl.aws.inventory import Inventory


def status(
    ctx: typer.Context,
    org: str | None = options.Org,
    env: str = options.EnvDefaultSandbox,
    as_json: bool = options.Json,
) -> None:
    """List what exists in AWS for an environment: VPC, subnets, NAT gateways, internet
    gateway, route tables, EIPs, ENIs, security groups, NACLs, EKS cluster and node groups,
    and what the cluster's controllers created (load balancers, target groups, volumes),
    log groups and KMS keys.

    Resources are found by the tags the rendered provider puts on everything
    (Organization=<org>, Environment=<env>) and by the cluster's own tags; EKS details
    come from describe calls. KMS keys already scheduled for deletion are listed apart.

    Examples:

      platformctl status --org ExampleOrg --env sandbox

      platformctl status --org ExampleOrg --env dev --json
    """
    from platformctl.aws.inventory import inventory
    from platformctl.model.config import load_platform, resolve_org

    app: AppContext = ctx.obj
    the_org = resolve_org(org)
    environment = load_platform(app.root).get(env)
    inv = inventory(app.root, the_org, environment, ConsoleReporter(app.err))
    if as_json:
        app.console.out(json.dumps(inv.to_json(), indent=2), highlight=False)
        return
    where = inv.endpoint or inv.region
    for key in inv.scheduled_for_deletion:
        app.console.print(f"KMS key {key.id} ({key.name}) is scheduled for deletion.")
    if not inv.resources:
        app.console.print(
            f"No resources tagged Organization={inv.org}, Environment={inv.env} in {where}."
        )
        return
    app.console.print(inventory_table(inv))
    app.console.print(f"{len(inv.resources)} resources.")


def inventory_table(inv: Inventory) -> Table:
    """The inventory as one table, grouped by type (with counts)."""
    from rich.markup import escape
    from rich.table import Table

    where = inv.endpoint or inv.region
    table = Table(title=f"{inv.org}/{inv.env} in {where}", title_justify="left")
    for col in ("type", "id", "name", "details"):
        table.add_column(col)
    for rows in inv.by_type().values():
        for i, r in enumerate(rows):
            details = ", ".join(f"{k}={v}" for k, v in r.details.items())
            table.add_row(
                f"{r.label} ({len(rows)})" if i == 0 else "",
                escape(r.id),
                escape(r.name),
                escape(details),
            )
        table.add_section()
    return table


def register(app: typer.Typer) -> None:
    app.command("status")(status)
