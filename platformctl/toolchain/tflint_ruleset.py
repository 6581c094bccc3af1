"""tflint's AWS ruleset: where `tflint --init` puts it, and a config that runs without it.

The ruleset is a plugin binary that `tflint --init` downloads from GitHub releases; no
package registry serves it. Where it is installed, tflint runs `.tflint.hcl` as written;
where it is not, the core rules still run, from a copy of the config without the AWS
plugin.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

CONFIG = ".tflint.hcl"
_AWS_BLOCK = re.compile(r'plugin\s+"aws"\s*\{(?P<body>[^}]*)\}', re.DOTALL)
_FIELD = r'^\s*{name}\s*=\s*"?(?P<value>[^"\n]*)"?\s*$'


@dataclass(frozen=True)
class Ruleset:
    """The AWS ruleset that .tflint.hcl asks for, and where it is installed (if it is)."""

    source: str
    version: str
    path: Path | None

    @property
    def installed(self) -> bool:
        return self.path is not None


def plugin_dir() -> Path:
    """Where tflint looks for plugins: TFLINT_PLUGIN_DIR, else ~/.tflint.d/plugins."""
    override = os.environ.get("TFLINT_PLUGIN_DIR")
    return Path(override).expanduser() if override else Path.home() / ".tflint.d" / "plugins"


def _field(body: str, name: str) -> str:
    match = re.search(_FIELD.format(name=name), body, re.MULTILINE)
    return match.group("value").strip() if match else ""


def wanted(root: Path) -> Ruleset | None:
    """The ruleset the repository's .tflint.hcl enables, None when it enables none."""
    try:
        text = (root / CONFIG).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    block = _AWS_BLOCK.search(text)
    if block is None or _field(block.group("body"), "enabled") != "true":
        return None
    source = _field(block.group("body"), "source")
    version = _field(block.group("body"), "version")
    binary = plugin_dir() / source / version / "tflint-ruleset-aws"
    return Ruleset(source, version, binary if binary.is_file() else None)


def core_rules_config(root: Path, dest: Path) -> Path:
    """A copy of .tflint.hcl without the AWS plugin (core rules only). The block is removed,
    not switched off: tflint 0.61 looks for a declared plugin even when it is disabled."""
    text = (root / CONFIG).read_text(encoding="utf-8")
    body = _AWS_BLOCK.sub("", text)
    dest.write_text(body, encoding="utf-8")
    return dest
