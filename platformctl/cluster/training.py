"""Distributed PyTorch training jobs through the Kubeflow Training SDK (TrainingClient).

A job is one master and N workers (a PyTorchJob). The example directory's `train.py` is
shipped to the pods in a ConfigMap owned by the job (so deleting the job removes it) and
run with a stock PyTorch image; with --gpus the pods request nvidia.com/gpu, tolerate the
GPU node group's taint and select its nodes by label (both read from platform.toml).
"""

from __future__ import annotations

import math
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformctl.errors import OperationError, UsageError, quote
from platformctl.model import validate
from platformctl.model.config import Environment
from platformctl.report import Reporter

DEFAULT_IMAGE = "docker.io/pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime"
SCRIPT = "train.py"
WORKSPACE = "/workspace/code"
DEFAULT_NAMESPACE = "default"
CONTAINER = "pytorch"  # the container name the Training Operator looks for
GPU_RESOURCE = "nvidia.com/gpu"
_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$")
MAX_WORKERS = 256
MAX_GPUS_PER_POD = 16  # the most any EC2 GPU instance has
MAX_EPOCHS = 1_000_000
MAX_TIMEOUT_S = 7 * 24 * 3600
# A ConfigMap's data (keys and values together) holds at most 1 MiB.
CONFIGMAP_LIMIT = 1024 * 1024
_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute",
            "PREFER_NO_SCHEDULE": "PreferNoSchedule"}  # fmt: skip


@dataclass(frozen=True)
class Toleration:
    key: str
    operator: str
    effect: str
    value: str | None = None


@dataclass(frozen=True)
class JobSpec:
    """Everything that defines one PyTorchJob (1 master + `workers` workers)."""

    name: str
    namespace: str = DEFAULT_NAMESPACE
    image: str = DEFAULT_IMAGE
    command: tuple[str, ...] = ("python", f"{WORKSPACE}/{SCRIPT}")
    args: tuple[str, ...] = ()
    workers: int = 1
    gpus: int = 0  # per pod
    cpu: str | None = None
    memory: str | None = None
    node_selector: tuple[tuple[str, str], ...] = ()
    tolerations: tuple[Toleration, ...] = ()
    code_configmap: str | None = None  # mounted at WORKSPACE when set
    env: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()

    def validate(self) -> None:
        check_job_name(self.name, "--name")
        check_namespace(self.namespace)
        if not 0 <= self.workers <= MAX_WORKERS:
            raise UsageError(
                f"--workers {self.workers} must be between 0 and {MAX_WORKERS} (the master is extra)."
            )
        if not 0 <= self.gpus <= MAX_GPUS_PER_POD:
            raise UsageError(
                f"--gpus {self.gpus} must be between 0 and {MAX_GPUS_PER_POD} (GPUs per pod)."
            )
        if not validate.image_reference(self.image):
            raise UsageError(
                f"--image {quote(self.image)} is not a container image reference such as "
                "docker.io/pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime."
            )
        if not self.command:
            raise UsageError("the job needs a command.")


def check_job_name(name: str, source: str, fix: str = "use") -> None:
    """UsageError unless `name` can name a PyTorchJob (`source` says where it came from)."""
    if not _NAME_RE.fullmatch(name):
        raise UsageError(
            f"{source} {quote(name)} is not a valid job name: {fix} at most 42 characters of "
            "a-z, 0-9 and '-', starting and ending with a letter or digit (pod names are derived "
            "from it)."
        )


def check_namespace(namespace: str) -> None:
    if not validate.dns_label(namespace):
        raise UsageError(
            f"--namespace {quote(namespace)} is not a Kubernetes namespace name (1-63 characters "
            "of a-z, 0-9 and '-', starting and ending with a letter or digit)."
        )


def check_run_options(*, epochs: int, timeout: float) -> None:
    """The options of `train submit` that are not part of the job itself."""
    if not 1 <= epochs <= MAX_EPOCHS:
        raise UsageError(f"--epochs {epochs} must be between 1 and {MAX_EPOCHS}.")
    if not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT_S):
        raise UsageError(
            f"--timeout {quote(timeout)} must be a number of seconds above 0 and at most "
            f"{MAX_TIMEOUT_S} (7 days)."
        )


