"""platformctl graph: show the unit dependency graph read from the rendered tree."""

from __future__ import annotations

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
    env: str = typer.Option("dev", "--env", "-e", help="Environment from platform.toml."),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
) -> None:
    """Print the order in which units run, from their rendered `dependency` blocks.

    Examples:

      platformctl graph --org ExampleOrg

      platformctl graph --org ExampleOrg --env sandbox --format mermaid
    """
    from platformctl import graph as engine
    from platformctl.config import load_platform, resolve_org
    from platformctl.render import LIVE_DIR, unit_dir

    app: AppContext = ctx.obj
    the_org = resolve_org(org)
    environment = load_platform(app.root).get(env)
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


def register(app: typer.Typer) -> None:
    app.command("graph")(graph)
