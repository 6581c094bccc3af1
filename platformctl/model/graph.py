"""The unit dependency graph, read back from rendered `dependency` blocks.

Terragrunt reads the same blocks, so platformctl's order and terragrunt's cannot disagree.
"""

from __future__ import annotations

import graphlib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformctl.errors import UsageError

UNIT_FILE = "terragrunt.hcl"


@dataclass(frozen=True)
class Unit:
    """One terragrunt unit: its name (directory), path and the units it depends on."""

    name: str
    path: Path
    depends_on: tuple[str, ...]


@dataclass(frozen=True)
class Graph:
    units: Mapping[str, Unit]
    order: tuple[str, ...]

    def dependents(self, name: str) -> tuple[str, ...]:
        """Every unit that depends on `name`, directly or not, in topological order."""
        found: set[str] = set()
        frontier = [name]
        while frontier:
            current = frontier.pop()
            for unit in self.units.values():
                if current in unit.depends_on and unit.name not in found:
                    found.add(unit.name)
                    frontier.append(unit.name)
        return tuple(u for u in self.order if u in found)

    def dependencies(self, name: str) -> tuple[str, ...]:
        """Every unit `name` depends on, directly or not, in topological order."""
        found: set[str] = set()
        frontier = [name]
        while frontier:
            for dep in self.units[frontier.pop()].depends_on:
                if dep not in found:
                    found.add(dep)
                    frontier.append(dep)
        return tuple(u for u in self.order if u in found)

    def levels(self) -> tuple[tuple[str, ...], ...]:
        """Units grouped by depth: every unit of a level can run in parallel."""
        depth: dict[str, int] = {}
        for name in self.order:
            deps = self.units[name].depends_on
            depth[name] = 1 + max((depth[d] for d in deps), default=-1)
        return tuple(
            tuple(n for n in self.order if depth[n] == level)
            for level in range(max(depth.values(), default=-1) + 1)
        )


def _unquote(value: Any) -> Any:
    # python-hcl2 8 keeps the quotes and the escapes of string literals.
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r'\\(["\\])', r"\1", value[1:-1])
    return value


def dependency_paths(parsed: Mapping[str, Any]) -> list[str]:
    """config_path of every `dependency` block (and `dependencies { paths }`) of a parsed unit."""
    paths: list[str] = []
    for block in parsed.get("dependency", []):
        for body in block.values():
            paths.append(str(_unquote(body.get("config_path"))))
    for block in parsed.get("dependencies", []):
        paths.extend(str(_unquote(p)) for p in block.get("paths", []))
    return paths


_UNIT_DIR_CALLS = ("${get_terragrunt_dir()}", "${get_original_terragrunt_dir()}")


def _relative_to_unit(config_path: str) -> str:
    """A config_path relative to its unit: `${get_terragrunt_dir()}/../vpc` is `./../vpc`,
    as terragrunt evaluates it; any other interpolation cannot be read without terragrunt."""
    for call in _UNIT_DIR_CALLS:
        if config_path.startswith(call):
            config_path = "." + config_path[len(call) :]
    if "${" in config_path:
        raise UsageError(
            f"config_path {config_path!r} uses an interpolation platformctl cannot evaluate; "
            'write it relative to the unit ("../vpc") or with ${get_terragrunt_dir()}.'
        )
    return config_path


