"""platformctl chart: charts platformctl packages itself (the Training Operator)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from platformctl.cli import options
from platformctl.cli.context import AppContext

chart_app = typer.Typer(
    help="Charts platformctl packages from upstream manifests (cached per version).\n\n"
    "Examples:\n\n"
    "  platformctl chart training-operator\n\n"
    "  platformctl chart training-operator --out charts --json",
    no_args_is_help=True,
)


@chart_app.command("training-operator")
def training_operator(
    ctx: typer.Context,
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Also copy the chart into this directory (the kubeflow unit reads ./charts/).",
        file_okay=False,
    ),
    offline_dir: Path | None = options.OfflineDir,
    as_json: bool = options.Json,
) -> None:
    """Build the Kubeflow Training Operator chart of the version pinned in .tool-versions.

    The chart holds exactly what `kubectl kustomize manifests/overlays/standalone` renders at
    the pinned tag, minus the Namespace. The tree comes from --offline-dir when given, else
    from the Go module github.com/kubeflow/training-operator (the Go module proxy serves it
    with its manifests/), else, unless --offline, from upstream git. It is built once per
    version into ~/.cache/platformctl/charts. The kubeflow unit runs this command as a
    terragrunt hook before each plan, apply and destroy.

    Examples:

      platformctl chart training-operator

      platformctl --offline chart training-operator --json

      platformctl chart training-operator --out charts --offline-dir ../shared/offline
    """
    from platformctl.cluster.operator_chart import copy_chart, ensure_chart
    from platformctl.toolchain.locate import tool_path
    from platformctl.toolchain.offline import offline_dir as resolve_offline_dir
    from platformctl.toolchain.versions import load_pins

    app: AppContext = ctx.obj
    pin = load_pins(app.root).get("training-operator")
    if pin is None:
        from platformctl.errors import UsageError

        raise UsageError(".tool-versions pins no training-operator version.")
    chart = ensure_chart(
        pin.version, tool_path(app.root, "kubectl"), resolve_offline_dir(offline_dir)
    )
    copied = copy_chart(chart, out) if out is not None else None
    if as_json:
        doc = {
            "chart": str(chart.path),
            "version": chart.version,
            "source": chart.source,
            "objects": chart.objects,
            "copied_to": str(copied) if copied else None,
        }
        app.console.out(json.dumps(doc, indent=2), highlight=False)
        return
    from rich.markup import escape

    app.err.print(
        escape(
            f"training-operator {chart.version}: {chart.objects} objects, {chart.source} → "
            f"{copied or chart.path}"
        ),
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(chart_app, name="chart")
