"""Preflight against AWS: credentials and the state bucket of each environment.

`aws_checks` gives doctor its AWS rows (quick, offline-safe: short timeouts, one
attempt, an 'error' row instead of an exception). `preflight` is what plan/deploy call
before running terragrunt: it fails on bad credentials and offers to bootstrap a
missing or incomplete state bucket. A pass is remembered for a few minutes
(`recently_passed`), keyed by everything that decides where the calls go and as whom:
the endpoint, region, AWS_* variables, the sandbox's credentials and the shared
credential files, so a run right after another one needs no AWS round trip (and no
boto3 import).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from platformctl import aws
from platformctl.bootstrap import BootstrapResult, bootstrap, bucket_compliant
from platformctl.config import Environment, Org, load_platform, resolve_org
from platformctl.doctor import Check
from platformctl.errors import OperationError, PlatformctlError, UsageError
from platformctl.fsutil import write_atomic
from platformctl.naming import state_bucket
from platformctl.paths import state_dir
from platformctl.report import Reporter
from platformctl.sandbox import aws_target


def _bucket_check(root: Path, org: Org, env: Environment) -> Check:
    name = f"state bucket ({env.name})"
    bucket = state_bucket(org, env)
    fix = f"platformctl bootstrap --org {org.display} --env {env.name}"
    try:
        target = aws_target(root, env).short()
        state = aws.bucket_state(target, bucket)
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
        ident = aws.caller_identity(target)
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


CACHE_FILE = "preflight-passed.json"
CACHE_TTL_S = 600.0
_CREDENTIAL_FILES = (
    ("AWS_CONFIG_FILE", "~/.aws/config"),
    ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    ("AWS_WEB_IDENTITY_TOKEN_FILE", ""),
)


def _cache_key(root: Path, org: Org, env: Environment) -> str:
    """A digest of where preflight's calls go and as whom (secrets enter only hashed)."""
    target = aws_target(root, env)
    parts = [
        org.name,
        env.name,
        state_bucket(org, env),
        f"{target.region}|{target.endpoint}|{target.access_key}|{target.secret_key}",
    ]
    parts += sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("AWS_"))
    for variable, default in _CREDENTIAL_FILES:
        name = os.environ.get(variable, default)
        if name:
            try:
                st = Path(name).expanduser().stat()
            except OSError:
                continue
            parts.append(f"{name}:{st.st_mtime_ns}:{st.st_size}")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _read_cache(root: Path) -> dict[str, tuple[float, str]]:
    try:
        data = json.loads((state_dir(root) / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(k): (float(v[0]), str(v[1]))
        for k, v in data.items()
        if isinstance(v, list) and len(v) == 2 and isinstance(v[0], int | float)
    }


def recently_passed(
    root: Path,
    org: Org,
    env: Environment,
    reporter: Reporter | None = None,
    *,
    now: float | None = None,
) -> bool:
    """Whether preflight passed for this environment, endpoint and identity minutes ago.

    The pass's warning (a bucket lacking some protection), if any, is given again to
    `reporter`. Never imports boto3; a sandbox that is not running is never a pass.
    """
    try:
        key = _cache_key(root, org, env)
    except PlatformctlError:
        return False
    until, warning = _read_cache(root).get(key, (0.0, ""))
    if until <= (time.time() if now is None else now):
        return False
    if reporter is not None:
        reporter.info(f"{env.name}: preflight passed minutes ago for these credentials.")
        if warning:
            reporter.warn(warning)
    return True


def remember_pass(root: Path, org: Org, env: Environment, warning: str = "") -> None:
    """Record a pass (with the warning it gave, if any) for CACHE_TTL_S seconds."""
    now = time.time()
    entries = {k: v for k, v in _read_cache(root).items() if v[0] > now}
    entries[_cache_key(root, org, env)] = (now + CACHE_TTL_S, warning)
    write_atomic(state_dir(root) / CACHE_FILE, json.dumps(entries, sort_keys=True) + "\n")


@dataclass(frozen=True)
class PreflightResult:
    env: str
    identity: aws.Identity
    bucket: aws.BucketState
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

    Bad or missing credentials raise UsageError; an unreachable endpoint raises
    OperationError. A missing bucket must be bootstrapped: `ask(question)` decides, and
    a "no" raises OperationError. An existing bucket missing some protection is offered
    the same fix; a "no" there is a warning only.
    """
    target = aws_target(root, env)
    reporter.step(f"{env.name}: preflight (credentials, state bucket)")
    identity = aws.caller_identity(target)
    reporter.info(f"AWS account {identity.account} as {identity.arn}")
    bucket = state_bucket(org, env)
    state = aws.bucket_state(target, bucket)
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
    return PreflightResult(env.name, identity, aws.bucket_state(target, bucket), result)
