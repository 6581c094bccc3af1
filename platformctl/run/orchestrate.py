"""plan-all, deploy and destroy: scope, steps and results around `terragrunt run --all`.

Terragrunt executes (its own DAG, its own parallelism); this module decides what it
runs on, reads back what happened to each unit, and keeps the rules that make a run
safe: the live tree is rendered first, a plan made against mock outputs is never
applied (deploy applies level by level and re-plans a unit whose dependencies were just
applied), a failed unit's dependents are skipped, and an interrupted run still leaves
its logs and summary behind.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from platformctl.errors import Interrupted, OperationError, PlatformctlError, UsageError
from platformctl.model.config import Environment, Org, Platform
from platformctl.model.graph import Graph, read_graph
from platformctl.paths import state_dir
from platformctl.report import Reporter
from platformctl.run import drain
from platformctl.run import terragrunt as tg
from platformctl.run.planreport import PlanCounts
from platformctl.run.runs import RunDir, UnitLogs, new_run

if TYPE_CHECKING:
    from platformctl.proc import Streamed

# Final statuses of a unit in a result document.
PLANNED, NO_CHANGES, FAILED, SKIPPED, APPLIED, DESTROYED = (
    "planned",
    "no-changes",
    "failed",
    "skipped",
    "applied",
    "destroyed",
)
OK_STATUSES = frozenset({PLANNED, NO_CHANGES, APPLIED, DESTROYED})
# Live states shown while terragrunt runs.
WAITING, RUNNING, DONE = "waiting", "running", "done"
TAIL_LINES = 15


@dataclass(frozen=True)
class UnitResult:
    name: str
    status: str
    add: int = 0
    change: int = 0
    replace: int = 0
    destroy: int = 0
    duration_s: float = 0.0
    used_mock_outputs: bool = False
    log: str = ""
    error_tail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "add": self.add,
            "change": self.change,
            "replace": self.replace,
            "destroy": self.destroy,
            "duration_s": round(self.duration_s, 2),
            "used_mock_outputs": self.used_mock_outputs,
            "log": self.log,
            "error_tail": self.error_tail,
        }


@dataclass(frozen=True)
class EnvResult:
    env: str
    region: str
    units: tuple[UnitResult, ...]

    @property
    def ok(self) -> bool:
        return all(u.status in OK_STATUSES for u in self.units)

    def to_json(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "region": self.region,
            "ok": self.ok,
            "units": [u.to_json() for u in self.units],
        }


@dataclass(frozen=True)
class RunResult:
    """What one plan-all / deploy / destroy did, per environment and unit."""

    org: str
    command: str
    run_dir: str
    environments: tuple[EnvResult, ...]
    interrupted: bool = False
    aborted: bool = False
    dry_run: bool = False
    commands: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return (
            not self.interrupted
            and not self.aborted
            and not self.errors
            and all(e.ok for e in self.environments)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "command": self.command,
            "ok": self.ok,
            "run_dir": self.run_dir,
            "environments": [e.to_json() for e in self.environments],
            "errors": list(self.errors),
        }


class UnitProgress(Protocol):
    """The live view: one line per unit (waiting / running / done / failed / skipped)."""

    def begin(self, title: str, units: Sequence[str]) -> None: ...

    def update(self, unit: str, state: str) -> None: ...

    def end(self) -> None: ...


class NoProgress:
    def begin(self, title: str, units: Sequence[str]) -> None:
        del title, units

    def update(self, unit: str, state: str) -> None:
        del unit, state

    def end(self) -> None:
        pass


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


# --- setup -------------------------------------------------------------------------------


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
    plugin_cache = plugin_cache_dir()
    download = state_dir(root) / "terragrunt-cache"
    if not dry_run:
        plugin_cache.mkdir(parents=True, exist_ok=True)
        download.mkdir(parents=True, exist_ok=True)
    return tg.Tools(paths["terragrunt"], paths["opentofu"], download, plugin_cache)


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
        try:
            from platformctl.sandbox import registry as sandbox
        except ModuleNotFoundError as exc:
            if exc.name != "platformctl.sandbox.registry":
                raise
        else:
            sandbox_env = getattr(sandbox, "sandbox_env", None)
            if sandbox_env is not None:
                extra.update(sandbox_env(root))
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


PostInstallHook = Callable[..., object]


class _Early:
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


def post_install_step(stage: str) -> PostInstallHook | None:
    """The post-install hook of a stage, or None when it has none.

    This is the one registry seam between deploy and the post-install steps (kubeconfig
    after eks, istio-ingress restart after mesh, health gates): platformctl.postinstall.steps
    lists its stages in STAGES and runs one with run_stage(root, org, env, stage, reporter).
    """
    try:
        from platformctl.postinstall import steps as postinstall
    except ModuleNotFoundError as exc:
        if exc.name != "platformctl.postinstall.steps":
            raise
        return None
    if stage not in getattr(postinstall, "STAGES", ()):
        return None
    hook: PostInstallHook | None = getattr(postinstall, "run_stage", None)
    return hook


def run_post_install(
    root: Path, org: Org, env: Environment, stage: str, reporter: Reporter, opts: Options
) -> str | None:
    """Run a stage's post-install steps; returns the failure message, if any."""
    hook = post_install_step(stage) if opts.post_install else None
    if hook is None:
        return None
    reporter.step(f"{env.name}: post-install steps of {stage}")
    try:
        hook(root, org, env, stage, reporter)
    except OperationError as exc:
        reporter.warn(f"post-install of {stage} failed: {exc.message}")
        return f"{stage}: post-install failed: {exc.message}"
    return None


