"""platformctl bootstrap: create (or fix) the S3 state bucket of each environment."""

from __future__ import annotations

import json

import typer

from platformctl.cli import options
from platformctl.cli.context import AppContext, ConsoleReporter


def bootstrap(
    ctx: typer.Context,
    *,
    org: str | None = options.Org,
    env: str | None = options.Env,
    kms_key: str | None = typer.Option(
        None,
        "--kms-key",
        help="Encrypt with this KMS key (SSE-KMS) instead of SSE-S3.",
        show_default=False,
    ),
    dry_run: bool = options.DryRun,
    as_json: bool = options.Json,
) -> None:
    """Create the state bucket terraform-state-<org>-<region> (terraform-state-<org>-
    <account_id>-<region> for an environment that names its account_id): versioned, encrypted,
    public access blocked, TLS-only policy. Locking uses S3 lock files (use_lockfile),
    so there is nothing else to create.

    Idempotent: the bucket's state is read first and only what differs is changed; a
    second run reports every setting as unchanged. Sandbox environments use the
    sandbox's AWS emulator (start it with `platformctl sandbox up`).

    Examples:

      platformctl bootstrap --org ExampleOrg --env sandbox

      platformctl bootstrap --org ExampleOrg --env dev --dry-run --json
    """
    from rich.markup import escape
    from rich.table import Table

    from platformctl.aws.bootstrap import bootstrap as run_bootstrap
    from platformctl.aws.preflight import guard_account
    from platformctl.model.config import load_platform, resolve_org

    app: AppContext = ctx.obj
    the_org = resolve_org(org)
    envs = load_platform(app.root).select(env)
    reporter = ConsoleReporter(app.err)
    for e in envs:  # every account first: a refusal creates no bucket anywhere
        guard_account(app.root, the_org, e, reporter)
    results = [
        run_bootstrap(app.root, the_org, e, reporter, dry_run=dry_run, kms_key_id=kms_key)
        for e in envs
    ]
    if as_json:
        app.console.out(json.dumps([r.to_json() for r in results], indent=2), highlight=False)
        return
    style = {"created": "green", "updated": "yellow", "unchanged": "dim", "skipped": "dim"}
    for r in results:
        where = r.endpoint or r.region
        table = Table(title=f"{r.env}: s3://{r.bucket} ({where})", title_justify="left")
        for col in ("setting", "status", "detail"):
            table.add_column(col)
        for s in r.settings:
            table.add_row(
                escape(s.name), f"[{style.get(s.status, 'cyan')}]{s.status}[/]", escape(s.detail)
            )
        app.console.print(table)
        if r.dry_run:
            app.console.print("Dry run: nothing was changed.")
        elif r.changed:
            app.console.print(f"State bucket {r.bucket} is ready.")
        else:
            app.console.print(f"State bucket {r.bucket} was already ready; nothing changed.")


def register(app: typer.Typer) -> None:
    app.command("bootstrap")(bootstrap)
