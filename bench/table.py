"""One row per benchmark figure: value, target, PASS/MISS; printed as one table."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

PASS, MISS, SKIP, INFO = "PASS", "MISS", "SKIP", "info"


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    target: str
    verdict: str  # PASS, MISS, SKIP or info (a figure without a target)
    note: str = ""


def check(figure: str, value: float, target: float, text: str, note: str = "") -> Row:
    """A row whose value must not exceed its target."""
    return Row(figure, text, f"<= {target:g}", PASS if value <= target else MISS, note)


@dataclass(frozen=True)
class Run:
    """One timed command: wall seconds, and CPU seconds of it and every process it waited for."""

    wall: float
    cpu: float
    spawned: float = 0.0  # Unix time of the spawn
    stdout: str = ""


def ratio_row(
    figure: str,
    ours: Sequence[Run],
    raw: Sequence[Run],
    target: float | None,
    note: str = "",
) -> Row:
    """Our wall time over raw's: the median of the per-round ratios (each round runs raw, then
    ours, so load that drifts over minutes cancels), with their range, the medians, and the
    same ratio of CPU time (the work added, which the machine's other load barely moves).

    Without a target the row is information (a figure that explains another).
    """
    rounds = [o.wall / r.wall for o, r in zip(ours, raw, strict=True)]
    cpu = [o.cpu / r.cpu for o, r in zip(ours, raw, strict=True) if r.cpu > 0]
    ratio = statistics.median(rounds)
    text = (
        f"{ratio:.3f}  ({statistics.median(o.wall for o in ours):.2f} s / "
        f"{statistics.median(r.wall for r in raw):.2f} s; rounds {min(rounds):.2f}-"
        f"{max(rounds):.2f}, n={len(rounds)}; CPU {statistics.median(cpu):.3f})"
    )
    if target is None:
        return Row(figure, text, "-", INFO, note)
    return check(figure, ratio, target, text, note)


def render(rows: Sequence[Row]) -> str:
    """The table, then the numbered notes its rows point at."""
    noted = [r for r in rows if r.note]
    marks = {id(r): f" [{noted.index(r) + 1}]" for r in noted}
    table = [("figure", "value", "target", "result")]
    table += [(r.figure, r.value, r.target, r.verdict + marks.get(id(r), "")) for r in rows]
    widths = [max(len(cells[i]) for cells in table) for i in range(3)]
    lines = []
    for i, cells in enumerate(table):
        lines.append(
            "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)) + "  " + cells[3]
        )
        if i == 0:
            lines.append("-" * (sum(widths) + 6 + len("result")))
    if noted:
        lines += ["", "notes:"] + [f"  [{i}] {r.note}" for i, r in enumerate(noted, 1)]
    return "\n".join(lines)


def met(rows: Sequence[Row]) -> bool:
    return not any(r.verdict == MISS for r in rows)
