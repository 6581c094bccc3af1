"""Preflight against AWS: credentials and the state bucket of each environment.

`aws_checks` gives doctor its AWS rows (quick, offline-safe: short timeouts, one
attempt, an 'error' row instead of an exception). `preflight` is what plan/deploy call
before running terragrunt: it fails on bad credentials or another account than the
environment's account_id, and offers to bootstrap a
missing or incomplete state bucket. A pass is remembered for a few minutes
(platformctl.aws.preflight_memo), so a run right after another one needs no AWS round trip
(and no boto3 import).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from platformctl.aws.bootstrap import BootstrapResult, bootstrap, bucket_compliant
from platformctl.aws.client import BucketState, Identity, bucket_state, caller_identity
from platformctl.aws.preflight_memo import remember_pass
from platformctl.aws.target import aws_target
from platformctl.errors import OperationError, PlatformctlError, UsageError
from platformctl.model.config import Environment, Org, load_platform, resolve_org
from platformctl.model.naming import state_bucket
from platformctl.report import Reporter
from platformctl.toolchain.doctor import Check


def _bucket_check(root: Path, org: Org, env: Environment) -> Check:
    name = f"state bucket ({env.name})"
    bucket = state_bucket(org, env)
    fix = f"platformctl bootstrap --org {org.display} --env {env.name}"
    try:
        target = aws_target(root, env).short()
        state = bucket_state(target, bucket)
    except PlatformctlError as exc:
        return Check(name, bucket, "-", "error", where=env.region, fix=exc.message)
    if not state.exists:
        return Check(name, bucket, "missing", "warn", where=target.endpoint or env.region, fix=fix)
    tls = "n/a (sandbox)" if env.sandbox else ("yes" if state.tls_only else "no")
    found = (
        f"exists, versioning={state.versioning or 'off'}, encryption={state.encryption or 'none'}, "
        f"public-access-block={'on' if state.public_access_blocked else 'off'}, tls-only={tls}"
    )
    ok = bucket_compliant(state, sandbox=env.sandbox)
    return Check(
        name,
        bucket,
        found,
        "ok" if ok else "warn",
        where=target.endpoint or (state.region or env.region),
        fix="" if ok else fix,
    )


def _credentials_check(root: Path, env: Environment) -> Check:
    label = "sandbox credentials" if env.sandbox else "AWS credentials"
    try:
        target = aws_target(root, env).short()
    except UsageError as exc:  # the sandbox is not running
        return Check(label, "caller identity", "-", "warn", fix=exc.message)
    try:
        ident = caller_identity(target)
    except PlatformctlError as exc:
        return Check(
            label,
            "caller identity",
            "-",
            "error",
            where=target.endpoint or "AWS",
            fix=exc.message,
            required=not env.sandbox,
        )
    return Check(
        label,
        "caller identity",
        f"account {ident.account}",
        "ok",
        where=ident.arn,
        required=not env.sandbox,
    )


def aws_checks(root: Path, org: str | None, env: str | None) -> tuple[Check, ...]:
    """Doctor's AWS rows: credentials (per target: AWS and/or sandbox) and each bucket."""
    try:
        envs = load_platform(root).select(env)
    except UsageError as exc:
        return (Check("environments", env or "all", "-", "error", fix=exc.message, required=True),)
    checks: list[Check] = []
    seen: set[bool] = set()
    for e in envs:
        if e.sandbox in seen:
            continue
        seen.add(e.sandbox)
        checks.append(_credentials_check(root, e))
    try:
        the_org = resolve_org(org)
    except UsageError as exc:
        return (*checks, Check("state buckets", "-", "-", "skipped", fix=exc.message))
    for e in envs:
        cred = next(c for c in checks if c.name.startswith("sandbox" if e.sandbox else "AWS"))
        if cred.status != "ok":
            checks.append(
                Check(
                    f"state bucket ({e.name})",
                    state_bucket(the_org, e),
                    "-",
                    "skipped",
                    fix=f"fix the {cred.name} first",
                )
            )
            continue
        checks.append(_bucket_check(root, the_org, e))
    return tuple(checks)


def check_account(env: Environment, identity: Identity) -> None:
    """Refuse (UsageError) an identity outside the account platform.toml names for `env`."""
    if env.account_id and identity.account != env.account_id:
        raise UsageError(
            f"Environment {env.name} lives in AWS account {env.account_id}, but platformctl "
            f"would act in account {identity.account} as {identity.arn}; use credentials of "
            f"account {env.account_id} (or a role_arn there that they may assume)."
        )


def guard_account(root: Path, org: Org, env: Environment, reporter: Reporter) -> None:
    """Before anything acts for `env`: refuse credentials of another account than its account_id.

    Costs nothing without account_id, or after a preflight pass minutes ago for the same
    endpoint, identity and account (platformctl.aws.preflight_memo); else one STS call
    (AssumeRole first when role_arn is set).
    """
    if not env.account_id:
        return
    from platformctl.aws.preflight_memo import recently_passed

    if recently_passed(root, org, env):
        return
    identity = caller_identity(aws_target(root, env))
    check_account(env, identity)
    reporter.info(f"{env.name}: AWS account {identity.account} as {identity.arn}")


@dataclass(frozen=True)
class PreflightResult:
    env: str
    identity: Identity
    bucket: BucketState
    bootstrapped: BootstrapResult | None = None


def preflight(
    root: Path,
    org: Org,
    env: Environment,
    reporter: Reporter,
    *,
    ask: Callable[[str], bool],
) -> PreflightResult:
    """Check credentials and the state bucket before terragrunt runs.

    Bad or missing credentials, and credentials of another account than the environment's
    account_id, raise UsageError; an unreachable endpoint raises
    OperationError. A missing bucket must be bootstrapped: `ask(question)` decides, and
    a "no" raises OperationError. An existing bucket missing some protection is offered
    the same fix; a "no" there is a warning only.
    """
    target = aws_target(root, env)
    reporter.step(f"{env.name}: preflight (credentials, state bucket)")
    identity = caller_identity(target)
    check_account(env, identity)
    reporter.info(f"AWS account {identity.account} as {identity.arn}")
    bucket = state_bucket(org, env)
    state = bucket_state(target, bucket)
    command = f"platformctl bootstrap --org {org.display} --env {env.name}"
    if not state.exists:
        if not ask(
            f"State bucket {bucket} does not exist. Create it now (versioned, encrypted, private)?"
        ):
            raise OperationError(
                f"State bucket {bucket} does not exist; create it with `{command}`."
            )
    elif not bucket_compliant(state, sandbox=env.sandbox):
        if not ask(f"State bucket {bucket} lacks some protection. Fix it now?"):
            warning = f"state bucket {bucket} is not fully protected; `{command}` fixes it."
            reporter.warn(warning)
            remember_pass(root, org, env, warning)
            return PreflightResult(env.name, identity, state)
    else:
        reporter.info(f"state bucket {bucket}: ok")
        remember_pass(root, org, env)
        return PreflightResult(env.name, identity, state)
    result = bootstrap(root, org, env, reporter)
    return PreflightResult(env.name, identity, bucket_state(target, bucket), result)
