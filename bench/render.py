"""Rendering: 50 environments rendered in memory with the parse-back check. Target <= 2 s.

Runs in a fresh interpreter so the first python-hcl2 parse of a process is counted too.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.table import Row, met, render

TARGET_S = 2.0
ENVS = 50

_SCRIPT = """
import copy, time, tomllib
from pathlib import Path
from platformctl.model.config import parse_platform, resolve_org
from platformctl.model.render import render_tree, verify_tree
root = Path({root!r})
base = tomllib.loads((root / "platform.toml").read_text())["environments"][0]
envs = []
for i in range({envs}):
    env = copy.deepcopy(base)
    env["name"] = f"env{{i}}"
    env["vpc_cidr"] = f"10.{{i}}.0.0/16"
    envs.append(env)
platform = parse_platform({{"environments": envs}})
start = time.perf_counter()
tree = render_tree(root, platform, resolve_org("BenchOrg"))
verify_tree(tree)
elapsed = time.perf_counter() - start
print(f"{{elapsed:.3f}} {{len(tree.files)}}")
"""


def rows() -> list[Row]:
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(root=str(root), envs=ENVS)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    elapsed, files = float(out[0]), int(out[1])
    return [
        Row(
            f"render: {ENVS} environments in memory, parse-checked",
            f"{elapsed:.2f} s  ({files} files)",
            f"<= {TARGET_S:g} s",
            "PASS" if elapsed <= TARGET_S else "MISS",
        )
    ]


def main(argv: Sequence[str] | None = None) -> bool:
    del argv  # no options
    table = rows()
    print(render(table))
    return met(table)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
