"""platformctl add-cluster and eks-token: kubectl access to an environment's EKS cluster."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from platformctl.cli import options
from platformctl.cli.context import AppContext, ConsoleReporter

Kubeconfig = typer.Option(
    None,
    "--kubeconfig",
    help="File to merge into (default: first path of $KUBECONFIG, else ~/.kube/config).",
    show_default=False,
)


def add_cluster(
    ctx: typer.Context,
    *,
    org: str | None = options.Org,
    env: str = options.EnvDefaultSandbox,
    region: str | None = typer.Option(
        None,
        "--region",
        help="Region of the cluster (default: the environment's).",
        show_default=False,
    ),
    kubeconfig: Path | None = Kubeconfig,
    alias: str | None = typer.Option(
        None, "--alias", help="Context name (default: <org>-<env>-<region>).", show_default=False
    ),
    no_set_current: bool = typer.Option(
        False, "--no-set-current", help="Do not make the new context the current one."
    ),
    exec_style: str = typer.Option(
        "platformctl",
        "--exec",
        help="Credential plugin: 'platformctl' (built-in eks-token) or 'aws' (aws eks get-token).",
    ),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Replace a context of the same name that points at another cluster.",
    ),
    as_json: bool = options.Json,
) -> None:
    """Merge the cluster <org>-<env>-eks into your kubeconfig, like `aws eks update-kubeconfig`.

    Every other cluster, user and context is kept; only ours is replaced, and a context
    of the same name for another cluster only with --overwrite. A symlinked kubeconfig
    is written through to its target; anything but a regular file is refused. The file
    is written atomically with mode 0600. The user entry runs `platformctl eks-token`, so
    no AWS CLI is needed. In the sandbox the context points at the local control plane
    when it runs.

    Examples:

      platformctl add-cluster --org ExampleOrg --env dev

      platformctl add-cluster --org ExampleOrg --env dev --alias dev --no-set-current --exec aws
    """
    from platformctl.aws.kubeconfig import add_cluster as run_add_cluster
    from platformctl.model.config import load_platform, resolve_org

    app: AppContext = ctx.obj
    result = run_add_cluster(
        app.root,
        resolve_org(org),
        load_platform(app.root).get(env),
        ConsoleReporter(app.err),
        region=region,
        kubeconfig=kubeconfig,
        alias=alias,
        set_current=not no_set_current,
        exec_style=exec_style,
        overwrite=overwrite,
    )
    if as_json:
        app.console.out(json.dumps(result.to_json(), indent=2), highlight=False)
        return
    verb = "Updated" if result.changed else "Unchanged:"
    current = " (current context)" if result.current else ""
    from rich.markup import escape

    app.console.print(
        escape(f"{verb} context {result.context}{current} in {result.path} → {result.server}"),
        highlight=False,
    )


def eks_token(
    cluster: str = typer.Option(..., "--cluster", help="EKS cluster name."),
    region: str | None = typer.Option(
        None,
        "--region",
        help="Region of the cluster (default: $AWS_REGION / profile).",
        show_default=False,
    ),
) -> None:
    """Print an ExecCredential with an EKS bearer token (what kubectl's exec plugin runs).

    The token is k8s-aws-v1. + base64url of an STS GetCallerIdentity URL presigned for
    60 s with the x-k8s-aws-id header; credentials come from the usual AWS chain.

    Examples:

      platformctl eks-token --cluster exampleorg-dev-eks --region us-east-1
    """
    from platformctl.aws.kubeconfig import token

    typer.echo(json.dumps(token(cluster, region).exec_credential()))


def register(app: typer.Typer) -> None:
    app.command("add-cluster")(add_cluster)
    app.command("eks-token")(eks_token)