def read_graph(stack_dir: Path, *, cache_file: Path | None = None) -> Graph:
    """Build the graph of the units directly under `stack_dir` (one env/region of live/).

    With `cache_file`, each unit's dependency paths are remembered by the SHA-256 of its
    file, so a run over an unchanged tree parses nothing (parsing is the slow part).
    """
    if not stack_dir.is_dir():
        raise UsageError(f"{stack_dir} does not exist; run `platformctl render` first.")
    files = sorted(p for p in stack_dir.glob(f"*/{UNIT_FILE}"))
    if not files:
        raise UsageError(
            f"{stack_dir} holds no units ({UNIT_FILE} files); run `platformctl render` first."
        )
    known = _load_cache(cache_file)
    fresh: dict[str, list[str]] = {}
    units: dict[str, Unit] = {}
    for path in files:
        unit_path = path.parent
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"Cannot read {path}: {exc.strerror}.") from exc
        digest = hashlib.sha256(data).hexdigest()
        rels = known.get(digest)
        if rels is None:
            from platformctl.model.render import parse_hcl

            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise UsageError(
                    f"{path} is not UTF-8 text (byte {exc.start}); terragrunt reads UTF-8."
                ) from exc
            rels = dependency_paths(parse_hcl(text, path))
        fresh[digest] = rels
        deps: list[str] = []
        for rel in (_relative_to_unit(r) for r in rels):
            target = (unit_path / rel).resolve()
            if target.parent != stack_dir.resolve() or not (target / UNIT_FILE).is_file():
                raise UsageError(
                    f"Unit '{unit_path.name}' depends on '{rel}', which is not a unit of {stack_dir}."
                )
            deps.append(target.name)
        units[unit_path.name] = Unit(unit_path.name, unit_path, tuple(sorted(set(deps))))
    if cache_file is not None and fresh != known:
        from platformctl.fsutil import write_atomic

        write_atomic(cache_file, json.dumps(fresh, sort_keys=True))
    return Graph(units, _order(units))


def _load_cache(cache_file: Path | None) -> dict[str, list[str]]:
    if cache_file is None:
        return {}
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: [str(p) for p in v] for k, v in data.items() if isinstance(v, list)}


def _order(units: Mapping[str, Unit]) -> tuple[str, ...]:
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for unit in sorted(units):
        sorter.add(unit, *units[unit].depends_on)
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise UsageError(f"The units form a dependency cycle: {cycle}.") from exc
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return tuple(order)


def to_text(graph: Graph) -> str:
    lines = []
    for name in graph.order:
        deps = graph.units[name].depends_on
        lines.append(f"{name}" + (f"  <- {', '.join(deps)}" if deps else ""))
    return "\n".join(lines)


_MERMAID_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def to_mermaid(graph: Graph) -> str:
    """Mermaid flowchart. A unit whose name is not a plain Mermaid id (spaces, quotes,
    brackets) gets an id of its own and its name as a quoted label, so the output stays valid."""
    ids: dict[str, str] = {}
    for i, name in enumerate(graph.order):
        if _MERMAID_ID.fullmatch(name):
            ids[name] = name
        else:
            ids[name] = f'unit{i}["{name.replace(chr(34), "#quot;")}"]'
    lines = ["graph LR"]
    declared: set[str] = set()

    def node(name: str) -> str:
        if name in declared or ids[name] == name:
            return ids[name].split("[", 1)[0]
        declared.add(name)
        return ids[name]

    for name in graph.order:
        deps = graph.units[name].depends_on
        if not deps:
            lines.append(f"  {node(name)}")
        lines.extend(f"  {node(dep)} --> {node(name)}" for dep in deps)
    return "\n".join(lines)


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: Graph, title: str = "units") -> str:
    lines = [f"digraph {_dot_id(title)} {{", "  rankdir=LR;"]
    for name in graph.order:
        lines.append(f"  {_dot_id(name)};")
        lines.extend(
            f"  {_dot_id(dep)} -> {_dot_id(name)};" for dep in graph.units[name].depends_on
        )
    lines.append("}")
    return "\n".join(lines)


def to_json(graph: Graph) -> dict[str, Any]:
    return {
        "order": list(graph.order),
        "levels": [list(level) for level in graph.levels()],
        "units": {
            n: {"path": str(u.path), "depends_on": list(u.depends_on)}
            for n, u in graph.units.items()
        },
    }


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True)


def selected(graph: Graph, names: Iterable[str]) -> tuple[str, ...]:
    wanted = set(names)
    return tuple(n for n in graph.order if n in wanted)
