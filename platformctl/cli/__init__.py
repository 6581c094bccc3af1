"""The command line: one Typer app, one root callback, one error handler.

Commands live one per module and stay thin: parse options, call the engine, print.
"""

from __future__ import annotations

import sys

import typer

from platformctl import __version__
from platformctl.cli import (
    bootstrap_cmd,
    chart_cmd,
    cluster_cmd,
    deploy_cmd,
    doctor_cmd,
    graph_cmd,
    plan_cmd,
    postinstall_cmd,
    render_cmd,
    sandbox_cmd,
    status_cmd,
    tools_cmd,
    train_cmd,
)
from platformctl.cli.context import AppContext

app = typer.Typer(
    name="platformctl",
    help=(
        "Stand up an ML platform on AWS: VPC → EKS (CPU + GPU nodes) → Istio ambient → Kubeflow.\n\n"
        "Renders Terragrunt live configuration from platform.toml, drives terragrunt + OpenTofu "
        "in dependency order, and runs the post-install steps.\n\n"
        "Start with:  platformctl doctor   then   platformctl plan-all --org ExampleOrg --env sandbox"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"platformctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Show tracebacks and debug output."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    ctx.obj = AppContext.create(verbose=verbose)


for module in (
    doctor_cmd,
    tools_cmd,
    render_cmd,
    graph_cmd,
    plan_cmd,
    deploy_cmd,
    bootstrap_cmd,
    sandbox_cmd,
    cluster_cmd,
    status_cmd,
    postinstall_cmd,
    train_cmd,
    chart_cmd,
):
    module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app and map every error to its exit code."""
    from platformctl import signals
    from platformctl.cli.errors import run_app

    # Ctrl-C, SIGTERM and SIGHUP all stop a run cleanly (child processes stopped, state
    # locks released, summary written). This also undoes the SIGINT a shell without job
    # control ignores for background commands: `kill -INT` must still work.
    with signals.handled():
        code = run_app(app, argv)
    sys.exit(code)
