"""Render is all-or-nothing, writes only over its own files, 0644, one normalised org."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from platformctl.errors import OperationError, UsageError
from platformctl.model.config import load_platform, resolve_org
from platformctl.model.livetree import MANIFEST
from platformctl.model.render import render_tree, write_tree
from tests.fixtures.readonly import ReadOnly
from tests.fixtures.repo import make_repo, run, tree_snapshot

ORG = resolve_org("ExampleOrg")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path)
    monkeypatch.setenv("PLATFORMCTL_ROOT", str(root))
    monkeypatch.delenv("PLATFORMCTL_ORG", raising=False)
    monkeypatch.setenv("COLUMNS", "400")
    return root


def test_a_write_failure_restores_every_file_and_exits_1(
    repo: Path, capsys: pytest.CaptureFixture[str], read_only: ReadOnly
) -> None:
    """Defect 2: one read-only unit directory used to leave region.hcl new and the unit old."""
    assert run(["render", "--org", "ExampleOrg"], capsys)[0] == 0
    toml = repo / "platform.toml"
    # Three AZs become two: region.hcl and the vpc unit both change.
    toml.write_text(toml.read_text().replace("azs = 3", "azs = 2", 1))
    unit = repo / "live/exampleorg/dev/us-east-1/vpc"
    before = tree_snapshot(repo / "live")
    read_only.append(unit)

    code, _, err = run(["render", "--org", "ExampleOrg"], capsys)

    assert code == 1, err
    [line] = [x for x in err.splitlines() if x.startswith("error:")]
    assert "every file was put back as it was" in line and "Traceback" not in err
    assert tree_snapshot(repo / "live") == before
    assert not [p for p in (repo / "live").iterdir() if p.name.startswith(".platformctl-render")]


def test_read_only_live_with_a_new_region_exits_1_and_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], read_only: ReadOnly
) -> None:
    assert run(["render", "--org", "ExampleOrg"], capsys)[0] == 0
    toml = repo / "platform.toml"
    toml.write_text(toml.read_text().replace('region = "us-east-1"', 'region = "eu-west-1"', 1))
    before = tree_snapshot(repo / "live")
    for path in [repo / "live", *(p for p in (repo / "live").rglob("*") if p.is_dir())]:
        read_only.append(path)
    code, _, err = run(["render", "--org", "ExampleOrg"], capsys)
    assert code == 1 and "Traceback" not in err
    assert tree_snapshot(repo / "live") == before


def test_hand_written_files_are_never_removed(repo: Path) -> None:
    """Defect 3: any *.hcl under live/<org>/ that the templates did not produce was removed."""
    platform = load_platform(repo)
    write_tree(repo, render_tree(repo, platform, ORG), all_envs=True)
    mine = repo / "live/exampleorg/dev/us-east-1/extra/terragrunt.hcl"
    mine.parent.mkdir()
    mine.write_text('# my own unit\nterraform {\n  source = "x"\n}\n')
    notes = repo / "live/exampleorg/dev/notes.hcl"
    notes.write_text("# notes\n")
    result = write_tree(repo, render_tree(repo, platform, ORG), all_envs=True)
    assert result.removed == ()
    assert {str(p) for p in result.kept} == {
        "exampleorg/dev/us-east-1/extra/terragrunt.hcl",
        "exampleorg/dev/notes.hcl",
    }
    assert mine.exists() and notes.exists()


def test_files_listed_in_the_manifest_are_removed_when_no_longer_rendered(repo: Path) -> None:
    platform = load_platform(repo)
    write_tree(repo, render_tree(repo, platform, ORG), all_envs=True)
    manifest = repo / "live/exampleorg" / MANIFEST
    assert "dev/us-east-1/vpc/terragrunt.hcl" in manifest.read_text().splitlines()
    # One environment fewer: its files (listed in the manifest) go, directories too.
    toml = repo / "platform.toml"
    text = toml.read_text()
    toml.write_text(text[: text.index("# The sandbox:")])
    result = write_tree(repo, render_tree(repo, load_platform(repo), ORG), all_envs=True)
    assert len(result.removed) == 7 and not (repo / "live/exampleorg/sandbox").exists()
    assert "sandbox/env.hcl" not in manifest.read_text()


def test_a_hand_written_file_where_a_rendered_one_must_go_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = repo / "live/exampleorg/dev/us-east-1/vpc/terragrunt.hcl"
    target.parent.mkdir(parents=True)
    target.write_text("# mine\n")
    code, _, err = run(["render", "--org", "ExampleOrg"], capsys)
    assert code == 2
    assert "was not written by platformctl" in err
    assert tree_snapshot(repo / "live") == {
        "exampleorg/dev/us-east-1/vpc/terragrunt.hcl": b"# mine\n"
    }


@pytest.mark.parametrize("what", ["live", "live/exampleorg/dev"])
def test_a_file_where_a_directory_must_go_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str], what: str
) -> None:
    path = repo / what
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("not a directory\n")
    code, _, err = run(["render", "--org", "ExampleOrg"], capsys)
    assert code == 2 and "is a file where platformctl renders a directory" in err
    assert path.read_text() == "not a directory\n"


def test_rendered_files_are_0644_whatever_the_umask(repo: Path) -> None:
    """Defect 11: rendered files got the temp-file mode 0600."""
    old = os.umask(0o077)
    try:
        write_tree(repo, render_tree(repo, load_platform(repo), ORG), all_envs=True)
    finally:
        os.umask(old)
    modes = {stat.S_IMODE(p.stat().st_mode) for p in (repo / "live").rglob("*") if p.is_file()}
    assert modes == {0o644}


def test_org_spellings_render_byte_identical_trees(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Defect 12: EXAMPLEORG and ExampleOrg rendered different comments."""
    assert run(["render", "--org", "EXAMPLEORG"], capsys)[0] == 0
    first = tree_snapshot(repo / "live")
    code, out, _ = run(["render", "--org", "ExampleOrg", "--check"], capsys)
    assert code == 0 and "up to date" in out
    assert run(["render", "--org", "exampleorg"], capsys)[0] == 0
    assert tree_snapshot(repo / "live") == first


