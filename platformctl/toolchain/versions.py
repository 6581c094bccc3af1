"""Parse .tool-versions (asdf/mise syntax, plus `#platformctl <tool> <version>` lines)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from platformctl.errors import UsageError

TOOL_VERSIONS = ".tool-versions"
_EXTRA_PREFIX = "#platformctl "
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_VERSION_RE = re.compile(r"^v?[0-9]+(\.[0-9]+){1,2}([-+][0-9A-Za-z.-]+)?$")


@dataclass(frozen=True)
class Pin:
    """One pinned tool: its .tool-versions name and version (without a leading 'v')."""

    name: str
    version: str
    line: int


def parse_tool_versions(text: str, source: str = TOOL_VERSIONS) -> dict[str, Pin]:
    pins: dict[str, Pin] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith(_EXTRA_PREFIX):
            line = line[len(_EXTRA_PREFIX) :].strip()
        elif not line or line.startswith("#"):
            continue
        line = line.split("#", 1)[0].strip()
        parts = line.split()
        if (
            len(parts) < 2
            or not _NAME_RE.fullmatch(parts[0])
            or not _VERSION_RE.fullmatch(parts[1])
        ):
            raise UsageError(
                f"{source} line {number} is malformed: expected '<tool> <version>' such as "
                f"'opentofu 1.11.6', got {raw.strip()!r}."
            )
        name = parts[0]
        if name in pins:
            first = pins[name].line
            raise UsageError(
                f"{source} line {number} pins '{name}' a second time (first on line {first})."
            )
        pins[name] = Pin(name, parts[1].removeprefix("v"), number)
    return pins


def load_pins(root: Path) -> dict[str, Pin]:
    path = root / TOOL_VERSIONS
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UsageError(f"{path} does not exist; it pins the tools platformctl runs.") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{path} is not UTF-8 text (byte {exc.start} is not); fix or rewrite it."
        ) from exc
    except OSError as exc:
        raise UsageError(f"Cannot read {path}: {exc.strerror}.") from exc
    return parse_tool_versions(text, str(path))


def require_pins(root: Path) -> dict[str, Pin]:
    """The pins, refusing a .tool-versions that pins nothing (there would be nothing to check)."""
    pins = load_pins(root)
    if not pins:
        raise UsageError(
            f"{root / TOOL_VERSIONS} pins no tool; pin at least opentofu and terragrunt "
            "('opentofu 1.11.6')."
        )
    return pins


def versions_match(wanted: str, found: str | None) -> bool:
    """A pin of a.b.c matches exactly; a pin of a.b matches any a.b.x."""
    if found is None:
        return False
    found = found.removeprefix("v").split("-")[0].split("+")[0]
    return found == wanted or found.startswith(wanted + ".")
