"""What platformctl knows about each pinned tool: executable, version probe, how to build it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class GoBuild:
    """How to build a tool from the Go module proxy.

    style "install": `go install module/pkg@version` semantics (built in a temp GOBIN).
    style "copy": download the module, build `package` inside a writable copy (go.mod has replaces).
    style "wrapper": a generated wrapper module requiring `module` (and the `replaces`) builds `package`.
    """

    module: str
    package: str
    style: str
    ldflags: tuple[str, ...] = ()
    tag_prefix: str = "v"
    replaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class ToolSpec:
    name: str
    executable: str
    version_args: tuple[str, ...]
    version_pattern: str
    required: bool
    purpose: str
    go: GoBuild | None = None
    pip_package: str | None = None
    extra_executables: tuple[str, ...] = field(default_factory=tuple)

    def parse_version(self, output: str) -> str | None:
        match = re.search(self.version_pattern, output)
        return match.group(1) if match else None


_K8S_STAMP = (
    "-X k8s.io/component-base/version.gitVersion=v{version}",
    "-X k8s.io/component-base/version.gitMajor={major}",
    "-X k8s.io/component-base/version.gitMinor={minor}",
    "-X k8s.io/component-base/version.gitTreeState=clean",
    "-X k8s.io/client-go/pkg/version.gitVersion=v{version}",
)

CATALOG: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec(
            "opentofu", "tofu", ("version",), r"OpenTofu v(\d+\.\d+\.\d+\S*)", True,
            "runs the plans and applies",
            go=GoBuild("github.com/opentofu/opentofu", "./cmd/tofu", "copy",
                       ("-X github.com/opentofu/opentofu/version.dev=no",)),
        ),
        ToolSpec(
            "terragrunt", "terragrunt", ("--version",), r"terragrunt version v?(\d+\.\d+\.\d+\S*)", True,
            "orchestrates the units",
            go=GoBuild("github.com/gruntwork-io/terragrunt", ".", "copy",
                       ("-X github.com/gruntwork-io/terragrunt/internal/version.Version=v{version}",)),
        ),
        ToolSpec(
            "tflint", "tflint", ("--version",), r"TFLint version (\d+\.\d+\.\d+\S*)", False,
            "lints the modules",
            go=GoBuild("github.com/terraform-linters/tflint", ".", "install"),
        ),
        ToolSpec(
            "actionlint", "actionlint", ("-version",), r"^v?(\d+\.\d+\.\d+\S*)", False,
            "lints the GitHub Actions workflows",
            go=GoBuild("github.com/rhysd/actionlint", "./cmd/actionlint", "install",
                       ("-X github.com/rhysd/actionlint.version=v{version}",)),
        ),
        ToolSpec(
            "kubectl", "kubectl", ("version", "--client"), r"Client Version: v(\d+\.\d+\.\d+\S*)", False,
            "talks to the clusters by hand",
            go=GoBuild("k8s.io/kubernetes", "k8s.io/kubernetes/cmd/kubectl", "wrapper", _K8S_STAMP),
        ),
        ToolSpec(
            "helm", "helm", ("version", "--short"), r"v(\d+\.\d+\.\d+)", False,
            "inspects chart releases",
            go=GoBuild("helm.sh/helm/v3", "./cmd/helm", "install",
                       ("-X helm.sh/helm/v3/internal/version.version=v{version}",)),
        ),
        ToolSpec(
            "awscli", "aws", ("--version",), r"aws-cli/(\d+\.\d+\.\d+)", False,
            "optional: platformctl talks to AWS itself",
            pip_package="awscli",
        ),
        ToolSpec(
            "kube-apiserver", "kube-apiserver", ("--version",), r"Kubernetes v(\d+\.\d+\.\d+\S*)", False,
            "local control plane of the sandbox",
            go=GoBuild("k8s.io/kubernetes", "k8s.io/kubernetes/cmd/kube-apiserver", "wrapper", _K8S_STAMP),
        ),
        ToolSpec(
            "etcd", "etcd", ("--version",), r"etcd Version: (\d+\.\d+\.\d+\S*)", False,
            "storage of the sandbox control plane",
            go=GoBuild("go.etcd.io/etcd/server/v3", "go.etcd.io/etcd/server/v3", "wrapper",
                       ("-X go.etcd.io/etcd/api/v3/version.Version={version}",)),
        ),
        ToolSpec(
            "python", "python3", ("--version",), r"Python (\d+\.\d+\.\d+)", False,
            "runs platformctl itself",
        ),
    )
}


def spec_for(name: str) -> ToolSpec | None:
    return CATALOG.get(name)
