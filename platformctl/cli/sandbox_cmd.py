"""platformctl sandbox up|down|status: the local stand-in for AWS (and the control plane)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from platformctl.cli import options
from platformctl.cli.context import AppContext, ConsoleReporter

sandbox_app = typer.Typer(
    name="sandbox",
    help="Run the local sandbox on 127.0.0.1: a moto AWS emulator, a Helm chart repository, "
    "the local control plane and the Training Operator.\n\n"
    "Examples:\n\n"
    "  platformctl sandbox up\n\n"
    "  platformctl sandbox status --json\n\n"
    "  platformctl sandbox down --purge",
    no_args_is_help=True,
)

Port = typer.Option(
    None,
    "--port",
    "-p",
    help="Port of the AWS emulator on 127.0.0.1 (default 5000).",
    show_default=False,
)


def _print(app: AppContext, result: object, as_json: bool) -> None:
    from rich.table import Table

    from platformctl.sandbox.registry import SandboxStatus

    assert isinstance(result, SandboxStatus)
    if as_json:
        app.console.out(json.dumps(result.to_json(), indent=2), highlight=False)
        return
    from rich.markup import escape

    table = Table(title="Sandbox", title_justify="left")
    for col in ("component", "state", "pid", "endpoint", "started", "detail"):
        table.add_column(col, no_wrap=col in ("endpoint", "started", "pid"))
    for c in result.components:
        state = "[green]running[/]" if c.running else "[dim]stopped[/]"
        if c.action in ("started", "reused", "replaced"):
            state += f" ({c.action})"
        elif c.action == "waiting":
            state = "[yellow]waiting[/]"
        table.add_row(
            escape(c.name),
            state,
            str(c.pid or "-"),
            escape(c.endpoint or "-"),
            c.started_at or "-",
            escape(c.detail),
        )
    app.console.print(table)
    for problem in result.problems:
        app.console.print(f"[yellow]partial:[/] {escape(problem)}.", highlight=False)


Only = typer.Option(
    None,
    "--only",
    help="Start only this component (repeatable), e.g. --only moto.",
    show_default=False,
)


OfflineDir = typer.Option(
    None,
    "--offline-dir",
    help="Directory of offline charts and sources (default: $PLATFORMCTL_OFFLINE_DIR, else "
    "../shared/offline next to the repository when it exists); its charts/*.tgz, verified "
    "against its SHA256SUMS, are served as a Helm chart repository.",
    show_default=False,
)
ChartsPort = typer.Option(
    None,
    "--charts-port",
    help="Port of the Helm chart repository on 127.0.0.1 (default 8879).",
    show_default=False,
)
TrainingSeconds = typer.Option(
    5.0,
    "--training-seconds",
    help="How long a training pod (one the Training Operator made) runs on the fake nodes "
    "before it ends Succeeded; read when the control plane starts.",
)


@sandbox_app.command("up")
def up(
    ctx: typer.Context,
    port: int | None = Port,
    only: list[str] | None = Only,
    offline_dir: Path | None = OfflineDir,
    charts_port: int | None = ChartsPort,
    training_seconds: float = TrainingSeconds,
    as_json: bool = options.Json,
) -> None:
    """Start the sandbox (idempotent: a running one is reused) and wait until it answers.

    All or nothing: if a component fails, or Ctrl-C / SIGTERM arrives, what this command
    started is stopped again. A second `sandbox up` waits for the first, then reuses it.

    State (pids, ports, endpoints) is kept in .platformctl/sandbox.json; logs in
    .platformctl/logs/.

    Examples:

      platformctl sandbox up

      platformctl sandbox up --port 5055 --only moto --json

      platformctl sandbox up --offline-dir ../shared/offline --training-seconds 30
    """
    from platformctl.sandbox import registry as sandbox
    from platformctl.sandbox.component import SandboxOptions

    app: AppContext = ctx.obj
    result = sandbox.up(
        app.root,
        ConsoleReporter(app.err),
        SandboxOptions(
            port=port,
            only=tuple(only or ()),
            offline_dir=offline_dir,
            charts_port=charts_port,
            training_seconds=training_seconds,
        ),
    )
    _print(app, result, as_json)
    if not as_json:
        endpoint = next((c.endpoint for c in result.components if c.name == "moto"), None)
        if endpoint:
            app.console.print(
                f"AWS endpoint: {endpoint}  (export PLATFORMCTL_AWS_ENDPOINT={endpoint})"
            )
        charts = next((c.endpoint for c in result.components if c.name == "charts"), None)
        if charts:
            app.console.print(
                f"Chart repository: {charts}  (export PLATFORMCTL_CHART_REPOSITORY={charts})"
            )


@sandbox_app.command("down")
def down(
    ctx: typer.Context,
    as_json: bool = options.Json,
    purge: bool = typer.Option(
        False,
        "--purge",
        help="Also remove the sandbox's data under .platformctl/ (etcd, certificates).",
    ),
) -> None:
    """Stop the sandbox processes this repository started (and nothing else).

    Examples:

      platformctl sandbox down

      platformctl sandbox down --purge
    """
    from platformctl.sandbox import registry as sandbox

    app: AppContext = ctx.obj
    _print(app, sandbox.down(app.root, ConsoleReporter(app.err), purge=purge), as_json)


@sandbox_app.command("status")
def status(ctx: typer.Context, as_json: bool = options.Json) -> None:
    """Say what runs where (exit 1 when the sandbox is not fully running).

    Partial states count as not running: a component the last `sandbox up` started that
    has stopped since, or a `sandbox up` still under way or killed half-way.

    Examples:

      platformctl sandbox status --json
    """
    from platformctl.sandbox import registry as sandbox

    app: AppContext = ctx.obj
    result = sandbox.status(app.root)
    _print(app, result, as_json)
    if not result.running:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox_app)
