"""`train submit` validates every flag and the script before it talks to a cluster."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from platformctl.cli import app
from platformctl.cli.errors import run_app
from tests.conftest import REPO
from tests.fixtures.repo_cli import Cli

EXAMPLE = REPO / "examples" / "pytorch-ddp"


@pytest.fixture
def submit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> object:
    monkeypatch.setenv("PLATFORMCTL_ROOT", str(REPO))
    monkeypatch.setenv("COLUMNS", "400")
    # A kubeconfig that leads nowhere: validation must fail before it is ever read.
    nowhere = str(tmp_path / "no-kubeconfig")

    def invoke(*args: str, example: Path = EXAMPLE) -> tuple[int, str]:
        capsys.readouterr()
        code = run_app(
            app,
            [
                "train",
                "submit",
                str(example),
                "--org",
                "ExampleOrg",
                "--env",
                "dev",
                "--kubeconfig",
                nowhere,
                *args,
            ],
        )
        return code, capsys.readouterr().err

    return invoke


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--namespace", "Bad_NS"], "--namespace 'Bad_NS' is not a Kubernetes namespace"),
        (["--namespace", "n" * 64], "is not a Kubernetes namespace"),
        (["--namespace", ""], "is not a Kubernetes namespace"),
        (["--image", "not an image"], "--image 'not an image' is not a container image"),
        (["--image", "img\nx"], "is not a container image"),
        (["--image", ""], "is not a container image"),
        (["--gpus", "-1"], "--gpus -1 must be between 0 and 16"),
        (["--gpus", "1000"], "--gpus 1000 must be between 0 and 16"),
        (["--workers", "100000"], "--workers 100000 must be between 0 and 256"),
        (["--epochs", "0"], "--epochs 0 must be between 1"),
        (["--epochs", "-5"], "--epochs -5 must be between 1"),
        (["--timeout", "-1"], "--timeout -1.0 must be a number of seconds"),
        (["--timeout", "nan"], "--timeout nan must be"),
        (["--timeout", "inf"], "--timeout inf must be"),
        (["--timeout", "0"], "--timeout 0.0 must be"),
    ],
)
def test_bad_flags_are_exit_2_before_any_cluster_call(
    submit: object, args: list[str], needle: str
) -> None:
    """Defect 13: namespace, image, GPU count, epochs and timeout were not validated."""
    code, err = submit(*args)  # type: ignore[operator]
    assert code == 2, err
    assert needle in err
    assert "no-kubeconfig" not in err


def test_a_train_py_over_the_configmap_limit_is_refused(submit: object, tmp_path: Path) -> None:
    example = tmp_path / "big"
    example.mkdir()
    (example / "train.py").write_bytes(b"# " + b"x" * (2 * 1024 * 1024) + b"\n")
    code, err = submit(example=example)  # type: ignore[operator]
    assert code == 2 and "holds at most 1 MiB" in err


def test_a_train_py_just_under_the_limit_is_accepted(submit: object, tmp_path: Path) -> None:
    example = tmp_path / "fits"
    shutil.copytree(EXAMPLE, example)
    script = example / "train.py"
    script.write_bytes(b"#" * (1024 * 1024 - len("train.py") - 1) + b"\n")
    code, err = submit("--dry-run", example=example)  # type: ignore[operator]
    assert code == 0, err


def test_a_non_utf8_train_py_is_refused(submit: object, tmp_path: Path) -> None:
    example = tmp_path / "bytes"
    example.mkdir()
    (example / "train.py").write_bytes(b"print('\xff')\n")
    code, err = submit("--dry-run", example=example)  # type: ignore[operator]
    assert code == 2 and "is not UTF-8 text" in err


def _dead_kubeconfig(tmp_path: Path) -> Path:
    from tests.fixtures.servers import free_port

    path = tmp_path / "kubeconfig"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
        f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{free_port()}'}}}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
    )
    return path


@pytest.mark.parametrize("command", ["status", "logs", "delete"])
def test_job_commands_check_the_name_first(
    repo: Path, cli: Cli, tmp_path: Path, command: str
) -> None:
    result = cli(
        "train",
        command,
        "Bad_Name",
        "--org",
        "TrainOrg",
        "--kubeconfig",
        str(_dead_kubeconfig(tmp_path)),
    )
    assert result.code == 2, result.err
    assert result.error.startswith("Job 'Bad_Name' is not a valid job name")


@pytest.mark.parametrize("command", ["status", "logs", "delete"])
def test_an_unreachable_cluster_is_named_as_the_cause(
    repo: Path, cli: Cli, tmp_path: Path, command: str
) -> None:
    result = cli(
        "train",
        command,
        "ddp",
        "--org",
        "TrainOrg",
        "--kubeconfig",
        str(_dead_kubeconfig(tmp_path)),
    )
    assert result.code == 1, result.err
    assert result.error.endswith("PyTorchJob default/ddp: connection refused.")


def test_a_directory_name_that_cannot_name_a_job_says_so(
    repo: Path, cli: Cli, tmp_path: Path
) -> None:
    example = tmp_path / "My_Example"
    example.mkdir()
    (example / "train.py").write_text("print('hi')\n")
    result = cli("train", "submit", str(example), "--org", "TrainOrg", "--dry-run")
    assert result.code == 2
    assert result.error.startswith(
        "The directory name 'My_Example' is not a valid job name: pass --name"
    )
