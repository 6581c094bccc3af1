"""The workloads that show each in-cluster platform component is healthy.

One table serves two readers: the post-install gates of the mesh stage wait for every
enabled component's workloads to roll out (`kubectl rollout status` rules), and `status`
reports the same workloads once, without waiting. A component is enabled by the
environment's features, as the units' inputs are rendered from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from platformctl.errors import OperationError
from platformctl.model.config import Environment
from platformctl.postinstall.context import StepContext, StepResult
from platformctl.postinstall.readiness import (
    daemonset_waiting,
    deployment_waiting,
    wait_daemonset,
    wait_deployment,
)

if TYPE_CHECKING:
    from platformctl.cluster.kube import Kube

Kind = Literal["deployment", "daemonset"]
DEFAULT_STORAGE_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


@dataclass(frozen=True)
class Workload:
    kind: Kind
    namespace: str
    name: str

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass(frozen=True)
class Component:
    name: str
    stage: str
    workloads: tuple[Workload, ...]
    # What turns it on (Environment.switched_on): "" always, "dns", or a feature name.
    switch: str = ""

    def enabled(self, env: Environment) -> bool:
        return env.switched_on(self.switch)


def _deploy(namespace: str, *names: str) -> tuple[Workload, ...]:
    return tuple(Workload("deployment", namespace, n) for n in names)


COMPONENTS: tuple[Component, ...] = (
    Component(
        "aws-load-balancer-controller",
        "mesh",
        _deploy("kube-system", "aws-load-balancer-controller"),
    ),
    # The EBS CSI driver is an EKS add-on (eks unit) or, without add-ons, the mesh unit's
    # chart: either way these are its workloads.
    Component(
        "ebs-csi-driver",
        "mesh",
        (
            Workload("deployment", "kube-system", "ebs-csi-controller"),
            Workload("daemonset", "kube-system", "ebs-csi-node"),
        ),
    ),
    Component(
        "efs-csi-driver",
        "mesh",
        (
            Workload("deployment", "kube-system", "efs-csi-controller"),
            Workload("daemonset", "kube-system", "efs-csi-node"),
        ),
        "efs",
    ),
    Component(
        "cert-manager",
        "mesh",
        _deploy("cert-manager", "cert-manager", "cert-manager-webhook", "cert-manager-cainjector"),
        "cert_manager",
    ),
    Component(
        "external-dns",
        "mesh",
        _deploy("external-dns", "external-dns"),
        "dns",
    ),
    Component(
        "cluster-autoscaler",
        "mesh",
        _deploy("kube-system", "cluster-autoscaler"),
        "cluster_autoscaler",
    ),
    Component("istiod", "mesh", _deploy("istio-system", "istiod")),
    Component("ztunnel", "mesh", (Workload("daemonset", "istio-system", "ztunnel"),)),
    Component(
        "prometheus",
        "mesh",
        _deploy("istio-system", "prometheus-server"),
        "prometheus",
    ),
    Component("kiali", "mesh", _deploy("istio-system", "kiali"), "kiali"),
    Component("training-operator", "kubeflow", _deploy("kubeflow", "training-operator")),
    Component(
        "gpu-operator",
        "kubeflow",
        _deploy("gpu-operator", "gpu-operator"),
        "gpu_operator",
    ),
)


def enabled(env: Environment, stage: str | None = None) -> tuple[Component, ...]:
    return tuple(c for c in COMPONENTS if c.enabled(env) and (stage is None or c.stage == stage))


def by_name(name: str) -> Component:
    for component in COMPONENTS:
        if component.name == name:
            return component
    raise KeyError(name)


# ----------------------------------------------------------------- gates (waiting)


def gate(name: str) -> Callable[[StepContext], StepResult]:
    """A post-install step that waits for every workload of component `name`."""
    component = by_name(name)

    def run(ctx: StepContext) -> StepResult:
        if not component.enabled(ctx.env):
            return StepResult(
                component.stage, f"{name}-ready", True, "skipped", f"{name} is off here"
            )
        ready = []
        for w in component.workloads:
            if w.kind == "deployment":
                d = wait_deployment(ctx, w.namespace, w.name, component.stage)
                ready.append(f"{w.ref} {d.available_replicas}/{d.replicas}")
            else:
                ds = wait_daemonset(ctx, w.namespace, w.name, component.stage)
                ready.append(f"{w.ref} {ds.available}/{ds.desired} nodes")
        return StepResult(
            component.stage,
            f"{name}-ready",
            True,
            "checked",
            f"{name} ready: " + ", ".join(ready),
        )

    return run


def default_storage_class(ctx: StepContext) -> StepResult:
    """The cluster's default StorageClass is the encrypted gp3 class of the mesh unit."""
    kube = ctx.kube()
    classes = kube.list_raw("/apis/storage.k8s.io/v1/storageclasses")
    defaults = [
        c
        for c in classes
        if (c.get("metadata", {}).get("annotations") or {}).get(DEFAULT_STORAGE_CLASS_ANNOTATION)
        == "true"
    ]
    names = [str(c.get("metadata", {}).get("name")) for c in defaults]
    if len(defaults) != 1:
        raise OperationError(
            f"The cluster at {kube.server} has {len(defaults)} default StorageClasses "
            f"({', '.join(names) or 'none'}); PersistentVolumeClaims without a class need exactly one."
        )
    only = defaults[0]
    params = only.get("parameters") or {}
    if only.get("provisioner") != "ebs.csi.aws.com" or params.get("encrypted") != "true":
        raise OperationError(
            f"The default StorageClass {names[0]} is not an encrypted EBS CSI class "
            f"(provisioner {only.get('provisioner')}, encrypted={params.get('encrypted')})."
        )
    return StepResult(
        "mesh",
        "default-storage-class",
        True,
        "checked",
        f"default StorageClass {names[0]}: {params.get('type', '?')}, encrypted, ebs.csi.aws.com",
    )


# ------------------------------------------------------------- status (one look)


@dataclass(frozen=True)
class WorkloadHealth:
    workload: Workload
    ready: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.workload.kind,
            "namespace": self.workload.namespace,
            "name": self.workload.name,
            "ready": self.ready,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class ComponentHealth:
    component: Component
    workloads: tuple[WorkloadHealth, ...]

    @property
    def ready(self) -> bool:
        return all(w.ready for w in self.workloads)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.component.name,
            "stage": self.component.stage,
            "ready": self.ready,
            "workloads": [w.to_json() for w in self.workloads],
        }


def health(kube: Kube, env: Environment) -> tuple[ComponentHealth, ...]:
    """Every enabled component's workloads as they are now (no waiting)."""
    result = []
    for component in enabled(env):
        checks = []
        for w in component.workloads:
            if w.kind == "deployment":
                d = kube.deployment(w.namespace, w.name)
                if d is None:
                    checks.append(WorkloadHealth(w, False, "not installed"))
                    continue
                why = deployment_waiting(d)
                detail = why or f"{d.available_replicas}/{d.replicas} available"
            else:
                ds = kube.daemonset(w.namespace, w.name)
                if ds is None:
                    checks.append(WorkloadHealth(w, False, "not installed"))
                    continue
                why = daemonset_waiting(ds)
                detail = why or f"{ds.available}/{ds.desired} nodes"
            checks.append(WorkloadHealth(w, why is None, detail))
        result.append(ComponentHealth(component, tuple(checks)))
    return tuple(result)
