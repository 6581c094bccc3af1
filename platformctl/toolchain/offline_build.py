"""Build pinned Go programs from upstream source archives in the offline directory.

The Terraform providers, the tflint AWS ruleset and the Training Operator controller are
not served by any registry reachable here, so their sources come from the offline directory
(platformctl.toolchain.offline). A build: check the archive against SHA256SUMS, unpack it into a
scratch directory, `go build -trimpath` with the version stamped, check the stamp with
`go version -m`, and rename the result into tools/<name>/<version>/ (nothing half-written is
ever left there). A provider is then published into OpenTofu's filesystem mirror by a hard
link, so the several hundred MB of the AWS provider exist once on disk.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
import time
from pathlib import Path

from platformctl import proc
from platformctl.errors import OperationError, ProcessError
from platformctl.report import Reporter
from platformctl.toolchain.catalog import OfflineSource, ToolSpec
from platformctl.toolchain.gobuild import go_env
from platformctl.toolchain.locate import cached_path
from platformctl.toolchain.offline import sha256_file, unpack, verified
from platformctl.toolchain.staging import (
    Installed,
    Staging,
    begin_log,
    children_peak_rss_kb,
    fill_version,
    go_version,
    goarch,
    goos,
    log_path,
    run_logged,
)

MIRROR_HOST = "registry.opentofu.org"


def archive_name(source: OfflineSource, version: str) -> str:
    return fill_version(source.archive, version)


def build_commands(spec: ToolSpec, version: str) -> list[str]:
    """The steps of a build, for --dry-run and the log (<offline>, <src>, <tmp> placeholders)."""
    assert spec.offline is not None
    ldflags = " ".join(["-s", "-w", *(fill_version(f, version) for f in spec.offline.ldflags)])
    archive = archive_name(spec.offline, version)
    return [
        f"sha256 of <offline>/{archive} checked against <offline>/SHA256SUMS",
        f"tar -xzf <offline>/{archive} -C <src>",
        shlex.join(
            [
                "go",
                "build",
                "-trimpath",
                "-ldflags",
                ldflags,
                "-o",
                f"<tmp>/bin/{spec.executable}",
                fill_version(spec.offline.package, version),
            ]
        ),
    ]


def _main_module(spec: ToolSpec, version: str, binary: Path) -> str:
    """The main module `go version -m` reads from the binary (the ldflags are not recorded
    with -trimpath, so the stamp itself cannot be read back)."""
    try:
        done = proc.run(["go", "version", "-m", str(binary)], timeout=120)
    except ProcessError as exc:
        raise OperationError(f"{spec.name} {version}: go version -m failed: {exc.message}") from exc
    for line in done.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "path":
            return fields[1]
    raise OperationError(f"{spec.name} {version}: the built binary carries no Go build info.")


def build(spec: ToolSpec, version: str, offline: Path, reporter: Reporter, label: str) -> Installed:
    """Build one offline-sourced program into the tools cache (and the mirror, for providers)."""
    assert spec.offline is not None
    archive_rel = archive_name(spec.offline, version)
    archive = verified(offline, archive_rel)
    reporter.step(
        f"{label}: go build from {archive_rel} (cold builds take minutes; the AWS provider ~40 min)"
    )
    begin_log(spec, version, f"go build from the offline source {archive_rel}")
    staging = Staging(spec, version)
    try:
        with tempfile.TemporaryDirectory(prefix=f"platformctl-{spec.name}-") as scratch:
            src = unpack(archive, Path(scratch))
            ldflags = " ".join(
                ["-s", "-w", *(fill_version(f, version) for f in spec.offline.ldflags)]
            )
            out = staging.bin / spec.executable
            cmd = [
                "go",
                "build",
                "-v",
                "-trimpath",
                "-ldflags",
                ldflags,
                "-o",
                str(out),
                fill_version(spec.offline.package, version),
            ]
            run_logged(
                cmd,
                spec=spec,
                version=version,
                step="build",
                cwd=src,
                env=go_env(mod_mod=True),
                reporter=reporter,
            )
        if not os.access(out, os.X_OK):
            raise OperationError(
                f"{spec.name} {version}: the build produced no {spec.executable}; "
                f"build log: {log_path(spec, version)}."
            )
        main_module = _main_module(spec, version, out)
        seconds = round(time.monotonic() - staging.started, 1)
        peak = children_peak_rss_kb()
        size = out.stat().st_size
        staging.commit(
            {
                "tool": spec.name,
                "version": version,
                "source": "offline-build",
                "archive": archive_rel,
                "archive_sha256": sha256_file(archive),
                "main_module": main_module,
                "seconds": seconds,
                "peak_rss_kb": peak,
                "peak_rss_exact": peak > staging.rss_before,
                "sizes": {spec.executable: size},
                "steps": [shlex.join(cmd)],
                "go": go_version(),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
        )
    except BaseException:
        staging.discard()
        raise
    path = cached_path(spec, version)
    reporter.info(
        f"{label}: built in {seconds:.0f} s, peak {peak / 1024:.0f} MiB, "
        f"{size / 1e6:.0f} MB → {path}"
    )
    return Installed(
        spec.name,
        version,
        "offline-build",
        str(path),
        seconds,
        peak,
        size,
        str(log_path(spec, version)),
        (shlex.join(cmd),),
        note=publish(spec, version),
    )


def publish(spec: ToolSpec, version: str) -> str:
    """Put a cached build where its consumer looks (provider mirror, tflint plugin dir)."""
    if spec.provider:
        return f"mirrored at {publish_provider(spec, version)}"
    if spec.tflint_plugin:
        return f"tflint plugin at {publish_tflint_plugin(spec, version)}"
    return ""


def tflint_plugin_dir() -> Path:
    """TFLINT_PLUGIN_DIR for runs of tflint: plugins laid out by source and version."""
    from platformctl.paths import cache_dir

    return cache_dir() / "tflint-plugins"


def publish_tflint_plugin(spec: ToolSpec, version: str, plugin_dir: Path | None = None) -> Path:
    """Hard-link the cached plugin to <dir>/<source>/<version>/<name>, where tflint finds it."""
    assert spec.tflint_plugin is not None
    directory = (plugin_dir or tflint_plugin_dir()) / spec.tflint_plugin / version
    return _link_into(cached_path(spec, version), directory, spec.executable)


def mirror_entry(spec: ToolSpec, version: str, mirror: Path) -> Path:
    """<mirror>/registry.opentofu.org/<namespace>/<type>/<version>/<os>_<arch>/<binary>."""
    assert spec.provider is not None
    namespace, kind = spec.provider.split("/", 1)
    platform_dir = mirror / MIRROR_HOST / namespace / kind / version / f"{goos()}_{goarch()}"
    return platform_dir / f"terraform-provider-{kind}_v{version}"


def publish_provider(spec: ToolSpec, version: str, mirror: Path | None = None) -> Path:
    """Hard-link the cached provider into the mirror (atomically; idempotent)."""
    from platformctl.toolchain.providers import mirror_dir

    entry = mirror_entry(spec, version, mirror or mirror_dir())
    return _link_into(cached_path(spec, version), entry.parent, entry.name)


def _link_into(built: Path, directory: Path, name: str) -> Path:
    """Make `directory` hold exactly `name` -> built (a hard link), swapped in atomically."""
    entry = directory / name
    if entry.is_file() and os.path.samefile(entry, built):
        return entry
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        staging.chmod(0o755)
        try:
            os.link(built, staging / name)
        except OSError:
            shutil.copy2(built, staging / name)  # another filesystem: a copy, once
        old = None
        if directory.exists():
            old = directory.with_name(f".{directory.name}.old.{os.getpid()}")
            os.rename(directory, old)
        os.rename(staging, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return entry
