"""Start-up: `platformctl --help` against `python -c "import typer"`, median wall-time ratio.

Both run in the same invocation, interleaved, so machine noise hits them alike. Target <= 2.0.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 15
TARGET = 2.0


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> bool:
    del argv  # no options
    baseline_cmd = [sys.executable, "-c", "import typer"]
    help_cmd = [sys.executable, "-m", "platformctl", "--help"]
    _time(baseline_cmd), _time(help_cmd)  # warm the page cache and .pyc files
    baseline, subject = [], []
    for _ in range(RUNS):
        baseline.append(_time(baseline_cmd))
        subject.append(_time(help_cmd))
    ratio = statistics.median(subject) / statistics.median(baseline)
    print(
        f"startup: platformctl --help {statistics.median(subject) * 1000:.0f} ms / "
        f"import typer {statistics.median(baseline) * 1000:.0f} ms = {ratio:.2f} (target <= {TARGET})"
    )
    return ratio <= TARGET


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