# --- one terragrunt phase ----------------------------------------------------------------


@dataclass
class _UnitTrack:
    state: str = WAITING
    started: float | None = None
    ended: float | None = None
    tail: list[str] = field(default_factory=list)
    # The first "Error:" OpenTofu printed and the lines after it: the cause, which the
    # plain tail often misses (output after the error pushes it out).
    error: list[str] = field(default_factory=list)

    def add(self, lines: list[str]) -> None:
        self.tail = (self.tail + lines)[-TAIL_LINES:]
        for line in lines:
            starts = not self.error and line.lstrip().startswith("Error:")
            if starts or 0 < len(self.error) < TAIL_LINES:
                self.error.append(line)

    def summary(self) -> str:
        return "\n".join(self.error or self.tail)


@dataclass(frozen=True)
class PhaseOutcome:
    """What one `terragrunt run --all` did to each unit of its scope."""

    results: Mapping[str, str]  # unit -> "succeeded" | "failed" | "skipped"
    mocked: frozenset[str]
    tails: Mapping[str, str]
    durations: Mapping[str, float]
    interrupted: bool
    returncode: int
    stack_tail: str


_DONE_MARKERS = {
    "plan": ("Saved the plan to:",),
    "apply": ("Apply complete!",),
    "destroy": ("Destroy complete!",),
}
_FAIL_MARKERS = ("Planning failed.", "Error: ")


class _Phase:
    def __init__(
        self,
        *,
        stack: Path,
        graph: Graph,
        units: Sequence[str],
        kind: str,
        logs: UnitLogs,
        progress: UnitProgress,
        on_done: Callable[[str], None] | None = None,
    ) -> None:
        self.stack = stack
        self.graph = graph
        self.units = list(units)
        self.kind = kind
        self.logs = logs
        self.progress = progress
        self.tracks = {u: _UnitTrack() for u in units}
        self.mocked: set[str] = set()
        self.stack_tail: list[str] = []
        self.lock = threading.Lock()
        self.on_done = on_done

    def _set(self, unit: str, state: str) -> None:
        track = self.tracks[unit]
        if track.state == state:
            return
        now = time.monotonic()
        if state == RUNNING and track.started is None:
            track.started = now
        if state in (DONE, FAILED, SKIPPED):
            track.ended = now
        track.state = state
        self.progress.update(unit, state)
        if state == DONE and self.on_done is not None:
            self.on_done(unit)

    def on_event(self, event: tg.LogEvent) -> None:
        with self.lock:
            dependent = tg.mock_dependent(event.message, self.stack)
            if dependent in self.tracks:
                self.mocked.add(dependent)
            unit = event.unit
            lines = [line for line in event.message.splitlines() if line.strip()]
            if unit not in self.tracks:
                self.stack_tail = (self.stack_tail + lines)[-TAIL_LINES:]
                return
            self.logs.write(unit, event.message.rstrip("\n"))
            track = self.tracks[unit]
            track.add(lines)
            # Discovery logs about a unit (config parsing, mock outputs) before it runs;
            # it is running once OpenTofu or one of its hooks is.
            starting = event.tf_command is not None or event.message.startswith("Executing hook")
            if track.state == WAITING and starting:
                self._set(unit, RUNNING)
            if any(m in event.message for m in _DONE_MARKERS.get(self.kind, ())):
                self._set(unit, DONE)
            elif event.level in ("stderr", "error", "stdout") and any(
                m in event.message for m in _FAIL_MARKERS
            ):
                self._set(unit, FAILED)
                for dependent_unit in self.graph.dependents(unit):
                    if (
                        dependent_unit in self.tracks
                        and self.tracks[dependent_unit].state == WAITING
                    ):
                        self._set(dependent_unit, SKIPPED)


