"""What platformctl knows about each pinned tool: executable, version probe, how to get it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class GoBuild:
    """How to build a tool from the Go module proxy.

    style "install": `go install module/pkg@version` semantics (built in a temp GOBIN).
    style "copy": download the module, build `package` inside a writable copy (go.mod has replaces).
    style "wrapper": a generated wrapper module requiring `module` builds `package` (and
    `extra_packages`). When `staging_version` is set, every requirement of the module at
    v0.0.0 that its own go.mod replaces with a local directory is replaced by the published
    module at that version (k8s.io/kubernetes and its staging modules).

    `package`, `extra_packages` and `ldflags` are templates: {version}, {major}, {minor},
    {patch} are filled from the pinned version.
    """

    module: str
    package: str
    style: str
    ldflags: tuple[str, ...] = ()
    tag_prefix: str = "v"
    replaces: tuple[str, ...] = ()
    extra_packages: tuple[str, ...] = ()
    staging_version: str | None = None


@dataclass(frozen=True)
class ReleaseAsset:
    """One executable of an official release download, verified against a SHA-256 file.

    `url` and `checksums` are templates ({version}, {os}, {arch}). The checksum file is either
    `sha256sum` output (hash, spaces, file name; the line naming the asset is used) or a bare
    hash. `member` is the path of the executable inside a .tar.gz/.zip archive; None means
    the download is the executable itself.
    """

    executable: str
    url: str
    checksums: str
    member: str | None = None


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
    # `python -m <pip_module>` runs a pip-installed tool (default: the package name).
    pip_module: str | None = None
    extra_executables: tuple[str, ...] = field(default_factory=tuple)
    release: tuple[ReleaseAsset, ...] = ()
    # A program with no version command: the module whose version `go version -m` reads
    # from the binary's build information.
    version_module: str | None = None

    @property
    def executables(self) -> tuple[str, ...]:
        return (self.executable, *self.extra_executables)

    @property
    def installable(self) -> bool:
        return self.go is not None or self.pip_package is not None or bool(self.release)

    def parse_version(self, output: str) -> str | None:
        match = re.search(self.version_pattern, output, re.MULTILINE)
        return match.group(1) if match and match.re.groups else None


_K8S_STAMP = (
    "-X k8s.io/component-base/version.gitVersion=v{version}",
    "-X k8s.io/component-base/version.gitMajor={major}",
    "-X k8s.io/component-base/version.gitMinor={minor}",
    "-X k8s.io/component-base/version.gitTreeState=clean",
    "-X k8s.io/client-go/pkg/version.gitVersion=v{version}",
)
_K8S_STAGING = "v0.{minor}.{patch}"
_K8S_DL = "https://dl.k8s.io/release/v{version}/bin/{os}/{arch}/"
_GH = "https://github.com/"


def _k8s_asset(executable: str) -> ReleaseAsset:
    return ReleaseAsset(executable, _K8S_DL + executable, _K8S_DL + executable + ".sha256")


CATALOG: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec(
            "opentofu",
            "tofu",
            ("version",),
            r"OpenTofu v(\d+\.\d+\.\d+\S*)",
            True,
            "runs the plans and applies",
            go=GoBuild(
                "github.com/opentofu/opentofu",
                "./cmd/tofu",
                "copy",
                ("-X github.com/opentofu/opentofu/version.dev=no",),
            ),
            release=(
                ReleaseAsset(
                    "tofu",
                    _GH + "opentofu/opentofu/releases/download/v{version}/"
                    "tofu_{version}_{os}_{arch}.tar.gz",
                    _GH + "opentofu/opentofu/releases/download/v{version}/"
                    "tofu_{version}_SHA256SUMS",
                    "tofu",
                ),
            ),
        ),
        ToolSpec(
            "terragrunt",
            "terragrunt",
            ("--version",),
            r"terragrunt version v?(\d+\.\d+\.\d+\S*)",
            True,
            "orchestrates the units",
            go=GoBuild(
                "github.com/gruntwork-io/terragrunt",
                ".",
                "copy",
                ("-X github.com/gruntwork-io/terragrunt/internal/version.Version=v{version}",),
            ),
            release=(
                ReleaseAsset(
                    "terragrunt",
                    _GH + "gruntwork-io/terragrunt/releases/download/v{version}/"
                    "terragrunt_{os}_{arch}",
                    _GH + "gruntwork-io/terragrunt/releases/download/v{version}/SHA256SUMS",
                ),
            ),
        ),
        ToolSpec(
            "tflint",
            "tflint",
            ("--version",),
            r"TFLint version (\d+\.\d+\.\d+\S*)",
            False,
            "lints the modules",
            go=GoBuild("github.com/terraform-linters/tflint", ".", "install"),
            release=(
                ReleaseAsset(
                    "tflint",
                    _GH + "terraform-linters/tflint/releases/download/v{version}/"
                    "tflint_{os}_{arch}.zip",
                    _GH + "terraform-linters/tflint/releases/download/v{version}/checksums.txt",
                    "tflint",
                ),
            ),
        ),
        ToolSpec(
            "actionlint",
            "actionlint",
            ("-version",),
            r"^v?(\d+\.\d+\.\d+\S*)",
            False,
            "lints the GitHub Actions workflows",
            go=GoBuild(
                "github.com/rhysd/actionlint",
                "./cmd/actionlint",
                "install",
                ("-X github.com/rhysd/actionlint.version=v{version}",),
            ),
            release=(
                ReleaseAsset(
                    "actionlint",
                    _GH + "rhysd/actionlint/releases/download/v{version}/"
                    "actionlint_{version}_{os}_{arch}.tar.gz",
                    _GH + "rhysd/actionlint/releases/download/v{version}/"
                    "actionlint_{version}_checksums.txt",
                    "actionlint",
                ),
            ),
        ),
        ToolSpec(
            "kubectl",
            "kubectl",
            ("version", "--client"),
            r"Client Version: v(\d+\.\d+\.\d+\S*)",
            False,
            "talks to the clusters by hand",
            go=GoBuild(
                "k8s.io/kubernetes",
                "k8s.io/kubernetes/cmd/kubectl",
                "wrapper",
                _K8S_STAMP,
                staging_version=_K8S_STAGING,
            ),
            release=(_k8s_asset("kubectl"),),
        ),
        ToolSpec(
            "helm",
            "helm",
            ("version", "--short"),
            r"v(\d+\.\d+\.\d+)",
            False,
            "inspects chart releases",
            go=GoBuild(
                "helm.sh/helm/v3",
                "./cmd/helm",
                "install",
                ("-X helm.sh/helm/v3/internal/version.version=v{version}",),
            ),
            release=(
                ReleaseAsset(
                    "helm",
                    "https://get.helm.sh/helm-v{version}-{os}-{arch}.tar.gz",
                    "https://get.helm.sh/helm-v{version}-{os}-{arch}.tar.gz.sha256sum",
                    "{os}-{arch}/helm",
                ),
            ),
        ),
        ToolSpec(
            "awscli",
            "aws",
            ("--version",),
            r"aws-cli/(\d+\.\d+\.\d+)",
            False,
            "optional: platformctl talks to AWS itself",
            pip_package="awscli",
        ),
        ToolSpec(
            "checkov",
            "checkov",
            ("--version",),
            r"^(\d+\.\d+\.\d+)",
            False,
            "scans the modules (in a venv of its own, apart from the project's pins)",
            pip_package="checkov",
            pip_module="checkov.main",
        ),
        ToolSpec(
            "conftest",
            "conftest",
            ("--version",),
            r"Conftest: v?(\d+\.\d+\.\d+\S*)",
            False,
            "checks the saved plans against the Rego policies in policies/",
            go=GoBuild(
                "github.com/open-policy-agent/conftest",
                ".",
                "install",
                ("-X github.com/open-policy-agent/conftest/internal/version.Version={version}",),
            ),
        ),
        ToolSpec(
            "kube-apiserver",
            "kube-apiserver",
            ("--version",),
            r"Kubernetes v(\d+\.\d+\.\d+\S*)",
            False,
            "local control plane of the sandbox (with kube-controller-manager, kube-scheduler)",
            go=GoBuild(
                "k8s.io/kubernetes",
                "k8s.io/kubernetes/cmd/kube-apiserver",
                "wrapper",
                _K8S_STAMP,
                extra_packages=(
                    "k8s.io/kubernetes/cmd/kube-controller-manager",
                    "k8s.io/kubernetes/cmd/kube-scheduler",
                ),
                staging_version=_K8S_STAGING,
            ),
            extra_executables=("kube-controller-manager", "kube-scheduler"),
            release=(
                _k8s_asset("kube-apiserver"),
                _k8s_asset("kube-controller-manager"),
                _k8s_asset("kube-scheduler"),
            ),
        ),
        ToolSpec(
            "etcd",
            "etcd",
            ("--version",),
            r"etcd Version: (\d+\.\d+\.\d+\S*)",
            False,
            "storage of the sandbox control plane",
            # The root module go.etcd.io/etcd/v3 is not served by every proxy; server/v3 has a
            # main package of its own (etcdmain.Main) and carries the release version.
            go=GoBuild(
                "go.etcd.io/etcd/server/v3",
                "go.etcd.io/etcd/server/v3",
                "wrapper",
                ("-X go.etcd.io/etcd/api/v3/version.Version={version}",),
            ),
            release=(
                ReleaseAsset(
                    "etcd",
                    _GH + "etcd-io/etcd/releases/download/v{version}/"
                    "etcd-v{version}-{os}-{arch}.tar.gz",
                    _GH + "etcd-io/etcd/releases/download/v{version}/SHA256SUMS",
                    "etcd-v{version}-{os}-{arch}/etcd",
                ),
            ),
        ),
        ToolSpec(
            "kwok",
            "kwok",
            ("--version",),
            r"kwok version v(\d+\.\d+\.\d+\S*)",
            False,
            "fake nodes of the sandbox control plane (Pods become Running without kubelets)",
            go=GoBuild(
                "sigs.k8s.io/kwok",
                "./cmd/kwok",
                "install",
                (
                    "-X sigs.k8s.io/kwok/pkg/consts.Version={version}",
                    "-X sigs.k8s.io/kwok/pkg/consts.PreRelease=GA",
                ),
            ),
            release=(
                ReleaseAsset(
                    "kwok",
                    _GH + "kubernetes-sigs/kwok/releases/download/v{version}/kwok-{os}-{arch}",
                    _GH + "kubernetes-sigs/kwok/releases/download/v{version}/checksums.txt",
                ),
            ),
        ),
        ToolSpec(
            "training-operator",
            "training-operator",
            (),
            r"^$",
            False,
            "Kubeflow Training Operator controller, run as a process of the sandbox",
            # The module has no version variable to stamp; Go records the module version in
            # the binary's build information (`go version -m`), which doctor reads.
            go=GoBuild(
                "github.com/kubeflow/training-operator",
                "github.com/kubeflow/training-operator/cmd/training-operator.v1",
                "wrapper",
            ),
            version_module="github.com/kubeflow/training-operator",
        ),
        ToolSpec(
            "python",
            "python3",
            ("--version",),
            r"Python (\d+\.\d+\.\d+)",
            False,
            "runs platformctl itself (checked, never installed)",
        ),
    )
}


def spec_for(name: str) -> ToolSpec | None:
    return CATALOG.get(name)
