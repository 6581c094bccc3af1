"""Objects the real tests arrange in the API server (with the kubernetes client)."""

from __future__ import annotations

from typing import Any

# A node selector no node matches: the Pods of such a Deployment stay Pending even with
# fake nodes.
NOWHERE = {"platformctl.io/pool": "none"}


def deployment(
    api: Any,
    namespace: str,
    name: str,
    replicas: int,
    node_selector: dict[str, str] | None = None,
) -> None:
    from kubernetes import client

    labels = {"app": name}
    body = client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name, namespace=namespace),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(
                    node_selector=node_selector,
                    containers=[client.V1Container(name="app", image="registry.invalid/app:1")],
                ),
            ),
        ),
    )
    client.AppsV1Api(api).create_namespaced_deployment(namespace, body)


def daemonset(api: Any, namespace: str, name: str, node_selector: dict[str, str]) -> None:
    from kubernetes import client

    labels = {"app": name}
    body = client.V1DaemonSet(
        metadata=client.V1ObjectMeta(name=name, namespace=namespace),
        spec=client.V1DaemonSetSpec(
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(
                    node_selector=node_selector,
                    tolerations=[client.V1Toleration(operator="Exists")],
                    containers=[client.V1Container(name="app", image="registry.invalid/app:1")],
                ),
            ),
        ),
    )
    client.AppsV1Api(api).create_namespaced_daemon_set(namespace, body)


def mark_deployment_ready(api: Any, namespace: str, name: str) -> None:
    """Without a controller manager, write the status a controller would (all replicas up)."""
    from kubernetes import client

    apps = client.AppsV1Api(api)
    dep = apps.read_namespaced_deployment(name, namespace)
    n = dep.spec.replicas or 0
    status = {
        "observedGeneration": dep.metadata.generation,
        "replicas": n,
        "updatedReplicas": n,
        "readyReplicas": n,
        "availableReplicas": n,
    }
    apps.patch_namespaced_deployment_status(name, namespace, {"status": status})


def mark_daemonset_ready(api: Any, namespace: str, name: str) -> None:
    from kubernetes import client

    apps = client.AppsV1Api(api)
    ds = apps.read_namespaced_daemon_set(name, namespace)
    status = {
        "observedGeneration": ds.metadata.generation,
        "desiredNumberScheduled": 0,
        "currentNumberScheduled": 0,
        "numberMisscheduled": 0,
        "numberReady": 0,
        "updatedNumberScheduled": 0,
        "numberAvailable": 0,
    }
    apps.patch_namespaced_daemon_set_status(name, namespace, {"status": status})


def ensure_namespace(api: Any, name: str) -> None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        client.CoreV1Api(api).create_namespace(
            client.V1Namespace(metadata=client.V1ObjectMeta(name=name))
        )
    except ApiException as exc:
        if exc.status != 409:
            raise


def delete_deployment(api: Any, namespace: str, name: str) -> None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        client.AppsV1Api(api).delete_namespaced_deployment(name, namespace)
    except ApiException as exc:
        if exc.status != 404:
            raise