def run_phase(
    *,
    tools: tg.Tools,
    stack: Path,
    graph: Graph,
    units: Sequence[str],
    kind: str,
    command: Sequence[str],
    run: RunDir,
    env_name: str,
    phase: str,
    logs: UnitLogs,
    progress: UnitProgress,
    env: Mapping[str, str],
    parallelism: int | None,
    plans: Path | None = None,
    on_done: Callable[[str], None] | None = None,
    on_start: Callable[[Streamed], None] | None = None,
) -> PhaseOutcome:
    """Run one `terragrunt run --all` over `units` and return each unit's result."""
    report = run.report_file(env_name, phase)
    invocation = tg.run_all(
        tools,
        stack,
        command,
        units=units,
        parallelism=parallelism,
        out_dir=plans,
        report_file=report,
        env=env,
    )
    watcher = _Phase(
        stack=stack,
        graph=graph,
        units=units,
        kind=kind,
        logs=logs,
        progress=progress,
        on_done=on_done,
    )
    for unit in units:
        logs.write(unit, f"=== {phase}: {' '.join(command)} ===")
    progress.begin(f"{env_name}: {phase}", units)
    interrupted = False
    code = 1
    try:
        code = tg.execute(
            invocation,
            log_path=run.terragrunt_log(env_name, phase),
            on_event=watcher.on_event,
            on_start=on_start,
        )
    except (Interrupted, KeyboardInterrupt):
        interrupted = True
    finally:
        entries = tg.read_report(report, stack)
        results: dict[str, str] = {}
        durations: dict[str, float] = {}
        with watcher.lock:
            for unit in units:
                track = watcher.tracks[unit]
                entry = entries.get(unit)
                if entry is not None and entry.result == "succeeded":
                    result = "succeeded"
                elif entry is not None and entry.result == "failed":
                    result = "failed"
                elif entry is not None:
                    result = "skipped"  # early exit (a dependency failed) or excluded
                elif track.state in (RUNNING, DONE, FAILED) and (interrupted or code != 0):
                    result = "failed"
                elif track.state == DONE:
                    result = "succeeded"
                else:
                    result = "skipped"
                results[unit] = result
                # The report's times leave out init; the stream's include it.
                seen = (track.ended or time.monotonic()) - track.started if track.started else 0.0
                durations[unit] = max(seen, entry.duration_s if entry is not None else 0.0)
                watcher._set(unit, {"succeeded": DONE, "failed": FAILED}.get(result, SKIPPED))
            if code != 0 and not interrupted and "failed" not in results.values():
                # terragrunt failed before any unit ran (configuration, discovery): every
                # unit of the scope failed, and the stack's own output says why.
                for unit in units:
                    results[unit] = "failed"
                    watcher.tracks[unit].tail = watcher.stack_tail
        progress.end()
    return PhaseOutcome(
        results=results,
        mocked=frozenset(watcher.mocked),
        tails={u: watcher.tracks[u].summary() for u in units},
        durations=durations,
        interrupted=interrupted,
        returncode=code,
        stack_tail="\n".join(watcher.stack_tail),
    )


# --- flows -------------------------------------------------------------------------------


@dataclass
class _Env:
    """Per-environment working state of a flow."""

    env: Environment
    stack: Path
    graph: Graph
    logs: UnitLogs
    extra_env: dict[str, str]
    results: dict[str, UnitResult] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def result(self, order: Sequence[str]) -> EnvResult:
        return EnvResult(
            self.env.name,
            self.env.region,
            tuple(self.results[u] for u in order if u in self.results),
        )


def _unit_result(
    *,
    ctx: _Env,
    run: RunDir,
    unit: str,
    outcome: PhaseOutcome,
    status_ok: str,
    counts: PlanCounts | None,
) -> UnitResult:
    result = outcome.results[unit]
    status = status_ok if result == "succeeded" else (FAILED if result == "failed" else SKIPPED)
    if status == PLANNED and counts is not None and not counts.has_changes:
        status = NO_CHANGES
    counts = counts or PlanCounts()
    return UnitResult(
        name=unit,
        status=status,
        add=counts.add,
        change=counts.change,
        replace=counts.replace,
        destroy=counts.destroy,
        duration_s=outcome.durations.get(unit, 0.0),
        used_mock_outputs=unit in outcome.mocked,
        log=str(run.unit_log(ctx.env.name, unit)),
        error_tail=outcome.tails.get(unit, "") if status == FAILED else "",
    )


def _plan(
    *,
    tools: tg.Tools,
    ctx: _Env,
    run: RunDir,
    units: Sequence[str],
    phase: str,
    opts: Options,
    progress: UnitProgress,
    destroy: bool = False,
    on_start: Callable[[Streamed], None] | None = None,
) -> tuple[PhaseOutcome, dict[str, UnitResult], Path]:
    from platformctl.run import planjson

    plans = run.plans_dir(ctx.env.name, phase)
    command = ["plan", "-destroy"] if destroy else ["plan"]
    exporter = planjson.Exporter(tools, ctx.stack, plans, ctx.extra_env) if opts.plan_json else None
    outcome = run_phase(
        tools=tools,
        stack=ctx.stack,
        graph=ctx.graph,
        units=units,
        kind="plan",
        command=command,
        run=run,
        env_name=ctx.env.name,
        phase=phase,
        logs=ctx.logs,
        progress=progress,
        env=ctx.extra_env,
        parallelism=opts.parallelism,
        plans=plans,
        on_done=exporter.submit if exporter is not None else None,
        on_start=on_start,
    )
    planned = [u for u in units if outcome.results[u] == "succeeded"]
    counts, no_json = planjson.plan_counts(
        tools, ctx.stack, plans, planned, ctx.extra_env, exporter
    )
    ctx.errors += [f"{unit}: `tofu show -json` of its saved plan failed." for unit in no_json]
    results = {}
    for unit in units:
        results[unit] = _unit_result(
            ctx=ctx, run=run, unit=unit, outcome=outcome, status_ok=PLANNED, counts=counts.get(unit)
        )
    return outcome, results, plans


