"""Options shared by several commands, so every command spells them the same way."""

from __future__ import annotations

import typer

ORG_HELP = "Organisation (used lowercased in resource names). Default: $PLATFORMCTL_ORG."

Org = typer.Option(None, "--org", help=ORG_HELP, show_default=False)
Env = typer.Option(
    None, "--env", "-e", help="Environment from platform.toml (default: all).", show_default=False
)
EnvDefaultSandbox = typer.Option("sandbox", "--env", "-e", help="Environment from platform.toml.")
Json = typer.Option(False, "--json", help="Print a JSON document on stdout instead of tables.")
DryRun = typer.Option(False, "--dry-run", help="Print the steps and exact commands; run nothing.")
Yes = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")
OfflineDir = typer.Option(
    None,
    "--offline-dir",
    help="Directory of upstream sources and charts no registry serves here (checked against "
    "its SHA256SUMS). Default: $PLATFORMCTL_OFFLINE_DIR.",
    show_default=False,
    file_okay=False,
)
