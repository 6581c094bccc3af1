"""destroy all with drain, sweep and the empty-inventory check: real terragrunt + OpenTofu
on the providerless test stack, state and leftovers on a real moto server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from platformctl.report import SilentReporter
from platformctl.run.deploy import deploy
from platformctl.run.scope import Options
from tests.fixtures.leftovers import network, plant, remaining
from tests.run.conftest import Stack

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

    deployed = deploy(
        stack.root,
        stack.platform,
        stack.org,
        "sandbox",
        "eks",
        reporter=SilentReporter(),
        opts=Options(ask=lambda _q: False, post_install=False),
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


SUBNETS_IN_USE = """\
import sys
from pathlib import Path

import boto3

ec2 = boto3.client(
    "ec2",
    endpoint_url={endpoint!r},
    region_name="us-east-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
)
subnets = {subnets!r}
found = ec2.describe_network_interfaces(Filters=[{{"Name": "subnet-id", "Values": subnets}}])
if found["NetworkInterfaces"]:
    print("DependencyViolation: the subnets still have network interfaces", file=sys.stderr)
    sys.exit(1)
"""


def test_destroy_all_with_sweep_destroys_again_what_a_leftover_had_blocked(
    stack: Stack, tmp_path: Path
) -> None:
    deployed = deploy(
        stack.root,
        stack.platform,
        stack.org,
        "sandbox",
        "vpc",
        reporter=SilentReporter(),
        opts=Options(ask=lambda _q: False, post_install=False),
        approve=lambda _r: True,
    )
    assert deployed.ok, deployed
    net = network(stack.moto, None, "10.231.0.0/16")
    planted = plant(stack.moto, stack.org.name, "sandbox", net, units=False)
    # The vpc unit's destroy fails while an interface sits in its subnets, as DeleteSubnet
    # does on AWS (moto does not check; a destroy hook of the test stack does).
    script = tmp_path / "subnets_in_use.py"
    script.write_text(SUBNETS_IN_USE.format(endpoint=stack.moto.endpoint, subnets=net.subnets))
    template = stack.root / "templates" / "units" / "vpc.hcl.j2"
    hook = (
        '  before_hook "subnets_in_use" {\n'
        '    commands = ["destroy"]\n'
        f'    execute  = ["{sys.executable}", "{script}"]\n'
        "  }\n\n"
        '  before_hook "hold" {'
    )
    template.write_text(template.read_text().replace('  before_hook "hold" {', hook))

    done = _cli(
        stack, "destroy", "all", "--env", "sandbox", "--yes", "--no-preflight", "--sweep", "--json"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    first = {u["name"]: u for u in doc["first_destroy"]["environments"][0]["units"]}
    assert first["vpc"]["status"] == "failed"
    assert "DependencyViolation" in first["vpc"]["error_tail"]
    assert {d["id"] for d in doc["sweep"]["deleted"]} == planted.all_ids()
    final = {u["name"]: u["status"] for u in doc["environments"][0]["units"]}
    assert final["vpc"] == "destroyed"
    assert doc["ok"] and doc["left"]["resources"] == []
    assert "destroy again, now that the sweep removed leftovers" in done.stderr
    assert stack.s3_keys() == ["sandbox/vpc/terraform.tfstate"]
