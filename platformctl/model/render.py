"""Render the Terragrunt live tree from templates/ and platform.toml.

The tree is a pure function of (platform.toml, org, templates): files are rendered in
memory, parse-checked with python-hcl2, then written all at once (platformctl.model.livetree).
A rendering or parse error writes nothing; a write replaces and removes only the files
platformctl rendered, leaving hand-written files, terragrunt caches and lock files alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from platformctl.errors import OperationError, UsageError
from platformctl.model import livetree
from platformctl.model.config import FEATURES, Environment, Org, Platform
from platformctl.model.naming import resource_names

LIVE_DIR = "live"
TEMPLATES_DIR = "templates"
UNITS = ("vpc", "eks", "mesh", "kubeflow")
ACCOUNT_DIR = "_account"
DEFAULT_SANDBOX_ENDPOINT = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class RenderedTree:
    """Rendered files keyed by their path relative to live/."""

    org: Org
    envs: tuple[str, ...]
    files: Mapping[Path, str]
    # Each file's text with its plain literals blanked (see _shape_literal): files of one
    # shape parse alike, so verify_tree parses each shape once.
    shapes: Mapping[Path, str] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class RenderResult:
    tree: RenderedTree
    written: tuple[Path, ...]
    unchanged: tuple[Path, ...]
    removed: tuple[Path, ...]
    kept: tuple[Path, ...] = ()  # hand-written files left alone
    manifest_written: bool = False  # live/<org>/.platformctl-manifest was rewritten


@dataclass(frozen=True)
class Staleness:
    diff: str
    stale_files: tuple[Path, ...]

    @property
    def fresh(self) -> bool:
        return not self.stale_files


def unit_dir(org: Org, env: Environment, unit: str) -> Path:
    """A unit's directory relative to live/."""
    return Path(org.name) / env.name / env.region / unit


