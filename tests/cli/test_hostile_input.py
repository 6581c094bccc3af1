"""Inputs that used to crash with exit 3 and a traceback: each now gets exit 2 or 1 and one line.

Every case runs the real CLI in-process on a throwaway repository and checks the
contract: the exit code, exactly one `error:` line and no traceback, and (for exit 2)
that nothing under live/ changed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from platformctl.cli import main
from tests.fixtures.readonly import ReadOnly
from tests.fixtures.repo import make_repo, run, tree_snapshot

Setup = Callable[[Path, ReadOnly], list[str]]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path)
    monkeypatch.setenv("PLATFORMCTL_ROOT", str(root))
    monkeypatch.delenv("PLATFORMCTL_ORG", raising=False)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return root


def _toml(text: bytes) -> Setup:
    def setup(root: Path, _ro: ReadOnly) -> list[str]:
        (root / "platform.toml").write_bytes(text)
        return ["render", "--org", "ExampleOrg"]

    return setup


def _replace(old: str, new: str) -> Setup:
    def setup(root: Path, _ro: ReadOnly) -> list[str]:
        path = root / "platform.toml"
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
        return ["render", "--org", "ExampleOrg"]

    return setup


def _unreadable_toml(root: Path, _ro: ReadOnly) -> list[str]:
    if os.geteuid() == 0:
        # root reads any mode: a directory in its place is the unreadable file here.
        (root / "platform.toml").unlink()
        (root / "platform.toml").mkdir()
    else:
        (root / "platform.toml").chmod(0)
    return ["render", "--org", "ExampleOrg"]


def _read_only_live_new_region(root: Path, ro: ReadOnly) -> list[str]:
    assert main_ok(["render", "--org", "ExampleOrg"])
    _replace('region = "us-east-1"', 'region = "eu-west-1"')(root, ro)
    for path in [root / "live", *(p for p in (root / "live").rglob("*") if p.is_dir())]:
        ro.append(path)
    return ["render", "--org", "ExampleOrg"]


def _live_is_a_file(root: Path, _ro: ReadOnly) -> list[str]:
    (root / "live").write_text("not a directory\n")
    return ["render", "--org", "ExampleOrg"]


def _no_unit_templates(root: Path, _ro: ReadOnly) -> list[str]:
    shutil.rmtree(root / "templates" / "units")
    return ["render", "--org", "ExampleOrg"]


def _non_utf8_template(root: Path, _ro: ReadOnly) -> list[str]:
    (root / "templates" / "env.hcl.j2").write_bytes(b"# \xff\n")
    return ["render", "--org", "ExampleOrg"]


def _non_utf8_kubeconfig(root: Path, _ro: ReadOnly) -> list[str]:
    path = root.parent / "kubeconfig"
    path.write_bytes(b"\xff\xfe")
    return ["add-cluster", "--org", "ExampleOrg", "--env", "dev", "--kubeconfig", str(path)]


def _non_utf8_unit_for_graph(root: Path, _ro: ReadOnly) -> list[str]:
    assert main_ok(["render", "--org", "ExampleOrg"])
    (root / "live/exampleorg/dev/us-east-1/eks/terragrunt.hcl").write_bytes(b"\xff\xfe\n")
    return ["graph", "--org", "ExampleOrg", "--env", "dev"]


def _non_utf8_train_py(root: Path, _ro: ReadOnly) -> list[str]:
    example = root / "example"
    example.mkdir()
    (example / "train.py").write_bytes(b"print('\xff')\n")
    return ["train", "submit", str(example), "--org", "ExampleOrg", "--env", "dev", "--dry-run"]


def _non_utf8_rendered_file_check(root: Path, _ro: ReadOnly) -> list[str]:
    assert main_ok(["render", "--org", "ExampleOrg"])
    (root / "live/exampleorg/dev/env.hcl").write_bytes(b"# Rendered by platformctl\n\xff\xfe\n")
    return ["render", "--org", "ExampleOrg", "--check"]


def main_ok(args: list[str]) -> bool:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code in (0, None)


TAINTS = 'taints = [{ key = "nvidia.com/gpu", value = "true", effect = "NO_SCHEDULE" }]'
DEEP = b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n"

CASES: dict[str, tuple[Setup, int]] = {
    "non-UTF-8 platform.toml": (_toml(b"\xff"), 2),
    "UTF-16 (BOM) platform.toml": (
        _toml(b"\xff\xfe" + "[[environments]]\n".encode("utf-16-le")),
        2,
    ),
    "taints = 5": (_replace(TAINTS, "taints = 5"), 2),
    "unreadable platform.toml": (_unreadable_toml, 2),
    "5000-deep nested array": (_toml(DEEP), 2),
    "integer too long to convert": (_replace("azs = 3", "azs = 1" + "0" * 5000), 2),
    "read-only live/ with a new region": (_read_only_live_new_region, 1),
    "live is a file": (_live_is_a_file, 2),
    "missing templates/units": (_no_unit_templates, 2),
    "non-UTF-8 template": (_non_utf8_template, 2),
    "non-UTF-8 kubeconfig": (_non_utf8_kubeconfig, 2),
    "non-UTF-8 unit file for graph": (_non_utf8_unit_for_graph, 2),
    "non-UTF-8 train.py": (_non_utf8_train_py, 2),
    "non-UTF-8 rendered file under --check": (_non_utf8_rendered_file_check, 1),
}


@pytest.mark.parametrize("case", list(CASES))
def test_crash_inputs_get_an_exit_code_and_one_line(
    repo: Path, capsys: pytest.CaptureFixture[str], read_only: ReadOnly, case: str
) -> None:
    """Defect 6: each of these raised an unexpected exception (exit 3, a traceback)."""
    setup, want = CASES[case]
    args = setup(repo, read_only)
    capsys.readouterr()
    before = tree_snapshot(repo / "live") if (repo / "live").is_dir() else None
    code, _out, err = run(args, capsys)
    assert code == want, err
    assert "Traceback" not in err and "unexpected error" not in err
    if want == 2:
        assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1, err
        if before is not None:
            assert tree_snapshot(repo / "live") == before


def test_utf8_bom_platform_file_is_read(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    toml = repo / "platform.toml"
    toml.write_bytes(b"\xef\xbb\xbf" + toml.read_bytes())
    assert run(["render", "--org", "ExampleOrg"], capsys)[0] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["render", "--org", "x" * 200_000],
        ["render", "--org", "ExampleOrg", "--env", "e" * 200_000],
        ["plan-all", "--org", "ExampleOrg", "--parallelism", "9" * 200_000],
        ["add-cluster", "--org", "ExampleOrg", "--region", "r" * 200_000],
        ["eks-token", "--cluster", "c" * 200_000],
    ],
)
def test_a_huge_bad_value_is_quoted_shortened(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    """Defect 14: a 200 KB value gave 200 KB of stderr."""
    code, out, err = run(args, capsys)
    assert code == 2, err[:500]
    assert len(err) < 1000, err[:500]
    assert out == ""


def test_a_huge_region_in_platform_toml_is_quoted_shortened(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _replace('region = "us-east-1"', 'region = "' + "u" * 200_000 + '"')(repo, ReadOnly())
    code, _, err = run(["render", "--org", "ExampleOrg"], capsys)
    assert code == 2 and len(err) < 1000
    assert "(200000 characters)" in err
