"""What the flows (plan-all, deploy, destroy) share: their environments, a planned scope, the summary.

Terragrunt executes (its own DAG, its own parallelism); the flows decide what it
runs on, read back what happened to each unit, and keep the rules that make a run
safe: the live tree is rendered first, a plan made against mock outputs is never
applied (deploy applies level by level and re-plans a unit whose dependencies were just
applied), a failed unit's dependents are skipped, and an interrupted run still leaves
its logs and summary behind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from platformctl.errors import PlatformctlError, UsageError
from platformctl.model.config import Environment, Org, Platform
from platformctl.model.graph import Graph, read_graph
from platformctl.paths import state_dir
from platformctl.report import Reporter
from platformctl.run import terragrunt as tg
from platformctl.run.phase import (
    PhaseOutcome,
    UnitProgress,
    run_phase,
)
from platformctl.run.planreport import PlanCounts
from platformctl.run.results import (
    FAILED,
    NO_CHANGES,
    PLANNED,
    SKIPPED,
    EnvResult,
    RunResult,
    UnitResult,
)
from platformctl.run.runs import RunDir, UnitLogs, new_run
from platformctl.run.scope import (
    Early,
    Options,
    ensure_rendered,
    environment_for,
    stack_dir,
)

if TYPE_CHECKING:
    from platformctl.proc import Streamed


@dataclass
class EnvState:
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
    ctx: EnvState,
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
        retries=outcome.retries.get(unit, 0),
    )


def plan_units(
    *,
    tools: tg.Tools,
    ctx: EnvState,
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


def describe(invocation: tg.Invocation) -> str:
    return invocation.display()


def open_envs(
    *,
    root: Path,
    platform: Platform,
    org: Org,
    env_names: Sequence[str],
    run: RunDir | None,
    opts: Options,
    graph_root: Path,
) -> list[EnvState]:
    envs = []
    for name in env_names:
        env = platform.get(name)
        stack = stack_dir(root, org, env)
        graph = read_graph(
            stack_dir(graph_root, org, env),
            cache_file=state_dir(root) / "graph-cache" / f"{org.name}-{env.name}.json",
        )
        logs = UnitLogs(run if run is not None else RunDir(Path("/dev/null")), name)
        envs.append(EnvState(env, stack, graph, logs, environment_for(root, env, opts)))
    return envs


def run_result(
    org: Org,
    command: str,
    run: RunDir,
    ctx: EnvState,
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


def keep_summary(
    exc: PlatformctlError, org: Org, command: str, run: RunDir, ctx: EnvState, scope: Sequence[str]
) -> None:
    """An error mid-run still writes the summary of what did happen before it is reported."""
    ctx.errors.append(exc.message)
    finish(run, run_result(org, command, run, ctx, scope), [ctx])


def finish(run: RunDir, result: RunResult, envs: Sequence[EnvState]) -> RunResult:
    for ctx in envs:
        ctx.logs.close()
    run.write_summary(result.to_json())
    return result


def open_single_env(
    root: Path,
    platform: Platform,
    org: Org,
    env_name: str | None,
    command: str,
    *,
    reporter: Reporter,
    opts: Options,
) -> tuple[Early, tg.Tools, RunDir | None, EnvState]:
    """Shared start of deploy and destroy: one environment, rendered, tools found, a run dir."""
    name = _single_env(platform, env_name, command)
    early = Early(root, org, (platform.get(name),), reporter, opts)
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
    (ctx,) = open_envs(
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


def check_unit(graph: Graph, unit: str, flag: str) -> None:
    if unit not in graph.units:
        raise UsageError(
            f"{flag} '{unit}' is not a unit of this environment; units: {', '.join(graph.order)}."
        )
