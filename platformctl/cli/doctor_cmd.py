"""platformctl doctor: is this workstation ready to run the platform?"""

from __future__ import annotations

import json

import typer

from platformctl.cli import options
from platformctl.cli.context import AppContext


def doctor(
    ctx: typer.Context,
    as_json: bool = options.Json,
    offline: bool = typer.Option(
        False,
        "--offline",
        help="Skip AWS credentials and state buckets, and count only provider mirrors, "
        "never the registry (offline mode).",
    ),
    org: str | None = options.Org,
    env: str | None = options.Env,
) -> None:
    """Check every tool pinned in .tool-versions (wanted, found, where), tflint's AWS
    ruleset, where each OpenTofu provider the modules need comes from and, unless
    --offline, AWS credentials and the state bucket of each environment.

    Exit 1 when a required tool is missing or has the wrong version. A provider that does
    not resolve is a warning (rendering and linting need none) and the last line says so.

    Examples:

      platformctl doctor --offline

      platformctl doctor --org ExampleOrg --env sandbox --json
    """
    from rich.markup import escape
    from rich.table import Table

    from platformctl.toolchain.doctor import run_doctor

    app: AppContext = ctx.obj
    if offline:
        from platformctl.network import enable_offline

        enable_offline()
    report = run_doctor(app.root)
    if not offline:
        from dataclasses import replace

        from platformctl.aws.preflight import aws_checks

        report = replace(report, aws=aws_checks(app.root, org, env))
    if as_json:
        app.console.out(json.dumps(report.to_json(), indent=2), highlight=False)
    else:
        style = {
            "ok": "green",
            "mismatch": "red",
            "missing": "red",
            "error": "red",
            "broken": "red",
            "warn": "yellow",
            "skipped": "dim",
        }
        sections = (("Tools", report.tools), ("Providers", report.providers), ("AWS", report.aws))
        for title, rows in sections:
            if not rows:
                continue
            table = Table(title=title, title_justify="left")
            for col in ("check", "wanted", "found", "status", "where", "how to fix"):
                table.add_column(col)
            for c in rows:
                status = f"[{style.get(c.status, 'white')}]{c.status}[/]" + (
                    "" if c.required or c.status == "ok" else " (optional)"
                )
                table.add_row(
                    *(escape(v) for v in (c.name, c.wanted, c.found)),
                    status,
                    escape(c.where),
                    escape(c.fix),
                )
            app.console.print(table)
        if report.providers:
            app.console.print(
                "Every provider resolves" + (" without the registry." if offline else ".")
                if report.providers_resolve
                else "[yellow]Not every provider resolves[/]"
                + (" without the registry" if offline else "")
                + ": the units that need them cannot be planned here (see how to fix)."
            )
        app.console.print(
            "[green]Ready.[/]" if report.ok else "[red]Not ready:[/] fix the required checks above."
        )
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
