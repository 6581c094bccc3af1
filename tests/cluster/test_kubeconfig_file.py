"""One reader for every kubeconfig: a broken one is one sentence and exit 2, everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from platformctl.cluster.kubeconfig_file import read_kubeconfig, with_absolute_paths
from platformctl.errors import UsageError
from tests.fixtures.repo_cli import Cli

BAD = {
    "not YAML": (
        b"apiVersion: v1\nclusters: [unclosed\n",
        "is not valid YAML; fix or move it first.",
    ),
    "not UTF-8": (b"apiVersion: v1\n\xff\xfe\x00bad\n", "is not UTF-8 text; fix or move it first."),
    "a list": (b"- one\n- two\n", "is not a kubeconfig document (expected a mapping)."),
    "clusters not a list": (b"clusters: 3\n", "'clusters' must be a list."),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_broken_kubeconfig_is_one_sentence(tmp_path: Path, case: str) -> None:
    content, expected = BAD[case]
    path = tmp_path / "config"
    path.write_bytes(content)
    with pytest.raises(UsageError) as caught:
        read_kubeconfig(path)
    assert caught.value.message == f"Kubeconfig {path} {expected}".replace(
        f"{path} '", f"{path}: '"
    )


def test_a_directory_is_named_as_one(tmp_path: Path) -> None:
    with pytest.raises(
        UsageError, match=r"is not a regular file \(it is a directory\); platformctl reads"
    ):
        read_kubeconfig(tmp_path)


def test_relative_paths_are_read_from_the_kubeconfigs_directory(tmp_path: Path) -> None:
    doc = {
        "clusters": [{"name": "c", "cluster": {"certificate-authority": "ca.crt", "server": "x"}}],
        "users": [{"name": "u", "user": {"client-key": "/abs/k", "client-certificate": "c.crt"}}],
    }
    fixed = with_absolute_paths(doc, tmp_path)
    assert fixed["clusters"][0]["cluster"]["certificate-authority"] == str(tmp_path / "ca.crt")
    assert fixed["users"][0]["user"] == {
        "client-key": "/abs/k",
        "client-certificate": str(tmp_path / "c.crt"),
    }


@pytest.mark.parametrize(
    "args",
    [
        ("train", "list"),
        ("train", "status", "ddp"),
        ("train", "logs", "ddp"),
        ("train", "submit", "EXAMPLE"),
    ],
)
@pytest.mark.parametrize("case", ["not YAML", "not UTF-8", "a list"])
def test_training_commands_refuse_a_broken_kubeconfig_with_exit_2(
    repo: Path, cli: Cli, tmp_path: Path, args: tuple[str, ...], case: str
) -> None:
    from tests.conftest import REPO

    path = tmp_path / "kubeconfig"
    path.write_bytes(BAD[case][0])
    words = [str(REPO / "examples/pytorch-ddp") if a == "EXAMPLE" else a for a in args]
    result = cli(*words, "--org", "KubeOrg", "--env", "sandbox", "--kubeconfig", str(path))
    assert result.code == 2, result.err
    assert result.error == f"Kubeconfig {path} {BAD[case][1]}"
