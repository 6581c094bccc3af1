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
    from platformctl.model.config import Environment
    from platformctl.postinstall.workloads import ComponentHealth


def status(
    ctx: typer.Context,
    org: str | None = options.Org,
    env: str = options.EnvDefaultSandbox,
    kubeconfig: str | None = typer.Option(
        None,
        "--kubeconfig",
        help="Kubeconfig for the component checks (default: $PLATFORMCTL_KUBECONFIG, the "
        "sandbox's own, else $KUBECONFIG).",
    ),
    components: bool = typer.Option(
        True,
        "--components/--no-components",
        help="Also check the platform's components in the cluster (when the cluster exists).",
    ),
    as_json: bool = options.Json,
) -> None:
    """List what exists in AWS for an environment: VPC, subnets, NAT gateways, internet
    gateway, route tables, EIPs, ENIs, security groups, NACLs, EKS cluster and node groups,
    EFS and FSx file systems, what the cluster's controllers created (load balancers, target
    groups, volumes), log groups and KMS keys; then, when the cluster exists, the health of
    every platform component in it (load balancer controller, EBS/EFS CSI, cert-manager,
    External DNS, cluster autoscaler, Istio, Prometheus, Kiali, Training and GPU operators).

    Resources are found by the tags the rendered provider puts on everything
    (Organization=<org>, Environment=<env>) and by the cluster's own tags; EKS details
    come from describe calls. KMS keys already scheduled for deletion are listed apart.
    A component is healthy when its Deployments and DaemonSets have rolled out
    (`kubectl rollout status` rules); an unreachable cluster is reported, not an error.

    Examples:

      platformctl status --org ExampleOrg --env sandbox

      platformctl status --org ExampleOrg --env dev --json --no-components
    """
    from platformctl.aws.inventory import inventory
    from platformctl.model.config import load_platform, resolve_org

    app: AppContext = ctx.obj
    the_org = resolve_org(org)
    environment = load_platform(app.root).get(env)
    inv = inventory(app.root, the_org, environment, ConsoleReporter(app.err))
    has_cluster = any(r.type == "eks:cluster" for r in inv.resources)
    health: tuple[ComponentHealth, ...] | None = None
    health_error: str | None = None
    if components and has_cluster:
        health, health_error = _component_health(app, environment, kubeconfig)
    if as_json:
        document = inv.to_json()
        if components and has_cluster:
            document["components"] = None if health is None else [h.to_json() for h in health]
            if health_error is not None:
                document["components_error"] = health_error
        app.console.out(json.dumps(document, indent=2), highlight=False)
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
    if health is not None:
        app.console.print(components_table(health))
        ready = sum(1 for h in health if h.ready)
        app.console.print(f"{ready} of {len(health)} components ready.")
    elif health_error is not None:
        from rich.markup import escape

        app.console.print(f"Components not checked: {escape(health_error)}")


def _component_health(
    app: AppContext, environment: Environment, kubeconfig: str | None
) -> tuple[tuple[ComponentHealth, ...] | None, str | None]:
    """The components' health, or why the cluster could not be asked."""
    from pathlib import Path

    from platformctl.cluster.kube import Kube
    from platformctl.errors import PlatformctlError
    from platformctl.postinstall.context import default_kubeconfig
    from platformctl.postinstall.workloads import health

    try:
        path = Path(kubeconfig) if kubeconfig else default_kubeconfig(app.root, environment)
        with Kube(path) as kube:
            return health(kube, environment), None
    except PlatformctlError as exc:
        return None, exc.message


def components_table(health: tuple[ComponentHealth, ...]) -> Table:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="platform components", title_justify="left")
    for col in ("component", "stage", "ready", "workloads"):
        table.add_column(col)
    for h in health:
        table.add_row(
            h.component.name,
            h.component.stage,
            "yes" if h.ready else "NO",
            escape("; ".join(f"{w.workload.ref}: {w.detail}" for w in h.workloads)),
        )
    return table


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