def _describe(invocation: tg.Invocation) -> str:
    return invocation.display()


def _open_envs(
    *,
    root: Path,
    platform: Platform,
    org: Org,
    env_names: Sequence[str],
    run: RunDir | None,
    opts: Options,
    graph_root: Path,
) -> list[_Env]:
    envs = []
    for name in env_names:
        env = platform.get(name)
        stack = stack_dir(root, org, env)
        graph = read_graph(
            stack_dir(graph_root, org, env),
            cache_file=state_dir(root) / "graph-cache" / f"{org.name}-{env.name}.json",
        )
        logs = UnitLogs(run if run is not None else RunDir(Path("/dev/null")), name)
        envs.append(_Env(env, stack, graph, logs, environment_for(root, env, opts)))
    return envs


def _result(
    org: Org,
    command: str,
    run: RunDir,
    ctx: _Env,
    scope: Sequence[str],
    *,
    interrupted: bool = False,
    aborted: bool = False,
) -> RunResult:
    return RunResult(
        org.name,
        command,
        str(run.path),
        (ctx.result(scope),),
        interrupted=interrupted,
        aborted=aborted,
        errors=tuple(ctx.errors),
    )


def _keep_summary(
    exc: PlatformctlError, org: Org, command: str, run: RunDir, ctx: _Env, scope: Sequence[str]
) -> None:
    """An error mid-run still writes the summary of what did happen before it is reported."""
    ctx.errors.append(exc.message)
    _finish(run, _result(org, command, run, ctx, scope), [ctx])


def _finish(run: RunDir, result: RunResult, envs: Sequence[_Env]) -> RunResult:
    for ctx in envs:
        ctx.logs.close()
    run.write_summary(result.to_json())
    return result


def plan_all(
    root: Path,
    platform: Platform,
    org: Org,
    env_name: str | None,
    reporter: Reporter,
    *,
    opts: Options,
    progress: UnitProgress | None = None,
    changed_base: str | None = None,
    changed: bool = False,
) -> RunResult:
    """Plan every unit of each selected environment (one environment after another).

    Each unit's plan is saved in the run directory (with its `tofu show -json` when
    opts.plan_json); the result gives per-unit counts, read from the saved plans, and
    whether the plan used mock outputs. Terragrunt starts as soon as its command line
    is known: the messages before it are shown once it runs, and the preflight runs
    beside it (platformctl.run.overlap).
    """
    from platformctl.run.overlap import Held

    with Held(reporter, progress or NoProgress(), active=not opts.dry_run) as held:
        return _plan_all(
            root,
            platform,
            org,
            env_name,
            held.reporter,
            opts=opts,
            progress=held.progress,
            changed_base=changed_base,
            changed=changed,
            on_exec=held.release,
        )


