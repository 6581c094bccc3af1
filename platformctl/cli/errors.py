"""The one place where errors become messages and exit codes.

0 done, 1 an operation failed, 2 bad input (nothing was written), 128 + the signal when
stopped by Ctrl-C (130), SIGTERM (143) or SIGHUP (129). A message is one line (never
wrapped, never longer than MESSAGE_LIMIT); tracebacks only with -v. Exit 3 is left for
platformctl's own bugs, and says so in one line too.
"""

from __future__ import annotations

import contextlib
import re
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from platformctl import signals
from platformctl.errors import Interrupted, PlatformctlError, ProcessError, quote

if TYPE_CHECKING:
    import typer
    from rich.console import Console

MESSAGE_LIMIT = 400
VERBOSE_HINT = "[dim](run with -v for details)[/]"


def one_line(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """A message as one line of at most `limit` characters (a safety net for quoted values)."""
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Stderr:
    """rich's stderr console, made on first use: a command that succeeds never needs it, and
    rich's import is time plan-all spends before terragrunt starts."""

    def __init__(self) -> None:
        self._console: Console | None = None

    def print(self, *args: Any, **kwargs: Any) -> None:
        if self._console is None:
            from platformctl.cli.context import make_console

            self._console = make_console(stderr=True)
        self._console.print(*args, **kwargs)


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def run_app(app: typer.Typer, argv: list[str] | None) -> int:
    """Parse `argv` with the Typer app and run the command it names."""
    import typer

    # Typer >= 0.20 vendors click as typer._click; older releases use click itself.
    try:
        from typer._click.exceptions import ClickException
    except ImportError:  # pragma: no cover - depends on the installed typer
        from click.exceptions import ClickException  # type: ignore[assignment,no-redef,unused-ignore]

    from platformctl.cli.params import lighten

    err = _Stderr()
    verbose = any(a in ("-v", "--verbose") for a in (argv if argv is not None else sys.argv[1:]))

    def call() -> int:
        try:
            command = typer.main.get_command(app)
            lighten(command)  # no pydantic import for options that are plain strings or unset
            # With standalone_mode=False click returns the code of a typer.Exit instead of raising.
            code = command.main(args=argv, standalone_mode=False, prog_name="platformctl")
        except typer.Exit as exc:
            return int(exc.exit_code or 0)
        except typer.Abort as exc:
            # A prompt ends with Abort on EOF, and on a stop signal (Ctrl-C, SIGTERM, SIGHUP).
            # click also turns any EOFError that escapes a command into Abort; prompts catch
            # their own, so one that escapes is a file that ended early, not the user.
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, EOFError) and signals.first() is None:
                raise cause from None
            if signals.first() is not None:
                _print_quietly(err, f"[yellow]{escape(_interrupted())}[/]")
                return signals.exit_code()
            err.print("[red]Aborted.[/]")
            return 130
        except ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError" and getattr(exc, "ctx", None):
                # A group run with no command: its help, as --help prints it (click's code).
                typer.echo(exc.ctx.get_help())  # type: ignore[attr-defined]
                return int(exc.exit_code)
            # Usage errors from Typer/click (unknown option, bad value, missing argument): exit 2.
            _error(err, _shorten_quoted(exc.format_message()), _usage_hint(exc))
            return 2
        if code == 130:
            # Typer turns a KeyboardInterrupt that escapes a command into a bare exit 130.
            _print_quietly(err, f"[yellow]{escape(_interrupted())}[/]")
            return signals.exit_code()
        return code if isinstance(code, int) else 0

    return guarded(call, verbose=verbose, err=err)


def guarded(call: Callable[[], int], *, verbose: bool, err: _Stderr | None = None) -> int:
    """Run a parsed command: its exit code, or the code and one-line message of its error."""
    err = err or _Stderr()
    try:
        return call()
    except (KeyboardInterrupt, Interrupted) as exc:
        message = exc.message if isinstance(exc, Interrupted) else _interrupted()
        _print_quietly(err, f"[yellow]{escape(one_line(message))}[/]")
        return signals.exit_code()
    except PlatformctlError as exc:
        if verbose:
            err.print(escape(traceback.format_exc()))
        _error(err, exc.message)
        if isinstance(exc, ProcessError) and exc.tail:
            err.print("[dim]--- last output ---[/]")
            err.print(escape(exc.tail), highlight=False)
        if exc.hint:
            err.print(f"[dim]hint:[/] {escape(one_line(exc.hint))}", soft_wrap=True)
        elif not verbose:
            err.print(VERBOSE_HINT)
        return exc.exit_code
    except EOFError as exc:
        # A compressed or archived file that ends early (a truncated download or cache).
        if verbose:
            err.print(escape(traceback.format_exc()))
        detail = f" ({str(exc).rstrip('.')})" if str(exc) else ""
        _error(
            err,
            f"A file ended before its end{detail}: a cached or downloaded archive is truncated.",
        )
        if not verbose:
            err.print(VERBOSE_HINT)
        return 1
    except OSError as exc:
        # A file system or network failure nobody turned into a sentence: an operation
        # failed (exit 1), not a bug — unless a file stands where a directory must be.
        blocker = _file_in_the_way(exc)
        if blocker is not None:
            _error(err, f"{blocker} is a file where platformctl needs a directory; move it away.")
            return 2
        if verbose:
            err.print(escape(traceback.format_exc()))
        where = f" ({exc.filename})" if exc.filename else ""
        _error(err, f"{exc.strerror or exc}{where}.")
        if not verbose:
            err.print(VERBOSE_HINT)
        return 1
    except Exception as exc:
        if verbose:
            err.print(escape(traceback.format_exc()))
        _error(
            err,
            f"platformctl hit an unexpected error ({type(exc).__name__}: {exc}); "
            "this is a bug: run again with -v for the traceback and please report it.",
        )
        return 3


def _file_in_the_way(exc: OSError) -> str | None:
    """For "File exists" / "Not a directory" while making a directory: the file in the way."""
    import errno
    import os

    if exc.errno not in (errno.EEXIST, errno.ENOTDIR) or not exc.filename:
        return None
    path = os.fspath(exc.filename)
    while path and path != os.path.dirname(path):
        if os.path.lexists(path):
            return path if not os.path.isdir(path) else None
        path = os.path.dirname(path)
    return None


def _error(err: _Stderr, message: str, hint: str | None = None) -> None:
    err.print(f"[bold red]error:[/] {escape(one_line(message))}", soft_wrap=True)
    if hint:
        err.print(f"[dim]hint:[/] {escape(one_line(hint))}", soft_wrap=True)


def _interrupted() -> str:
    return f"Interrupted ({signals.describe()})."


def _print_quietly(err: _Stderr, text: str) -> None:
    # After SIGHUP the terminal may be gone; the exit code still tells what happened.
    with contextlib.suppress(OSError):
        err.print(text, soft_wrap=True)


_LONG_QUOTED = re.compile(r"'([^']{61,})'")


def _shorten_quoted(message: str) -> str:
    """Click quotes a bad value whole; quote it the way platformctl's own messages do."""
    return _LONG_QUOTED.sub(lambda m: quote(m.group(1)), message)


def _usage_hint(exc: Any) -> str | None:
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return "run `platformctl --help` for usage."
    return f"run `{ctx.command_path} --help` for usage."
