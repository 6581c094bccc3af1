"""Install the tools pinned in .tool-versions into the per-user tools cache.

For each pinned tool, in this order:
  (a) a binary on PATH whose version matches the pin is used as it is (nothing is built);
  (b) otherwise the official release is downloaded and its SHA-256 checked, when the
      download host answers within a short timeout (never tried in offline mode,
      platformctl.network);
  (c) otherwise it is built from the Go module proxy (styles "install", "copy" and
      "wrapper" of catalog.GoBuild) or, for awscli, pip-installed into a venv.

Everything is assembled in a temp directory next to its final place and renamed into
tools/<tool>/<version> only when complete, so a failed or interrupted install never leaves a
binary in the cache. Build output goes to tools/<tool>/<version>.log; wall time, peak memory
of the build processes and binary sizes go to tools/<tool>/<version>/build.json.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from platformctl.errors import OperationError, UsageError
from platformctl.report import Reporter
from platformctl.toolchain.catalog import CATALOG, ToolSpec
from platformctl.toolchain.gobuild import (
    go_build,
    go_commands,
)
from platformctl.toolchain.locate import build_info, cached_path, probe_version
from platformctl.toolchain.pipvenv import pip_install
from platformctl.toolchain.release import (
    try_download,
)
from platformctl.toolchain.staging import (
    Installed,
    fill_version,
    is_cached,
    tool_home,
    version_ok,
)
from platformctl.toolchain.versions import Pin, require_pins


@dataclass(frozen=True)
class InstallResult:
    tools: tuple[Installed, ...]
    dry_run: bool = False

    def to_json(self) -> dict[str, object]:
        return {"dry_run": self.dry_run, "tools": [asdict(t) for t in self.tools]}


@dataclass(frozen=True)
class ListedTool:
    name: str
    version: str
    executables: tuple[str, ...]
    state: str  # "cached", "PATH", "missing", "not managed"
    path: str = ""
    found_version: str = ""
    build: Mapping[str, object] = field(default_factory=dict)


def select_pins(root: Path, only: Sequence[str] = ()) -> list[tuple[Pin, ToolSpec]]:
    """The pins to install, validated: unknown names and unmanaged pins are usage errors."""
    pins = require_pins(root)
    for name in only:
        if name not in CATALOG:
            known = ", ".join(sorted(CATALOG))
            raise UsageError(f"--only {name}: unknown tool; known tools are {known}.")
        if name not in pins:
            raise UsageError(f"--only {name}: the tool is not pinned in .tool-versions.")
    chosen: list[tuple[Pin, ToolSpec]] = []
    for pin in pins.values():
        if only and pin.name not in only:
            continue
        spec = CATALOG.get(pin.name)
        if spec is None:
            raise UsageError(
                f".tool-versions line {pin.line} pins '{pin.name}', which platformctl does not "
                f"know; known tools are {', '.join(sorted(CATALOG))}."
            )
        chosen.append((pin, spec))
    return chosen


def list_tools(root: Path) -> tuple[ListedTool, ...]:
    """What .tool-versions pins and what is installed where (cache first, then PATH)."""
    rows: list[ListedTool] = []
    for pin in require_pins(root).values():
        spec = CATALOG.get(pin.name)
        if spec is None:
            rows.append(ListedTool(pin.name, pin.version, (), "not managed"))
            continue
        if is_cached(spec, pin.version):
            rows.append(
                ListedTool(
                    pin.name,
                    pin.version,
                    spec.executables,
                    "cached",
                    str(cached_path(spec, pin.version)),
                    pin.version,
                    build_info(spec.name, pin.version),
                )
            )
            continue
        on_path = shutil.which(spec.executable)
        if on_path:
            found = probe_version(spec, Path(on_path)) or "unknown"
            rows.append(ListedTool(pin.name, pin.version, spec.executables, "PATH", on_path, found))
        else:
            rows.append(ListedTool(pin.name, pin.version, spec.executables, "missing"))
    return tuple(rows)


def install_tools(
    root: Path,
    reporter: Reporter,
    *,
    only: Sequence[str] = (),
    dry_run: bool = False,
) -> InstallResult:
    """Install every pinned tool (or those in `only`) into the tools cache."""
    chosen = select_pins(root, only)
    results: list[Installed] = []
    for index, (pin, spec) in enumerate(chosen, start=1):
        label = f"[{index}/{len(chosen)}] {pin.name} {pin.version}"
        results.append(install_one(spec, pin.version, reporter, label=label, dry_run=dry_run))
    return InstallResult(tuple(results), dry_run)


def install_one(
    spec: ToolSpec,
    version: str,
    reporter: Reporter,
    *,
    label: str | None = None,
    dry_run: bool = False,
) -> Installed:
    """Make one tool of one version available; see the module docstring for the order."""
    label = label or f"{spec.name} {version}"
    if is_cached(spec, version):
        reporter.step(f"{label}: cached")
        return Installed(spec.name, version, "cached", str(cached_path(spec, version)))
    if not spec.installable:
        return _check_only(spec, version, reporter, label)
    on_path = shutil.which(spec.executable)
    if on_path:
        found = probe_version(spec, Path(on_path))
        if version_ok(version, found):
            reporter.step(f"{label}: using {on_path} (version {found})")
            return Installed(spec.name, version, "PATH", on_path, note=f"found {found}")
        reporter.info(f"{on_path} reports {found or 'no version'}, not {version}; installing")
    if dry_run:
        return _plan(spec, version, reporter, label)
    if spec.release:
        downloaded = try_download(spec, version, reporter, label)
        if downloaded is not None:
            return downloaded
    if spec.go is not None:
        return go_build(spec, spec.go, version, reporter, label)
    if spec.pip_package is not None:
        return pip_install(spec, spec.pip_package, version, reporter, label)
    from platformctl.network import offline

    why = (
        "offline mode tries no release download"
        if offline()
        else "the release download is unreachable"
    )
    raise OperationError(
        f"{spec.name} {version}: {why} and there is no way to build it from source here.",
        hint=f"install {spec.executable} {version} yourself and put it on PATH.",
    )


def _check_only(spec: ToolSpec, version: str, reporter: Reporter, label: str) -> Installed:
    on_path = shutil.which(spec.executable)
    found = probe_version(spec, Path(on_path)) if on_path else None
    if version_ok(version, found):
        reporter.step(f"{label}: {on_path} reports {found} (checked, never installed)")
        return Installed(spec.name, version, "checked", on_path or "", note=f"found {found}")
    reporter.warn(
        f"{spec.name}: .tool-versions wants {version}, found {found or 'none'}"
        f"{f' at {on_path}' if on_path else ''}; platformctl does not install {spec.name}."
    )
    return Installed(spec.name, version, "mismatch", on_path or "", note=f"found {found}")


def _plan(spec: ToolSpec, version: str, reporter: Reporter, label: str) -> Installed:
    steps: list[str] = []
    for asset in spec.release:
        steps.append(
            f"download {fill_version(asset.url, version)} (sha256 from {fill_version(asset.checksums, version)})"
        )
    if spec.go is not None:
        steps.extend(shlex.join(cmd) for cmd in go_commands(spec, spec.go, version))
    elif spec.pip_package is not None:
        steps.append(f"python -m venv {tool_home(spec, version) / 'venv'}")
        steps.append(f"pip install {spec.pip_package}=={version}")
    reporter.step(f"{label}: would install into {tool_home(spec, version) / 'bin'}")
    for step in steps:
        reporter.info(step)
    return Installed(
        spec.name, version, "planned", str(cached_path(spec, version)), steps=tuple(steps)
    )
