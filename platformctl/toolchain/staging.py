"""Where an install is put together: a staging directory renamed into place, logged steps, build records."""

from __future__ import annotations

import json
import os
import platform
import resource
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from platformctl import proc
from platformctl.errors import OperationError, ProcessError
from platformctl.paths import tools_dir
from platformctl.report import Reporter
from platformctl.toolchain.catalog import ToolSpec
from platformctl.toolchain.locate import cached_path, probe_version

BUILD_INFO = "build.json"


@runtime_checkable
class DetailReporter(Protocol):
    """A reporter that can also show the latest line of a long step (optional)."""

    def detail(self, message: str) -> None: ...


@dataclass(frozen=True)
class Installed:
    """What happened to one pinned tool."""

    name: str
    version: str
    # "cached", "PATH", "download", "go-build", "pip", "checked", "mismatch",
    # "planned", "skipped"
    source: str
    path: str = ""
    seconds: float | None = None
    peak_rss_kb: int | None = None
    size_bytes: int | None = None
    log: str = ""
    steps: tuple[str, ...] = ()
    note: str = ""


def version_parts(version: str) -> dict[str, str]:
    core = version.removeprefix("v").split("-")[0].split("+")[0]
    bits = [*core.split("."), "0", "0"]
    return {"version": version, "major": bits[0], "minor": bits[1], "patch": bits[2]}


def fill_version(template: str, version: str) -> str:
    return template.format(**version_parts(version), os=goos(), arch=goarch())


def goos() -> str:
    return sys.platform if sys.platform != "linux2" else "linux"


def goarch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)


def version_ok(wanted: str, found: str | None) -> bool:
    from platformctl.toolchain.versions import versions_match

    return versions_match(wanted, found)


def is_cached(spec: ToolSpec, version: str) -> bool:
    return all(os.access(cached_path(spec, version, exe), os.X_OK) for exe in spec.executables)


def tool_home(spec: ToolSpec, version: str) -> Path:
    return tools_dir() / spec.name / version


def log_path(spec: ToolSpec, version: str) -> Path:
    return tools_dir() / spec.name / f"{version}.log"


class Staging:
    """A temp dir beside tools/<tool>/<version>, renamed into place by `commit`."""

    def __init__(self, spec: ToolSpec, version: str) -> None:
        self.final = tool_home(spec, version)
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.dir = Path(
            tempfile.mkdtemp(prefix=f".{version}.", suffix=".tmp", dir=self.final.parent)
        )
        self.dir.chmod(0o755)  # mkdtemp makes it private; the cache is shared by every clone
        self.bin = self.dir / "bin"
        self.bin.mkdir()
        self.started = time.monotonic()
        self.rss_before = children_peak_rss_kb()

    def commit(self, info: Mapping[str, object]) -> None:
        (self.dir / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        old: Path | None = None
        if self.final.exists():
            old = self.final.with_name(f".{self.final.name}.old.{os.getpid()}")
            os.rename(self.final, old)
        os.rename(self.dir, self.final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def children_peak_rss_kb() -> int:
    # ru_maxrss of RUSAGE_CHILDREN is the largest resident set of any waited-for descendant
    # (Linux propagates it up through `go` to its compile/link children), in KiB.
    return int(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def run_logged(
    cmd: Sequence[str],
    *,
    spec: ToolSpec,
    version: str,
    step: str,
    cwd: Path | None,
    env: Mapping[str, str],
    reporter: Reporter,
) -> None:
    log = log_path(spec, version)
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"\n$ {shlex.join(cmd)}\n")
    on_line: Callable[[str], None] | None = None
    if isinstance(reporter, DetailReporter):
        on_line = reporter.detail
    try:
        code = proc.stream(cmd, cwd=cwd, env=env, log_path=log, on_line=on_line)
    except ProcessError as exc:
        raise build_failed(spec, version, step, log) from exc
    if code != 0:
        raise build_failed(spec, version, step, log, code)


def build_failed(
    spec: ToolSpec, version: str, step: str, log: Path, code: int | None = None
) -> OperationError:
    how = f" (exit code {code})" if code is not None else ""
    return OperationError(
        f"{spec.name} {version}: the {step} step failed{how}; build log: {log}.",
        hint=f"read {log}; the tools cache was left as it was.",
    )


def _sizes(bin_dir: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(bin_dir.iterdir()) if p.is_file()}


def finish_install(
    staging: Staging,
    spec: ToolSpec,
    *,
    version: str,
    source: str,
    reporter: Reporter,
    label: str,
    steps: Sequence[str],
) -> Installed:
    missing = [exe for exe in spec.executables if not os.access(staging.bin / exe, os.X_OK)]
    if missing:
        raise OperationError(
            f"{spec.name} {version}: the build produced no {', '.join(missing)}; "
            f"build log: {log_path(spec, version)}."
        )
    seconds = round(time.monotonic() - staging.started, 1)
    peak = children_peak_rss_kb()
    # The counter is a high-water mark per process: when this install did not raise it, its
    # own peak is only known to be at most `peak` (install one tool per run to measure).
    peak_exact = peak > staging.rss_before
    sizes = _sizes(staging.bin)
    info = {
        "tool": spec.name,
        "version": version,
        "source": source,
        "seconds": seconds,
        "peak_rss_kb": peak,
        "peak_rss_exact": peak_exact,
        "sizes": sizes,
        "steps": list(steps),
        "go": go_version() if source == "go-build" else None,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    staging.commit(info)
    path = cached_path(spec, version)
    found = probe_version(spec, path)
    if not version_ok(version, found):
        reporter.warn(f"{path} reports version {found or 'unknown'}, not {version}.")
    reporter.info(
        f"{label}: {source} in {seconds:.0f} s, peak {peak / 1024:.0f} MiB, "
        f"{sizes.get(spec.executable, 0) / 1e6:.0f} MB → {path}"
    )
    return Installed(
        spec.name,
        version,
        source,
        str(path),
        seconds,
        peak,
        sizes.get(spec.executable),
        str(log_path(spec, version)),
        tuple(steps),
        note=f"reports {found}",
    )


def go_version() -> str:
    try:
        return proc.run(["go", "env", "GOVERSION"], timeout=60).stdout.strip()
    except ProcessError:
        return ""


def begin_log(spec: ToolSpec, version: str, how: str) -> None:
    log = log_path(spec, version)
    log.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    log.write_text(f"# {spec.name} {version}: {how} ({stamp} UTC)\n", encoding="utf-8")
