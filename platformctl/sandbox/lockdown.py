"""What keeps the sandbox control plane from sending traffic off the machine.

kube-apiserver dials out on its own in four ways: admission webhooks, aggregated
APIServices backed by a Service, CRD conversion webhooks (each to a Service address), and
the pods/proxy and services/proxy subresources (to pod addresses). On the sandbox the
Service range is on loopback, but pod addresses are not (Kubernetes refuses loopback
addresses in EndpointSlices), so:

- the webhook admission plugins are off (`ADMISSION_ARGS`): the webhook configurations
  that charts register (Istio's injector and validator, the Training Operator's, the GPU
  operator's) are stored but never called;
- an in-process ValidatingAdmissionPolicy (CEL, no webhook involved), created as soon as
  the API server is healthy, refuses APIServices that name a `spec.service`, CRDs with
  `spec.conversion.strategy: Webhook` and proxying to pods and Services, each with a
  message that says why;
- `egress_findings` reads the API server's log and the API afterwards, so a test can
  prove that nothing was dialled and no such object exists.
"""

from __future__ import annotations

import ipaddress
import re
import time
from pathlib import Path
from typing import Any

from platformctl.errors import OperationError

ADMISSION_ARGS = (
    "--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
)
POLICY_NAME = "platformctl-sandbox-no-egress"
APISERVICES = "/apis/apiregistration.k8s.io/v1/apiservices"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
POLICIES = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies"
BINDINGS = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings"
WHY = "the API server would call a Service, and the sandbox sends no traffic off this machine"

POLICY: dict[str, Any] = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingAdmissionPolicy",
    "metadata": {"name": POLICY_NAME, "labels": {"app.kubernetes.io/managed-by": "platformctl"}},
    "spec": {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": ["apiregistration.k8s.io"],
                    "apiVersions": ["*"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": ["apiservices"],
                },
                {
                    "apiGroups": ["apiextensions.k8s.io"],
                    "apiVersions": ["*"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": ["customresourcedefinitions"],
                },
                {
                    "apiGroups": [""],
                    "apiVersions": ["v1"],
                    "operations": ["CONNECT"],
                    "resources": ["pods/proxy", "services/proxy"],
                },
            ]
        },
        "validations": [
            {
                "expression": (
                    "request.resource.resource != 'apiservices' || "
                    "!has(object.spec.service) || object.spec.service == null"
                ),
                "messageExpression": (
                    "'the sandbox control plane refuses APIService ' + object.metadata.name + "
                    f"' because it names spec.service: {WHY}; serve this API only on a real "
                    "cluster (switch its feature off for the sandbox)'"
                ),
                "reason": "Forbidden",
            },
            {
                "expression": (
                    "request.resource.resource != 'customresourcedefinitions' || "
                    "!has(object.spec.conversion) || "
                    "!has(object.spec.conversion.strategy) || "
                    "object.spec.conversion.strategy != 'Webhook'"
                ),
                "messageExpression": (
                    "'the sandbox control plane refuses CustomResourceDefinition ' + "
                    "object.metadata.name + ' because its spec.conversion.strategy is Webhook: "
                    f"{WHY}; install it with strategy None on the sandbox'"
                ),
                "reason": "Forbidden",
            },
            {
                "expression": "!has(request.subResource) || request.subResource != 'proxy'",
                "message": (
                    "the sandbox control plane refuses proxying to pods and Services: the API "
                    "server would dial pod addresses, and the sandbox sends no traffic off "
                    "this machine; use `kubectl port-forward` (served by the fake nodes on "
                    "127.0.0.1)"
                ),
                "reason": "Forbidden",
            },
        ],
    },
}

BINDING: dict[str, Any] = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingAdmissionPolicyBinding",
    "metadata": {"name": POLICY_NAME, "labels": {"app.kubernetes.io/managed-by": "platformctl"}},
    "spec": {"policyName": POLICY_NAME, "validationActions": ["Deny"]},
}

