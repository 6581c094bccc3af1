"""A stamp of the last render check, so a run over an unchanged tree renders nothing.

Rendering (Jinja) and comparing the result with live/ takes tens of milliseconds, and
plan-all wants terragrunt running by then. After a render, or a check that found the
tree fresh, the stamp keeps a digest of everything the rendered text depends on (the
platform, the org, the environment selection, every file under templates/ and
platformctl's rendering code) and the SHA-256 of every rendered file of that scope on
disk. When both still match, live/ is exactly what rendering would write, and the render
is skipped; any difference (a template, platform.toml, a hand edit in live/, a file
added or removed) takes the full render-and-compare path.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from platformctl import __version__
from platformctl.fsutil import write_atomic
from platformctl.model.config import Org, Platform
from platformctl.paths import state_dir

STAMP_DIR = "render-stamps"
_LIVE, _TEMPLATES, _SUFFIX = "live", "templates", ".hcl"
MANIFEST = ".platformctl-manifest"  # livetree.MANIFEST, without importing the writer


def _code_files() -> tuple[Path, ...]:
    from platformctl.model import config, naming, render

    return tuple(Path(m.__file__) for m in (config, naming, render) if m.__file__)


def inputs_digest(root: Path, platform: Platform, org: Org, env_name: str | None) -> str:
    """A digest of what the rendered text is a function of."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{platform!r}\0{org!r}\0{env_name}\0".encode())
    for path in _code_files():
        digest.update(path.read_bytes())
    templates = root / _TEMPLATES
    for top, dirs, files in os.walk(templates):
        dirs.sort()
        for name in sorted(files):
            path = Path(top) / name
            digest.update(f"\0{path.relative_to(templates)}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def rendered_files(root: Path, org: Org, env_name: str | None) -> dict[str, str]:
    """SHA-256 of each HCL file of the scope on disk, and of the org's manifest."""
    live = root / _LIVE
    base = live / org.name
    files: dict[str, str] = {}
    for top, dirs, names in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel_top = Path(top).relative_to(live)
        if env_name is not None and len(rel_top.parts) >= 2 and rel_top.parts[1] != env_name:
            dirs[:] = []
            continue
        for name in names:
            if name != MANIFEST and (not name.endswith(_SUFFIX) or name.startswith(".")):
                continue
            rel = rel_top / name
            if env_name is None or len(rel.parts) == 2 or rel.parts[1] == env_name:
                files[str(rel)] = hashlib.sha256((Path(top) / name).read_bytes()).hexdigest()
    return files


class Stamp:
    """The render stamp of one (org, environment selection)."""

    def __init__(self, root: Path, platform: Platform, org: Org, env_name: str | None) -> None:
        self.root, self.platform, self.org, self.env_name = root, platform, org, env_name
        self.path = state_dir(root) / STAMP_DIR / f"{org.name}-{env_name or '_all'}.json"

    def fresh(self) -> int | None:
        """The number of rendered files when live/ matches the stamp, else None."""
        try:
            data: Any = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("inputs") != inputs_digest(
            self.root, self.platform, self.org, self.env_name
        ):
            return None
        files = rendered_files(self.root, self.org, self.env_name)
        return len(files) if data.get("files") == files else None

    def record(self) -> None:
        """Stamp live/ as it is now (right after a render or a check that found it fresh)."""
        document = {
            "inputs": inputs_digest(self.root, self.platform, self.org, self.env_name),
            "files": rendered_files(self.root, self.org, self.env_name),
        }
        write_atomic(self.path, json.dumps(document, indent=1, sort_keys=True) + "\n")