def _plan_all(
    root: Path,
    platform: Platform,
    org: Org,
    env_name: str | None,
    reporter: Reporter,
    *,
    opts: Options,
    progress: UnitProgress,
    changed_base: str | None,
    changed: bool,
    on_exec: Callable[[], None],
) -> RunResult:
    from platformctl.run.overlap import PreflightBeside

    selected = platform.select(env_name)
    env_names = [e.name for e in selected]
    checked: set[str] = set()
    found: list[tg.Tools] = []

    def can_start() -> None:  # the sandbox (for a sandbox environment) and the tools
        for env in selected:
            environment_for(root, env, opts)
        found.append(resolve_tools(root, dry_run=opts.dry_run))

    def before_writes() -> None:  # a stale live/ is rewritten only once the preflight passed
        for env in selected:
            run_preflight(root, org, env, reporter, opts)
            checked.add(env.name)

    graph_root = ensure_rendered(
        root,
        platform,
        org,
        env_name,
        reporter,
        dry_run=opts.dry_run,
        checks=can_start,
        before_writes=before_writes,
    )
    tools = found[-1] if found else resolve_tools(root, dry_run=opts.dry_run)
    run = None if opts.dry_run else new_run(root, "plan")
    envs = _open_envs(
        root=root,
        platform=platform,
        org=org,
        env_names=env_names,
        run=run,
        opts=opts,
        graph_root=graph_root,
    )
    scopes: dict[str, tuple[str, ...]] = {}
    if changed:
        from platformctl.model import changed as changed_mod

        base = changed_base or changed_mod.default_base(root)
        files = changed_mod.changed_files(root, base)
        reporter.info(f"--changed: {len(files)} file(s) differ from {base}.")
        for ctx in envs:
            scopes[ctx.env.name] = changed_mod.select(ctx.graph, root, ctx.stack, files)
    else:
        for ctx in envs:
            scopes[ctx.env.name] = ctx.graph.order

    if opts.dry_run:
        commands: list[str] = []
        for i, ctx in enumerate(envs, 1):
            units = scopes[ctx.env.name]
            reporter.step(
                f"[{i}/{len(envs)}] {ctx.env.name}: plan {', '.join(units) or '(no units)'}"
            )
            run_preflight(root, org, ctx.env, reporter, opts)
            if units:
                plans = Path(".platformctl/runs/<run>") / ctx.env.name / "plans" / "plan"
                inv = tg.run_all(
                    tools,
                    ctx.stack,
                    ["plan"],
                    units=units,
                    parallelism=opts.parallelism,
                    out_dir=plans,
                    env=tg.environment(tools, ctx.extra_env),
                )
                commands.append(_describe(inv))
                reporter.info(commands[-1])
        return RunResult(org.name, "plan", "", (), dry_run=True, commands=tuple(commands))

    assert run is not None
    out: list[EnvResult] = []
    interrupted = False
    try:
        for i, ctx in enumerate(envs, 1):
            units = scopes[ctx.env.name]
            reporter.step(f"[{i}/{len(envs)}] {ctx.env.name}: plan {len(units)} unit(s)")
            if not units:
                reporter.info(f"{ctx.env.name}: no unit changed; nothing to plan.")
                out.append(EnvResult(ctx.env.name, ctx.env.region, ()))
                continue
            ctx.extra_env = tg.environment(tools, ctx.extra_env)
            beside = PreflightBeside(
                root, org, ctx.env, reporter, enabled=opts.preflight and ctx.env.name not in checked
            )

            def started(
                child: Streamed, env: str = ctx.env.name, pf: PreflightBeside = beside
            ) -> None:
                run.record_start(f"{env}/plan", time.time())
                on_exec()
                pf.start(child)

            outcome, results, _ = _plan(
                tools=tools,
                ctx=ctx,
                run=run,
                units=units,
                phase="plan",
                opts=opts,
                progress=progress,
                on_start=started,
            )
            ctx.results.update(results)
            out.append(ctx.result(units))
            try:
                beside.finish(wait=not outcome.interrupted)
            except PlatformctlError as exc:
                ctx.errors.append(exc.message)
                _finish(run, _plan_result(org, run, out, envs), envs)
                raise
            if outcome.interrupted:
                interrupted = True
                break
    except KeyboardInterrupt:
        interrupted = True
    return _finish(run, _plan_result(org, run, out, envs, interrupted=interrupted), envs)


def _plan_result(
    org: Org, run: RunDir, out: Sequence[EnvResult], envs: Sequence[_Env], interrupted: bool = False
) -> RunResult:
    errors = tuple(e for ctx in envs for e in ctx.errors)
    return RunResult(
        org.name, "plan", str(run.path), tuple(out), interrupted=interrupted, errors=errors
    )


def _open_single_env(
    root: Path,
    platform: Platform,
    org: Org,
    env_name: str | None,
    command: str,
    *,
    reporter: Reporter,
    opts: Options,
) -> tuple[_Early, tg.Tools, RunDir | None, _Env]:
    """Shared start of deploy and destroy: one environment, rendered, tools found, a run dir."""
    name = _single_env(platform, env_name, command)
    early = _Early(root, org, (platform.get(name),), reporter, opts)
    graph_root = ensure_rendered(
        root,
        platform,
        org,
        name,
        reporter,
        dry_run=opts.dry_run,
        checks=lambda: early.check(root, (platform.get(name),), opts),
    )
    tools = early.wait_tools()
    run = None if opts.dry_run else new_run(root, command)
    (ctx,) = _open_envs(
        root=root,
        platform=platform,
        org=org,
        env_names=[name],
        run=run,
        opts=opts,
        graph_root=graph_root,
    )
    return early, tools, run, ctx


def _single_env(platform: Platform, env_name: str | None, command: str) -> str:
    if env_name is not None:
        return platform.get(env_name).name
    if len(platform.environments) == 1:
        return platform.environments[0].name
    raise UsageError(
        f"{command} needs --env: platform.toml has {len(platform.environments)} environments "
        f"({', '.join(platform.names)})."
    )


def _check_unit(graph: Graph, unit: str, flag: str) -> None:
    if unit not in graph.units:
        raise UsageError(
            f"{flag} '{unit}' is not a unit of this environment; units: {', '.join(graph.order)}."
        )


