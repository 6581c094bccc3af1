"""Every chart release's values pass `helm lint` and `helm template` against the pinned chart.

For each module with a chart_values.tf and each environment of the shipped platform.toml,
the values are what OpenTofu computes from the inputs platformctl renders for that unit
(tests.fixtures.units), checked against ../shared/offline/charts/<chart>-<version>.tgz
with `--kube-version` of the environment. No provider is needed.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from platformctl.model.config import load_platform, resolve_org
from platformctl.model.render import unit_dir
from platformctl.toolchain import offline
from platformctl.toolchain.locate import tool_path
from tests.conftest import REPO
from tests.fixtures.chart_values import chart_releases, helm_checks
from tests.fixtures.units import LIVE_DIR, load_unit, resolved_inputs

pytestmark = pytest.mark.real

MODULES = sorted(p.parent.name for p in (REPO / "modules").glob("*/chart_values.tf"))
ORG = resolve_org("ExampleOrg")


@pytest.fixture(scope="module")
def charts() -> Path:
    directory = offline.offline_dir(root=REPO)
    if directory is None or not (directory / "charts").is_dir():
        pytest.skip("no offline charts folder (../shared/offline/charts)")
    return directory


@pytest.fixture(scope="module")
def tofu() -> Path:
    return tool_path(REPO, "opentofu")


@pytest.fixture(scope="module")
def helm() -> Path:
    return tool_path(REPO, "helm")


def _archive(directory: Path) -> Callable[[str, str], Path]:
    """The chart archive of the offline folder, after its checksum matched SHA256SUMS."""

    def archive(chart: str, version: str) -> Path:
        return offline.verified(directory, f"charts/{chart}-{version}.tgz")

    return archive


def test_some_module_has_chart_values() -> None:
    assert MODULES, "no modules/*/chart_values.tf"


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("env_name", ["dev", "sandbox"])
def test_chart_values_pass_helm_lint_and_template(
    charts: Path, tofu: Path, helm: Path, module: str, env_name: str, tmp_path: Path
) -> None:
    env = load_platform(REPO).get(env_name)
    unit = load_unit(LIVE_DIR / unit_dir(ORG, env, module) / "terragrunt.hcl")
    assert unit.module == module, f"{unit.id} calls modules/{unit.module}, not {module}"
    inputs = resolved_inputs(unit)
    releases = chart_releases(tofu, REPO / "modules" / module, inputs, tmp_path)
    assert releases, f"modules/{module}/chart_values.tf has no chart_releases"
    failed = helm_checks(helm, _archive(charts), releases, env.kubernetes_version, tmp_path)
    assert not failed, f"modules/{module} for {env_name}:\n" + "\n".join(map(str, failed))


# --- the check itself can fail ---------------------------------------------------------

SCRATCH_VARIABLES = """
variable "cluster_name" {
  type = string
}

variable "cert_manager_values" {
  type    = any
  default = {}
}
"""

SCRATCH_CHART_VALUES = """
locals {
  chart_releases = {
    cert_manager = {
      chart   = "cert-manager"
      version = "v1.21.1"
      values  = merge({ crds = { enabled = true } }, var.cert_manager_values)
    }
    istiod = {
      chart   = "istiod"
      version = "1.30.3"
      values  = { profile = "ambient", global = { multiCluster = { clusterName = var.cluster_name } } }
    }
  }
}
"""


def _scratch_module(tmp_path: Path) -> Path:
    module = tmp_path / "modules" / "scratch"
    module.mkdir(parents=True)
    (module / "variables.tf").write_text(textwrap.dedent(SCRATCH_VARIABLES))
    (module / "chart_values.tf").write_text(textwrap.dedent(SCRATCH_CHART_VALUES))
    return module


def test_values_the_charts_accept_pass(
    charts: Path, tofu: Path, helm: Path, tmp_path: Path
) -> None:
    module = _scratch_module(tmp_path)
    releases = chart_releases(tofu, module, {"cluster_name": "c1"}, tmp_path / "eval")
    assert releases["istiod"]["values"]["global"]["multiCluster"]["clusterName"] == "c1"
    assert helm_checks(helm, _archive(charts), releases, "1.35", tmp_path / "helm") == []


def test_a_key_the_charts_schema_rejects_fails_with_helms_output(
    charts: Path, tofu: Path, helm: Path, tmp_path: Path
) -> None:
    module = _scratch_module(tmp_path)
    # Removed in cert-manager 1.21; its values.schema.json allows no unknown key.
    bad = {
        "cluster_name": "c1",
        "cert_manager_values": {"prometheus": {"servicemonitor": {"targetPort": 9402}}},
    }
    releases = chart_releases(tofu, module, bad, tmp_path / "eval")
    failed = helm_checks(helm, _archive(charts), releases, "1.35", tmp_path / "helm")
    assert {(f.release, f.command.split()[1]) for f in failed} == {
        ("cert_manager", "lint"),
        ("cert_manager", "template"),
    }
    assert all("targetPort" in f.output for f in failed), "\n".join(map(str, failed))


def test_a_kubernetes_version_below_the_charts_kube_version_fails(
    charts: Path, tofu: Path, helm: Path, tmp_path: Path
) -> None:
    module = _scratch_module(tmp_path)
    releases = chart_releases(tofu, module, {"cluster_name": "c1"}, tmp_path / "eval")
    failed = helm_checks(
        helm, _archive(charts), {"cert_manager": releases["cert_manager"]}, "1.21", tmp_path / "h"
    )
    assert [f.command.split()[1] for f in failed] == ["template"], "\n".join(map(str, failed))
    assert "chart requires kubeVersion: >= 1.22.0-0" in failed[0].output
