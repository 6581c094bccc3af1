"""platformctl tools: install and list the tools pinned in .tool-versions."""

from __future__ import annotations

import json
import time
from types import TracebackType
from typing import TYPE_CHECKING

import typer

from platformctl.cli import options
from platformctl.cli.context import AppContext, ConsoleReporter

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

tools_app = typer.Typer(
    help="Install and list the tools pinned in .tool-versions (cached per tool and version), "
    "and say where each OpenTofu provider comes from.\n\n"
    "Examples:\n\n"
    "  platformctl tools install\n\n"
    "  platformctl tools list --json\n\n"
    "  platformctl --offline tools providers",
    no_args_is_help=True,
)


_ONLY = typer.Option(
    [],
    "--only",
    metavar="NAME",
    help="Install only this tool (repeatable), by its .tool-versions name.",
)


class LiveReporter(ConsoleReporter):
    """Steps as lines, plus a live spinner with elapsed time for the step in progress."""

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress: Progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task: TaskID | None = None
        self.title = ""
        self.last_detail = 0.0

    def __enter__(self) -> LiveReporter:
        self.progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def step(self, message: str) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
        super().step(message)
        self.title = message
        self.task = self.progress.add_task(message)

    def detail(self, message: str) -> None:
        # go build -v and pip print a line per package; show the latest, a few times a second.
        now = time.monotonic()
        if self.task is not None and now - self.last_detail > 0.25 and message.strip():
            self.last_detail = now
            self.progress.update(self.task, description=f"{self.title} [dim]{message[:60]}[/]")


@tools_app.command("install")
def install(
    ctx: typer.Context,
    only: list[str] = _ONLY,
    dry_run: bool = options.DryRun,
    as_json: bool = options.Json,
) -> None:
    """Install every tool pinned in .tool-versions into ~/.cache/platformctl/tools.

    For each tool: a binary already cached is reused; one on PATH with the pinned version is
    used as it is; otherwise the official release is downloaded (checksum verified) when the
    network allows and platformctl is not --offline, else it is built from the Go module
    proxy (awscli and checkov: pip into a venv of their own). The Training Operator's
    controller is built from the proxy too. Cold builds take minutes; a failed build leaves
    the cache as it was and names its log file. PLATFORMCTL_CACHE moves the cache.

    OpenTofu providers are not tools: OpenTofu takes them from a provider mirror or the
    registry (see `platformctl tools providers`).

    Examples:

      platformctl tools install

      platformctl --offline tools install --only terragrunt --only opentofu

      platformctl tools install --dry-run --json
    """
    from platformctl.toolchain.install import install_tools

    app: AppContext = ctx.obj
    with LiveReporter(app.err) as reporter:
        result = install_tools(app.root, reporter, only=only, dry_run=dry_run)
    if as_json:
        app.console.out(json.dumps(result.to_json(), indent=2), highlight=False)
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Tools" + (" (dry run)" if dry_run else ""), title_justify="left")
    for col in ("tool", "version", "source", "path", "time", "peak memory"):
        table.add_column(col, overflow="fold")
    for tool in result.tools:
        table.add_row(
            escape(tool.name),
            escape(tool.version),
            tool.source,
            escape(tool.path),
            f"{tool.seconds:.0f} s" if tool.seconds is not None else "",
            f"{tool.peak_rss_kb / 1024:.0f} MiB" if tool.peak_rss_kb else "",
        )
    app.console.print(table)


@tools_app.command("list")
def list_(ctx: typer.Context, as_json: bool = options.Json) -> None:
    """List the pinned tools: version, whether cached or on PATH, and where.

    Examples:

      platformctl tools list

      platformctl tools list --json
    """
    from dataclasses import asdict

    from platformctl.toolchain.install import list_tools

    app: AppContext = ctx.obj
    rows = list_tools(app.root)
    if as_json:
        app.console.out(json.dumps([asdict(r) for r in rows], indent=2), highlight=False)
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Pinned tools", title_justify="left")
    for col in ("tool", "pinned", "state", "found", "path", "built"):
        table.add_column(col, overflow="fold")
    style = {"cached": "green", "PATH": "cyan", "missing": "red"}
    for row in rows:
        built = ""
        if row.build:
            built = f"{row.build.get('source', '')}, {row.build.get('seconds', '?')} s"
        table.add_row(
            escape(row.name),
            escape(row.version),
            f"[{style.get(row.state, 'dim')}]{row.state}[/]",
            escape(row.found_version),
            escape(row.path),
            escape(built),
        )
    app.console.print(table)


@tools_app.command("providers")
def providers(
    ctx: typer.Context,
    as_json: bool = options.Json,
    offline: bool = typer.Option(
        False, "--offline", help="Do not try the registry; only mirrors count (offline mode)."
    ),
) -> None:
    """Say where OpenTofu gets each provider the modules need: a mirror (path or URL, and
    the version it gives), the registry, or nowhere. Exit 1 when one is unavailable (plans
    of its units cannot run here).

    Providers resolve from the user's own TF_CLI_CONFIG_FILE when it exists; else from
    --provider-mirror / $PLATFORMCTL_PROVIDER_MIRROR (a directory written by `tofu providers
    mirror`, an unpacked mirror, or an https:// network mirror); else from
    ~/.cache/platformctl/providers/mirror when it holds providers; else from the registry.

    Examples:

      platformctl tools providers

      platformctl --provider-mirror /srv/tofu-mirror tools providers --offline --json
    """
    from dataclasses import asdict

    from platformctl.toolchain.providers import provider_needs, unavailable_paragraph

    app: AppContext = ctx.obj
    if offline:
        from platformctl.network import enable_offline

        enable_offline()
    needs = provider_needs(app.root)
    if as_json:
        rows = [{**asdict(n), "resolved": n.resolved} for n in needs]
        app.console.out(json.dumps(rows, indent=2), highlight=False)
    else:
        from rich.markup import escape
        from rich.table import Table

        table = Table(title="Providers of modules/", title_justify="left")
        for col in ("provider", "constraint", "modules", "from", "version", "where"):
            table.add_column(col, overflow="fold")
        style = {"mirror": "green", "registry": "cyan", "unavailable": "red"}
        for need in needs:
            table.add_row(
                need.source,
                need.constraint,
                ", ".join(need.modules),
                f"[{style[need.origin]}]{need.origin}[/]",
                need.version,
                escape(need.where),
            )
        app.console.print(table)
        paragraph = unavailable_paragraph(needs)
        if paragraph:
            app.err.print(escape(paragraph), highlight=False)
    if any(not n.resolved for n in needs):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(tools_app, name="tools")
