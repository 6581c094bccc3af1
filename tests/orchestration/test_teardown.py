"""destroy all with drain, sweep and the empty-inventory check: real terragrunt + OpenTofu
on the providerless test stack, state and leftovers on a real moto server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from platformctl import orchestrate
from platformctl.report import SilentReporter
from tests.fixtures.leftovers import network, plant, remaining
from tests.orchestration.conftest import Stack

pytestmark = pytest.mark.real

PLATFORMCTL = [sys.executable, "-m", "platformctl"]


def _cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PLATFORMCTL, *args],
        cwd=stack.root,
        env={**os.environ, "COLUMNS": "2000", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )


def test_destroy_all_lists_what_is_left_then_with_sweep_ends_with_0_resources_left(
    stack: Stack,
) -> None:
    dry = _cli(stack, "destroy", "all", "--env", "sandbox", "--sweep", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    for step in ("drain the cluster", "sweep: list what is still tagged", "verify that no"):
        assert step in dry.stderr, dry.stderr
    refused = _cli(stack, "destroy", "mesh", "--env", "sandbox", "--sweep", "--yes")
    assert refused.returncode == 2
    assert "--sweep runs once the cluster is gone" in refused.stderr

    deployed = orchestrate.deploy(
        stack.root,
        stack.platform,
        stack.org,
        "sandbox",
        "eks",
        reporter=SilentReporter(),
        opts=orchestrate.Options(ask=lambda _q: False, post_install=False),
        approve=lambda _r: True,
        with_dependencies=True,
    )
    assert deployed.ok, deployed
    # What the cluster's controllers made outside OpenTofu, and the eks unit's log group
    # and KMS key as a failed destroy would leave them.
    planted = plant(
        stack.moto, stack.org.name, "sandbox", network(stack.moto, None, "10.230.0.0/16")
    )

    # --no-preflight: with --yes the preflight would give the state bucket its TLS-only
    # policy, and moto then refuses the plain-HTTP state requests of this test stack.
    plain = _cli(stack, "destroy", "all", "--env", "sandbox", "--yes", "--no-preflight")
    assert plain.returncode == 1, plain.stderr
    assert f"no EKS cluster {stack.org.name}-sandbox-eks: nothing to drain" in plain.stderr
    assert "7 resources left tagged for" in plain.stdout
    assert f"platformctl sweep --org {stack.org.name} --env sandbox" in plain.stdout
    assert remaining(stack.moto, planted) == planted.ids
    assert stack.s3_keys() == [
        "sandbox/eks/terraform.tfstate",
        "sandbox/vpc/terraform.tfstate",
    ]  # the state objects stay, empty

    swept = _cli(stack, "destroy", "all", "--env", "sandbox", "--yes", "--no-preflight", "--sweep")
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert "Sweep: deleted 7 of 7." in swept.stdout
    assert (
        f"0 resources left tagged for {stack.org.name}/sandbox in us-east-1 "
        "(1 KMS key(s) scheduled for deletion)." in swept.stdout
    )
    assert remaining(stack.moto, planted) == {}

    status = _cli(stack, "status", "--org", stack.org.name, "--env", "sandbox", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["resources"] == []
