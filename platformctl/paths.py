"""Where things live: the repository root, the per-repo state dir and the per-user cache."""

from __future__ import annotations

import os
from pathlib import Path

from platformctl.errors import UsageError

CONFIG_FILE = "platform.toml"


def find_repo_root(start: Path | None = None) -> Path:
    """The nearest directory at or above `start` (default: cwd) holding platform.toml.

    PLATFORMCTL_ROOT overrides the search, which is how tests and CI point at a tree.
    """
    override = os.environ.get("PLATFORMCTL_ROOT")
    if override:
        root = Path(override).resolve()
        if not (root / CONFIG_FILE).is_file():
            raise UsageError(f"PLATFORMCTL_ROOT={override} has no {CONFIG_FILE}.")
        return root
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    raise UsageError(
        f"No {CONFIG_FILE} found in {here} or any parent directory; "
        "run platformctl inside a platformctl repository or set PLATFORMCTL_ROOT."
    )


def state_dir(root: Path) -> Path:
    """Per-repository runtime state (sandbox pids, run logs, plan files); never committed."""
    return root / ".platformctl"


def cache_dir() -> Path:
    """Per-user cache shared by every clone: built tools, provider mirror, plugin cache."""
    override = os.environ.get("PLATFORMCTL_CACHE")
    if override:
        return Path(override).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "platformctl"


def tools_dir() -> Path:
    return cache_dir() / "tools"
