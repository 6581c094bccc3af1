from __future__ import annotations

from pathlib import Path

import pytest

from platformctl.errors import UsageError
from platformctl.model.graph import read_graph, to_dot, to_json, to_mermaid, to_text
from tests.fixtures.repo import REPO


def _stack(tmp_path: Path, units: dict[str, list[str]]) -> Path:
    for name, deps in units.items():
        body = "".join(f'dependency "{d}" {{\n  config_path = "../{d}"\n}}\n' for d in deps)
        (tmp_path / name).mkdir()
        (tmp_path / name / "terragrunt.hcl").write_text(body or "inputs = {}\n")
    return tmp_path


def test_shipped_units_run_vpc_eks_mesh_kubeflow() -> None:
    graph = read_graph(REPO / "live/exampleorg/dev/us-east-1")
    assert graph.order == ("vpc", "eks", "mesh", "kubeflow")
    assert graph.levels() == (("vpc",), ("eks",), ("mesh",), ("kubeflow",))
    assert graph.dependents("eks") == ("mesh", "kubeflow")
    assert graph.dependencies("kubeflow") == ("vpc", "eks", "mesh")


def test_independent_units_share_a_level(tmp_path: Path) -> None:
    graph = read_graph(_stack(tmp_path, {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}))
    assert graph.levels() == (("a",), ("b", "c"), ("d",))


def test_cycle_is_a_clear_error_naming_the_units(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"cycle: .*a.*b") as err:
        read_graph(_stack(tmp_path, {"a": ["b"], "b": ["a"], "c": []}))
    assert err.value.exit_code == 2


def test_missing_dependency_names_both_units(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"Unit 'a' depends on '\.\./ghost'"):
        read_graph(_stack(tmp_path, {"a": ["ghost"]}))


def test_empty_or_missing_stack_says_render_first(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="platformctl render"):
        read_graph(tmp_path / "nowhere")
    with pytest.raises(UsageError, match="no units"):
        read_graph(tmp_path)


def test_formats(tmp_path: Path) -> None:
    graph = read_graph(_stack(tmp_path, {"a": [], "b": ["a"]}))
    assert to_text(graph) == "a\nb  <- a"
    assert to_mermaid(graph) == "graph LR\n  a\n  a --> b"
    assert '"a" -> "b";' in to_dot(graph)
    assert to_json(graph)["order"] == ["a", "b"]


def test_cache_skips_parsing_unchanged_units_and_notices_changes(tmp_path: Path) -> None:
    stack = (
        _stack(tmp_path / "stack", {"a": [], "b": ["a"]})
        if (tmp_path / "stack").mkdir() is None
        else None
    )
    assert stack is not None
    cache = tmp_path / "cache.json"
    first = read_graph(stack, cache_file=cache)
    assert cache.is_file() and first.order == ("a", "b")
    # A cache entry is only trusted for the exact bytes it was made from.
    (stack / "a" / "terragrunt.hcl").write_text('dependency "b" {\n  config_path = "../b"\n}\n')
    with pytest.raises(UsageError, match="cycle"):
        read_graph(stack, cache_file=cache)
    (stack / "a" / "terragrunt.hcl").write_text("inputs = {}\n")
    cache.write_text("not json")
    assert read_graph(stack, cache_file=cache).order == ("a", "b")


def test_odd_unit_names_stay_valid_mermaid_and_dot(tmp_path: Path) -> None:
    for name, dep in (("my unit", ""), ('q"x', "my unit"), ("b", 'q"x')):
        (tmp_path / name).mkdir()
        escaped = dep.replace('"', '\\"')
        body = f'dependency "d" {{\n  config_path = "../{escaped}"\n}}\n'
        (tmp_path / name / "terragrunt.hcl").write_text(body if dep else "inputs = {}\n")
    graph = read_graph(tmp_path)
    mermaid = to_mermaid(graph).splitlines()
    assert mermaid[0] == "graph LR"
    assert 'unit0["my unit"]' in mermaid[1] and "#quot;" in "\n".join(mermaid)
    for line in mermaid[1:]:
        bare = line.split("[", 1)[0].strip().replace(" --> ", " ").split()
        assert all(part.replace("-", "").replace("_", "").isalnum() for part in bare), line
    dot = to_dot(graph, 'org/"env"')
    assert 'digraph "org/\\"env\\"" {' in dot
    assert '"my unit" -> "q\\"x";' in dot


def test_config_path_may_start_at_the_units_own_directory(tmp_path: Path) -> None:
    stack = _stack(tmp_path, {"vpc": [], "eks": []})
    (stack / "eks/terragrunt.hcl").write_text(
        'dependency "vpc" {\n  config_path = "${get_terragrunt_dir()}/../vpc"\n}\n'
    )
    assert read_graph(stack).dependencies("eks") == ("vpc",)
    (stack / "eks/terragrunt.hcl").write_text(
        'dependency "vpc" {\n  config_path = "${path_relative_to_include()}/vpc"\n}\n'
    )
    with pytest.raises(UsageError, match="uses an interpolation platformctl cannot evaluate"):
        read_graph(stack)
