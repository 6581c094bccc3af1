"""Transient errors are retried by terragrunt (root.hcl's errors block) and shown per unit.

Real terragrunt and OpenTofu on the providerless test stack: its vpc unit is replaced by a
unit whose precondition fails until a hook, run before every attempt, has run twice.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.run.conftest import Stack

pytestmark = pytest.mark.real

PLATFORMCTL = Path(sys.executable).parent / "platformctl"
REPO = Path(__file__).resolve().parents[2]

FLAKY_UNIT = """\
# vpc: fails its first plan with the error in FLAKY_MESSAGE, then plans.
include "root" {
  path = find_in_parent_folders("root.hcl")
}

terraform {
  source = "${get_terragrunt_dir()}/{{ modules_rel }}/modules//flaky"

  # Runs before every attempt: the first leaves a mark, the second lets the check pass.
  before_hook "attempt" {
    commands = ["plan"]
    execute  = ["sh", "-c", "if [ -e \\"$FLAKY_DIR/first\\" ]; then touch \\"$FLAKY_DIR/pass\\"; else touch \\"$FLAKY_DIR/first\\"; fi"]
  }
}

inputs = {
  pass_flag = "${get_env("FLAKY_DIR")}/pass"
  message   = get_env("FLAKY_MESSAGE")
}
"""

FLAKY_MODULE = """\
variable "pass_flag" {
  type = string
}

variable "message" {
  type = string
}

resource "terraform_data" "this" {
  input = "vpc"

  lifecycle {
    precondition {
      condition     = fileexists(var.pass_flag)
      error_message = var.message
    }
  }
}

output "id" {
  value = terraform_data.this.output
}
"""

# Long enough that OpenTofu wraps it, as it wraps the AWS provider's errors.
THROTTLED = (
    "creating EKS Node Group (dev-cpu): operation error EKS: CreateNodegroup, https response "
    "error StatusCode: 400, RequestID: 0e4e8a2b-5f61-4c1d-9a57-3d2f1c0b9e88, api error "
    "RequestLimitExceeded: Request limit exceeded."
)
INVALID = (
    "creating EKS Node Group (dev-cpu): operation error EKS: CreateNodegroup, https response "
    "error StatusCode: 400, RequestID: 1, InvalidParameterException: Instance type t3.huge "
    "is not supported."
)


def _errors_block() -> str:
    """The errors block of the real root.hcl template, with the settings it reads."""
    text = (REPO / "templates" / "root.hcl.j2").read_text(encoding="utf-8")
    match = re.search(r"^\{% set max_attempts.*?^errors \{.*?^\}\n", text, re.S | re.M)
    assert match is not None, "templates/root.hcl.j2 has no errors block"
    return match.group(0)


@pytest.fixture
def flaky(stack: Stack, tmp_path: Path) -> Path:
    """The test stack with the real errors block and a flaky vpc unit; returns the marks dir."""
    root = stack.root
    with (root / "templates" / "root.hcl.j2").open("a", encoding="utf-8") as handle:
        handle.write("\n" + _errors_block())
    with (root / "platform.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n[retries]\nmax_attempts = 2\nsleep_interval_sec = 0\n")
    (root / "templates" / "units" / "vpc.hcl.j2").write_text(FLAKY_UNIT, encoding="utf-8")
    (root / "modules" / "flaky").mkdir(parents=True)
    (root / "modules" / "flaky" / "main.tf").write_text(FLAKY_MODULE, encoding="utf-8")
    marks = tmp_path / "marks"
    marks.mkdir()
    return marks


def _plan_all(
    stack: Stack, marks: Path, message: str, md: Path
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FLAKY_DIR": str(marks), "FLAKY_MESSAGE": message, "COLUMNS": "2000"}
    return subprocess.run(
        [str(PLATFORMCTL), "plan-all", "--json", "--summary-md", str(md)],
        cwd=stack.root,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )


def test_a_transient_error_is_retried_and_the_summary_says_so(
    stack: Stack, flaky: Path, tmp_path: Path
) -> None:
    md = tmp_path / "summary.md"
    done = _plan_all(stack, flaky, THROTTLED, md)

    assert done.returncode == 0, done.stderr
    assert (flaky / "pass").exists()  # the hook ran twice: two attempts
    units = {u["name"]: u for u in json.loads(done.stdout)["environments"][0]["units"]}
    assert {n: (u["status"], u["retries"]) for n, u in units.items()} == {
        "vpc": ("planned", 1),
        "eks": ("planned", 0),
        "mesh": ("planned", 0),
        "kubeflow": ("planned", 0),
    }
    log = Path(units["vpc"]["log"]).read_text(encoding="utf-8")
    assert "Encountered retryable error: transient" in log
    text = md.read_text(encoding="utf-8")
    assert "| mock outputs | retries |" in text
    assert re.search(r"\| vpc \| .* \| 🔁 retried 1× \|", text), text
    assert re.search(r"\| eks \| .* \|  \|$", text, re.M), text


def test_a_configuration_error_fails_at_once(stack: Stack, flaky: Path, tmp_path: Path) -> None:
    md = tmp_path / "summary.md"
    done = _plan_all(stack, flaky, INVALID, md)

    assert done.returncode == 1, done.stderr
    assert not (flaky / "pass").exists()  # one attempt only
    units = {u["name"]: u for u in json.loads(done.stdout)["environments"][0]["units"]}
    assert {n: (u["status"], u["retries"]) for n, u in units.items()} == {
        "vpc": ("failed", 0),
        "eks": ("skipped", 0),
        "mesh": ("skipped", 0),
        "kubeflow": ("skipped", 0),
    }
    assert "Instance type t3.huge" in units["vpc"]["error_tail"]
    assert "retries" not in md.read_text(encoding="utf-8")
