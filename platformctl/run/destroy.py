"""destroy: read the state of a scope, ask, drain the load balancers, then destroy dependents first."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from platformctl.errors import OperationError, PlatformctlError, UsageError
from platformctl.model.config import Org, Platform
from platformctl.report import Reporter
from platformctl.run import drain
from platformctl.run import terragrunt as tg
from platformctl.run.flow import (
    EnvState,
    check_unit,
    describe,
    finish,
    keep_summary,
    open_single_env,
    run_result,
)
from platformctl.run.phase import (
    NoProgress,
    UnitProgress,
    run_phase,
)
from platformctl.run.results import (
    DESTROYED,
    FAILED,
    NO_CHANGES,
    PLANNED,
    SKIPPED,
    RunResult,
    UnitResult,
)
from platformctl.run.runs import RunDir
from platformctl.run.scope import (
    Approve,
    Options,
    run_preflight,
)


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
    early, tools, run, ctx = open_single_env(
        root, platform, org, env_name, "destroy", reporter=reporter, opts=opts
    )
    name = ctx.env.name
    if target == "all":
        scope: tuple[str, ...] = ctx.graph.order
        outside: tuple[str, ...] = ()
    else:
        check_unit(ctx.graph, target, "stage")
        dependents = ctx.graph.dependents(target)
        scope = (target, *dependents) if with_dependents else (target,)
        outside = () if with_dependents else dependents
    scope = tuple(u for u in ctx.graph.order if u in scope)
    ctx.extra_env = {**tg.environment(tools, ctx.extra_env, dry_run=opts.dry_run)}
    check_units = tuple(u for u in ctx.graph.order if u in scope or u in outside)

    if opts.dry_run:
        run_preflight(root, org, ctx.env, reporter, opts)
        commands = [
            describe(_state_list(tools, ctx, check_units, opts)),
            describe(
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
        drain.before_destroy(
            root, org, ctx.env, scope, reporter, dry_run=True, options=_drain_options(opts)
        )
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
                drain.before_destroy(
                    root, org, ctx.env, live, reporter, options=_drain_options(opts)
                )
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
                        retries=outcome.retries.get(unit, 0),
                    )
    except KeyboardInterrupt:
        interrupted = True
    except PlatformctlError as exc:
        keep_summary(exc, org, "destroy", run, ctx, scope)
        raise
    result = run_result(org, "destroy", run, ctx, scope, interrupted=interrupted, aborted=aborted)
    return finish(run, result, [ctx])


def _drain_options(opts: Options) -> drain.DrainOptions | None:
    return None if opts.drain_timeout is None else drain.DrainOptions(timeout=opts.drain_timeout)


def _state_list(
    tools: tg.Tools,
    ctx: EnvState,
    units: Sequence[str],
    opts: Options,
    report_file: Path | None = None,
) -> tg.Invocation:
    """`state list` of every unit, each read even when a dependency's read failed."""
    return tg.run_all(
        tools,
        ctx.stack,
        ["state", "list"],
        units=units,
        env=ctx.extra_env,
        parallelism=opts.parallelism,
        report_file=report_file,
        independent=True,
    )


# What `tofu state list` says (and exits 1 with) where the backend holds no state yet.
NO_STATE = "No state file was found!"


def _state_counts(
    *,
    tools: tg.Tools,
    ctx: EnvState,
    run: RunDir,
    units: Sequence[str],
    opts: Options,
    progress: UnitProgress,
) -> dict[str, int]:
    """Resources in each unit's state (`state list`); a unit without state has none.

    A unit whose state could not be read is an error, never "no resources": destroy would
    then skip what it cannot see and report the environment gone. Each unit is read even
    when a dependency's read failed, so the error names every unit that failed.
    """
    counts: dict[str, int] = dict.fromkeys(units, 0)
    no_state: set[str] = set()
    lock = threading.Lock()
    report_file = run.report_file(ctx.env.name, "state")
    invocation = _state_list(tools, ctx, units, opts, report_file)

    def on_event(event: tg.LogEvent) -> None:
        if event.unit not in counts:
            return
        with lock:
            if event.level == "stdout":
                counts[event.unit] += sum(
                    1
                    for line in event.message.splitlines()
                    if line.strip() and not line.startswith(" ")
                )
            elif NO_STATE in event.message:
                no_state.add(event.unit)

    del progress
    log = run.terragrunt_log(ctx.env.name, "state")
    code = tg.execute(invocation, log_path=log, on_event=on_event)
    report = tg.read_report(report_file, ctx.stack)
    unread = [
        u
        for u in units
        if u not in no_state and ((r := report.get(u)) is None or r.result != "succeeded")
    ]
    if unread or (code != 0 and not no_state):
        raise OperationError(
            f"Could not read the state of {', '.join(unread or units)}, so nothing was "
            f"destroyed; the reason is in {log}."
        )
    return counts
