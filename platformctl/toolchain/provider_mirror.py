"""Provider mirrors as OpenTofu reads them: which versions of a provider each one holds.

Three kinds, the ones `tofu` accepts in `provider_installation`:
- a filesystem mirror in the unpacked layout,
  `<dir>/<host>/<namespace>/<type>/<version>/<os>_<arch>/terraform-provider-<type>…`;
- a filesystem mirror in the packed layout that `tofu providers mirror DIR` writes,
  `<dir>/<host>/<namespace>/<type>/terraform-provider-<type>_<version>_<os>_<arch>.zip`
  (beside `index.json` and `<version>.json`, which only a network mirror needs);
- a network mirror (`https://…`, Artifactory, Nexus, Harbor), which serves
  `<url>/<host>/<namespace>/<type>/index.json` and `<version>.json` as that protocol says.
Only versions built for this machine's platform count.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOST = "registry.opentofu.org"
NETWORK_TIMEOUT = 10.0


@dataclass(frozen=True)
class Mirror:
    """A provider mirror: a directory (filesystem) or an https URL (network)."""

    location: str
    origin: str  # who named it: "PLATFORMCTL_PROVIDER_MIRROR", "TF_CLI_CONFIG_FILE", "default"

    @property
    def network(self) -> bool:
        return self.location.startswith("https://")


_GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def platform() -> str:
    """This machine as OpenTofu names platforms (linux_amd64); no heavier import on the plan path."""
    machine = os.uname().machine.lower()
    return f"{sys.platform}_{_GOARCH.get(machine, machine)}"


def address(source: str) -> tuple[str, str, str]:
    """(host, namespace, type) of a provider source such as `hashicorp/aws`."""
    parts = source.lower().split("/")
    if len(parts) == 2:
        return DEFAULT_HOST, parts[0], parts[1]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    raise ValueError(f"not a provider source address: {source}")


def versions_in(mirror: Mirror, source: str) -> tuple[str, ...]:
    """Versions of `source` the mirror holds for this platform, oldest first as found."""
    if mirror.network:
        return _network_versions(mirror.location, source)
    return directory_versions(Path(mirror.location), source)


def directory_versions(directory: Path, source: str) -> tuple[str, ...]:
    host, namespace, kind = address(source)
    base = directory / host / namespace / kind
    found: set[str] = set()
    for binary in base.glob(f"*/{platform()}/terraform-provider-{kind}*"):
        if binary.is_file():
            found.add(binary.parent.parent.name)
    packed = re.compile(
        rf"^terraform-provider-{re.escape(kind)}_(.+)_{re.escape(platform())}\.zip$"
    )
    for archive in base.glob("*.zip"):
        match = packed.match(archive.name)
        if match and archive.is_file():
            found.add(match.group(1))
    return tuple(sorted(found))


def directory_sources(directory: Path) -> tuple[str, ...]:
    """Every provider (host/namespace/type) the directory holds a build of, for any version."""
    found: set[str] = set()
    for base in directory.glob("*/*/*"):
        if not base.is_dir():
            continue
        host, namespace, kind = base.relative_to(directory).parts
        if directory_versions(directory, f"{host}/{namespace}/{kind}"):
            found.add(f"{host}/{namespace}/{kind}")
    return tuple(sorted(found))


def _get_json(url: str) -> object:
    import urllib.request  # here: the plan path reads mirrors' directories, never a URL

    with urllib.request.urlopen(url, timeout=NETWORK_TIMEOUT) as reply:
        return json.loads(reply.read(4 << 20))


def _network_versions(url: str, source: str) -> tuple[str, ...]:
    """What the network mirror protocol's index lists, for this platform (none on error)."""
    host, namespace, kind = address(source)
    base = f"{url.rstrip('/')}/{host}/{namespace}/{kind}/"
    try:
        index = _get_json(base + "index.json")
        listed = index.get("versions", {}) if isinstance(index, dict) else {}
        found = []
        for version in listed:
            detail = _get_json(f"{base}{version}.json")
            archives = detail.get("archives", {}) if isinstance(detail, dict) else {}
            if platform() in archives:
                found.append(str(version))
    except (OSError, ValueError):  # urllib's URLError is an OSError
        return ()
    return tuple(sorted(found))
