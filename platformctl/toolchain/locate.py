"""Find a pinned tool: the tools cache first, then PATH. Used by doctor and by every runner."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from platformctl.errors import ProcessError, ToolNotFoundError
from platformctl.paths import tools_dir
from platformctl.toolchain.catalog import ToolSpec


@dataclass(frozen=True)
class Found:
    spec: ToolSpec
    path: Path
    version: str | None
    source: str  # "cache" or "PATH"
    problem: str = ""  # why the binary could not report its version (it is broken)


def cached_path(spec: ToolSpec, version: str, executable: str | None = None) -> Path:
    """Where the installer puts `executable` (default: the tool's own) for this version."""
    return tools_dir() / spec.name / version / "bin" / (executable or spec.executable)


def build_info(name: str, version: str) -> dict[str, object]:
    """The build record (build.json) of a cached tool version, or {} when there is none."""
    import json

    path = tools_dir() / name / version / "build.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


PROBE_TIMEOUT = 10.0
PROBE_OUTPUT_LIMIT = 1 << 20


def probe_version(spec: ToolSpec, path: Path) -> str | None:
    """The version the binary reports, or None when it reports none (or cannot run)."""
    return probe_tool(spec, path)[0]


def probe_tool(spec: ToolSpec, path: Path) -> tuple[str | None, str]:
    """(version, problem): the version the binary reports, and why it could not run ("")."""
    from platformctl import proc

    if spec.version_module:
        return module_version(path, spec.version_module), ""
    try:
        done = proc.run(
            [str(path), *spec.version_args],
            check=False,
            timeout=PROBE_TIMEOUT,
            output_limit=PROBE_OUTPUT_LIMIT,
        )
    except ProcessError as exc:
        return None, exc.reason
    return spec.parse_version(done.stdout + done.stderr), ""


def module_version(binary: Path, module: str) -> str | None:
    """The version of `module` that Go recorded in the binary's build information."""
    from platformctl import proc

    try:
        done = proc.run(["go", "version", "-m", str(binary)], check=False, timeout=30)
    except ProcessError:
        return None
    for line in done.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0] in ("mod", "dep") and fields[1] == module:
            return fields[2].removeprefix("v")
    return None


def find(spec: ToolSpec, wanted: str | None, *, probe: bool = True) -> Found | None:
    """The cached binary of the wanted version if present, else the first one on PATH.

    With probe, the binary's version command is run (doctor shows it); runners skip it,
    and so does every tool without one (providers and plugins speak only their protocol).
    """
    probing = probe and bool(spec.version_args or spec.version_module)
    located: tuple[Path, str] | None = None
    if wanted:
        cached = cached_path(spec, wanted)
        if cached.is_file() and os.access(cached, os.X_OK):
            located = (cached, "cache")
    on_path = shutil.which(spec.executable)
    if located is None and on_path:
        located = (Path(on_path), "PATH")
    if located is None:
        return None
    path, source = located
    version, problem = probe_tool(spec, path) if probing else (None, "")
    return Found(spec, path, version, source, problem)


def require(spec: ToolSpec, wanted: str | None) -> Path:
    """The path of a tool a command cannot run without, else a ToolNotFoundError saying how."""
    found = find(spec, wanted, probe=False)
    if found is None:
        want = f" {wanted}" if wanted else ""
        raise ToolNotFoundError(
            f"{spec.executable} ({spec.name}{want}, pinned in .tool-versions) is not installed.",
            hint=f"run `platformctl tools install --only {spec.name}` (or `make tools`).",
        )
    return found.path


def tool_path(root: Path, name: str) -> Path:
    """Resolve a tool by its .tool-versions name for a repository (cache first, then PATH)."""
    from platformctl.toolchain.catalog import CATALOG
    from platformctl.toolchain.versions import load_pins

    pins = load_pins(root)
    pin = pins.get(name)
    return require(CATALOG[name], pin.version if pin else None)
