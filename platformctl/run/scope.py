"""What every flow does before terragrunt runs: options, the rendered tree, the tools, the environment, the preflight."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from platformctl.model.config import Environment, Org, Platform
from platformctl.paths import state_dir
from platformctl.report import Reporter
from platformctl.run import terragrunt as tg
from platformctl.run.results import (
    RunResult,
)

Ask = Callable[[str], bool]

Approve = Callable[["RunResult"], bool]


@dataclass(frozen=True)
class Options:
    """How to run: shared by every flow."""

    parallelism: int | None = None
    dry_run: bool = False
    preflight: bool = True
    ask: Ask | None = None
    post_install: bool = True
    extra_env: Mapping[str, str] = field(default_factory=dict)
    plan_json: bool = False  # also keep each plan's `tofu show -json` (tfplan.json)
    drain_timeout: float | None = None  # destroy: the drain's bound (None: its default)


def stack_dir(root: Path, org: Org, env: Environment) -> Path:
    from platformctl.model.render import LIVE_DIR, unit_dir

    return root / LIVE_DIR / unit_dir(org, env, "unit").parent


def ensure_rendered(
    root: Path,
    platform: Platform,
    org: Org,
    env_name: str | None,
    reporter: Reporter,
    *,
    dry_run: bool,
    checks: Callable[[], None] | None = None,
    before_writes: Callable[[], None] | None = None,
) -> Path:
    """Render live/<org> when it differs from what the templates and platform.toml give.

    `checks` (the sandbox, tools, credentials and state backend) run after the tree is
    rendered in memory (or recognised by its render stamp, without rendering) and before
    anything is written: a run that cannot start leaves live/ as it was; `before_writes`
    runs only when live/ is about to be rewritten (plan-all checks credentials then, and
    otherwise beside terragrunt). Returns the root whose live/ holds the fresh tree:
    `root`, or for a dry run with a stale tree a temporary copy (removed at exit), so the
    steps shown are the real ones.
    """
    from platformctl.model import render
    from platformctl.model.renderstamp import Stamp

    render.ensure_templates(root)
    where = f"live/{org.name}" + (f"/{env_name}" if env_name else "")
    stamp = Stamp(root, platform, org, env_name)
    count = stamp.fresh()
    if count is not None:
        if checks is not None:
            checks()
        reporter.info(f"{where} is freshly rendered ({count} files).")
        return root
    tree = render.render_tree(root, platform, org, env_name)
    stale = render.check_tree(root, tree, all_envs=env_name is None)
    if checks is not None:
        checks()
    if stale.fresh:
        stamp.record()
        reporter.info(f"{where} is freshly rendered ({len(tree.files)} files).")
        return root
    if dry_run:
        import atexit
        import shutil
        import tempfile

        reporter.step(
            f"render {where}: {len(stale.stale_files)} file(s) are stale and would be rewritten"
        )
        preview = Path(tempfile.mkdtemp(prefix="platformctl-preview-"))
        atexit.register(shutil.rmtree, preview, True)
        render.write_tree(preview, tree, all_envs=env_name is None)
        return preview
    if before_writes is not None:
        before_writes()
    result = render.write_tree(root, tree, all_envs=env_name is None)
    stamp.record()
    kept = f", {len(result.kept)} hand-written left alone" if result.kept else ""
    reporter.warn(
        f"{where} was stale; rendered it again ({len(result.written)} written, "
        f"{len(result.removed)} removed{kept})."
    )
    return root


def resolve_tools(root: Path, *, dry_run: bool) -> tg.Tools:
    """terragrunt and tofu through the toolchain (a dry run shows names when missing)."""
    from platformctl.errors import ToolNotFoundError
    from platformctl.toolchain.locate import tool_path
    from platformctl.toolchain.providers import plugin_cache_dir

    paths: dict[str, Path] = {}
    for name, exe in (("terragrunt", "terragrunt"), ("opentofu", "tofu")):
        try:
            paths[name] = tool_path(root, name)
        except ToolNotFoundError:
            if not dry_run:
                raise
            paths[name] = Path(exe)
    # The directories are made when terragrunt is about to run (tg.environment), never
    # before a run is refused.
    download = state_dir(root) / "terragrunt-cache"
    return tg.Tools(paths["terragrunt"], paths["opentofu"], download, plugin_cache_dir())


def environment_for(root: Path, env: Environment, opts: Options) -> dict[str, str]:
    """Extra variables for terragrunt: the sandbox endpoint for a sandbox env, then the caller's.

    PATH starts with this platformctl's own directory: the units call `platformctl` (the
    kubeflow chart hook, the EKS token of the kubernetes providers), and it must be this one.
    """
    import os
    import sys

    here = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    extra: dict[str, str] = {}
    if (Path(here) / "platformctl").exists() and path.split(os.pathsep)[0] != here:
        extra["PATH"] = here + (os.pathsep + path if path else "")
    if env.sandbox:
        from platformctl.errors import UsageError
        from platformctl.sandbox.registry import sandbox_env

        try:
            extra.update(sandbox_env(root))
        except UsageError:
            if not opts.dry_run:  # a dry run runs nothing, so it needs no sandbox
                raise
    extra.update(opts.extra_env)
    return extra


def run_preflight(
    root: Path, org: Org, env: Environment, reporter: Reporter, opts: Options
) -> None:
    """Credentials and the state backend, through platformctl.aws.preflight when it provides them."""
    if not opts.preflight:
        return
    if opts.dry_run:
        reporter.step(f"{env.name}: preflight (credentials, state backend)")
        return
    from platformctl.aws.preflight_memo import recently_passed

    if recently_passed(root, org, env, reporter):
        return
    from platformctl.aws import preflight

    check = getattr(preflight, "preflight", None)
    if check is None:
        return
    check(root, org, env, reporter, ask=opts.ask or (lambda _question: False))


class Early:
    """Preflight and tool lookup run in the background while the tree is rendered.

    Both are mostly waiting (network round trips, `--version` probes), rendering is
    CPU; overlapping them takes their time off every run. Errors surface on `wait`.
    """

    def __init__(
        self, root: Path, org: Org, envs: Sequence[Environment], reporter: Reporter, opts: Options
    ) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="platformctl-early")
        self.tools = self._pool.submit(resolve_tools, root, dry_run=opts.dry_run)
        self.preflight = self._pool.submit(self._preflight_all, root, org, envs, reporter, opts)
        self._pool.shutdown(wait=False)

    @staticmethod
    def _preflight_all(
        root: Path, org: Org, envs: Sequence[Environment], reporter: Reporter, opts: Options
    ) -> None:
        for env in envs:
            if not opts.dry_run:  # a dry run lists the step in its place instead
                run_preflight(root, org, env, reporter, opts)

    def wait_tools(self) -> tg.Tools:
        return self.tools.result()

    def wait_preflight(self) -> None:
        self.preflight.result()

    def check(self, root: Path, envs: Sequence[Environment], opts: Options) -> None:
        """Everything a run needs before it writes anything: the sandbox (for a sandbox
        environment), the tools, and (unless a dry run) credentials and state backend."""
        for env in envs:
            environment_for(root, env, opts)
        self.wait_tools()
        if not opts.dry_run:
            self.wait_preflight()