def gpu_scheduling(env: Environment) -> tuple[tuple[tuple[str, str], ...], tuple[Toleration, ...]]:
    """Node selector and tolerations that put pods on the environment's GPU node group."""
    for group in env.node_groups:
        if group.role != "gpu":
            continue
        labels = dict(group.labels)
        selector = (
            (("platformctl.io/pool", labels["platformctl.io/pool"]),)
            if "platformctl.io/pool" in labels
            else tuple(sorted(labels.items()))
        )
        tolerations = tuple(
            Toleration(t.key, "Equal", _EFFECTS.get(t.effect, t.effect), t.value)
            for t in group.taints
        )
        if not any(t.key == GPU_RESOURCE for t in tolerations):
            tolerations += (Toleration(GPU_RESOURCE, "Exists", "NoSchedule"),)
        return selector, tolerations
    raise UsageError(
        f"environment '{env.name}' has no gpu node group in platform.toml; run with --gpus 0."
    )


def job_spec_for(
    env: Environment,
    name: str,
    *,
    namespace: str = DEFAULT_NAMESPACE,
    image: str = DEFAULT_IMAGE,
    workers: int = 1,
    gpus: int = 0,
    args: tuple[str, ...] = (),
    command: tuple[str, ...] | None = None,
    code_configmap: str | None = None,
) -> JobSpec:
    """A JobSpec for an environment: GPU scheduling comes from its gpu node group."""
    selector: tuple[tuple[str, str], ...] = ()
    tolerations: tuple[Toleration, ...] = ()
    if gpus > 0:
        selector, tolerations = gpu_scheduling(env)
    spec = JobSpec(
        name=name,
        namespace=namespace,
        image=image,
        command=command or JobSpec.command,
        args=args,
        workers=workers,
        gpus=gpus,
        node_selector=selector,
        tolerations=tolerations,
        code_configmap=code_configmap,
        labels=(("app.kubernetes.io/managed-by", "platformctl"),),
    )
    spec.validate()
    return spec


def build_pytorchjob(spec: JobSpec) -> Any:
    """The KubeflowOrgV1PyTorchJob object for `spec` (kubeflow-training models)."""
    from kubeflow.training import models
    from kubeflow.training.constants import constants

    limits: dict[str, str] = {}
    requests: dict[str, str] = {}
    if spec.gpus:
        limits[GPU_RESOURCE] = str(spec.gpus)
    if spec.cpu:
        requests["cpu"] = limits["cpu"] = spec.cpu
    if spec.memory:
        requests["memory"] = limits["memory"] = spec.memory
    mounts = []
    volumes = []
    if spec.code_configmap:
        mounts.append(models.V1VolumeMount(name="code", mount_path=WORKSPACE, read_only=True))
        volumes.append(
            models.V1Volume(
                name="code", config_map=models.V1ConfigMapVolumeSource(name=spec.code_configmap)
            )
        )
    container = models.V1Container(
        name=CONTAINER,
        image=spec.image,
        command=list(spec.command),
        args=list(spec.args) or None,
        env=[models.V1EnvVar(name=k, value=v) for k, v in spec.env] or None,
        resources=models.V1ResourceRequirements(limits=limits or None, requests=requests or None),
        volume_mounts=mounts or None,
    )
    pod = models.V1PodTemplateSpec(
        metadata=models.V1ObjectMeta(
            # Training pods talk to each other directly; keep them out of sidecar injection.
            annotations={constants.ISTIO_SIDECAR_INJECTION: "false"},
        ),
        spec=models.V1PodSpec(
            containers=[container],
            restart_policy=None,
            node_selector=dict(spec.node_selector) or None,
            tolerations=[
                models.V1Toleration(key=t.key, operator=t.operator, value=t.value, effect=t.effect)
                for t in spec.tolerations
            ]
            or None,
            volumes=volumes or None,
        ),
    )
    replicas = {
        constants.REPLICA_TYPE_MASTER: models.KubeflowOrgV1ReplicaSpec(
            replicas=1, restart_policy="OnFailure", template=pod
        )
    }
    if spec.workers > 0:
        replicas[constants.REPLICA_TYPE_WORKER] = models.KubeflowOrgV1ReplicaSpec(
            replicas=spec.workers, restart_policy="OnFailure", template=pod
        )
    return models.KubeflowOrgV1PyTorchJob(
        api_version=constants.API_VERSION,
        kind=constants.PYTORCHJOB_KIND,
        metadata=models.V1ObjectMeta(
            name=spec.name, namespace=spec.namespace, labels=dict(spec.labels) or None
        ),
        spec=models.KubeflowOrgV1PyTorchJobSpec(
            run_policy=models.KubeflowOrgV1RunPolicy(clean_pod_policy="None"),
            pytorch_replica_specs=replicas,
        ),
    )