# A harmless object the policy must refuse: used (as a dry run) to know it is in force.
PROBE: dict[str, Any] = {
    "apiVersion": "apiregistration.k8s.io/v1",
    "kind": "APIService",
    "metadata": {"name": "v1.probe.sandbox.platformctl.io"},
    "spec": {
        "group": "probe.sandbox.platformctl.io",
        "version": "v1",
        "groupPriorityMinimum": 1000,
        "versionPriority": 15,
        "insecureSkipTLSVerify": True,
        "service": {"namespace": "default", "name": "probe", "port": 443},
    },
}


def enforce(kubeconfig: Path, timeout: float = 60.0) -> None:
    """Create the policy and its binding, and return once the API server enforces them."""
    from platformctl.cluster.kube import Kube

    with Kube(kubeconfig) as kube:
        kube.apply_raw(POLICIES, POLICY)
        kube.apply_raw(BINDINGS, BINDING)
        deadline = time.monotonic() + timeout
        # The policy is read through an informer: it is in force a moment after creation.
        while True:
            refusal = kube.refusal(APISERVICES, PROBE)
            if refusal is not None and POLICY_NAME in refusal:
                return
            if time.monotonic() > deadline:
                raise OperationError(
                    f"The API server did not enforce ValidatingAdmissionPolicy {POLICY_NAME} "
                    f"within {timeout:g} s (last answer to the probe: {refusal or 'accepted'})."
                )
            time.sleep(0.2)


# --- the evidence ---------------------------------------------------------------------------

_DIAL = re.compile(r"dial tcp (?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<v4>\d+\.\d+\.\d+\.\d+)):\d+")
# What kube-apiserver prints when it calls (or fails to call) an admission webhook, an
# aggregated API's Service or a conversion webhook.
_CALLS = (
    re.compile(r"failed calling webhook", re.IGNORECASE),
    re.compile(r"failed to call webhook", re.IGNORECASE),
    re.compile(r"conversion webhook", re.IGNORECASE),
    re.compile(r"failing or missing response from", re.IGNORECASE),
    re.compile(r"loading OpenAPI spec for \"[^\"]+\" failed", re.IGNORECASE),
)


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def scan_log(text: str) -> list[str]:
    """Lines of an API server log that show a dial off loopback or a webhook/Service call."""
    findings: list[str] = []
    for line in text.splitlines():
        reasons = [
            f"dial to {address}"
            for match in _DIAL.finditer(line)
            if not _loopback(address := match.group("v4") or match.group("v6"))
        ]
        if any(pattern.search(line) for pattern in _CALLS):
            reasons.append("webhook or Service call")
        if reasons:
            findings.append(f"{', '.join(dict.fromkeys(reasons))}: {line.strip()[:400]}")
    return findings


def object_findings(kube: Any) -> list[str]:
    """APIServices backed by a Service and CRDs with webhook conversion that exist."""
    findings = [
        f"APIService {item['metadata']['name']} names service "
        f"{item['spec']['service'].get('namespace')}/{item['spec']['service'].get('name')}"
        for item in kube.list_raw(APISERVICES)
        if (item.get("spec") or {}).get("service")
    ]
    findings += [
        f"CustomResourceDefinition {item['metadata']['name']} uses webhook conversion"
        for item in kube.list_raw(CRDS)
        if ((item.get("spec") or {}).get("conversion") or {}).get("strategy") == "Webhook"
    ]
    return findings


def findings(apiserver_log: Path, kubeconfig: Path | None) -> list[str]:
    """Everything that shows the control plane dialled out or could: log lines and objects."""
    from platformctl.cluster.kube import Kube

    try:
        text = apiserver_log.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        text = ""
    found = [f"{apiserver_log.name}: {f}" for f in scan_log(text)]
    if kubeconfig is not None and kubeconfig.is_file():
        with Kube(kubeconfig) as kube:
            found += object_findings(kube)
    return found
