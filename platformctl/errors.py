"""The one error hierarchy. The CLI maps each class to an exit code in one place."""

from __future__ import annotations

# How much of a bad value a message may quote: enough to recognise it, never a flood.
QUOTE_LIMIT = 60


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """`value` as a message quotes it: repr-style (control characters escaped), shortened.

    A 200 KB region must not become 200 KB of stderr: at most `limit` characters of the
    value are shown, followed by how long it really was.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}… ({len(value)} characters)"
    try:
        text = repr(value)
    except ValueError:  # an int too large to print (sys.set_int_max_str_digits)
        return "a number too large to show"
    return text if len(text) <= limit else text[:limit] + "…"


class PlatformctlError(Exception):
    """Base of every error platformctl reports to a user (never with a traceback)."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(PlatformctlError):
    """Bad input: flags, configuration, names. Nothing was written or changed."""

    exit_code = 2


class OperationError(PlatformctlError):
    """An operation was attempted and failed."""

    exit_code = 1


class ProcessError(OperationError):
    """An external command failed; carries the command, its exit code and the output tail."""

    def __init__(
        self,
        cmd: list[str],
        returncode: int,
        output: str = "",
        *,
        hint: str | None = None,
        log_path: str | None = None,
        reason: str | None = None,
    ) -> None:
        tail = "\n".join(output.strip().splitlines()[-20:])
        what = reason or f"exited with code {returncode}"
        message = f"{cmd[0]} {what}: {' '.join(cmd)}"
        if log_path:
            message += f" (full log: {log_path})"
        super().__init__(message, hint=hint)
        self.cmd = cmd
        self.returncode = returncode
        self.output = output
        self.tail = tail
        self.log_path = log_path
        self.reason = what


class ToolNotFoundError(OperationError):
    """A required executable is not installed (neither in the tools cache nor on PATH)."""


class Interrupted(PlatformctlError):
    """Ctrl-C, SIGTERM or SIGHUP; child processes were stopped cleanly.

    The exit code is 128 + the number of the signal that arrived first (130 for
    Ctrl-C, 143 for SIGTERM, 129 for SIGHUP); the CLI asks platformctl.signals for it.
    """

    exit_code = 130
