"""Builds from the offline directory: checksums first, real `go build`, atomic cache entries.

A tiny Go program stands in for a provider source (the real ones take minutes to an hour);
everything else is real: tarball, SHA256SUMS, go, the tools cache and the provider mirror.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from platformctl.errors import OperationError, UsageError
from platformctl.report import SilentReporter
from platformctl.toolchain.catalog import OfflineSource, ToolSpec
from platformctl.toolchain.install import install_one
from platformctl.toolchain.offline import offline_dir
from platformctl.toolchain.offline_build import mirror_entry

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs Go")

MAIN = 'package main\n\nvar version = "dev"\n\nfunc main() { println("fake", version) }\n'
SPEC = ToolSpec(
    "terraform-provider-fake",
    "terraform-provider-fake",
    (),
    r"^$",
    False,
    "a stand-in provider",
    offline=OfflineSource(
        "providers/terraform-provider-fake-{version}.src.tar.gz",
        ".",
        ("-X main.version={version}",),
    ),
    provider="example/fake",
)


def _tarball(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"terraform-provider-fake-1.2.3/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _offline(tmp_path: Path, main: str = MAIN, *, tamper: bool = False) -> Path:
    directory = tmp_path / "offline"
    (directory / "providers").mkdir(parents=True)
    archive = directory / "providers/terraform-provider-fake-1.2.3.src.tar.gz"
    archive.write_bytes(
        _tarball({"go.mod": "module example.com/fake\n\ngo 1.21\n", "main.go": main})
    )
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if tamper:
        digest = "0" * 64
    (directory / "SHA256SUMS").write_text(f"{digest}  ./providers/{archive.name}\n")
    return directory


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLATFORMCTL_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_build_stamps_the_version_publishes_to_the_mirror_and_is_cached(
    tmp_path: Path, cache: Path
) -> None:
    offline = _offline(tmp_path)
    built = install_one(SPEC, "1.2.3", SilentReporter(), offline=offline)
    assert built.source == "offline-build"
    binary = Path(built.path)
    assert binary == cache / "tools/terraform-provider-fake/1.2.3/bin/terraform-provider-fake"
    stamped = subprocess.run([binary], capture_output=True, text=True, check=True)
    assert stamped.stderr.strip() == "fake 1.2.3"  # the version was stamped at link time
    info = (binary.parent.parent / "build.json").read_text()
    assert "providers/terraform-provider-fake-1.2.3.src.tar.gz" in info
    entry = mirror_entry(SPEC, "1.2.3", cache / "providers/mirror")
    assert entry.name == "terraform-provider-fake_v1.2.3"
    assert os.path.samefile(entry, binary)  # a hard link: the binary exists once on disk

    again = install_one(SPEC, "1.2.3", SilentReporter(), offline=offline)
    assert again.source == "cached"
    assert binary.stat().st_mtime_ns == Path(again.path).stat().st_mtime_ns

    entry.unlink()  # a lost mirror entry comes back from the cache without a build
    assert install_one(SPEC, "1.2.3", SilentReporter(), offline=offline).source == "cached"
    assert os.path.samefile(entry, binary)


def test_a_checksum_mismatch_builds_nothing(tmp_path: Path, cache: Path) -> None:
    offline = _offline(tmp_path, tamper=True)
    with pytest.raises(OperationError, match="does not match its checksum"):
        install_one(SPEC, "1.2.3", SilentReporter(), offline=offline)
    assert not (cache / "tools/terraform-provider-fake/1.2.3").exists()
    assert not (cache / "providers/mirror").exists()


def test_a_failed_build_leaves_no_cache_entry(tmp_path: Path, cache: Path) -> None:
    offline = _offline(tmp_path, main="package main\n\nfunc main() { undefined() }\n")
    with pytest.raises(OperationError, match="build step failed"):
        install_one(SPEC, "1.2.3", SilentReporter(), offline=offline)
    home = cache / "tools/terraform-provider-fake"
    assert not (home / "1.2.3").exists()
    assert [p.name for p in home.iterdir()] == ["1.2.3.log"]  # the log names the failure
    assert not (cache / "providers/mirror").exists()


def test_without_an_offline_directory_a_provider_is_left_to_the_registry() -> None:
    done = install_one(SPEC, "1.2.3", SilentReporter(), offline=None)
    assert done.source == "skipped"
    assert "registry" in done.note


def test_offline_dir_must_be_an_offline_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLATFORMCTL_OFFLINE_DIR", raising=False)
    assert offline_dir() is None
    with pytest.raises(UsageError, match="is not a directory"):
        offline_dir(tmp_path / "nowhere")
    with pytest.raises(UsageError, match="has no SHA256SUMS"):
        offline_dir(tmp_path)
    monkeypatch.setenv("PLATFORMCTL_OFFLINE_DIR", str(_offline(tmp_path)))
    assert offline_dir() == (tmp_path / "offline").resolve()
