"""bootstrap, doctor's AWS rows and preflight against a real moto server."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from platformctl.aws.bootstrap import bucket_compliant
from platformctl.aws.client import (
    PUBLIC_ACCESS_BLOCK_KEYS,
    TLS_ONLY_SID,
    BucketState,
    tls_only_statement,
)
from platformctl.aws.preflight import aws_checks, preflight
from platformctl.errors import OperationError
from platformctl.model.config import load_platform, resolve_org
from platformctl.report import SilentReporter
from tests.fixtures.repo_cli import Cli, client
from tests.fixtures.servers import MotoServer, free_port

SETTINGS = ["bucket", "versioning", "encryption", "public-access-block", "tls-only-policy"]


def _statuses(doc: dict[str, object]) -> dict[str, str]:
    return {s["name"]: s["status"] for s in doc["settings"]}  # type: ignore[attr-defined]


@pytest.mark.real
def test_bootstrap_creates_the_bucket_then_changes_nothing(
    repo: Path, cli: Cli, aws_env: MotoServer
) -> None:
    bucket = "terraform-state-bootone-us-east-1"
    first = cli("bootstrap", "--org", "BootOne", "--env", "dev", "--json")
    assert first.code == 0, first.err
    [doc] = first.json()
    assert doc["bucket"] == bucket and doc["changed"] is True
    assert _statuses(doc) == {"bucket": "created", **dict.fromkeys(SETTINGS[1:], "created")}

    s3 = client(aws_env, "s3")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(pab[k] for k in PUBLIC_ACCESS_BLOCK_KEYS)
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    [deny] = policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert set(deny["Resource"]) == {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}

    second = cli("bootstrap", "--org", "BootOne", "--env", "dev")
    assert second.code == 0, second.err
    assert "nothing changed" in second.out
    again = cli("bootstrap", "--org", "BootOne", "--env", "dev", "--json").json()[0]
    assert again["changed"] is False
    assert set(_statuses(again).values()) == {"unchanged"}
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == policy


@pytest.mark.real
def test_bootstrap_fixes_only_what_is_missing_and_keeps_other_policy_statements(
    repo: Path, cli: Cli, aws_env: MotoServer
) -> None:
    bucket = "terraform-state-boottwo-us-east-1"
    s3 = client(aws_env, "s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    other = {
        "Sid": "AllowAudit",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [other]})
    )

    dry = cli("bootstrap", "--org", "boottwo", "--env", "dev", "--dry-run", "--json").json()[0]
    assert _statuses(dry) == {
        "bucket": "unchanged",
        "versioning": "unchanged",
        "encryption": "would update",
        "public-access-block": "would update",
        "tls-only-policy": "would update",
    }
    with pytest.raises(Exception, match="ServerSideEncryptionConfigurationNotFound"):
        s3.get_bucket_encryption(Bucket=bucket)

    done = cli("bootstrap", "--org", "boottwo", "--env", "dev", "--json").json()[0]
    assert _statuses(done)["encryption"] == "updated"
    statements = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["AllowAudit", TLS_ONLY_SID]


@pytest.mark.real
def test_bootstrap_of_the_sandbox_needs_the_sandbox(repo: Path, cli: Cli) -> None:
    result = cli("bootstrap", "--org", "ExampleOrg", "--env", "sandbox")
    assert result.code == 2
    assert result.error == "The sandbox is not running; run `platformctl sandbox up`."


@pytest.mark.real
def test_doctor_reports_credentials_and_bucket_state(
    repo: Path, cli: Cli, aws_env: MotoServer
) -> None:
    missing = {c.name: c for c in aws_checks(repo, "doctorone", "dev")}
    assert missing["AWS credentials"].status == "ok"
    assert "123456789012" in missing["AWS credentials"].found
    assert missing["state bucket (dev)"].status == "warn"
    assert missing["state bucket (dev)"].fix == "platformctl bootstrap --org doctorone --env dev"

    assert cli("bootstrap", "--org", "doctorone", "--env", "dev").code == 0
    result = cli("doctor", "--org", "doctorone", "--env", "dev", "--json")
    assert result.out, (result.code, result.err)
    rows = {r["name"]: r for r in result.json()["aws"]}
    bucket = rows["state bucket (dev)"]
    assert bucket["status"] == "ok"
    assert bucket["found"] == (
        "exists, versioning=Enabled, encryption=AES256, public-access-block=on, tls-only=yes"
    )


@pytest.mark.real
def test_doctor_is_quick_and_clear_when_aws_is_unreachable(
    repo: Path, aws_env: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    checks = {c.name: c for c in aws_checks(repo, "doctortwo", "dev")}
    assert checks["AWS credentials"].status == "error"
    assert "unreachable" in checks["AWS credentials"].fix
    assert checks["state bucket (dev)"].status == "skipped"


@pytest.mark.real
def test_preflight_offers_bootstrap(repo: Path, aws_env: MotoServer) -> None:
    org = resolve_org("preflightone")
    env = load_platform(repo).get("dev")
    asked: list[str] = []

    def refuse(question: str) -> bool:
        asked.append(question)
        return False

    with pytest.raises(
        OperationError, match="does not exist; create it with `platformctl bootstrap"
    ):
        preflight(repo, org, env, SilentReporter(), ask=refuse)
    assert "terraform-state-preflightone-us-east-1 does not exist" in asked[0]

    result = preflight(repo, org, env, SilentReporter(), ask=lambda _q: True)
    assert result.bootstrapped is not None and result.bootstrapped.changed
    assert (
        result.bucket.exists
        and result.bucket.tls_only
        and result.identity.account == "123456789012"
    )

    quiet = preflight(repo, org, env, SilentReporter(), ask=refuse)
    assert quiet.bootstrapped is None and len(asked) == 1


def test_a_sandbox_bucket_is_compliant_without_the_tls_policy() -> None:
    bucket = "terraform-state-x-us-east-1"
    protected = BucketState(
        name=bucket,
        exists=True,
        region="us-east-1",
        versioning="Enabled",
        encryption="AES256",
        public_access_block=dict.fromkeys(PUBLIC_ACCESS_BLOCK_KEYS, True),
    )
    assert bucket_compliant(protected, sandbox=True)
    assert not bucket_compliant(protected, sandbox=False)  # AWS buckets need the TLS-only policy
    with_policy = dataclasses.replace(protected, policy={"Statement": [tls_only_statement(bucket)]})
    assert bucket_compliant(with_policy, sandbox=False)
    assert not bucket_compliant(
        dataclasses.replace(with_policy, versioning="Suspended"), sandbox=False
    )
