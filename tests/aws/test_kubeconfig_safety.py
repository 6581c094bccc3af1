"""add-cluster and eks-token: other people's contexts, symlinks, special files, bad flags."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.aws.test_cluster import OTHERS
from tests.fixtures.readonly import ReadOnly
from tests.fixtures.repo_cli import Cli, assert_one_sentence
from tests.fixtures.servers import MotoServer


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Path:
    path = tmp_path / "kube" / "config"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(OTHERS))
    return path


def _contexts(path: Path) -> dict[str, dict[str, str]]:
    doc = yaml.safe_load(path.read_text())
    return {c["name"]: c["context"] for c in doc["contexts"]}


@pytest.mark.real
def test_alias_of_another_users_context_is_refused_unless_overwrite(
    repo: Path,
    cli: Cli,
    aws_env: MotoServer,
    kubeconfig: Path,
    eks_cluster: Callable[[str], str],
) -> None:
    """Defect 4: --alias other-a silently replaced the context of another cluster."""
    arn = eks_cluster("aliasorg-dev-eks")
    before = kubeconfig.read_bytes()
    args = ["add-cluster", "--org", "aliasorg", "--env", "dev", "--kubeconfig", str(kubeconfig)]

    refused = cli(*args, "--alias", "other-a")
    assert refused.code == 2
    assert "already has a context 'other-a' for another cluster ('other-a')" in refused.error
    assert "--overwrite" in refused.error
    assert_one_sentence(refused.error)
    assert kubeconfig.read_bytes() == before

    replaced = cli(*args, "--alias", "other-a", "--overwrite")
    assert replaced.code == 0, replaced.err
    assert _contexts(kubeconfig)["other-a"] == {"cluster": arn, "user": arn}
    # Now the context is ours for this cluster: updating it needs no --overwrite.
    again = cli(*args, "--alias", "other-a", "--no-set-current")
    assert again.code == 0, again.err


@pytest.mark.real
def test_default_alias_taken_by_another_cluster_is_refused(
    repo: Path, cli: Cli, aws_env: MotoServer, kubeconfig: Path, eks_cluster: Callable[[str], str]
) -> None:
    eks_cluster("takenorg-dev-eks")
    doc = yaml.safe_load(kubeconfig.read_text())
    doc["contexts"].append(
        {"name": "takenorg-dev-us-east-1", "context": {"cluster": "other-b", "user": "user-b"}}
    )
    kubeconfig.write_text(yaml.safe_dump(doc))
    before = kubeconfig.read_bytes()
    result = cli(
        "add-cluster", "--org", "takenorg", "--env", "dev", "--kubeconfig", str(kubeconfig)
    )
    assert result.code == 2 and "for another cluster ('other-b')" in result.error
    assert kubeconfig.read_bytes() == before


@pytest.mark.real
def test_symlinked_kubeconfig_is_written_through_to_its_target(
    repo: Path,
    cli: Cli,
    aws_env: MotoServer,
    kubeconfig: Path,
    eks_cluster: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Defect 7: a symlinked ~/.kube/config was replaced by a regular file."""
    eks_cluster("linkorg-dev-eks")
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    link = home / ".kube" / "config"
    link.symlink_to(kubeconfig)
    monkeypatch.setenv("HOME", str(home))
    result = cli("add-cluster", "--org", "linkorg", "--env", "dev")
    assert result.code == 0, result.err
    assert link.is_symlink() and link.resolve() == kubeconfig.resolve()
    assert "linkorg-dev-us-east-1" in _contexts(kubeconfig)
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    assert not list(kubeconfig.parent.glob("*.lock"))


@pytest.mark.real
def test_dangling_symlink_creates_its_target(
    repo: Path,
    cli: Cli,
    aws_env: MotoServer,
    eks_cluster: Callable[[str], str],
    tmp_path: Path,
) -> None:
    eks_cluster("dangle-dev-eks")
    target = tmp_path / "configs" / "eks"
    target.parent.mkdir()
    link = tmp_path / "config"
    link.symlink_to(target)
    result = cli("add-cluster", "--org", "dangle", "--env", "dev", "--kubeconfig", str(link))
    assert result.code == 0, result.err
    assert link.is_symlink() and "dangle-dev-us-east-1" in _contexts(target)


def test_special_files_are_refused_and_left_alone(repo: Path, cli: Cli, tmp_path: Path) -> None:
    """Defect 7: --kubeconfig pointing at a character device was replaced by a regular file."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (Path("/dev/null"), fifo, tmp_path):
        result = cli("add-cluster", "--org", "special", "--env", "dev", "--kubeconfig", str(path))
        assert result.code == 2, result.err
        assert "is not a regular file" in result.error
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_symlink_to_a_device_is_refused(repo: Path, cli: Cli, tmp_path: Path) -> None:
    link = tmp_path / "config"
    link.symlink_to("/dev/null")
    result = cli("add-cluster", "--org", "special", "--env", "dev", "--kubeconfig", str(link))
    assert result.code == 2 and "is not a regular file" in result.error
    assert link.is_symlink()


def test_non_utf8_kubeconfig_is_exit_2(repo: Path, cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_bytes(b"clusters: []\n\xff\xfe\n")
    result = cli("add-cluster", "--org", "bytes", "--env", "dev", "--kubeconfig", str(path))
    assert result.code == 2 and "is not UTF-8 text" in result.error
    assert "Traceback" not in result.err


@pytest.mark.real
def test_read_only_kube_directory_is_exit_1_with_one_sentence(
    repo: Path,
    cli: Cli,
    aws_env: MotoServer,
    kubeconfig: Path,
    eks_cluster: Callable[[str], str],
    read_only: ReadOnly,
) -> None:
    eks_cluster("roorg-dev-eks")
    before = kubeconfig.read_bytes()
    read_only.append(kubeconfig.parent)
    result = cli("add-cluster", "--org", "roorg", "--env", "dev", "--kubeconfig", str(kubeconfig))
    assert result.code == 1, result.err
    assert result.error.startswith(f"Cannot write kubeconfig {kubeconfig}")
    assert "Traceback" not in result.err
    assert kubeconfig.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["add-cluster", "--org", "rgn", "--region", "us-esat-1"], "did you mean 'us-east-1'?"),
        (["add-cluster", "--org", "rgn", "--region", "mars-1"], "is not an AWS region"),
        (["add-cluster", "--org", "rgn", "--alias", "a\nb"], "--alias 'a\\nb' is not a usable"),
        (["add-cluster", "--org", "rgn", "--alias", " x"], "is not a usable context name"),
        (["add-cluster", "--org", "rgn", "--alias", "x" * 300], "(300 characters)"),
        (["eks-token", "--cluster", "c", "--region", "us-esat-1"], "did you mean"),
        (["eks-token", "--cluster", "", "--region", "us-east-1"], "--cluster '' is not"),
        (["eks-token", "--cluster", "a b", "--region", "us-east-1"], "is not an EKS cluster"),
    ],
)
def test_region_alias_and_cluster_flags_are_validated(
    repo: Path, cli: Cli, args: list[str], needle: str, tmp_path: Path
) -> None:
    """Defect 10: --region went to botocore (exit 1) and --alias with a newline was taken."""
    if args[0] == "add-cluster":
        args = [*args, "--env", "dev", "--kubeconfig", str(tmp_path / "config")]
    result = cli(*args)
    assert result.code == 2, result.err
    assert needle in result.error
    assert result.out == ""
    assert not (tmp_path / "config").exists()