def hcl_literal(value: Any) -> str:
    """A Python value as an HCL literal; strings are escaped so they never interpolate."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value).replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = ", ".join(
            f"{hcl_literal(str(k))} = {hcl_literal(v)}" for k, v in sorted(value.items())
        )
        return "{ " + items + " }"
    if isinstance(value, Iterable):
        return "[" + ", ".join(hcl_literal(v) for v in value) + "]"
    raise TypeError(f"cannot render {type(value).__name__} as HCL")


_SHAPE_MODE: ContextVar[bool] = ContextVar("shape_mode", default=False)
_SAFE_STRING = re.compile(r"[A-Za-z0-9 ._/:,=+@-]*")
_COMMENT_LINE = re.compile(r"^[ \t]*#.*$", re.MULTILINE)
_PARSED_SHAPES: set[str] = set()


def _shape_literal(value: Any) -> str:
    """Like hcl_literal, but a string of plain characters becomes "_" and a number 0.

    Such literals are single tokens that are valid whatever their content, so two files
    that differ only in them either both parse or both fail.
    """
    if isinstance(value, bool):
        return "true"
    if isinstance(value, int | float):
        return "0"
    if isinstance(value, str):
        return '"_"' if _SAFE_STRING.fullmatch(value) else hcl_literal(value)
    if isinstance(value, Mapping):
        items = ", ".join(
            f"{_shape_literal(str(k))} = {_shape_literal(v)}" for k, v in sorted(value.items())
        )
        return "{ " + items + " }" if value else "{}"
    if isinstance(value, Iterable):
        return "[" + ", ".join(_shape_literal(v) for v in value) + "]"
    return hcl_literal(value)


def _hcl_filter(value: Any) -> str:
    return _shape_literal(value) if _SHAPE_MODE.get() else hcl_literal(value)


@cache
def _jinja(templates: Path) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["hcl"] = _hcl_filter
    env.filters["dict"] = dict
    return env


def render_tree(
    root: Path, platform: Platform, org: Org, env_name: str | None = None
) -> RenderedTree:
    """Render every file of the org's live tree (or of one environment) in memory.

    Nothing is parsed here: write_tree parse-checks what it is about to write, and a
    freshness check only compares text.
    """
    import jinja2

    envs = platform.select(env_name)
    jenv = _jinja(root / TEMPLATES_DIR)
    # The org is normalised once (config.resolve_org): templates see its name only, so
    # --org EXAMPLEORG and --org ExampleOrg render the same bytes.
    org = replace(org, display=org.name)
    files: dict[Path, str] = {}
    base = Path(org.name)
    modules_rel = "/".join([".."] * 5)

    def render(name: str, **ctx: Any) -> str:
        where = f"{TEMPLATES_DIR}/{name}"
        try:
            template = jenv.get_template(name)
        except jinja2.TemplateNotFound as exc:
            raise UsageError(f"{root / where} is missing; platformctl renders from it.") from exc
        except UnicodeDecodeError as exc:
            raise UsageError(f"{root / where} is not UTF-8 text.") from exc
        except OSError as exc:
            raise UsageError(f"Cannot read {root / where}: {exc.strerror}.") from exc
        except jinja2.TemplateError as exc:
            raise OperationError(f"Template error in {where}: {exc}") from exc
        try:
            text: str = template.render(ctx)
            # Parse-check each distinct shape once: the parse is the slow part of rendering.
            token = _SHAPE_MODE.set(True)
            try:
                shape = name + "\n" + _COMMENT_LINE.sub("", template.render(ctx))
            finally:
                _SHAPE_MODE.reset(token)
        except jinja2.TemplateError as exc:
            raise OperationError(f"Template error in {TEMPLATES_DIR}/{name}: {exc}") from exc
        shapes[text] = shape
        return text

    shapes: dict[str, str] = {}

    files[base / "root.hcl"] = render("root.hcl.j2", org=org, retries=platform.retries)
    for env in envs:
        ctx = {
            "org": org,
            "env": env,
            "names": resource_names(org, env),
            "features": [(k, getattr(env.features, k)) for k in FEATURES],
            "modules_rel": modules_rel,
            "default_endpoint": DEFAULT_SANDBOX_ENDPOINT,
        }
        env_dir = base / env.name
        files[env_dir / "env.hcl"] = render("env.hcl.j2", **ctx)
        files[env_dir / "kubernetes.hcl"] = render("kubernetes.hcl.j2", **ctx)
        files[env_dir / env.region / "region.hcl"] = render("region.hcl.j2", **ctx)
        for unit in UNITS:
            files[unit_dir(org, env, unit) / "terragrunt.hcl"] = render(
                f"units/{unit}.hcl.j2", **ctx
            )
    account_envs = [e for e in platform.environments if not e.sandbox]
    if platform.github_repository and account_envs and env_name is None:
        account = base / ACCOUNT_DIR
        ctx = {
            "org": org,
            "repository": platform.github_repository,
            "environments": [e.name for e in account_envs],
            "regions": sorted({e.region for e in account_envs}),
            "region": account_envs[0].region,
        }
        files[account / "env.hcl"] = render("account/env.hcl.j2", **ctx)
        files[account / "region.hcl"] = render("account/region.hcl.j2", **ctx)
        files[account / "account" / "terragrunt.hcl"] = render("account/account.hcl.j2", **ctx)
    return RenderedTree(
        org=org,
        envs=tuple(e.name for e in envs),
        files=files,
        shapes={path: shapes[text] for path, text in files.items()},
    )


def verify_tree(tree: RenderedTree, paths: Iterable[Path] | None = None) -> None:
    """Parse-check rendered files (all, or `paths`) with python-hcl2; raise on the first failure."""
    for path in sorted(tree.files if paths is None else paths):
        shape = tree.shapes.get(path)
        if shape is not None and shape in _PARSED_SHAPES:
            continue
        try:
            parse_hcl(tree.files[path], path)
        except OperationError as exc:
            raise OperationError(
                f"Rendered {exc.message[0].lower()}{exc.message[1:-1]}: a template produced it, "
                "so the template is at fault."
            ) from exc
        if shape is not None:
            _PARSED_SHAPES.add(shape)


def parse_hcl(text: str, where: Path | str) -> dict[str, Any]:
    """Parse HCL with python-hcl2; a failure names the file and the place, in one sentence."""
    import hcl2

    try:
        parsed: dict[str, Any] = hcl2.loads(text)
    except Exception as exc:  # python-hcl2 raises lark errors of several kinds
        line, column = getattr(exc, "line", None), getattr(exc, "column", None)
        at = f" at line {line}, column {column}" if isinstance(line, int) and line > 0 else ""
        ending = " (the file ends inside a block)" if "$END" in str(exc) else ""
        raise OperationError(f"{where} does not parse as HCL{at}{ending}.") from exc
    return parsed


def write_tree(root: Path, tree: RenderedTree, *, all_envs: bool) -> RenderResult:
    """Write a rendered tree under live/: all files or none, only over platformctl's own.

    Every file that will change is parse-checked first; a hand-written file where a
    rendered one must go is a UsageError; a failed write restores live/ and is an
    OperationError (platformctl.model.livetree).
    """
    live = root / LIVE_DIR
    livetree.check_live_dir(live)
    # One render of an org at a time: the manifest is read and rewritten under the lock,
    # so two renders of different environments both keep their entries.
    with livetree.render_lock(root, tree.org.name):
        the_plan = livetree.plan(live, tree.org.name, tree.envs, tree.files, all_envs=all_envs)
        verify_tree(tree, the_plan.writes)
        livetree.apply(live, the_plan)
    return RenderResult(
        tree,
        tuple(the_plan.writes),
        the_plan.unchanged,
        the_plan.removes,
        the_plan.kept,
        manifest_written=not the_plan.manifest_fresh,
    )


def check_tree(root: Path, tree: RenderedTree, *, all_envs: bool) -> Staleness:
    """Compare a rendered tree with live/ on disk; a unified diff of every difference."""
    live = root / LIVE_DIR
    the_plan = livetree.plan(live, tree.org.name, tree.envs, tree.files, all_envs=all_envs)
    diff, stale = livetree.diff(live, the_plan, tree.files)
    return Staleness(diff=diff, stale_files=stale)


def ensure_templates(root: Path) -> None:
    if not (root / TEMPLATES_DIR).is_dir():
        raise UsageError(
            f"{root / TEMPLATES_DIR} does not exist; platformctl renders from templates/."
        )
