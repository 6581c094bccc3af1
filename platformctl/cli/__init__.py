"""The command line: the entry point, and the table of commands and their modules.

Commands live one per module and stay thin: parse options, call the engine, print. The
Typer app (cli.app) is built with only the module of the command being run (`app`, for
--help or a name that is no command, has them all). A plain `plan-all`, the command run
most, by people and by CI on every push, is parsed by cli.quick without importing Typer,
so terragrunt runs a few tens of milliseconds after platformctl starts.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

# Every command and command group, and the module that registers it (modules in --help order).
COMMANDS: dict[str, str] = {
    "doctor": "doctor_cmd",
    "tools": "tools_cmd",
    "render": "render_cmd",
    "graph": "graph_cmd",
    "plan-all": "plan_cmd",
    "deploy": "deploy_cmd",
    "destroy": "deploy_cmd",
    "bootstrap": "bootstrap_cmd",
    "sandbox": "sandbox_cmd",
    "add-cluster": "cluster_cmd",
    "eks-token": "cluster_cmd",
    "status": "status_cmd",
    "sweep": "sweep_cmd",
    "post-install": "postinstall_cmd",
    "train": "train_cmd",
    "chart": "chart_cmd",
}


# Root options that take a value (the word after them is that value, not a command).
ROOT_VALUE_OPTIONS = ("--provider-mirror",)


def invoked(argv: Sequence[str]) -> str | None:
    """The command an argument list runs: its first word that is neither an option nor the
    value of a root option."""
    words = iter(argv)
    for word in words:
        if word in ROOT_VALUE_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def build_app(command: str | None = None) -> typer.Typer:
    """The Typer app with every command, or with only `command` (one of COMMANDS)."""
    from platformctl.cli.app import build

    return build(command)


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole app, built on first use (tests, completion, documentation)
        the_app = build_app()
        globals()["app"] = the_app
        return the_app
    raise AttributeError(name)


def verbose_first(argv: Sequence[str]) -> list[str]:
    """`-v`/`--verbose` moved before the command, wherever it was given (every error says
    "run with -v", and people add it at the end); arguments after `--` are left alone."""
    end = argv.index("--") if "--" in argv else len(argv)
    flags = [a for a in argv[:end] if a in ("-v", "--verbose")]
    rest = [a for a in argv[:end] if a not in ("-v", "--verbose")]
    return [*flags[:1], *rest, *argv[end:]]


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the command and map every error to its exit code."""
    from platformctl import signals
    from platformctl.cli import quick

    args = verbose_first(sys.argv[1:] if argv is None else argv)
    # Ctrl-C, SIGTERM and SIGHUP all stop a run cleanly (child processes stopped, state
    # locks released, summary written). This also undoes the SIGINT a shell without job
    # control ignores for background commands: `kill -INT` must still work.
    with signals.handled():
        plain = quick.parse(args)
        if plain is not None:
            from platformctl.cli.errors import guarded

            code = guarded(plain.run, verbose=plain.verbose)
        else:
            from platformctl.cli.errors import run_app

            command = invoked(args)
            code = run_app(build_app(command if command in COMMANDS else None), args)
    sys.exit(code)