def test_kelvin_sign_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["render", "--org", "\u212aorg"], capsys)
    assert code == 2 and "ASCII" in err
    assert not (repo / "live").exists()


def test_missing_unit_templates_are_exit_2_and_write_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    shutil.rmtree(repo / "templates/units")
    code, _, err = run(["render", "--org", "ExampleOrg"], capsys)
    assert code == 2 and "templates/units/vpc.hcl.j2 is missing" in err
    assert not (repo / "live").exists()


def test_a_swap_failure_in_the_engine_is_an_operation_error(
    repo: Path, read_only: ReadOnly
) -> None:
    platform = load_platform(repo)
    write_tree(repo, render_tree(repo, platform, ORG), all_envs=True)
    unit = repo / "live/exampleorg/sandbox/us-east-1/mesh"
    (unit / "terragrunt.hcl").write_text(
        (unit / "terragrunt.hcl").read_text() + "# Rendered by platformctl, then edited\n"
    )
    root_hcl = repo / "live/exampleorg/root.hcl"
    root_hcl.write_text(root_hcl.read_text() + "# Rendered by platformctl, then edited\n")
    before = tree_snapshot(repo / "live")
    read_only.append(unit)
    with pytest.raises(OperationError, match="put back"):
        write_tree(repo, render_tree(repo, platform, ORG), all_envs=True)
    assert tree_snapshot(repo / "live") == before


def test_check_refuses_a_hand_written_file_in_place_of_a_rendered_one(repo: Path) -> None:
    from platformctl.model.render import check_tree

    target = repo / "live/exampleorg/root.hcl"
    target.parent.mkdir(parents=True)
    target.write_text("# mine\n")
    with pytest.raises(UsageError, match="not written by platformctl"):
        check_tree(repo, render_tree(repo, load_platform(repo), ORG), all_envs=True)


def test_a_manifest_cannot_reach_outside_live(repo: Path, tmp_path: Path) -> None:
    """A tampered manifest listing paths elsewhere neither removes nor breaks anything."""
    outside = tmp_path / "precious.hcl"
    outside.write_text("# Rendered by platformctl (but not here)\n")
    write_tree(repo, render_tree(repo, load_platform(repo), ORG), all_envs=True)
    manifest = repo / "live/exampleorg" / MANIFEST
    manifest.write_text(manifest.read_text() + f"{outside}\n../../precious.hcl\n/etc/hostname\n")
    write_tree(repo, render_tree(repo, load_platform(repo), ORG), all_envs=True)
    assert outside.exists()
    assert str(outside) not in manifest.read_text() and ".." not in manifest.read_text()


def test_a_manifest_that_is_not_a_file_is_refused(repo: Path) -> None:
    (repo / "live/exampleorg" / MANIFEST).mkdir(parents=True)
    with pytest.raises(UsageError, match="is not a regular file"):
        write_tree(repo, render_tree(repo, load_platform(repo), ORG), all_envs=True)


