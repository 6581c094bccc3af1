"""deploy, destroy and plan-all check the sandbox, tools and credentials before re-rendering."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.repo import tree_snapshot
from tests.fixtures.repo_cli import Cli


def _stale_tree(repo: Path, cli: Cli) -> dict[str, bytes]:
    assert cli("render", "--org", "ExampleOrg").code == 0
    toml = repo / "platform.toml"
    toml.write_text(toml.read_text().replace("max_size = 4", "max_size = 5"))
    return tree_snapshot(repo / "live")


@pytest.mark.parametrize(
    "args",
    [
        ["deploy", "vpc", "--env", "sandbox", "--yes"],
        ["destroy", "vpc", "--env", "sandbox", "--yes"],
        ["plan-all", "--env", "sandbox"],
    ],
)
def test_a_stopped_sandbox_fails_before_live_is_rewritten(
    repo: Path, cli: Cli, args: list[str]
) -> None:
    """Defect 8: deploy re-rendered a stale live/ and then failed the sandbox check (exit 2)."""
    before = _stale_tree(repo, cli)
    result = cli(*args, "--org", "ExampleOrg")
    assert result.code == 2, result.err
    assert "The sandbox is not running" in result.error
    assert tree_snapshot(repo / "live") == before
    assert not (repo / ".platformctl" / "runs").exists()
    assert not (repo / ".platformctl" / "terragrunt-cache").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["deploy", "vpc", "--env", "sandbox", "--dry-run"],
        ["bootstrap", "--env", "sandbox", "--dry-run"],
    ],
)
def test_a_dry_run_needs_no_sandbox(repo: Path, cli: Cli, args: list[str]) -> None:
    assert cli("render", "--org", "ExampleOrg").code == 0
    result = cli(*args, "--org", "ExampleOrg")
    assert result.code == 0, result.err
    assert not (repo / ".platformctl" / "terragrunt-cache").exists()
    assert not (repo / ".platformctl" / "runs").exists()


@pytest.mark.real
@pytest.mark.usefixtures("no_credentials")
def test_missing_credentials_fail_before_live_is_rewritten(repo: Path, cli: Cli) -> None:
    from platformctl.errors import ToolNotFoundError
    from platformctl.toolchain.locate import tool_path

    try:
        tool_path(repo, "terragrunt")
        tool_path(repo, "opentofu")
    except ToolNotFoundError:
        pytest.skip("terragrunt and OpenTofu are not installed (platformctl tools install)")
    before = _stale_tree(repo, cli)
    result = cli("deploy", "vpc", "--org", "ExampleOrg", "--env", "dev", "--yes")
    assert result.code == 2, result.err
    assert "credentials" in result.error
    assert tree_snapshot(repo / "live") == before
