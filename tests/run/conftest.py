"""Fixtures for the orchestration tests: a fresh test stack per test, its bucket on moto."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from platformctl.model.config import Org, Platform, load_platform, resolve_org
from platformctl.toolchain.locate import tool_path
from tests.fixtures.servers import MotoServer
from tests.run.stack import write_stack


@dataclass(frozen=True)
class Stack:
    root: Path
    org: Org
    platform: Platform
    bucket: str
    moto: MotoServer

    @property
    def stack_dir(self) -> Path:
        return self.root / "live" / self.org.name / "sandbox" / "us-east-1"

    def s3_keys(self) -> list[str]:
        import boto3

        s3 = boto3.client("s3", endpoint_url=self.moto.endpoint, region_name="us-east-1")
        listing = s3.list_objects_v2(Bucket=self.bucket)
        return sorted(o["Key"] for o in listing.get("Contents", []))


def _tools_present() -> bool:
    try:
        tool_path(Path(__file__).resolve().parents[2], "terragrunt")
        tool_path(Path(__file__).resolve().parents[2], "opentofu")
    except Exception:
        return False
    return True


@pytest.fixture
def stack(tmp_path: Path, aws_env: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """A repo root with the four-unit test stack; state in a fresh bucket on the moto server."""
    import boto3

    if not _tools_present():
        pytest.skip("terragrunt and OpenTofu are not installed (platformctl tools install)")
    org = resolve_org(f"t{uuid.uuid4().hex[:10]}")
    root = write_stack(tmp_path / "repo")
    bucket = f"terraform-state-{org.name}-us-east-1"
    boto3.client("s3", endpoint_url=aws_env.endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    monkeypatch.setenv("PLATFORMCTL_ROOT", str(root))
    monkeypatch.setenv("PLATFORMCTL_ORG", org.name)
    for key in ("TG_TF_PATH", "TG_DOWNLOAD_DIR", "TG_PROVIDER_CACHE"):
        monkeypatch.delenv(key, raising=False)
    return Stack(root, org, load_platform(root), bucket, aws_env)
