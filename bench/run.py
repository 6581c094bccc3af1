"""Run every benchmark of bench/ and print its ratios; exit 1 if any misses its target."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

BENCHES = ("startup", "render", "orchestration")


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    failed = []
    for name in BENCHES:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError:
            print(f"{name}: not present, skipped")
            continue
        if not module.main([]):
            failed.append(name)
    if failed:
        print(f"missed target: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
