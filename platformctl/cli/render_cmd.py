"""platformctl render: write the Terragrunt live tree for an org."""

from __future__ import annotations

import typer

from platformctl.cli import options
from platformctl.cli.context import AppContext, ConsoleReporter, warn_support_status


def render(
    ctx: typer.Context,
    org: str | None = options.Org,
    env: str | None = options.Env,
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 1 and print a diff if live/ is stale."
    ),
    dry_run: bool = options.DryRun,
) -> None:
    """Render live/<org>/… from templates/ and platform.toml.

    Rendering is deterministic (twice gives identical bytes) and all-or-nothing: every
    file is rendered and parse-checked, then all are swapped in at once (and put back
    if one cannot be written). Only files platformctl rendered are replaced or removed;
    a hand-written file where a rendered one must go stops the render (exit 2).

    Examples:

      platformctl render --org ExampleOrg

      platformctl render --org ExampleOrg --env sandbox --check
    """
    from platformctl.model import render as engine
    from platformctl.model.config import load_platform, resolve_org

    app: AppContext = ctx.obj
    the_org = resolve_org(org)
    platform = load_platform(app.root)
    warn_support_status(ConsoleReporter(app.err), platform.select(env))
    engine.ensure_templates(app.root)
    tree = engine.render_tree(app.root, platform, the_org, env)
    if check or dry_run:
        stale = engine.check_tree(app.root, tree, all_envs=env is None)
        if stale.fresh:
            app.console.print(f"live/{the_org.name} is up to date ({len(tree.files)} files).")
            return
        app.console.out(stale.diff, end="", highlight=False)
        app.err.print(
            f"[red]live/{the_org.name} is stale:[/] {len(stale.stale_files)} file(s) differ; "
            f"run `platformctl render --org {the_org.display}`."
        )
        raise typer.Exit(1 if check else 0)
    result = engine.write_tree(app.root, tree, all_envs=env is None)
    manifest = "; the manifest was rewritten" if result.manifest_written else ""
    app.console.print(
        f"Rendered live/{the_org.name}: {len(result.written)} written, "
        f"{len(result.unchanged)} unchanged, {len(result.removed)} removed{manifest}."
    )
    if result.removed:
        from rich.markup import escape

        for rel in result.removed:
            app.err.print(f"removed live/{escape(str(rel))}", highlight=False)
    if result.kept:
        from rich.markup import escape

        shown = escape(", ".join(f"live/{p}" for p in result.kept[:3]))
        more = f" and {len(result.kept) - 3} more" if len(result.kept) > 3 else ""
        app.err.print(
            f"Left {len(result.kept)} hand-written file(s) alone: {shown}{more}.", highlight=False
        )


def register(app: typer.Typer) -> None:
    app.command("render")(render)
