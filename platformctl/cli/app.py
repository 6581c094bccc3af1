"""The Typer app: the root options, and the commands registered from their modules."""

from __future__ import annotations

import importlib

import typer

from platformctl import __version__
from platformctl.cli import COMMANDS
from platformctl.cli.context import AppContext


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
    offline: bool = typer.Option(
        False,
        "--offline",
        help="Try nothing on the network but the package registries tools are built from: "
        "no release downloads, provider registry or chart repositories. "
        "Also: PLATFORMCTL_OFFLINE=1.",
    ),
    provider_mirror: str | None = typer.Option(
        None,
        "--provider-mirror",
        metavar="DIR|URL",
        help="Take OpenTofu providers from this mirror: a directory (as `tofu providers "
        "mirror` writes it, or unpacked) or an https:// network mirror. "
        "Default: $PLATFORMCTL_PROVIDER_MIRROR, else ~/.cache/platformctl/providers/mirror "
        "when it holds providers, else the registry.",
        show_default=False,
    ),
) -> None:
    if offline:
        from platformctl.network import enable_offline

        enable_offline()
    if provider_mirror is not None:
        import os

        from platformctl.toolchain.providers import MIRROR_ENV, named_mirror

        # The environment carries it to terragrunt's hooks and every other child process.
        os.environ[MIRROR_ENV] = provider_mirror
        named_mirror()  # a mirror that does not exist is bad input, refused here
    ctx.obj = AppContext.create(verbose=verbose)


def build(command: str | None = None) -> typer.Typer:
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