def test_concurrent_renders_of_one_org_keep_every_manifest_entry(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two renders of different environments at once: the second waits for the first, so
    the manifest lists both and each is fresh (the manifest used to keep one, 8 of 8)."""
    import subprocess
    import sys

    env = {**os.environ, "PLATFORMCTL_ROOT": str(repo)}
    for _ in range(4):
        for path in (repo / "live").glob("*"):
            import shutil

            shutil.rmtree(path)
        renders = [
            subprocess.Popen(
                [sys.executable, "-m", "platformctl", "render", "--org", "ExampleOrg", "--env", e],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for e in ("dev", "sandbox")
        ]
        assert [p.wait(timeout=120) for p in renders] == [0, 0]
        listed = (repo / "live/exampleorg" / MANIFEST).read_text()
        assert "\ndev/" in listed and "\nsandbox/" in listed
        for e in ("dev", "sandbox"):
            assert run(["render", "--org", "ExampleOrg", "--env", e, "--check"], capsys)[0] == 0


def test_a_state_directory_that_is_a_file_is_one_sentence(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".platformctl").write_text("not a directory\n")
    code, _out, err = run(["render", "--org", "ExampleOrg"], capsys)
    assert code == 2
    assert "is not a directory; platformctl keeps its state there" in err
    assert not (repo / "live").exists()


def test_a_killed_renders_staging_directory_is_removed_by_the_next_and_ignored_by_git(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import subprocess

    from tests.conftest import REPO

    assert run(["render", "--org", "ExampleOrg"], capsys)[0] == 0
    leftover = repo / "live/.platformctl-render-exampleorg-k1ll3d"
    leftover.mkdir()
    (leftover / "0.new").write_text("half")
    other_org = repo / "live/.platformctl-render-otherorg-running"
    other_org.mkdir()
    assert run(["render", "--org", "ExampleOrg"], capsys)[0] == 0
    assert not leftover.exists()
    assert other_org.exists()  # another org's render may still be using its own
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "live/.platformctl-render-exampleorg-k1ll3d/0.new"],
        cwd=REPO,
        check=False,
    )
    assert ignored.returncode == 0


def test_an_immutable_target_file_is_not_reported_as_lost(
    repo: Path, capsys: pytest.CaptureFixture[str], read_only: ReadOnly
) -> None:
    """A file that cannot be replaced was never changed: nothing of it needs putting back."""
    assert run(["render", "--org", "ExampleOrg"], capsys)[0] == 0
    toml = repo / "platform.toml"
    toml.write_text(toml.read_text().replace("azs = 3", "azs = 2", 1))
    before = tree_snapshot(repo / "live")
    read_only.append(repo / "live/exampleorg/dev/us-east-1/vpc/terragrunt.hcl")
    code, _, err = run(["render", "--org", "ExampleOrg"], capsys)
    assert code == 1, err
    assert "every file was put back as it was" in err and "could not be put back" not in err
    assert tree_snapshot(repo / "live") == before


def test_a_dangling_live_symlink_is_one_sentence(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "live").symlink_to(repo / "nowhere")
    code, _, err = run(["render", "--org", "ExampleOrg"], capsys)
    assert code == 2, err
    assert "File exists" not in err
    assert "which does not exist; remove the link or point it at a directory." in err


def test_a_symlinked_environment_directory_is_refused_before_anything_is_written(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import shutil

    assert run(["render", "--org", "ExampleOrg"], capsys)[0] == 0
    env_dir = repo / "live/exampleorg/dev"
    elsewhere = tmp_path / "elsewhere"
    shutil.move(env_dir, elsewhere)
    env_dir.symlink_to(elsewhere)
    before = tree_snapshot(elsewhere)
    toml = repo / "platform.toml"
    toml.write_text(toml.read_text().replace('name = "dev"', 'name = "stage"', 1))
    code, _, err = run(["render", "--org", "ExampleOrg"], capsys)
    assert code == 2, err
    assert "is a symlink where platformctl renders a directory" in err
    assert tree_snapshot(elsewhere) == before  # nothing under the link was removed


def test_every_removed_file_is_named_and_a_users_copy_of_a_unit_is_kept(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    assert run(["render", "--org", "ExampleOrg"], capsys)[0] == 0
    units = repo / "live/exampleorg/dev/us-east-1"
    shutil.copytree(units / "vpc", units / "vpc-experiment")
    toml = repo / "platform.toml"
    toml.write_text(toml.read_text().replace('name = "dev"', 'name = "stage"', 1))
    code, out, err = run(["render", "--org", "ExampleOrg"], capsys)
    assert code == 0, err
    assert "7 removed; the manifest was rewritten." in out
    for name in ("env.hcl", "us-east-1/vpc/terragrunt.hcl", "us-east-1/region.hcl"):
        assert f"removed live/exampleorg/dev/{name}" in err
    assert (units / "vpc-experiment/terragrunt.hcl").is_file()
    assert "Left 1 hand-written file(s) alone: live/exampleorg/dev/us-east-1/vpc-experiment" in err


def test_a_rewritten_manifest_is_not_reported_as_nothing_written(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["render", "--org", "ExampleOrg"], capsys)[0] == 0
    manifest = repo / "live/exampleorg" / MANIFEST
    manifest.write_text(manifest.read_text() + "dev/stray.hcl\n")
    code, out, _ = run(["render", "--org", "ExampleOrg"], capsys)
    assert code == 0
    assert "0 written, 18 unchanged, 0 removed; the manifest was rewritten." in out
