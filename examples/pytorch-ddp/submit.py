"""Submit train.py as a Kubeflow PyTorchJob (1 master + N workers) with the Training SDK.

Standalone: needs only `kubeflow-training` (and its `kubernetes` dependency), so it runs
from a laptop or a Kubeflow notebook. train.py travels in a ConfigMap owned by the job;
the image only has to contain PyTorch.

    python submit.py --kubeconfig ~/.kube/config --workers 2 --gpus 1 --follow --delete
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kubeflow.training import TrainingClient, models
from kubeflow.training.constants import constants
from kubernetes import client, config

HERE = Path(__file__).resolve().parent
IMAGE = "docker.io/pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime"
WORKSPACE = "/workspace/code"
GPU = "nvidia.com/gpu"
# The GPU node group of platform.toml: its label and its taint.
GPU_NODE_SELECTOR = {"platformctl.io/pool": "gpu"}
GPU_TOLERATIONS = [
    models.V1Toleration(key=GPU, operator="Equal", value="true", effect="NoSchedule"),
]


def build_job(
    name: str,
    namespace: str = "default",
    *,
    image: str = IMAGE,
    command: list[str] | None = None,
    args: list[str] | None = None,
    workers: int = 1,
    gpus: int = 0,
    code_configmap: str | None = None,
) -> models.KubeflowOrgV1PyTorchJob:
    """A PyTorchJob with one master and `workers` workers, each asking for `gpus` GPUs."""
    resources = models.V1ResourceRequirements(limits={GPU: str(gpus)} if gpus else None)
    mounts, volumes = None, None
    if code_configmap:
        mounts = [models.V1VolumeMount(name="code", mount_path=WORKSPACE, read_only=True)]
        volumes = [
            models.V1Volume(
                name="code", config_map=models.V1ConfigMapVolumeSource(name=code_configmap)
            )
        ]
    pod = models.V1PodTemplateSpec(
        metadata=models.V1ObjectMeta(annotations={constants.ISTIO_SIDECAR_INJECTION: "false"}),
        spec=models.V1PodSpec(
            containers=[
                models.V1Container(
                    name=constants.PYTORCHJOB_CONTAINER,
                    image=image,
                    command=command or ["python", f"{WORKSPACE}/train.py"],
                    args=args or None,
                    resources=resources,
                    volume_mounts=mounts,
                )
            ],
            node_selector=dict(GPU_NODE_SELECTOR) if gpus else None,
            tolerations=list(GPU_TOLERATIONS) if gpus else None,
            volumes=volumes,
        ),
    )
    replicas = {
        constants.REPLICA_TYPE_MASTER: models.KubeflowOrgV1ReplicaSpec(
            replicas=1, restart_policy="OnFailure", template=pod
        )
    }
    if workers > 0:
        replicas[constants.REPLICA_TYPE_WORKER] = models.KubeflowOrgV1ReplicaSpec(
            replicas=workers, restart_policy="OnFailure", template=pod
        )
    return models.KubeflowOrgV1PyTorchJob(
        api_version=constants.API_VERSION,
        kind=constants.PYTORCHJOB_KIND,
        metadata=models.V1ObjectMeta(name=name, namespace=namespace),
        spec=models.KubeflowOrgV1PyTorchJobSpec(
            run_policy=models.KubeflowOrgV1RunPolicy(clean_pod_policy="None"),
            pytorch_replica_specs=replicas,
        ),
    )


def ship_code(
    api: client.ApiClient, job: models.KubeflowOrgV1PyTorchJob, name: str, uid: str
) -> None:
    """Create the ConfigMap with train.py, owned by the job (deleted with it)."""
    body = client.V1ConfigMap(
        metadata=client.V1ObjectMeta(
            name=name,
            namespace=job.metadata.namespace,
            owner_references=[
                client.V1OwnerReference(
                    api_version=constants.API_VERSION,
                    kind=constants.PYTORCHJOB_KIND,
                    name=job.metadata.name,
                    uid=uid,
                )
            ],
        ),
        data={"train.py": (HERE / "train.py").read_text(encoding="utf-8")},
    )
    client.CoreV1Api(api).create_namespaced_config_map(job.metadata.namespace, body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubeconfig", default=None)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--name", default="pytorch-ddp")
    parser.add_argument("--image", default=IMAGE)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--gpus", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument(
        "--follow", action="store_true", help="wait for the job and print the master's logs"
    )
    parser.add_argument("--delete", action="store_true", help="delete the job at the end")
    opts = parser.parse_args()

    configuration = client.Configuration()
    config.load_kube_config(config_file=opts.kubeconfig, client_configuration=configuration)
    training = TrainingClient(client_configuration=configuration, namespace=opts.namespace)
    code = f"{opts.name}-code"
    job = build_job(
        opts.name,
        opts.namespace,
        image=opts.image,
        workers=opts.workers,
        gpus=opts.gpus,
        args=["--epochs", str(opts.epochs)],
        code_configmap=code,
    )
    training.create_job(job=job)
    created = training.get_job(opts.name)
    ship_code(client.ApiClient(configuration), job, code, created.metadata.uid)
    print(f"created PyTorchJob {opts.namespace}/{opts.name}")
    try:
        if opts.follow:
            training.wait_for_job_conditions(
                opts.name, expected_conditions={"Running", "Succeeded"}
            )
            training.get_job_logs(opts.name, follow=True)
            training.wait_for_job_conditions(opts.name)
            print(f"conditions: {[c.type for c in training.get_job_conditions(opts.name)]}")
    finally:
        if opts.delete:
            training.delete_job(opts.name)
            print(f"deleted PyTorchJob {opts.namespace}/{opts.name}")


if __name__ == "__main__":
    main()
