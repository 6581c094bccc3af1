"""The wrong-account guard and role assumption against a real moto server.

moto acts in account 123456789012 for the test credentials, and in account 111111111111
for credentials of an assumed role arn:aws:iam::111111111111:role/…
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from tests.fixtures.repo import tree_snapshot
from tests.fixtures.repo_cli import Cli, assert_one_sentence, client
from tests.fixtures.servers import MotoServer

OTHER = "111111111111"


def _name_account(repo: Path, extra: str) -> None:
    toml = repo / "platform.toml"
    text = toml.read_text()
    toml.write_text(text.replace('name = "dev"\n', f'name = "dev"\n{extra}', 1))


def _buckets_in(moto: MotoServer, role_account: str | None = None) -> list[str]:
    if role_account is None:
        s3 = client(moto, "s3")
    else:
        creds = client(moto, "sts").assume_role(
            RoleArn=f"arn:aws:iam::{role_account}:role/probe", RoleSessionName="probe"
        )["Credentials"]
        s3 = boto3.client(
            "s3",
            region_name="us-east-1",
            endpoint_url=moto.endpoint,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
    return [b["Name"] for b in s3.list_buckets()["Buckets"]]


@pytest.mark.real
def test_bootstrap_in_the_wrong_account_is_refused_and_creates_nothing(
    repo: Path, cli: Cli, aws_env: MotoServer
) -> None:
    _name_account(repo, f'account_id = "{OTHER}"\n')
    before = set(_buckets_in(aws_env)), set(_buckets_in(aws_env, OTHER))
    result = cli("bootstrap", "--org", "GuardOne", "--env", "dev")
    assert result.code == 2, result.err
    assert OTHER in result.error and "123456789012" in result.error
    assert_one_sentence(result.error)
    assert (set(_buckets_in(aws_env)), set(_buckets_in(aws_env, OTHER))) == before


@pytest.mark.real
def test_bootstrap_assumes_the_role_and_makes_the_bucket_in_its_account(
    repo: Path, cli: Cli, aws_env: MotoServer
) -> None:
    _name_account(
        repo,
        f'account_id = "{OTHER}"\nrole_arn = "arn:aws:iam::{OTHER}:role/deploy"\n'
        'session_name = "guard-test"\n',
    )
    result = cli("bootstrap", "--org", "GuardTwo", "--env", "dev")
    assert result.code == 0, result.err
    bucket = f"terraform-state-guardtwo-{OTHER}-us-east-1"
    assert bucket in _buckets_in(aws_env, OTHER)
    assert bucket not in _buckets_in(aws_env)


@pytest.mark.real
def test_the_matching_account_passes(repo: Path, cli: Cli, aws_env: MotoServer) -> None:
    _name_account(repo, 'account_id = "123456789012"\n')
    result = cli("bootstrap", "--org", "GuardThree", "--env", "dev")
    assert result.code == 0, result.err
    assert "terraform-state-guardthree-123456789012-us-east-1" in _buckets_in(aws_env)


@pytest.mark.real
@pytest.mark.parametrize(
    "args",
    [
        ["deploy", "vpc", "--env", "dev", "--yes"],
        ["destroy", "vpc", "--env", "dev", "--yes"],
        ["plan-all", "--env", "dev"],
    ],
)
def test_a_run_in_the_wrong_account_stops_before_anything_is_written(
    repo: Path, cli: Cli, aws_env: MotoServer, args: list[str]
) -> None:
    from platformctl.errors import ToolNotFoundError
    from platformctl.toolchain.locate import tool_path

    try:
        tool_path(repo, "terragrunt")
        tool_path(repo, "opentofu")
    except ToolNotFoundError:
        pytest.skip("terragrunt and OpenTofu are not installed (platformctl tools install)")
    assert cli("render", "--org", "ExampleOrg").code == 0
    _name_account(repo, f'account_id = "{OTHER}"\n')  # live/ is now stale
    before = tree_snapshot(repo / "live"), set(_buckets_in(aws_env, OTHER))
    result = cli(*args, "--org", "ExampleOrg")
    assert result.code == 2, result.err
    assert OTHER in result.error and "123456789012" in result.error
    assert_one_sentence(result.error)
    assert (tree_snapshot(repo / "live"), set(_buckets_in(aws_env, OTHER))) == before
    assert not (repo / ".platformctl" / "runs").exists()
    assert not (repo / ".platformctl" / "terragrunt-cache").exists()


@pytest.mark.real
def test_plan_all_on_a_fresh_tree_in_the_wrong_account_stops_before_terragrunt(
    repo: Path, cli: Cli, aws_env: MotoServer
) -> None:
    from platformctl.errors import ToolNotFoundError
    from platformctl.toolchain.locate import tool_path

    try:
        tool_path(repo, "terragrunt")
        tool_path(repo, "opentofu")
    except ToolNotFoundError:
        pytest.skip("terragrunt and OpenTofu are not installed (platformctl tools install)")
    _name_account(repo, f'account_id = "{OTHER}"\n')
    assert cli("render", "--org", "ExampleOrg").code == 0  # live/ is current
    before = tree_snapshot(repo / "live")
    result = cli("plan-all", "--env", "dev", "--org", "ExampleOrg")
    assert result.code == 2, result.err
    assert OTHER in result.error and "123456789012" in result.error
    assert tree_snapshot(repo / "live") == before
    assert not (repo / ".platformctl" / "runs").exists()
    assert not (repo / ".platformctl" / "terragrunt-cache").exists()


@pytest.mark.real
def test_sweep_in_the_wrong_account_is_refused(repo: Path, cli: Cli, aws_env: MotoServer) -> None:
    _name_account(repo, f'account_id = "{OTHER}"\n')
    result = cli("sweep", "--org", "GuardFour", "--env", "dev", "--dry-run")
    assert result.code == 2, result.err
    assert OTHER in result.error and "123456789012" in result.error
