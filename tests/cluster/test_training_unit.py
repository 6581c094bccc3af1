"""The PyTorchJob object: 1 master + N workers, GPU scheduling, validation (no cluster)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from platformctl.cli import app
from platformctl.cluster import training
from platformctl.errors import UsageError
from platformctl.model.config import load_platform
from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "pytorch-ddp"


def load_example_submit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_submit", EXAMPLE / "submit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _env(name: str = "dev"):  # type: ignore[no-untyped-def]
    return load_platform(REPO).get(name)


def test_gpu_job_has_master_workers_gpus_toleration_and_node_selector() -> None:
    spec = training.job_spec_for(_env(), "ddp", workers=3, gpus=2, code_configmap="ddp-code")
    doc = training.to_dict(training.build_pytorchjob(spec))
    replicas = doc["spec"]["pytorchReplicaSpecs"]
    assert replicas["Master"]["replicas"] == 1
    assert replicas["Worker"]["replicas"] == 3
    pod = replicas["Worker"]["template"]["spec"]
    assert pod["containers"][0]["name"] == "pytorch"
    assert pod["containers"][0]["resources"]["limits"] == {"nvidia.com/gpu": "2"}
    assert pod["nodeSelector"] == {"platformctl.io/pool": "gpu"}
    assert pod["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]
    assert pod["volumes"][0]["configMap"]["name"] == "ddp-code"
    assert doc["apiVersion"] == "kubeflow.org/v1" and doc["kind"] == "PyTorchJob"


def test_cpu_job_has_no_gpu_scheduling_and_image_command_are_parameters() -> None:
    spec = training.job_spec_for(
        _env(), "cpu-run", workers=0, image="example.com/torch:1", command=("torchrun", "x.py")
    )
    doc = training.to_dict(training.build_pytorchjob(spec))
    assert set(doc["spec"]["pytorchReplicaSpecs"]) == {"Master"}
    pod = doc["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]
    assert "nodeSelector" not in pod and "tolerations" not in pod
    assert pod["containers"][0]["image"] == "example.com/torch:1"
    assert pod["containers"][0]["command"] == ["torchrun", "x.py"]


def test_platformctl_and_the_example_script_build_the_same_job() -> None:
    submit = load_example_submit()
    spec = training.job_spec_for(
        _env(), "same", workers=2, gpus=1, args=("--epochs", "3"), code_configmap="same-code"
    )
    ours = training.to_dict(training.build_pytorchjob(spec))
    theirs = training.to_dict(
        submit.build_job(
            "same", workers=2, gpus=1, args=["--epochs", "3"], code_configmap="same-code"
        )
    )
    ours["metadata"].pop("labels")
    assert ours == theirs


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [({"name": "Bad_Name"}, "--name"), ({"workers": -1}, "--workers"), ({"gpus": -2}, "--gpus")],
)
def test_invalid_job_parameters_name_the_flag(kwargs: dict[str, object], flag: str) -> None:
    args: dict[str, object] = {"name": "ok"} | kwargs
    with pytest.raises(UsageError, match=flag):
        training.job_spec_for(_env(), **args)  # type: ignore[arg-type]


def test_example_directory_must_hold_train_py(tmp_path: Path) -> None:
    assert "DistributedDataParallel" in training.read_code(EXAMPLE)["train.py"]
    with pytest.raises(UsageError, match=r"has no train\.py"):
        training.read_code(tmp_path)
    with pytest.raises(UsageError, match="is not a directory"):
        training.read_code(tmp_path / "nope")


def test_notebook_is_valid_and_uses_the_training_client() -> None:
    nb = json.loads((EXAMPLE / "pytorch-ddp.ipynb").read_text())
    assert nb["nbformat"] == 4
    source = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for call in (
        "TrainingClient(",
        "create_job(",
        "get_job_logs(",
        "wait_for_job_conditions(",
        "delete_job(",
    ):
        assert call in source
    compile(source, "notebook", "exec")


def test_cli_dry_run_prints_the_job_and_needs_no_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORMCTL_ROOT", str(REPO))
    result = CliRunner().invoke(
        app,
        [
            "train",
            "submit",
            str(EXAMPLE),
            "--org",
            "ExampleOrg",
            "--env",
            "dev",
            "--workers",
            "2",
            "--gpus",
            "1",
            "--dry-run",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["metadata"]["name"] == "pytorch-ddp"
    assert doc["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] == 2


def test_cli_gpus_without_a_gpu_node_group_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (REPO / "platform.toml").read_text()
    cut = text.index("[environments.node_groups.gpu]")
    end = text.index("[environments.features]", cut)
    (tmp_path / "platform.toml").write_text(text[:cut] + text[end:])
    from platformctl.cli.errors import run_app

    monkeypatch.setenv("PLATFORMCTL_ROOT", str(tmp_path))
    code = run_app(
        app,
        [
            "train",
            "submit",
            str(EXAMPLE),
            "--org",
            "ExampleOrg",
            "--env",
            "dev",
            "--gpus",
            "1",
            "--dry-run",
        ],
    )
    assert code == 2
