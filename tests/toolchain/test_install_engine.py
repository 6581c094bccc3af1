"""The installer engine with real processes: Go builds that fail, release downloads over HTTP."""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from platformctl import proc
from platformctl.errors import OperationError, UsageError
from platformctl.report import SilentReporter
from platformctl.toolchain import gobuild, install, release, staging
from platformctl.toolchain.catalog import CATALOG, GoBuild, ReleaseAsset, ToolSpec


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("PLATFORMCTL_CACHE", str(root))
    # The release tests download from a server on 127.0.0.1, which offline mode never tries.
    monkeypatch.delenv("PLATFORMCTL_OFFLINE", raising=False)
    release._reachable.clear()
    return root


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def _go_available() -> bool:
    try:
        proc.run(["go", "version"], timeout=30)
    except OperationError:
        return False
    return True


needs_go = pytest.mark.skipif(not _go_available(), reason="go is not installed: cannot build")


@needs_go
def test_version_that_does_not_exist_is_a_usage_error_and_writes_nothing(cache: Path) -> None:
    spec = CATALOG["actionlint"]
    with pytest.raises(UsageError, match=r"actionlint 0\.0\.1.*does not exist"):
        install.install_one(spec, "0.0.1", SilentReporter())
    assert _tree(cache) == []


@needs_go
def test_failed_build_names_tool_step_and_log_and_leaves_no_binary(cache: Path) -> None:
    # A real module version (so the version check passes) and a package that is not in it.
    spec = ToolSpec(
        "actionlint",
        "actionlint",
        ("-version",),
        r"(\d+\.\d+\.\d+)",
        False,
        "test",
        go=GoBuild("github.com/rhysd/actionlint", "./cmd/no-such-command", "install"),
    )
    with pytest.raises(OperationError) as caught:
        install.install_one(spec, "1.7.12", SilentReporter())
    log = cache / "tools" / "actionlint" / "1.7.12.log"
    assert "actionlint 1.7.12: the build step failed" in caught.value.message
    assert str(log) in caught.value.message
    assert "no-such-command" in log.read_text()
    # Only the log remains: no version directory, no half-built binary, no staging dir.
    assert _tree(cache) == ["tools", "tools/actionlint", "tools/actionlint/1.7.12.log"]


def test_wrapper_go_mod_replaces_local_staging_modules(tmp_path: Path) -> None:
    required = tmp_path / "kubernetes.mod"
    required.write_text(
        "module k8s.io/kubernetes\n\ngo 1.25.0\n\n"
        "require (\n\tk8s.io/api v0.0.0\n\tk8s.io/klog/v2 v2.130.1\n\tk8s.io/kubectl v0.0.0\n)\n\n"
        "replace (\n\tk8s.io/api => ./staging/src/k8s.io/api\n"
        "\tk8s.io/kubectl => ./staging/src/k8s.io/kubectl\n)\n"
    )
    text = gobuild.wrapper_go_mod(CATALOG["kube-apiserver"].go, "1.35.4", required)  # type: ignore[arg-type]
    assert "go 1.25.0" in text
    assert "require k8s.io/kubernetes v1.35.4" in text
    assert "\tk8s.io/api => k8s.io/api v0.35.4" in text
    assert "\tk8s.io/kubectl => k8s.io/kubectl v0.35.4" in text
    assert "klog" not in text


def test_expected_sha256_reads_sha256sum_and_bare_files() -> None:
    sums = "aa11  tool_1.0_linux_amd64.tar.gz\nbb22 *tool_1.0_darwin_arm64.tar.gz\n"
    assert release.expected_sha256(sums, "tool_1.0_linux_amd64.tar.gz") == "aa11"
    assert release.expected_sha256(sums, "tool_1.0_darwin_arm64.tar.gz") == "bb22"
    assert release.expected_sha256(sums, "other") is None
    assert release.expected_sha256("CC33\n", "kubectl") == "cc33"


# ---- release downloads, served from a local HTTP server (the real hosts are out of reach here)

_SCRIPT = b"#!/bin/sh\necho 'faketool version 2.0.1'\n"


