"""OpenTofu version constraints (`>= 5.46, < 7.0`, `~> 3.0`) checked against versions."""

from __future__ import annotations

import re

_TERM = re.compile(r"^\s*(=|!=|>=|<=|>|<|~>)?\s*v?(\d+(?:\.\d+){0,2})(-[0-9A-Za-z.-]+)?\s*$")


def _numbers(text: str, width: int = 3) -> tuple[int, ...]:
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (width - len(parts)))


def parse_version(version: str) -> tuple[tuple[int, ...], str] | None:
    """(major, minor, patch) and the pre-release suffix, or None when it is no version."""
    match = _TERM.match(version)
    if match is None or match.group(1):
        return None
    return _numbers(match.group(2)), match.group(3) or ""


def satisfies(version: str, constraint: str) -> bool:
    """Whether `version` meets every comma-separated term of `constraint` (empty: any).

    As OpenTofu does, a pre-release is chosen only by a term that names it exactly.
    """
    parsed = parse_version(version)
    if parsed is None:
        return False
    numbers, pre = parsed
    terms = [t for t in constraint.split(",") if t.strip()]
    if pre and not any(t.strip().lstrip("=v ").strip() == version.lstrip("v") for t in terms):
        return False
    for term in terms:
        match = _TERM.match(term)
        if match is None:
            return False
        op, given = match.group(1) or "=", match.group(2)
        bound = _numbers(given)
        if op == "~>":
            width = given.count(".") + 1
            upper = list(bound[: max(width - 1, 1)])
            upper[-1] += 1
            if not (numbers >= bound and numbers[: len(upper)] < tuple(upper)):
                return False
            continue
        ok = {
            "=": numbers == bound,
            "!=": numbers != bound,
            ">": numbers > bound,
            ">=": numbers >= bound,
            "<": numbers < bound,
            "<=": numbers <= bound,
        }[op]
        if not ok:
            return False
    return True


def newest(versions: tuple[str, ...] | list[str], constraint: str) -> str | None:
    """The highest of `versions` that meets `constraint`, or None."""
    fitting = [v for v in versions if satisfies(v, constraint)]
    return max(fitting, key=lambda v: parse_version(v) or ((0, 0, 0), ""), default=None)
