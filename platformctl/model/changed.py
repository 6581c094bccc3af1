"""`--changed`: the units whose files changed since a git ref, plus everything depending on them.

A unit is touched by a change to its rendered directory, to the module its terraform
`source` points at (a local path), to a shared include above it (root.hcl, env.hcl,
region.hcl, …), or to what renders them (its template, shared templates, platform.toml). Uncommitted and untracked files count: the comparison is between the
merge base of REF and HEAD, and the working tree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from platformctl import proc
from platformctl.errors import ProcessError, UsageError
from platformctl.model.graph import UNIT_FILE, Graph

_TG_DIR_RE = re.compile(r"\$\{\s*get_terragrunt_dir\(\)\s*\}")


def default_base(root: Path) -> str:
    """The ref to compare with: the pull request's base in CI, else origin/main or main."""
    candidates: list[str] = []
    github_base = os.environ.get("GITHUB_BASE_REF")
    if github_base:
        candidates.append(f"origin/{github_base}")
    candidates += ["origin/main", "main", "HEAD"]
    for ref in candidates:
        done = proc.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=root, check=False
        )
        if done.returncode == 0:
            return ref
    raise UsageError("--changed needs a git repository with at least one commit; pass --base REF.")


def changed_files(root: Path, base: str) -> tuple[str, ...]:
    """Paths (relative to `root`, POSIX style) that differ from the merge base of `base`."""
    try:
        merge_base = proc.run(["git", "merge-base", base, "HEAD"], cwd=root).stdout.strip()
    except ProcessError as exc:
        raise UsageError(
            f"--base {base}: git cannot compare it with HEAD (is it a ref of this repository?)."
        ) from exc
    diff = proc.run(["git", "diff", "--name-only", "--relative", merge_base, "--"], cwd=root)
    untracked = proc.run(["git", "ls-files", "--others", "--exclude-standard"], cwd=root)
    names = {n for n in (diff.stdout + untracked.stdout).splitlines() if n.strip()}
    return tuple(sorted(names))


def unit_sources(graph: Graph, root: Path) -> dict[str, Path]:
    """Each unit's local module directory (from its terraform `source`), when it has one."""
    from platformctl.model.render import parse_hcl

    sources: dict[str, Path] = {}
    for name, unit in graph.units.items():
        path = unit.path / UNIT_FILE
        parsed = parse_hcl(path.read_text(encoding="utf-8"), path)
        for block in parsed.get("terraform", []):
            raw = str(block.get("source", "")).strip('"')
            if not raw or "::" in raw or raw.startswith(("git", "http", "s3", "gcs", "tfr")):
                continue
            text = _TG_DIR_RE.sub(str(unit.path), raw).replace("//", "/")
            candidate = Path(os.path.normpath(text if os.path.isabs(text) else unit.path / text))
            if candidate.is_relative_to(root):
                sources[name] = candidate
    return sources


def _under(file: PurePosixPath, directory: PurePosixPath) -> bool:
    return file == directory or directory in file.parents


def select(graph: Graph, root: Path, stack_dir: Path, files: Iterable[str]) -> tuple[str, ...]:
    """The units touched by `files` plus their dependents, in graph order."""
    from platformctl.model.livetree import MANIFEST

    # The manifest changes only with the set of rendered files, which the templates and
    # platform.toml decide: it touches no unit by itself.
    rel = [PurePosixPath(f) for f in files if PurePosixPath(f).name != MANIFEST]
    stack = PurePosixPath(stack_dir.resolve().relative_to(root.resolve()).as_posix())
    live_root = PurePosixPath(stack.parts[0]) if stack.parts else stack
    # Shared includes: files directly in the stack dir or in one of its parents within live/.
    shared_dirs = {stack, *(p for p in stack.parents if _under(p, live_root))}
    shared = any(f.parent in shared_dirs for f in rel)
    # The sources of the rendered tree: a unit's template touches that unit, any other
    # template or platform.toml may touch every unit.
    unit_templates = PurePosixPath("templates/units")
    templated = {f.name.split(".")[0] for f in rel if f.parent == unit_templates}
    shared = shared or any(
        (_under(f, PurePosixPath("templates")) and f.parent != unit_templates)
        or f == PurePosixPath("platform.toml")
        for f in rel
    )
    sources = unit_sources(graph, root.resolve())
    touched: set[str] = set()
    for name, unit in graph.units.items():
        unit_rel = stack / unit.path.name
        dirs = [unit_rel]
        if name in sources:
            dirs.append(PurePosixPath(sources[name].relative_to(root.resolve()).as_posix()))
        if shared or name in templated or any(_under(f, d) for f in rel for d in dirs):
            touched.add(name)
    closure = set(touched)
    for name in touched:
        closure.update(graph.dependents(name))
    return tuple(n for n in graph.order if n in closure)