def to_dict(job: Any) -> dict[str, Any]:
    """The job as the JSON the API server receives."""
    from kubeflow.training.api_client import ApiClient

    result: dict[str, Any] = ApiClient().sanitize_for_serialization(job)
    return result


# --- talking to the cluster -----------------------------------------------------------


def training_client(kubeconfig: Path, namespace: str, context: str | None = None) -> Any:
    """A TrainingClient for the cluster of `kubeconfig` (no global configuration touched)."""
    from kubeflow.training import TrainingClient

    from platformctl.cluster.kube import client_configuration

    check_namespace(namespace)
    configuration = client_configuration(kubeconfig, context)
    return TrainingClient(client_configuration=configuration, namespace=namespace)


def _sdk_error(action: str, spec_ref: str, exc: Exception) -> OperationError:
    text = str(exc)
    if "AlreadyExists" in text or "already exists" in text:
        return OperationError(
            f"PyTorchJob {spec_ref} already exists; pick another --name or run "
            "`platformctl train delete` first."
        )
    if ("(404)" in text and "pytorchjobs" in text.lower()) or "could not find" in text:
        return OperationError(
            f"Could not {action} PyTorchJob {spec_ref}: the cluster does not serve "
            "pytorchjobs.kubeflow.org (not found).",
            hint="is the Training Operator installed? `platformctl post-install kubeflow` tells.",
        )
    return OperationError(f"Could not {action} PyTorchJob {spec_ref}: {root_cause(exc)}.")


def root_cause(exc: BaseException) -> str:
    """The reason at the bottom of an SDK error ("connection refused", "HTTP 403 Forbidden"),
    not the SDK's own "Failed to get PyTorchJob" wrapper."""
    import re

    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for link in reversed(chain):
        text = str(link)
        errno = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
        if errno:
            return errno.group(1).strip().rstrip(".").lower()
        status = getattr(link, "status", None)
        if isinstance(status, int) and status >= 400:
            return f"HTTP {status} {getattr(link, 'reason', '') or ''}".strip()
    text = str(chain[-1]).strip()
    first = text.splitlines()[0] if text else type(chain[-1]).__name__
    return first.rstrip(".")


@dataclass(frozen=True)
class JobStatus:
    name: str
    namespace: str
    phase: str  # the latest true condition, or "Pending" before the operator reports
    conditions: tuple[tuple[str, str, str], ...] = ()  # (type, status, message)
    replicas: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "namespace": self.namespace,
            "phase": self.phase,
            "conditions": [{"type": t, "status": s, "message": m} for t, s, m in self.conditions],
            "replicas": self.replicas,
        }


def _status_of(job: Any) -> JobStatus:
    status = job.status
    conditions = tuple(
        (c.type, c.status, c.message or "") for c in ((status.conditions if status else None) or ())
    )
    true = [t for t, s, _ in conditions if s == "True"]
    replicas = {
        kind: {
            "active": int(r.active or 0),
            "succeeded": int(r.succeeded or 0),
            "failed": int(r.failed or 0),
        }
        for kind, r in ((status.replica_statuses if status else None) or {}).items()
    }
    return JobStatus(
        job.metadata.name,
        job.metadata.namespace,
        true[-1] if true else "Pending",
        conditions,
        replicas,
    )


def read_code(example: Path) -> dict[str, str]:
    """The files shipped to the pods: the example's train.py (required)."""
    script = example / SCRIPT
    if not example.is_dir():
        raise UsageError(
            f"{example} is not a directory; pass an example such as examples/pytorch-ddp."
        )
    try:
        info = script.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UsageError(f"Cannot read {script}: {exc.strerror}.") from exc
    if info is None or not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{example} has no {SCRIPT}; an example directory must contain one.")
    limit = CONFIGMAP_LIMIT - len(SCRIPT)
    if info.st_size > limit:
        raise UsageError(
            f"{script} is {info.st_size} bytes; it is shipped in a ConfigMap, which holds at "
            f"most 1 MiB, so it must stay within {limit} bytes."
        )
    try:
        return {SCRIPT: script.read_bytes().decode("utf-8")}
    except OSError as exc:
        raise UsageError(f"Cannot read {script}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{script} is not UTF-8 text (byte {exc.start}); a ConfigMap holds text."
        ) from exc


