"""Shared fixtures. Servers are real processes on 127.0.0.1; nothing is patched."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.readonly import ReadOnly
from tests.fixtures.servers import MotoServer, start_moto

REPO = Path(__file__).resolve().parent.parent

# Fixtures shared by several test directories (each session-scoped one is started once).
pytest_plugins = ["tests.fixtures.repo_cli", "tests.fixtures.controlplane"]

# No test may probe instance metadata (169.254.169.254): every AWS SDK in this process and
# in the processes it starts is told there is none.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
# Every test runs in offline mode (platformctl.network): no release download, provider
# registry or chart repository is tried; a test of the other mode says so itself.
os.environ["PLATFORMCTL_OFFLINE"] = "1"


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """One moto server for the whole test session (tests use distinct names/buckets)."""
    yield from start_moto(tmp_path_factory.mktemp("moto"))


@pytest.fixture
def aws_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """Point boto3 in this process at the moto server (environment only; boto3 is not patched)."""
    for key, value in moto_server.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_server


@pytest.fixture
def read_only() -> Iterator[ReadOnly]:
    """Directories a test makes unwritable (for real, even as root); undone afterwards."""
    paths = ReadOnly()
    yield paths
    paths.undo()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The last line says whether the tiers that need Terraform providers ran, and why not."""
    from tests.fixtures.providers import PROVIDER_TIERS, providers_missing

    why = providers_missing()
    if why:
        terminalreporter.write_line(f"{PROVIDER_TIERS}: SKIPPED, {why}.")
    else:
        terminalreporter.write_line(f"{PROVIDER_TIERS}: RAN (every provider resolves).")
