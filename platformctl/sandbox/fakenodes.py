"""The sandbox's fake nodes: one Node object per member of the sandbox environment's node
groups, for kwok to play (GPU groups advertise nvidia.com/gpu and keep their taint)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from platformctl.report import Reporter

if TYPE_CHECKING:
    from platformctl.model.config import Environment

# kwok manages exactly the nodes carrying this annotation (ours), never any other node.
KWOK_ANNOTATION = "kwok.x-k8s.io/node"
GPU_RESOURCE = "nvidia.com/gpu"

# cpu and memory of the instance types the node groups name (others get DEFAULT_SIZE).
INSTANCE_SIZES: dict[str, tuple[str, str]] = {
    "t3.medium": ("2", "4Gi"),
    "t3.large": ("2", "8Gi"),
    "t3.xlarge": ("4", "16Gi"),
    "m5.large": ("2", "8Gi"),
    "m5.xlarge": ("4", "16Gi"),
    "g4dn.xlarge": ("4", "16Gi"),
    "g4dn.2xlarge": ("8", "32Gi"),
    "g5.xlarge": ("4", "16Gi"),
}
DEFAULT_SIZE = ("4", "16Gi")
MAX_PODS = "110"
_EFFECTS = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}


@dataclass(frozen=True)
class FakeNode:
    """One node kwok plays: a member of a node group of the sandbox environment."""

    name: str
    group: str
    labels: Mapping[str, str]
    taints: tuple[tuple[str, str, str], ...]  # key, value, effect (Kubernetes spelling)
    resources: Mapping[str, str]  # capacity = allocatable

    @property
    def gpus(self) -> int:
        return int(self.resources.get(GPU_RESOURCE, "0"))


def _is_gpu_group(labels: Mapping[str, str], taint_keys: Sequence[str], role: str) -> bool:
    return (
        labels.get("nvidia.com/gpu.present") == "true"
        or GPU_RESOURCE in taint_keys
        or role == "gpu"
    )


def fake_nodes(env: Environment) -> tuple[FakeNode, ...]:
    """desired_size nodes (at least one) per node group: sandbox-<group>-<i>, with the
    group's labels and taints; GPU groups advertise one nvidia.com/gpu per node."""
    nodes: list[FakeNode] = []
    for group in env.node_groups:
        labels = dict(group.labels)
        taints = tuple((t.key, t.value, _EFFECTS.get(t.effect, t.effect)) for t in group.taints)
        gpu = _is_gpu_group(labels, [t[0] for t in taints], group.role)
        instance = group.instance_types[0] if group.instance_types else ""
        cpu, memory = INSTANCE_SIZES.get(instance, DEFAULT_SIZE)
        resources = {"cpu": cpu, "memory": memory, "pods": MAX_PODS}
        if gpu:
            resources[GPU_RESOURCE] = "1"
        for i in range(max(1, group.desired_size)):
            name = f"sandbox-{group.role}-{i}"
            node_labels = {
                **labels,
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": instance or "fake",
                "type": "kwok",
            }
            nodes.append(FakeNode(name, group.role, node_labels, taints, dict(resources)))
    return tuple(nodes)


def sandbox_environment(root: Path) -> Environment | None:
    """The environment of platform.toml marked `sandbox = true` (None if there is none)."""
    from platformctl.errors import UsageError
    from platformctl.model.config import load_platform

    try:
        platform = load_platform(root)
    except UsageError:
        return None
    return next((e for e in platform.environments if e.sandbox), None)


def ensure_fake_nodes(
    kubeconfig: Path, nodes: Sequence[FakeNode], reporter: Reporter
) -> tuple[str, ...]:
    """Create the fake nodes that do not exist yet (idempotent); returns every node name."""
    from platformctl.cluster.kube import Kube

    with Kube(kubeconfig) as kube:
        for node in nodes:
            created = kube.ensure_node(
                node.name,
                labels=node.labels,
                annotations={KWOK_ANNOTATION: "fake"},
                taints=node.taints,
                resources=node.resources,
            )
            if created:
                gpus = f", {node.gpus} {GPU_RESOURCE}" if node.gpus else ""
                reporter.step(f"control plane: fake node {node.name} (group {node.group}{gpus})")
    return tuple(n.name for n in nodes)
