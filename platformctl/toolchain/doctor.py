"""Check the workstation: pinned tools (wanted vs found), providers, AWS credentials, state buckets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from platformctl.toolchain.catalog import CATALOG
from platformctl.toolchain.locate import find
from platformctl.toolchain.versions import Pin, require_pins, versions_match


@dataclass(frozen=True)
class Check:
    """One line of the doctor table."""

    name: str
    wanted: str
    found: str
    status: str  # "ok", "mismatch", "missing", "broken", "warn", "error", "skipped"
    where: str = ""
    fix: str = ""
    required: bool = False


@dataclass(frozen=True)
class DoctorReport:
    tools: tuple[Check, ...]
    aws: tuple[Check, ...] = field(default_factory=tuple)
    providers: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        everything = (*self.tools, *self.aws, *self.providers)
        bad = [c for c in everything if c.status in ("missing", "mismatch", "error") and c.required]
        # A binary that cannot even report its version is broken, required or not.
        return not bad and not any(c.status == "broken" for c in everything)

    @property
    def providers_resolve(self) -> bool:
        """Whether every provider the modules need resolves (from a mirror or the registry)."""
        return all(c.status == "ok" for c in self.providers)

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "providers_resolve": self.providers_resolve,
            "tools": [asdict(c) for c in self.tools],
            "providers": [asdict(c) for c in self.providers],
            "aws": [asdict(c) for c in self.aws],
        }


def check_tools(root: Path) -> tuple[Check, ...]:
    """One row per pin. The version probes run side by side: one tool that hangs costs its
    probe's timeout once, not once per tool after it."""
    from concurrent.futures import ThreadPoolExecutor

    pins = list(require_pins(root).values())
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="platformctl-doctor") as pool:
        return tuple(pool.map(_check_pin, pins))


def _check_pin(pin: Pin) -> Check:
    spec = CATALOG.get(pin.name)
    if spec is None:
        return Check(pin.name, pin.version, "-", "skipped", fix="not managed by platformctl")
    found = find(spec, pin.version)
    install = f"platformctl tools install --only {pin.name}"
    if found is None:
        return Check(pin.name, pin.version, "-", "missing", fix=install, required=spec.required)
    where = f"{found.source}: {found.path}"
    if found.problem:
        return Check(
            pin.name,
            pin.version,
            "-",
            "broken",
            where=f"{where} {found.problem}",
            fix=f"reinstall: remove it, then {install}",
            required=spec.required,
        )
    if not versions_match(pin.version, found.version):
        return Check(
            pin.name,
            pin.version,
            found.version or "unknown",
            "mismatch",
            where=where,
            fix=install,
            required=spec.required,
        )
    return Check(
        pin.name, pin.version, found.version or "", "ok", where=where, required=spec.required
    )


def check_providers(root: Path) -> tuple[Check, ...]:
    """One row per provider the modules need: where it resolves, or how to supply it.

    Not required: a workstation that only renders and lints needs no provider; the plan
    of a unit whose provider is unavailable fails with OpenTofu's own message.
    """
    from platformctl.toolchain.providers import provider_needs

    rows = []
    for need in provider_needs(root):
        if need.origin == "mirror":
            rows.append(
                Check(
                    need.source, need.constraint, need.version, "ok", where=f"mirror: {need.where}"
                )
            )
        elif need.origin == "registry":
            rows.append(
                Check(need.source, need.constraint, "-", "ok", where=f"registry: {need.where}")
            )
        else:
            rows.append(Check(need.source, need.constraint, "-", "warn", fix=need.fix))
    return tuple(rows)


def check_tflint_ruleset(root: Path) -> tuple[Check, ...]:
    """Whether tflint's AWS ruleset is installed (else tflint runs its core rules only)."""
    from platformctl.toolchain.tflint_ruleset import plugin_dir, wanted

    ruleset = wanted(root)
    if ruleset is None:
        return ()
    name = "tflint-ruleset-aws"
    if ruleset.installed:
        return (Check(name, ruleset.version, ruleset.version, "ok", where=str(ruleset.path)),)
    return (
        Check(
            name,
            ruleset.version,
            "-",
            "warn",
            where=f"not in {plugin_dir()}",
            fix="tflint runs its core rules only; `tflint --init` installs the ruleset "
            "where GitHub is reachable.",
        ),
    )


def run_doctor(root: Path) -> DoctorReport:
    """Tools, tflint's ruleset and providers; AWS checks are added by the caller when not offline."""
    return DoctorReport(
        tools=(*check_tools(root), *check_tflint_ruleset(root)), providers=check_providers(root)
    )
