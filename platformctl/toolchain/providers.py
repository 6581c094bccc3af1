"""OpenTofu's CLI configuration: the shared plugin cache and, when built, the provider mirror.

platformctl points TF_CLI_CONFIG_FILE at a file it writes. Providers present in the
filesystem mirror (built from source by the toolchain) come from there only; every other
provider comes from the registry as usual, so a workstation with internet and no mirror
behaves like plain OpenTofu.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformctl.fsutil import write_atomic
from platformctl.paths import cache_dir

REGISTRY_HOSTS = ("registry.opentofu.org", "registry.terraform.io")


def mirror_dir() -> Path:
    """<mirror>/<host>/<namespace>/<name>/<version>/<os>_<arch>/terraform-provider-<name>_v<version>."""
    return cache_dir() / "providers" / "mirror"


def plugin_cache_dir() -> Path:
    return cache_dir() / "plugin-cache"


def mirrored_providers(mirror: Path) -> tuple[str, ...]:
    """Provider addresses (host/namespace/name) that have at least one version in the mirror."""
    found: set[str] = set()
    for host in REGISTRY_HOSTS:
        for binary in mirror.glob(f"{host}/*/*/*/*/terraform-provider-*"):
            found.add("/".join(binary.relative_to(mirror).parts[:3]))
    return tuple(sorted(found))


def cli_config_text(plugin_cache: Path, mirror: Path) -> str:
    lines = [
        "# OpenTofu CLI configuration written by platformctl (TF_CLI_CONFIG_FILE); do not edit.",
        f'plugin_cache_dir = "{plugin_cache}"',
    ]
    providers = mirrored_providers(mirror) if mirror.is_dir() else ()
    if providers:
        listed = ", ".join(f'"{p}"' for p in providers)
        lines += [
            "",
            "provider_installation {",
            "  filesystem_mirror {",
            f'    path    = "{mirror}"',
            f"    include = [{listed}]",
            "  }",
            "  direct {",
            f"    exclude = [{listed}]",
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"


def cli_config(*, write: bool = True) -> Path:
    """The CLI configuration file to use, written (atomically, only when it changed) on demand."""
    path = cache_dir() / "tofu.tfrc"
    if write:
        plugin_cache_dir().mkdir(parents=True, exist_ok=True)
        text = cli_config_text(plugin_cache_dir(), mirror_dir())
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            write_atomic(path, text)
    return path


def cli_config_env(*, write: bool = True) -> dict[str, str]:
    """TF_CLI_CONFIG_FILE for a run: the user's own file when it exists, ours otherwise."""
    mine = os.environ.get("TF_CLI_CONFIG_FILE")
    if mine and Path(mine).expanduser().is_file():
        return {}
    return {"TF_CLI_CONFIG_FILE": str(cli_config(write=write))}


@dataclass(frozen=True)
class ProviderNeed:
    """A provider the modules require, and where OpenTofu would get it from here."""

    source: str  # e.g. "hashicorp/aws"
    constraint: str
    modules: tuple[str, ...]
    origin: str  # "mirror", "registry" or "unavailable"
    mirrored: tuple[str, ...] = ()  # versions in the mirror
    built_from: str = ""  # the source archive a mirrored build came from


def required_providers(root: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    """source -> (version constraint, modules that need it), from modules/*/versions.tf."""
    from platformctl.model.render import parse_hcl

    found: dict[str, tuple[str, list[str]]] = {}
    for versions in sorted((root / "modules").glob("*/versions.tf")):
        parsed = parse_hcl(versions.read_text(encoding="utf-8"), versions)
        for block in parsed.get("terraform", []):
            for providers in block.get("required_providers", []):
                for spec in providers.values():
                    if not isinstance(spec, dict):
                        continue
                    source = str(spec.get("source", "")).strip('"').lower()
                    constraint = str(spec.get("version", "")).strip('"')
                    entry = found.setdefault(source, (constraint, []))
                    entry[1].append(versions.parent.name)
    return {k: (c, tuple(m)) for k, (c, m) in found.items()}


def registry_reachable(host: str = REGISTRY_HOSTS[0], timeout: float = 3.0) -> bool:
    import socket

    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def provider_needs(root: Path, *, check_registry: bool = True) -> tuple[ProviderNeed, ...]:
    """Every provider the modules need: from the mirror, else the registry, else unavailable."""
    mirrored = set(mirrored_providers(mirror_dir())) if mirror_dir().is_dir() else set()
    reachable: bool | None = None
    needs = []
    for source, (constraint, modules) in sorted(required_providers(root).items()):
        versions = mirrored_versions(mirror_dir(), source)
        if any(f"{host}/{source}" in mirrored for host in REGISTRY_HOSTS):
            origin = "mirror"
        else:
            if reachable is None:
                reachable = check_registry and registry_reachable()
            origin = "registry" if reachable else "unavailable"
        needs.append(
            ProviderNeed(
                source, constraint, modules, origin, versions, _built_from(source, versions)
            )
        )
    return tuple(needs)


def mirrored_versions(mirror: Path, source: str) -> tuple[str, ...]:
    """Versions of one provider (namespace/type) present in the mirror, for any host."""
    found = {
        binary.parent.parent.name
        for host in REGISTRY_HOSTS
        for binary in mirror.glob(f"{host}/{source}/*/*/terraform-provider-*")
    }
    return tuple(sorted(found))


def _built_from(source: str, versions: tuple[str, ...]) -> str:
    """The offline archive (and its sha256 prefix) the newest mirrored version was built from."""
    from platformctl.toolchain.locate import build_info

    if not versions:
        return ""
    info = build_info("terraform-provider-" + source.rsplit("/", 1)[-1], versions[-1])
    if not info.get("archive"):
        return ""
    return f"{info['archive']} (sha256 {str(info.get('archive_sha256', ''))[:12]})"
