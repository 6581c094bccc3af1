"""Check the workstation: pinned tools (wanted vs found), AWS credentials, state buckets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from platformctl.toolchain.catalog import CATALOG
from platformctl.toolchain.locate import find
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


def run_doctor(root: Path) -> DoctorReport:
    """Tool checks only; AWS checks are added by the caller when not offline."""
    return DoctorReport(tools=check_tools(root))
