"""Where OpenTofu gets each provider the modules need, and the CLI configuration that says so.

platformctl builds no provider. They resolve, in this order:
1. the user's own TF_CLI_CONFIG_FILE, left untouched: its mirrors, then the registry if it
   allows direct installation;
2. a mirror the user names with PLATFORMCTL_PROVIDER_MIRROR (or `--provider-mirror`): a
   directory in either filesystem layout, or an https:// network mirror;
3. the default mirror folder under the platformctl cache, when this machine holds
   providers there;
4. the public registry, as for any OpenTofu user — never in offline mode
   (platformctl.network), where nothing is tried beyond the mirrors.
Otherwise platformctl writes the CLI configuration (TF_CLI_CONFIG_FILE) that encodes 2–4;
tofu checks every provider against the `h1:` hashes of the lock files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformctl.errors import UsageError
from platformctl.fsutil import write_atomic
from platformctl.network import offline
from platformctl.paths import cache_dir
from platformctl.toolchain.constraint import newest
from platformctl.toolchain.provider_mirror import (
    DEFAULT_HOST,
    Mirror,
    address,
    directory_sources,
    versions_in,
)

MIRROR_ENV = "PLATFORMCTL_PROVIDER_MIRROR"
USER_CONFIG_ENV = "TF_CLI_CONFIG_FILE"


def mirror_dir() -> Path:
    """The default mirror folder: a filesystem mirror (either layout) under the cache."""
    return cache_dir() / "providers" / "mirror"


def plugin_cache_dir() -> Path:
    return cache_dir() / "plugin-cache"


def named_mirror() -> Mirror | None:
    """The mirror PLATFORMCTL_PROVIDER_MIRROR names, checked; None when it is not set."""
    raw = os.environ.get(MIRROR_ENV, "").strip()
    if not raw:
        return None
    if raw.startswith("http://"):
        raise UsageError(
            f"{MIRROR_ENV}={raw[:200]} is a plain-HTTP URL; OpenTofu reads network mirrors "
            "over https:// only."
        )
    if raw.startswith("https://"):
        return Mirror(raw.rstrip("/") + "/", MIRROR_ENV)
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise UsageError(
            f"{MIRROR_ENV}={raw[:200]} is neither a directory nor an https:// URL of a "
            "provider mirror."
        )
    return Mirror(str(path.resolve()), MIRROR_ENV)


def default_mirror() -> Mirror | None:
    """The default mirror folder, when it holds at least one provider."""
    directory = mirror_dir()
    if directory.is_dir() and directory_sources(directory):
        return Mirror(str(directory), "default")
    return None


def user_config() -> Path | None:
    """The user's own CLI configuration file, when TF_CLI_CONFIG_FILE names one that exists."""
    mine = os.environ.get(USER_CONFIG_ENV)
    if mine and Path(mine).expanduser().is_file():
        return Path(mine).expanduser()
    return None


@dataclass(frozen=True)
class Sources:
    """Where providers may come from on this machine, in the order OpenTofu will try."""

    mirrors: tuple[Mirror, ...]
    registry: bool  # direct installation from the registry allowed
    config: str  # the CLI configuration that decides: ours or the user's file


def resolution_order() -> Sources:
    """The mirrors and the registry, as the active CLI configuration orders them."""
    own = user_config()
    if own is not None:
        mirrors, direct = _read_user_config(own)
        return Sources(mirrors, direct and not offline(), str(own))
    mirror = named_mirror() or default_mirror()
    return Sources((mirror,) if mirror else (), not offline(), str(cli_config(write=False)))


def _read_user_config(path: Path) -> tuple[tuple[Mirror, ...], bool]:
    """Mirrors and whether direct installation is allowed, from a user's CLI configuration."""
    from platformctl.model.render import parse_hcl

    try:
        parsed = parse_hcl(path.read_text(encoding="utf-8"), path)
    except (OSError, UnicodeDecodeError, UsageError):
        return (), True
    blocks = parsed.get("provider_installation", [])
    if not blocks:
        return (), True
    mirrors: list[Mirror] = []
    direct = False
    for block in blocks:
        for fs in block.get("filesystem_mirror", []):
            mirrors.append(Mirror(str(fs.get("path", "")).strip('"'), USER_CONFIG_ENV))
        for net in block.get("network_mirror", []):
            mirrors.append(Mirror(str(net.get("url", "")).strip('"'), USER_CONFIG_ENV))
        direct = direct or bool(block.get("direct"))
    return tuple(mirrors), direct


def cli_config_text(plugin_cache: Path, mirror: Mirror | None, *, direct: bool) -> str:
    """Our CLI configuration: the plugin cache, the mirror and, unless offline, the registry.

    A filesystem mirror serves exactly the providers it holds and the registry the rest; a
    network mirror serves everything. In offline mode there is no `direct` block, so a
    provider that no mirror holds fails at once instead of reaching for the registry.
    """
    lines = [
        "# OpenTofu CLI configuration written by platformctl (TF_CLI_CONFIG_FILE); do not edit.",
        f'plugin_cache_dir = "{plugin_cache}"',
    ]
    if mirror is None and direct:
        return "\n".join(lines) + "\n"
    body: list[str] = []
    if mirror is not None and mirror.network:
        body += ["  network_mirror {", f'    url = "{mirror.location}"', "  }"]
    else:
        path = mirror.location if mirror is not None else str(mirror_dir())
        held = directory_sources(Path(path)) if Path(path).is_dir() else ()
        listed = ", ".join(f'"{source}"' for source in held)
        body += ["  filesystem_mirror {", f'    path    = "{path}"']
        if held and direct:
            body.append(f"    include = [{listed}]")
        body.append("  }")
        if direct:
            body += ["  direct {"]
            if held:
                body.append(f"    exclude = [{listed}]")
            body.append("  }")
    return "\n".join([*lines, "", "provider_installation {", *body, "}"]) + "\n"


