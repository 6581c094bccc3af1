"""Start-up: `platformctl --help` against `python -c "import typer"`, median wall-time ratio.

Both run in the same invocation, interleaved, so machine noise hits them alike. Target <= 1.5.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

if __package__ in (None, ""):
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

from bench.table import Row, check, met, render

RUNS = 15
TARGET = 1.5


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def rows() -> list[Row]:
    baseline_cmd = [sys.executable, "-c", "import typer"]
    help_cmd = [sys.executable, "-m", "platformctl", "--help"]
    _time(baseline_cmd), _time(help_cmd)  # warm the page cache and .pyc files
    baseline, subject = [], []
    for _ in range(RUNS):
        baseline.append(_time(baseline_cmd))
        subject.append(_time(help_cmd))
    ratio = statistics.median(subject) / statistics.median(baseline)
    return [
        check(
            "start-up: platformctl --help ÷ python -c 'import typer'",
            ratio,
            TARGET,
            f"{ratio:.2f}  ({statistics.median(subject) * 1000:.0f} ms / "
            f"{statistics.median(baseline) * 1000:.0f} ms, median of {RUNS})",
        )
    ]


def main(argv: Sequence[str] | None = None) -> bool:
    del argv  # no options
    table = rows()
    print(render(table))
    return met(table)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
