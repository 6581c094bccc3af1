"""Read the GitHub workflows and composite actions, and check the platformctl commands in
them against the real CLI (click commands built from the Typer app).

Kept apart from the tests so the parsing itself can be tested on small inputs.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
EXPR = "__GHA_EXPRESSION__"
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")
_OPERATORS = {";", "&&", "||", "|", "&", "(", ")", "|&", ";;"}
_PREFIX_WORDS = {"exec", "time", "command", "nohup", "env", "xargs"}


@dataclass(frozen=True)
class Step:
    """One step of a workflow job or composite action that has a `run:` script."""

    file: str
    job: str
    name: str
    run: str


@dataclass(frozen=True)
class Invocation:
    """One `platformctl …` command line found in a step, arguments as the shell splits them."""

    step: Step
    args: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.step.file}: job '{self.step.job}', step '{self.step.name}'"

    @property
    def text(self) -> str:
        return "platformctl " + " ".join(self.args)


def workflow_files(root: Path = REPO) -> list[Path]:
    folder = root / ".github" / "workflows"
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])


def action_files(root: Path = REPO) -> list[Path]:
    folder = root / ".github" / "actions"
    return sorted([*folder.glob("*/action.yml"), *folder.glob("*/action.yaml")])


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path}: not a YAML mapping"
    return data


def triggers(doc: dict[str, Any]) -> Any:
    """The `on:` block (YAML 1.1 reads the bare key `on` as True)."""
    return doc.get("on", doc.get(True))


def steps_of(path: Path, root: Path = REPO) -> Iterator[Step]:
    """Every step with a `run:` script, in workflows (per job) and composite actions."""
    doc = load(path)
    rel = str(path.relative_to(root)) if path.is_relative_to(root) else path.name
    if "jobs" in doc:
        for job_id, job in (doc.get("jobs") or {}).items():
            for index, step in enumerate(job.get("steps") or []):
                if "run" in step:
                    name = str(step.get("name") or step.get("id") or f"#{index + 1}")
                    yield Step(rel, str(job_id), name, str(step["run"]))
    else:
        for index, step in enumerate((doc.get("runs") or {}).get("steps") or []):
            if "run" in step:
                name = str(step.get("name") or step.get("id") or f"#{index + 1}")
                yield Step(rel, "(composite action)", name, str(step["run"]))


def shell_lines(script: str) -> list[str]:
    """Logical shell lines: `${{ }}` replaced by one word, line continuations joined,
    here-document bodies dropped (they are data, not commands)."""
    script = _EXPRESSION.sub(EXPR, script)
    script = re.sub(r"\\\r?\n", " ", script)
    lines: list[str] = []
    terminator: str | None = None
    for line in script.splitlines():
        if terminator is not None:
            if line.strip() == terminator:
                terminator = None
            continue
        heredoc = _HEREDOC.search(line)
        if heredoc:
            terminator = heredoc.group(2)
        lines.append(line)
    return lines


def _words(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:  # unbalanced quotes: fall back to a plain split
        return line.split()


def _is_operator(word: str) -> bool:
    return word in _OPERATORS or (bool(word) and set(word) <= set("<>&|;()"))


def invocations_in(script: str) -> list[list[str]]:
    """Argument lists of every `platformctl` command in a shell script."""
    found: list[list[str]] = []
    for line in shell_lines(script):
        words = _words(line)
        at_command = True
        index = 0
        while index < len(words):
            word = words[index]
            if _is_operator(word):
                at_command = True
            elif at_command and (word == "platformctl" or word.endswith("/platformctl")):
                args: list[str] = []
                index += 1
                while index < len(words) and not _is_operator(words[index]):
                    args.append(words[index])
                    index += 1
                found.append(args)
                continue
            elif at_command and (
                word in _PREFIX_WORDS or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", word)
            ):
                pass  # `exec platformctl …`, `VAR=value platformctl …`
            else:
                at_command = False
            index += 1
    return found


def invocations(paths: list[Path], root: Path = REPO) -> list[Invocation]:
    return [
        Invocation(step, tuple(args))
        for path in paths
        for step in steps_of(path, root)
        for args in invocations_in(step.run)
    ]


def _literal(word: str) -> bool:
    """A word whose value is known before the job runs (no variable or expression in it)."""
    return EXPR not in word and "$" not in word


# Recent typer ships its own copy of click, so commands and parameters are recognised by
# shape (click's public attributes), not by isinstance against the click package.


def _is_group(command: Any) -> bool:
    return hasattr(command, "list_commands") and hasattr(command, "get_command")


def _params(command: Any, kind: str) -> list[Any]:
    return [p for p in command.params if getattr(p, "param_type_name", None) == kind]


def _context(command: Any, name: str, parent: Any = None) -> Any:
    return (
        type(parent)(command, info_name=name, parent=parent)
        if parent
        else command.make_context(name, [], resilient_parsing=True)
    )


def _option_index(command: Any, ctx: Any) -> dict[str, Any]:
    index: dict[str, Any] = {}
    params = list(command.params)
    help_option = command.get_help_option(ctx)
    if help_option is not None:
        params.append(help_option)
    for param in params:
        if getattr(param, "param_type_name", None) == "option":
            for opt in (*param.opts, *param.secondary_opts):
                index[opt] = param
    return index


def check(root_command: Any, invocation: Invocation) -> list[str]:
    """Problems of one invocation: unknown command, unknown option, missing option value,
    extra or invalid positional argument. An empty list means the CLI accepts its shape."""
    problems: list[str] = []
    where = f"{invocation.where}: `{invocation.text}`"
    args = list(invocation.args)
    command = root_command
    path = ["platformctl"]
    ctx = _context(command, "platformctl")
    while True:
        options = _option_index(command, ctx)
        positional: list[str] = []
        while args:
            word = args.pop(0)
            if word == "--":
                positional.extend(args)
                args = []
                break
            if word.startswith("-") and word != "-":
                name, has_value, _ = word.partition("=")
                option = options.get(name)
                if option is None:
                    known = ", ".join(sorted(options)) or "none"
                    problems.append(
                        f"{where}: `{' '.join(path)}` has no option '{name}' (it has: {known})."
                    )
                    continue
                takes_value = not (
                    getattr(option, "is_flag", False) or getattr(option, "count", False)
                )
                if takes_value and not has_value:
                    if not args:
                        problems.append(f"{where}: option '{name}' needs a value.")
                    else:
                        args.pop(0)
                continue
            if _is_group(command):
                positional.append(word)
                break
            positional.append(word)
        if _is_group(command):
            if not positional:
                problems.append(f"{where}: `{' '.join(path)}` needs a command.")
                return problems
            name = positional[0]
            sub = command.get_command(ctx, name)
            if sub is None:
                known = ", ".join(sorted(command.list_commands(ctx)))
                problems.append(
                    f"{where}: `{' '.join(path)}` has no command '{name}' (it has: {known})."
                )
                return problems
            path.append(name)
            command = sub
            ctx = _context(command, name, ctx)
            continue
        problems.extend(_check_arguments(command, positional, where, path))
        return problems


def _check_arguments(command: Any, words: list[str], where: str, path: list[str]) -> list[str]:
    problems: list[str] = []
    arguments = _params(command, "argument")
    remaining = list(words)
    for argument in arguments:
        if argument.nargs == -1:
            taken, remaining = remaining, []
        else:
            taken, remaining = remaining[: argument.nargs], remaining[argument.nargs :]
        if not taken and argument.required:
            problems.append(
                f"{where}: `{' '.join(path)}` needs argument {str(argument.name).upper()}."
            )
        choices = getattr(getattr(argument, "type", None), "choices", None)
        if choices:
            allowed = [str(c) for c in choices]
            for word in taken:
                if _literal(word) and word not in allowed:
                    problems.append(
                        f"{where}: `{' '.join(path)}` does not accept '{word}' for "
                        f"{str(argument.name).upper()} (it accepts: {', '.join(allowed)})."
                    )
    if remaining:
        problems.append(f"{where}: `{' '.join(path)}` takes no further argument(s) {remaining}.")
    return problems
