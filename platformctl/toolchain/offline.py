"""Where the offline data is: Helm charts and manifests for a machine without chart repositories.

The directory is an input like a package cache, holding data only (Helm charts and the
Training Operator's kustomize tree, never program source); nothing of it is copied into
the repository. It comes
from `--offline-dir DIR` where a command takes it, else PLATFORMCTL_OFFLINE_DIR, else (for
callers that pass the repository root) `../shared/offline` next to the repository when it
exists. Every file platformctl takes from it is checked against the directory's SHA256SUMS
first.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from platformctl.errors import OperationError, UsageError

ENV_VAR = "PLATFORMCTL_OFFLINE_DIR"
CHECKSUMS = "SHA256SUMS"
DEFAULT_RELATIVE = Path("..") / "shared" / "offline"  # next to the repository


def offline_dir(explicit: Path | None = None, *, root: Path | None = None) -> Path | None:
    """The offline directory given (option first, then environment), or None when none is.

    With `root` (the repository), `../shared/offline` next to it is the default when it
    exists and holds a SHA256SUMS.
    """
    raw = str(explicit) if explicit is not None else os.environ.get(ENV_VAR, "")
    if not raw:
        default = (root / DEFAULT_RELATIVE).resolve() if root is not None else None
        return default if default is not None and (default / CHECKSUMS).is_file() else None
    path = Path(raw).expanduser().resolve()
    source = "--offline-dir" if explicit is not None else ENV_VAR
    if not path.is_dir():
        raise UsageError(f"{source} {str(raw)[:200]} is not a directory.")
    if not (path / CHECKSUMS).is_file():
        raise UsageError(f"{source} {path} has no {CHECKSUMS}; it is not an offline directory.")
    return path


def expected_checksums(directory: Path) -> dict[str, str]:
    """relative path -> sha256, from the directory's SHA256SUMS (`sha256sum` format)."""
    sums: dict[str, str] = {}
    text = (directory / CHECKSUMS).read_text(encoding="utf-8", errors="replace")
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and len(parts[0]) == 64:
            sums[parts[1].strip().lstrip("*").removeprefix("./")] = parts[0].lower()
    return sums


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verified(directory: Path, relative: str) -> Path:
    """The file `relative` of the offline directory, after its SHA-256 matched SHA256SUMS."""
    path = directory / relative
    if not path.is_file():
        raise OperationError(f"The offline directory {directory} has no {relative}.")
    wanted = expected_checksums(directory).get(relative)
    if wanted is None:
        raise OperationError(f"{directory}/{CHECKSUMS} lists no checksum for {relative}.")
    found = sha256_file(path)
    if found != wanted:
        raise OperationError(
            f"{path} does not match its checksum in {CHECKSUMS} "
            f"(sha256 {found[:16]}…, expected {wanted[:16]}…); it was not used."
        )
    return path


def unpack(archive: Path, dest: Path) -> Path:
    """Unpack a .tar.gz (members must stay inside dest); return its one top-level folder."""
    import tarfile

    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(dest, filter="data")
    tops = [p for p in dest.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise OperationError(f"{archive.name} should hold one top-level folder, not {len(tops)}.")
    return tops[0]
