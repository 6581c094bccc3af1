"""Fixtures for the AWS side: a throwaway repository root and a CLI runner that maps errors."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from platformctl.cli import app
from platformctl.cli.errors import run_app
from tests.conftest import REPO
from tests.fixtures.servers import MotoServer


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository root of our own (platform.toml + templates/) with PLATFORMCTL_ROOT set."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(REPO / "platform.toml", root / "platform.toml")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / ".tool-versions", root / ".tool-versions")
    monkeypatch.setenv("PLATFORMCTL_ROOT", str(root))
    monkeypatch.delenv("PLATFORMCTL_ORG", raising=False)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    # Wide, plain output so each message is one line and easy to assert on.
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setenv("NO_COLOR", "1")
    return root


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def error(self) -> str:
        """The text of the `error:` line (the one sentence a user reads)."""
        lines = [line for line in self.err.splitlines() if line.startswith("error:")]
        assert len(lines) == 1, self.err
        return lines[0].removeprefix("error:").strip()


Cli = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run `platformctl ARGS…` in-process through the real error mapper."""

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        code = run_app(app, list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


def assert_one_sentence(message: str) -> None:
    assert message.endswith((".", "?")), message
    assert not re.search(r"[.?!] +[A-Z]", message), f"more than one sentence: {message}"


@pytest.fixture
def no_credentials(aws_env: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS credentials anywhere: no variables, no files, no instance metadata."""
    for key in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def client(moto: MotoServer, service: str) -> Any:
    """A boto3 client of the test itself (fixtures and checks), pointed at moto."""
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=moto.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def eks_cluster(aws_env: MotoServer) -> Iterator[Callable[[str], str]]:
    """Create an EKS cluster by name in moto; returns its ARN."""
    eks = client(aws_env, "eks")
    ec2 = client(aws_env, "ec2")
    made: list[str] = []

    def create(name: str) -> str:
        vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.99.0.0/24")["Subnet"]["SubnetId"]
        arn: str = eks.create_cluster(
            name=name,
            roleArn="arn:aws:iam::123456789012:role/eks",
            resourcesVpcConfig={"subnetIds": [subnet]},
        )["cluster"]["arn"]
        made.append(name)
        return arn

    yield create
    for name in made:
        eks.delete_cluster(name=name)
