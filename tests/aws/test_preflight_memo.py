"""The preflight's memory: remembered per endpoint and identity, for minutes, never a secret."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from platformctl.aws import preflight_memo as memo
from platformctl.model.config import load_platform, resolve_org
from tests.fixtures.repo import make_repo


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def step(self, message: str) -> None:
        self.lines.append(message)

    def info(self, message: str) -> None:
        self.lines.append(message)

    def warn(self, message: str) -> None:
        self.lines.append("warning: " + message)


def test_a_pass_is_remembered_for_the_same_identity_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(name)
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAONE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret")
    root = make_repo(tmp_path)
    dev = load_platform(root).get("dev")
    org = resolve_org("ExampleOrg")

    assert not memo.recently_passed(root, org, dev)
    memo.remember_pass(root, org, dev, "state bucket X is not fully protected")
    said = _Lines()
    assert memo.recently_passed(root, org, dev, said)
    assert said.lines[-1] == "warning: state bucket X is not fully protected"
    assert "very-secret" not in (root / ".platformctl" / memo.MEMO_FILE).read_text()

    assert not memo.recently_passed(root, resolve_org("OtherOrg"), dev)
    assert not memo.recently_passed(root, org, dev, now=memo.time.time() + memo.TTL_S + 1)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "rotated")
    assert not memo.recently_passed(root, org, dev)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret")
    assert memo.recently_passed(root, org, dev)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    assert not memo.recently_passed(root, org, dev)
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    credentials.write_text("[default]\naws_access_key_id = other\n")  # a new login
    assert not memo.recently_passed(root, org, dev)


def test_a_sandbox_that_is_not_running_is_never_a_pass(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    sandbox = load_platform(root).get("sandbox")
    assert not memo.recently_passed(root, resolve_org("ExampleOrg"), sandbox)
