"""The sandbox control plane never dials out: objects that make a normal cluster's API server
call a Service are stored but never called, or refused with a reason; its log proves it."""

from __future__ import annotations

import ipaddress
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from platformctl import proc
from platformctl.errors import ToolNotFoundError
from platformctl.sandbox import controlplane, cpconfig, lockdown
from platformctl.sandbox.pki import ensure_pki
from tests.conftest import REPO
from tests.fixtures.controlplane import ControlPlane
from tests.fixtures.servers import free_port

pytestmark = pytest.mark.real


def _apiserver_argv(control_plane: ControlPlane) -> list[str]:
    st = controlplane.status(REPO, base=control_plane.base)
    [api] = [c for c in st.components if c.name == "kube-apiserver"]
    assert api.pid is not None
    return Path(f"/proc/{api.pid}/cmdline").read_bytes().decode().split("\0")


def _refusal(call: Any) -> str:
    from kubernetes.client.exceptions import ApiException

    with pytest.raises(ApiException) as info:
        call()
    assert info.value.status == 403, info.value.body
    return str(info.value.body)


def apiservice(name: str) -> dict[str, Any]:
    group = name.split(".", 1)[1]
    return {
        "apiVersion": "apiregistration.k8s.io/v1",
        "kind": "APIService",
        "metadata": {"name": name},
        "spec": {
            "group": group,
            "version": "v1beta1",
            "groupPriorityMinimum": 100,
            "versionPriority": 100,
            "insecureSkipTLSVerify": True,
            "service": {"namespace": "kube-system", "name": "metrics-server", "port": 443},
        },
    }


def webhook_crd(suffix: str) -> dict[str, Any]:
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{suffix}.example.com"},
        "spec": {
            "group": f"{suffix}.example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [
                {"name": "v1", "served": True, "storage": True, "schema": schema},
                {"name": "v2", "served": True, "storage": False, "schema": schema},
            ],
            "conversion": {
                "strategy": "Webhook",
                "webhook": {
                    "conversionReviewVersions": ["v1"],
                    "clientConfig": {
                        "service": {"namespace": "default", "name": "converter", "path": "/c"}
                    },
                },
            },
        },
    }


def test_the_apiserver_runs_without_webhook_admission_and_with_loopback_services(
    control_plane: ControlPlane,
) -> None:
    argv = _apiserver_argv(control_plane)
    assert "--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook" in argv
    [cidr] = [a.split("=", 1)[1] for a in argv if a.startswith("--service-cluster-ip-range=")]
    assert ipaddress.ip_network(cidr).is_loopback


def test_an_apiservice_backed_by_a_service_is_refused_saying_why(api: Any) -> None:
    from kubernetes import client

    registration = client.ApiregistrationV1Api(api)
    body = _refusal(lambda: registration.create_api_service(apiservice("v1beta1.metrics.k8s.io")))
    assert "refuses APIService v1beta1.metrics.k8s.io because it names spec.service" in body
    assert "sends no traffic off this machine" in body
    # An APIService served by this API server itself (no spec.service) is fine.
    local = apiservice("v1beta1.local.example.com")
    del local["spec"]["service"], local["spec"]["insecureSkipTLSVerify"]
    registration.create_api_service(local, dry_run="All")


def test_a_crd_with_webhook_conversion_is_refused_and_one_without_is_accepted(api: Any) -> None:
    from kubernetes import client

    ext = client.ApiextensionsV1Api(api)
    crd = webhook_crd(f"w{uuid.uuid4().hex[:6]}")
    body = _refusal(lambda: ext.create_custom_resource_definition(crd))
    assert f"refuses CustomResourceDefinition {crd['metadata']['name']}" in body
    assert "spec.conversion.strategy is Webhook" in body
    assert "install it with strategy None on the sandbox" in body
    crd["spec"]["conversion"] = {"strategy": "None"}
    ext.create_custom_resource_definition(crd, dry_run="All")


