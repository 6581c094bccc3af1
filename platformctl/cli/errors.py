"""The one place where errors become messages and exit codes."""

from __future__ import annotations

import sys
import traceback

import typer
from rich.console import Console
from rich.markup import escape

from platformctl.errors import Interrupted, PlatformctlError, ProcessError

# Typer >= 0.20 vendors click as typer._click; older releases use click itself.
try:
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - depends on the installed typer
    from click.exceptions import ClickException  # type: ignore[assignment,no-redef,unused-ignore]


def run_app(app: typer.Typer, argv: list[str] | None) -> int:
    err = Console(stderr=True)
    verbose = any(a in ("-v", "--verbose") for a in (argv if argv is not None else sys.argv[1:]))
    try:
        # With standalone_mode=False click returns the code of a typer.Exit instead of raising.
        code = app(args=argv, standalone_mode=False, prog_name="platformctl")
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        err.print("[red]Aborted.[/]")
        return 130
    except ClickException as exc:
        # Usage errors from Typer/click (unknown option, missing argument): exit 2.
        exc.show(file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Interrupted) as exc:
        message = exc.message if isinstance(exc, Interrupted) else "Interrupted."
        err.print(f"[yellow]{escape(message)}[/]")
        return 130
    except PlatformctlError as exc:
        if verbose:
            err.print(escape(traceback.format_exc()))
        err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
        if isinstance(exc, ProcessError) and exc.tail:
            err.print("[dim]--- last output ---[/]")
            err.print(escape(exc.tail), highlight=False)
        if exc.hint:
            err.print(f"[dim]hint:[/] {escape(exc.hint)}", highlight=False)
        elif not verbose:
            err.print("[dim](run with -v for details)[/]")
        return exc.exit_code
    except Exception:
        err.print(escape(traceback.format_exc()))
        err.print(
            "[bold red]platformctl hit an unexpected error[/] (exit 3); please report it with the output above."
        )
        return 3
    return code if isinstance(code, int) else 0
