"""Every pinned platform component, the Kubernetes versions it supports, and EKS's calendar.

`check_kubernetes_version` refuses (UsageError) an environment whose Kubernetes version
is outside the range of a component that environment turns on; `support_warnings` says
which environments run a version past EKS standard support, and what that costs. Ranges
come from each project's own compatibility statement (the `source` of each entry); where
a project publishes none, the chart's `kubeVersion` constraint is the range, or there is
none. Checked 2026-12-04.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from platformctl.errors import UsageError, quote


@dataclass(frozen=True)
class Component:
    """One component as the modules pin it (charts from ../shared/offline/charts)."""

    name: str
    charts: tuple[str, ...]  # Helm chart names; () for an EKS add-on
    version: str  # chart version; "" where EKS picks the version
    app_version: str
    kubernetes_min: str | None  # oldest supported minor, e.g. "1.32"; None: no bound published
    kubernetes_max: str | None  # newest supported minor; None: no bound published
    source: str  # where the range comes from
    note: str = ""
    # The modules/*/variables.tf variable whose default is `version` ("" for none).
    variable: str = ""
    # What turns it on: "" always; a platform.toml feature name; "dns" for [environments.dns].
    switch: str = ""
    # The feature's default in platform.toml (config.Features; tests keep the two equal).
    switch_default: bool = True

    @property
    def supported(self) -> str:
        """The range as a sentence fragment: "1.32 to 1.36", "1.35 only", "1.21 or later"."""
        low, high = self.kubernetes_min, self.kubernetes_max
        if low and high:
            return f"{low} only" if low == high else f"{low} to {high}"
        if low:
            return f"{low} or later"
        if high:
            return f"up to {high}"
        return "any version (no published range)"

    def supports(self, version: str) -> bool:
        minor = _minor(version)
        low, high = self.kubernetes_min, self.kubernetes_max
        return (low is None or _minor(low) <= minor) and (high is None or minor <= _minor(high))


ISTIO_CHARTS = ("base", "istiod", "cni", "ztunnel", "gateway")

COMPONENTS: tuple[Component, ...] = (
    Component(
        name="Istio",
        charts=ISTIO_CHARTS,
        version="1.30.3",
        app_version="1.30.3",
        kubernetes_min="1.32",
        kubernetes_max="1.36",
        source="https://istio.io/latest/docs/releases/supported-releases/#support-status-of-istio-releases",
        variable="istio_version",
    ),
    Component(
        name="AWS Load Balancer Controller",
        charts=("aws-load-balancer-controller",),
        version="3.5.0",
        app_version="v3.5.0",
        kubernetes_min="1.22",
        kubernetes_max=None,
        source="https://github.com/aws/eks-charts/tree/master/stable/aws-load-balancer-controller#prerequisites",
        note="The chart README: chart v1.5.0 and later requires Kubernetes 1.22+; no upper bound.",
        variable="load_balancer_controller_version",
    ),
    Component(
        name="cert-manager",
        charts=("cert-manager",),
        version="v1.21.1",
        app_version="v1.21.1",
        kubernetes_min="1.33",
        kubernetes_max="1.36",
        source="https://cert-manager.io/docs/releases/",
        note="cert-manager supports no Kubernetes version that is end of life upstream "
        "(1.32 was, when 1.21 was released); the chart's kubeVersion says only >= 1.22.",
        variable="cert_manager_version",
        switch="cert_manager",
    ),
    Component(
        name="ExternalDNS",
        charts=("external-dns",),
        version="1.21.1",
        app_version="0.21.0",
        kubernetes_min="1.21",
        kubernetes_max=None,
        source="https://github.com/kubernetes-sigs/external-dns/blob/v0.21.0/README.md#kubernetes-version-compatibility",
        note="The README's column for ExternalDNS >= 0.18: Kubernetes 1.21 and later.",
        variable="external_dns_version",
        switch="dns",
    ),
    Component(
        name="Amazon EBS CSI driver",
        charts=("aws-ebs-csi-driver",),
        version="2.64.0",
        app_version="1.64.0",
        kubernetes_min="1.17",
        kubernetes_max=None,
        source="https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/v1.64.0/README.md#compatibility",
        note="The README: every version the Kubernetes project or EKS (extended support "
        "included) supports; the bound is the chart's kubeVersion (>= 1.17).",
        variable="ebs_csi_driver_version",
    ),
    Component(
        name="Amazon EFS CSI driver",
        charts=("aws-efs-csi-driver",),
        version="4.4.1",
        app_version="3.4.1",
        kubernetes_min="1.17",
        kubernetes_max=None,
        source="https://github.com/kubernetes-sigs/aws-efs-csi-driver/blob/v3.4.1/docs/compatibility.md",
        note="The matrix lists no 3.x row; its master row (and the chart's kubeVersion) say 1.17+.",
        variable="efs_csi_driver_version",
        switch="efs",
        switch_default=False,
    ),
    Component(
        name="Amazon FSx for Lustre CSI driver",
        charts=("aws-fsx-csi-driver",),
        version="1.17.0",
        app_version="1.9.0",
        kubernetes_min="1.20",
        kubernetes_max=None,
        source="https://github.com/kubernetes-sigs/aws-fsx-csi-driver/blob/master/docs/README.md#kubernetes-version-compatibility-matrix",
        note="Driver v1.9.0 (chart 1.17.0): Kubernetes 1.20+, as the chart's kubeVersion.",
        variable="fsx_csi_driver_version",
        switch="fsx_lustre",
        switch_default=False,
    ),
    Component(
        name="Cluster Autoscaler",
        charts=("cluster-autoscaler",),
        version="9.59.0",
        app_version="1.35.0",
        kubernetes_min="1.35",
        kubernetes_max="1.35",
        source="https://github.com/kubernetes/autoscaler/blob/cluster-autoscaler-1.35.0/cluster-autoscaler/README.md#releases",
        note="Its minor version matches the Kubernetes minor it is built and tested for; "
        "upstream tests no other pairing, so other minors need another chart version.",
        variable="cluster_autoscaler_version",
        switch="cluster_autoscaler",
    ),
    Component(
        name="NVIDIA GPU Operator",
        charts=("gpu-operator",),
        version="v26.7.0",
        app_version="v26.7.0",
        kubernetes_min="1.33",
        kubernetes_max="1.36",
        source="https://docs.nvidia.com/datacenter/cloud-native/gpu-operator/26.7/platform-support.html#cloud-service-providers",
        note="The Amazon EKS column (Ubuntu 22.04, 24.04 and 26.04 nodes); the chart's "
        "kubeVersion says only >= 1.16.",
        variable="gpu_operator_version",
        switch="gpu_operator",
    ),
    Component(
        name="Prometheus",
        charts=("prometheus",),
        version="27.45.0",
        app_version="v3.7.3",
        kubernetes_min="1.19",
        kubernetes_max=None,
        source="kubeVersion of the prometheus-27.45.0 chart (Chart.yaml: >=1.19.0-0)",
        note="prometheus-community publishes no Kubernetes range beyond the chart's kubeVersion.",
        variable="prometheus_version",
        switch="prometheus",
    ),
    Component(
        name="Kiali",
        charts=("kiali-server",),
        version="2.17.0",
        app_version="v2.17.0",
        kubernetes_min=None,
        kubernetes_max=None,
        source="no published range (https://kiali.io/docs/installation/installation-guide/prerequisites/)",
        note="Kiali states compatibility with Istio releases only (2.17 was tested with "
        "Istio 1.28); the chart has no kubeVersion.",
        variable="kiali_version",
        switch="kiali",
    ),
    Component(
        name="Kubeflow Training Operator",
        charts=("training-operator",),
        version="1.9.2",
        app_version="v1.9.2",
        kubernetes_min="1.28",
        kubernetes_max=None,
        source="https://www.kubeflow.org/docs/components/trainer/legacy-v1/installation/",
        note="The chart is packaged by `platformctl chart training-operator`; the version "
        "is the .tool-versions pin, not a module variable.",
    ),
    *(
        Component(
            name=f"EKS add-on {addon}",
            charts=(),
            version="",
            app_version="",
            kubernetes_min=None,
            kubernetes_max=None,
            source="https://docs.aws.amazon.com/eks/latest/userguide/eks-add-ons.html",
            note="EKS picks the add-on version for the cluster's Kubernetes version.",
            switch="eks_addons",
        )
        for addon in ("vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent")
    ),
)


def enabled_components(environment: Mapping[str, Any]) -> tuple[Component, ...]:
    """The components an environment table of platform.toml (as decoded) turns on.

    A switch that is not a boolean counts as its default: the features parser refuses it.
    """
    features = environment.get("features", {})
    features = features if isinstance(features, Mapping) else {}
    return tuple(c for c in COMPONENTS if _switched_on(c, environment, features))


def check_kubernetes_version(where: str, version: str, environment: Mapping[str, Any]) -> None:
    """UsageError (one sentence) when `version` is outside the range of an enabled component.

    `where` names the environment ("environments.dev"); `environment` is its table.
    """
    for component in enabled_components(environment):
        if component.supports(version):
            continue
        if component.switch == "dns":
            fix = "or remove [environments.dns]"
        elif component.switch:
            fix = f"or set features.{component.switch} = false"
        else:
            fix = f"or pin a {component.name} release that supports it"
        raise UsageError(
            f"{where}.kubernetes_version {quote(version)} is not supported by "
            f"{component.name} {component.version} (Kubernetes {component.supported}, per "
            f"{component.source}); choose a version in that range {fix}."
        )


def _switched_on(
    component: Component, environment: Mapping[str, Any], features: Mapping[str, Any]
) -> bool:
    if not component.switch:
        return True
    if component.switch == "dns":
        return bool(environment.get("dns"))
    value = features.get(component.switch)
    return value if isinstance(value, bool) else component.switch_default


def _minor(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor.partition(".")[0])


# --- EKS: the version calendar and the price of extended support ------------------------


@dataclass(frozen=True)
class EksVersion:
    """One row of the Amazon EKS Kubernetes release calendar (dates UTC)."""

    version: str
    eks_release: date
    end_of_standard_support: date
    end_of_extended_support: date


EKS_CALENDAR_SOURCE = (
    "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html"
    "#kubernetes-release-calendar"
)
# 1.35's row as endoflife.date/amazon-eks restates it: the stored copy of the EKS page
# predates 1.35's release (the 14 + 12 months rule gives the same dates).
EKS_CALENDAR: tuple[EksVersion, ...] = (
    EksVersion("1.29", date(2024, 1, 23), date(2025, 3, 23), date(2026, 3, 23)),
    EksVersion("1.30", date(2024, 5, 23), date(2025, 7, 23), date(2026, 7, 23)),
    EksVersion("1.31", date(2024, 9, 26), date(2025, 11, 26), date(2026, 11, 26)),
    EksVersion("1.32", date(2025, 1, 23), date(2026, 3, 23), date(2027, 3, 23)),
    EksVersion("1.33", date(2025, 5, 29), date(2026, 7, 29), date(2027, 7, 29)),
    EksVersion("1.34", date(2025, 10, 2), date(2026, 12, 2), date(2027, 12, 2)),
    EksVersion("1.35", date(2026, 1, 27), date(2027, 3, 27), date(2028, 3, 27)),
)

# Per cluster-hour: standard support, and (in total, not on top) extended support.
STANDARD_SUPPORT_PRICE = "$0.10"
EXTENDED_SUPPORT_PRICE = "$0.60"
EKS_PRICING_SOURCE = "https://aws.amazon.com/eks/pricing/"


class Environment(Protocol):
    """What the warnings read of an environment (platformctl.model.config.Environment)."""

    @property
    def name(self) -> str: ...
    @property
    def kubernetes_version(self) -> str: ...
    @property
    def sandbox(self) -> bool: ...
    @property
    def support_type(self) -> str: ...


def eks_version(version: str) -> EksVersion | None:
    return next((row for row in EKS_CALENDAR if row.version == version), None)


def support_warnings(environments: Iterable[Environment], *, today: date) -> tuple[str, ...]:
    """One warning per EKS environment whose Kubernetes version is past standard support.

    `today` is the UTC date to judge by. With support_type EXTENDED such a cluster costs
    the extended-support price; with STANDARD, EKS upgrades it on its own. The sandbox
    runs on no EKS and gets none.
    """
    warnings: list[str] = []
    for env in environments:
        row = eks_version(env.kubernetes_version)
        if env.sandbox or row is None or today < row.end_of_standard_support:
            continue
        newest = [r.version for r in EKS_CALENDAR if today < r.end_of_standard_support]
        upgrade = f"; upgrade kubernetes_version to {newest[-1]}" if newest else ""
        where = f"environments.{env.name}: Kubernetes {env.kubernetes_version}"
        cost = (
            f"{EXTENDED_SUPPORT_PRICE} per cluster-hour instead of {STANDARD_SUPPORT_PRICE} "
            f"({EKS_PRICING_SOURCE})"
        )
        if today >= row.end_of_extended_support:
            warnings.append(
                f"{where} left EKS extended support on {row.end_of_extended_support}, so EKS "
                f"upgrades the cluster's control plane on its own at any time{upgrade}."
            )
        elif env.support_type == "EXTENDED":
            warnings.append(
                f"{where} left EKS standard support on {row.end_of_standard_support}, so until "
                f"extended support ends on {row.end_of_extended_support} EKS bills {cost}"
                f"{upgrade}."
            )
        else:
            warnings.append(
                f"{where} left EKS standard support on {row.end_of_standard_support} and "
                f"support_type is {env.support_type}, so EKS upgrades the cluster's control "
                f"plane on its own (extended support, until {row.end_of_extended_support}, "
                f"would cost {cost}){upgrade}."
            )
    return tuple(warnings)
