"""Running a tool leaves no process behind: `tflint --version` starts its bundled plugin and
leaves it running when its output is not a terminal; platformctl ends the whole group of a
short command once the command itself has ended."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _orphans() -> dict[int, str]:
    """Live processes adopted by init (parent 1), with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fields[0] != "Z" and fields[1] == "1":
            found[int(entry.name)] = cmdline
    return found


@pytest.mark.real
@pytest.mark.parametrize(
    "args",
    [("doctor", "--offline"), ("tools", "install"), ("tools", "list"), ("tools", "providers")],
)
def test_no_process_outlives_the_command(args: tuple[str, ...]) -> None:
    before = _orphans()
    done = subprocess.run(
        [sys.executable, "-m", "platformctl", *args],
        cwd=REPO,
        env={**os.environ, "PLATFORMCTL_ROOT": str(REPO)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    left = {pid: cmd for pid, cmd in _orphans().items() if pid not in before}
    assert left == {}, left
