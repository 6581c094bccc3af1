"""deploy: plan a stage, ask, apply it level by level, then run its post-install steps."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from platformctl.errors import OperationError, PlatformctlError
from platformctl.model.config import Environment, Org, Platform
from platformctl.report import Reporter
from platformctl.run import terragrunt as tg
from platformctl.run.flow import (
    EnvState,
    check_unit,
    describe,
    finish,
    keep_summary,
    open_single_env,
    plan_units,
    run_result,
)
from platformctl.run.phase import (
    NoProgress,
    UnitProgress,
    run_phase,
)
from platformctl.run.policy import Checkers
from platformctl.run.results import (
    ALLOW_FLAG,
    APPLIED,
    FAILED,
    NO_CHANGES,
    PLANNED,
    SKIPPED,
    RunResult,
)
from platformctl.run.runs import RunDir
from platformctl.run.scope import (
    Approve,
    Options,
    run_preflight,
)

PostInstallHook = Callable[..., object]


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
    policy: bool = False,
    allow_policy_failures: bool = False,
) -> RunResult:
    """Plan the stage (and, with_dependencies, the units it depends on), ask, then apply.

    Applies level by level, exactly the saved plans; a unit planned against mock outputs
    or whose dependencies were applied in this run is planned again first. After each
    applied unit its post-install steps run. With `policy` every saved plan is checked
    (platformctl.run.policy) and the result recorded beside it; a plan whose check failed
    is not applied unless `allow_policy_failures`.
    """
    from platformctl.run import policy as policy_mod

    progress = progress or NoProgress()
    checkers = policy_mod.checkers(root) if policy and not opts.dry_run else None
    if policy:
        opts = replace(opts, plan_json=True)  # the checks read each plan's JSON document
    early, tools, run, ctx = open_single_env(
        root, platform, org, env_name, "deploy", reporter=reporter, opts=opts
    )
    name = ctx.env.name
    check_unit(ctx.graph, stage, "stage")
    scope = (*ctx.graph.dependencies(stage), stage) if with_dependencies else (stage,)
    levels = [tuple(u for u in level if u in scope) for level in ctx.graph.levels()]
    levels = [lv for lv in levels if lv]
    env_vars = {**tg.environment(tools, ctx.extra_env, dry_run=opts.dry_run)}
    ctx.extra_env = env_vars

    if opts.dry_run:
        run_preflight(root, org, ctx.env, reporter, opts)
        plans = Path(".platformctl/runs/<run>") / name / "plans"
        commands = []
        reporter.step(f"[1/{len(levels) + 1}] {name}: plan {', '.join(scope)}")
        commands.append(
            describe(
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
        if policy:
            reporter.step(policy_mod.describe_checks(checkers))
        reporter.step("show the summary and ask for confirmation (unless --yes)")
        for i, level in enumerate(levels):
            reporter.step(
                f"[{i + 2}/{len(levels) + 1}] {name}: apply {', '.join(level)}"
                + (" (planned again first if its dependencies changed)" if i else "")
            )
            if i:
                commands.append(
                    describe(
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
                describe(
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
        outcome, planned, first_plans = plan_units(
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
            refused = False
            if checkers is not None:
                reporter.step(f"{name}: policy checks of the saved plans")
                policy_mod.check_units(checkers, first_plans, ctx.results)
                refused = not _policy_gate(
                    ctx, scope, first_plans, allow=allow_policy_failures, reporter=reporter
                )
            summary = RunResult(org.name, "deploy", str(run.path), (ctx.result(scope),))
            if refused:
                pass
            elif not any(planned[u].status == PLANNED for u in scope):
                reporter.info("Nothing to apply: every unit is up to date.")
            elif not approve(summary):
                aborted = True
            if not aborted and not refused:
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
                    checkers=checkers,
                    allow_policy_failures=allow_policy_failures,
                )
        # An applied stage had its post-install steps right after its apply; an
        # unchanged one gets them here (kubeconfig, health gates are still wanted).
        if (
            not interrupted
            and not aborted
            and not ctx.errors
            and ctx.results[stage].status == NO_CHANGES
        ):
            failure = run_post_install(root, org, ctx.env, stage, reporter, opts)
            if failure:
                ctx.errors.append(failure)
    except KeyboardInterrupt:
        interrupted = True
    except PlatformctlError as exc:
        keep_summary(exc, org, "deploy", run, ctx, scope)
        raise
    result = run_result(org, "deploy", run, ctx, scope, interrupted=interrupted, aborted=aborted)
    return finish(run, result, [ctx])


def _apply_levels(
    *,
    root: Path,
    org: Org,
    tools: tg.Tools,
    ctx: EnvState,
    run: RunDir,
    levels: Sequence[tuple[str, ...]],
    first_plans: Path,
    opts: Options,
    progress: UnitProgress,
    reporter: Reporter,
    approve: Approve,
    checkers: Checkers | None = None,
    allow_policy_failures: bool = False,
) -> bool:
    """Apply level by level; returns True when interrupted."""
    import shutil

    from platformctl.run import policy as policy_mod

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
            outcome, replanned, _ = plan_units(
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
                    replanned[unit],
                    duration_s=before.duration_s + replanned[unit].duration_s,
                    retries=before.retries + replanned[unit].retries,
                )
            if outcome.interrupted:
                return True
            if checkers is not None:
                checked = {u: ctx.results[u] for u in stale}
                policy_mod.check_units(checkers, plans, checked)
                ctx.results.update(checked)
                if not _policy_gate(
                    ctx, stale, plans, allow=allow_policy_failures, reporter=reporter
                ):
                    for unit in stale:
                        ctx.results[unit] = replace(ctx.results[unit], status=SKIPPED)
                    return False
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
        for unit in to_apply:
            recorded = policy_mod.recorded(plans / unit)
            if recorded is not None and not recorded.passed and not recorded.allowed:
                raise OperationError(
                    f"The saved plan of {unit} failed its policy checks; refusing to apply it.",
                    hint=f"pass {ALLOW_FLAG} to apply it anyway.",
                )
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
                retries=before.retries + outcome.retries.get(unit, 0),
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


def _policy_gate(
    ctx: EnvState, units: Sequence[str], plans: Path, *, allow: bool, reporter: Reporter
) -> bool:
    """Whether the checked plans of `units` may be applied; a refusal is one of ctx.errors.

    With `allow`, each failed check is recorded as allowed beside its plan and named.
    """
    from platformctl.run.policy import policy_of, record, with_policy

    failing = []
    for unit in units:
        checked = policy_of(ctx.results[unit])
        if ctx.results[unit].status == PLANNED and checked is not None and not checked.passed:
            failing.append((unit, checked))
    if not failing:
        return True
    names = ", ".join(unit for unit, _ in failing)
    if not allow:
        ctx.errors.append(
            f"Refused to apply {names}: the plan failed its policy checks "
            f"({ALLOW_FLAG} applies it anyway)."
        )
        return False
    for unit, checked in failing:
        allowed = checked.allow()
        record(plans / unit, allowed)
        ctx.results[unit] = with_policy(ctx.results[unit], allowed)
        reporter.warn(
            f"{unit}: applying a plan that failed {len(checked.findings)} policy check(s) "
            f"({ALLOW_FLAG})."
        )
    return True