def test_proxying_to_pods_and_services_is_refused(
    control_plane: ControlPlane, api: Any, namespace: str
) -> None:
    """pods/proxy and services/proxy would dial pod addresses; the policy refuses both."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    core = client.CoreV1Api(api)
    for call in (
        lambda: core.connect_get_namespaced_pod_proxy("web", namespace),
        lambda: core.connect_get_namespaced_service_proxy("web", namespace),
    ):
        with pytest.raises(ApiException) as info:
            call()
        assert info.value.status == 403, info.value.body
        assert "refuses proxying to pods and Services" in str(info.value.body)


@pytest.fixture
def webhooks(api: Any, namespace: str) -> Iterator[str]:
    """A Mutating and a ValidatingWebhookConfiguration for every Pod and ConfigMap, pointing
    at a Service with a cluster IP and failing closed: on a normal cluster creating a Pod
    makes the API server call them (and fail, nobody answers)."""
    from kubernetes import client

    core = client.CoreV1Api(api)
    core.create_namespaced_service(
        namespace,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="injector"),
            spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=443)]),
        ),
    )
    name = f"sandbox-test-{namespace}"
    hook = {
        "name": "inject.sandbox.example.com",
        "admissionReviewVersions": ["v1"],
        "sideEffects": "None",
        "failurePolicy": "Fail",
        "clientConfig": {"service": {"namespace": namespace, "name": "injector", "path": "/x"}},
        "rules": [
            {
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "operations": ["CREATE"],
                "resources": ["pods", "configmaps"],
            }
        ],
    }
    admission = client.AdmissionregistrationV1Api(api)
    for kind, create in (
        ("MutatingWebhookConfiguration", admission.create_mutating_webhook_configuration),
        ("ValidatingWebhookConfiguration", admission.create_validating_webhook_configuration),
    ):
        create(
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": kind,
                "metadata": {"name": name},
                "webhooks": [hook],
            }
        )
    try:
        yield name
    finally:
        admission.delete_mutating_webhook_configuration(name)
        admission.delete_validating_webhook_configuration(name)


def test_objects_that_make_a_normal_cluster_dial_out_leave_no_trace_here(
    control_plane: ControlPlane, api: Any, namespace: str, webhooks: str
) -> None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    core = client.CoreV1Api(api)
    service = core.read_namespaced_service("injector", namespace)
    assert ipaddress.ip_address(service.spec.cluster_ip).is_loopback
    # Created without a call: a call would have failed, and the webhooks fail closed.
    core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c"))
    )
    deadline = time.monotonic() + 30  # the controller manager makes the namespace's account
    while not core.list_namespaced_service_account(namespace).items:
        assert time.monotonic() < deadline, "no default service account"
        time.sleep(0.2)
    core.create_namespaced_pod(
        namespace,
        client.V1Pod(
            metadata=client.V1ObjectMeta(name="p"),
            spec=client.V1PodSpec(
                containers=[client.V1Container(name="c", image="registry.invalid/c:1")]
            ),
        ),
    )
    with pytest.raises(ApiException):
        client.ApiregistrationV1Api(api).create_api_service(
            apiservice("v1beta1.custom.metrics.k8s.io")
        )
    with pytest.raises(ApiException):
        client.ApiextensionsV1Api(api).create_custom_resource_definition(webhook_crd("x"))
    time.sleep(2)  # let anything the API server would do in the background show in its log
    assert controlplane.egress_findings(REPO, base=control_plane.base) == []


# --- the scanner finds what a control plane without these protections does -------------


@pytest.fixture
def unprotected(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """etcd + kube-apiserver with the webhook admission plugins ON (no policy): the
    positive control. Its only webhook points at a closed port on 127.0.0.1, so the call
    it makes stays on this machine."""
    try:
        bins = cpconfig.locate_binaries(REPO)
    except ToolNotFoundError as exc:
        pytest.skip(f"no control-plane binaries: {exc.message}")
    layout = cpconfig.Layout(tmp_path / "cp")
    layout.base.mkdir()
    pki = ensure_pki(layout.pki.dir)
    ports = cpconfig.Ports.pick()
    server = f"https://127.0.0.1:{ports.apiserver}"
    apiserver = [
        a
        for a in cpconfig.apiserver_args(bins.apiserver, layout, ports)
        if a not in lockdown.ADMISSION_ARGS
    ]
    pids = [
        proc.spawn(cpconfig.etcd_args(bins.etcd, layout, ports), log_path=layout.log("etcd")),
        proc.spawn(apiserver, log_path=layout.log("kube-apiserver")),
    ]
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                code, _ = controlplane.https_get(
                    f"{server}/readyz", ca=pki.ca.cert, client=pki.admin
                )
                if code == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        cpconfig.write_kubeconfig(layout.kubeconfig, server, pki.ca.cert, pki.admin, "admin")
        yield layout.kubeconfig, layout.log("kube-apiserver")
    finally:
        for pid in reversed(pids):
            proc.stop(pid)


def test_the_scanner_finds_the_webhook_call_of_an_unprotected_apiserver(
    unprotected: tuple[Path, Path],
) -> None:
    from kubernetes import client, config

    kubeconfig, log = unprotected
    closed = free_port()
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    with client.ApiClient(configuration) as api:
        client.AdmissionregistrationV1Api(api).create_mutating_webhook_configuration(
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "MutatingWebhookConfiguration",
                "metadata": {"name": "control"},
                "webhooks": [
                    {
                        "name": "control.sandbox.example.com",
                        "admissionReviewVersions": ["v1"],
                        "sideEffects": "None",
                        "failurePolicy": "Ignore",
                        "clientConfig": {"url": f"https://127.0.0.1:{closed}/x"},
                        "rules": [
                            {
                                "apiGroups": [""],
                                "apiVersions": ["v1"],
                                "operations": ["CREATE"],
                                "resources": ["configmaps"],
                            }
                        ],
                    }
                ],
            }
        )
        core = client.CoreV1Api(api)
        deadline = time.monotonic() + 30
        found: list[str] = []
        while not found and time.monotonic() < deadline:
            # The webhook configuration reaches the admission chain through an informer.
            name = f"c-{uuid.uuid4().hex[:6]}"
            core.create_namespaced_config_map(
                "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name))
            )
            time.sleep(0.5)
            found = lockdown.findings(log, None)
    assert found, "the unprotected API server's webhook call was not found in its log"
    assert any(f"127.0.0.1:{closed}" in f and "webhook or Service call" in f for f in found)
    assert not any("dial to" in f for f in found)  # loopback dials are not off-machine
    print("\n".join(found[:3]))
