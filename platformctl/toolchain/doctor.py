"""Check the workstation: pinned tools (wanted vs found), AWS credentials, state buckets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from platformctl.toolchain.catalog import CATALOG, ToolSpec
from platformctl.toolchain.locate import build_info, cached_path, find
from platformctl.toolchain.versions import load_pins


@dataclass(frozen=True)
class Check:
    """One line of the doctor table."""

    name: str
    wanted: str
    found: str
    status: str  # "ok", "mismatch", "missing", "warn", "error", "skipped"
    where: str = ""
    fix: str = ""
    required: bool = False


@dataclass(frozen=True)
class DoctorReport:
    tools: tuple[Check, ...]
    aws: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        bad = [
            c
            for c in (*self.tools, *self.aws)
            if c.status in ("missing", "mismatch", "error") and c.required
        ]
        return not bad

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "tools": [asdict(c) for c in self.tools],
            "aws": [asdict(c) for c in self.aws],
        }


def versions_match(wanted: str, found: str | None) -> bool:
    """A pin of a.b.c matches exactly; a pin of a.b matches any a.b.x."""
    if found is None:
        return False
    found = found.removeprefix("v").split("-")[0].split("+")[0]
    return found == wanted or found.startswith(wanted + ".")


def check_tools(root: Path) -> tuple[Check, ...]:
    checks: list[Check] = []
    for pin in load_pins(root).values():
        spec = CATALOG.get(pin.name)
        if spec is None:
            checks.append(
                Check(pin.name, pin.version, "-", "skipped", fix="not managed by platformctl")
            )
            continue
        if spec.offline is not None:
            checks.append(_check_offline_build(spec, pin.version))
            continue
        found = find(spec, pin.version)
        install = f"platformctl tools install --only {pin.name}"
        if found is None:
            checks.append(
                Check(pin.name, pin.version, "-", "missing", fix=install, required=spec.required)
            )
        elif not versions_match(pin.version, found.version):
            checks.append(
                Check(
                    pin.name,
                    pin.version,
                    found.version or "unknown",
                    "mismatch",
                    where=f"{found.source}: {found.path}",
                    fix=install,
                    required=spec.required,
                )
            )
        else:
            checks.append(
                Check(
                    pin.name,
                    pin.version,
                    found.version or "",
                    "ok",
                    where=f"{found.source}: {found.path}",
                    required=spec.required,
                )
            )
    return tuple(checks)


def _check_offline_build(spec: ToolSpec, version: str) -> Check:
    """A program built from offline sources: cached (with where it came from) or not.

    Its binary is never run (a provider only talks the plugin protocol); the version is the
    one stamped at build time, recorded with the source archive in build.json.
    """
    path = cached_path(spec, version)
    fix = f"platformctl tools install --only {spec.name} --offline-dir DIR"
    if not path.is_file():
        if spec.provider:
            return Check(spec.name, version, "-", "skipped", fix=f"from the registry, or: {fix}")
        return Check(spec.name, version, "-", "missing", fix=fix)
    built_from = str(build_info(spec.name, version).get("archive", ""))
    where = f"cache: {path}" + (f" (built from {built_from})" if built_from else "")
    if spec.provider:
        where += ", mirrored"
    return Check(spec.name, version, version, "ok", where=where)


def run_doctor(root: Path) -> DoctorReport:
    """Tool checks only; AWS checks are added by the caller when not offline."""
    return DoctorReport(tools=check_tools(root))