def deploy(
    root: Path,
    platform: Platform,
    org: Org,
    env_name: str | None,
    stage: str,
    *,
    reporter: Reporter,
    opts: Options,
    approve: Approve,
    with_dependencies: bool = False,
    progress: UnitProgress | None = None,
) -> RunResult:
    """Plan the stage (and, with_dependencies, the units it depends on), ask, then apply.

    Applies level by level, exactly the saved plans; a unit planned against mock outputs
    or whose dependencies were applied in this run is planned again first. After each
    applied unit its post-install steps run.
    """
    progress = progress or NoProgress()
    early, tools, run, ctx = _open_single_env(
        root, platform, org, env_name, "deploy", reporter=reporter, opts=opts
    )
    name = ctx.env.name
    _check_unit(ctx.graph, stage, "stage")
    scope = (*ctx.graph.dependencies(stage), stage) if with_dependencies else (stage,)
    levels = [tuple(u for u in level if u in scope) for level in ctx.graph.levels()]
    levels = [lv for lv in levels if lv]
    env_vars = {**tg.environment(tools, ctx.extra_env)}
    ctx.extra_env = env_vars

    if opts.dry_run:
        run_preflight(root, org, ctx.env, reporter, opts)
        plans = Path(".platformctl/runs/<run>") / name / "plans"
        commands = []
        reporter.step(f"[1/{len(levels) + 1}] {name}: plan {', '.join(scope)}")
        commands.append(
            _describe(
                tg.run_all(
                    tools,
                    ctx.stack,
                    ["plan"],
                    units=scope,
                    parallelism=opts.parallelism,
                    out_dir=plans / "plan",
                    env=env_vars,
                )
            )
        )
        reporter.info(commands[-1])
        reporter.step("show the summary and ask for confirmation (unless --yes)")
        for i, level in enumerate(levels):
            reporter.step(
                f"[{i + 2}/{len(levels) + 1}] {name}: apply {', '.join(level)}"
                + (" (planned again first if its dependencies changed)" if i else "")
            )
            if i:
                commands.append(
                    _describe(
                        tg.run_all(
                            tools,
                            ctx.stack,
                            ["plan"],
                            units=level,
                            out_dir=plans / f"level-{i}",
                            env=env_vars,
                        )
                    )
                )
                reporter.info(commands[-1])
            commands.append(
                _describe(
                    tg.run_all(
                        tools,
                        ctx.stack,
                        ["apply"],
                        units=level,
                        out_dir=plans / ("plan" if not i else f"level-{i}"),
                        env=env_vars,
                    )
                )
            )
            reporter.info(commands[-1])
            for unit in level:
                reporter.info(f"post-install steps of {unit}")
        return RunResult(org.name, "deploy", "", (), dry_run=True, commands=tuple(commands))

    assert run is not None
    interrupted = aborted = False
    try:
        early.wait_preflight()
        reporter.step(f"[1/{len(levels) + 1}] {name}: plan {', '.join(scope)}")
        outcome, planned, first_plans = _plan(
            tools=tools, ctx=ctx, run=run, units=scope, phase="plan", opts=opts, progress=progress
        )
        ctx.results.update(planned)
        interrupted = outcome.interrupted
        failed = [u for u in scope if planned[u].status == FAILED]
        if not interrupted and not failed:
            mocked_target = [
                u for u in scope if planned[u].used_mock_outputs and levels[0] and u in levels[0]
            ]
            if mocked_target:
                deps = [d for u in mocked_target for d in ctx.graph.units[u].depends_on]
                raise OperationError(
                    f"The plan of {', '.join(mocked_target)} used mock outputs of "
                    f"{', '.join(sorted(set(deps)))}, which has no state yet.",
                    hint=f"deploy {deps[0]} first, or pass --with-dependencies.",
                )
            summary = RunResult(org.name, "deploy", str(run.path), (ctx.result(scope),))
            if not any(planned[u].status == PLANNED for u in scope):
                reporter.info("Nothing to apply: every unit is up to date.")
            elif not approve(summary):
                aborted = True
            if not aborted:
                interrupted = _apply_levels(
                    root=root,
                    org=org,
                    tools=tools,
                    ctx=ctx,
                    run=run,
                    levels=levels,
                    first_plans=first_plans,
                    opts=opts,
                    progress=progress,
                    reporter=reporter,
                    approve=approve,
                )
        # An applied stage had its post-install steps right after its apply; an
        # unchanged one gets them here (kubeconfig, health gates are still wanted).
        if not interrupted and not aborted and ctx.results[stage].status == NO_CHANGES:
            failure = run_post_install(root, org, ctx.env, stage, reporter, opts)
            if failure:
                ctx.errors.append(failure)
    except KeyboardInterrupt:
        interrupted = True
    except PlatformctlError as exc:
        _keep_summary(exc, org, "deploy", run, ctx, scope)
        raise
    result = _result(org, "deploy", run, ctx, scope, interrupted=interrupted, aborted=aborted)
    return _finish(run, result, [ctx])


