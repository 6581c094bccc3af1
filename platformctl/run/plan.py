"""plan-all: plan every unit of each selected environment, terragrunt first and the preflight beside it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from platformctl.errors import PlatformctlError
from platformctl.model.config import Org, Platform
from platformctl.report import Reporter
from platformctl.run import terragrunt as tg
from platformctl.run.flow import (
    EnvState,
    describe,
    finish,
    open_envs,
    plan_units,
)
from platformctl.run.phase import (
    NoProgress,
    UnitProgress,
)
from platformctl.run.results import (
    EnvResult,
    RunResult,
)
from platformctl.run.runs import RunDir, new_run
from platformctl.run.scope import (
    Options,
    ensure_rendered,
    environment_for,
    resolve_tools,
    run_preflight,
)

if TYPE_CHECKING:
    from platformctl.proc import Streamed


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
    policy: bool = False,
) -> RunResult:
    """Plan every unit of each selected environment (one environment after another).

    Each unit's plan is saved in the run directory (with its `tofu show -json` when
    opts.plan_json); the result gives per-unit counts, read from the saved plans, and
    whether the plan used mock outputs. Terragrunt starts as soon as its command line
    is known: the messages before it are shown once it runs, and the preflight runs
    beside it (platformctl.run.overlap). With `policy`, each saved plan is checked
    (platformctl.run.policy) and a failed check fails the run.
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
            policy=policy,
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
    policy: bool = False,
) -> RunResult:
    from dataclasses import replace

    from platformctl.run import policy as policy_mod
    from platformctl.run.overlap import PreflightBeside

    checkers = policy_mod.checkers(root) if policy and not opts.dry_run else None
    if policy:
        opts = replace(opts, plan_json=True)  # the checks read each plan's JSON document

    selected = platform.select(env_name)
    env_names = [e.name for e in selected]
    checked: set[str] = set()
    found: list[tg.Tools] = []

    def can_start() -> None:  # the sandbox (for a sandbox environment) and the tools
        for env in selected:
            environment_for(root, env, opts)
            if env.account_id and opts.preflight and not opts.dry_run:
                # The wrong account stops the run before terragrunt starts (the
                # preflight beside terragrunt would only interrupt it).
                from platformctl.aws.preflight import guard_account

                guard_account(root, org, env, reporter)
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
    envs = open_envs(
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
                    env=tg.environment(tools, ctx.extra_env, dry_run=opts.dry_run),
                )
                commands.append(describe(inv))
                reporter.info(commands[-1])
                if policy:
                    reporter.info(policy_mod.describe_checks(checkers))
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
            ctx.extra_env = tg.environment(tools, ctx.extra_env, dry_run=opts.dry_run)
            beside = PreflightBeside(
                root, org, ctx.env, reporter, enabled=opts.preflight and ctx.env.name not in checked
            )

            def started(
                child: Streamed, env: str = ctx.env.name, pf: PreflightBeside = beside
            ) -> None:
                run.record_start(f"{env}/plan", time.time())
                on_exec()
                pf.start(child)

            outcome, results, plans = plan_units(
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
            if checkers is not None and not outcome.interrupted:
                reporter.step(f"{ctx.env.name}: policy checks of the saved plans")
                try:
                    ctx.errors += policy_mod.check_units(checkers, plans, ctx.results)
                except PlatformctlError as exc:
                    ctx.errors.append(exc.message)
                    finish(run, _plan_result(org, run, [*out, ctx.result(units)], envs), envs)
                    raise
            out.append(ctx.result(units))
            try:
                beside.finish(wait=not outcome.interrupted)
            except PlatformctlError as exc:
                ctx.errors.append(exc.message)
                finish(run, _plan_result(org, run, out, envs), envs)
                raise
            if outcome.interrupted:
                interrupted = True
                break
    except KeyboardInterrupt:
        interrupted = True
    return finish(run, _plan_result(org, run, out, envs, interrupted=interrupted), envs)


def _plan_result(
    org: Org,
    run: RunDir,
    out: Sequence[EnvResult],
    envs: Sequence[EnvState],
    interrupted: bool = False,
) -> RunResult:
    errors = tuple(e for ctx in envs for e in ctx.errors)
    return RunResult(
        org.name, "plan", str(run.path), tuple(out), interrupted=interrupted, errors=errors
    )
