"""platformctl post-install: the hands-on steps after a stage, runnable on their own."""

from __future__ import annotations

import json
from enum import StrEnum

import typer

from platformctl.cli import options
from platformctl.cli.context import AppContext, ConsoleReporter


class Stage(StrEnum):
    eks = "eks"
    mesh = "mesh"
    kubeflow = "kubeflow"


StageArg = typer.Argument(..., help="Stage whose post-install steps to run.", show_default=False)


def post_install(
    ctx: typer.Context,
    *,
    stage: Stage = StageArg,
    org: str | None = options.Org,
    env: str = options.EnvDefaultSandbox,
    timeout: float = typer.Option(
        300.0, "--timeout", help="Seconds to wait for each rollout or check."
    ),
    kubeconfig: str | None = typer.Option(
        None,
        "--kubeconfig",
        help="Kubeconfig to use (default: the environment's).",
        show_default=False,
    ),
    as_json: bool = options.Json,
) -> None:
    """Run the post-install steps of one stage against the environment's cluster.

    eks: kubeconfig, nodes Ready, GPU nodes and allocatable nvidia.com/gpu.
    mesh: rollout restart of istio-ingress (as kubectl does it) and wait; istiod and ztunnel ready.
    kubeflow: Training Operator ready and its CRDs Established.
    Every step is safe to run again. Exit 1 if a step fails.

    Examples:

      platformctl post-install mesh --org ExampleOrg --env sandbox

      platformctl post-install kubeflow --org ExampleOrg --env dev --timeout 600 --json
    """
    from pathlib import Path

    from platformctl.model.config import resolve_org
    from platformctl.postinstall.context import PostInstallFailed, StepResult
    from platformctl.postinstall.steps import run_stage

    app: AppContext = ctx.obj
    the_org = resolve_org(org)
    reporter = ConsoleReporter(app.err)
    results: tuple[StepResult, ...]
    failed: PostInstallFailed | None = None
    try:
        results = run_stage(
            app.root,
            the_org,
            env,
            stage.value,
            reporter,
            timeout=timeout,
            kubeconfig=Path(kubeconfig) if kubeconfig else None,
        )
    except PostInstallFailed as exc:
        results, failed = exc.results, exc
    if as_json:
        doc = {"stage": stage.value, "ok": failed is None, "steps": [r.to_json() for r in results]}
        app.console.out(json.dumps(doc, indent=2), highlight=False)
    else:
        for r in results:
            mark = "[red]✗[/]" if not r.ok else ("[yellow]![/]" if r.warning else "[green]✓[/]")
            app.console.print(
                f"{mark} {r.stage}/{r.step} ({r.action}): {r.message}", highlight=False
            )
    if failed is not None:
        raise failed


def register(app: typer.Typer) -> None:
    app.command("post-install")(post_install)
