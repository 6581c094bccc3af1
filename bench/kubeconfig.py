"""Reading a large kubeconfig: 5,000 contexts (about 780 KB), platformctl's reader ÷ PyYAML's
pure-Python safe loader, in the same process. Target <= 0.5 (the C loader where PyYAML has it).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.table import Row, check, met, render

CONTEXTS = 5000
TARGET = 0.5


def _kubeconfig(path: Path) -> None:
    lines = ["apiVersion: v1", "kind: Config", "current-context: c0", "clusters:"]
    lines += [
        f"- name: k{i}\n  cluster:\n    server: https://127.0.0.1:{6000 + i % 1000}\n    certificate-authority-data: {'Q0' * 20}"
        for i in range(CONTEXTS)
    ]
    lines.append("users:")
    lines += [f"- name: u{i}\n  user:\n    token: t{i:060d}" for i in range(CONTEXTS)]
    lines.append("contexts:")
    lines += [
        f"- name: c{i}\n  context:\n    cluster: k{i}\n    user: u{i}" for i in range(CONTEXTS)
    ]
    path.write_text("\n".join(lines) + "\n")


def _best(fn: object, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def rows() -> list[Row]:
    import yaml

    from platformctl.cluster.kubeconfig_file import read_kubeconfig

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config"
        _kubeconfig(path)
        size = path.stat().st_size
        ours = _best(lambda: read_kubeconfig(path))
        base = _best(lambda: yaml.load(path.read_text(), Loader=yaml.SafeLoader))
    ratio = ours / base
    return [
        check(
            f"kubeconfig of {CONTEXTS} contexts ({size >> 10} KB): read ÷ PyYAML SafeLoader",
            ratio,
            TARGET,
            f"{ratio:.2f}  ({ours * 1000:.0f} ms vs {base * 1000:.0f} ms)",
        )
    ]


def main(argv: Sequence[str] | None = None) -> bool:
    del argv
    table = rows()
    print(render(table))
    return met(table)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
