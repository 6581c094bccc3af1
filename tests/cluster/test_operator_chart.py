"""The Training Operator chart: objects, schema descriptions, determinism, the real tree."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
import yaml

from platformctl.cluster.operator_chart import ensure_chart, package, split_objects
from platformctl.errors import ToolNotFoundError
from platformctl.toolchain.locate import tool_path
from tests.conftest import REPO

CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: things.example.com
spec:
  versions:
  - name: v1
    schema:
      openAPIV3Schema:
        description: A thing.
        type: object
        properties:
          description:
            description: A field that happens to be called description.
            type: string
          size:
            description: How big.
            type: integer
"""
MANIFEST = (
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kubeflow\n---\n"
    + CRD
    + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tmpl\ndata:\n  x: '{{ not helm }}'\n"
)


def test_objects_drop_the_namespace_and_schema_descriptions_but_keep_fields() -> None:
    objects = split_objects(MANIFEST)
    assert [(kind, name) for kind, name, _ in objects] == [
        ("CustomResourceDefinition", "things.example.com"),
        ("ConfigMap", "tmpl"),
    ]
    crd = yaml.safe_load(objects[0][2])
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert "description" not in schema
    assert set(schema["properties"]) == {"description", "size"}  # the field stays
    assert schema["properties"]["description"] == {"type": "string"}
    assert schema["properties"]["size"] == {"type": "integer"}


def test_package_is_deterministic_and_escapes_template_delimiters() -> None:
    objects = split_objects(MANIFEST)
    first, second = package("1.2.3", objects), package("1.2.3", objects)
    assert first == second
    with tarfile.open(fileobj=io.BytesIO(first), mode="r:gz") as tar:
        names = tar.getnames()
        configmap = next(n for n in names if "configmap" in n)
        text = tar.extractfile(configmap).read().decode()  # type: ignore[union-attr]
        chart = tar.extractfile("training-operator/Chart.yaml").read().decode()  # type: ignore[union-attr]
    assert '{{ "{{" }} not helm {{ "}}" }}' in text
    assert "version: 1.2.3" in chart


@pytest.mark.real
def test_the_pinned_tree_makes_a_chart_helm_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    offline = os.environ.get("PLATFORMCTL_OFFLINE_DIR")
    if not offline:
        pytest.skip(
            "no offline directory (PLATFORMCTL_OFFLINE_DIR) with the Training Operator tree"
        )
    try:
        kubectl, helm = tool_path(REPO, "kubectl"), tool_path(REPO, "helm")
    except ToolNotFoundError as exc:
        pytest.skip(exc.message)
    monkeypatch.setenv("PLATFORMCTL_CACHE", str(tmp_path / "cache"))
    chart = ensure_chart("1.9.2", kubectl, Path(offline))
    assert chart.objects == 13  # the standalone overlay without its Namespace
    from platformctl import proc

    rendered = proc.run([helm, "template", "t", str(chart.path), "-n", "kubeflow"]).stdout
    kinds = [doc["kind"] for doc in yaml.safe_load_all(rendered) if doc]
    assert kinds.count("CustomResourceDefinition") == 6
    assert "Deployment" in kinds and "Namespace" not in kinds
    # Helm keeps a release in one Secret (1 MiB at most); the package stays far below.
    assert chart.path.stat().st_size < 200_000
    assert ensure_chart("1.9.2", kubectl, Path(offline)).source == "cached"


@pytest.mark.real
def test_the_go_module_gives_the_same_chart_as_the_offline_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an offline directory the tree comes from the Go module (manifests/ at the
    tag, through the module proxy): byte for byte the chart the offline archive gives."""
    from platformctl.cluster.operator_chart import MODULE, module_tree

    try:
        kubectl = tool_path(REPO, "kubectl")
    except ToolNotFoundError as exc:
        pytest.skip(exc.message)
    monkeypatch.setenv("PLATFORMCTL_OFFLINE", "1")  # the proxy only: no git remote is tried
    if module_tree("1.9.2") is None:
        pytest.skip(f"Go cannot download {MODULE}@v1.9.2 here")
    monkeypatch.setenv("PLATFORMCTL_CACHE", str(tmp_path / "from-module"))
    chart = ensure_chart("1.9.2", kubectl, None)
    assert chart.source == f"{MODULE}@v1.9.2"
    assert chart.objects == 13
    offline = os.environ.get("PLATFORMCTL_OFFLINE_DIR")
    if offline:
        monkeypatch.setenv("PLATFORMCTL_CACHE", str(tmp_path / "from-offline"))
        other = ensure_chart("1.9.2", kubectl, Path(offline))
        assert other.path.read_bytes() == chart.path.read_bytes()
