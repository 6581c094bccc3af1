"""The component table: Kubernetes ranges enforced on platform.toml, EKS support warnings,
and the table's versions against the modules' defaults, .tool-versions and the offline charts."""

from __future__ import annotations

import re
import tarfile
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import hcl2
import pytest

from platformctl.errors import UsageError
from platformctl.model import components
from platformctl.model.awsdata import EKS_VERSIONS
from platformctl.model.components import COMPONENTS, check_kubernetes_version, support_warnings
from platformctl.model.config import Features, parse_platform
from platformctl.toolchain import offline
from platformctl.toolchain.versions import load_pins
from tests.conftest import REPO
from tests.fixtures.repo import base_platform, platform_with
from tests.fixtures.repo_cli import Cli, assert_one_sentence

AUTOSCALER = next(c for c in COMPONENTS if c.name == "Cluster Autoscaler")


def test_a_version_outside_an_enabled_components_range_is_one_sentence_naming_it() -> None:
    with pytest.raises(UsageError) as err:
        parse_platform(platform_with("kubernetes_version", "1.34"))
    message = err.value.message
    assert_one_sentence(message)
    assert message.startswith("environments.dev.kubernetes_version '1.34' is not supported by")
    assert "Cluster Autoscaler 9.59.0 (Kubernetes 1.35 only, per https://" in message
    assert "features.cluster_autoscaler = false" in message
    assert err.value.exit_code == 2


def test_the_cli_refuses_it_with_exit_2(repo: Path, cli: Cli) -> None:
    text = (repo / "platform.toml").read_text()
    (repo / "platform.toml").write_text(text.replace('"1.35"', '"1.32"', 1))
    result = cli("graph", "--org", "ExampleOrg", "--env", "dev")
    assert result.code == 2, result.err
    assert_one_sentence(result.error)
    assert "'1.32' is not supported by" in result.error
    assert "(Kubernetes 1.33 to 1.36, per" in result.error  # cert-manager, first in the table


def test_the_shipped_versions_and_in_range_versions_are_accepted() -> None:
    platform = parse_platform(base_platform())
    assert {e.kubernetes_version for e in platform.environments} == {"1.35"}
    # 1.33 and 1.36 are in every range once the autoscaler (1.35 only) is off.
    no_autoscaler = {"features": {"cluster_autoscaler": False}}
    check_kubernetes_version("environments.x", "1.33", no_autoscaler)
    check_kubernetes_version("environments.x", "1.36", no_autoscaler)
    check_kubernetes_version("environments.x", "1.35", {})


def test_a_component_that_is_off_sets_no_bound() -> None:
    off = {"features": {"cluster_autoscaler": False, "cert_manager": False, "gpu_operator": False}}
    check_kubernetes_version("environments.x", "1.32", off)
    gpu = {"features": {**off["features"], "gpu_operator": True}}
    with pytest.raises(UsageError, match=r"NVIDIA GPU Operator v26\.7\.0"):
        check_kubernetes_version("environments.x", "1.32", gpu)
    # ExternalDNS is on only with [environments.dns]; its range has no upper bound.
    dns = {"dns": {"zone_id": "Z0123456789ABCDEFGHIJ", "domain": "dev.example.com"}}
    assert any(c.name == "ExternalDNS" for c in components.enabled_components(dns))
    assert not any(c.name == "ExternalDNS" for c in components.enabled_components({}))


def test_a_switch_that_is_not_a_boolean_counts_as_its_default() -> None:
    with pytest.raises(UsageError, match="Cluster Autoscaler"):
        check_kubernetes_version(
            "environments.x", "1.34", {"features": {"cluster_autoscaler": "no"}}
        )


def test_each_switch_default_is_the_platform_toml_default() -> None:
    defaults = Features()
    problems = [
        f"{c.name}: features.{c.switch} defaults to "
        f"{getattr(defaults, c.switch, 'nothing (Features has no such switch)')}, the table "
        f"says {c.switch_default}"
        for c in COMPONENTS
        if c.switch not in ("", "dns") and getattr(defaults, c.switch, None) is not c.switch_default
    ]
    assert not problems, "\n".join(problems)


def _env(name: str, version: str, sandbox: bool = False, support: str = "EXTENDED") -> Any:
    return SimpleNamespace(
        name=name, kubernetes_version=version, sandbox=sandbox, support_type=support
    )


def test_a_version_past_standard_support_warns_with_the_date_and_the_cost() -> None:
    envs = [_env("dev", "1.34"), _env("prod", "1.35"), _env("sandbox", "1.32", sandbox=True)]
    warnings = support_warnings(envs, today=date(2026, 12, 4))
    assert warnings == (
        "environments.dev: Kubernetes 1.34 left EKS standard support on 2026-12-02, so until "
        "extended support ends on 2027-12-02 EKS bills $0.60 per cluster-hour instead of "
        "$0.10 (https://aws.amazon.com/eks/pricing/); upgrade kubernetes_version to 1.35.",
    )
    assert_one_sentence(warnings[0])
    # The day before, 1.34 was still in standard support (billing starts that day, UTC).
    assert support_warnings(envs, today=date(2026, 12, 1)) == ()


