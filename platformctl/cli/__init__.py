"""The command line: one Typer app, one root callback, one error handler.

Commands live one per module and stay thin: parse options, call the engine, print.
`main` imports only the module of the command it runs (start-up time: plan-all has
terragrunt running within about a tenth of a second); `app` (and --help, or a name that is
no command) has them all.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import typer

from platformctl import __version__
from platformctl.cli.context import AppContext

# Every command and command group, and the module that registers it (modules in --help order).
COMMANDS: dict[str, str] = {
    "doctor": "doctor_cmd",
    "tools": "tools_cmd",
    "render": "render_cmd",
    "graph": "graph_cmd",
    "plan-all": "plan_cmd",
    "deploy": "deploy_cmd",
    "destroy": "deploy_cmd",
    "bootstrap": "bootstrap_cmd",
    "sandbox": "sandbox_cmd",
    "add-cluster": "cluster_cmd",
    "eks-token": "cluster_cmd",
    "status": "status_cmd",
    "sweep": "sweep_cmd",
    "post-install": "postinstall_cmd",
    "train": "train_cmd",
    "chart": "chart_cmd",
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"platformctl {__version__}")
        raise typer.Exit()


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


def build_app(command: str | None = None) -> typer.Typer:
    """The app with every command, or with only `command` (one of COMMANDS)."""
    the_app = typer.Typer(
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
    the_app.callback()(root)
    modules = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for name in modules:
        importlib.import_module(f"platformctl.cli.{name}").register(the_app)
    return the_app


def invoked(argv: Sequence[str]) -> str | None:
    """The command an argument list runs: its first word that is no option (root options take no value)."""
    return next((a for a in argv if not a.startswith("-")), None)


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole app, built on first use (tests, completion, documentation)
        the_app = build_app()
        globals()["app"] = the_app
        return the_app
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app and map every error to its exit code."""
    from platformctl import signals
    from platformctl.cli.errors import run_app

    command = invoked(sys.argv[1:] if argv is None else argv)
    the_app = build_app(command if command in COMMANDS else None)
    # Ctrl-C, SIGTERM and SIGHUP all stop a run cleanly (child processes stopped, state
    # locks released, summary written). This also undoes the SIGINT a shell without job
    # control ignores for background commands: `kill -INT` must still work.
    with signals.handled():
        code = run_app(the_app, argv)
    sys.exit(code)
