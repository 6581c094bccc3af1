"""The only module that uses the kubernetes client.

It turns API objects into small frozen dataclasses, and API failures into platformctl
errors: an unreachable server or a refused request is an OperationError with one clear
sentence, never a traceback. The client is imported lazily (it costs ~300 ms).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformctl.errors import OperationError, UsageError

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
GPU_RESOURCE = "nvidia.com/gpu"


class KubeUnreachable(OperationError):
    """The API server could not be reached or refused our credentials."""


@dataclass(frozen=True)
class Condition:
    type: str
    status: str
    reason: str = ""
    message: str = ""


@dataclass(frozen=True)
class DeploymentState:
    namespace: str
    name: str
    generation: int
    observed_generation: int
    replicas: int  # spec.replicas
    status_replicas: int
    updated_replicas: int
    ready_replicas: int
    available_replicas: int
    conditions: tuple[Condition, ...] = ()
    restarted_at: str | None = None


@dataclass(frozen=True)
class DaemonSetState:
    namespace: str
    name: str
    generation: int
    observed_generation: int
    update_strategy: str
    desired: int
    current: int
    updated: int
    ready: int
    available: int


@dataclass(frozen=True)
class NodeState:
    name: str
    ready: bool
    labels: Mapping[str, str] = field(default_factory=dict)
    allocatable_gpus: int = 0
    unschedulable: bool = False


@dataclass(frozen=True)
class CrdState:
    name: str
    established: bool
    names_accepted: bool
    conditions: tuple[Condition, ...] = ()
    versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExposedObject:
    """A Service of type LoadBalancer or an Ingress: what a controller backs with a cloud
    load balancer. deleting: deletion was asked, a finalizer still holds it."""

    kind: str  # "Service" or "Ingress"
    namespace: str
    name: str
    finalizers: tuple[str, ...] = ()
    deleting: bool = False

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


def _int(value: Any) -> int:
    return int(value) if value is not None else 0


def _quantity(value: Any) -> int:
    if value is None:
        return 0
    try:
        return int(str(value))
    except ValueError:
        return 0


def _conditions(items: Any) -> tuple[Condition, ...]:
    return tuple(
        Condition(c.type, c.status, c.reason or "", c.message or "") for c in (items or ())
    )


def rfc3339_now() -> str:
    """The timestamp kubectl writes (time.Now().Format(time.RFC3339), local offset)."""
    return dt.datetime.now().astimezone().replace(microsecond=0).isoformat()


def client_configuration(kubeconfig: Path, context: str | None = None) -> Any:
    """A kubernetes.client.Configuration for `kubeconfig` (the process default is untouched)."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    from platformctl.cluster.kubeconfig_file import read_kubeconfig, with_absolute_paths

    doc = read_kubeconfig(kubeconfig, missing_ok=False)
    configuration = client.Configuration()
    try:
        config.load_kube_config_from_dict(
            with_absolute_paths(doc, kubeconfig.parent),
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
    except (ConfigException, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise UsageError(f"Kubeconfig {kubeconfig} is not usable: {_first_line(exc)}") from exc
    return configuration


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = (text[0] if text else type(exc).__name__).rstrip(".")
    return line + "."


class Kube:
    """A connection to one cluster, from a kubeconfig file."""

    def __init__(
        self, kubeconfig: Path, context: str | None = None, *, timeout: float = 15
    ) -> None:
        from kubernetes import client

        self.kubeconfig = kubeconfig
        self.configuration = client_configuration(kubeconfig, context)
        self.api = client.ApiClient(self.configuration)
        self.timeout = timeout
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.ext = client.ApiextensionsV1Api(self.api)
        self.custom = client.CustomObjectsApi(self.api)
        self.networking = client.NetworkingV1Api(self.api)

    @property
    def server(self) -> str:
        return str(self.configuration.host)

    def close(self) -> None:
        self.api.close()

    def __enter__(self) -> Kube:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the API; None on 404, clear errors for everything else."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError as Urllib3Error

        kwargs.setdefault("_request_timeout", self.timeout)
        try:
            return fn(*args, **kwargs)
        except ApiException as exc:
            if exc.status == 404:
                return None
            if exc.status in (401, 403):
                raise KubeUnreachable(
                    f"The API server at {self.server} refused to {what} "
                    f"(HTTP {exc.status} {exc.reason}); check the credentials in {self.kubeconfig}."
                ) from exc
            raise OperationError(
                f"Could not {what}: HTTP {exc.status} {exc.reason}: {_api_message(exc)}"
            ) from exc
        except (Urllib3Error, OSError) as exc:
            raise KubeUnreachable(
                f"Cannot reach the API server at {self.server} to {what}: {exc}",
                hint="is the cluster up? For the sandbox run `platformctl sandbox up`.",
            ) from exc

    # --- reads -----------------------------------------------------------------------

    def version(self) -> str:
        from kubernetes import client

        info = self._call("read the version", client.VersionApi(self.api).get_code)
        return str(info.git_version)

    def namespace_exists(self, name: str) -> bool:
        return self._call(f"read namespace {name}", self.core.read_namespace, name) is not None

    def deployment(self, namespace: str, name: str) -> DeploymentState | None:
        obj = self._call(
            f"read deployment {namespace}/{name}",
            self.apps.read_namespaced_deployment,
            name,
            namespace,
        )
        return None if obj is None else _deployment_state(obj)

    def daemonset(self, namespace: str, name: str) -> DaemonSetState | None:
        obj = self._call(
            f"read daemonset {namespace}/{name}",
            self.apps.read_namespaced_daemon_set,
            name,
            namespace,
        )
        if obj is None:
            return None
        st = obj.status
        strategy = obj.spec.update_strategy.type if obj.spec.update_strategy else "RollingUpdate"
        return DaemonSetState(
            namespace=namespace,
            name=name,
            generation=_int(obj.metadata.generation),
            observed_generation=_int(st.observed_generation if st else None),
            update_strategy=strategy or "RollingUpdate",
            desired=_int(st.desired_number_scheduled if st else None),
            current=_int(st.current_number_scheduled if st else None),
            updated=_int(st.updated_number_scheduled if st else None),
            ready=_int(st.number_ready if st else None),
            available=_int(st.number_available if st else None),
        )

    def nodes(self) -> tuple[NodeState, ...]:
        items = self._call("list nodes", self.core.list_node).items
        result = []
        for node in items:
            conditions = _conditions(node.status.conditions if node.status else None)
            allocatable = (node.status.allocatable or {}) if node.status else {}
            result.append(
                NodeState(
                    name=node.metadata.name,
                    ready=any(c.type == "Ready" and c.status == "True" for c in conditions),
                    labels=dict(node.metadata.labels or {}),
                    allocatable_gpus=_quantity(allocatable.get(GPU_RESOURCE)),
                    unschedulable=bool(node.spec and node.spec.unschedulable),
                )
            )
        return tuple(sorted(result, key=lambda n: n.name))

    def crd(self, name: str) -> CrdState | None:
        obj = self._call(
            f"read CustomResourceDefinition {name}", self.ext.read_custom_resource_definition, name
        )
        if obj is None:
            return None
        conditions = _conditions(obj.status.conditions if obj.status else None)

        def true(kind: str) -> bool:
            return any(c.type == kind and c.status == "True" for c in conditions)

        return CrdState(
            name=name,
            established=true("Established"),
            names_accepted=true("NamesAccepted"),
            conditions=conditions,
            versions=tuple(v.name for v in obj.spec.versions if v.served),
        )

    def load_balancer_objects(
        self, namespaces: Sequence[str] | None = None
    ) -> tuple[ExposedObject, ...]:
        """Services of type LoadBalancer and Ingresses, in every namespace or just these."""
        services: list[Any] = []
        ingresses: list[Any] = []
        if namespaces is None:
            services = self._call("list services", self.core.list_service_for_all_namespaces).items
            ingresses = self._call(
                "list ingresses", self.networking.list_ingress_for_all_namespaces
            ).items
        else:
            for ns in namespaces:
                found = self._call(f"list services in {ns}", self.core.list_namespaced_service, ns)
                services.extend(found.items if found is not None else ())
                found = self._call(
                    f"list ingresses in {ns}", self.networking.list_namespaced_ingress, ns
                )
                ingresses.extend(found.items if found is not None else ())
        objects = [
            _exposed("Service", s) for s in services if s.spec and s.spec.type == "LoadBalancer"
        ]
        objects += [_exposed("Ingress", i) for i in ingresses]
        return tuple(sorted(objects, key=lambda o: (o.kind, o.namespace, o.name)))

    # --- writes ----------------------------------------------------------------------

    def delete_load_balancer_object(self, obj: ExposedObject) -> bool:
        """Ask the API server to delete a Service or Ingress; False when it was already gone.

        The object stays (deleting) until its controller has removed the cloud load
        balancer and its finalizer.
        """
        if obj.kind == "Service":
            fn = self.core.delete_namespaced_service
        elif obj.kind == "Ingress":
            fn = self.networking.delete_namespaced_ingress
        else:
            raise OperationError(f"{obj.kind} objects are not load balancer objects.")
        return self._call(f"delete {obj.ref}", fn, obj.name, obj.namespace) is not None

    def restart_deployment(self, namespace: str, name: str, at: str | None = None) -> str:
        """`kubectl rollout restart`: stamp the pod template with restartedAt; returns it.

        The patch is the same strategic-merge patch kubectl sends, so a second restart
        replaces the timestamp and starts another rollout.
        """
        stamp = at or rfc3339_now()
        body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        obj = self._call(
            f"patch deployment {namespace}/{name}",
            self.apps.patch_namespaced_deployment,
            name,
            namespace,
            body,
        )
        if obj is None:
            raise OperationError(f"deployment {namespace}/{name} does not exist.")
        return stamp

    def ensure_node(
        self,
        name: str,
        *,
        labels: Mapping[str, str],
        annotations: Mapping[str, str],
        taints: Sequence[tuple[str, str, str]],
        resources: Mapping[str, str],
    ) -> bool:
        """Create a Node object (a fake node, for kwok to play) unless it exists.

        Its status capacity and allocatable are `resources`. True when it was created.
        """
        from kubernetes import client

        if self._call(f"read node {name}", self.core.read_node, name) is not None:
            return False
        body = client.V1Node(
            metadata=client.V1ObjectMeta(
                name=name, labels=dict(labels), annotations=dict(annotations)
            ),
            spec=client.V1NodeSpec(
                taints=[client.V1Taint(key=k, value=v, effect=e) for k, v, e in taints] or None
            ),
            status=client.V1NodeStatus(capacity=dict(resources), allocatable=dict(resources)),
        )
        self._call(f"create node {name}", self.core.create_node, body)
        # The status of a create may be dropped; set it through the status subresource.
        status = {"status": {"capacity": dict(resources), "allocatable": dict(resources)}}
        self._call(f"set the status of node {name}", self.core.patch_node_status, name, status)
        return True

    def apply_configmap(
        self,
        namespace: str,
        name: str,
        data: Mapping[str, str],
        *,
        labels: Mapping[str, str] | None = None,
        owner: Mapping[str, str] | None = None,
    ) -> None:
        """Create or replace a ConfigMap (optionally owned by another object, for cascading)."""
        from kubernetes import client

        meta = client.V1ObjectMeta(name=name, namespace=namespace, labels=dict(labels or {}))
        if owner is not None:
            meta.owner_references = [client.V1OwnerReference(**owner)]
        body = client.V1ConfigMap(metadata=meta, data=dict(data))
        existing = self._call(
            f"read configmap {namespace}/{name}",
            self.core.read_namespaced_config_map,
            name,
            namespace,
        )
        if existing is None:
            self._call(
                f"create configmap {namespace}/{name}",
                self.core.create_namespaced_config_map,
                namespace,
                body,
            )
        else:
            self._call(
                f"replace configmap {namespace}/{name}",
                self.core.replace_namespaced_config_map,
                name,
                namespace,
                body,
            )

    # --- raw objects by API path (kinds the typed client has no helper for) ---------------

    def _raw(self, what: str, method: str, path: str, **kwargs: Any) -> Any:
        return self._call(
            what,
            self.api.call_api,
            path,
            method,
            header_params={"Accept": "application/json", "Content-Type": "application/json"},
            response_type="object",
            auth_settings=["BearerToken"],
            _return_http_data_only=True,
            **kwargs,
        )

    def get_raw(self, path: str) -> dict[str, Any] | None:
        """GET an object by its API path (e.g. /apis/apps/v1/namespaces/x/deployments/y)."""
        obj = self._raw(f"read {path}", "GET", path)
        return None if obj is None else dict(obj)

    def list_raw(self, path: str) -> list[dict[str, Any]]:
        """The items of a collection path (e.g. /apis/apiregistration.k8s.io/v1/apiservices)."""
        obj = self._raw(f"list {path}", "GET", path)
        return [dict(item) for item in (obj or {}).get("items") or ()]

    def apply_raw(self, collection: str, body: Mapping[str, Any]) -> None:
        """Create the object under `collection`, or replace the one of the same name."""
        name = body["metadata"]["name"]
        existing = self.get_raw(f"{collection}/{name}")
        if existing is None:
            self._raw(f"create {collection}/{name}", "POST", collection, body=dict(body))
            return
        replacement = {**body, "metadata": {**body["metadata"]}}
        replacement["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
        self._raw(f"replace {collection}/{name}", "PUT", f"{collection}/{name}", body=replacement)

    def refusal(self, collection: str, body: Mapping[str, Any]) -> str | None:
        """Why the API server refuses to create `body` (a server-side dry run), or None."""
        from kubernetes.client.exceptions import ApiException

        def attempt(**kwargs: Any) -> str | None:
            try:
                self.api.call_api(
                    collection,
                    "POST",
                    query_params=[("dryRun", "All")],
                    header_params={
                        "Accept": "application/json",
                        "Content-Type": "application/json",
                    },
                    body=dict(body),
                    response_type="object",
                    auth_settings=["BearerToken"],
                    _return_http_data_only=True,
                    **kwargs,
                )
            except ApiException as exc:
                if exc.status in (400, 403, 422):
                    return _api_message(exc)
                raise
            return None

        result: str | None = self._call(f"dry-run a create under {collection}", attempt)
        return result

    def custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str
    ) -> dict[str, Any] | None:
        obj = self._call(
            f"read {plural}.{group} {namespace}/{name}",
            self.custom.get_namespaced_custom_object,
            group,
            version,
            namespace,
            plural,
            name,
        )
        return None if obj is None else dict(obj)


def _api_message(exc: Any) -> str:
    import json

    try:
        return str(json.loads(exc.body).get("message", exc.body))
    except (TypeError, ValueError, AttributeError):
        return str(exc.body or exc)


def _exposed(kind: str, obj: Any) -> ExposedObject:
    meta = obj.metadata
    return ExposedObject(
        kind=kind,
        namespace=meta.namespace,
        name=meta.name,
        finalizers=tuple(meta.finalizers or ()),
        deleting=meta.deletion_timestamp is not None,
    )


def _deployment_state(obj: Any) -> DeploymentState:
    st = obj.status
    annotations = (
        (obj.spec.template.metadata.annotations or {}) if obj.spec.template.metadata else {}
    )
    return DeploymentState(
        namespace=obj.metadata.namespace,
        name=obj.metadata.name,
        generation=_int(obj.metadata.generation),
        observed_generation=_int(st.observed_generation if st else None),
        replicas=1 if obj.spec.replicas is None else int(obj.spec.replicas),
        status_replicas=_int(st.replicas if st else None),
        updated_replicas=_int(st.updated_replicas if st else None),
        ready_replicas=_int(st.ready_replicas if st else None),
        available_replicas=_int(st.available_replicas if st else None),
        conditions=_conditions(st.conditions if st else None),
        restarted_at=annotations.get(RESTARTED_AT),
    )
