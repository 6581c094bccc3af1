"""Release downloads: an official asset fetched over HTTPS, its SHA-256 checked, its binary extracted."""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

from platformctl.errors import OperationError
from platformctl.report import Reporter
from platformctl.toolchain.catalog import ReleaseAsset, ToolSpec
from platformctl.toolchain.staging import (
    Installed,
    Staging,
    begin_log,
    fill_version,
    finish_install,
    log_path,
)

CONNECT_TIMEOUT = 3.0

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


def try_download(spec: ToolSpec, version: str, reporter: Reporter, label: str) -> Installed | None:
    from platformctl.network import offline

    if offline():
        reporter.info(f"{label}: offline mode, no release download; building from source")
        return None
    urls = [fill_version(asset.url, version) for asset in spec.release]
    if not all(_host_reachable(url) for url in urls):
        reporter.info(f"{label}: release download unreachable; building from source")
        return None
    reporter.step(f"{label}: downloading the release")
    begin_log(spec, version, "release download")
    staging = Staging(spec, version)
    steps: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix=f"platformctl-{spec.name}-") as scratch:
            for asset in spec.release:
                steps.append(_download_asset(spec, version, asset, Path(scratch), staging.bin))
        return finish_install(
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
    url = fill_version(asset.url, version)
    name = url.rsplit("/", 1)[-1]
    archive = scratch / name
    _fetch(url, archive)
    sums = scratch / (name + ".sums")
    _fetch(fill_version(asset.checksums, version), sums)
    wanted = expected_sha256(sums.read_text(encoding="utf-8", errors="replace"), name)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if wanted is None or wanted != digest:
        raise OperationError(
            f"{spec.name} {version}: checksum of {name} does not match "
            f"({digest} vs {wanted or 'no entry'}); nothing was installed.",
            hint=f"see {log_path(spec, version)}",
        )
    member = fill_version(asset.member, version) if asset.member else name
    extract_member(archive, member, bin_dir / asset.executable)
    return f"download {url} (sha256 {digest})"
