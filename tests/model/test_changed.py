"""--changed: units whose files changed since a git ref, plus their dependents (real git)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from platformctl.model import changed
from platformctl.model.config import load_platform, resolve_org
from platformctl.model.graph import read_graph
from platformctl.report import SilentReporter
from platformctl.run.plan import plan_all
from platformctl.run.scope import Options, ensure_rendered
from tests.run.stack import write_stack


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_stack(tmp_path / "repo")
    platform, org = load_platform(root), resolve_org("changedorg")
    ensure_rendered(root, platform, org, None, SilentReporter(), dry_run=False)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "stack")
    _git(root, "checkout", "-q", "-b", "feature")
    return root


def _select(root: Path, base: str = "main") -> tuple[str, ...]:
    org = resolve_org("changedorg")
    stack = root / "live" / org.name / "sandbox" / "us-east-1"
    return changed.select(read_graph(stack), root, stack, changed.changed_files(root, base))


def _edit(path: Path, extra: str = "\n# edited\n") -> None:
    path.write_text(path.read_text() + extra)


def test_nothing_changed_selects_nothing(repo: Path) -> None:
    assert _select(repo) == ()


def test_a_leaf_unit_selects_itself_only(repo: Path) -> None:
    _edit(repo / "live/changedorg/sandbox/us-east-1/mesh/terragrunt.hcl")
    assert _select(repo) == ("mesh",)


def test_a_unit_selects_its_dependents_in_order(repo: Path) -> None:
    _edit(repo / "live/changedorg/sandbox/us-east-1/eks/terragrunt.hcl")
    _git(repo, "commit", "-q", "-am", "eks")  # committed on the branch: still a change vs main
    assert _select(repo) == ("eks", "kubeflow", "mesh")


def test_a_shared_include_or_the_module_selects_every_unit(repo: Path) -> None:
    _edit(repo / "live/changedorg/sandbox/us-east-1/region.hcl")
    assert _select(repo) == ("vpc", "eks", "kubeflow", "mesh")
    _git(repo, "checkout", "-q", "--", ".")
    assert _select(repo) == ()
    _edit(repo / "modules/unit/main.tf")
    assert _select(repo) == ("vpc", "eks", "kubeflow", "mesh")


def test_an_untracked_file_in_a_unit_counts(repo: Path) -> None:
    (repo / "live/changedorg/sandbox/us-east-1/kubeflow/extra.hcl").write_text("# new\n")
    assert _select(repo) == ("kubeflow",)


def test_plan_all_changed_plans_only_the_selection(repo: Path) -> None:
    # A template edit re-renders the unit: plan-all renders first, then compares with main.
    _edit(repo / "templates/units/eks.hcl.j2")
    reporter = SilentReporter()
    result = plan_all(
        repo,
        load_platform(repo),
        resolve_org("changedorg"),
        "sandbox",
        reporter,
        opts=Options(dry_run=True, preflight=False),
        changed=True,
        changed_base="main",
    )
    (command,) = result.commands
    includes = command.split("--queue-include-dir ")[1:]
    assert [i.split()[0] for i in includes] == ["eks", "kubeflow", "mesh"]


def test_an_unknown_base_is_a_usage_error(repo: Path) -> None:
    from platformctl.errors import UsageError

    with pytest.raises(UsageError, match="--base nope"):
        changed.changed_files(repo, "nope")


def test_templates_and_platform_toml_count_as_sources(repo: Path) -> None:
    _edit(repo / "templates/units/mesh.hcl.j2")
    assert _select(repo) == ("mesh",)
    _edit(repo / "platform.toml")
    assert _select(repo) == ("vpc", "eks", "kubeflow", "mesh")
