"""Throwaway repository trees for core tests: real templates, a platform.toml of our choosing."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def base_platform() -> dict[str, Any]:
    """The shipped platform.toml, decoded (a valid starting point to mutate)."""
    return tomllib.loads((REPO / "platform.toml").read_text())


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ "
            + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}" for k, v in value.items())
            + " }"
        )
    raise TypeError(type(value))


def dump_platform(data: dict[str, Any]) -> str:
    """Minimal TOML writer for platform documents (inline tables for nested values)."""
    lines: list[str] = []
    for env in data["environments"]:
        lines.append("[[environments]]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in env.items())
        lines.append("")
    return "\n".join(lines)


def make_repo(tmp_path: Path, platform: dict[str, Any] | None = None) -> Path:
    """A repository root with the real templates and the given platform document."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(REPO / "templates", root / "templates")
    text = dump_platform(platform) if platform is not None else (REPO / "platform.toml").read_text()
    (root / "platform.toml").write_text(text)
    return root


def tree_snapshot(path: Path) -> dict[str, bytes]:
    if not path.exists():
        return {}
    return {
        str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
    }


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`platformctl ARGS` in-process through main(): (exit code, stdout, stderr)."""
    from platformctl.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err
