"""Install the tools pinned in .tool-versions into the per-user tools cache.

For each pinned tool, in this order:
  (a) a binary on PATH whose version matches the pin is used as it is (nothing is built);
  (b) otherwise the official release is downloaded and its SHA-256 checked, when the
      download host answers within a short timeout;
  (c) otherwise it is built from the Go module proxy (styles "install", "copy" and
      "wrapper" of catalog.GoBuild) or, for awscli, pip-installed into a venv.

Everything is assembled in a temp directory next to its final place and renamed into
tools/<tool>/<version> only when complete, so a failed or interrupted install never leaves a
binary in the cache. Build output goes to tools/<tool>/<version>.log; wall time, peak memory
of the build processes and binary sizes go to tools/<tool>/<version>/build.json.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import resource
import shlex
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from platformctl import proc
from platformctl.errors import OperationError, ProcessError, UsageError
from platformctl.paths import tools_dir
from platformctl.report import Reporter
from platformctl.toolchain.catalog import CATALOG, GoBuild, ReleaseAsset, ToolSpec
from platformctl.toolchain.locate import build_info, cached_path, probe_version
from platformctl.toolchain.versions import Pin, load_pins

CONNECT_TIMEOUT = 3.0
BUILD_INFO = "build.json"
_MISSING_VERSION_MARKERS = (
    "unknown revision",
    "invalid version",
    "no matching versions",
    "not available",
    "not found",
    "404 not found",
    "410 gone",
)


@runtime_checkable
class DetailReporter(Protocol):
    """A reporter that can also show the latest line of a long step (optional)."""

    def detail(self, message: str) -> None: ...


@dataclass(frozen=True)
class Installed:
    """What happened to one pinned tool."""

    name: str
    version: str
    # "cached", "PATH", "download", "go-build", "offline-build", "pip", "checked", "mismatch",
    # "planned", "skipped"
    source: str
    path: str = ""
    seconds: float | None = None
    peak_rss_kb: int | None = None
    size_bytes: int | None = None
    log: str = ""
    steps: tuple[str, ...] = ()
    note: str = ""


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


# ---------------------------------------------------------------- selection


def select_pins(root: Path, only: Sequence[str] = ()) -> list[tuple[Pin, ToolSpec]]:
    """The pins to install, validated: unknown names and unmanaged pins are usage errors."""
    pins = load_pins(root)
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


def version_parts(version: str) -> dict[str, str]:
    core = version.removeprefix("v").split("-")[0].split("+")[0]
    bits = [*core.split("."), "0", "0"]
    return {"version": version, "major": bits[0], "minor": bits[1], "patch": bits[2]}


def _fill(template: str, version: str) -> str:
    return template.format(**version_parts(version), os=_goos(), arch=_goarch())


def _goos() -> str:
    return sys.platform if sys.platform != "linux2" else "linux"


def _goarch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)


def is_cached(spec: ToolSpec, version: str) -> bool:
    return all(os.access(cached_path(spec, version, exe), os.X_OK) for exe in spec.executables)


def tool_home(spec: ToolSpec, version: str) -> Path:
    return tools_dir() / spec.name / version


def log_path(spec: ToolSpec, version: str) -> Path:
    return tools_dir() / spec.name / f"{version}.log"


def _version_ok(wanted: str, found: str | None) -> bool:
    from platformctl.toolchain.doctor import versions_match

    return versions_match(wanted, found)


# ---------------------------------------------------------------- public entry points


def list_tools(root: Path) -> tuple[ListedTool, ...]:
    """What .tool-versions pins and what is installed where (cache first, then PATH)."""
    rows: list[ListedTool] = []
    for pin in load_pins(root).values():
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
    providers: bool = False,
    offline: Path | None = None,
) -> InstallResult:
    """Install every pinned tool (or those in `only`) into the tools cache.

    Providers (pins with a registry address) are included with `providers` or when named in
    `only`; programs built from offline sources need `offline` (see platformctl.toolchain.offline).
    """
    chosen = [
        (pin, spec)
        for pin, spec in select_pins(root, only)
        if providers or spec.provider is None or pin.name in only
    ]
    results: list[Installed] = []
    for index, (pin, spec) in enumerate(chosen, start=1):
        label = f"[{index}/{len(chosen)}] {pin.name} {pin.version}"
        results.append(
            install_one(spec, pin.version, reporter, label=label, dry_run=dry_run, offline=offline)
        )
    return InstallResult(tuple(results), dry_run)


def install_one(
    spec: ToolSpec,
    version: str,
    reporter: Reporter,
    *,
    label: str | None = None,
    dry_run: bool = False,
    offline: Path | None = None,
) -> Installed:
    """Make one tool of one version available; see the module docstring for the order."""
    label = label or f"{spec.name} {version}"
    if spec.offline is not None:
        return _install_offline(spec, version, reporter, label, dry_run, offline)
    if is_cached(spec, version):
        reporter.step(f"{label}: cached")
        return Installed(spec.name, version, "cached", str(cached_path(spec, version)))
    if not spec.installable:
        return _check_only(spec, version, reporter, label)
    on_path = shutil.which(spec.executable)
    if on_path:
        found = probe_version(spec, Path(on_path))
        if _version_ok(version, found):
            reporter.step(f"{label}: using {on_path} (version {found})")
            return Installed(spec.name, version, "PATH", on_path, note=f"found {found}")
        reporter.info(f"{on_path} reports {found or 'no version'}, not {version}; installing")
    if dry_run:
        return _plan(spec, version, reporter, label)
    if spec.release:
        downloaded = _try_download(spec, version, reporter, label)
        if downloaded is not None:
            return downloaded
    if spec.go is not None:
        return _go_build(spec, spec.go, version, reporter, label)
    if spec.pip_package is not None:
        return _pip_install(spec, spec.pip_package, version, reporter, label)
    raise OperationError(
        f"{spec.name} {version}: the release download is unreachable and there is no way to "
        "build it from source here.",
        hint=f"install {spec.executable} {version} yourself and put it on PATH.",
    )


def _install_offline(
    spec: ToolSpec,
    version: str,
    reporter: Reporter,
    label: str,
    dry_run: bool,
    offline: Path | None,
) -> Installed:
    """A program built from an offline source: cached, else built, else skipped with a reason."""
    from platformctl.toolchain import offline_build

    if is_cached(spec, version):
        note = "" if dry_run else offline_build.publish(spec, version)
        reporter.step(f"{label}: cached")
        return Installed(spec.name, version, "cached", str(cached_path(spec, version)), note=note)
    if offline is None:
        why = (
            "OpenTofu takes it from the registry"
            if spec.provider
            else "it is built only from an offline directory"
        )
        reporter.step(f"{label}: skipped (no offline directory; {why})")
        return Installed(spec.name, version, "skipped", note=f"no offline directory; {why}")
    if dry_run:
        reporter.step(f"{label}: would build into {tool_home(spec, version) / 'bin'}")
        steps = offline_build.build_commands(spec, version)
        for step in steps:
            reporter.info(step)
        return Installed(
            spec.name, version, "planned", str(cached_path(spec, version)), steps=tuple(steps)
        )
    return offline_build.build(spec, version, offline, reporter, label)


def _check_only(spec: ToolSpec, version: str, reporter: Reporter, label: str) -> Installed:
    on_path = shutil.which(spec.executable)
    found = probe_version(spec, Path(on_path)) if on_path else None
    if _version_ok(version, found):
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
            f"download {_fill(asset.url, version)} (sha256 from {_fill(asset.checksums, version)})"
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


# ---------------------------------------------------------------- staging and measuring


class _Staging:
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
        self.rss_before = _peak_rss_kb()

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


def _peak_rss_kb() -> int:
    # ru_maxrss of RUSAGE_CHILDREN is the largest resident set of any waited-for descendant
    # (Linux propagates it up through `go` to its compile/link children), in KiB.
    return int(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def _run_logged(
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
        raise _failed(spec, version, step, log) from exc
    if code != 0:
        raise _failed(spec, version, step, log, code)


def _failed(
    spec: ToolSpec, version: str, step: str, log: Path, code: int | None = None
) -> OperationError:
    how = f" (exit code {code})" if code is not None else ""
    return OperationError(
        f"{spec.name} {version}: the {step} step failed{how}; build log: {log}.",
        hint=f"read {log}; the tools cache was left as it was.",
    )


def _sizes(bin_dir: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(bin_dir.iterdir()) if p.is_file()}


def _finish(
    staging: _Staging,
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
    peak = _peak_rss_kb()
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
        "go": _go_version() if source == "go-build" else None,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    staging.commit(info)
    path = cached_path(spec, version)
    found = probe_version(spec, path)
    if not _version_ok(version, found):
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


def _go_version() -> str:
    try:
        return proc.run(["go", "env", "GOVERSION"], timeout=60).stdout.strip()
    except ProcessError:
        return ""


def _begin_log(spec: ToolSpec, version: str, how: str) -> None:
    log = log_path(spec, version)
    log.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    log.write_text(f"# {spec.name} {version}: {how} ({stamp} UTC)\n", encoding="utf-8")


# ---------------------------------------------------------------- (b) release downloads

_reachable: dict[str, bool] = {}


def _host_reachable(url: str) -> bool:
    """One quick HEAD per host and run: DNS failure or no answer within the timeout → no."""
    host = urllib.parse.urlparse(url).netloc
    if host not in _reachable:
        try:
            request = urllib.request.Request(url, method="HEAD")
            with urllib.request.urlopen(request, timeout=CONNECT_TIMEOUT):
                _reachable[host] = True
        except urllib.error.HTTPError:
            _reachable[host] = True  # it answered; the asset itself may still be missing
        except (urllib.error.URLError, OSError):
            _reachable[host] = False
    return _reachable[host]


def _fetch(url: str, dest: Path) -> None:
    with (
        urllib.request.urlopen(url, timeout=CONNECT_TIMEOUT * 10) as response,
        dest.open("wb") as out,
    ):
        shutil.copyfileobj(response, out)


def expected_sha256(checksums: str, asset_name: str) -> str | None:
    """The hash for `asset_name` in sha256sum output, or the only hash of a bare hash file."""
    lines = [line.split() for line in checksums.splitlines() if line.strip()]
    if len(lines) == 1 and len(lines[0]) == 1:
        return lines[0][0].lower()
    for parts in lines:
        if len(parts) >= 2 and parts[-1].lstrip("*").rsplit("/", 1)[-1] == asset_name:
            return parts[0].lower()
    return None


def extract_member(archive: Path, member: str, dest: Path) -> None:
    """Copy one file out of a .tar.gz or .zip archive (or the file itself) to `dest`."""
    if archive.name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(archive) as tar:
            source = tar.extractfile(member)
            if source is None:
                raise OperationError(f"{archive.name} has no file {member}.")
            with source, dest.open("wb") as out:
                shutil.copyfileobj(source, out)
    elif archive.name.endswith(".zip"):
        with (
            zipfile.ZipFile(archive) as zipped,
            zipped.open(member) as source,
            dest.open("wb") as out,
        ):
            shutil.copyfileobj(source, out)
    else:
        shutil.copyfile(archive, dest)
    dest.chmod(0o755)


def _try_download(spec: ToolSpec, version: str, reporter: Reporter, label: str) -> Installed | None:
    urls = [_fill(asset.url, version) for asset in spec.release]
    if not all(_host_reachable(url) for url in urls):
        reporter.info(f"{label}: release download unreachable; building from source")
        return None
    reporter.step(f"{label}: downloading the release")
    _begin_log(spec, version, "release download")
    staging = _Staging(spec, version)
    steps: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix=f"platformctl-{spec.name}-") as scratch:
            for asset in spec.release:
                steps.append(_download_asset(spec, version, asset, Path(scratch), staging.bin))
        return _finish(
            staging,
            spec,
            version=version,
            source="download",
            reporter=reporter,
            label=label,
            steps=steps,
        )
    except (urllib.error.URLError, OSError, KeyError, tarfile.TarError, zipfile.BadZipFile) as exc:
        staging.discard()
        with log_path(spec, version).open("a", encoding="utf-8") as handle:
            handle.write(f"download failed: {exc}\n")
        reporter.warn(f"{label}: download failed ({exc}); building from source")
        return None
    except BaseException:
        staging.discard()
        raise


def _download_asset(
    spec: ToolSpec, version: str, asset: ReleaseAsset, scratch: Path, bin_dir: Path
) -> str:
    url = _fill(asset.url, version)
    name = url.rsplit("/", 1)[-1]
    archive = scratch / name
    _fetch(url, archive)
    sums = scratch / (name + ".sums")
    _fetch(_fill(asset.checksums, version), sums)
    wanted = expected_sha256(sums.read_text(encoding="utf-8", errors="replace"), name)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if wanted is None or wanted != digest:
        raise OperationError(
            f"{spec.name} {version}: checksum of {name} does not match "
            f"({digest} vs {wanted or 'no entry'}); nothing was installed.",
            hint=f"see {log_path(spec, version)}",
        )
    member = _fill(asset.member, version) if asset.member else name
    extract_member(archive, member, bin_dir / asset.executable)
    return f"download {url} (sha256 {digest})"


# ---------------------------------------------------------------- (c) Go builds


def _go_env(extra: Mapping[str, str] | None = None, *, mod_mod: bool = False) -> dict[str, str]:
    env = {"CGO_ENABLED": "0", "GOTOOLCHAIN": os.environ.get("GOTOOLCHAIN", "auto") or "auto"}
    if env["GOTOOLCHAIN"] == "local":
        env["GOTOOLCHAIN"] = "auto"
    flags = os.environ.get("GOFLAGS", "")
    if mod_mod and "-mod=" not in flags:
        flags = f"{flags} -mod=mod".strip()
    env["GOFLAGS"] = flags
    env.update(extra or {})
    return env


def _ldflags(build: GoBuild, version: str) -> str:
    return " ".join(["-s", "-w", *(_fill(flag, version) for flag in build.ldflags)])


def _module_version(build: GoBuild, version: str) -> str:
    return f"{build.tag_prefix}{version}"


def _packages(build: GoBuild, version: str) -> list[str]:
    packages = [_fill(build.package, version), *(_fill(p, version) for p in build.extra_packages)]
    if build.style == "install":
        return [
            build.module if p in (".", "") else build.module + "/" + p.removeprefix("./")
            for p in packages
        ]
    return packages


def go_commands(spec: ToolSpec, build: GoBuild, version: str) -> list[list[str]]:
    """The go commands a build runs (for --dry-run and the log); <tmp> is the staging dir."""
    modver = f"{build.module}@{_module_version(build, version)}"
    ldflags = _ldflags(build, version)
    out = "<tmp>/bin/" if build.extra_packages else f"<tmp>/bin/{spec.executable}"
    if build.style == "install":
        return [
            ["go", "list", "-m", modver],
            *(
                [
                    "go",
                    "install",
                    "-v",
                    "-trimpath",
                    "-ldflags",
                    ldflags,
                    f"{p}@{_module_version(build, version)}",
                ]
                for p in _packages(build, version)
            ),
        ]
    if build.style == "copy":
        return [
            ["go", "mod", "download", "-json", modver],
            [
                "go",
                "build",
                "-trimpath",
                "-o",
                out,
                "-ldflags",
                ldflags,
                *_packages(build, version),
            ],
        ]
    return [
        ["go", "mod", "download", "-json", modver],
        ["go", "build", "-trimpath", "-o", out, "-ldflags", ldflags, *_packages(build, version)],
    ]


def check_go_version_exists(spec: ToolSpec, build: GoBuild, version: str) -> None:
    """UsageError when the module proxy does not know this version (nothing is written)."""
    modver = f"{build.module}@{_module_version(build, version)}"
    try:
        done = proc.run(
            ["go", "list", "-m", "-json", modver], check=False, env=_go_env(), timeout=120
        )
    except ProcessError as exc:
        raise OperationError(
            f"{spec.name} {version}: cannot run go to build it ({exc.message}).",
            hint="install Go (https://go.dev/dl) or put the tool on PATH.",
        ) from exc
    if done.returncode == 0:
        return
    text = (done.stdout + done.stderr).lower()
    if any(marker in text for marker in _MISSING_VERSION_MARKERS):
        raise UsageError(
            f".tool-versions pins {spec.name} {version}, but {modver} does not exist "
            "(or the Go module proxy does not serve it); pin a released version."
        )
    raise OperationError(
        f"{spec.name} {version}: go list -m {modver} failed: "
        f"{(done.stderr or done.stdout).strip().splitlines()[-1:]}"
    )


@dataclass(frozen=True)
class _Job:
    """One build in progress: what to build, where the pieces go, whom to tell."""

    spec: ToolSpec
    build: GoBuild
    version: str
    reporter: Reporter
    scratch: Path
    bin_dir: Path

    @property
    def modver(self) -> str:
        return f"{self.build.module}@{_module_version(self.build, self.version)}"

    def run(self, cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> str:
        _run_logged(
            cmd,
            spec=self.spec,
            version=self.version,
            step="build",
            cwd=cwd,
            env=env,
            reporter=self.reporter,
        )
        return shlex.join(cmd)


def _go_build(
    spec: ToolSpec, build: GoBuild, version: str, reporter: Reporter, label: str
) -> Installed:
    check_go_version_exists(spec, build, version)
    reporter.step(f"{label}: go build ({build.style}) — cold builds take minutes")
    _begin_log(spec, version, f"go build, style {build.style}")
    staging = _Staging(spec, version)
    try:
        with tempfile.TemporaryDirectory(prefix=f"platformctl-{spec.name}-") as scratch:
            job = _Job(spec, build, version, reporter, Path(scratch), staging.bin)
            steps = _GO_STYLES[build.style](job)
        return _finish(
            staging,
            spec,
            version=version,
            source="go-build",
            reporter=reporter,
            label=label,
            steps=steps,
        )
    except BaseException:
        staging.discard()
        raise


def _go_install(job: _Job) -> list[str]:
    ldflags = _ldflags(job.build, job.version)
    tag = _module_version(job.build, job.version)
    env = _go_env({"GOBIN": str(job.bin_dir)})
    return [
        job.run(
            ["go", "install", "-v", "-trimpath", "-ldflags", ldflags, f"{package}@{tag}"],
            cwd=job.scratch,
            env=env,
        )
        for package in _packages(job.build, job.version)
    ]


def _download_module(job: _Job) -> dict[str, str]:
    log = log_path(job.spec, job.version)
    cmd = ["go", "mod", "download", "-json", job.modver]
    try:
        done = proc.run(cmd, env=_go_env(), timeout=1800)
        data = json.loads(done.stdout)
    except (ProcessError, ValueError) as exc:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"$ {shlex.join(cmd)}\n{exc}\n")
            if isinstance(exc, ProcessError):
                handle.write(exc.output + "\n")
        raise _failed(job.spec, job.version, "download", log) from exc
    if not isinstance(data, dict) or data.get("Error") or not data.get("Dir"):
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"$ {shlex.join(cmd)}\n{done.stdout}\n")
        raise _failed(job.spec, job.version, "download", log)
    return {str(k): str(v) for k, v in data.items()}


def _go_copy(job: _Job) -> list[str]:
    module = _download_module(job)
    src = job.scratch / "src"
    shutil.copytree(module["Dir"], src, symlinks=True)
    # The module cache is read-only; go build writes go.sum/go.mod updates in the copy.
    for dirpath, _dirs, files in os.walk(src):
        os.chmod(dirpath, 0o755)
        for name in files:
            path = os.path.join(dirpath, name)
            os.chmod(path, os.stat(path).st_mode | 0o200)
    steps = [f"go mod download -json {job.modver}", f"copy {module['Dir']} and build in the copy"]
    return [*steps, _go_build_in(job, src)]


def wrapper_go_mod(build: GoBuild, version: str, required_go_mod: Path | None) -> str:
    """The go.mod of the wrapper module: require the module, replace its local staging modules.

    `required_go_mod` is the go.mod of the required module (from `go mod download -json`).
    """
    modver = _module_version(build, version)
    go_line = "1.22"
    replaces: list[str] = []
    if required_go_mod is not None:
        parsed = json.loads(proc.run(["go", "mod", "edit", "-json", str(required_go_mod)]).stdout)
        go_line = parsed.get("Go") or go_line
        if build.staging_version:
            local = {
                r["Old"]["Path"]
                for r in parsed.get("Replace") or []
                if str(r["New"]["Path"]).startswith(("./", "../"))
            }
            staged = _fill(build.staging_version, version)
            replaces = [
                f"\t{r['Path']} => {r['Path']} {staged}"
                for r in parsed.get("Require") or []
                if r["Version"] == "v0.0.0" and r["Path"] in local
            ]
    replaces.extend(f"\t{line}" for line in build.replaces)
    text = (
        "module platformctl.local/build/wrapper\n\n"
        f"go {go_line}\n\nrequire {build.module} {modver}\n"
    )
    if replaces:
        text += "\nreplace (\n" + "\n".join(replaces) + "\n)\n"
    return text


def _go_wrapper(job: _Job) -> list[str]:
    module = _download_module(job)
    src = job.scratch / "wrapper"
    src.mkdir()
    required = Path(module["GoMod"]) if module.get("GoMod") else None
    go_mod = wrapper_go_mod(job.build, job.version, required)
    (src / "go.mod").write_text(go_mod, encoding="utf-8")
    with log_path(job.spec, job.version).open("a", encoding="utf-8") as handle:
        handle.write(f"--- wrapper go.mod\n{go_mod}---\n")
    return [f"wrapper module requiring {job.modver}", _go_build_in(job, src)]


def _go_build_in(job: _Job, src: Path) -> str:
    packages = _packages(job.build, job.version)
    out = f"{job.bin_dir}/" if len(packages) > 1 else str(job.bin_dir / job.spec.executable)
    ldflags = _ldflags(job.build, job.version)
    cmd = ["go", "build", "-v", "-trimpath", "-o", out, "-ldflags", ldflags, *packages]
    return job.run(cmd, cwd=src, env=_go_env(mod_mod=True))


_GO_STYLES: dict[str, Callable[[_Job], list[str]]] = {
    "install": _go_install,
    "copy": _go_copy,
    "wrapper": _go_wrapper,
}


# ---------------------------------------------------- Python tools (awscli, checkov) through pip


def _pip_install(
    spec: ToolSpec, package: str, version: str, reporter: Reporter, label: str
) -> Installed:
    reporter.step(f"{label}: pip install {package}=={version} into a venv")
    _begin_log(spec, version, "pip install into a venv")
    staging = _Staging(spec, version)
    venv = staging.dir / "venv"
    try:
        base = getattr(sys, "_base_executable", sys.executable)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        steps = [
            [base, "-m", "venv", str(venv)],
            [*pip, "--disable-pip-version-check", f"{package}=={version}"],
        ]
        for cmd in steps:
            try:
                _run_logged(
                    cmd,
                    spec=spec,
                    version=version,
                    step="build",
                    cwd=staging.dir,
                    env={},
                    reporter=reporter,
                )
            except OperationError as exc:
                log = log_path(spec, version).read_text(encoding="utf-8", errors="replace")
                if "No matching distribution found" in log:
                    raise UsageError(
                        f".tool-versions pins {spec.name} {version}, but PyPI has no "
                        f"{package} {version}; pin a released version."
                    ) from exc
                raise
        # A script next to the venv rather than a symlink into it: venv entry points carry
        # absolute shebangs, and the venv is renamed into place after it is built.
        launcher = staging.bin / spec.executable
        module = spec.pip_module or package
        launcher.write_text(
            f'#!/bin/sh\nexec "$(dirname "$0")/../venv/bin/python" -m {module} "$@"\n',
            encoding="utf-8",
        )
        launcher.chmod(0o755)
        return _finish(
            staging,
            spec,
            version=version,
            source="pip",
            reporter=reporter,
            label=label,
            steps=[shlex.join(c) for c in steps],
        )
    except BaseException:
        staging.discard()
        raise
