"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def umask() -> int:
    """The process umask, read without changing it (Linux /proc), else the usual 022."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def write_atomic(
    path: Path, data: str | bytes, *, mode: int | None = None, keep_owner: bool = False
) -> None:
    """Write `data` to `path` through a temp file in the same directory and a rename.

    The new file gets `mode`, else the mode of the file it replaces, else what a plain
    open() would give (0666 less the umask) — never the temp file's 0600 by accident.
    With keep_owner, a replaced file keeps its owner and group (when we may set them:
    root editing another user's file must not take it over).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    try:
        before: os.stat_result | None = path.stat()
    except FileNotFoundError:
        before = None
    if mode is None:
        mode = stat.S_IMODE(before.st_mode) if before else 0o666 & ~umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            if keep_owner and before is not None and os.geteuid() == 0:
                os.fchown(handle.fileno(), before.st_uid, before.st_gid)
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
