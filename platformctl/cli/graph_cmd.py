"""platformctl graph: show the unit dependency graph read from the rendered tree."""

from __future__ import annotations

import os
from enum import StrEnum

import typer

from platformctl.cli import options
from platformctl.cli.context import AppContext


class Format(StrEnum):
    text = "text"
    mermaid = "mermaid"
    dot = "dot"
    json = "json"


def graph(
    ctx: typer.Context,
    org: str | None = options.Org,
    env: str | None = typer.Option(
        None,
        "--env",
        "-e",
        help="Environment from platform.toml (default: its first one).",
        show_default=False,
    ),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
) -> None:
    """Print the order in which units run, from their rendered `dependency` blocks.

    Without --org (and $PLATFORMCTL_ORG), the one org rendered under live/ is used.

    Examples:

      platformctl graph --org ExampleOrg

      platformctl graph --org ExampleOrg --env sandbox --format mermaid
    """
    from platformctl.model import graph as engine
    from platformctl.model.config import ORG_ENV_VAR, load_platform, resolve_org
    from platformctl.model.render import LIVE_DIR, unit_dir

    app: AppContext = ctx.obj
    the_org = resolve_org(org if org or os.environ.get(ORG_ENV_VAR) else _only_rendered_org(app))
    platform = load_platform(app.root)
    environment = platform.get(env) if env is not None else platform.environments[0]
    env = environment.name
    stack = app.root / LIVE_DIR / unit_dir(the_org, environment, "x").parent
    result = engine.read_graph(stack)
    if fmt is Format.json:
        app.console.out(engine.dumps(engine.to_json(result)), highlight=False)
    elif fmt is Format.mermaid:
        app.console.out(engine.to_mermaid(result), highlight=False)
    elif fmt is Format.dot:
        app.console.out(engine.to_dot(result, f"{the_org.name}/{env}"), highlight=False)
    else:
        app.console.out(engine.to_text(result), highlight=False)


def _only_rendered_org(app: AppContext) -> str | None:
    """Without --org, the one org rendered under live/ (graph only reads, so guessing is safe)."""
    from platformctl.model.render import LIVE_DIR

    live = app.root / LIVE_DIR
    orgs = sorted(p.name for p in live.iterdir() if p.is_dir()) if live.is_dir() else []
    return orgs[0] if len(orgs) == 1 else None


def register(app: typer.Typer) -> None:
    app.command("graph")(graph)