def cli_config(*, write: bool = True) -> Path:
    """Our CLI configuration file, written (atomically, only when it changed) on demand."""
    path = cache_dir() / "tofu.tfrc"
    if write:
        plugin_cache_dir().mkdir(parents=True, exist_ok=True)
        if offline():
            mirror_dir().mkdir(parents=True, exist_ok=True)
        text = cli_config_text(
            plugin_cache_dir(), named_mirror() or default_mirror(), direct=not offline()
        )
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            write_atomic(path, text)
    return path


def cli_config_env(*, write: bool = True) -> dict[str, str]:
    """TF_CLI_CONFIG_FILE for a run: the user's own file when it exists, ours otherwise."""
    if user_config() is not None:
        return {}
    return {USER_CONFIG_ENV: str(cli_config(write=write))}


@dataclass(frozen=True)
class ProviderNeed:
    """A provider the modules require, and where OpenTofu gets it from here."""

    source: str  # e.g. "hashicorp/aws"
    constraint: str
    modules: tuple[str, ...]
    origin: str  # "mirror", "registry" or "unavailable"
    where: str = ""  # the mirror's path or URL, or the registry's host
    version: str = ""  # the version a mirror gives (the newest that meets the constraint)
    named_by: str = ""  # PLATFORMCTL_PROVIDER_MIRROR, TF_CLI_CONFIG_FILE or default
    fix: str = ""  # what to do when it is unavailable, in one sentence

    @property
    def resolved(self) -> bool:
        return self.origin != "unavailable"


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


def registry_reachable(host: str = DEFAULT_HOST, timeout: float = 3.0) -> bool:
    import socket

    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def provider_needs(root: Path, *, check_registry: bool = True) -> tuple[ProviderNeed, ...]:
    """Every provider the modules need and where it resolves (see the module docstring).

    The registry is probed only when direct installation is allowed, `check_registry` is
    set and platformctl is not offline; otherwise it does not count.
    """
    sources = resolution_order()
    registry_ok: bool | None = None
    needs: list[ProviderNeed] = []
    for source, (constraint, modules) in sorted(required_providers(root).items()):
        need = _from_mirrors(source, constraint, modules, sources.mirrors)
        if need is None and sources.registry and check_registry:
            if registry_ok is None:
                registry_ok = registry_reachable(address(source)[0])
            if registry_ok:
                need = ProviderNeed(source, constraint, modules, "registry", address(source)[0])
        needs.append(need or _unavailable(source, constraint, modules, sources, check_registry))
    return tuple(needs)


def _from_mirrors(
    source: str, constraint: str, modules: tuple[str, ...], mirrors: tuple[Mirror, ...]
) -> ProviderNeed | None:
    for mirror in mirrors:
        version = newest(versions_in(mirror, source), constraint)
        if version is not None:
            return ProviderNeed(
                source, constraint, modules, "mirror", mirror.location, version, mirror.origin
            )
    return None


def _unavailable(
    source: str,
    constraint: str,
    modules: tuple[str, ...],
    sources: Sources,
    check_registry: bool,
) -> ProviderNeed:
    wanted = f"{source} {constraint}".strip()
    searched = ", ".join(m.location for m in sources.mirrors) or "no mirror is named"
    if not sources.registry or not check_registry:
        why = "offline mode does not try the registry" if offline() else "the registry is not tried"
    else:
        why = "the registry is unreachable"
    fix = (
        f"Not in any mirror ({searched}) and {why}: set {MIRROR_ENV} to a mirror holding "
        f"{wanted} (`tofu providers mirror DIR` writes one), or run with registry access."
    )
    return ProviderNeed(source, constraint, modules, "unavailable", fix=fix)


def missing_summary(needs: tuple[ProviderNeed, ...]) -> str:
    """One line naming the providers that do not resolve and how to supply them ('' if none)."""
    missing = [n for n in needs if not n.resolved]
    if not missing:
        return ""
    names = ", ".join(f"{n.source} {n.constraint}" for n in missing)
    return (
        f"providers not resolvable here: {names}; set {MIRROR_ENV} to a provider mirror "
        "(`tofu providers mirror DIR` writes one) or give registry access"
    )


def blocked_units(needs: tuple[ProviderNeed, ...]) -> tuple[str, ...]:
    """The units (in stage order) whose module needs a provider that does not resolve."""
    from platformctl.model.render import UNITS

    blocked = {m for n in needs if not n.resolved for m in n.modules}
    return tuple(u for u in UNITS if u in blocked)


def unavailable_paragraph(needs: tuple[ProviderNeed, ...]) -> str:
    """What cannot run here and how to supply the providers, for a person ('' when all resolve)."""
    missing = [n for n in needs if not n.resolved]
    if not missing:
        return ""
    units = blocked_units(needs)
    names = ", ".join(f"{n.source} ({n.constraint})" for n in missing)
    where = "without the registry (offline mode)" if offline() else "on this machine"
    stages = ", ".join(units) if units else "none of the stages"
    return (
        f"Not applied: {stages}. Their modules need providers that do not resolve {where}: "
        f"{names}. To supply them, write a mirror with `tofu providers mirror DIR` on a "
        f"machine with registry access and set {MIRROR_ENV}=DIR (or copy it to "
        f"{mirror_dir()}), or name a network mirror ({MIRROR_ENV}=https://…)"
        + (
            ", or leave offline mode where the registry is reachable."
            if offline()
            else ", or run where the registry is reachable."
        )
    )
