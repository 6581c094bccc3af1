"""The sandbox's Helm chart repository: the offline charts, verified, indexed by the pinned
helm and served on 127.0.0.1; the real helm installs from it."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest
import yaml

from platformctl import proc
from platformctl.errors import ToolNotFoundError
from platformctl.report import SilentReporter
from platformctl.sandbox import registry as sandbox
from platformctl.sandbox.chartrepo import CHART_REPOSITORY_ENV, ChartRepository
from platformctl.toolchain import offline
from platformctl.toolchain.locate import tool_path
from tests.conftest import REPO
from tests.fixtures.repo_cli import Cli, assert_one_sentence
from tests.fixtures.servers import free_port

pytestmark = pytest.mark.real


@pytest.fixture
def offline_charts(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(offline.ENV_VAR, raising=False)
    directory = offline.offline_dir(root=REPO)
    if directory is None or not (directory / "charts").is_dir():
        pytest.skip("SKIPPED: no ../shared/offline/charts next to the repository")
    return directory


@pytest.fixture
def helm() -> Path:
    try:
        return tool_path(REPO, "helm")
    except ToolNotFoundError as exc:
        pytest.skip(f"SKIPPED: helm is not installed ({exc.message} {exc.hint})")


@pytest.fixture
def cleanup(repo: Path) -> object:
    yield None
    sandbox.down(repo, SilentReporter(), purge=True)


def _helm_env(tmp_path: Path) -> dict[str, str]:
    return {
        "HELM_CACHE_HOME": str(tmp_path / "helm-cache"),
        "HELM_CONFIG_HOME": str(tmp_path / "helm-config"),
        "HELM_DATA_HOME": str(tmp_path / "helm-data"),
    }


def test_up_serves_the_verified_offline_charts_and_helm_reads_them(
    repo: Path,
    cli: Cli,
    cleanup: object,
    offline_charts: Path,
    helm: Path,
    tmp_path: Path,
) -> None:
    port = free_port()
    result = cli(
        "sandbox", "up", "--only", "charts", "--offline-dir", str(offline_charts),
        "--charts-port", str(port), "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    [charts] = result.json()["components"]
    url = f"http://127.0.0.1:{port}"
    assert (charts["name"], charts["action"], charts["endpoint"]) == ("charts", "started", url)
    count = len(list((offline_charts / "charts").glob("*.tgz")))
    assert charts["detail"] == f"Helm chart repository, {count} charts from {offline_charts}"

    served = repo / ".platformctl" / "charts"
    index = yaml.safe_load((served / "index.yaml").read_text())
    assert set(index["entries"]) >= {
        "aws-fsx-csi-driver", "aws-load-balancer-controller", "base", "cni", "gateway",
        "gpu-operator", "istiod", "kiali-server", "prometheus", "ztunnel",
    }  # fmt: skip
    assert sum(len(v) for v in index["entries"].values()) == count  # every version indexed
    # Relative URLs: the index does not depend on the port it is served on.
    assert ["istiod-1.28.0.tgz"] in [e["urls"] for e in index["entries"]["istiod"]]

    shown = proc.run(
        [helm, "show", "chart", "--repo", url, "istiod", "--version", "1.28.0"],
        env=_helm_env(tmp_path),
    )
    chart = yaml.safe_load(shown.stdout)
    assert (chart["name"], chart["version"]) == ("istiod", "1.28.0")
    pulled = proc.run(
        [helm, "pull", "--repo", url, "prometheus", "--version", "27.45.0", "-d", tmp_path],
        env=_helm_env(tmp_path),
    )
    assert pulled.returncode == 0
    # Served as `helm package` publishes: .helmignore honoured, the version stamped.
    with tarfile.open(served / "aws-load-balancer-controller-3.5.0.tgz") as tar:
        names = tar.getnames()
    assert "aws-load-balancer-controller/crds/crds.yaml" in names
    assert "aws-load-balancer-controller/crds/kustomization.yaml" not in names
    assert "v25.3.0" in [e["version"] for e in index["entries"]["gpu-operator"]]

    assert ChartRepository().env(repo) == {CHART_REPOSITORY_ENV: url}
    status = cli("sandbox", "status", "--json").json()
    [running] = [c for c in status["components"] if c["name"] == "charts"]
    assert running["running"] and running["endpoint"] == url
    assert url in cli("sandbox", "status").out

    again = cli("sandbox", "up", "--only", "charts", "--offline-dir", str(offline_charts), "--json")
    assert again.json()["components"][0]["action"] == "reused"
    assert again.json()["components"][0]["pid"] == charts["pid"]

    down = cli("sandbox", "down", "--purge", "--json")
    assert down.code == 0, down.err
    assert not proc.pid_alive(charts["pid"])
    assert not served.exists()
    assert ChartRepository().env(repo) == {}


def test_a_chart_that_does_not_match_its_checksum_is_refused_in_one_sentence(
    repo: Path, cli: Cli, cleanup: object, offline_charts: Path, tmp_path: Path
) -> None:
    damaged = tmp_path / "offline"
    (damaged / "charts").mkdir(parents=True)
    shutil.copy(offline_charts / "SHA256SUMS", damaged / "SHA256SUMS")
    shutil.copy(offline_charts / "charts" / "base-1.28.0.tgz", damaged / "charts")
    (damaged / "charts" / "ztunnel-1.28.0.tgz").write_bytes(b"not the chart")
    result = cli("sandbox", "up", "--only", "charts", "--offline-dir", str(damaged))
    assert result.code == 1
    assert "charts/ztunnel-1.28.0.tgz does not match its checksum in SHA256SUMS" in result.error
    assert_one_sentence(result.error)
    assert not (repo / ".platformctl" / "charts" / "base-1.28.0.tgz").exists()


def test_without_an_offline_directory_the_repository_is_reported_not_started(
    repo: Path, cli: Cli, cleanup: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(offline.ENV_VAR, raising=False)
    result = cli("sandbox", "up", "--only", "charts", "--json")
    assert result.code == 0, result.err
    [charts] = result.json()["components"]
    assert (charts["running"], charts["required"]) == (False, False)
    assert charts["detail"].startswith("not started: no offline charts (pass --offline-dir DIR")
    missing = cli("sandbox", "up", "--only", "charts", "--offline-dir", str(repo / "nope"))
    assert missing.code == 2
    assert_one_sentence(missing.error)
