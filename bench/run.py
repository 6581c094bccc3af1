"""Run every benchmark of bench/ and print one table: each figure, its target, PASS/MISS.

Performance is measured as ratios against a baseline run in the same invocation (plus
two absolute budgets the targets name: start-up latency and rendering time). Exit 1 if
any figure misses its target. Takes 3-4 minutes; `make bench` runs it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.table import SKIP, Row, met, render  # noqa: E402

BENCHES = ("startup", "render", "kubeconfig", "orchestration", "real_units")


def _warm() -> None:
    """Byte-compile platformctl, as a first run would: the figures are for a warm machine."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "platformctl")],
        check=False,
        capture_output=True,
    )


def main() -> int:
    import importlib

    started = time.monotonic()
    _warm()
    rows: list[Row] = []
    for name in BENCHES:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            rows.append(Row(name, "-", "-", SKIP, f"not runnable here: {exc}"))
            continue
        rows += module.rows()
    print(render(rows))
    print(f"\n{len(rows)} figures in {time.monotonic() - started:.0f} s")
    return 0 if met(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
