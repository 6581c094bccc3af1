"""The example's PyTorchJob through kubeflow-training's TrainingClient, on a real API server."""

from __future__ import annotations

import time
from typing import Any

import pytest

from platformctl.cluster import training
from platformctl.errors import OperationError
from platformctl.model.config import load_platform
from platformctl.report import SilentReporter
from tests.cluster.test_training_unit import EXAMPLE, load_example_submit
from tests.conftest import REPO
from tests.fixtures.controlplane import ControlPlane, load_crd_manifest

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def pytorchjob_crd(api: Any) -> str:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    ext = client.ApiextensionsV1Api(api)
    try:
        ext.create_custom_resource_definition(load_crd_manifest())
    except ApiException as exc:
        if exc.status != 409:
            raise
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        crd = ext.read_custom_resource_definition("pytorchjobs.kubeflow.org")
        if any(c.type == "Established" and c.status == "True" for c in crd.status.conditions or []):
            return "pytorchjobs.kubeflow.org"
        time.sleep(0.2)
    raise AssertionError("the PyTorchJob CRD was not Established in 30 s")


def test_example_job_is_created_listed_and_deleted_with_the_training_client(
    control_plane: ControlPlane, pytorchjob_crd: str, namespace: str
) -> None:
    from kubeflow.training import TrainingClient

    submit = load_example_submit()
    tc = TrainingClient(config_file=str(control_plane.kubeconfig), namespace=namespace)
    job = submit.build_job("ddp-example", namespace, workers=2, gpus=1)
    tc.create_job(job=job)
    listed = tc.list_jobs()
    assert [j.metadata.name for j in listed] == ["ddp-example"]
    got = tc.get_job("ddp-example")
    assert got.spec.pytorch_replica_specs["Worker"].replicas == 2
    worker = got.spec.pytorch_replica_specs["Worker"].template.spec
    assert worker.containers[0].resources.limits == {"nvidia.com/gpu": "1"}
    assert worker.node_selector == {"platformctl.io/pool": "gpu"}
    assert worker.tolerations[0].key == "nvidia.com/gpu"
    tc.delete_job("ddp-example")
    assert tc.list_jobs() == []


def test_platformctl_submit_status_list_and_delete(
    control_plane: ControlPlane, pytorchjob_crd: str, namespace: str, api: Any
) -> None:
    from kubernetes import client

    env = load_platform(REPO).get("sandbox")
    spec = training.job_spec_for(
        env, "ddp", namespace=namespace, workers=1, gpus=1, code_configmap="ddp-code"
    )
    st = training.submit(
        control_plane.kubeconfig, spec, training.read_code(EXAMPLE), SilentReporter()
    )
    assert (st.name, st.namespace, st.phase) == ("ddp", namespace, "Pending")
    cm = client.CoreV1Api(api).read_namespaced_config_map("ddp-code", namespace)
    assert "DistributedDataParallel" in cm.data["train.py"]
    assert cm.metadata.owner_references[0].kind == "PyTorchJob"
    assert [j.name for j in training.list_jobs(control_plane.kubeconfig, namespace)] == ["ddp"]
    assert training.status(control_plane.kubeconfig, "ddp", namespace).phase == "Pending"
    with pytest.raises(OperationError, match="already exists"):
        training.submit(control_plane.kubeconfig, spec, {}, SilentReporter())
    training.delete(control_plane.kubeconfig, "ddp", namespace)
    with pytest.raises(OperationError, match=f"PyTorchJob {namespace}/ddp does not exist"):
        training.status(control_plane.kubeconfig, "ddp", namespace)
