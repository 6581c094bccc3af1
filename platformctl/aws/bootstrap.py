"""State backend bootstrap: the S3 bucket terragrunt's remote_state uses, made safe.

terraform-state-<org>-<region> with versioning, default encryption, all four public
access blocks and a policy that denies plain-HTTP requests. The current state is read
first and only what differs is changed, so a second run changes nothing and says so.
Locking needs nothing here: the rendered backend uses S3 lock files (use_lockfile).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformctl.aws.client import (
    TLS_ONLY_SID,
    BucketState,
    block_public_access,
    bucket_state,
    create_bucket,
    enable_versioning,
    put_bucket_policy,
    set_default_encryption,
    tls_only_statement,
)
from platformctl.aws.session import AwsTarget
from platformctl.aws.target import aws_target
from platformctl.model.config import Environment, Org
from platformctl.model.naming import state_bucket
from platformctl.report import Reporter
from platformctl.sandbox.moto import Moto

SETTINGS = ("bucket", "versioning", "encryption", "public-access-block", "tls-only-policy")


@dataclass(frozen=True)
class Setting:
    """One setting of the bucket. status: created, updated, unchanged, would create,
    would update, skipped."""

    name: str
    status: str
    detail: str = ""


@dataclass(frozen=True)
class BootstrapResult:
    env: str
    bucket: str
    region: str
    endpoint: str | None
    dry_run: bool
    settings: tuple[Setting, ...]

    @property
    def changed(self) -> bool:
        return any(s.status in ("created", "updated") for s in self.settings)

    def to_json(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "bucket": self.bucket,
            "region": self.region,
            "endpoint": self.endpoint,
            "dry_run": self.dry_run,
            "changed": self.changed,
            "settings": [
                {"name": s.name, "status": s.status, "detail": s.detail} for s in self.settings
            ],
        }


def bucket_compliant(state: BucketState, *, sandbox: bool, kms_key_id: str | None = None) -> bool:
    """Whether a bucket already has every setting bootstrap would give it."""
    return state.exists and not [
        s
        for s in _wanted(state, sandbox=sandbox, kms_key_id=kms_key_id)
        if s[1] not in ("unchanged", "skipped")
    ]


def _wanted(
    state: BucketState, *, sandbox: bool, kms_key_id: str | None, target_region: str = ""
) -> list[tuple[str, str, str]]:
    """(setting, 'create'|'update'|'unchanged'|'skipped', detail) for each setting."""
    fresh = not state.exists
    out: list[tuple[str, str, str]] = [
        ("bucket", "create" if fresh else "unchanged", state.region or target_region),
    ]
    out.append(
        (
            "versioning",
            "update" if fresh or state.versioning != "Enabled" else "unchanged",
            "Enabled",
        )
    )
    want_alg = "aws:kms" if kms_key_id else "AES256"
    enc_ok = state.encryption == want_alg and (not kms_key_id or state.kms_key_id == kms_key_id)
    enc_detail = f"aws:kms ({kms_key_id})" if kms_key_id else "AES256 (SSE-S3)"
    out.append(("encryption", "update" if fresh or not enc_ok else "unchanged", enc_detail))
    out.append(
        (
            "public-access-block",
            "update" if fresh or not state.public_access_blocked else "unchanged",
            "all four blocks on",
        )
    )
    if sandbox:
        # The emulator is served over plain HTTP and enforces bucket policies: a TLS-only
        # policy there would refuse every state read and write.
        out.append(("tls-only-policy", "skipped", "sandbox endpoint is plain HTTP"))
    else:
        out.append(
            (
                "tls-only-policy",
                "update" if fresh or not state.tls_only else "unchanged",
                "deny aws:SecureTransport=false",
            )
        )
    return out


def bootstrap(
    root: Path,
    org: Org,
    env: Environment,
    reporter: Reporter,
    *,
    dry_run: bool = False,
    kms_key_id: str | None = None,
) -> BootstrapResult:
    """Create or fix the environment's state bucket; a no-op when it is already right.

    A dry run of a sandbox environment needs no running sandbox: with none, it shows what a
    new sandbox would get.
    """
    bucket = state_bucket(org, env)
    if dry_run and env.sandbox and not Moto().env(root):
        reporter.step(
            f"{env.name}: state bucket {bucket} (the sandbox is not running: as for a new one)"
        )
        target = AwsTarget(region=env.region, label="sandbox")
        state = BucketState(bucket, exists=False)
    else:
        target = aws_target(root, env)
        reporter.step(f"{env.name}: state bucket {bucket} ({target.endpoint or env.region})")
        state = bucket_state(target, bucket)
    plan = _wanted(state, sandbox=env.sandbox, kms_key_id=kms_key_id, target_region=env.region)
    settings: list[Setting] = []
    for name, action, detail in plan:
        if action in ("unchanged", "skipped"):
            settings.append(Setting(name, action, detail))
            continue
        verb = "created" if action == "create" or not state.exists else "updated"
        if dry_run:
            settings.append(Setting(name, f"would {verb[:-1]}", detail))
            continue
        reporter.info(f"{name}: {verb[:-1]}" + (f" ({detail})" if detail else ""))
        _apply(target, env=env, bucket=bucket, setting=name, state=state, kms_key_id=kms_key_id)
        settings.append(Setting(name, verb, detail))
    return BootstrapResult(
        env=env.name,
        bucket=bucket,
        region=env.region,
        endpoint=target.endpoint,
        dry_run=dry_run,
        settings=tuple(settings),
    )


def _apply(
    target: AwsTarget,
    *,
    env: Environment,
    bucket: str,
    setting: str,
    state: BucketState,
    kms_key_id: str | None,
) -> None:
    if setting == "bucket":
        create_bucket(target, bucket, env.region)
    elif setting == "versioning":
        enable_versioning(target, bucket)
    elif setting == "encryption":
        set_default_encryption(target, bucket, kms_key_id)
    elif setting == "public-access-block":
        block_public_access(target, bucket)
    elif setting == "tls-only-policy":
        put_bucket_policy(target, bucket, _with_tls_only(state.policy, bucket))


def _with_tls_only(policy: Any, bucket: str) -> dict[str, Any]:
    """The existing policy with our statement added (or replaced by Sid); others are kept."""
    doc: dict[str, Any] = dict(policy) if policy else {"Version": "2012-10-17"}
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = [s for s in statements if not (isinstance(s, dict) and s.get("Sid") == TLS_ONLY_SID)]
    doc["Statement"] = [*kept, tls_only_statement(bucket)]
    doc.setdefault("Version", "2012-10-17")
    return doc