def submit(
    kubeconfig: Path,
    spec: JobSpec,
    code: Mapping[str, str],
    reporter: Reporter,
    *,
    context: str | None = None,
) -> JobStatus:
    """Create the PyTorchJob, then its code ConfigMap (owned by the job)."""
    from platformctl.cluster.kube import Kube

    spec.validate()
    ref = f"{spec.namespace}/{spec.name}"
    client = training_client(kubeconfig, spec.namespace, context)
    reporter.step(
        f"train: create PyTorchJob {ref} (1 master + {spec.workers} workers, "
        f"{spec.gpus} GPU per pod, image {spec.image})"
    )
    try:
        client.create_job(job=build_pytorchjob(spec), namespace=spec.namespace)
        created = client.get_job(spec.name, namespace=spec.namespace)
    except (RuntimeError, TimeoutError, ValueError) as exc:
        raise _sdk_error("create", ref, exc) from exc
    if spec.code_configmap:
        reporter.step(
            f"train: ConfigMap {spec.namespace}/{spec.code_configmap} with {', '.join(code)}"
        )
        owner = {
            "api_version": created.api_version,
            "kind": created.kind,
            "name": created.metadata.name,
            "uid": created.metadata.uid,
        }
        with Kube(kubeconfig, context) as kube:
            kube.apply_configmap(
                spec.namespace, spec.code_configmap, code, labels=dict(spec.labels), owner=owner
            )
    return _status_of(created)


def status(kubeconfig: Path, name: str, namespace: str, *, context: str | None = None) -> JobStatus:
    check_job_name(name, "Job")
    client = training_client(kubeconfig, namespace, context)
    try:
        return _status_of(client.get_job(name, namespace=namespace))
    except (RuntimeError, TimeoutError) as exc:
        if "404" in str(exc) or "Not Found" in str(exc):
            raise OperationError(f"PyTorchJob {namespace}/{name} does not exist.") from exc
        raise _sdk_error("read", f"{namespace}/{name}", exc) from exc


def list_jobs(
    kubeconfig: Path, namespace: str, *, context: str | None = None
) -> tuple[JobStatus, ...]:
    client = training_client(kubeconfig, namespace, context)
    try:
        return tuple(_status_of(j) for j in client.list_jobs(namespace=namespace))
    except (RuntimeError, TimeoutError) as exc:
        raise _sdk_error("list", f"in {namespace}", exc) from exc


def wait(
    kubeconfig: Path,
    name: str,
    namespace: str,
    *,
    timeout: float,
    on_status: Callable[[JobStatus], None] | None = None,
    context: str | None = None,
) -> JobStatus:
    """Wait until the job Succeeded; OperationError when it Failed or the time ran out."""
    client = training_client(kubeconfig, namespace, context)
    try:
        job = client.wait_for_job_conditions(
            name,
            namespace=namespace,
            wait_timeout=max(1, int(timeout)),
            polling_interval=min(5, max(1, int(timeout))),
            callback=(lambda j: on_status(_status_of(j))) if on_status else None,
        )
    except TimeoutError as exc:
        raise OperationError(
            f"PyTorchJob {namespace}/{name} did not succeed within {timeout:g} s."
        ) from exc
    except RuntimeError as exc:
        raise _sdk_error("wait for", f"{namespace}/{name}", exc) from exc
    return _status_of(job)


def logs(
    kubeconfig: Path,
    name: str,
    namespace: str,
    *,
    master_only: bool = True,
    follow: bool = False,
    context: str | None = None,
) -> dict[str, str]:
    """Logs of the job's pods (the master's by default), keyed by pod name."""
    check_job_name(name, "Job")
    client = training_client(kubeconfig, namespace, context)
    try:
        found, _events = client.get_job_logs(
            name, namespace=namespace, is_master=master_only, follow=follow
        )
    except (RuntimeError, TimeoutError, ValueError) as exc:
        raise _sdk_error("read logs of", f"{namespace}/{name}", exc) from exc
    return dict(found)


def delete(kubeconfig: Path, name: str, namespace: str, *, context: str | None = None) -> None:
    """Delete the job (its pods and code ConfigMap go with it)."""
    check_job_name(name, "Job")
    client = training_client(kubeconfig, namespace, context)
    try:
        client.delete_job(name, namespace=namespace)
    except (RuntimeError, TimeoutError) as exc:
        if "404" in str(exc) or "Not Found" in str(exc):
            raise OperationError(f"PyTorchJob {namespace}/{name} does not exist.") from exc
        raise _sdk_error("delete", f"{namespace}/{name}", exc) from exc