def _apply_levels(
    *,
    root: Path,
    org: Org,
    tools: tg.Tools,
    ctx: _Env,
    run: RunDir,
    levels: Sequence[tuple[str, ...]],
    first_plans: Path,
    opts: Options,
    progress: UnitProgress,
    reporter: Reporter,
    approve: Approve,
) -> bool:
    """Apply level by level; returns True when interrupted."""
    import shutil

    applied: set[str] = set()
    total = len(levels) + 1
    for i, level in enumerate(levels):
        if any(ctx.results[u].status == FAILED for u in ctx.results):
            for unit in level:
                ctx.results[unit] = replace(ctx.results[unit], status=SKIPPED)
            continue
        plans = run.plans_dir(ctx.env.name, f"apply-{i}")
        stale = [
            u
            for u in level
            if ctx.results[u].used_mock_outputs
            or any(d in applied for d in ctx.graph.units[u].depends_on)
        ]
        if stale:
            reporter.step(
                f"{ctx.env.name}: plan {', '.join(stale)} again against the applied dependencies"
            )
            outcome, replanned, _ = _plan(
                tools=tools,
                ctx=ctx,
                run=run,
                units=stale,
                phase=f"apply-{i}",
                opts=opts,
                progress=progress,
            )
            for unit in stale:
                before = ctx.results[unit]
                ctx.results[unit] = replace(
                    replanned[unit], duration_s=before.duration_s + replanned[unit].duration_s
                )
            if outcome.interrupted:
                return True
            still_mocked = [u for u in stale if ctx.results[u].used_mock_outputs]
            if still_mocked:
                raise OperationError(
                    f"{', '.join(still_mocked)} still planned against mock outputs after its "
                    "dependencies were applied; refusing to apply."
                )
            if any(ctx.results[u].status == FAILED for u in stale):
                continue
            changed = [u for u in stale if ctx.results[u].status == PLANNED]
            if changed and not approve(
                RunResult(org.name, "deploy", str(run.path), (ctx.result(stale),))
            ):
                for unit in stale:
                    ctx.results[unit] = replace(ctx.results[unit], status=SKIPPED)
                return False
        for unit in level:
            if unit not in stale:
                source = first_plans / unit
                if source.is_dir():
                    shutil.copytree(source, plans / unit, dirs_exist_ok=True)
        to_apply = [u for u in level if ctx.results[u].status == PLANNED]
        if not to_apply:
            continue
        assert not any(ctx.results[u].used_mock_outputs for u in to_apply)
        reporter.step(f"[{i + 2}/{total}] {ctx.env.name}: apply {', '.join(to_apply)}")
        outcome = run_phase(
            tools=tools,
            stack=ctx.stack,
            graph=ctx.graph,
            units=to_apply,
            kind="apply",
            command=["apply"],
            run=run,
            env_name=ctx.env.name,
            phase=f"apply-{i}",
            logs=ctx.logs,
            progress=progress,
            env=ctx.extra_env,
            parallelism=opts.parallelism,
            plans=plans,
        )
        for unit in to_apply:
            before = ctx.results[unit]
            status = {"succeeded": APPLIED, "failed": FAILED}.get(outcome.results[unit], SKIPPED)
            ctx.results[unit] = replace(
                before,
                status=status,
                duration_s=before.duration_s + outcome.durations.get(unit, 0.0),
                error_tail=outcome.tails.get(unit, "") if status == FAILED else "",
            )
            if status == APPLIED:
                applied.add(unit)
        if outcome.interrupted:
            return True
        for unit in to_apply:
            if ctx.results[unit].status == APPLIED:
                failure = run_post_install(root, org, ctx.env, unit, reporter, opts)
                if failure:
                    ctx.errors.append(failure)
                    return False
    return False