def test_with_standard_support_only_the_warning_is_the_automatic_upgrade() -> None:
    (warning,) = support_warnings(
        [_env("dev", "1.33", support="STANDARD")], today=date(2026, 12, 4)
    )
    assert_one_sentence(warning)
    assert warning.startswith(
        "environments.dev: Kubernetes 1.33 left EKS standard support on 2026-07-29 and "
        "support_type is STANDARD, so EKS upgrades the cluster's control plane on its own"
    )
    assert "until 2027-07-29, would cost $0.60 per cluster-hour instead of $0.10" in warning


def test_a_version_past_extended_support_warns_of_the_automatic_upgrade() -> None:
    (warning,) = support_warnings([_env("dev", "1.29")], today=date(2026, 12, 4))
    assert "left EKS extended support on 2026-03-23" in warning
    assert "upgrades the cluster's control plane on its own" in warning


def test_the_shipped_environments_get_no_warning_today() -> None:
    platform = parse_platform(base_platform())
    assert support_warnings(platform.environments, today=date(2026, 12, 4)) == ()


def test_every_version_platformctl_accepts_is_in_the_eks_calendar() -> None:
    calendar = {row.version: row for row in components.EKS_CALENDAR}
    for version in EKS_VERSIONS:
        row = calendar[version]
        assert row.eks_release < row.end_of_standard_support < row.end_of_extended_support


# --- the table against the modules, .tool-versions and the offline charts ---------------


def _unquote(text: Any) -> Any:
    return (
        text[1:-1]
        if isinstance(text, str) and len(text) > 1 and text[0] == text[-1] == '"'
        else text
    )


def _variables() -> dict[str, tuple[str, dict[str, Any]]]:
    """Every variable of modules/*/variables.tf: name -> (module, block)."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for path in sorted((REPO / "modules").glob("*/variables.tf")):
        with path.open() as handle:
            for entry in hcl2.load(handle).get("variable", []):
                for name, block in entry.items():
                    found[_unquote(name)] = (path.parent.name, block)
    return found


def test_every_chart_version_default_of_the_modules_is_the_tables_version() -> None:
    variables = _variables()
    problems = []
    for component in COMPONENTS:
        if not component.variable:
            continue
        if component.variable not in variables:
            problems.append(
                f"{component.name}: no modules/*/variables.tf declares {component.variable}"
            )
            continue
        module, block = variables[component.variable]
        default = _unquote(block.get("default"))
        if default != component.version:
            problems.append(
                f"{component.name}: modules/{module} {component.variable} defaults to "
                f"{default!r}, the table pins {component.version!r}"
            )
    # The other direction: a chart version variable the table does not know.
    mapped = {c.variable for c in COMPONENTS}
    for name, (module, block) in variables.items():
        described = _unquote(block.get("description", "")) or ""
        if name.endswith("_version") and "chart" in described and name not in mapped:
            problems.append(f"modules/{module} {name} is a chart version the table lacks")
    assert not problems, "\n".join(problems)


def test_the_training_operator_is_the_tool_versions_pin() -> None:
    operator = next(c for c in COMPONENTS if c.name == "Kubeflow Training Operator")
    assert load_pins(REPO)["training-operator"].version == operator.version


def test_the_table_matches_the_offline_charts() -> None:
    """Version and app version as each archive says, and no range below the chart's own."""
    directory = offline.offline_dir(root=REPO)
    if directory is None or not (directory / "charts").is_dir():
        pytest.skip("no offline charts folder (../shared/offline/charts)")
    problems = []
    for component in COMPONENTS:
        for chart in component.charts:
            archive = directory / "charts" / f"{chart}-{component.version}.tgz"
            if chart == "training-operator":
                continue  # packaged by platformctl from the pinned manifests
            if not archive.is_file():
                problems.append(f"{component.name}: no {archive.name} in {directory / 'charts'}")
                continue
            meta = _chart_yaml(archive, chart)
            if (meta.get("version"), meta.get("appVersion")) != (
                component.version,
                component.app_version,
            ):
                problems.append(
                    f"{archive.name}: version {meta.get('version')!r}, appVersion "
                    f"{meta.get('appVersion')!r}; the table says {component.version!r}, "
                    f"{component.app_version!r}"
                )
            low = re.search(r">=\s*v?(\d+\.\d+)", str(meta.get("kubeVersion", "")))
            if (
                low
                and component.kubernetes_min
                and components._minor(component.kubernetes_min) < components._minor(low.group(1))
            ):
                problems.append(
                    f"{archive.name} needs Kubernetes {low.group(1)}+, the table says "
                    f"{component.kubernetes_min}"
                )
    assert not problems, "\n".join(problems)


def _chart_yaml(archive: Path, chart: str) -> dict[str, Any]:
    import yaml

    with tarfile.open(archive) as tar:
        member = tar.extractfile(f"{chart}/Chart.yaml")
        assert member is not None, archive
        data = yaml.safe_load(member.read())
    return {
        k: str(v) if v is not None else None
        for k, v in data.items()
        if isinstance(v, str | int | float)
    }


def test_each_entry_names_its_source_and_a_well_formed_range() -> None:
    for component in COMPONENTS:
        assert component.source, component.name
        bounds = [b for b in (component.kubernetes_min, component.kubernetes_max) if b]
        assert all(re.fullmatch(r"1\.\d+", b) for b in bounds), component.name
        if len(bounds) == 2:
            assert components._minor(bounds[0]) <= components._minor(bounds[1]), component.name
    assert AUTOSCALER.supported == "1.35 only"