def _tar_gz(member: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        info.mode = 0o755
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _zip(member: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zipped:
        zipped.writestr(member, data)
    return buf.getvalue()


@pytest.fixture
def release_server() -> Iterator[tuple[str, dict[str, bytes]]]:
    files: dict[str, bytes] = {}
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = files.get(self.path.lstrip("/"))
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            if body is not None and self.command == "GET":
                self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        files["__requests__"] = requests  # type: ignore[assignment]
        yield f"http://127.0.0.1:{server.server_address[1]}", files
    finally:
        server.shutdown()
        server.server_close()


def _release_spec(base: str, *, zipped: bool) -> ToolSpec:
    ext = "zip" if zipped else "tar.gz"
    return ToolSpec(
        "faketool",
        "pcfaketool",
        ("--version",),
        r"faketool version (\S+)",
        False,
        "test",
        release=(
            ReleaseAsset(
                "pcfaketool",
                base + "/v{version}/faketool_{version}_{os}_{arch}." + ext,
                base + "/v{version}/SHA256SUMS",
                "faketool-{version}/pcfaketool",
            ),
        ),
    )


@pytest.mark.parametrize("zipped", [False, True])
def test_release_download_verifies_checksum_and_installs(
    cache: Path, release_server: tuple[str, dict[str, bytes]], zipped: bool
) -> None:
    base, files = release_server
    spec = _release_spec(base, zipped=zipped)
    name = staging.fill_version(spec.release[0].url, "2.0.1").rsplit("/", 1)[-1]
    archive = (_zip if zipped else _tar_gz)("faketool-2.0.1/pcfaketool", _SCRIPT)
    files[f"v2.0.1/{name}"] = archive
    files["v2.0.1/SHA256SUMS"] = f"{hashlib.sha256(archive).hexdigest()}  {name}\n".encode()

    result = install.install_one(spec, "2.0.1", SilentReporter())

    assert result.source == "download"
    binary = cache / "tools" / "faketool" / "2.0.1" / "bin" / "pcfaketool"
    assert result.path == str(binary)
    assert proc.run([binary, "--version"]).stdout.strip() == "faketool version 2.0.1"
    assert (cache / "tools" / "faketool" / "2.0.1" / "build.json").is_file()


def test_release_with_bad_checksum_installs_nothing(
    cache: Path, release_server: tuple[str, dict[str, bytes]]
) -> None:
    base, files = release_server
    spec = _release_spec(base, zipped=False)
    name = staging.fill_version(spec.release[0].url, "2.0.1").rsplit("/", 1)[-1]
    files[f"v2.0.1/{name}"] = _tar_gz("faketool-2.0.1/pcfaketool", _SCRIPT)
    files["v2.0.1/SHA256SUMS"] = f"{'0' * 64}  {name}\n".encode()

    with pytest.raises(OperationError, match=r"checksum of .* does not match"):
        install.install_one(spec, "2.0.1", SilentReporter())
    assert _tree(cache / "tools" / "faketool") == ["2.0.1.log"]


def test_unreachable_release_host_falls_through_quickly(cache: Path) -> None:
    spec = ToolSpec(
        "faketool",
        "pcfaketool",
        ("--version",),
        r"(\S+)",
        False,
        "test",
        release=(ReleaseAsset("pcfaketool", "http://127.0.0.1:9/x", "http://127.0.0.1:9/s"),),
    )
    reporter = SilentReporter()
    with pytest.raises(OperationError, match="download is unreachable and there is no way"):
        install.install_one(spec, "2.0.1", reporter)
    assert ("info", "faketool 2.0.1: release download unreachable; building from source") in (
        reporter.messages
    )
    assert _tree(cache) == []


def test_offline_mode_tries_no_release_download(
    cache: Path, release_server: tuple[str, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, files = release_server
    spec = _release_spec(base, zipped=False)
    name = staging.fill_version(spec.release[0].url, "2.0.1").rsplit("/", 1)[-1]
    archive = _tar_gz("faketool-2.0.1/pcfaketool", _SCRIPT)
    files[f"v2.0.1/{name}"] = archive
    files["v2.0.1/SHA256SUMS"] = f"{hashlib.sha256(archive).hexdigest()}  {name}\n".encode()
    monkeypatch.setenv("PLATFORMCTL_OFFLINE", "1")
    reporter = SilentReporter()
    with pytest.raises(OperationError, match="no way to build it from source"):
        install.install_one(spec, "2.0.1", reporter)
    assert files["__requests__"] == []  # the server was never asked
    assert (
        "info",
        "faketool 2.0.1: offline mode, no release download; building from source",
    ) in reporter.messages