def destroy(
    root: Path,
    platform: Platform,
    org: Org,
    env_name: str | None,
    target: str,
    *,
    reporter: Reporter,
    opts: Options,
    approve: Approve,
    with_dependents: bool = False,
    progress: UnitProgress | None = None,
) -> RunResult:
    """Destroy a stage (with_dependents: and what depends on it) or `all`, dependents first.

    Refuses while a unit outside the scope that depends on the target still has resources.
    Terragrunt orders `run --all destroy` in reverse dependency order itself.
    """
    progress = progress or NoProgress()
    early, tools, run, ctx = _open_single_env(
        root, platform, org, env_name, "destroy", reporter=reporter, opts=opts
    )
    name = ctx.env.name
    if target == "all":
        scope: tuple[str, ...] = ctx.graph.order
        outside: tuple[str, ...] = ()
    else:
        _check_unit(ctx.graph, target, "stage")
        dependents = ctx.graph.dependents(target)
        scope = (target, *dependents) if with_dependents else (target,)
        outside = () if with_dependents else dependents
    scope = tuple(u for u in ctx.graph.order if u in scope)
    ctx.extra_env = {**tg.environment(tools, ctx.extra_env)}
    check_units = tuple(u for u in ctx.graph.order if u in scope or u in outside)

    if opts.dry_run:
        run_preflight(root, org, ctx.env, reporter, opts)
        commands = [
            _describe(
                tg.run_all(
                    tools, ctx.stack, ["state", "list"], units=check_units, env=ctx.extra_env
                )
            ),
            _describe(
                tg.run_all(
                    tools,
                    ctx.stack,
                    ["destroy"],
                    units=scope,
                    parallelism=opts.parallelism,
                    env=ctx.extra_env,
                )
            ),
        ]
        reporter.step(f"[1/2] {name}: list the resources in the state of {', '.join(check_units)}")
        reporter.info(commands[0])
        if outside:
            reporter.info(
                f"refuse if {', '.join(outside)} (depending on {target}) still has resources"
            )
        reporter.step(f"ask to type '{name}' to confirm (unless --yes)")
        drain.before_destroy(root, org, ctx.env, scope, reporter, dry_run=True)
        reporter.step(f"[2/2] {name}: destroy {', '.join(reversed(scope))} (dependents first)")
        reporter.info(commands[1])
        return RunResult(org.name, "destroy", "", (), dry_run=True, commands=tuple(commands))

    assert run is not None
    interrupted = aborted = False
    try:
        early.wait_preflight()
        reporter.step(f"[1/2] {name}: read the state of {', '.join(check_units)}")
        resources = _state_counts(
            tools=tools, ctx=ctx, run=run, units=check_units, opts=opts, progress=progress
        )
        blocking = [u for u in outside if resources.get(u)]
        if blocking:
            raise UsageError(
                f"{', '.join(blocking)} still depends on {target} and has resources; "
                f"destroy {blocking[-1]} first or pass --with-dependents."
            )
        live = tuple(u for u in scope if resources.get(u))
        for unit in scope:
            ctx.results[unit] = UnitResult(
                unit, NO_CHANGES, destroy=0, log=str(run.unit_log(name, unit))
            )
        if not live:
            reporter.info("Nothing to destroy: no unit in scope has resources.")
        else:
            for unit in live:
                ctx.results[unit] = replace(
                    ctx.results[unit], status=PLANNED, destroy=resources[unit]
                )
            summary = RunResult(org.name, "destroy", str(run.path), (ctx.result(scope),))
            if not approve(summary):
                aborted = True
            else:
                drain.before_destroy(root, org, ctx.env, live, reporter)
                reporter.step(
                    f"[2/2] {name}: destroy {', '.join(reversed(live))} (dependents first)"
                )
                outcome = run_phase(
                    tools=tools,
                    stack=ctx.stack,
                    graph=ctx.graph,
                    units=live,
                    kind="destroy",
                    command=["destroy"],
                    run=run,
                    env_name=name,
                    phase="destroy",
                    logs=ctx.logs,
                    progress=progress,
                    env=ctx.extra_env,
                    parallelism=opts.parallelism,
                )
                interrupted = outcome.interrupted
                for unit in live:
                    status = {"succeeded": DESTROYED, "failed": FAILED}.get(
                        outcome.results[unit], SKIPPED
                    )
                    ctx.results[unit] = replace(
                        ctx.results[unit],
                        status=status,
                        duration_s=outcome.durations.get(unit, 0.0),
                        error_tail=outcome.tails.get(unit, "") if status == FAILED else "",
                    )
    except KeyboardInterrupt:
        interrupted = True
    except PlatformctlError as exc:
        _keep_summary(exc, org, "destroy", run, ctx, scope)
        raise
    result = _result(org, "destroy", run, ctx, scope, interrupted=interrupted, aborted=aborted)
    return _finish(run, result, [ctx])


def _state_counts(
    *,
    tools: tg.Tools,
    ctx: _Env,
    run: RunDir,
    units: Sequence[str],
    opts: Options,
    progress: UnitProgress,
) -> dict[str, int]:
    """Resources in each unit's state (`state list`); a unit without state has none."""
    counts: dict[str, int] = dict.fromkeys(units, 0)
    lock = threading.Lock()
    stack = ctx.stack

    invocation = tg.run_all(
        tools,
        stack,
        ["state", "list"],
        units=units,
        env=ctx.extra_env,
        parallelism=opts.parallelism,
        report_file=run.report_file(ctx.env.name, "state"),
    )

    def on_event(event: tg.LogEvent) -> None:
        if event.unit in counts and event.level == "stdout":
            with lock:
                counts[event.unit] += sum(
                    1
                    for line in event.message.splitlines()
                    if line.strip() and not line.startswith(" ")
                )

    del progress
    tg.execute(invocation, log_path=run.terragrunt_log(ctx.env.name, "state"), on_event=on_event)
    return counts
