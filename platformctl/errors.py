"""The one error hierarchy. The CLI maps each class to an exit code in one place."""

from __future__ import annotations


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
    ) -> None:
        tail = "\n".join(output.strip().splitlines()[-20:])
        message = f"{cmd[0]} exited with code {returncode}: {' '.join(cmd)}"
        if log_path:
            message += f" (full log: {log_path})"
        super().__init__(message, hint=hint)
        self.cmd = cmd
        self.returncode = returncode
        self.output = output
        self.tail = tail
        self.log_path = log_path


class ToolNotFoundError(OperationError):
    """A required executable is not installed (neither in the tools cache nor on PATH)."""


class Interrupted(PlatformctlError):
    """The user pressed Ctrl-C; child processes were stopped cleanly."""

    exit_code = 130
