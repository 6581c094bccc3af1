"""OpenTofu's CLI configuration: the shared plugin cache and, when built, the provider mirror.

platformctl points TF_CLI_CONFIG_FILE at a file it writes. Providers present in the
filesystem mirror (built from source by the toolchain) come from there only; every other
provider comes from the registry as usual, so a workstation with internet and no mirror
behaves like plain OpenTofu.
"""

from __future__ import annotations

import os
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
