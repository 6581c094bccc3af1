"""The e2e tier: the real modules applied to the sandbox with the real providers.

One throwaway repository per module of tests; platformctl runs as a separate process with
an environment stripped of every real AWS, Kubernetes and OpenTofu setting, so nothing of
the machine's own configuration (credentials, profiles, CLI config files) can leak in. The
providers come from the local mirror built by `platformctl tools install --providers`; the
tier skips, saying why, when they are not there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.fixtures.servers import free_port

ORG = "E2eOrg"
ENV = "sandbox"
KEPT_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "GOPATH", "GOCACHE", "GOMODCACHE")


@dataclass(frozen=True)
class Done:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def check(self) -> Done:
        assert self.code == 0, (
            f"platformctl {' '.join(self.args)} exited {self.code}:\n{self.err[-4000:]}\n{self.out[-4000:]}"
        )
        return self


@dataclass(frozen=True)
class Sandbox:
    """A repository with a running sandbox, and a way to run platformctl in it."""

    root: Path
    env: dict[str, str]
    tf_log: Path

    def run(self, *args: str, timeout: float = 1200) -> Done:
        done = subprocess.run(
            [sys.executable, "-m", "platformctl", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Done(tuple(args), done.returncode, done.stdout, done.stderr)

    def aws(self, service: str) -> Any:
        import boto3

        endpoint = self.sandbox_env()["AWS_ENDPOINT_URL"]
        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
        )

    def sandbox_env(self) -> dict[str, str]:
        from platformctl.sandbox.registry import sandbox_env

        return sandbox_env(self.root)


def providers_mirrored() -> str | None:
    """Why the tier cannot run here, or None when every provider of modules/ is mirrored."""
    from platformctl.toolchain.providers import provider_needs

    missing = [n.source for n in provider_needs(REPO, check_registry=False) if n.origin != "mirror"]
    if missing:
        return (
            f"providers not in the local mirror: {', '.join(missing)} "
            "(run `platformctl tools install --providers --offline-dir DIR`)"
        )
    return None


def clean_environment(root: Path, tf_log: Path) -> dict[str, str]:
    """Only what a process needs: no AWS_*, KUBECONFIG, TF_* or proxy settings of the machine."""
    env = {key: os.environ[key] for key in KEPT_VARIABLES if key in os.environ}
    env.update(
        {
            "PLATFORMCTL_ROOT": str(root),
            "AWS_EC2_METADATA_DISABLED": "true",
            # Every request of the providers is logged, so a test can prove where they went.
            "TF_LOG_PROVIDER": "DEBUG",
            "TF_LOG_PATH": str(tf_log),
            "NO_COLOR": "1",
            "COLUMNS": "200",
        }
    )
    if "PLATFORMCTL_CACHE" in os.environ:
        env["PLATFORMCTL_CACHE"] = os.environ["PLATFORMCTL_CACHE"]
    if "PLATFORMCTL_OFFLINE_DIR" in os.environ:
        env["PLATFORMCTL_OFFLINE_DIR"] = os.environ["PLATFORMCTL_OFFLINE_DIR"]
    return env


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A fresh repository (platform.toml, templates, modules) with `sandbox up` and bootstrap."""
    why = providers_mirrored()
    if why:
        pytest.skip(why)
    root = tmp_path_factory.mktemp("e2e") / "repo"
    root.mkdir()
    for name in ("platform.toml", ".tool-versions"):
        shutil.copy(REPO / name, root / name)
    for name in ("templates", "modules"):
        shutil.copytree(REPO / name, root / name)
    box = Sandbox(root, clean_environment(root, root / "tf-provider.log"), root / "tf-provider.log")
    # Free ports: a developer's own sandbox may hold the default ones.
    box.run("sandbox", "up", "--port", str(free_port()), "--charts-port", str(free_port())).check()
    try:
        box.run("render", "--org", ORG, "--env", ENV).check()
        box.run("bootstrap", "--org", ORG, "--env", ENV).check()
        yield box
    finally:
        box.run("sandbox", "down", "--purge")
