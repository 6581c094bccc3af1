"""How sweep and destroy show leftovers, ask before deleting them, and report what is left."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from platformctl.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from platformctl.aws.inventory import Inventory
    from platformctl.aws.sweep import Leftover, SweepResult


def require_terminal(yes: bool, dry_run: bool, command: str) -> None:
    """Refuse to ask for a confirmation nobody can type (no terminal, no --yes)."""
    if not yes and not dry_run and not sys.stdin.isatty():
        raise UsageError(
            f"{command} asks for confirmation, and stdin is not a terminal: pass --yes."
        )


def leftovers_table(title: str, items: Sequence[Leftover]) -> Table:
    """One row per leftover: what it is, its state, its tags, and what the sweep does."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in ("resource", "state", "vpc", "tags", "sweep"):
        table.add_column(col)
    for item in items:
        r = item.resource
        tags = ", ".join(f"{k}={v}" for k, v in sorted(r.tags.items()))
        action = f"leave: {item.skip}" if item.skip else "delete"
        if not item.skip and r.type == "kms:key":
            action = "schedule deletion"
        table.add_row(escape(item.title), r.state, r.vpc_id, escape(tags), escape(action))
    return table


def sweep_confirmation(console: Console, yes: bool, what: str) -> Callable[[SweepResult], bool]:
    """The sweep's confirm callback: show the leftovers, then ask to type the env name."""

    def confirm(result: SweepResult) -> bool:
        console.print(
            leftovers_table(f"{what} for {result.org}/{result.env} in {result.where}", result.found)
        )
        if yes:
            return True
        typed = typer.prompt(
            f"Type the environment name ({result.env}) to delete "
            f"{len(result.to_delete)} resource(s)",
            err=True,
        )
        return bool(typed.strip() == result.env)

    return confirm


def print_sweep_outcome(console: Console, result: SweepResult) -> None:
    """What was deleted, and what was not (with the error) — the lines a user acts on."""
    if result.dry_run:
        console.print(leftovers_table(f"{result.org}/{result.env} in {result.where}", result.found))
        console.print(
            f"{len(result.to_delete)} resource(s) would be deleted, "
            f"{len(result.left_alone)} left alone; nothing was deleted (dry run)."
        )
        return
    if not result.to_delete:
        console.print(
            f"Nothing tagged for {result.org}/{result.env} is left to delete"
            + (f" ({len(result.left_alone)} left alone)." if result.left_alone else ".")
        )
        return
    if result.aborted:
        console.print("The name did not match; nothing was deleted.")
        return
    console.print(f"Sweep: deleted {len(result.deleted)} of {len(result.to_delete)}.")
    for item in result.deleted:
        console.print(f"  deleted      {escape(item.title)}", highlight=False)
    for item, error in result.failed:
        console.print(f"  not deleted  {escape(item.title)}: {escape(error)}", highlight=False)


def print_left(console: Console, inv: Inventory) -> None:
    """The verification after `destroy all`: "0 resources left", or the list."""
    from platformctl.cli.status_cmd import inventory_table

    where = inv.endpoint or inv.region
    scheduled = inv.scheduled_for_deletion
    note = f" ({len(scheduled)} KMS key(s) scheduled for deletion)" if scheduled else ""
    if not inv.resources:
        console.print(f"0 resources left tagged for {inv.org}/{inv.env} in {where}{note}.")
        return
    console.print(inventory_table(inv))
    console.print(
        f"{len(inv.resources)} resources left tagged for {inv.org}/{inv.env} in {where}{note}; "
        f"`platformctl sweep --org {inv.org} --env {inv.env}` removes what the sweep covers."
    )
