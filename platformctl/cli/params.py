"""Typer's parameter coercion without importing pydantic where it changes nothing.

typer (0.2x) coerces every non-boolean option through a pydantic TypeAdapter, built on
first use, and the first one imports pydantic: about 65 ms on every command with an
option, more than typer's own import and most of what plan-all may spend before
terragrunt starts. Most options are strings, or left at their default None, where the
adapter returns its input unchanged. `lighten` gives every parameter of the command tree
a coercion that returns a string as it is (for `str` / `str | None` parameters without
a custom parser) and builds typer's own coercion the first time any other value
arrives, so every other type and every check (ranges, paths, choices) stays exactly
typer's. None needs no coercion at all (typer returns it before coercing). The help
options, which click creates on first use, are created here so they get it too. This
relies on typer internals (typer._coercion, _TyperParameter._runtime_param); with a
typer that lacks them it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_PLAIN = (str, str | None)


def lighten(command: Any) -> int:
    """Install the light coercion on every parameter of `command` and its subcommands.

    Returns how many parameters got it (0 when typer's internals are not as expected).
    """
    try:
        from typer._click.core import Context
        from typer._coercion import RuntimeParam, build_runtime_param
        from typer.core import _TyperParameter
    except ImportError:
        return 0

    @dataclass(frozen=True)
    class Light(RuntimeParam):
        descriptor: Any = None
        plain: bool = False

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.plain and isinstance(value, str):
                return value
            real = build_runtime_param(self.descriptor)
            param._runtime_param = real
            return real._coerce_value(value, param=param, ctx=ctx)

    names = getattr(command, "context_settings", {}).get("help_option_names") or ["--help"]
    count = 0
    pending = [command]
    while pending:
        current = pending.pop()
        pending += list(getattr(current, "commands", {}).values())
        params = list(getattr(current, "params", ()))
        try:
            help_option = current.get_help_option(Context(current, help_option_names=names))
        except Exception:  # a typer unlike the one this was written for: keep its own
            help_option = None
        for param in [*params, help_option]:
            descriptor = getattr(param, "type_descriptor", None)
            if not isinstance(param, _TyperParameter) or descriptor is None:
                continue
            if getattr(param, "_runtime_param", "absent") is not None:
                continue
            info = descriptor.parameter_info
            plain = (
                descriptor.annotation in _PLAIN
                and descriptor.file_annotation is None
                and getattr(info, "parser", None) is None
            )
            param._runtime_param = Light(
                parameter_info=info,
                annotation=descriptor.annotation,
                descriptor=descriptor,
                plain=plain,
            )
            count += 1
    return count
